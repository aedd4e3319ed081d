"""Certificate rendering: warm time per PDF on one core, throughput of 2 worker processes, and
lesson-page latency while the workers render.

1. Warm median ms per PDF, this process pinned to one core, prepared as a worker is
   (render.prepare_worker: a warm-up render) and five warm-up renders. A render
   is the whole job minus the disk: QR payload signed, QR encoded, template rendered in the
   sandbox, WeasyPrint layout and PDF with font subsets.
2. The app runs under gunicorn (bench.common settings) and a paced client reads a lesson page
   (logged in) for a while: that p99 is the baseline of this run.
3. N certificates (2,000; 200 with --quick) are rendered by 2 worker processes: RQ workers
   (`flask lms cert-worker --burst`, idle priority as in production) fed as the backlog is in
   production (jobs.enqueue_batches: jobs.BATCH_SIZE certificates a job) when Redis answers,
   else two plain processes. Meanwhile the same paced client keeps reading the lesson page.
   Certificates per second = N / (last job end - first job start). The render bound measured
   in the same run is 2 / median; the ratio to it says how much of the two cores went into
   renders, and a line splits the workers' time as the jobs accounted for it.
Targets: median <= 60 ms; >= 0.8 of the render bound and >= 30 certificates/s; lesson p99
under load within the baseline p99 (at most 1.5 x baseline, with 15 ms of allowance for timer
noise on a two-core machine).
The last line prints the figures and targets; the exit status is 1 when a target is missed.

    python -m bench.certificates [--quick] [--count N] [--db sqlite|postgresql] [--per-certificate-jobs]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.common import ROOT, Browser, app_env, gunicorn, percentile, prepare_database, scratch_database

TARGET_MS = 60.0
TARGET_RATE = 30.0
TARGET_RATIO = 0.8
WORKERS = 2
TARGET_P99_RATIO = 1.5
P99_ALLOWANCE_MS = 15.0
LESSON_RATE = 20.0  # lesson page requests per second from the paced client
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Thu", "Xuân"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Hà", "Hạnh", "Hùng", "Khánh", "Lan", "Long", "Mai", "Nga", "Phúc", "Quỳnh", "Tuấn", "Yến"]


def config(database_url: str, folder: Path) -> dict:
    return {
        "ENV_NAME": "development",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "CERTIFICATE_DIR": str(folder / "pdf"),
        "CERTIFICATE_SIGNING_KEY": str(folder / "key.pem"),
        "PUBLIC_BASE_URL": "https://hocso.example.gov.vn",
    }


def worker_env(database_url: str, folder: Path, redis_url: str | None = None) -> dict[str, str]:
    env = app_env(database_url)
    env.update(
        LMS_CERTIFICATE_DIR=str(folder / "pdf"),
        LMS_CERT_SIGNING_KEY=str(folder / "key.pem"),
        LMS_PUBLIC_URL="https://hocso.example.gov.vn",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def seed(database_url: str, folder: Path, count: int) -> list[int]:
    """The signing key, `count` people and one certificate each (inserted directly: this
    benchmark is about rendering, not issuing). Returns the certificate ids."""
    from sqlalchemy import insert, select

    from lms import create_app
    from lms.accounts.models import User
    from lms.catalog.models import Course
    from lms.certificates.codes import new_code
    from lms.certificates.keyring import ensure_signing_key
    from lms.certificates.models import Certificate
    from lms.core.extensions import db
    from lms.core.models import utcnow

    rng = random.Random(7)
    app = create_app(config(database_url, folder))
    with app.app_context():
        ensure_signing_key()
        courses = db.session.scalars(select(Course)).all()
        now = utcnow()
        users = [
            {"phone": f"+8498{i:07d}", "full_name": f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
             "password_hash": "!", "home_commune_code": "00004", "session_version": 1, "is_disabled": False,
             "created_at": now}
            for i in range(count)
        ]  # fmt: skip
        db.session.execute(insert(User), users)
        people = select(User.id, User.full_name).where(User.phone.like("+8498%")).order_by(User.id)
        ids = db.session.execute(people).all()
        rows = []
        for index, (user_id, name) in enumerate(ids):
            course = courses[index % len(courses)]
            rows.append({"code": new_code(), "user_id": user_id, "course_id": course.id, "printed_name": name,
                         "course_title": course.title, "certificate_title": course.certificate_title,
                         "issuer_name": "Sở Khoa học và Công nghệ tỉnh Quảng Ninh", "issued_at": now, "revision": 1})  # fmt: skip
        db.session.execute(insert(Certificate), rows)
        db.session.commit()
        return list(db.session.scalars(select(Certificate.id).order_by(Certificate.id)))


def warm_render_ms(database_url: str, folder: Path, samples: int) -> list[float]:
    """Per-PDF render time in this process, pinned to one core."""
    from sqlalchemy import select

    from lms import create_app
    from lms.certificates import storage
    from lms.certificates.models import Certificate
    from lms.certificates.render import prepare_worker
    from lms.core.extensions import db

    affinity = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(affinity)})
    try:
        app = create_app(config(database_url, folder))
        with app.app_context():
            first = select(Certificate).order_by(Certificate.id).limit(samples + 5)
            certificates = storage.detach(db.session.scalars(first).all())
            prepare_worker()  # as the workers do
            for certificate in certificates[:5]:
                storage.render_bytes(certificate)
            times = []
            for certificate in certificates[5:]:
                start = time.perf_counter()
                storage.render_bytes(certificate)
                times.append((time.perf_counter() - start) * 1000)
            db.session.remove()
            db.engine.dispose()
        return times
    finally:
        os.sched_setaffinity(0, affinity)


class PacedClient:
    """Reads the lesson page at a fixed rate on two keep-alive connections; records latencies."""

    def __init__(self, port: int, path: str, phone: str, rate: float):
        self.port, self.path, self.phone, self.rate = port, path, phone, rate
        self.latencies: list[float] = []
        self.errors = 0
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def _run(self, offset: float) -> None:
        browser = Browser(self.port)
        browser.login(self.phone)
        interval = 2.0 / self.rate
        next_at = time.monotonic() + offset
        while not self.stop.is_set():
            delay = next_at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            start = time.perf_counter()
            response = browser.request("GET", self.path)
            self.latencies.append((time.perf_counter() - start) * 1000)
            if response.status != 200:
                self.errors += 1
            next_at += interval

    def start(self) -> PacedClient:
        self.threads = [threading.Thread(target=self._run, args=(i / self.rate,), daemon=True) for i in range(2)]
        for thread in self.threads:
            thread.start()
        return self

    def finish(self) -> list[float]:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)
        return self.latencies


def render_with_rq(
    database_url: str, folder: Path, ids: list[int], per_certificate: bool = False, port: int | None = None
) -> tuple[float, list[dict]] | None:
    """Render through the real queue with 2 `flask lms cert-worker` processes, as the backlog is
    queued in production (jobs.enqueue_batches, jobs.BATCH_SIZE certificates a job). Returns the
    elapsed time and each job's own account of its time; None without Redis."""
    try:
        from redis import Redis
        from rq.job import Job

        connection = Redis.from_url(REDIS_URL)
        connection.ping()
    except Exception:
        return None
    connection.flushdb()
    try:
        from sqlalchemy import select

        from lms import create_app
        from lms.certificates import jobs
        from lms.certificates.models import Certificate
        from lms.core.extensions import db

        app = create_app({**config(database_url, folder), "REDIS_URL": REDIS_URL})
        with app.app_context():
            wanted = select(Certificate.id, Certificate.code, Certificate.revision).where(Certificate.id.in_(ids))
            rows = [tuple(row) for row in db.session.execute(wanted.order_by(Certificate.id))]
            if per_certificate:  # one job per certificate, as the backlog was queued before batches
                from rq import Queue

                queue = Queue(jobs.QUEUE_NAME, connection=connection)
                job_ids = [jobs.job_id(code, revision) for _, code, revision in rows]
                prepared = [
                    Queue.prepare_data(jobs.render_job, (cid,), job_id=jid, result_ttl=3600)
                    for (cid, _, _), jid in zip(rows, job_ids, strict=True)
                ]
                queue.enqueue_many(prepared)
            else:
                jobs.enqueue_batches(rows)
                job_ids = [jobs.batch_job_id(rows[i : i + jobs.BATCH_SIZE]) for i in range(0, len(rows), jobs.BATCH_SIZE)]
            db.session.remove()
            db.engine.dispose()
        env = worker_env(database_url, folder, REDIS_URL)
        command = [sys.executable, "-m", "flask", "--app", "wsgi", "lms", "cert-worker", "--burst"]
        before = _machine_sample(port)
        workers = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL) for _ in range(WORKERS)]
        cpu_seconds = sum(_wait_cpu(worker) for worker in workers)
        after = _machine_sample(port)
        # What a worker costs before its first job (imports, app, warm-up): one on the empty queue.
        startup = _wait_cpu(subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL))
        done = Job.fetch_many(job_ids, connection=connection)
        if any(job is None or job.get_status() != "finished" for job in done):
            raise RuntimeError("some render jobs did not finish")
        elapsed = (max(job.ended_at for job in done) - min(job.started_at for job in done)).total_seconds()
        accounts = [job.return_value() for job in done]
        accounts.append({"worker_cpu_ms": (cpu_seconds - WORKERS * startup) * 1000})
        accounts.append({"machine": _machine_share(before, after, cpu_seconds)})
        return elapsed, accounts
    finally:
        connection.flushdb()


_TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(stat_line: str) -> tuple[int, float]:
    """(parent pid, processor seconds) from a /proc/<pid>/stat line."""
    fields = stat_line.rsplit(")", 1)[1].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def _machine_sample(port: int | None) -> dict:
    """Processor seconds so far: the whole machine (busy, /proc/stat), this process (the load
    client), and the gunicorn serving `port` with its workers."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    busy = (sum(values) - values[3] - values[4]) / _TICK  # all but idle and iowait
    own = os.times()
    procs: dict[int, tuple[int, float, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                parent, seconds = _proc_cpu(handle.read())
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read().decode(errors="replace")
        except OSError:
            continue
        procs[int(entry)] = (parent, seconds, command)
    masters = {pid for pid, (_, _, command) in procs.items() if port and "gunicorn" in command and f":{port}" in command}
    web = sum(seconds for pid, (parent, seconds, _) in procs.items() if pid in masters or parent in masters)
    return {"time": time.monotonic(), "busy": busy, "client": own.user + own.system, "web": web}


def _machine_share(before: dict, after: dict, worker_seconds: float) -> str:
    wall = after["time"] - before["time"]
    cores = os.cpu_count() or 1
    web, client = after["web"] - before["web"], after["client"] - before["client"]
    others = max(0.0, after["busy"] - before["busy"] - worker_seconds - web - client)
    idle = max(0.0, cores * wall - (after["busy"] - before["busy"]))
    part = {"certificate workers": worker_seconds, "lesson pages (gunicorn)": web, "the load client": client,
            "other processes on the machine": others, "idle": idle}  # fmt: skip
    return ", ".join(f"{name} {seconds / (cores * wall):.0%}" for name, seconds in part.items())


def _wait_cpu(process: subprocess.Popen) -> float:
    """Wait for the process; its processor time (user + system), in seconds."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError("a certificate worker failed")
    return usage.ru_utime + usage.ru_stime


def _plain_worker(database_url: str, folder: str, ids: list[int], out) -> None:
    from lms import create_app
    from lms.certificates import storage
    from lms.certificates.models import Certificate
    from lms.certificates.render import prepare_worker
    from lms.core.extensions import db

    os.nice(10)
    app = create_app(config(database_url, Path(folder)))
    with app.app_context():
        prepare_worker()
        out.put(("ready", time.time()))
        for cid in ids:
            storage.ensure_pdf(storage.detach([db.session.get(Certificate, cid)])[0])
        out.put(("done", time.time()))


def render_with_processes(database_url: str, folder: Path, ids: list[int]) -> float:
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    halves = [ids[0::2], ids[1::2]]
    workers = [context.Process(target=_plain_worker, args=(database_url, str(folder), half, out)) for half in halves]
    for worker in workers:
        worker.start()
    events = [out.get(timeout=900) for _ in range(4)]
    for worker in workers:
        worker.join()
    ready = max(t for kind, t in events if kind == "ready")
    return max(t for kind, t in events if kind == "done") - ready


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: 200 certificates, shorter baseline")
    parser.add_argument("--count", type=int, help="certificates rendered by the workers (default 2000)")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--per-certificate-jobs", action="store_true", help="one RQ job per certificate (the earlier way), to compare"
    )
    args = parser.parse_args(argv)
    count = args.count or (200 if args.quick else 2000)
    samples = 20 if args.quick else 60
    baseline_seconds = 5.0 if args.quick else 15.0

    with scratch_database(args.db) as database_url, tempfile.TemporaryDirectory(prefix="lms-bench-certs-") as tmp:
        folder = Path(tmp)
        phones = prepare_database(database_url, 1)
        ids = seed(database_url, folder, count + samples + 5)
        times = warm_render_ms(database_url, folder, samples)
        work = ids[samples + 5 :]
        from lms.catalog.content import load_content

        bundle, _ = load_content(ROOT)
        path = "/courses/nguoi-dan/b05-dich-vu-cong/" + bundle.modules["b05-dich-vu-cong"].lessons[0].slug
        with gunicorn("wsgi:app", worker_env(database_url, folder)) as port:
            warm = PacedClient(port, path, phones[0], 4 * LESSON_RATE).start()  # every gunicorn worker serves once
            time.sleep(3)
            warm.finish()
            client = PacedClient(port, path, phones[0], LESSON_RATE).start()
            time.sleep(baseline_seconds)
            baseline = list(client.finish())
            loaded_client = PacedClient(port, path, phones[0], LESSON_RATE).start()
            accounts: list[dict] = []
            outcome = render_with_rq(database_url, folder, work, per_certificate=args.per_certificate_jobs, port=port)
            how = "2 RQ workers, " + ("one job per certificate" if args.per_certificate_jobs else "batch jobs")
            if outcome is None:
                elapsed = render_with_processes(database_url, folder, work)
                how = "2 processes (no Redis)"
            else:
                elapsed, accounts = outcome
            loaded = loaded_client.finish()
            errors = client.errors + loaded_client.errors
        rendered = sum(1 for _ in (folder / "pdf").rglob("*.pdf"))

    median = statistics.median(times)
    rate = len(work) / elapsed if elapsed else 0.0
    bound = WORKERS * 1000.0 / median  # certificates/s if every worker did nothing but renders at the median
    ratio = rate / bound
    p99_base, p99_load = percentile(baseline, 0.99), percentile(loaded, 0.99)
    allowed = max(TARGET_P99_RATIO * p99_base, p99_base + P99_ALLOWANCE_MS)
    ok = ratio >= TARGET_RATIO and rate >= TARGET_RATE and p99_load <= allowed and errors == 0 and rendered >= len(work)
    print(f"warm render on one core: median {median:.1f} ms, p90 {percentile(times, 0.9):.1f} ms over {len(times)} PDFs")
    print(f"{how}: {len(work)} certificates in {elapsed:.1f} s = {rate:.1f}/s ({rendered} PDF files written)")
    if accounts:
        print(where_the_time_went(accounts, elapsed, median, len(work)))
    print(f"lesson page at {LESSON_RATE:.0f} req/s: p99 {p99_base:.1f} ms alone ({len(baseline)} requests), "
          f"{p99_load:.1f} ms while rendering ({len(loaded)} requests), "
          f"median {statistics.median(loaded):.1f} ms, errors {errors}")  # fmt: skip
    print(
        f"certificates: median {median:.1f} ms/PDF (target <= {TARGET_MS:.0f}), "
        f"{rate:.1f}/s with {WORKERS} workers = {ratio:.2f} of the render bound {bound:.1f}/s "
        f"({WORKERS} / median) (target >= {TARGET_RATIO:.1f} and >= {TARGET_RATE:.0f}/s), "
        f"lesson p99 {p99_load:.1f} ms under load vs {p99_base:.1f} ms (target <= {allowed:.1f}) "
        f"| {'PASS' if ok else 'FAIL'}"
    )
    return 0 if ok else 1


def where_the_time_went(accounts: list[dict], elapsed: float, median_ms: float, count: int) -> str:
    """The workers' time (workers x elapsed) split as the jobs accounted for it, as shares of it.
    What the bound assumes is `count x median`; the rest is lost to: renders that needed more
    processor time than alone (caches shared by two renders at once), renders waiting for a
    core (the workers run at idle priority: lesson pages, the load client and anything else
    running come first), files, the database, the job's own Python, and whatever lies outside
    the jobs (the queue's round trips, worker bookkeeping, waiting for a core between jobs)."""
    worker_cpu = sum(a.pop("worker_cpu_ms", 0.0) for a in accounts)
    machine = next((a["machine"] for a in accounts if "machine" in a), "")
    accounts = [a for a in accounts if "render_ms" in a]
    available = WORKERS * elapsed * 1000.0
    render = sum(a["render_ms"] for a in accounts)
    render_cpu = sum(a["render_cpu_ms"] for a in accounts)
    disk = sum(a["disk_ms"] for a in accounts)
    db = sum(a["db_ms"] for a in accounts)
    total = sum(a["total_ms"] for a in accounts)
    ideal = count * median_ms
    parts = {
        "renders at the median": ideal,
        "render work above the median (processor time)": render_cpu - ideal,
        "renders waiting for a core (lesson pages, load client, other processes)": render - render_cpu,
        "files (lock, write, rename)": disk,
        "database": db,
        "rest of the jobs": total - render - disk - db,
        "outside the jobs (queue, worker, waiting for a core)": available - total,
    }
    shares = ", ".join(f"{name} {value / available:.0%}" for name, value in parts.items())
    wall, cpu = (render / count / median_ms, render_cpu / count / median_ms) if count else (0.0, 0.0)
    per = (worker_cpu - render_cpu) / count if count else 0.0
    return (
        f"workers' time: {shares}; a render in the workers took {wall:.2f} x the single-core median "
        f"({cpu:.2f} x in processor time)\n"
        f"workers' processor time per certificate, start-up left out: render {render_cpu / count:.1f} ms, "
        f"everything else {per:.1f} ms (queue, database, files, Python) = {per / (per + render_cpu / count):.0%} of it\n"
        f"the {os.cpu_count()} cores while the workers ran: {machine}"
    )


if __name__ == "__main__":
    sys.exit(main())
