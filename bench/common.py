"""Shared pieces for the benchmarks: a scratch database, gunicorn on loopback, HTTP load."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_ARGS = ["--workers", "4", "--threads", "2", "--worker-class", "gthread", "--log-level", "warning"]
PASSWORD = "mat-khau-bench-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def scratch_database(kind: str):
    """Yield a DATABASE_URL for a new, empty database that is removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="lms-bench-") as folder:
            yield "sqlite:///" + os.path.join(folder, "bench.sqlite3")
        return
    import psycopg

    server = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    name = f"lms_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        LMS_ENV="development",
        SECRET_KEY="bench-only",
        LMS_RATELIMIT="0",
        PYTHONPATH=str(ROOT),
    )
    return env


def prepare_database(database_url: str, learners: int) -> list[str]:
    """Migrate, load places and content, create learner accounts; returns their phones."""
    script = f"""
from lms import create_app
from lms.core.extensions import db
app = create_app({{"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": {database_url!r}}})
with app.app_context():
    from flask_migrate import upgrade
    upgrade()
    from lms.places.services import import_places, load_divisions
    import_places(load_divisions())
    from lms.catalog.services import sync_from_disk
    sync_from_disk()
    from lms.accounts.services import register_user
    for i in range({learners}):
        register_user(phone=f"09{{i:08d}}", password={PASSWORD!r}, full_name="Học Viên", consent=True, commune_code="00004")
    db.session.commit()
"""
    subprocess.run([sys.executable, "-c", script], check=True, env=app_env(database_url), cwd=ROOT,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    return [f"09{i:08d}" for i in range(learners)]


@contextlib.contextmanager
def gunicorn(target: str, env: dict[str, str]):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *GUNICORN_ARGS, "--bind", f"127.0.0.1:{port}", target],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/")
                conn.getresponse().read()
                conn.close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not start")
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a loaded machine: workers still finishing requests
            process.kill()
            process.wait(timeout=30)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: str


class Browser:
    """A keep-alive HTTP client with a cookie jar, enough for form posts."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form=None) -> Response:
        headers = {}
        body = None
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                raw = self.conn.getresponse()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt:
                    raise
        data = raw.read().decode("utf-8", "replace")
        for name, value in raw.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, data)

    def csrf(self, path: str) -> str:
        page = self.request("GET", path)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.body)
        if not match:
            raise RuntimeError(f"no CSRF token on {path}")
        return match.group(1)

    def login(self, phone: str) -> None:
        token = self.csrf("/login")
        response = self.request("POST", "/login", {"csrf_token": token, "phone": phone, "password": PASSWORD})
        if response.status != 302:
            raise RuntimeError(f"login failed for {phone}: {response.status}")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def _load_worker(port: int, path: str, cookies: dict[str, str], connections: int, seconds: float, start_at: float, out) -> None:
    """Keep-alive GETs from `connections` threads until start_at + seconds; puts (ok, bad)."""
    import threading

    totals = []

    def one() -> None:
        browser = Browser(port)
        browser.cookies = dict(cookies)
        done = bad = 0
        while time.time() < start_at:
            time.sleep(0.01)
        while time.time() < start_at + seconds:
            if browser.request("GET", path).status == 200:
                done += 1
            else:
                bad += 1
        totals.append((done, bad))

    threads = [threading.Thread(target=one) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put((sum(t[0] for t in totals), sum(t[1] for t in totals)))


def load(port: int, path: str, cookies: dict[str, str], connections: int, seconds: float, processes: int = 8):
    """Requests per second and failures of GET `path` with these cookies (e.g. of one login made
    beforehand, so no password hashing happens under load), from several client processes."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    count = min(processes, connections)
    start_at = time.time() + 3.0  # every process started and connected before the clock starts
    workers = [
        context.Process(target=_load_worker, args=(port, path, cookies, max(1, connections // count), seconds, start_at, queue))
        for _ in range(count)
    ]
    for worker in workers:
        worker.start()
    results = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    return sum(r[0] for r in results) / seconds, sum(r[1] for r in results)
