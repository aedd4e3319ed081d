"""Dashboards at a million learners, on PostgreSQL.

Seeds synthetic learners across all 3,321 communes (each enrolled in the citizens' course, a
third in the members' course too; 70 % started, 40 % completed, spread over 200 days), a
village and a team per commune, one member in twenty in their commune's team, and one team of
1,000 members. The counters are built with `rollups.rebuild()` (timed and printed), then the
national, province and commune dashboards are timed under gunicorn at 100,000 and again at
1,000,000 learners (p50/p99 of sequential requests by a signed-in admin).

Throughput of the commune dashboard and of the 1,000-member team's progress page (the people
list filtered by that team) is compared with the bare hello route in the same run.

Targets: p50 ≤ 100 ms at 1,000,000 for each dashboard, 1M/100k p50 ratio ≤ 1.5, throughput
≥ 0.25 × hello. The last line prints the figures and targets; exit status 1 when one is missed.

    python -m bench.dashboard [--small 100000] [--large 1000000] [--requests 40] [--seconds 6]
"""

from __future__ import annotations

import argparse
import sys
import time

from bench.common import PASSWORD, Browser, app_env, gunicorn, load, percentile, scratch_database

TARGET_P50_MS = 100.0
TARGET_GROWTH = 1.5
TARGET_RATIO = 0.25
BIG_TEAM = 1000
ADMIN_PHONE = "0900000001"


def _app(database_url: str):
    from lms import create_app

    return create_app({"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench-only"})


def prepare(database_url: str) -> None:
    from flask_migrate import upgrade

    from lms.accounts.models import Role
    from lms.accounts.services import create_account
    from lms.catalog.services import sync_from_disk
    from lms.core.extensions import db
    from lms.places.services import import_places, load_divisions

    app = _app(database_url)
    with app.app_context():
        upgrade()
        import_places(load_divisions())
        sync_from_disk()
        create_account(ADMIN_PHONE, "Quản Trị Viên", PASSWORD, Role.ADMIN)
        db.session.execute(
            db.text(
                "CREATE TABLE bench_communes AS SELECT code, province_code, "
                "(row_number() OVER (ORDER BY code)) - 1 AS n FROM communes"
            )
        )
        db.session.execute(db.text("CREATE UNIQUE INDEX ON bench_communes (n)"))
        db.session.execute(
            db.text(
                "INSERT INTO villages (commune_code, name, kind, created_at) "
                "SELECT code, 'Thôn Một', 'thôn', now() FROM bench_communes"
            )
        )
        db.session.execute(
            db.text(
                "INSERT INTO teams (village_id, commune_code, name, created_at) "
                "SELECT v.id, v.commune_code, 'Tổ công nghệ số cộng đồng thôn Một', now() FROM villages v"
            )
        )
        db.session.commit()


def seed(database_url: str, first: int, last: int) -> float:
    """Learners first..last (inclusive); returns the seconds it took."""
    from lms.core.extensions import db

    started = time.perf_counter()
    app = _app(database_url)
    with app.app_context():
        params = {"first": first, "last": last}
        communes = db.session.scalar(db.text("SELECT count(*) FROM bench_communes"))
        params["communes"] = communes
        citizens = db.session.scalar(db.text("SELECT id FROM courses WHERE slug = 'nguoi-dan'"))
        members = db.session.scalar(db.text("SELECT id FROM courses WHERE slug = 'thanh-vien'"))
        db.session.execute(
            db.text(
                "INSERT INTO users (phone, full_name, name_key, password_hash, home_commune_code, session_version,"
                " is_disabled, created_at, consent_at, consent_version) "
                "SELECT '+8491' || lpad(i::text, 7, '0'), 'Người Học ' || i, 'nguoi hoc ' || i, '!', c.code, 1, false,"
                " now(), now(), 'bench' "
                "FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS i"
                " JOIN bench_communes c ON c.n = i % :communes"
            ),
            params,
        )
        for course_id, share in ((citizens, 1), (members, 3)):
            db.session.execute(
                db.text(
                    "INSERT INTO enrollments (user_id, course_id, enrolled_at, last_activity_at, started_at) "
                    "SELECT u.id, :course, now() - make_interval(days => ((u.id::bigint * 7919) % 200)::int),"
                    " now() - make_interval(days => ((u.id::bigint * 7919) % 200)::int / 2),"
                    " CASE WHEN u.id % 10 < 7 THEN now() - make_interval(days => ((u.id::bigint * 7919) % 200)::int / 2) END "
                    "FROM users u WHERE u.phone LIKE '+8491%' AND u.id % :share = 0"
                    " AND substr(u.phone, 6)::int BETWEEN CAST(:first AS int) AND CAST(:last AS int)"
                ),
                {**params, "course": course_id, "share": share},
            )
            db.session.execute(
                db.text(
                    "INSERT INTO course_completions (user_id, course_id, completed_at) "
                    "SELECT e.user_id, e.course_id, e.enrolled_at + make_interval(days => e.user_id % 40) "
                    "FROM enrollments e JOIN users u ON u.id = e.user_id "
                    "WHERE e.course_id = :course AND e.user_id % 10 < 4"
                    " AND substr(u.phone, 6)::int BETWEEN CAST(:first AS int) AND CAST(:last AS int)"
                ),
                {**params, "course": course_id},
            )
        db.session.execute(
            db.text(
                "INSERT INTO team_memberships (team_id, user_id, is_leader, added_at) "
                "SELECT t.id, u.id, false, now() FROM users u JOIN teams t ON t.commune_code = u.home_commune_code "
                "WHERE u.phone LIKE '+8491%' AND u.id % 20 = 0"
                " AND substr(u.phone, 6)::int BETWEEN CAST(:first AS int) AND CAST(:last AS int)"
            ),
            params,
        )
        db.session.commit()
    return time.perf_counter() - started


def big_team(database_url: str) -> tuple[str, int]:
    """A team of 1,000 members in one commune (people seeded there if needed)."""
    from lms.core.extensions import db

    app = _app(database_url)
    with app.app_context():
        commune = db.session.scalar(db.text("SELECT code FROM bench_communes WHERE n = 1"))
        village = db.session.scalar(db.text("SELECT id FROM villages WHERE commune_code = :c"), {"c": commune})
        team = db.session.scalar(
            db.text(
                "INSERT INTO teams (village_id, commune_code, name, created_at) "
                "VALUES (:v, :c, 'Tổ một nghìn thành viên', now()) RETURNING id"
            ),
            {"v": village, "c": commune},
        )
        db.session.execute(
            db.text(
                "INSERT INTO team_memberships (team_id, user_id, is_leader, added_at) "
                "SELECT :t, id, false, now() FROM users WHERE home_commune_code = :c ORDER BY id LIMIT :n"
            ),
            {"t": team, "c": commune, "n": BIG_TEAM},
        )
        db.session.commit()
        return commune, team


def rebuild(database_url: str) -> float:
    from lms.core.extensions import db
    from lms.reports import rollups

    started = time.perf_counter()
    app = _app(database_url)
    with app.app_context():
        rollups.rebuild()
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
    return time.perf_counter() - started


def timings(port: int, paths: dict[str, str], requests: int) -> dict[str, tuple[float, float]]:
    browser = Browser(port)
    browser.login(ADMIN_PHONE)
    result = {}
    for name, path in paths.items():
        for _ in range(3):
            response = browser.request("GET", path)
            if response.status != 200:
                raise RuntimeError(f"{path}: {response.status}")
        samples = []
        for _ in range(requests):
            started = time.perf_counter()
            response = browser.request("GET", path)
            samples.append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                raise RuntimeError(f"{path}: {response.status}")
        result[name] = (percentile(samples, 0.5), percentile(samples, 0.99))
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args(argv)
    results: dict[int, dict[str, tuple[float, float]]] = {}
    with scratch_database("postgresql") as database_url:
        prepare(database_url)
        env = app_env(database_url)
        with _app(database_url).app_context():
            from lms.core.extensions import db

            province = db.session.scalar(
                db.text("SELECT province_code FROM communes GROUP BY province_code ORDER BY count(*) DESC LIMIT 1")
            )
            commune = db.session.scalar(db.text("SELECT code FROM bench_communes WHERE n = 2"))
        paths = {
            "national": "/reports/vn",
            "province": f"/reports/provinces/{province}",
            "commune": f"/reports/communes/{commune}",
        }
        done = 0
        for size in (args.small, args.large):
            seeded = seed(database_url, done + 1, size)
            done = size
            built = rebuild(database_url)
            print(f"{size:,} learners: seeded in {seeded:.0f} s, rollups rebuilt in {built:.0f} s", flush=True)
            with gunicorn("wsgi:app", env) as port:
                results[size] = timings(port, paths, args.requests)
            for name, (p50, p99) in results[size].items():
                print(f"  {name}: p50 {p50:.1f} ms, p99 {p99:.1f} ms", flush=True)
        _commune, team = big_team(database_url)
        with gunicorn("bench.hello_app:app", env) as port:
            hello_rps, hello_errors = load(port, "/", {}, args.connections, args.seconds)
        with gunicorn("wsgi:app", env) as port:
            admin = Browser(port)
            admin.login(ADMIN_PHONE)
            commune_rps, commune_errors = load(port, paths["commune"], admin.cookies, args.connections, args.seconds)
            team_rps, team_errors = load(port, f"/people?team={team}", admin.cookies, args.connections, args.seconds)
    large, small = results[args.large], results[args.small]
    worst_p50 = max(p50 for p50, _ in large.values())
    growth = max(large[name][0] / small[name][0] for name in large)
    commune_ratio = commune_rps / hello_rps if hello_rps else 0.0
    team_ratio = team_rps / hello_rps if hello_rps else 0.0
    errors = hello_errors + commune_errors + team_errors
    print(f"hello {hello_rps:.0f} req/s; commune page {commune_rps:.0f} req/s; team of {BIG_TEAM} {team_rps:.0f} req/s")
    ok = (
        worst_p50 <= TARGET_P50_MS
        and growth <= TARGET_GROWTH
        and commune_ratio >= TARGET_RATIO
        and team_ratio >= TARGET_RATIO
        and errors == 0
    )
    print(
        f"dashboard: worst p50 at {args.large:,} {worst_p50:.1f} ms (target <= {TARGET_P50_MS:.0f}),"
        f" p50 {args.large:,}/{args.small:,} {growth:.2f} (target <= {TARGET_GROWTH}),"
        f" commune page {commune_ratio:.2f} x hello, team page {team_ratio:.2f} x hello (target >= {TARGET_RATIO}),"
        f" errors {errors} | {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
