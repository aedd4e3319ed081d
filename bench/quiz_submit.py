"""Quiz submission under 32 concurrent learners, on SQLite and PostgreSQL.

Each learner logs in, then repeatedly starts an attempt, opens it, thinks for a
moment (random 1–3 s; a person needs minutes for ten questions), and submits all answers in one
form post; the submit latency is measured on the client, after one warm-up
round. Afterwards the
database is checked: every submitted attempt holds exactly the answers sent,
graded once. Gunicorn runs with the same settings as the other benchmarks
(bench.common.GUNICORN_ARGS). The last line prints the figures and targets;
the exit status is 1 when a target is missed.

    python -m bench.quiz_submit [--db sqlite|postgresql|both] [--learners 32] [--rounds 8]
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import re
import sys
import threading
import time

from bench.common import Browser, app_env, gunicorn, percentile, prepare_database, scratch_database

TARGET_P99_MS = 50.0
# Seconds a learner waits between actions: far quicker than a person reading ten
# questions, so the 32 learners keep the server busier than 32 real people would.
THINK_MIN, THINK_MAX = 1.0, 3.0
PROCESSES = 16
FIELD_RE = re.compile(r'<input type="(radio|checkbox)" name="(q\d+)" value="([^"]+)"')


def learner_process(port: int, phones: list[str], rounds: int, seed: int, out, ready) -> None:
    results = []
    lock = threading.Lock()

    def learner(phone: str, rng: random.Random) -> None:
        browser = Browser(port)
        try:
            browser.login(phone)
            # Logins (deliberately slow password hashing) finish before anything is measured.
            ready.wait()
            quiz = "/courses/nguoi-dan/b06-thanh-toan/quiz"
            # One unmeasured round first: every worker process compiles its templates and
            # statements once, as a server that has been up for a while already has.
            for round_number in range(rounds + 1):
                token = browser.csrf(quiz)
                started = browser.request("POST", quiz + "/start", {"csrf_token": token})
                attempt_path = started.headers["location"]
                page = browser.request("GET", attempt_path)
                chosen: dict[str, list[str]] = {}
                for kind, name, value in FIELD_RE.findall(page.body):
                    if name not in chosen or (kind == "checkbox" and rng.random() < 0.5):
                        chosen.setdefault(name, [])
                        if value not in chosen[name]:
                            chosen[name].append(value)
                time.sleep(rng.uniform(THINK_MIN, THINK_MAX))
                form = [("csrf_token", token), ("submit", "1")] + [(n, v) for n, vs in chosen.items() for v in vs]
                began = time.perf_counter()
                response = browser.request("POST", attempt_path, form)
                elapsed = (time.perf_counter() - began) * 1000
                ok = response.status == 302 and response.headers.get("location", "").endswith("/result")
                attempt_id = int(attempt_path.rsplit("/", 1)[1])
                with lock:
                    results.append((attempt_id, elapsed if round_number else None, ok, chosen))
                time.sleep(rng.uniform(THINK_MIN, THINK_MAX))
        except Exception as error:  # counted as an error by the parent
            with lock:
                results.append((None, 0.0, False, {"error": [repr(error)]}))

    threads = [threading.Thread(target=learner, args=(phone, random.Random(seed + i))) for i, phone in enumerate(phones)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put(results)


def verify(database_url: str, results) -> tuple[int, int]:
    """(lost, doubled): answers missing or different from what was sent; attempts graded more than once."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    lost = doubled = 0
    with engine.connect() as conn:
        for attempt_id, _, ok, chosen in results:
            if attempt_id is None or not ok:
                continue
            state = conn.execute(text("SELECT state, correct_count FROM quiz_attempts WHERE id = :i"), {"i": attempt_id}).one()
            rows = conn.execute(
                text("SELECT version_id, chosen FROM attempt_answers WHERE attempt_id = :i"), {"i": attempt_id}
            ).all()
            stored = {}
            for version_id, value in rows:
                if f"q{version_id}" in stored:
                    doubled += 1
                stored[f"q{version_id}"] = sorted(value if isinstance(value, list) else __import__("json").loads(value))
            sent = {name: sorted(values) for name, values in chosen.items()}
            if state[0] != "submitted" or any(stored.get(name) != values for name, values in sent.items()):
                lost += 1
    engine.dispose()
    return lost, doubled


def run(kind: str, learners: int, rounds: int) -> dict:
    with scratch_database(kind) as database_url:
        phones = prepare_database(database_url, learners)
        with gunicorn("wsgi:app", app_env(database_url)) as port:
            context = multiprocessing.get_context("spawn")
            queue = context.Queue()
            ready = context.Barrier(learners)
            groups = [phones[i::PROCESSES] for i in range(PROCESSES)]
            workers = [context.Process(target=learner_process, args=(port, g, rounds, 1000 * n, queue, ready))
                       for n, g in enumerate(groups) if g]  # fmt: skip
            for worker in workers:
                worker.start()
            results = [item for _ in workers for item in queue.get()]
            for worker in workers:
                worker.join()
        lost, doubled = verify(database_url, results)
    latencies = [elapsed for _, elapsed, ok, _ in results if ok and elapsed is not None]
    errors = sum(1 for _, _, ok, _ in results if not ok)
    expected = learners * rounds
    return {
        "db": kind,
        "submits": len(latencies),
        "expected": expected,
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
        "errors": errors + (learners * (rounds + 1) - len(results)),
        "lost": lost,
        "doubled": doubled,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--learners", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    failed = False
    parts = []
    for kind in kinds:
        r = run(kind, args.learners, args.rounds)
        ok = r["p99"] <= TARGET_P99_MS and r["errors"] == 0 and r["lost"] == 0 and r["doubled"] == 0
        failed |= not ok
        print(f"{kind}: {r['submits']}/{r['expected']} submits, p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, "
              f"errors {r['errors']}, lost {r['lost']}, doubled {r['doubled']} — {'OK' if ok else 'MISSED'}")  # fmt: skip
        parts.append(f"{kind} p99 {r['p99']:.1f} ms errors {r['errors']} lost {r['lost']} doubled {r['doubled']}")
    print(f"quiz_submit ({args.learners} learners): " + "; ".join(parts)
          + f" | target p99 <= {TARGET_P99_MS:.0f} ms, 0 errors, 0 lost, 0 doubled | {'FAIL' if failed else 'PASS'}")  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
