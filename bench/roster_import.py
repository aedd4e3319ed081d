"""Roster import: a 100,000-row CSV checked (the preview) and written, on SQLite and PostgreSQL.

For each database, in a process of its own: a scratch database is migrated and loaded with the
places; a commune official, 20 villages of the commune and 10,000 residents who already have an
account (every tenth row: matched by phone and left as they are). Then a
CSV of N rows (100,000; 20,000 with --quick) is written the way an official would fill the
template: name, phone, birth year, village, household label (about three people a household),
commune. The import goes the way of the pages, without HTTP: the stored file is checked
(rosters.new_import, rosters.run: the preview) and then, after the compare-and-set of the
confirmation, checked again and written in one transaction (rosters.run). Afterwards the
database must hold exactly the expected accounts and households.

Figures per database: seconds to check, seconds to write, rows per second of the whole import,
the CPU seconds of the importing process and of its PostgreSQL backend (what the import costs
whatever else the machine runs: on a busy machine the wall-clock figures grow, these do not), the
load average,
the process's peak resident memory (ru_maxrss) and how much of it the import added over the
memory after set-up. With --kind members the rows join a team instead (every new membership is
announced to the reports' receivers, as the "add a member" form does).
Target: check + write <= 60 s for 100,000 rows on each database.
The last line prints the figures and targets; the exit status is 1 when a target is missed.

    python -m bench.roster_import [--quick] [--rows N] [--db sqlite|postgresql|both] [--kind learners|members]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, scratch_database

TARGET_SECONDS = 60.0
COMMUNE = "00004"  # Phường Ba Đình, Hà Nội
EXISTING = int(os.environ.get("BENCH_ROSTER_EXISTING", "10000"))
VILLAGES = 20

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Thu", "Xuân"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Hà", "Hạnh", "Hùng", "Khánh", "Lan", "Long", "Mai", "Nga", "Phúc", "Quỳnh", "Tuấn", "Yến"]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def server_cpu() -> float:
    """CPU seconds of this session's PostgreSQL backend (read from /proc: the server runs on this
    machine in the project's set-up), 0 on SQLite or when it cannot be read."""
    from sqlalchemy import text

    from lms.core.extensions import db

    if db.session.get_bind().dialect.name != "postgresql":
        return 0.0
    pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def name_of(number: int) -> str:
    rng = random.Random(number)
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def phone_of(number: int) -> str:
    return f"097{number:07d}"


def village_of(number: int) -> str:
    return f"Thôn {(number // 3) % VILLAGES + 1}"


def household_of(number: int) -> str:
    """Three people a household, one household in five left blank."""
    house = number // 3
    return f"Số {house % 500 + 1}, ngõ {house // 500 + 1}" if house % 5 else ""


def write_csv(path: Path, rows: int) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(["Họ và tên", "Số điện thoại", "Năm sinh", "Thôn/Tổ dân phố", "Hộ gia đình (địa chỉ)", "Xã/Phường"])
        for number in range(rows):
            writer.writerow(
                [
                    name_of(number),
                    phone_of(number),
                    1950 + number % 60,
                    village_of(number),
                    household_of(number),
                    "Phường Ba Đình" if number % 2 else "",
                ]
            )


def child(database_url: str, rows: int, kind: str) -> dict:
    """Set up, import, check the outcome; returns the figures (run in its own process)."""
    from sqlalchemy import func, insert, select, update

    from lms import create_app
    from lms.accounts.models import Role, User
    from lms.accounts.services import assign_role
    from lms.core.extensions import db
    from lms.core.models import utcnow
    from lms.core.text import fold
    from lms.places import rosters
    from lms.places.models import Household, RosterImport, Team, TeamMembership, Village

    folder = Path(tempfile.mkdtemp(prefix="lms-bench-rosters-"))
    app = create_app(
        {"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": database_url, "ROSTER_DIR": str(folder), "SECRET_KEY": "bench"}
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        from lms.places.services import import_places, load_divisions

        import_places(load_divisions())
        official = User(phone="+84911000000", full_name="Cán Bộ Xã", password_hash="!", home_commune_code=COMMUNE)
        db.session.add(official)
        db.session.flush()
        assign_role(official, Role.COMMUNE_OFFICIAL, commune_code=COMMUNE)
        villages = [Village(commune_code=COMMUNE, name=f"Thôn {i + 1}", kind="thôn") for i in range(VILLAGES)]
        db.session.add_all(villages)
        db.session.flush()
        team = Team(village_id=villages[0].id, commune_code=COMMUNE, name="Tổ công nghệ số cộng đồng")
        db.session.add(team)
        # Residents with an account already: every tenth row of the file (matched by phone).
        now = utcnow()
        existing = [n for n in range(0, min(rows, EXISTING * 10), 10)]
        if existing:
            db.session.execute(
                insert(User),
                [
                    {"phone": "+84" + phone_of(n)[1:], "full_name": name_of(n), "name_key": fold(name_of(n)),
                     "home_commune_code": COMMUNE, "password_hash": "!", "created_at": now}
                    for n in existing
                ],
            )  # fmt: skip
        db.session.commit()
        official_id, team_id = official.id, team.id
        path = folder / "danh-sach.upload"
        write_csv(path, rows)
        size = path.stat().st_size
        db.session.remove()
    baseline = rss_mb()

    with app.app_context():
        actor = db.session.get(User, official_id)
        server_started = server_cpu()
        started, cpu_started = time.perf_counter(), time.process_time()
        import_row = rosters.new_import(
            actor,
            kind=kind,
            commune_code=COMMUNE,
            team_id=team_id if kind == "members" else None,
            filename="danh-sach.csv",
            stored=path,
            sha256="0" * 64,
            file_kind_="csv",
        )
        db.session.commit()
        import_id = import_row.id
        status = rosters.run(import_id)
        checked = time.perf_counter()
        assert status == "preview", (status, db.session.get(RosterImport, import_id).detail)
        assert rosters.claim(import_id, from_status=("preview",), to_status="queued", phase="apply", actor_id=official_id)
        db.session.commit()
        status = rosters.run(import_id)
        written, cpu_written = time.perf_counter(), time.process_time()
        server_used = server_cpu() - server_started
        assert status == "done", (status, db.session.get(RosterImport, import_id).detail)
        done = db.session.get(RosterImport, import_id)
        old = set(existing)  # an existing account keeps its (empty) household
        households_expected = len({n // 3 for n in range(rows) if household_of(n) and n not in old})
        people = db.session.scalar(select(func.count()).select_from(User).where(User.home_commune_code == COMMUNE)) or 0
        households = db.session.scalar(select(func.count()).select_from(Household)) or 0
        members = db.session.scalar(select(func.count()).select_from(TeamMembership)) or 0
        assert (done.created_count, done.matched_count) == (rows - len(existing), len(existing)), done.detail
        assert people == rows + 1, people  # the file's people and the official
        assert households == households_expected, (households, households_expected)
        assert members == (rows if kind == "members" else 0), members
        db.session.execute(update(RosterImport).values(detail={}))
        db.session.commit()
    return {
        "check": checked - started,
        "write": written - checked,
        "cpu": cpu_written - cpu_started,
        "server_cpu": server_used,
        "rows": rows,
        "mb": size / 1e6,
        "households": households,
        "peak_mb": rss_mb(),
        "import_mb": rss_mb() - baseline,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="20,000 rows")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--kind", choices=("learners", "members"), default="learners")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    rows = args.rows or (20_000 if args.quick else 100_000)
    if args.child:
        print(json.dumps(child(args.child, rows, args.kind)))
        return 0
    figures: dict[str, dict] = {}
    for kind in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        with scratch_database(kind) as url:
            env = dict(os.environ, PYTHONPATH=str(ROOT), LMS_ENV="development", SECRET_KEY="bench")
            out = subprocess.run(
                [sys.executable, "-m", "bench.roster_import", "--child", url, "--rows", str(rows), "--kind", args.kind],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            if out.returncode != 0:
                print(out.stdout, out.stderr, file=sys.stderr)
                print(f"{kind}: the import failed (exit {out.returncode})")
                return 1
            figures[kind] = json.loads(out.stdout.strip().splitlines()[-1])
            f = figures[kind]
            total = f["check"] + f["write"]
            print(
                f"{kind}: {f['rows']:,} rows ({f['mb']:.1f} MB, {f['households']:,} households): check {f['check']:.1f} s, "
                f"write {f['write']:.1f} s, {f['rows'] / total:,.0f} rows/s, CPU {f['cpu']:.1f} s in this process"
                + (f" + {f['server_cpu']:.1f} s in the database server; " if f["server_cpu"] else "; ")
                + f"load average {os.getloadavg()[0]:.1f}; "
                f"peak memory {f['peak_mb']:.0f} MB "
                f"(+{f['import_mb']:.0f} MB for the import)"
            )
    target = TARGET_SECONDS * rows / 100_000
    missed = [kind for kind, f in figures.items() if f["check"] + f["write"] > target]
    parts = [
        f"{kind} {f['check'] + f['write']:.1f} s (check {f['check']:.1f} + write {f['write']:.1f}; "
        f"CPU {f['cpu'] + f['server_cpu']:.1f} s), peak {f['peak_mb']:.0f} MB"
        for kind, f in figures.items()
    ]
    print(
        f"roster import of {rows:,} {args.kind} rows: " + "; ".join(parts) + f" — target <= {target:.0f} s each: "
        + ("met" if not missed else "MISSED on " + ", ".join(missed))
        + f" (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )  # fmt: skip
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
