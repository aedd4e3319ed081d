/* Ed25519 signature verification (RFC 8032, section 5.1.7) in plain JavaScript with BigInt,
   written for this project. verify.js uses the browser's WebCrypto Ed25519 when it exists and
   falls back to this file on browsers without it (older Android phones, pages opened over
   plain http where crypto.subtle is missing). Verification only: no secret ever touches it,
   so constant-time arithmetic is not needed. SHA-512 (FIPS 180-4) is included for the same
   browsers; its constants are computed from the primes instead of being typed in. */
(function (global) {
  "use strict";
  var M64 = (1n << 64n) - 1n;

  function firstPrimes(count) {
    var primes = [];
    for (var n = 2; primes.length < count; n++) {
      if (primes.every(function (p) { return n % p !== 0; })) primes.push(n);
    }
    return primes;
  }
  function iroot(n, k) { /* floor of the k-th root of n, Newton's method on BigInt */
    var x = 1n << BigInt(Math.ceil(n.toString(2).length / Number(k)) + 1);
    for (;;) {
      var y = ((k - 1n) * x + n / x ** (k - 1n)) / k;
      if (y >= x) break;
      x = y;
    }
    while (x ** k > n) x -= 1n;
    while ((x + 1n) ** k <= n) x += 1n;
    return x;
  }
  var PRIMES = firstPrimes(80);
  /* First 64 bits of the fractional parts of the cube roots of the first 80 primes, and of
     the square roots of the first 8 primes (FIPS 180-4, 4.2.3 and 5.3.5). */
  var K = PRIMES.map(function (p) { return iroot(BigInt(p) << 192n, 3n) & M64; });
  var H0 = PRIMES.slice(0, 8).map(function (p) { return iroot(BigInt(p) << 128n, 2n) & M64; });

  function rotr(x, n) { return ((x >> n) | (x << (64n - n))) & M64; }

  function sha512(bytes) {
    var bitLength = BigInt(bytes.length) * 8n;
    var padded = new Uint8Array(Math.ceil((bytes.length + 17) / 128) * 128);
    padded.set(bytes);
    padded[bytes.length] = 0x80;
    for (var i = 0; i < 16; i++) padded[padded.length - 1 - i] = Number((bitLength >> BigInt(8 * i)) & 0xffn);
    var h = H0.slice();
    var w = new Array(80);
    for (var block = 0; block < padded.length; block += 128) {
      for (var t = 0; t < 16; t++) {
        var word = 0n;
        for (var b = 0; b < 8; b++) word = (word << 8n) | BigInt(padded[block + t * 8 + b]);
        w[t] = word;
      }
      for (t = 16; t < 80; t++) {
        var s0 = rotr(w[t - 15], 1n) ^ rotr(w[t - 15], 8n) ^ (w[t - 15] >> 7n);
        var s1 = rotr(w[t - 2], 19n) ^ rotr(w[t - 2], 61n) ^ (w[t - 2] >> 6n);
        w[t] = (w[t - 16] + s0 + w[t - 7] + s1) & M64;
      }
      var a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
      for (t = 0; t < 80; t++) {
        var S1 = rotr(e, 14n) ^ rotr(e, 18n) ^ rotr(e, 41n);
        var ch = (e & f) ^ (~e & M64 & g);
        var temp1 = (hh + S1 + ch + K[t] + w[t]) & M64;
        var S0 = rotr(a, 28n) ^ rotr(a, 34n) ^ rotr(a, 39n);
        var maj = (a & bb) ^ (a & c) ^ (bb & c);
        var temp2 = (S0 + maj) & M64;
        hh = g; g = f; f = e; e = (d + temp1) & M64; d = c; c = bb; bb = a; a = (temp1 + temp2) & M64;
      }
      h = [a, bb, c, d, e, f, g, hh].map(function (v, k) { return (h[k] + v) & M64; });
    }
    var out = new Uint8Array(64);
    h.forEach(function (v, k) { for (var j = 0; j < 8; j++) out[k * 8 + j] = Number((v >> BigInt(56 - 8 * j)) & 0xffn); });
    return out;
  }

  var P = (1n << 255n) - 19n;
  var L = (1n << 252n) + 27742317777372353535851937790883648493n;
  function mod(a, m) { m = m || P; var r = a % m; return r >= 0n ? r : r + m; }
  function pow(base, exp) {
    var result = 1n;
    base = mod(base);
    while (exp > 0n) {
      if (exp & 1n) result = mod(result * base);
      base = mod(base * base);
      exp >>= 1n;
    }
    return result;
  }
  function inv(a) { return pow(a, P - 2n); }
  var D = mod(-121665n * inv(121666n));
  var SQRT_M1 = pow(2n, (P - 1n) / 4n);

  function recoverX(y, sign) {
    if (y >= P) return null;
    var x2 = mod((y * y - 1n) * inv(D * y * y + 1n));
    if (x2 === 0n) return sign ? null : 0n;
    var x = pow(x2, (P + 3n) / 8n);
    if (mod(x * x - x2) !== 0n) x = mod(x * SQRT_M1);
    if (mod(x * x - x2) !== 0n) return null;
    if (Number(x & 1n) !== sign) x = P - x;
    return x;
  }
  function littleEndian(bytes) {
    var n = 0n;
    for (var i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
    return n;
  }
  function decodePoint(bytes) {
    var y = littleEndian(bytes) & ((1n << 255n) - 1n);
    var x = recoverX(y, bytes[31] >> 7);
    return x === null ? null : [x, y, 1n, mod(x * y)];
  }
  function add(p, q) { /* extended coordinates, RFC 8032 5.1.4 */
    var a = mod((p[1] - p[0]) * (q[1] - q[0]));
    var b = mod((p[1] + p[0]) * (q[1] + q[0]));
    var c = mod(2n * D * p[3] * q[3]);
    var d = mod(2n * p[2] * q[2]);
    var e = b - a, f = d - c, g = d + c, h = b + a;
    return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)];
  }
  function multiply(scalar, point) {
    var result = [0n, 1n, 1n, 0n];
    while (scalar > 0n) {
      if (scalar & 1n) result = add(result, point);
      point = add(point, point);
      scalar >>= 1n;
    }
    return result;
  }
  function samePoint(p, q) {
    return mod(p[0] * q[2] - q[0] * p[2]) === 0n && mod(p[1] * q[2] - q[1] * p[2]) === 0n;
  }
  var GY = mod(4n * inv(5n));
  var G = [recoverX(GY, 0), GY, 1n, mod(recoverX(GY, 0) * GY)];

  /* verify(publicKey 32 bytes, signature 64 bytes, message bytes) -> boolean */
  function verify(publicKey, signature, message) {
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    var A = decodePoint(publicKey);
    var R = decodePoint(signature.subarray(0, 32));
    if (!A || !R) return false;
    var S = littleEndian(signature.subarray(32));
    if (S >= L) return false;
    var input = new Uint8Array(64 + message.length);
    input.set(signature.subarray(0, 32));
    input.set(publicKey, 32);
    input.set(message, 64);
    var k = mod(littleEndian(sha512(input)), L);
    return samePoint(multiply(S, G), add(R, multiply(k, A)));
  }

  global.HSCDEd25519 = { verify: verify, sha512: sha512 };
})(window);
