"""Lesson page throughput against a bare Flask "hello" route, and the lesson page weight.

Both apps run under gunicorn on loopback with the same settings
(bench.common.GUNICORN_ARGS); the same load (keep-alive connections from
several client processes, for a fixed time) is sent to each, and the ratio of
requests per second is compared with the target. The target is checked on the
public lesson page (no login: how a citizen following a link reads it); the
same page read by a logged-in learner is measured and printed as well, for
capacity planning. Page weight = the lesson HTML plus the CSS
and JS it loads, each compressed with gzip as a reverse proxy would serve it.
The last line prints the figures and targets; exit status 1 when one is missed.

    python -m bench.lesson_page [--seconds 8] [--connections 16] [--db sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import gzip
import multiprocessing
import re
import sys
import time

from bench.common import Browser, app_env, gunicorn, prepare_database, scratch_database

TARGET_RATIO = 0.5
TARGET_KB = 30.0
LESSON = "/courses/nguoi-dan/b05-dich-vu-cong/"
PROCESSES = 8


def load_process(port: int, path: str, phone: str | None, connections: int, seconds: float, out) -> None:
    import threading

    counts = []
    errors = []
    start_at = time.monotonic() + 1.0  # every connection logged in before the clock starts

    def one() -> None:
        browser = Browser(port)
        if phone:
            browser.login(phone)
        done = bad = 0
        while time.monotonic() < start_at:
            time.sleep(0.01)
        end = start_at + seconds
        while time.monotonic() < end:
            response = browser.request("GET", path)
            if response.status == 200:
                done += 1
            else:
                bad += 1
        counts.append(done)
        errors.append(bad)

    threads = [threading.Thread(target=one) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put((sum(counts), sum(errors)))


def throughput(port: int, path: str, phone: str | None, connections: int, seconds: float) -> tuple[float, int]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    per_process = max(1, connections // PROCESSES)
    workers = [context.Process(target=load_process, args=(port, path, phone, per_process, seconds, queue))
               for _ in range(min(PROCESSES, connections))]  # fmt: skip
    for worker in workers:
        worker.start()
    results = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    return sum(r[0] for r in results) / seconds, sum(r[1] for r in results)


def page_weight(port: int, path: str, phone: str) -> dict[str, int]:
    browser = Browser(port)
    browser.login(phone)
    html = browser.request("GET", path).body
    sizes = {"html": len(gzip.compress(html.encode(), 9))}
    for asset in re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html):
        body = browser.request("GET", asset).body
        sizes[asset.rsplit("/", 1)[1]] = len(gzip.compress(body.encode(), 9))
    return sizes


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args(argv)
    with scratch_database(args.db) as database_url:
        phones = prepare_database(database_url, 1)
        env = app_env(database_url)
        from bench.common import ROOT
        from lms.catalog.content import load_content

        bundle, _ = load_content(ROOT)
        first = bundle.modules["b05-dich-vu-cong"].lessons[0].slug
        path = LESSON + first
        with gunicorn("bench.hello_app:app", env) as port:
            hello_rps, hello_errors = throughput(port, "/", None, args.connections, args.seconds)
        with gunicorn("wsgi:app", env) as port:
            lesson_rps, lesson_errors = throughput(port, path, phones[0], args.connections, args.seconds)
            anonymous_rps, _ = throughput(port, path, None, args.connections, args.seconds)
            sizes = page_weight(port, path, phones[0])
    ratio = anonymous_rps / hello_rps if hello_rps else 0.0
    logged_in_ratio = lesson_rps / hello_rps if hello_rps else 0.0
    total_kb = sum(sizes.values()) / 1024
    ok = ratio >= TARGET_RATIO and total_kb <= TARGET_KB and hello_errors == 0 and lesson_errors == 0
    print(
        f"hello: {hello_rps:.0f} req/s; lesson (public): {anonymous_rps:.0f} req/s;"
        f" lesson (logged in): {lesson_rps:.0f} req/s = {logged_in_ratio:.2f} x hello (reported, no target)"
    )
    print("page weight (gzip): " + ", ".join(f"{k} {v / 1024:.1f} KB" for k, v in sizes.items()))
    print(
        f"lesson_page: public lesson / hello {ratio:.2f} (target >= {TARGET_RATIO}),"
        f" weight {total_kb:.1f} KB (target <= {TARGET_KB:.0f} KB),"
        f" errors {hello_errors + lesson_errors} | {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
