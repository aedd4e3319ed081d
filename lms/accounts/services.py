"""Account operations. Each flushes; the request or command commits."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any, cast

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import CursorResult, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from lms.accounts import sessions, throttle
from lms.accounts.models import ASSIGNABLE_ROLES, NAME_MAX, ResetCode, Role, RoleAssignment, User
from lms.accounts.phone import normalize_login, normalize_phone
from lms.accounts.scope import get_manageable_person
from lms.core import audit, signals
from lms.core.db import flush_or_refuse
from lms.core.errors import Conflict, NotFound, ValidationFailed
from lms.core.extensions import db
from lms.core.models import utcnow
from lms.core.text import clean_line, has_control_chars
from lms.places.models import Commune, Province

CONSENT_VERSION = "2026-01"
PASSWORD_MIN = 8
PASSWORD_MAX = 128
# Letters of any script (Vietnamese and ethnic-minority names), spaces, hyphen, apostrophe, dot.
_NAME_RE = re.compile(r"^[^\W\d_]+(?:[ '’.\-][^\W\d_]+)*\.?$")
_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_DUMMY_HASH = None


def _hash(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def validate_full_name(raw: str) -> str:
    if has_control_chars(raw or ""):
        raise ValidationFailed(_("Họ và tên có ký tự điều khiển không hợp lệ."), field="full_name")
    name = clean_line(raw or "")
    if len(name) < 2:
        raise ValidationFailed(_("Bạn hãy nhập họ và tên đầy đủ."), field="full_name")
    if len(name) > NAME_MAX:
        raise ValidationFailed(_("Họ và tên dài tối đa %(n)s ký tự.", n=NAME_MAX), field="full_name")
    if not _NAME_RE.match(name):
        raise ValidationFailed(_("Họ và tên chỉ gồm chữ cái, dấu cách, dấu gạch nối hoặc dấu nháy."), field="full_name")
    return name


def validate_password(password: str, phone: str | None = None) -> None:
    if len(password or "") < PASSWORD_MIN:
        raise ValidationFailed(_("Mật khẩu cần ít nhất %(n)s ký tự.", n=PASSWORD_MIN), field="password")
    if len(password) > PASSWORD_MAX:
        raise ValidationFailed(_("Mật khẩu dài tối đa %(n)s ký tự.", n=PASSWORD_MAX), field="password")
    if len(set(password)) < 4:
        raise ValidationFailed(_("Mật khẩu quá dễ đoán. Bạn hãy dùng nhiều ký tự khác nhau hơn."), field="password")
    if phone and password.strip() in {phone, "0" + phone[3:]}:
        raise ValidationFailed(_("Không dùng số điện thoại làm mật khẩu."), field="password")


def validate_birth_year(value: int | None) -> int | None:
    if value is None:
        return None
    this_year = utcnow().year
    if not (this_year - 110 <= value <= this_year - 6):
        raise ValidationFailed(
            _("Năm sinh phải trong khoảng %(low)s–%(high)s.", low=this_year - 110, high=this_year - 6), field="birth_year"
        )
    return value


def validate_email(raw: str | None) -> str | None:
    email = (raw or "").strip().lower()
    if not email:
        return None
    if len(email) > 254 or not _EMAIL_RE.match(email) or has_control_chars(email):
        raise ValidationFailed(_("Địa chỉ thư điện tử không hợp lệ."), field="email")
    return email


def find_commune(code: str | None) -> Commune | None:
    if not code:
        return None
    commune = db.session.get(Commune, code.strip())
    if commune is None:
        raise ValidationFailed(_("Không có xã/phường/đặc khu với mã này."), field="commune")
    return commune


def find_user_by_phone(raw_phone: str) -> User | None:
    """The account of a mobile number, or of a login ID from a card (lms/accounts/assisted.py)."""
    phone = normalize_login(raw_phone)
    return db.session.scalar(select(User).where(User.phone == phone, User.deleted_at.is_(None)))


def register_user(
    *,
    phone: str,
    password: str,
    full_name: str,
    consent: bool,
    commune_code: str | None = None,
    birth_year: int | None = None,
    email: str | None = None,
) -> User:
    """Create an account; raises ValidationFailed naming the field at fault."""
    if not consent:
        raise ValidationFailed(_("Bạn cần đọc và đồng ý với thông báo xử lý dữ liệu cá nhân để đăng ký."), field="consent")
    e164 = normalize_phone(phone)
    name = validate_full_name(full_name)
    validate_password(password, e164)
    year = validate_birth_year(birth_year)
    mail = validate_email(email)
    commune = find_commune(commune_code)
    if db.session.scalar(select(User.id).where(User.phone == e164)) is not None:
        raise ValidationFailed(
            _("Số điện thoại này đã có tài khoản. Bạn hãy đăng nhập hoặc nhờ cán bộ xã cấp mã đặt lại mật khẩu."),
            field="phone",
        )
    if mail and db.session.scalar(select(User.id).where(User.email == mail)) is not None:
        raise ValidationFailed(_("Thư điện tử này đã được dùng cho tài khoản khác."), field="email")
    user = User(
        phone=e164,
        email=mail,
        full_name=name,
        birth_year=year,
        home_commune_code=commune.code if commune else None,
        password_hash=_hash(password),
        consent_at=utcnow(),
        consent_version=CONSENT_VERSION,
    )
    flush_or_refuse(ValidationFailed(_("Số điện thoại này đã có tài khoản."), field="phone"), user)
    return user


class WrongCredentials(ValidationFailed):
    """No account has this phone and password; the same message either way."""


def update_profile(user: User, *, full_name: str, birth_year: int | None, email: str | None, commune_code: str | None) -> User:
    """Change what a person says about themselves; raises ValidationFailed naming the field."""
    email_taken = _("Thư điện tử này đã được dùng cho tài khoản khác.")
    name = validate_full_name(full_name)
    year = validate_birth_year(birth_year)
    mail = validate_email(email)
    if mail and mail != user.email and db.session.scalar(select(User.id).where(User.email == mail)):
        raise ValidationFailed(email_taken, field="email")
    commune = find_commune(commune_code)
    user.full_name, user.birth_year, user.email = name, year, mail
    before = user.home_commune_code
    user.home_commune_code = commune.code if commune else None
    flush_or_refuse(ValidationFailed(email_taken, field="email"))  # a parallel request took the e-mail first
    if user.home_commune_code != before:
        signals.person_moved.send("accounts", user=user, commune_code=before, household_id=user.household_id)
    return user


def move_person(user: User, *, commune_code: str | None, household_id: int | None) -> None:
    """Change a person's home commune and household together, and announce it (person_moved)
    so reports move their counts: the one way to change either (profile edits call it too)."""
    before = (user.home_commune_code, user.household_id)
    user.home_commune_code, user.household_id = commune_code, household_id
    db.session.flush()
    if (commune_code, household_id) != before:
        signals.person_moved.send("accounts", user=user, commune_code=before[0], household_id=before[1])


def set_password(user: User, password: str) -> None:
    """A new password chosen by an administrator on the server; ends every session."""
    validate_password(password, user.phone)
    user.password_hash = _hash(password)
    user.session_version += 1
    sessions.end_all(user)


def create_account(
    phone: str,
    name: str,
    password: str,
    role: Role | None = None,
    *,
    province_code: str | None = None,
    commune_code: str | None = None,
    reset_existing: bool = False,
) -> User:
    """An account made from the command line, with an optional official role. An existing
    number is refused, or with reset_existing given this password (the demo does that)."""
    user = db.session.scalar(select(User).where(User.phone == normalize_phone(phone)))
    if user is None:
        user = register_user(
            phone=phone,
            password=password,
            full_name=name,
            consent=True,
            commune_code=commune_code if role != Role.PROVINCE_OFFICIAL else None,
        )
    elif reset_existing:
        set_password(user, password)
    else:
        raise Conflict(_("Số %(phone)s đã có tài khoản.", phone=phone))
    if role in ASSIGNABLE_ROLES:
        assign_role(user, role, province_code=province_code, commune_code=commune_code)
    return user


def authenticate(raw_phone: str, password: str) -> User:
    """Return the user for these credentials or raise one message that reveals nothing."""
    message = _("Số điện thoại hoặc mật khẩu không đúng.")
    user = find_user_by_phone(raw_phone)  # a malformed number raises its own message
    global _DUMMY_HASH
    if user is None:
        # Spend the same time as a real check so the response does not reveal who exists.
        _DUMMY_HASH = _DUMMY_HASH or _hash("not-a-real-password")
        check_password_hash(_DUMMY_HASH, password or "")
        raise WrongCredentials(message, field="password")
    if not check_password_hash(user.password_hash, password or ""):
        raise WrongCredentials(message, field="password")
    if not user.is_active:
        raise ValidationFailed(_("Tài khoản này đang bị khóa. Bạn hãy liên hệ cán bộ xã."), field="phone")
    user.last_login_at = utcnow()
    return user


def log_in(raw_phone: str, password: str) -> User:
    """authenticate() behind the failed-login back-off (throttle.py): raises LoginThrottled
    (429) while the phone must wait, counts a wrong password, clears the count on success."""
    phone = normalize_login(raw_phone)
    throttle.check(phone)
    try:
        user = authenticate(phone, password)
    except WrongCredentials:
        throttle.record_failure(phone)
        raise
    throttle.clear(phone)
    return user


def change_password(user: User, current: str, new: str) -> User:
    if not check_password_hash(user.password_hash, current or ""):
        raise ValidationFailed(_("Mật khẩu hiện tại không đúng."), field="current_password")
    validate_password(new, user.phone)
    user.password_hash = _hash(new)
    user.session_version += 1
    sessions.end_all(user)
    audit.record(user.id, "password.change", "user", user.id)
    return user


def logout_everywhere(user: User) -> None:
    user.session_version += 1
    sessions.end_all(user)
    audit.record(user.id, "session.logout_all", "user", user.id)
    db.session.flush()


def issue_reset_code(actor: User, person_id: int) -> str:
    """One-time code that an official or admin reads out to a person they may manage: a resident
    of their communes who holds no official role (officials' codes come from an admin)."""
    person = get_manageable_person(actor, person_id)
    return _new_reset_code(person, actor)


def issue_reset_code_from_server(person: User) -> str:
    """A reset code made on the server itself (`flask lms reset-code`): the only way for an admin."""
    return _new_reset_code(person, None)


def _new_reset_code(person: User, actor: User | None) -> str:
    code = f"{secrets.randbelow(10**8):08d}"
    now = utcnow()
    for old in db.session.scalars(select(ResetCode).where(ResetCode.user_id == person.id, ResetCode.used_at.is_(None))):
        old.used_at = now  # only the newest code works
    db.session.add(
        ResetCode(
            user_id=person.id,
            code_hash=_hash(code),
            expires_at=now + timedelta(minutes=current_app.config["RESET_CODE_MINUTES"]),
            created_by_id=actor.id if actor else None,
        )
    )
    audit.record(actor.id if actor else None, "password.reset_code", "user", person.id, via="web" if actor else "server")
    return code


MAX_CODE_ATTEMPTS = 5
_DUMMY_CODE_HASH = None


def _take_code_try(reset_id: int) -> bool:
    """Count one try against the code in a single UPDATE, so parallel requests cannot share a
    try; False when the code is used up, spent or out of tries."""
    taken = db.session.execute(
        update(ResetCode)
        .where(ResetCode.id == reset_id, ResetCode.used_at.is_(None), ResetCode.failed_attempts < MAX_CODE_ATTEMPTS)
        .values(failed_attempts=ResetCode.failed_attempts + 1)
        .returning(ResetCode.id)
        .execution_options(synchronize_session=False)
    ).first()
    return taken is not None


def reset_password_with_code(raw_phone: str, code: str, new_password: str) -> User:
    """Set a new password with a code an official issued. Each submission uses one of the code's
    tries before it is checked; every path spends one hash check, so timing reveals nothing."""
    global _DUMMY_CODE_HASH
    message = _("Mã đặt lại không đúng hoặc đã hết hạn. Bạn hãy nhờ cán bộ xã cấp mã mới.")
    typed = (code or "").strip().replace(" ", "")
    validate_password(new_password, normalize_login(raw_phone))  # before a try is used
    user = find_user_by_phone(raw_phone)
    now = utcnow()
    reset = None
    if user is not None:
        reset = db.session.scalar(
            select(ResetCode)
            .where(ResetCode.user_id == user.id, ResetCode.used_at.is_(None), ResetCode.expires_at >= now)
            .order_by(ResetCode.id.desc())
        )
    if user is None or reset is None or not _take_code_try(reset.id):
        _DUMMY_CODE_HASH = _DUMMY_CODE_HASH or _hash("00000000")
        check_password_hash(_DUMMY_CODE_HASH, typed)
        raise ValidationFailed(message, field="code")
    if not check_password_hash(reset.code_hash, typed):
        raise ValidationFailed(message, field="code")
    spent = cast(
        CursorResult[Any],
        db.session.execute(
            update(ResetCode)
            .where(ResetCode.id == reset.id, ResetCode.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    if spent.rowcount != 1:  # a parallel request with the same code won
        raise ValidationFailed(message, field="code")
    user.password_hash = _hash(new_password)
    user.session_version += 1
    sessions.end_all(user)
    throttle.clear(user.phone)
    audit.record(user.id, "password.reset", "user", user.id, reset_by=reset.created_by_id)
    return user


def reset_history(person: User, limit: int = 10) -> list[dict[str, Any]]:
    """The latest reset codes issued for a person and resets made with them, newest first."""
    rows = db.session.execute(
        select(audit.AuditEvent, User.full_name)
        .outerjoin(User, User.id == audit.AuditEvent.actor_id)
        .where(
            audit.AuditEvent.target_type == "user",
            audit.AuditEvent.target_id == str(person.id),
            audit.AuditEvent.action.in_(("password.reset_code", "password.reset")),
        )
        .order_by(audit.AuditEvent.id.desc())
        .limit(limit)
    ).all()
    return [{"at": event.created_at, "action": event.action, "actor": actor_name} for event, actor_name in rows]


def _role_place(role: Role, province_code: str | None, commune_code: str | None) -> tuple[str | None, str | None]:
    """The (province, commune) a role of this kind is held in, checked: a province official's
    province, a commune official's commune, nothing for an admin."""
    if role == Role.PROVINCE_OFFICIAL:
        if not province_code or db.session.get(Province, province_code) is None:
            raise ValidationFailed(_("Không có tỉnh/thành phố với mã này."), field="province")
        return province_code, None
    if role == Role.COMMUNE_OFFICIAL:
        if not commune_code:
            raise ValidationFailed(_("Không có xã/phường/đặc khu với mã này."), field="commune")
        find_commune(commune_code)
        return None, commune_code
    if role == Role.ADMIN:
        return None, None
    raise ValidationFailed(_("Vai trò này được gán qua tổ, không gán trực tiếp."), field="role")


def _lock_person(user: User) -> None:
    """Take the person's row lock (PostgreSQL; SQLite's write transactions are serial anyway), so
    two officials changing one person's roles at once take turns: the unique index cannot stop
    a duplicate by itself, because the unused place column is NULL and NULLs never collide."""
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())


def _held(user: User, role: Role, province_code: str | None, commune_code: str | None) -> list[RoleAssignment]:
    return list(
        db.session.scalars(
            select(RoleAssignment).where(
                RoleAssignment.user_id == user.id,
                RoleAssignment.role == role.value,
                RoleAssignment.province_code.is_(None)
                if province_code is None
                else RoleAssignment.province_code == province_code,
                RoleAssignment.commune_code.is_(None) if commune_code is None else RoleAssignment.commune_code == commune_code,
            )
        )
    )


def assign_role(
    user: User,
    role: Role,
    *,
    province_code: str | None = None,
    commune_code: str | None = None,
    actor: User | None = None,
) -> RoleAssignment:
    """Give a person an official role (idempotent: a role already held is returned as it is).
    Who may appoint whom is decided by the caller (lms/accounts/roles.py for the web)."""
    province_code, commune_code = _role_place(role, province_code, commune_code)
    _lock_person(user)
    existing = _held(user, role, province_code, commune_code)
    if existing:
        return existing[0]
    assignment = RoleAssignment(
        role=role.value,
        province_code=province_code,
        commune_code=commune_code,
        created_by_id=actor.id if actor else None,
    )
    user.roles.append(assignment)
    db.session.flush()
    audit.record(
        actor.id if actor else None, "role.assign", "user", user.id, role=role.value, province=province_code, commune=commune_code
    )
    return assignment


def remove_role(
    user: User,
    role: Role,
    *,
    province_code: str | None = None,
    commune_code: str | None = None,
    actor: User | None = None,
) -> bool:
    """Take an official role away; False when the person no longer holds it (a second click).
    From the web (actor given) nobody removes their own role, and the last admin is never
    removed, from the web or the server. Takes effect on the person's next request: the scope
    is computed from these rows on every request, so no session needs ending."""
    province_code, commune_code = _role_place(role, province_code, commune_code)
    if actor is not None and actor.id == user.id:
        raise ValidationFailed(_("Bạn không thể tự bỏ vai trò của chính mình. Hãy nhờ cấp trên của bạn."), field="role")
    _lock_person(user)
    if role == Role.ADMIN:
        # Every admin row, locked in one order: two removals of two different admins take turns,
        # and the second sees that only one admin is left.
        admins = db.session.scalars(
            select(RoleAssignment.user_id)
            .where(RoleAssignment.role == Role.ADMIN.value)
            .order_by(RoleAssignment.id)
            .with_for_update()
        ).all()
        if user.id in admins and not set(admins) - {user.id}:
            raise Conflict(_("Đây là quản trị viên cuối cùng: hãy giao quyền quản trị cho người khác trước."))
    held = _held(user, role, province_code, commune_code)
    if not held:
        return False
    for assignment in held:
        db.session.delete(assignment)
    db.session.flush()
    db.session.expire(user, ["roles"])
    audit.record(
        actor.id if actor else None, "role.remove", "user", user.id, role=role.value, province=province_code, commune=commune_code
    )
    return True


def export_user_data(user: User) -> dict[str, Any]:
    """Everything the platform holds about this person, as plain JSON."""
    from lms.places.models import TeamMembership

    memberships = db.session.scalars(select(TeamMembership).where(TeamMembership.user_id == user.id)).all()
    data: dict[str, Any] = {
        "exported_at": utcnow().isoformat(),
        "account": {
            "phone": user.phone,
            "email": user.email,
            "full_name": user.full_name,
            "birth_year": user.birth_year,
            "home_commune": (
                {"code": user.home_commune.code, "name": user.home_commune.full_name} if user.home_commune else None
            ),
            "created_at": user.created_at.isoformat() if user.created_at else None,
            "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
            "consent": {
                "given_at": user.consent_at.isoformat() if user.consent_at else None,
                "notice_version": user.consent_version,
            },
        },
        "roles": [{"role": r.role, "province": r.province_code, "commune": r.commune_code} for r in user.roles],
        "teams": [{"team": m.team.name, "village": m.team.village.name, "is_leader": m.is_leader} for m in memberships],
    }
    # Each feature adds its own part ("learning", "certificates", …) through its receiver.
    data.update(signals.collect(signals.personal_data_requested, "accounts", user=user))
    return data


def delete_account(user: User, password: str) -> User:
    """Erase personal data now; keep anonymous learning records for commune statistics."""
    if not check_password_hash(user.password_hash, password or ""):
        raise ValidationFailed(_("Mật khẩu không đúng."), field="password")
    if user.is_admin:
        raise Conflict(_("Quản trị viên cần bàn giao quyền trước khi xóa tài khoản."))
    now = utcnow()
    user.phone = f"deleted-{user.id}"
    user.email = None
    user.full_name = "Tài khoản đã xóa"
    user.birth_year = None
    user.password_hash = "!"  # noqa: S105  (no hash matches "!": the account cannot log in)
    user.deleted_at = now
    user.session_version += 1
    sessions.end_all(user)
    user.roles.clear()
    from lms.places.models import TeamMembership

    for membership in db.session.scalars(select(TeamMembership).where(TeamMembership.user_id == user.id)).all():
        signals.membership_changed.send("accounts", user=user, team_id=membership.team_id, joined=False)
        db.session.delete(membership)
    # Features erase what they hold (certificates revoke and blank theirs) in this transaction.
    signals.account_deleted.send("accounts", user=user)
    audit.record(user.id, "account.delete", "user", user.id)
    return user


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("Không tìm thấy tài khoản."))
    return user
