"""Signed-in devices. Each login makes a UserSession row whose random token travels in the
session and remember cookies (inside the login id, which Flask signs); a request is signed in
only while that row is open and the user's session version still matches."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, delete, or_, select, update

from lms.accounts.models import User, UserSession
from lms.core.extensions import db
from lms.core.models import utcnow

_LOGIN_ID_RE = re.compile(r"^([0-9]{1,10}):([0-9]{1,10}):([A-Za-z0-9_-]{20,64})$")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _oldest_valid():
    return utcnow() - current_app.config["REMEMBER_COOKIE_DURATION"] - timedelta(days=1)


def start(user: User) -> str:
    """Open a session for a login on this device; flushes. Ended and expired rows of the user go."""
    db.session.execute(
        delete(UserSession).where(
            UserSession.user_id == user.id, or_(UserSession.ended_at.is_not(None), UserSession.created_at < _oldest_valid())
        )
    )
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, token_hash=_digest(token)))
    db.session.flush()
    user.login_token = token
    return token


def end(user: User) -> None:
    """End the session of this device (plain logout)."""
    if user.login_token:
        db.session.execute(
            update(UserSession)
            .where(UserSession.token_hash == _digest(user.login_token), UserSession.ended_at.is_(None))
            .values(ended_at=utcnow())
        )


def end_all(user: User) -> None:
    """End every session of the user (logout everywhere, password change or reset, deletion)."""
    db.session.execute(
        update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None)).values(ended_at=utcnow())
    )


MAX_ID = 2**31 - 1  # ids and versions are 32-bit integer columns

# Built once: this runs on every signed-in request, and building the statement cost more than
# running it.
_LOAD = (
    select(User)
    .join(UserSession, UserSession.user_id == User.id)
    .where(
        User.id == bindparam("user"),
        User.session_version == bindparam("version"),
        UserSession.token_hash == bindparam("token"),
        UserSession.ended_at.is_(None),
        UserSession.created_at >= bindparam("oldest"),
    )
)


def load(login_id: str) -> User | None:
    """The user of a login id "<user id>:<session version>:<token>", or None when it is malformed,
    ended, expired, or from before the last logout everywhere. One query."""
    match = _LOGIN_ID_RE.match(login_id or "")
    if match is None:
        return None
    user_id, version, token = int(match[1]), int(match[2]), match[3]
    if user_id > MAX_ID or version > MAX_ID:
        return None
    user = db.session.scalar(_LOAD, {"user": user_id, "version": version, "token": _digest(token), "oldest": _oldest_valid()})
    if user is None or not user.is_active:
        return None
    user.login_token = token
    return user
