"""Run in separate processes by the concurrency test: each process builds its own app and
engine against the test database and submits the same attempt from several threads."""

from __future__ import annotations

import threading


def submit_many(database_url: str, attempt_id: int, answers: dict[int, list[str]], threads: int) -> list[str]:
    from lms import create_app
    from lms.core.db import run_with_retry
    from lms.core.extensions import db
    from lms.quizzes import services
    from lms.quizzes.models import QuizAttempt

    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url})
    outcomes: list[str] = []
    barrier = threading.Barrier(threads)

    def one() -> None:
        barrier.wait()
        with app.test_request_context("/", method="POST"):
            try:

                def work():
                    attempt = db.session.get(QuizAttempt, attempt_id)
                    return services.submit_attempt(attempt, answers)[1]

                graded_now = run_with_retry(db.session, work)
                outcomes.append("graded" if graded_now else "replayed")
            except Exception as error:  # reported to the test, which fails on any
                outcomes.append(f"error: {type(error).__name__}: {error}")
            finally:
                db.session.remove()

    workers = [threading.Thread(target=one) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    with app.app_context():
        db.engine.dispose()
    return outcomes
