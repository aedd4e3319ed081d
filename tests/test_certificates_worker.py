"""With REDIS_URL set: PDFs are rendered by an RQ worker, queued after the transaction commits,
never queued twice, with progress for bulk downloads. Needs Redis on 127.0.0.1:6379."""

import os

import pytest
from sqlalchemy import select

from lms.core.extensions import db
from tests.cert_helpers import cert_key, complete_course, get_certificate  # noqa: F401  (cert_key is a fixture)
from tests.factories import DEMO_COMMUNE, Auth, csrf_from, next_phone

# One Redis database per xdist worker (gw0 and the plain run: 13, gw1: 15): each test empties
# its database, which must not drop the jobs of a test running beside it.
REDIS_URL = "redis://127.0.0.1:6379/" + ("15" if os.environ.get("PYTEST_XDIST_WORKER") == "gw1" else "13")


@pytest.fixture
def redis_app(app, make_app, request):
    request.getfixturevalue("cert_key")
    import redis

    # Redis runs on the project's machines and .ci/test starts one when it is missing: never skip.
    connection = redis.Redis.from_url(REDIS_URL)
    connection.ping()
    connection.flushdb()
    worker_app = make_app(
        REDIS_URL=REDIS_URL,
        CERTIFICATE_DIR=app.config["CERTIFICATE_DIR"],
        CERTIFICATE_SIGNING_KEY=app.config["CERTIFICATE_SIGNING_KEY"],
        PUBLIC_BASE_URL=app.config["PUBLIC_BASE_URL"],
    )
    yield worker_app
    connection.flushdb()
    connection.close()


def _queue(worker_app):
    from lms.certificates import jobs

    with worker_app.app_context():
        return jobs.queue()


def _work(worker_app):
    from rq import SimpleWorker

    with worker_app.app_context():
        q = _queue(worker_app)
        SimpleWorker([q], connection=q.connection).work(burst=True, with_scheduler=False, logging_level="WARNING")


def _login(worker_app, factory, **kwargs):
    phone = next_phone()
    uid = factory.user(phone=phone, **kwargs)
    client = worker_app.test_client()
    assert Auth(client).login(phone).status_code == 302
    return client, uid


def test_completion_queues_a_render_that_the_worker_does(redis_app, factory):
    from lms.certificates import storage

    client, uid = _login(redis_app, factory, name="Tạ Thị Liên")
    code = complete_course(redis_app, uid)
    q = _queue(redis_app)
    assert q.job_ids == [f"certificate-{code.replace('-', '')}-r1"]
    # Before the worker runs: a "being made" page that refreshes itself, and no second job.
    pending = client.get(f"/certificates/mine/{code}.pdf")
    assert pending.status_code == 202 and pending.headers["Refresh"] == "3"
    assert "đang được tạo" in pending.text
    assert "Giấy chứng nhận đang được tạo" in client.get("/dashboard").text
    assert len(q.job_ids) == 1
    before = storage.render_count
    _work(redis_app)
    assert storage.render_count == before + 1 and q.count == 0
    download = client.get(f"/certificates/mine/{code}.pdf")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    assert client.get(f"/certificates/mine/{code}.png").status_code == 200


def test_nothing_is_queued_when_the_transaction_rolls_back(redis_app, factory):
    from lms.accounts.models import User
    from lms.catalog.models import Course
    from lms.certificates.services import issue_certificate

    uid = factory.user()
    with redis_app.test_request_context("/", method="POST"):
        user = db.session.get(User, uid)
        course = db.session.scalar(select(Course).where(Course.slug == "can-bo"))
        issue_certificate(user, course)
        db.session.rollback()
    assert _queue(redis_app).count == 0


def test_bulk_prepare_queues_missing_pdfs_once_and_shows_progress(redis_app, app, factory):
    village = factory.village(name="Thôn Bắc")
    members = [factory.user(name=f"Người Học {chr(65 + i)}") for i in range(3)]
    team = factory.team(village, name="Tổ số 3", members=members)
    for uid in members:
        complete_course(app, uid)  # issued without Redis: nothing queued, nothing rendered yet
    official, _ = _login(redis_app, factory, role="commune_official", role_commune=DEMO_COMMUNE)
    page = f"/certificates/manage/team/{team}"
    assert official.get(f"{page}/progress.json").get_json() == {"total": 3, "ready": 0, "percent": 0, "done": False}
    assert "Tạo các tệp PDF còn thiếu" in official.get(page).text
    for _ in range(2):  # a double click queues nothing more
        response = official.post(f"{page}/prepare", data={"csrf_token": csrf_from(official.get(page).text)})
        assert response.status_code == 302 and "waiting=1" in response.headers["Location"]
    assert _queue(redis_app).count == 1  # one batch job for the three (jobs.BATCH_SIZE a job)
    assert "Đang tạo 3 tệp PDF còn thiếu" in official.get(page).text
    waiting = official.get(f"{page}?waiting=1")
    assert waiting.headers.get("Refresh") == "4" and "Đã có tệp PDF: 0/3" in waiting.text
    _work(redis_app)
    assert official.get(f"{page}/progress.json").get_json()["done"] is True
    assert official.get(f"{page}?waiting=1").headers.get("Refresh") is None
    asked = official.post(f"{page}/chung-nhan.zip", data={"csrf_token": csrf_from(official.get(page).text)})
    assert asked.status_code == 303
    assert official.get(asked.headers["Location"]).status_code == 200
