/* Offline check of the signed payload carried by a certificate's QR code.
   QR text: https://host/verify/XXXX-XXXX-XXXX#<base64url payload>.<base64url signature>
   The signature is Ed25519 over "hoc-so-cong-dong/certificate/v1\0" + payload bytes, with the
   public key named by the payload's "k" (key id) among the keys in the page's data-keys.
   Nothing is sent anywhere: the page already holds the public keys. */
(function () {
  "use strict";
  var DOMAIN = new TextEncoder().encode("hoc-so-cong-dong/certificate/v1\u0000");
  var LABELS = [["c", "Mã"], ["n", "Họ và tên"], ["co", "Khóa học"], ["d", "Ngày cấp"], ["i", "Đơn vị cấp"], ["r", "Lần cấp"]];

  /* Texts come translated from the page (data-text-* attributes on the section); the Vietnamese
     source text is the fallback. "{name}" marks where a value goes. */
  function textFor(el, key, fallback, values) {
    var template = (el && key && el.getAttribute("data-text-" + key)) || fallback;
    Object.keys(values || {}).forEach(function (name) {
      template = template.split("{" + name + "}").join(String(values[name]));
    });
    return template;
  }

  /* A message for the person; `key` names its translation (data-text-<key>). */
  function fail(key, message) { var error = new Error(message); error.friendly = true; error.textKey = key; return error; }

  function b64urlDecode(text) {
    if (!/^[A-Za-z0-9_-]+$/.test(text)) throw fail("bad-data", "Dữ liệu trong mã QR bị hỏng hoặc không đúng định dạng.");
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var binary = atob(b64);
    var out = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  }

  function concat(a, b) { var out = new Uint8Array(a.length + b.length); out.set(a); out.set(b, a.length); return out; }

  function webCryptoVerify(publicKey, signature, message) {
    if (!window.crypto || !window.crypto.subtle) return Promise.reject(new Error("no WebCrypto"));
    return window.crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"])
      .then(function (key) { return window.crypto.subtle.verify({ name: "Ed25519" }, key, signature, message); });
  }

  function verifySignature(publicKey, signature, message) {
    return webCryptoVerify(publicKey, signature, message).catch(function () {
      if (!window.HSCDEd25519) throw fail("no-webcrypto", "Trình duyệt này không kiểm tra được chữ ký số. Bạn hãy dùng trình duyệt khác.");
      return window.HSCDEd25519.verify(publicKey, signature, message);
    });
  }

  /* check(qrText, {kid: base64url key}) -> Promise of the signed fields; rejects with a message. */
  function check(text, keys) {
    return Promise.resolve().then(function () {
      text = (text || "").trim();
      if (text.indexOf("#") >= 0) text = text.slice(text.lastIndexOf("#") + 1);
      var parts = text.split(".");
      if (parts.length !== 2 || !parts[0] || !parts[1] || text.indexOf("/") >= 0) throw fail("no-payload", "Không tìm thấy dữ liệu ký trong nội dung mã QR (cần phần sau dấu #).");
      var payload = b64urlDecode(parts[0]);
      var signature = b64urlDecode(parts[1]);
      var fields;
      try { fields = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload)); } catch (e) {
        throw fail("bad-data", "Dữ liệu trong mã QR bị hỏng hoặc không đúng định dạng.");
      }
      if (!fields || fields.v !== 1) throw fail("wrong-version", "Dữ liệu trong mã QR không phải chứng nhận Học số cộng đồng (phiên bản không đúng).");
      var key = keys[fields.k];
      if (!key) throw fail("unknown-key", "Chứng nhận được ký bằng một khóa không có trong danh sách khóa tin cậy.");
      if (signature.length !== 64) throw fail("mismatch", "Chữ ký số KHÔNG khớp: nội dung đã bị sửa hoặc không do đơn vị này cấp.");
      return verifySignature(b64urlDecode(key), signature, concat(DOMAIN, payload)).then(function (ok) {
        if (!ok) throw fail("mismatch", "Chữ ký số KHÔNG khớp: nội dung đã bị sửa hoặc không do đơn vị này cấp.");
        return fields;
      });
    });
  }

  function formatCode(code) { return code.length === 12 ? code.slice(0, 4) + "-" + code.slice(4, 8) + "-" + code.slice(8) : code; }

  function show(root, promise, expectedCode) {
    var result = root.querySelector("#qr-check-result");
    var list = root.querySelector("#qr-check-fields");
    result.className = "qr-result";
    result.textContent = textFor(root, "checking", "Đang kiểm tra…");
    list.textContent = "";
    return promise.then(function (fields) {
      var sameCode = !expectedCode || fields.c === expectedCode;
      result.className = "qr-result " + (sameCode ? "qr-ok" : "qr-bad");
      result.textContent = sameCode
        ? "✓ " + textFor(root, "valid", "Chữ ký số hợp lệ: nội dung dưới đây do đơn vị cấp ký và chưa bị sửa.")
        : "✗ " + textFor(root, "other-code", "Chữ ký hợp lệ nhưng thuộc một giấy chứng nhận khác (mã {code}).", { code: formatCode(fields.c) });
      LABELS.forEach(function (pair) {
        var dt = document.createElement("dt");
        var dd = document.createElement("dd");
        dt.textContent = textFor(root, "label-" + pair[0], pair[1]);
        var value = String(fields[pair[0]]);
        if (pair[0] === "c") value = formatCode(value);
        if (pair[0] === "d" && /^\d{4}-\d{2}-\d{2}$/.test(value)) value = value.split("-").reverse().join("/");
        dd.textContent = value;
        list.appendChild(dt);
        list.appendChild(dd);
      });
    }, function (error) {
      result.className = "qr-result qr-bad";
      result.textContent = "✗ " + (error.friendly
        ? textFor(root, error.textKey, error.message)
        : textFor(root, "failed", "Không kiểm tra được chữ ký trên trình duyệt này."));
    });
  }

  function readKeys(root) {
    try { return JSON.parse(root.getAttribute("data-keys") || "{}"); } catch (e) { return {}; }
  }

  var online = document.getElementById("qr-check");
  if (online && location.hash.length > 1) {
    online.hidden = false;
    show(online, check(location.hash.slice(1), readKeys(online)), online.getAttribute("data-code"));
  }

  var offline = document.getElementById("offline-check");
  if (offline) {
    var input = offline.querySelector("#qr-text");
    var button = offline.querySelector("#qr-verify");
    var keys = readKeys(offline);
    button.addEventListener("click", function () { show(offline, check(input.value, keys), null); });
    if (location.hash.length > 1) {
      input.value = location.hash.slice(1);
      show(offline, check(input.value, keys), null);
    }
  }

  window.HSCDVerify = { check: check, verifySignature: verifySignature };
})();
