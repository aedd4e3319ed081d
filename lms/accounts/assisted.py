"""Registration at the door: a team member registers a citizen of one of their team's villages,
after reading the privacy notice aloud, and hands over a login card.

The card carries a login (the citizen's mobile number, or a login ID "HS-123-456-789" for a
citizen without one, see lms/accounts/phone.py) and a one-time code: a ResetCode row like the
ones officials issue, hashed, valid CARD_CODE_DAYS days, five tries, spent once. The citizen
opens /login/card, types both and chooses a password, and is signed in.

A registration is idempotent: the form carries a random key, kept in the audit event of the
registration. The same form sent again (a double click, or a retry after a dropped connection)
finds that event and shows the same person's card with a fresh code, as long as the citizen
has not used the card yet; nothing is created twice. The member's own row is locked first, so
two copies of one form take turns on PostgreSQL (SQLite's writers take turns anyway).

Registering someone gives the member no power over them: they cannot see the person among
"people", reset their password or edit them; the commune's officials manage them as anyone.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from lms.accounts import services
from lms.accounts.models import AssistedRegistration, ResetCode, User
from lms.accounts.phone import LOGIN_ID_DIGITS, LOGIN_ID_PREFIX, display_phone, luhn_digit, normalize_phone
from lms.accounts.scope import member_villages
from lms.core import audit
from lms.core.db import flush_or_refuse
from lms.core.errors import ValidationFailed
from lms.core.extensions import db
from lms.core.models import utcnow
from lms.places.households import HouseholdExists, create_household, household_of_village
from lms.places.models import Household, Village

CARD_CODE_DAYS = 7
FORM_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# How far back a repeated form is looked for among the member's registrations.
REPEAT_WINDOW = timedelta(days=2)
ACTION = "assisted.register"


@dataclass(frozen=True)
class Card:
    """What the login card shows. The code exists only here: the database keeps its hash."""

    citizen: User
    login: str
    code: str
    expires_at: datetime
    repeated: bool = False

    @property
    def code_groups(self) -> str:
        return f"{self.code[:4]} {self.code[4:]}"


def new_form_key() -> str:
    return secrets.token_urlsafe(18)


def card_code_days() -> int:
    try:
        days = int(current_app.config.get("CARD_CODE_DAYS") or CARD_CODE_DAYS)
    except (TypeError, ValueError):
        days = CARD_CODE_DAYS
    return max(1, min(days, 30))


def phone_taken_message() -> str:
    # One message whoever holds the number and wherever they live: the form reveals no name or
    # commune, and never touches that account.
    return _(
        "Số điện thoại này đã có tài khoản nên không đăng ký lại được. Người dân hãy đăng nhập bằng số này; "
        "nếu quên mật khẩu, hãy nhờ cán bộ xã cấp mã đặt lại."
    )


def register_citizen(
    member: User,
    *,
    form_key: str,
    village_id: int | None,
    full_name: str,
    phone: str | None,
    birth_year: int | None,
    household_id: int | None,
    household_label: str | None,
    consent: bool,
) -> Card:
    """Create the citizen, their AssistedRegistration and a card code; flushes (the request
    commits). Raises ValidationFailed naming the field at fault, and creates nothing then."""
    if not FORM_KEY_RE.match(form_key or ""):
        raise ValidationFailed(_("Biểu mẫu này đã cũ. Bạn hãy tải lại trang rồi nhập lại."))
    db.session.execute(select(User.id).where(User.id == member.id).with_for_update())
    earlier = _earlier_registration(member, form_key)
    if earlier is not None:
        return _card_again(member, earlier)

    name = services.validate_full_name(full_name)
    e164 = normalize_phone(phone or "") if (phone or "").strip() else None
    if birth_year is None:
        raise ValidationFailed(_("Bạn hãy nhập năm sinh của người dân."), field="birth_year")
    year = services.validate_birth_year(birth_year)
    village = db.session.get(Village, village_id) if village_id is not None and village_id in member_villages(member) else None
    if village is None:
        raise ValidationFailed(_("Bạn hãy chọn một thôn/tổ dân phố của tổ bạn."), field="village")
    label = (household_label or "").strip()
    if household_id is not None and label:
        raise ValidationFailed(_("Bạn hãy chọn một hộ đã có hoặc ghi hộ mới, không chọn cả hai."), field="household_new")
    if household_id is None and not label:
        raise ValidationFailed(_("Bạn hãy chọn hộ của người dân, hoặc ghi địa chỉ hộ mới."), field="household")
    if not consent:
        raise ValidationFailed(
            _("Bạn hãy đọc to thông báo xử lý dữ liệu cá nhân và chỉ đánh dấu khi người dân đồng ý."), field="consent"
        )
    if e164 is not None and db.session.scalar(select(User.id).where(User.phone == e164)) is not None:
        raise ValidationFailed(phone_taken_message(), field="phone")
    household = _household(member, village, household_id, label)

    now = utcnow()
    citizen = User(
        phone=e164 or _free_login_id(),
        full_name=name,
        birth_year=year,
        home_commune_code=village.commune_code,
        # Nobody knows this password: the citizen chooses theirs with the card's code.
        password_hash=services._hash(secrets.token_urlsafe(24)),
        consent_at=now,
        consent_version=services.CONSENT_VERSION,
    )
    flush_or_refuse(ValidationFailed(phone_taken_message(), field="phone"), citizen)
    services.move_person(citizen, commune_code=village.commune_code, household_id=household.id)
    db.session.add(
        AssistedRegistration(citizen_id=citizen.id, member_id=member.id, household_id=household.id, consent_read_aloud_at=now)
    )
    detail = {"form_key": form_key, "village": village.id, "household": household.id, "phone": e164 is not None}
    audit.record(member.id, ACTION, "user", citizen.id, **detail)
    return _new_card(member, citizen)


def _household(member: User, village: Village, household_id: int | None, label: str) -> Household:
    if household_id is not None:
        household = household_of_village(household_id, village.id)
        if household is None:
            raise ValidationFailed(_("Hộ này không thuộc thôn đã chọn. Bạn hãy chọn lại hộ."), field="household")
        return household
    try:
        return create_household(member, village, label, field="household_new")
    except HouseholdExists as exists:
        raise ValidationFailed(
            _(
                "Thôn này đã có hộ “%(label)s”. Nếu đúng là hộ này, bạn hãy tìm và chọn nó trong ô “Hộ đã có”; "
                "nếu là hộ khác, hãy ghi địa chỉ rõ hơn (số nhà, ngõ, xóm).",
                label=exists.household.label,
            ),
            field="household_new",
        ) from exists


def _free_login_id() -> str:
    for _attempt in range(8):
        payload = "".join(secrets.choice("0123456789") for _ in range(LOGIN_ID_DIGITS - 1))
        candidate = LOGIN_ID_PREFIX + payload + luhn_digit(payload)
        if db.session.scalar(select(User.id).where(User.phone == candidate)) is None:
            return candidate
    raise ValidationFailed(_("Chưa tạo được mã đăng nhập. Bạn hãy gửi lại biểu mẫu."))


def _new_card(member: User, citizen: User, repeated: bool = False) -> Card:
    code = f"{secrets.randbelow(10**8):08d}"
    now = utcnow()
    for old in db.session.scalars(select(ResetCode).where(ResetCode.user_id == citizen.id, ResetCode.used_at.is_(None))):
        old.used_at = now  # only the newest card works
    expires = now + timedelta(days=card_code_days())
    db.session.add(ResetCode(user_id=citizen.id, code_hash=services._hash(code), expires_at=expires, created_by_id=member.id))
    audit.record(member.id, "password.reset_code", "user", citizen.id, via="card")
    db.session.flush()
    return Card(citizen=citizen, login=display_phone(citizen.phone), code=code, expires_at=expires, repeated=repeated)


def _earlier_registration(member: User, form_key: str) -> int | None:
    """The citizen registered earlier with this very form, if any (the key is in the event)."""
    events = db.session.execute(
        select(audit.AuditEvent.target_id, audit.AuditEvent.detail)
        .where(
            audit.AuditEvent.actor_id == member.id,
            audit.AuditEvent.action == ACTION,
            audit.AuditEvent.created_at >= utcnow() - REPEAT_WINDOW,
        )
        .order_by(audit.AuditEvent.id.desc())
    )
    for target_id, detail in events:
        if isinstance(detail, dict) and detail.get("form_key") == form_key:
            return int(target_id)
    return None


def _card_again(member: User, citizen_id: int) -> Card:
    """The same form sent again: a fresh code on a fresh card, unless the citizen has used theirs
    (then the card is theirs to keep and only an official issues codes)."""
    citizen = db.session.get(User, citizen_id)
    registered = db.session.scalar(
        select(AssistedRegistration.id).where(
            AssistedRegistration.citizen_id == citizen_id, AssistedRegistration.member_id == member.id
        )
    )
    if citizen is None or registered is None or not citizen.is_active:
        raise ValidationFailed(_("Biểu mẫu này đã được gửi rồi. Bạn hãy mở biểu mẫu mới để đăng ký người khác."))
    someone_else = db.session.scalar(
        select(ResetCode.id).where(ResetCode.user_id == citizen.id, ResetCode.created_by_id.is_distinct_from(member.id))
    )
    used = db.session.scalar(
        select(audit.AuditEvent.id).where(
            audit.AuditEvent.target_type == "user",
            audit.AuditEvent.target_id == str(citizen.id),
            audit.AuditEvent.action == "password.reset",
        )
    )
    if citizen.last_login_at is not None or someone_else is not None or used is not None:
        raise ValidationFailed(
            _(
                "%(name)s đã được đăng ký và đã dùng thẻ để đăng nhập. "
                "Nếu người dân quên mật khẩu, hãy nhờ cán bộ xã cấp mã đặt lại.",
                name=citizen.full_name,
            )
        )
    return _new_card(member, citizen, repeated=True)


def log_in_with_card(raw_login: str, code: str, new_password: str) -> User:
    """The citizen's first login: the card's login and code, and a password of their choosing.
    The code is checked (and a try used) exactly as a reset code is."""
    try:
        user = services.reset_password_with_code(raw_login, code, new_password)
    except ValidationFailed as error:
        if error.field != "code":
            raise
        raise ValidationFailed(
            _("Mã trên thẻ không đúng, đã dùng rồi hoặc đã hết hạn. Bạn hãy nhờ cán bộ xã cấp mã mới."), field="code"
        ) from error
    user.last_login_at = utcnow()
    return user
