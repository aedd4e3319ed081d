"""Monthly scorecards at national size, on PostgreSQL.

Seeds 80,000 teams (one village each, spread over all 3,321 communes of the 34 provinces), three
members per team, five households per village and two citizens in two of them, with
certificates, completions, lesson reads and registrations at the door before the month's end;
then times `scorecards.compute_month` (what `flask lms scorecards-compute` runs) for every team,
commune and province, and the province scorecard page (communes ranked by score, the largest
province) under gunicorn: p50/p99 of sequential requests by a signed-in admin.

Targets: the month computed in <= 300 s, the province honour roll page p50 <= 100 ms. The last line prints
the figures and targets; exit status 1 when one is missed.

    python -m bench.scorecards [--teams 80000] [--members 3] [--requests 40]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date

from bench.common import PASSWORD, Browser, app_env, gunicorn, percentile, scratch_database

TARGET_COMPUTE_S = 300.0
TARGET_P50_MS = 100.0
ADMIN_PHONE = "0900000001"
MONTH = date(2026, 6, 1)  # data from January to June 2026; June ends 2026-06-30 17:00 UTC
BEFORE = "TIMESTAMPTZ '2026-01-15 03:00+00'"
IN_JUNE = "TIMESTAMPTZ '2026-06-20 03:00+00'"


def _app(database_url: str):
    from lms import create_app

    return create_app({"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench-only"})


def seed(database_url: str, teams: int, members: int) -> float:
    from flask_migrate import upgrade

    from lms.accounts.models import Role
    from lms.accounts.services import create_account
    from lms.catalog.services import sync_from_disk
    from lms.core.extensions import db
    from lms.places.services import import_places, load_divisions

    started = time.perf_counter()
    app = _app(database_url)
    with app.app_context():
        upgrade()
        import_places(load_divisions())
        sync_from_disk()
        create_account(ADMIN_PHONE, "Quản Trị Viên", PASSWORD, Role.ADMIN)
        db.session.commit()

        def run(sql: str, **params) -> None:
            db.session.execute(db.text(sql), params)

        citizens = db.session.scalar(db.text("SELECT id FROM courses WHERE slug = 'nguoi-dan'"))
        members_course = db.session.scalar(db.text("SELECT id FROM courses WHERE slug = 'thanh-vien'"))
        lesson = db.session.scalar(db.text("SELECT id FROM lessons ORDER BY id LIMIT 1"))
        run(
            "CREATE TABLE bench_communes AS SELECT code, province_code, "
            "(row_number() OVER (ORDER BY code)) - 1 AS n FROM communes"
        )
        run("CREATE UNIQUE INDEX ON bench_communes (n)")
        communes = db.session.scalar(db.text("SELECT count(*) FROM bench_communes"))
        run(
            f"INSERT INTO villages (commune_code, name, kind, created_at) SELECT c.code, 'Thôn ' || i, 'thôn', {BEFORE} "
            "FROM generate_series(0, CAST(:teams AS int) - 1) AS i JOIN bench_communes c ON c.n = i % :communes",
            teams=teams,
            communes=communes,
        )
        run(
            "INSERT INTO teams (village_id, commune_code, name, created_at) "
            f"SELECT id, commune_code, 'Tổ công nghệ số ' || id, {BEFORE} FROM villages"
        )
        run("CREATE TABLE bench_teams AS SELECT id, (row_number() OVER (ORDER BY id)) - 1 AS n, commune_code FROM teams")
        run("CREATE UNIQUE INDEX ON bench_teams (n)")
        person = (
            "INSERT INTO users (phone, full_name, name_key, password_hash, home_commune_code, household_id,"
            " session_version, is_disabled, created_at, consent_at, consent_version) "
        )
        run(
            person + f"SELECT '+8492' || lpad(i::text, 7, '0'), 'Thành Viên ' || i, 'thanh vien ' || i, '!', t.commune_code,"
            f" NULL, 1, false, {BEFORE}, {BEFORE}, 'bench' "
            "FROM generate_series(0, CAST(:people AS int) - 1) AS i JOIN bench_teams t ON t.n = i / :members",
            people=teams * members,
            members=members,
        )
        run(
            "INSERT INTO team_memberships (team_id, user_id, is_leader, added_at) "
            f"SELECT t.id, u.id, substr(u.phone, 6)::int % :members = 0, {BEFORE} "
            "FROM users u JOIN bench_teams t ON t.n = substr(u.phone, 6)::int / :members WHERE u.phone LIKE '+8492%'",
            members=members,
        )
        run(
            "INSERT INTO households (village_id, commune_code, label, label_key, created_at) "
            f"SELECT v.id, v.commune_code, 'Nhà ' || k, 'nha ' || k, {BEFORE} "
            "FROM villages v CROSS JOIN generate_series(1, 5) AS k"
        )
        run(
            person + "SELECT '+8493' || lpad(h.id::text, 7, '0'), 'Người Dân ' || h.id, 'nguoi dan ' || h.id, '!',"
            f" h.commune_code, h.id, 1, false, {BEFORE}, {BEFORE}, 'bench' FROM households h WHERE h.id % 5 < 2"
        )
        citizens_where = "u.phone LIKE '+8493%' AND u.id % 2 = 0"
        run(
            f"INSERT INTO course_completions (user_id, course_id, completed_at) SELECT u.id, :course, {BEFORE} "
            f"FROM users u WHERE {citizens_where}",
            course=citizens,
        )
        certificate = (
            "INSERT INTO certificates (code, user_id, course_id, printed_name, course_title, certificate_title,"
            " issuer_name, issued_at, revision) "
        )
        run(
            certificate + f"SELECT 'C' || lpad(u.id::text, 11, '0'), u.id, :course, u.full_name, 'Khóa', 'Chứng nhận',"
            f" 'Bench', {BEFORE}, 1 FROM users u WHERE {citizens_where}",
            course=citizens,
        )
        run(
            certificate + f"SELECT 'M' || lpad(u.id::text, 11, '0'), u.id, :course, u.full_name, 'Khóa', 'Chứng nhận',"
            f" 'Bench', {BEFORE}, 1 FROM users u WHERE u.phone LIKE '+8492%' AND u.id % 3 <> 0",
            course=members_course,
        )
        run(
            f"INSERT INTO lesson_progress (user_id, lesson_id, read_at, content_hash) SELECT u.id, :lesson, {IN_JUNE}, 'x' "
            "FROM users u WHERE u.phone LIKE '+8492%' AND u.id % 2 = 0",
            lesson=lesson,
        )
        run(
            "INSERT INTO assisted_registrations (citizen_id, member_id, household_id, consent_read_aloud_at, created_at) "
            f"SELECT u.id, m.user_id, u.household_id, {IN_JUNE}, {IN_JUNE} FROM users u "
            "JOIN households h ON h.id = u.household_id JOIN teams t ON t.village_id = h.village_id "
            "JOIN team_memberships m ON m.team_id = t.id AND m.is_leader "
            "WHERE u.phone LIKE '+8493%' AND u.id % 4 = 1"
        )
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
    return time.perf_counter() - started


def compute(database_url: str) -> tuple[float, dict[str, int]]:
    from lms.core.extensions import db
    from lms.reports import scorecards

    app = _app(database_url)
    with app.app_context():
        started = time.perf_counter()
        outcome = scorecards.compute_month(MONTH)
        db.session.commit()
        elapsed = time.perf_counter() - started
        db.session.execute(db.text("ANALYZE scorecards"))
        db.session.commit()
    return elapsed, outcome.written or {}


def timings(port: int, path: str, requests: int) -> tuple[float, float]:
    browser = Browser(port)
    browser.login(ADMIN_PHONE)
    for _ in range(3):
        if browser.request("GET", path).status != 200:
            raise RuntimeError(f"{path}: not 200")
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        response = browser.request("GET", path)
        samples.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status}")
    return percentile(samples, 0.5), percentile(samples, 0.99)


def hello_p50(port: int, requests: int) -> float:
    """The bare hello route's p50 in this run: how loaded the machine is."""
    browser = Browser(port)
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        browser.request("GET", "/")
        samples.append((time.perf_counter() - started) * 1000)
    return percentile(samples, 0.5)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--teams", type=int, default=80_000)
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args(argv)
    with scratch_database("postgresql") as database_url:
        seeded = seed(database_url, args.teams, args.members)
        print(f"seeded {args.teams:,} teams x {args.members} members in {seeded:.0f} s", flush=True)
        elapsed, written = compute(database_url)
        print(f"scorecards of {MONTH:%Y-%m}: {written} in {elapsed:.1f} s", flush=True)
        with _app(database_url).app_context():
            from lms.core.extensions import db

            province = db.session.scalar(
                db.text("SELECT province_code FROM communes GROUP BY province_code ORDER BY count(*) DESC LIMIT 1")
            )
        honour = f"/honour/{province}?month={MONTH:%Y-%m}"
        ranking = f"/reports/scorecards/provinces/{province}?month={MONTH:%Y-%m}"
        env = app_env(database_url)
        with gunicorn("bench.hello_app:app", env) as port:
            hello = hello_p50(port, args.requests)
        with gunicorn("wsgi:app", env) as port:
            p50, p99 = timings(port, honour, args.requests)
            ranking_p50, ranking_p99 = timings(port, ranking, args.requests)
        print(f"  honour roll {honour}: p50 {p50:.1f} ms, p99 {p99:.1f} ms; hello p50 {hello:.1f} ms", flush=True)
        print(f"  scorecard ranking {ranking}: p50 {ranking_p50:.1f} ms, p99 {ranking_p99:.1f} ms", flush=True)
    ok = elapsed <= TARGET_COMPUTE_S and p50 <= TARGET_P50_MS and written.get("team") == args.teams
    print(
        f"scorecards: {written.get('team', 0):,} teams, {written.get('commune', 0):,} communes,"
        f" {written.get('province', 0)} provinces computed in {elapsed:.1f} s (target <= {TARGET_COMPUTE_S:.0f});"
        f" province honour roll p50 {p50:.1f} ms (target <= {TARGET_P50_MS:.0f}), {p50 / hello:.1f} x hello's p50 in the same run"
        f" | {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
