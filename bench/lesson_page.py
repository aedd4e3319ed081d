"""Throughput of the learner's pages against a bare Flask "hello" route, and the lesson page weight.

Both apps run under gunicorn on loopback with the same settings
(bench.common.GUNICORN_ARGS); the same load (keep-alive connections from
several client processes, for a fixed time) is sent to each, and the ratio of
requests per second is compared with the target (hello is measured before and
after the pages, and their mean is the baseline). The target holds for every
page measured: the public lesson (how a citizen following a link reads it), and
the lesson, course and dashboard pages of a signed-in learner who has enrolled
and read a lesson (one login before the clock starts, its cookies shared by the
connections). Page weight = the lesson HTML plus the CSS and JS it loads, each
compressed with gzip. The last line prints every ratio and the weight against
their targets; exit status 1 when one is missed.

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
COURSE = "/courses/nguoi-dan"
LESSON = COURSE + "/b05-dich-vu-cong/"
# The signed-in learner's pages (None: the lesson above).
LOGGED_IN = {"lesson (logged in)": None, "course (logged in)": COURSE, "dashboard (logged in)": "/dashboard"}
PROCESSES = 8


def load_process(port: int, path: str, cookies: dict[str, str], connections: int, seconds: float, ready, go, out) -> None:
    import threading

    counts = []
    errors = []
    browsers = []
    for _ in range(connections):
        browser = Browser(port)
        browser.cookies = dict(cookies)  # the learner's session, logged in once by the parent
        browsers.append(browser)
    ready.put(1)
    go.wait()  # every process connected before the clock starts

    def one(browser: Browser) -> None:
        done = bad = 0
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            response = browser.request("GET", path)
            if response.status == 200:
                done += 1
            else:
                bad += 1
        counts.append(done)
        errors.append(bad)

    threads = [threading.Thread(target=one, args=(browser,)) for browser in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put((sum(counts), sum(errors)))


def throughput(port: int, path: str, phone: str | None, connections: int, seconds: float) -> tuple[float, int]:
    """Requests per second for `path`, signed in as `phone` (one login: a password check costs
    far more than a page, so none happens while the clock runs)."""
    cookies: dict[str, str] = {}
    if phone:
        browser = Browser(port)
        browser.login(phone)
        cookies = browser.cookies
    context = multiprocessing.get_context("spawn")
    ready, out, go = context.Queue(), context.Queue(), context.Event()
    per_process = max(1, connections // PROCESSES)
    workers = [context.Process(target=load_process, args=(port, path, cookies, per_process, seconds, ready, go, out))
               for _ in range(min(PROCESSES, connections))]  # fmt: skip
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get()
    go.set()
    results = [out.get() for _ in workers]
    for worker in workers:
        worker.join()
    return sum(r[0] for r in results) / seconds, sum(r[1] for r in results)


def page_weight(port: int, path: str, phone: str) -> dict[str, int]:
    browser = Browser(port)
    browser.login(phone)
    html = browser.request("GET", path).body
    sizes = {"html": len(gzip.compress(html.encode(), 9))}
    for asset in re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))(?:\?v=[0-9a-f]+)?"', html):
        body = browser.request("GET", asset).body
        sizes[asset.rsplit("/", 1)[1]] = len(gzip.compress(body.encode(), 9))
    return sizes


def start_learning(port: int, phone: str, path: str) -> None:
    """Give the learner something to show: enrolled, the benchmark's lesson read."""
    browser = Browser(port)
    browser.login(phone)
    token = browser.csrf(COURSE)
    browser.request("POST", COURSE + "/enroll", {"csrf_token": token})
    token = browser.csrf(path)
    response = browser.request("POST", path + "/done", {"csrf_token": token})
    if response.status != 302:
        raise RuntimeError(f"could not mark {path} read: {response.status}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    args = parser.parse_args(argv)
    load = (args.connections, args.seconds)
    with scratch_database(args.db) as database_url:
        phones = prepare_database(database_url, 1)
        env = app_env(database_url)
        from bench.common import ROOT
        from lms.catalog.content import load_content

        bundle, _ = load_content(ROOT)
        first = bundle.modules["b05-dich-vu-cong"].lessons[0].slug
        path = LESSON + first
        rates: dict[str, float] = {}
        errors = 0
        # hello before and after the app's pages, so a change in the machine's other load
        # during the run moves the baseline as much as the pages.
        with gunicorn("bench.hello_app:app", env) as port:
            rates["hello"], bad = throughput(port, "/", None, *load)
            errors += bad
        with gunicorn("wsgi:app", env) as port:
            start_learning(port, phones[0], path)
            rates["lesson (public)"], bad = throughput(port, path, None, *load)
            errors += bad
            for name, page in LOGGED_IN.items():
                rates[name], bad = throughput(port, path if page is None else page, phones[0], *load)
                errors += bad
            sizes = page_weight(port, path, phones[0])
        with gunicorn("bench.hello_app:app", env) as port:
            again, bad = throughput(port, "/", None, *load)
            errors += bad
    hello = (rates["hello"] + again) / 2
    ratios = {name: rate / hello if hello else 0.0 for name, rate in rates.items() if name != "hello"}
    total_kb = sum(sizes.values()) / 1024
    ok = all(ratio >= TARGET_RATIO for ratio in ratios.values()) and total_kb <= TARGET_KB and errors == 0
    print(f"hello: {rates['hello']:.0f} req/s before the pages, {again:.0f} after; baseline {hello:.0f} req/s")
    print("; ".join(f"{name}: {rates[name]:.0f} req/s = {ratio:.2f} x hello" for name, ratio in ratios.items()))
    print("page weight (gzip): " + ", ".join(f"{k} {v / 1024:.1f} KB" for k, v in sizes.items()))
    print(
        "lesson_page: "
        + ", ".join(f"{name} {ratio:.2f}" for name, ratio in ratios.items())
        + f" x hello (target >= {TARGET_RATIO} each), weight {total_kb:.1f} KB (target <= {TARGET_KB:.0f} KB),"
        f" errors {errors} | {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
