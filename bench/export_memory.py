"""Exports stream with flat memory: the peak memory of an export of 100,000 rows against one of
1,000 rows, measured in the same run.

1. The export utility (lms/reports/exports.py) on synthetic rows of the people list's shape
   (name, phone, birth year, commune, province, three course statuses, a date), CSV and XLSX:
   tracemalloc's peak of Python allocations while the whole body is read and thrown away, and
   the peak RSS of a fresh process doing the same (openpyxl's XML writer allocates in C too,
   which tracemalloc does not see).
2. /people/export end to end (--people, on by default): a scratch database (SQLite unless
   --db postgresql) with 1,000 people of one commune, then 100,000; an admin downloads the CSV
   through the test client without buffering; tracemalloc's peak while the body is read, after
   a warm-up download.

Target: every 100,000-row peak is at most 2 x its 1,000-row peak (flat, not proportional to
the rows; 100 x the rows would be ~100 x the memory if rows were kept). The last line prints
the figures and the target; the exit status is 1 when a target is missed.

    python -m bench.export_memory [--rows 100000] [--no-people] [--db sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

from bench.common import ROOT, app_env, scratch_database

TARGET_RATIO = 2.0
SMALL = 1_000
STATUSES = ["Chưa ghi danh", "Chưa bắt đầu", "Đang học", "Đã hoàn thành", "Có chứng nhận"]


def synthetic_rows(count: int):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i in range(count):
        yield (
            f"Nguyễn Thị Ngọc Ánh {i}",
            f"09{i:02d} {i % 1000:03d} {i % 997:03d}",
            1950 + i % 60,
            "Phường Ba Đình",
            "Thành phố Hà Nội",
            STATUSES[i % 5],
            STATUSES[(i + 1) % 5],
            STATUSES[(i + 2) % 5],
            start + timedelta(minutes=i),
        )


def drain(chunks) -> int:
    size = 0
    for chunk in chunks:
        size += len(chunk)
    return size


def utility_peak(fmt: str, rows: int) -> tuple[int, int]:
    """(tracemalloc peak in bytes, file size) of one export of synthetic rows."""
    from lms.reports.exports import csv_chunks, xlsx_chunks

    writer = csv_chunks if fmt == "csv" else xlsx_chunks
    drain(writer(["a"], synthetic_rows(10)))  # imports and first use, before the measured export
    headers = ["Họ và tên", "Số điện thoại", "Năm sinh", "Xã/phường", "Tỉnh/thành phố", "A", "B", "C", "Hoạt động gần nhất"]
    tracemalloc.start()
    size = drain(writer(headers, synthetic_rows(rows)))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak, size


def rss_peak(fmt: str, rows: int) -> int:
    """Peak RSS (KiB) of a fresh process that imports the utility and writes one export."""
    script = f"""
import resource, sys
from bench.export_memory import drain, synthetic_rows
from lms.reports.exports import csv_chunks, xlsx_chunks
writer = {"csv_chunks" if fmt == "csv" else "xlsx_chunks"}
drain(writer(["a"] * 9, iter(())))  # imports and first use, before the measured export
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
drain(writer(["a"] * 9, synthetic_rows({rows})))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base, base)
"""
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True, cwd=ROOT).stdout
    grown, base = (int(x) for x in out.split())
    return base + grown


# --- /people/export ------------------------------------------------------------------------


def _seed(database_url: str, people: int) -> None:
    script = f"""
import itertools
from datetime import UTC, datetime
from sqlalchemy import func, insert, select
from lms import create_app
from lms.core.extensions import db
from lms.core.text import fold
from lms.accounts.models import User
app = create_app({{"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": {database_url!r}}})
with app.app_context():
    have = 0
    try:
        have = db.session.scalar(select(func.count()).select_from(User)) or 0
    except Exception:
        db.session.rollback()
    if not have:
        from flask_migrate import upgrade
        upgrade()
        from lms.places.services import import_places, load_divisions
        import_places(load_divisions())
        from lms.catalog.services import sync_from_disk
        sync_from_disk()
        from lms.accounts.models import Role
        from lms.accounts.services import assign_role, register_user
        admin = register_user(phone="0900000001", password="mat-khau-bench-1", full_name="Quản Trị", consent=True)
        assign_role(admin, Role.ADMIN)
        db.session.commit()
        have = 1
    now = datetime.now(UTC)
    family = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"]
    given = ["Thị Ngọc Ánh", "Văn An", "Đức Bình", "Minh Châu", "Thu Hà", "Quốc Hùng", "Xuân Mai"]
    rows = []
    for i in range(have, {people} + 1):
        name = f"{{family[i % len(family)]}} {{given[i % len(given)]}} {{i}}"  # all different: no cache helps the sort
        rows.append(dict(phone=f"+8481{{i:07d}}", full_name=name, name_key=fold(name), home_commune_code="00004",
                         password_hash="-", session_version=1, is_disabled=False, created_at=now, updated_at=now))
        if len(rows) == 5000:
            db.session.execute(insert(User), rows)
            rows = []
    if rows:
        db.session.execute(insert(User), rows)
    db.session.commit()
"""
    subprocess.run([sys.executable, "-c", script], check=True, env=app_env(database_url), cwd=ROOT)


def people_export_peaks(kind: str, rows: int) -> dict[int, tuple[int, int]]:
    """{people: (tracemalloc peak, CSV rows)} for 1,000 and `rows` people in one commune."""
    import os

    results: dict[int, tuple[int, int]] = {}
    with scratch_database(kind) as url:
        os.environ.update(app_env(url))
        from lms import create_app

        app = None
        for people in (SMALL, rows):
            _seed(url, people)
            if app is None:
                app = create_app({"ENV_NAME": "development", "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
                client = app.test_client()
                page = client.get("/login").text
                token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
                login = client.post("/login", data={"csrf_token": token, "phone": "0900000001", "password": "mat-khau-bench-1"})
                assert login.status_code == 302, login.text
                drain(client.get("/people/export?format=csv", buffered=False).response)  # warm-up
            tracemalloc.start()
            started = time.perf_counter()
            response = client.get("/people/export?format=csv", buffered=False)
            lines = -1  # the header line
            for chunk in response.response:
                lines += chunk.count(b"\r\n")
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            response.close()
            print(f"  /people/export of {lines:,} people: {time.perf_counter() - started:.1f} s (under tracemalloc)")
            results[people] = (peak, lines)
        from lms.core.extensions import db

        with app.app_context():
            db.engine.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--no-people", action="store_true", help="only the export utility, no database")
    args = parser.parse_args()
    figures: dict[str, float] = {}
    misses = []
    for fmt in ("csv", "xlsx"):
        small, small_size = utility_peak(fmt, SMALL)
        big, big_size = utility_peak(fmt, args.rows)
        ratio = big / small
        figures[f"{fmt}_ratio"] = round(ratio, 2)
        print(
            f"{fmt}: tracemalloc peak {small / 1024:.0f} KiB for {SMALL:,} rows ({small_size / 1024:.0f} KiB file), "
            f"{big / 1024:.0f} KiB for {args.rows:,} rows ({big_size / 1024 / 1024:.1f} MiB file): {ratio:.2f}x"
        )
        rss_small, rss_big = rss_peak(fmt, SMALL), rss_peak(fmt, args.rows)
        figures[f"{fmt}_rss_ratio"] = round(rss_big / rss_small, 2)
        print(f"{fmt}: peak RSS {rss_small / 1024:.1f} MiB for {SMALL:,} rows, {rss_big / 1024:.1f} MiB for {args.rows:,}")
        if ratio > TARGET_RATIO:
            misses.append(f"{fmt} tracemalloc")
        if rss_big / rss_small > TARGET_RATIO:
            misses.append(f"{fmt} RSS")
    if not args.no_people:
        peaks = people_export_peaks(args.db, args.rows)
        (small, small_lines), (big, big_lines) = peaks[SMALL], peaks[args.rows]
        ratio = big / small
        figures["people_export_ratio"] = round(ratio, 2)
        print(
            f"/people/export ({args.db}): tracemalloc peak {small / 1024:.0f} KiB for {small_lines:,} people, "
            f"{big / 1024:.0f} KiB for {big_lines:,} people: {ratio:.2f}x"
        )
        if big_lines < args.rows or ratio > TARGET_RATIO:
            misses.append("people export")
    verdict = "all targets met" if not misses else "missed: " + ", ".join(misses)
    print(f"export memory {json.dumps(figures)}; target: 100k-row peak <= {TARGET_RATIO}x the 1k-row peak; {verdict}")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
