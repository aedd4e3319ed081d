"""The shipped gunicorn settings (deploy/gunicorn.conf.py) keep serving while slow clients
trickle their requests in, one header byte every two seconds."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLOW_CLIENTS = 4


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_serving(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn exited"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/privacy")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
        finally:
            conn.close()
    raise AssertionError("gunicorn did not start")


def _trickle(port: int, stop: threading.Event) -> None:
    """Open a request and send its header one byte at a time, never finishing it."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        for byte in b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200:
            if stop.is_set():
                return
            try:
                sock.send(bytes([byte]))
            except OSError:
                return  # the server dropped us: fine
            stop.wait(2)


def test_slow_clients_do_not_stall_the_server(app, database_url):
    port = _free_port()
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        LMS_ENV="development",
        SECRET_KEY="test-only",
        PYTHONPATH=str(ROOT),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="2",  # as few as the reported stall needed
        GUNICORN_ACCESS_LOG="/dev/null",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    stop = threading.Event()
    slow = [threading.Thread(target=_trickle, args=(port, stop)) for _ in range(SLOW_CLIENTS)]
    try:
        _wait_until_serving(port, process)
        for thread in slow:
            thread.start()
        time.sleep(3)  # every slow client is connected and mid-header
        for _ in range(5):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                conn.request("GET", "/privacy")
                response = conn.getresponse()
                assert response.status == 200
                assert "Thông báo xử lý dữ liệu cá nhân" in response.read().decode()
            finally:
                conn.close()
    finally:
        stop.set()
        for thread in slow:
            if thread.is_alive():
                thread.join(timeout=5)
        process.terminate()
        process.wait(timeout=20)
