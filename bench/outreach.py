"""Outreach log under load, and the commune's monthly report over a large log, on PostgreSQL.

1. A scratch database with one commune (Phường Ba Đình): VILLAGES villages, a team of
   members in each, HOUSEHOLDS households per village, a commune official; then ENTRIES
   entries put in by SQL (all in this commune, the worst case for its report) and their counters
   built by SQL aggregates the way the receivers would have kept them.
2. Gunicorn (bench.common.GUNICORN_ARGS). MEMBERS members, each logged in once beforehand, send
   entries to POST /api/fieldwork/entries for SECONDS seconds, each waiting THINK_MIN..THINK_MAX
   seconds between entries (a person at the door needs far longer); the latency of each entry is
   measured on the client. Every 201 must be in the database afterwards, and the country's
   counters must equal a direct count of the entries (0 lost).
3. The official downloads the monthly report (XLSX and PDF) and opens the commune's progress
   page REPORT_ROUNDS times each; median and p99.

The last line prints the figures and targets; the exit status is 1 when one is missed.

    python -m bench.outreach [--members 200] [--seconds 60] [--entries 1000000]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import random
import subprocess
import sys
import threading
import time
import uuid
from datetime import date, timedelta

from bench.common import ROOT, Browser, app_env, gunicorn, percentile, scratch_database

TARGET_ENTRY_P99_MS = 50.0
TARGET_REPORT_MS = 200.0
VILLAGES = 20
HOUSEHOLDS = 300
THINK_MIN, THINK_MAX = 1.0, 3.0
PROCESSES = 8
REPORT_ROUNDS = 15
COMMUNE = "00004"
PASSWORD = "mat-khau-bench-1"
TASKS = ("dich-vu-cong", "thanh-toan", "thuong-mai-dien-tu", "an-toan-mang", "nen-tang-khac")


def prepare(database_url: str, members: int, entries: int) -> dict:
    script = f"""
import json
from sqlalchemy import text
from lms import create_app
from lms.core.extensions import db
app = create_app({{"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": {database_url!r}}})
with app.app_context():
    from flask_migrate import upgrade
    upgrade()
    from lms.places.services import import_places, load_divisions
    import_places(load_divisions())
    from lms.accounts.models import Role
    from lms.accounts.services import assign_role, register_user
    from lms.places.households import label_key
    from lms.places.models import Household, Team, TeamMembership, Village
    villages = []
    for v in range({VILLAGES}):
        village = Village(commune_code={COMMUNE!r}, name=f"Thôn {{v + 1}}", kind="thôn")
        db.session.add(village)
        db.session.flush()
        team = Team(village_id=village.id, commune_code={COMMUNE!r}, name=f"Tổ {{v + 1}}")
        db.session.add(team)
        db.session.flush()
        homes = []
        for h in range({HOUSEHOLDS}):
            label = f"Số {{h + 1}}, ngõ {{v + 1}}"
            row = Household(village_id=village.id, commune_code={COMMUNE!r}, label=label, label_key=label_key(label))
            db.session.add(row)
            homes.append(row)
        db.session.flush()
        villages.append((village.id, team.id, [r.id for r in homes]))
    phones = []
    for i in range({members}):
        phone = f"09{{i:08d}}"
        user = register_user(phone=phone, password={PASSWORD!r}, full_name="Thành Viên", consent=True, commune_code={COMMUNE!r})
        village_id, team_id, homes = villages[i % len(villages)]
        db.session.add(TeamMembership(team_id=team_id, user_id=user.id))
        phones.append((phone, user.id, team_id, village_id, homes))
    official = register_user(
        phone="0999999999", password={PASSWORD!r}, full_name="Cán Bộ", consent=True, commune_code={COMMUNE!r}
    )
    assign_role(official, Role.COMMUNE_OFFICIAL, commune_code={COMMUNE!r})
    db.session.commit()
    # The large log, unique by (household, task, day): entry i is household i mod H, task
    # (i div H) mod 5, day (i div 5H) days before the load's days.
    first_household = min(min(v[2]) for v in villages)
    count_households = {VILLAGES} * {HOUSEHOLDS}
    db.session.execute(text('''
        INSERT INTO outreach_entries (client_id, member_id, team_id, village_id, commune_code, household_id, task_code,
            done_on, outcome, people, revision, created_at, updated_at)
        SELECT md5(i::text)::uuid::text, NULL, h.village_team, h.village_id, :commune, h.id,
            (ARRAY['dich-vu-cong','thanh-toan','thuong-mai-dien-tu','an-toan-mang','nen-tang-khac'])[1 + (i / :n) % 5],
            current_date - 400 + (i / (5 * :n)) % 390,
            CASE WHEN i % 4 = 0 THEN 'follow_up' ELSE 'done' END, 1 + i % 3, 1,
            now() - interval '30 days', now() - interval '30 days'
        FROM generate_series(0, :entries - 1) AS i
        JOIN (SELECT households.id, households.village_id, teams.id AS village_team,
                     row_number() OVER (ORDER BY households.id) - 1 AS k
              FROM households JOIN teams ON teams.village_id = households.village_id) AS h ON h.k = i % :n
    '''), {{"commune": {COMMUNE!r}, "n": count_households, "entries": {entries}}})
    # Counters as the writers keep them: per place, task, month and shard (household id mod 16).
    db.session.execute(text('''
        WITH e AS (
            SELECT e.*, c.province_code FROM outreach_entries e JOIN communes c ON c.code = e.commune_code
        ), firsts AS (
            SELECT household_id, task_code, min(done_on) AS first_done_on FROM outreach_entries
            WHERE outcome = 'done' GROUP BY household_id, task_code
        ), ins AS (
            INSERT INTO outreach_household_tasks (household_id, task_code, first_done_on) SELECT * FROM firsts
        ), places AS (
            SELECT 'country' AS level, 'VN' AS place, e.* FROM e
            UNION ALL SELECT 'province', e.province_code, e.* FROM e
            UNION ALL SELECT 'commune', e.commune_code, e.* FROM e
            UNION ALL SELECT 'village', e.village_id::text, e.* FROM e
            UNION ALL SELECT 'team', e.team_id::text, e.* FROM e
        )
        INSERT INTO outreach_counts (level, place, task_code, month, shard, entries, done, follow_up, people, households)
        SELECT p.level, p.place, p.task_code, date_trunc('month', p.done_on)::date, p.household_id % 16, count(*),
            count(*) FILTER (WHERE p.outcome = 'done'), count(*) FILTER (WHERE p.outcome = 'follow_up'),
            coalesce(sum(p.people) FILTER (WHERE p.outcome = 'done'), 0),
            count(*) FILTER (WHERE p.outcome = 'done' AND f.first_done_on = p.done_on)
        FROM places p LEFT JOIN firsts f ON f.household_id = p.household_id AND f.task_code = p.task_code
        GROUP BY 1, 2, 3, 4, 5
    '''))
    db.session.commit()
    db.session.execute(text("ANALYZE"))
    print(json.dumps({{"members": phones}}))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], check=True, env=app_env(database_url), cwd=ROOT, capture_output=True, text=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def member_process(port: int, members: list, seconds: float, seed: int, out, ready) -> None:
    results: list = []
    lock = threading.Lock()
    browsers = []
    for phone, _user, _team, _village, homes in members:
        browser = Browser(port)
        browser.login(phone)
        token = browser.csrf("/field/outreach")
        browsers.append((browser, token, homes))
    ready.put(len(browsers))

    def member(browser: Browser, token: str, homes: list[int], rng: random.Random) -> None:
        today = date.today()
        deadline = time.monotonic() + seconds
        time.sleep(rng.uniform(0, THINK_MAX))
        while time.monotonic() < deadline:
            client_id = str(uuid.uuid4())
            entry = {
                "client_id": client_id,
                "date": (today - timedelta(days=rng.randrange(0, 10))).isoformat(),
                "household": str(rng.choice(homes)),
                "task": rng.choice(TASKS),
                "outcome": rng.choice(("done", "done", "follow_up")),
                "people": str(rng.randint(1, 4)),
            }
            body = json.dumps(entry)
            started = time.perf_counter()
            status, answer = _post_json(browser, "/api/fieldwork/entries", body, token)
            elapsed = (time.perf_counter() - started) * 1000
            # The baseline under the same load, from the same member: a route that touches nothing.
            started = time.perf_counter()
            browser.request("GET", "/healthz")
            baseline = (time.perf_counter() - started) * 1000
            with lock:
                results.append((elapsed, status, client_id, answer.get("id"), baseline))
            time.sleep(rng.uniform(THINK_MIN, THINK_MAX))

    threads = [
        threading.Thread(target=member, args=(b, t, h, random.Random(seed * 1000 + i))) for i, (b, t, h) in enumerate(browsers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put(results)


def _post_json(browser: Browser, path: str, body: str, token: str) -> tuple[int, dict]:
    """POST JSON; a keep-alive connection the server closed is opened again and the entry sent
    again, which the client id makes safe (as the phone's queue does)."""
    headers = {"Content-Type": "application/json", "X-CSRFToken": token}
    headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in browser.cookies.items())
    for attempt in range(2):
        try:
            browser.conn.request("POST", path, body=body.encode(), headers=headers)
            raw = browser.conn.getresponse()
            break
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            browser.conn.close()
            browser.conn = http.client.HTTPConnection("127.0.0.1", browser.port, timeout=30)
            if attempt:
                raise
    data = raw.read()
    try:
        return raw.status, json.loads(data)
    except ValueError:
        return raw.status, {}


def check_stored(database_url: str, stored: list[str]) -> tuple[int, int, int]:
    """(stored client ids missing from the database, entries in the database, the country's entries counter)."""
    import psycopg

    url = database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as conn:
        found = {row[0] for row in conn.execute("SELECT client_id FROM outreach_entries WHERE client_id = ANY(%s)", (stored,))}
        total = conn.execute("SELECT count(*) FROM outreach_entries").fetchone()[0]
        counted = conn.execute("SELECT coalesce(sum(entries), 0) FROM outreach_counts WHERE level = 'country'").fetchone()[0]
    return len(set(stored) - found), total, counted


def time_get(browser: Browser, path: str, rounds: int) -> tuple[float, float]:
    browser.request("GET", path)  # warm-up
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = browser.request("GET", path)
        times.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status}")
    return percentile(times, 0.5), percentile(times, 0.99)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--entries", type=int, default=1_000_000)
    args = parser.parse_args()
    with scratch_database("postgresql") as url:
        began = time.monotonic()
        world = prepare(url, args.members, args.entries)
        print(f"prepared {args.members} members and {args.entries:,} entries in {time.monotonic() - began:.0f} s", flush=True)
        env = app_env(url)
        with gunicorn("wsgi:app", env) as port:
            context = multiprocessing.get_context("spawn")
            out, ready = context.Queue(), context.Queue()
            members = world["members"]
            count = min(PROCESSES, len(members))
            workers = [
                context.Process(target=member_process, args=(port, members[i::count], args.seconds, i, out, ready))
                for i in range(count)
            ]
            for worker in workers:
                worker.start()
            for _ in workers:
                ready.get()
            results = [r for _ in workers for r in out.get()]
            for worker in workers:
                worker.join()
            official = Browser(port)
            official.login("0999999999")
            month = date.today().strftime("%Y-%m")
            report_xlsx = time_get(official, f"/fieldwork/commune/{COMMUNE}/report?month={month}&format=xlsx", REPORT_ROUNDS)
            pdf_path = f"/fieldwork/commune/{COMMUNE}/report?month={month}&format=pdf"
            started = time.perf_counter()
            official.request("GET", pdf_path)  # the first render (WeasyPrint), before the cache holds it
            pdf_cold = (time.perf_counter() - started) * 1000
            report_pdf = time_get(official, pdf_path, REPORT_ROUNDS)
            page = time_get(official, f"/fieldwork/commune/{COMMUNE}", REPORT_ROUNDS)
        latencies = [r[0] for r in results]
        stored = [r[2] for r in results if r[1] == 201]
        refused = sum(1 for r in results if r[1] in (409, 422))
        failed = sum(1 for r in results if r[1] not in (200, 201, 409, 422))
        missing, total, counted = check_stored(url, stored)
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    base = [r[4] for r in results]
    base50, base99 = percentile(base, 0.5), percentile(base, 0.99)
    lost = missing + failed + abs(total - counted)
    print(f"entries sent {len(results)}, stored {len(stored)}, refused as duplicates {refused}, failed {failed}")
    print(f"entry latency p50 {p50:.1f} ms, p99 {p99:.1f} ms; database {total:,} entries, country counter {counted:,}")
    print(f"baseline /healthz under the same load p50 {base50:.1f} ms, p99 {base99:.1f} ms; "
          f"entry / baseline p50 {p50 / base50:.1f}x, p99 {p99 / base99:.1f}x")  # fmt: skip
    print(f"monthly report xlsx p50 {report_xlsx[0]:.0f} ms p99 {report_xlsx[1]:.0f} ms; "
          f"pdf first render {pdf_cold:.0f} ms, again p50 {report_pdf[0]:.0f} ms p99 {report_pdf[1]:.0f} ms; "
          f"progress page p50 {page[0]:.0f} ms")  # fmt: skip
    ok = p99 <= TARGET_ENTRY_P99_MS and lost == 0 and report_xlsx[0] <= TARGET_REPORT_MS and report_pdf[0] <= TARGET_REPORT_MS
    print(
        f"outreach: members={args.members} seconds={args.seconds:g} entries={args.entries} "
        f"entry_p99_ms={p99:.1f} (target <= {TARGET_ENTRY_P99_MS:g}) healthz_p99_ms={base99:.1f} lost={lost} (target 0) "
        f"report_xlsx_p50_ms={report_xlsx[0]:.0f} report_pdf_p50_ms={report_pdf[0]:.0f} (target <= {TARGET_REPORT_MS:g}) "
        f"pdf_first_render_ms={pdf_cold:.0f} "
        f"{'OK' if ok else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
