"""The deployment kit, run as shipped: Debian's nginx with deploy/nginx-hocso.conf, gunicorn
started by the ExecStart of deploy/hocso-web.service, an RQ worker started by the ExecStart
of deploy/hocso-worker@.service, all with the settings of deploy/hocso.env.example, on the
test database and Redis. Only ports, paths and secrets are changed for the test.

Through nginx: a login works, a certificate is rendered by the worker and downloaded, static
files come back compressed and cacheable, and the client address nginx saw is the one the
rate limiter and the access log use."""

from __future__ import annotations

import gzip
import http.client
import os
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest

from tests.cert_helpers import complete_course
from tests.factories import next_phone

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
HOST = "hocso.example.gov.vn"
SMOKE_REDIS_URL = "redis://127.0.0.1:6379/11"
LOGIN_LIMIT = 4  # login POSTs per client address per minute, for this test


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, f"the shipped file no longer has {old!r}: update this test with it"
    return text.replace(old, new)


def _exec_start(unit: Path) -> list[str]:
    [line] = [line for line in unit.read_text().splitlines() if line.startswith("ExecStart=")]
    argv = shlex.split(line.removeprefix("ExecStart="))
    program = Path(argv[0]).name
    assert argv[0] == f"/srv/hocso/.venv/bin/{program}"
    # The test's own interpreter stands for the deployment's virtualenv.
    return [sys.executable, "-m", program, *argv[1:]] if program != "flask" else [sys.executable, "-m", "flask", *argv[1:]]


def _unit_environment(unit: Path) -> dict[str, str]:
    pairs = [line.removeprefix("Environment=") for line in unit.read_text().splitlines() if line.startswith("Environment=")]
    return dict(pair.split("=", 1) for pair in pairs)


def _env_example() -> dict[str, str]:
    settings = {}
    for line in (DEPLOY / "hocso.env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            key, value = line.split("=", 1)
            settings[key] = value
    return settings


def _self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def _nginx_config(folder: Path, http_port: int, https_port: int, app_port: int) -> Path:
    cert, key = _self_signed(folder)
    site = (DEPLOY / "nginx-hocso.conf").read_text()
    site = _replace(site, "    listen 80;\n", f"    listen 127.0.0.1:{http_port};\n")
    site = _replace(site, "    listen 443 ssl http2;\n", f"    listen 127.0.0.1:{https_port} ssl http2;\n")
    site = re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", site)
    site = _replace(site, "/etc/ssl/hocso/fullchain.pem", str(cert))
    site = _replace(site, "/etc/ssl/hocso/privkey.pem", str(key))
    site = _replace(site, "server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};")
    site = _replace(site, "/srv/hocso/", f"{ROOT}/")
    site = _replace(site, "/etc/nginx/hocso-proxy.conf", str(DEPLOY / "nginx-hocso-proxy.conf"))
    site = _replace(site, "/var/log/nginx/hocso.access.log", str(folder / "access.log"))
    (folder / "site.conf").write_text(site)
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    user = "user root root;\n" if os.geteuid() == 0 else ""  # the checkout may be readable by root only
    main = folder / "nginx.conf"
    main.write_text(
        f"{user}worker_processes 1;\npid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'} warn;\ndaemon off;\n"
        f"events {{ worker_connections 128; }}\nhttp {{\n    include /etc/nginx/mime.types;\n"
        f"    default_type application/octet-stream;\n{temp}\n    include {folder / 'site.conf'};\n}}\n"
    )
    return main


def _nginx() -> str:
    # .ci/test installs Debian's nginx-light when it is missing: never skip.
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(found).exists(), "nginx is not installed (apt-get install nginx-light)"
    return found


class Browser:
    """A client on its own source address (127.0.0.x: nginx sees each as another client),
    speaking HTTPS to nginx with the public host name, keeping its cookies."""

    def __init__(self, port: int, source: str = "127.0.0.1") -> None:
        self.port, self.source, self.cookies = port, source, {}
        self.context = ssl.create_default_context()
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None):
        conn = http.client.HTTPSConnection(
            "127.0.0.1", self.port, timeout=30, context=self.context, source_address=(self.source, 0)
        )
        sent = {"Host": HOST, **(headers or {})}
        if method == "POST":  # as a browser does on a same-origin form (Flask-WTF checks it over HTTPS)
            sent.setdefault("Referer", f"https://{HOST}{path}")
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response, data

    def login(self, phone: str, password: str = "mat-khau-123", headers: dict | None = None):
        page, html = self.request("GET", "/login")
        assert page.status == 200
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1).decode()
        return self.request("POST", "/login", {"csrf_token": token, "phone": phone, "password": password}, headers)


def _wait_for(port: int, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{what} exited"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{what} did not start")


@pytest.fixture
def stack(app, make_app, database_url, tmp_path):
    import redis

    # Redis runs on the project's machines and .ci/test starts one when it is missing: never skip.
    connection = redis.Redis.from_url(SMOKE_REDIS_URL)
    connection.flushdb()
    nginx_dir = tmp_path / "nginx"
    nginx_dir.mkdir()
    app_port, http_port, https_port = _free_port(), _free_port(), _free_port()
    certificates = tmp_path / "certificates"
    key = tmp_path / "certificate-signing-key.pem"
    env = {**os.environ, **_env_example(), **_unit_environment(DEPLOY / "hocso-web.service")}
    env.update(
        SECRET_KEY="smoke-test-only-not-secret",
        DATABASE_URL=database_url,
        REDIS_URL=SMOKE_REDIS_URL,
        LMS_PUBLIC_URL=f"https://{HOST}",
        LMS_LOGIN_RATE_LIMIT=f"{LOGIN_LIMIT} per minute",
        LMS_CERTIFICATE_SIGNING_KEY=str(key),
        LMS_CERTIFICATE_DIR=str(certificates),
        GUNICORN_BIND=f"127.0.0.1:{app_port}",
        GUNICORN_WORKERS="2",
        GUNICORN_ACCESS_LOG=str(tmp_path / "gunicorn-access.log"),
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        PYTHONPATH=str(ROOT),
    )
    (tmp_path / "metrics").mkdir()
    # The app the test itself uses to set up data: same database, Redis and key.
    setup_app = make_app(
        REDIS_URL=SMOKE_REDIS_URL,
        CERTIFICATE_SIGNING_KEY=str(key),
        CERTIFICATE_DIR=str(certificates),
        PUBLIC_BASE_URL=f"https://{HOST}",
    )
    with setup_app.app_context():
        from lms.certificates.keyring import ensure_signing_key

        ensure_signing_key()
    nginx_conf = _nginx_config(nginx_dir, http_port, https_port, app_port)
    checked = subprocess.run([_nginx(), "-t", "-c", str(nginx_conf)], capture_output=True, text=True, check=False)  # noqa: S603
    assert checked.returncode == 0, checked.stderr
    logs = {name: (tmp_path / f"{name}.out").open("wb") for name in ("gunicorn", "worker", "nginx")}
    processes = []
    try:
        web = subprocess.Popen(  # noqa: S603
            _exec_start(DEPLOY / "hocso-web.service"), cwd=ROOT, env=env, stdout=logs["gunicorn"], stderr=subprocess.STDOUT
        )
        processes.append(web)
        worker = subprocess.Popen(  # noqa: S603
            [*_exec_start(DEPLOY / "hocso-worker@.service"), "--no-idle"],
            cwd=ROOT,
            env=env,
            stdout=logs["worker"],
            stderr=subprocess.STDOUT,
        )
        processes.append(worker)
        proxy = subprocess.Popen([_nginx(), "-c", str(nginx_conf)], stdout=logs["nginx"], stderr=subprocess.STDOUT)  # noqa: S603
        processes.append(proxy)
        _wait_for(app_port, web, "gunicorn")
        _wait_for(https_port, proxy, "nginx")
        yield {
            "https_port": https_port,
            "http_port": http_port,
            "setup_app": setup_app,
            "certificates": certificates,
            "access_log": tmp_path / "gunicorn-access.log",
            "logs": tmp_path,
        }
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for file in logs.values():
            file.close()
        connection.flushdb()
        connection.close()


def test_through_nginx_a_login_works_and_plain_http_goes_to_https(stack, factory):
    phone = next_phone()
    factory.user(phone=phone, name="Lò Văn Khánh")
    browser = Browser(stack["https_port"])
    response, _ = browser.login(phone)
    assert response.status == 302
    assert response.headers["Location"] in ("/", f"https://{HOST}/")
    home, html = browser.request("GET", "/")
    assert home.status == 200
    assert "Đăng xuất".encode() in html
    assert home.headers["Strict-Transport-Security"]
    conn = http.client.HTTPConnection("127.0.0.1", stack["http_port"], timeout=10)
    conn.request("GET", "/login", headers={"Host": HOST})
    plain = conn.getresponse()
    conn.close()
    assert plain.status == 301
    assert plain.headers["Location"] == f"https://{HOST}/login"


def test_static_files_come_back_compressed_and_cacheable(stack):
    browser = Browser(stack["https_port"])
    _, html = browser.request("GET", "/login")
    [css_url] = re.findall(rb'href="(/static/core/css/app\.css\?v=[0-9a-f]+)"', html)
    response, body = browser.request("GET", css_url.decode(), headers={"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert "immutable" in response.headers["Cache-Control"]
    assert gzip.decompress(body) == (ROOT / "lms/core/static/css/app.css").read_bytes()


def test_the_client_address_nginx_saw_reaches_the_rate_limiter_and_the_log(stack, factory):
    phone = next_phone()
    factory.user(phone=phone)
    crowded = Browser(stack["https_port"], source="127.0.0.2")
    statuses = [crowded.login(phone, f"sai-{i}")[0].status for i in range(LOGIN_LIMIT)]
    assert statuses == [422] * LOGIN_LIMIT
    assert crowded.login(phone)[0].status == 429
    # Writing another address in X-Forwarded-For does not get the same client out of its bucket.
    assert crowded.login(phone, headers={"X-Forwarded-For": "198.51.100.1"})[0].status == 429
    # Another client behind the same nginx has its own bucket.
    response, _ = Browser(stack["https_port"], source="127.0.0.3").login(phone)
    assert response.status == 302
    time.sleep(0.5)  # gunicorn writes the access line after the response
    log = stack["access_log"].read_text()
    assert re.search(r'^127\.0\.0\.3 "POST /login HTTP/1\.[01]" 302 ', log, re.M), log
    assert re.search(r'^127\.0\.0\.2 "POST /login HTTP/1\.[01]" 429 ', log, re.M), log


def test_a_certificate_is_rendered_by_the_worker_and_downloaded_through_nginx(stack, factory):
    phone = next_phone()
    uid = factory.user(phone=phone, name="Hà Thị Thu")
    code = complete_course(stack["setup_app"], uid)  # the commit queues the render in Redis
    assert code
    browser = Browser(stack["https_port"])
    assert browser.login(phone)[0].status == 302
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        response, body = browser.request("GET", f"/certificates/mine/{code}.pdf")
        if response.headers.get("Content-Type") == "application/pdf":
            break
        time.sleep(1)
    assert response.status == 200, (stack["logs"] / "worker.out").read_text()
    assert body.startswith(b"%PDF")
    assert list(stack["certificates"].rglob("*.pdf")), "the worker kept the PDF"


def test_metrics_and_readiness_through_nginx(stack):
    browser = Browser(stack["https_port"])
    browser.request("GET", "/login")
    ready, body = browser.request("GET", "/readyz")
    assert ready.status == 200
    assert b'"redis":"ok"' in body
    # Prometheus on this machine gets every gunicorn worker's counts; another client does not.
    scraped, text = browser.request("GET", "/metrics")
    assert scraped.status == 200
    assert b'lms_responses_total{endpoint="accounts.login",method="GET",status="200"}' in text
    refused, _ = Browser(stack["https_port"], source="127.0.0.4").request("GET", "/metrics")
    assert refused.status == 403
