"""Login back-off that slows a password guesser without locking the real owner out.

Two counters of failed logins, kept in the rate limiter's storage (Redis when configured,
so every app process shares them):

- per (phone, client address): after LOGIN_BACKOFF_AFTER failures, each further failure
  from that address makes it wait twice as long as the last (30 s, 1 min, 2 min, … up to
  LOGIN_BACKOFF_MAX_SECONDS). Someone guessing from one address slows only themselves;
  the owner on another address is not affected.
- per phone, from every address: LOGIN_PHONE_FAILURE_LIMIT failures within an hour stop
  logins for that phone (a guesser spread over many addresses). The owner gets a message
  that says how to get a reset code; a successful reset clears it.

The right password clears both counters for that address. The per-address rate limit on
the login route (LOGIN_RATE_LIMIT) stays high enough for a class behind one Wi-Fi.
"""

from __future__ import annotations

import logging
import time

from flask import current_app
from flask_babel import gettext as _

from lms.core.errors import ValidationFailed
from lms.core.extensions import client_ip, limiter

log = logging.getLogger(__name__)
WINDOW_SECONDS = 3600
FIRST_WAIT_SECONDS = 30


class LoginThrottled(ValidationFailed):
    status_code = 429


def _keys(phone: str) -> tuple[str, str, str]:
    address = client_ip()
    return f"lms-login-fail:{phone}:{address}", f"lms-login-wait:{phone}:{address}", f"lms-login-fail:{phone}"


def _with_storage(work, phone: str, when_down: str) -> None:
    """Run work(storage, phone) on the limiter's storage. Nothing when rate limits are off (load
    benchmarks); when the storage does not answer, log and let the login go on: the
    per-address limit on the route still applies."""
    if not limiter.enabled:
        return
    storage = limiter.storage
    try:
        work(storage, phone)
    except storage.base_exceptions:
        log.warning("login back-off storage unreachable; %s", when_down, exc_info=True)


def check(phone: str) -> None:
    """Raise LoginThrottled when this phone may not try a password now from this address."""
    _with_storage(_check, phone, "not checked")


def record_failure(phone: str) -> None:
    _with_storage(_record_failure, phone, "failure not counted")


def clear(phone: str) -> None:
    """The owner proved who they are (right password, or a reset): forget the failures."""
    _with_storage(_clear, phone, "failures not cleared")


def _check(storage, phone: str) -> None:
    pair_key, wait_key, phone_key = _keys(phone)
    if storage.get(phone_key) >= current_app.config["LOGIN_PHONE_FAILURE_LIMIT"]:
        raise LoginThrottled(
            _(
                "Số điện thoại này đã bị nhập sai mật khẩu quá nhiều lần nên tạm dừng đăng nhập. "
                "Bạn hãy thử lại sau một giờ, hoặc nhờ cán bộ xã cấp mã đặt lại mật khẩu."
            ),
            field="password",
        )
    if storage.get(wait_key) > 0:
        seconds = max(1, int(storage.get_expiry(wait_key) - time.time()))
        raise LoginThrottled(
            _("Bạn đã nhập sai nhiều lần. Bạn hãy đợi %(seconds)s giây rồi thử lại.", seconds=seconds), field="password"
        )


def _record_failure(storage, phone: str) -> None:
    pair_key, wait_key, phone_key = _keys(phone)
    storage.incr(phone_key, WINDOW_SECONDS)
    failures = storage.incr(pair_key, WINDOW_SECONDS)
    free = current_app.config["LOGIN_BACKOFF_AFTER"]
    if failures >= free:
        wait = min(FIRST_WAIT_SECONDS * 2 ** (failures - free), current_app.config["LOGIN_BACKOFF_MAX_SECONDS"])
        storage.clear(wait_key)
        storage.incr(wait_key, wait)


def _clear(storage, phone: str) -> None:
    for key in _keys(phone):
        storage.clear(key)
