"""Households of a village: a team member (or an official, or the team's leader) writes down an
address label at the door. No identity number is ever asked for or kept: a label that looks
like one (nine digits or more) is refused.

Two spellings of one address are one household: the label is folded (accents, case, spaces,
punctuation) into Household.label_key, unique per village, so "Số 12, ngõ 3" and "so 12 ngo 3"
meet.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from lms.accounts.models import User
from lms.accounts.scope import get_field_village
from lms.core import audit, signals
from lms.core.db import Page, insert_once, paginate, vi_order
from lms.core.errors import ValidationFailed
from lms.core.extensions import db
from lms.core.text import clean_line, fold, has_control_chars
from lms.places.models import HOUSEHOLD_LABEL_MAX, Household, Village
from lms.places.services import where_words_match

PAGE_SIZE = 50
# Nine digits or more, perhaps split by single spaces, dots or dashes: an old identity card has
# 9 digits, a citizen identity card 12, a phone number 10. An address needs none of these.
_ID_NUMBER_RE = re.compile(r"(?:\d[ .\-]?){9,}")
_PUNCTUATION_RE = re.compile(r"[^\w]+")


class HouseholdExists(ValidationFailed):
    """The village already has a household with this (folded) label; .household is that one."""

    def __init__(self, household: Household, field: str = "label"):
        super().__init__(
            _(
                "Thôn này đã có hộ “%(label)s”. Bạn hãy chọn hộ đó, hoặc ghi địa chỉ rõ hơn (số nhà, ngõ, xóm).",
                label=household.label,
            ),
            field=field,
        )
        self.household = household


def clean_label(raw: str | None, field: str = "label") -> str:
    """The label as it will be kept, or ValidationFailed naming the field."""
    if has_control_chars(raw or ""):
        raise ValidationFailed(_("Địa chỉ hộ có ký tự không hợp lệ."), field=field)
    label = clean_line(raw or "")
    if not any(ch.isalnum() for ch in label):
        raise ValidationFailed(_("Bạn hãy ghi địa chỉ của hộ, ví dụ “Số 12, ngõ 3” hoặc “Nhà ông Tư, xóm Bãi”."), field=field)
    if len(label) > HOUSEHOLD_LABEL_MAX:
        raise ValidationFailed(_("Địa chỉ hộ dài tối đa %(n)s ký tự.", n=HOUSEHOLD_LABEL_MAX), field=field)
    if _ID_NUMBER_RE.search(label):
        raise ValidationFailed(
            _("Không ghi số căn cước, số định danh hay số điện thoại vào địa chỉ hộ: chỉ ghi số nhà, ngõ, xóm."),
            field=field,
        )
    return label


def label_key(label: str) -> str:
    """The label folded, its punctuation read as spaces: "Số 12, ngõ 3" -> "so 12 ngo 3"."""
    return " ".join(_PUNCTUATION_RE.sub(" ", fold(label)).split())[:HOUSEHOLD_LABEL_MAX]


def _find(village_id: int, key: str) -> Household | None:
    return db.session.scalar(select(Household).where(Household.village_id == village_id, Household.label_key == key))


def create_household(actor: User, village: Village | int, label: str, *, field: str = "label") -> Household:
    """Add a household to a village where the actor works: a member or the leader of one of its
    teams, or an official whose scope holds it (else NotFound). A label that folds to one the
    village has raises HouseholdExists, also when a parallel request wrote it first."""
    village = get_field_village(actor, village if isinstance(village, int) else village.id)
    label = clean_label(label, field)
    key = label_key(label)
    existing = _find(village.id, key)
    if existing is not None:
        raise HouseholdExists(existing, field)
    row = Household(village_id=village.id, commune_code=village.commune_code, label=label, label_key=key, created_by_id=actor.id)
    row, inserted = insert_once(row, lambda: _find(village.id, key))
    if not inserted:
        raise HouseholdExists(row, field)
    signals.household_created.send("places", household=row)
    # The label is an address: it stays in its row, not in the audit log.
    audit.record(actor.id, "household.create", "household", row.id, village=village.id)
    return row


def households_query(village_id: int, query: str | None = None) -> Select:
    """The households of a village in Vietnamese order of their labels; with a query, those whose
    label has words beginning with each folded query word ("ngo 3" finds "Số 12, ngõ 3")."""
    stmt = select(Household).where(Household.village_id == village_id)
    if query:
        stmt = where_words_match(stmt, Household.label_key, _printable(query)[:80])
    return stmt.order_by(vi_order(Household.label), Household.id)


def households_of_village(village_id: int, query: str | None = None, limit: int | None = None) -> list[Household]:
    stmt = households_query(village_id, query)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def household_page(village_id: int, query: str | None, number: int, size: int = PAGE_SIZE) -> Page:
    return paginate(households_query(village_id, query), number, size)


def household_of_village(household_id: int | None, village_id: int) -> Household | None:
    if household_id is None:
        return None
    return db.session.scalar(select(Household).where(Household.id == household_id, Household.village_id == village_id))


def people_counts(household_ids: list[int]) -> dict[int, int]:
    """How many accounts (not deleted) each household has."""
    if not household_ids:
        return {}
    rows = db.session.execute(
        select(User.household_id, func.count())
        .where(User.household_id.in_(household_ids), User.deleted_at.is_(None))
        .group_by(User.household_id)
    )
    return {household_id: count for household_id, count in rows if household_id is not None}


def _printable(text: str) -> str:
    # NUL and other control characters never reach a query (PostgreSQL refuses NUL in text).
    return "".join(ch if ch.isprintable() else " " for ch in text)
