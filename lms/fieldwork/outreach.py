"""The outreach log: a team member records that a household of their team's village was helped
with a task, from a phone, possibly long after the visit (an offline queue).

- Idempotent by a client-generated id: the same id sent again (a replayed queue, a double
  click) answers with the entry already stored, never a second one.
- One entry per household, task and day: a second one (another member, another phone) is
  refused with a message naming the first.
- No identity numbers, phone numbers or passwords: nothing asks for them and a note that looks
  like one is refused.
- A member corrects their own entries for CORRECTION_DAYS days; each version is kept in
  outreach_revisions. Counters (lms/fieldwork/counts.py) follow in the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User
from lms.core import audit
from lms.core.converters import MAX_DATABASE_INT
from lms.core.errors import Conflict, NotFound, ValidationFailed
from lms.core.extensions import db
from lms.core.models import utcnow
from lms.core.text import clean_line, has_control_chars
from lms.fieldwork import counts
from lms.fieldwork.models import NOTE_MAX, OUTCOMES, OutreachEntry, OutreachRevision
from lms.fieldwork.tasks import check_item, task_by_code
from lms.places.models import Household, Team, TeamMembership

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
CORRECTION_DAYS = 7
OLDEST_DAYS = 366
PEOPLE_MAX = 50
CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9-]{8,36}$")
# Nine digits or more, perhaps split by spaces, dots or dashes: an identity card or phone number.
_NUMBER_RE = re.compile(r"(?:\d[ .\-]?){9,}")
_SECRET_RE = re.compile(r"m[aậ]t\s*kh[aẩ]u|password|\bpass\b|\botp\b", re.IGNORECASE)
FIELDS = ("done_on", "household_id", "task_code", "item_code", "outcome", "people", "note")


def today() -> date:
    return datetime.now(VIETNAM).date()


@dataclass
class Recorded:
    entry: OutreachEntry
    repeated: bool


def parse_day(raw: object, field: str = "date") -> date:
    parsed: date | None = raw if isinstance(raw, date) else None
    if parsed is None:
        text = raw.strip() if isinstance(raw, str) else ""
        try:
            parsed = date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            parsed = None
    if parsed is None:
        raise ValidationFailed(_("Ngày không hợp lệ. Bạn hãy chọn ngày đã đến giúp."), field=field)
    day = parsed
    now = today()
    if day > now:
        raise ValidationFailed(
            _("Không ghi được việc của một ngày chưa tới: hôm nay là %(d)s.", d=now.strftime("%d/%m/%Y")), field=field
        )
    if (now - day).days > OLDEST_DAYS:
        raise ValidationFailed(_("Chỉ ghi được việc trong vòng một năm trở lại."), field=field)
    return day


def _int(raw: object, field: str, message: str, low: int, high: int) -> int:
    if isinstance(raw, bool):
        raise ValidationFailed(message, field=field)
    if isinstance(raw, int):
        value = raw
    else:
        text = raw.strip() if isinstance(raw, str) else ""
        if not (text.isascii() and text.isdigit()) or len(text) > 10:
            raise ValidationFailed(message, field=field)
        value = int(text)
    if not low <= value <= high:
        raise ValidationFailed(message, field=field)
    return value


def clean_note(raw: object) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or has_control_chars(raw):
        raise ValidationFailed(_("Ghi chú có ký tự không hợp lệ."), field="note")
    note = clean_line(raw)
    if len(note) > NOTE_MAX:
        raise ValidationFailed(_("Ghi chú dài tối đa %(n)s ký tự.", n=NOTE_MAX), field="note")
    if _NUMBER_RE.search(note) or _SECRET_RE.search(note):
        raise ValidationFailed(
            _("Không ghi số căn cước, số điện thoại, mật khẩu hay mã OTP vào ghi chú: chỉ ghi việc đã làm."),
            field="note",
        )
    return note or None


@dataclass
class Fields:
    done_on: date
    household: Household
    team_id: int
    task_code: str
    item_code: str | None
    outcome: str
    people: int
    note: str | None


def check_fields(member: User, data: dict) -> Fields:
    """The entry's fields as typed or sent, checked; ValidationFailed names the faulty one."""
    done_on = parse_day(data.get("date"))
    household_id = _int(data.get("household"), "household", _("Bạn hãy chọn hộ đã đến giúp."), 1, MAX_DATABASE_INT)
    # The household with the member's team in its village, in one query (no team: not theirs).
    team = (
        select(Team.id)
        .join(TeamMembership, TeamMembership.team_id == Team.id)
        .where(TeamMembership.user_id == member.id, Team.village_id == Household.village_id)
        .order_by(Team.id)
        .limit(1)
        .correlate(Household)
        .scalar_subquery()
    )
    found = db.session.execute(select(Household, team).where(Household.id == household_id)).first()
    household, team_id = (found[0], found[1]) if found is not None else (None, None)
    if household is None or team_id is None:
        raise ValidationFailed(_("Hộ này không thuộc thôn/tổ dân phố của tổ bạn."), field="household")
    task = task_by_code(data.get("task") if isinstance(data.get("task"), str) else None)
    if task is None:
        raise ValidationFailed(_("Bạn hãy chọn một nhiệm vụ trong danh sách."), field="task")
    raw_item = data.get("item")
    if raw_item is not None and not isinstance(raw_item, str):
        raise ValidationFailed(_("Việc cụ thể này không thuộc nhiệm vụ đã chọn."), field="item")
    item_code = check_item(task, (raw_item or "").strip() or None, household.commune_code)
    outcome = data.get("outcome")
    if outcome not in OUTCOMES:
        raise ValidationFailed(_("Bạn hãy chọn “Đã xong” hoặc “Cần quay lại”."), field="outcome")
    raw_people = data.get("people")
    people = (
        1
        if raw_people in (None, "")
        else _int(raw_people, "people", _("Số người được giúp là một số từ 1 đến %(n)s.", n=PEOPLE_MAX), 1, PEOPLE_MAX)
    )
    return Fields(done_on, household, team_id, task.code, item_code, str(outcome), people, clean_note(data.get("note")))


def _duplicate(household_id: int, task_code: str, done_on: date, other_than: int | None = None) -> OutreachEntry | None:
    stmt = select(OutreachEntry).where(
        OutreachEntry.household_id == household_id, OutreachEntry.task_code == task_code, OutreachEntry.done_on == done_on
    )
    if other_than is not None:
        stmt = stmt.where(OutreachEntry.id != other_than)
    return db.session.scalar(stmt)


def _duplicate_error(found: OutreachEntry) -> Conflict:
    task = task_by_code(found.task_code)
    return Conflict(
        _(
            "Hộ này đã được ghi nhiệm vụ “%(task)s” ngày %(d)s. Nếu cần, bạn hãy sửa mục đã ghi thay vì ghi thêm.",
            task=task.name if task else found.task_code,
            d=found.done_on.strftime("%d/%m/%Y"),
        ),
        field="household",
    )


def _snapshot(entry: OutreachEntry) -> dict:
    return {
        "done_on": entry.done_on.isoformat(),
        "household_id": entry.household_id,
        "task_code": entry.task_code,
        "item_code": entry.item_code,
        "outcome": entry.outcome,
        "people": entry.people,
        "note": entry.note,
    }


def _by_client_id(client_id: str) -> OutreachEntry | None:
    return db.session.scalar(select(OutreachEntry).where(OutreachEntry.client_id == client_id))


def _repeat(member: User, earlier: OutreachEntry) -> Recorded:
    if earlier.member_id != member.id:
        raise Conflict(_("Mã của mục này đã được dùng. Bạn hãy tải lại trang rồi ghi lại."), field="client_id")
    return Recorded(earlier, True)


def record(member: User, client_id: object, data: dict) -> Recorded:
    """Store an entry (flushes; the caller commits). The same client id again returns the
    stored entry with repeated=True."""
    if not isinstance(client_id, str) or not CLIENT_ID_RE.match(client_id):
        raise ValidationFailed(_("Thiếu mã của mục ghi. Bạn hãy tải lại trang rồi ghi lại."), field="client_id")
    earlier = _by_client_id(client_id)
    if earlier is not None:
        return _repeat(member, earlier)
    f = check_fields(member, data)
    now = utcnow()
    values = {
        "client_id": client_id,
        "member_id": member.id,
        "team_id": f.team_id,
        "village_id": f.household.village_id,
        "commune_code": f.household.commune_code,
        "household_id": f.household.id,
        "task_code": f.task_code,
        "item_code": f.item_code,
        "done_on": f.done_on,
        "outcome": f.outcome,
        "people": f.people,
        "note": f.note,
        "revision": 1,
        "created_at": now,
        "updated_at": now,
    }
    # One statement, no savepoint: a unique violation (the same client id sent twice at once, or
    # the same visit recorded by someone else) inserts nothing, and the lookups below say which.
    new_id = db.session.execute(
        counts.insert_of(OutreachEntry).values(**values).on_conflict_do_nothing().returning(OutreachEntry.id)
    ).scalar()
    if new_id is None:
        earlier = _by_client_id(client_id)
        if earlier is not None:
            return _repeat(member, earlier)
        found = _duplicate(f.household.id, f.task_code, f.done_on)
        if found is not None:
            raise _duplicate_error(found)
        raise Conflict(_("Mục này vừa được ghi. Bạn hãy tải lại trang."))
    entry = OutreachEntry(id=new_id, **values)  # not in the session: the row is already written
    db.session.add(
        OutreachRevision(entry_id=entry.id, revision=1, changed_by_id=member.id, changed_at=now, data=_snapshot(entry))
    )
    changes = [counts.entry_change(entry, 1)]
    if entry.outcome == "done":
        changes += counts.reach_changes(entry, entry.household_id, entry.task_code)
    counts.apply(changes)
    return Recorded(entry, False)


def own_entry(member: User, entry_id: int, lock: bool = False) -> OutreachEntry:
    stmt = select(OutreachEntry).where(OutreachEntry.id == entry_id, OutreachEntry.member_id == member.id)
    if lock:
        stmt = stmt.with_for_update()
    entry = db.session.scalar(stmt)
    if entry is None:
        raise NotFound(_("Không tìm thấy mục ghi này trong các mục của bạn."))
    return entry


def correctable(entry: OutreachEntry) -> bool:
    return utcnow() - entry.created_at <= timedelta(days=CORRECTION_DAYS)


def correct(member: User, entry_id: int, data: dict) -> OutreachEntry:
    """Change one of the member's own entries within CORRECTION_DAYS of recording it; the new
    version is kept in the history. Sending the same values again changes nothing."""
    entry = own_entry(member, entry_id, lock=True)
    if not correctable(entry):
        raise ValidationFailed(
            _("Chỉ sửa được trong %(n)s ngày sau khi ghi. Bạn hãy ghi một mục mới nếu cần.", n=CORRECTION_DAYS)
        )
    f = check_fields(member, data)
    if f.household.village_id != entry.village_id:
        raise ValidationFailed(_("Khi sửa chỉ chọn được hộ trong cùng thôn/tổ dân phố."), field="household")
    new = {
        "done_on": f.done_on,
        "household_id": f.household.id,
        "task_code": f.task_code,
        "item_code": f.item_code,
        "outcome": f.outcome,
        "people": f.people,
        "note": f.note,
    }
    if all(getattr(entry, name) == value for name, value in new.items()):
        return entry
    found = _duplicate(f.household.id, f.task_code, f.done_on, other_than=entry.id)
    if found is not None:
        raise _duplicate_error(found)
    old_pair = (entry.household_id, entry.task_code)
    changes = [counts.entry_change(entry, -1)]
    for name, value in new.items():
        setattr(entry, name, value)
    entry.revision += 1
    entry.updated_at = utcnow()
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict(_("Hộ này vừa được ghi nhiệm vụ này trong ngày đó. Bạn hãy tải lại trang.")) from None
    changes.append(counts.entry_change(entry, 1))
    pairs = {old_pair, (entry.household_id, entry.task_code)}
    for household_id, task_code in sorted(pairs):
        changes += counts.reach_changes(entry, household_id, task_code)
    counts.apply(changes)
    db.session.add(
        OutreachRevision(
            entry_id=entry.id,
            revision=entry.revision,
            changed_by_id=member.id,
            changed_at=entry.updated_at,
            data=_snapshot(entry),
        )
    )
    audit.record(member.id, "outreach.correct", "outreach_entry", entry.id, revision=entry.revision)
    return entry


def history(entry: OutreachEntry) -> list[OutreachRevision]:
    return list(
        db.session.scalars(
            select(OutreachRevision).where(OutreachRevision.entry_id == entry.id).order_by(OutreachRevision.revision)
        )
    )


def recent_entries(member: User, limit: int = 30) -> list[OutreachEntry]:
    return list(
        db.session.scalars(
            select(OutreachEntry)
            .where(OutreachEntry.member_id == member.id)
            .order_by(OutreachEntry.created_at.desc(), OutreachEntry.id.desc())
            .limit(limit)
        )
    )
