"""When transactions take the SQLite write lock up front."""

from lms.core.db import _wants_write_lock, takes_write_lock


def test_only_writing_requests_take_the_write_lock(app):
    with app.test_request_context("/", method="GET"):
        assert _wants_write_lock() is False
        assert takes_write_lock(_wants_write_lock)() is True
        assert _wants_write_lock() is False  # only for the wrapped view
    with app.test_request_context("/", method="POST"):
        assert _wants_write_lock() is True
    with app.app_context():  # CLI commands and jobs
        assert _wants_write_lock() is True
