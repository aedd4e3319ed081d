"""Issue, look up, revoke and regenerate certificates; select them for bulk work in scope.

Services flush; the request, CLI command or job commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, Select, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from lms.accounts.models import User
from lms.accounts.scope import can_manage, get_commune, get_person, get_team, get_village, scope_of, visible_people
from lms.accounts.services import validate_full_name
from lms.catalog.models import Course
from lms.certificates import credentials, jobs, settings, storage
from lms.certificates.codes import MalformedCode, new_code, normalize_code
from lms.certificates.models import Certificate
from lms.core import audit, signals
from lms.core.db import insert_once
from lms.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from lms.core.extensions import db
from lms.core.models import utcnow
from lms.core.text import clean_line, has_control_chars
from lms.learning.models import CourseCompletion
from lms.places.models import Team, TeamMembership

REASON_MAX = 500


# --- issue -------------------------------------------------------------------------------------


def certificate_of(user_id: int, course_id: int) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.user_id == user_id, Certificate.course_id == course_id))


def issue_certificate(user: User, course: Course, issued_at=None) -> Certificate:
    """The person's certificate for the course, created once (a second call, or a concurrent
    transaction that got there first, returns the existing one)."""
    existing = certificate_of(user.id, course.id)
    if existing is not None:
        return existing
    for _attempt in range(5):
        certificate = Certificate(
            code=new_code(),
            user_id=user.id,
            course_id=course.id,
            printed_name=user.full_name,
            course_title=course.title,
            certificate_title=course.certificate_title,
            issuer_name=settings.issuer_name(),
            issued_at=issued_at or utcnow(),
        )
        try:
            certificate, inserted = insert_once(certificate, lambda: certificate_of(user.id, course.id))
        except IntegrityError:
            continue  # a code collision (one in 10^16): draw another code
        if not inserted:
            return certificate  # a concurrent transaction issued it first
        credentials.issue_if_possible(certificate)  # signed once, now; stored and served as is
        jobs.render_after_commit(db.session(), certificate.id, certificate.code, certificate.revision)
        signals.certificate_issued.send("certificates", certificate=certificate, user=user, course=course)
        return certificate
    raise Conflict(_("Không tạo được mã chứng nhận. Bạn hãy thử lại."))


def issue_on_completion(_sender, *, completion: CourseCompletion, user: User, course: Course, **_) -> None:
    """Receiver of signals.course_completed: the certificate, in the same transaction (it flushes)."""
    issue_certificate(user, course, issued_at=completion.completed_at)


# --- look up and verify ------------------------------------------------------------------------


def find_by_code(raw: str) -> Certificate:
    """MalformedCode for a code that cannot exist, NotFound for one that does not."""
    code = normalize_code(raw)
    certificate = db.session.scalar(select(Certificate).where(Certificate.code == code))
    if certificate is None:
        raise NotFound(_("Không có giấy chứng nhận nào mang mã này. Bạn hãy so lại từng ký tự với mã in trên giấy chứng nhận."))
    return certificate


def try_normalize(raw: str) -> tuple[str | None, str | None]:
    try:
        return normalize_code(raw), None
    except MalformedCode as error:
        return None, str(error)


def mask_name(name: str, mode: str | None = None) -> str:
    """What the public pages show of a name: all of it, the family name and initials, or nothing."""
    mode = mode or settings.name_masking()
    if mode == "hidden":
        return _("(được ẩn theo quy định bảo vệ dữ liệu cá nhân)")
    if mode == "initials":
        words = name.split()
        if len(words) <= 1:
            return (name[:1] + ".") if name else name
        return " ".join([words[0]] + [word[:1] + "." for word in words[1:]])
    return name


@dataclass
class PublicView:
    certificate: Certificate
    name: str

    @property
    def is_revoked(self) -> bool:
        return self.certificate.is_revoked


def public_view(certificate: Certificate) -> PublicView:
    return PublicView(certificate=certificate, name=mask_name(certificate.printed_name))


# --- the learner -------------------------------------------------------------------------------


def my_certificate(user: User, raw_code: str) -> Certificate:
    """The user's own certificate; anyone else's (or a bad code) is not found."""
    try:
        certificate = find_by_code(raw_code)
    except MalformedCode:
        certificate = None
    if certificate is None or certificate.user_id != user.id:
        raise NotFound(_("Không tìm thấy giấy chứng nhận này trong tài khoản của bạn."))
    return certificate


def certificates_of(user: User) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.issued_at)))


def export_certificates(user: User) -> list[dict]:
    """For the personal data export."""
    return [
        {
            "code": c.display_code,
            "course": c.course_title,
            "printed_name": c.printed_name,
            "issued_at": c.issued_at.isoformat(),
            "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
        }
        for c in certificates_of(user)
    ]


def export_on_request(_sender, *, user: User, **_) -> tuple[str, list[dict]]:
    """Receiver of signals.personal_data_requested: this feature's part of the export."""
    return "certificates", export_certificates(user)


# --- officials ---------------------------------------------------------------------------------


def _not_managed() -> NotFound:
    return NotFound(_("Không tìm thấy giấy chứng nhận này trong phạm vi bạn quản lý."))


def managed_certificate(viewer: User, raw_code: str) -> Certificate:
    """A certificate whose holder the official may manage; outside the scope it does not exist.

    A malformed code, an unknown one and someone else's get the same message, so these pages
    cannot tell an official whether a code exists outside their scope. A team leader sees the
    team's people but manages none of their certificates: for them too, nothing is found."""
    if not scope_of(viewer).manages_places:
        raise _not_managed()
    try:
        certificate = find_by_code(raw_code)
        get_person(viewer, certificate.user_id)
    except (MalformedCode, NotFound):
        raise _not_managed() from None
    return certificate


def may_change(viewer: User, certificate: Certificate) -> bool:
    """Revoking or correcting touches the holder's record: only for people the official manages
    (home commune in scope, no role as high as the official's), as for any other correction."""
    holder = db.session.get(User, certificate.user_id)
    return holder is not None and can_manage(viewer, holder)


def require_change(viewer: User, certificate: Certificate) -> None:
    if not may_change(viewer, certificate):
        raise PermissionDenied(
            _(
                "Người nhận giấy chứng nhận này giữ vai trò ngang hoặc cao hơn vai trò của bạn, "
                "nên bạn không thu hồi hay sửa tên giấy chứng nhận này được."
            )
        )


def _reason(raw: str | None, too_short: str) -> str:
    reason = clean_line(raw or "")
    if has_control_chars(reason) or len(reason) < 5:
        raise ValidationFailed(too_short, field="reason")
    if len(reason) > REASON_MAX:
        raise ValidationFailed(_("Lý do dài tối đa %(n)s ký tự.", n=REASON_MAX), field="reason")
    return reason


def revoke(viewer: User, certificate: Certificate, reason: str) -> bool:
    """Revoke with a reason (audited); the credential's bit is set in its status list. False
    when it was already revoked (a double click)."""
    reason = _reason(reason, _("Bạn hãy ghi rõ lý do thu hồi (ít nhất 5 ký tự)."))
    now = utcnow()
    changed = cast(
        CursorResult[Any],
        db.session.execute(
            update(Certificate)
            .where(Certificate.id == certificate.id, Certificate.revoked_at.is_(None))
            .values(revoked_at=now, revoked_by_id=viewer.id, revoke_reason=reason)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    db.session.refresh(certificate)
    if changed != 1:
        return False
    credentials.revoke(certificate)
    audit.record(viewer.id, "certificate.revoke", "certificate", certificate.code, reason=reason, user_id=certificate.user_id)
    signals.certificate_revoked.send("certificates", certificate=certificate, actor=viewer, reason=reason)
    return True


def may_reinstate(certificate: Certificate) -> bool:
    """A revocation can be undone unless the holder erased their account (the name is gone)."""
    holder = db.session.get(User, certificate.user_id)
    return certificate.is_revoked and holder is not None and holder.deleted_at is None


def reinstate(viewer: User, certificate: Certificate, reason: str) -> bool:
    """Undo a mistaken revocation, with a reason (audited): the certificate is valid again and
    its credential's bit is cleared. False when it was not revoked any more (a double click)."""
    reason = _reason(reason, _("Bạn hãy ghi rõ lý do khôi phục (ít nhất 5 ký tự)."))
    if certificate.is_revoked and not may_reinstate(certificate):
        raise Conflict(_("Người nhận đã xóa tài khoản nên giấy chứng nhận này không khôi phục được."))
    revoked_at, revoked_reason = certificate.revoked_at, certificate.revoke_reason
    changed = cast(
        CursorResult[Any],
        db.session.execute(
            update(Certificate)
            .where(Certificate.id == certificate.id, Certificate.revoked_at.is_not(None))
            .values(revoked_at=None, revoked_by_id=None, revoke_reason=None)
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    db.session.refresh(certificate)
    if changed != 1:
        return False
    credentials.reinstate(certificate)
    audit.record(
        viewer.id,
        "certificate.reinstate",
        "certificate",
        certificate.code,
        reason=reason,
        revoked_at=revoked_at.isoformat() if revoked_at else None,
        revoked_reason=revoked_reason,
        user_id=certificate.user_id,
    )
    signals.certificate_reinstated.send("certificates", certificate=certificate, actor=viewer)
    return True


def correct_and_regenerate(viewer: User, certificate: Certificate, new_name: str, expected_revision: int) -> bool:
    """Correct the holder's name (profile and certificate) and make a new PDF under the same code.

    `expected_revision` is the revision the official was looking at: a second submission of the
    same form (double click, retry) finds the revision already raised and changes nothing.
    Returns False in that case.
    """
    if certificate.is_revoked:
        raise Conflict(_("Giấy chứng nhận này đã bị thu hồi nên không cấp lại được."))
    name = validate_full_name(new_name)
    old_name = certificate.printed_name
    changed = cast(
        CursorResult[Any],
        db.session.execute(
            update(Certificate)
            .where(Certificate.id == certificate.id, Certificate.revision == expected_revision, Certificate.revoked_at.is_(None))
            .values(printed_name=name, revision=Certificate.revision + 1, regenerated_at=utcnow())
            .execution_options(synchronize_session=False)
        ),
    ).rowcount
    db.session.refresh(certificate)
    if changed != 1:
        return False
    holder = db.session.get(User, certificate.user_id)
    if holder is not None and holder.full_name != name:
        holder.full_name = name
    audit.record(
        viewer.id,
        "certificate.regenerate",
        "certificate",
        certificate.code,
        old_name=old_name,
        new_name=name,
        revision=certificate.revision,
        user_id=certificate.user_id,
    )
    credentials.supersede_and_issue(certificate)  # the old credential shows revoked (superseded)
    jobs.render_after_commit(db.session(), certificate.id, certificate.code, certificate.revision)
    return True


def history(certificate: Certificate) -> list[audit.AuditEvent]:
    return list(
        db.session.scalars(
            select(audit.AuditEvent)
            .where(audit.AuditEvent.target_type == "certificate", audit.AuditEvent.target_id == certificate.code)
            .order_by(audit.AuditEvent.created_at.desc())
        )
    )


# --- groups for bulk work ----------------------------------------------------------------------

GROUP_KINDS = ("commune", "village", "team")
# ASCII digits only (str.isdigit and int() also take "²", "٢" and "２"), and few enough to fit
# an INTEGER column on every database.
_GROUP_ID = re.compile(r"[0-9]{1,9}")
_COMMUNE_CODE = re.compile(r"[0-9]{5}")


@dataclass
class Group:
    kind: str
    key: str
    title: str
    commune_code: str
    member_ids: Select  # a select of user ids

    @property
    def slug(self) -> str:
        return f"{self.kind}-{self.key}"


def get_group(viewer: User, kind: str, key: str) -> Group:
    """A commune, village or team the official manages (NotFound otherwise)."""
    if not scope_of(viewer).manages_places:
        raise NotFound(_("Không tìm thấy nhóm này."))
    if kind == "commune":
        if not _COMMUNE_CODE.fullmatch(key):
            raise NotFound(_("Không tìm thấy nhóm này."))
        commune = get_commune(viewer, key)
        teams = select(Team.id).where(Team.commune_code == commune.code)
        members = select(TeamMembership.user_id).where(TeamMembership.team_id.in_(teams))
        ids = select(User.id).where(or_(User.home_commune_code == commune.code, User.id.in_(members)))
        return Group(kind, commune.code, commune.full_name, commune.code, ids)
    if not _GROUP_ID.fullmatch(key):
        raise NotFound(_("Không tìm thấy nhóm này."))
    if kind == "village":
        village = get_village(viewer, int(key))
        teams = select(Team.id).where(Team.village_id == village.id)
        ids = select(TeamMembership.user_id).where(TeamMembership.team_id.in_(teams))
        title = f"{village.kind.capitalize()} {village.name}, {village.commune.name}"
        return Group(kind, str(village.id), title, village.commune_code, ids)
    if kind == "team":
        team = get_team(viewer, int(key), manage=True)
        ids = select(TeamMembership.user_id).where(TeamMembership.team_id == team.id)
        title = f"{team.name} — {team.village.name}, {team.village.commune.name}"
        return Group(kind, str(team.id), title, team.commune_code, ids)
    raise NotFound(_("Không tìm thấy nhóm này."))


def group_certificates(viewer: User, group: Group, include_revoked: bool = True) -> Select:
    """Certificates of the group's people that the viewer may see (through the scope helper)."""
    people = visible_people(viewer, select(User.id)).where(User.id.in_(group.member_ids))
    stmt = select(Certificate).join(User, User.id == Certificate.user_id).where(Certificate.user_id.in_(people))
    if not include_revoked:
        stmt = stmt.where(Certificate.revoked_at.is_(None))
    return stmt.order_by(User.full_name, Certificate.course_id, Certificate.id)


def count_group(viewer: User, group: Group) -> int:
    stmt = group_certificates(viewer, group, include_revoked=False)
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


@dataclass
class Progress:
    total: int
    ready: int

    @property
    def done(self) -> bool:
        return self.ready >= self.total

    @property
    def percent(self) -> int:
        return 100 if not self.total else round(100 * self.ready / self.total)


def group_progress(certificates: list[Certificate]) -> Progress:
    return Progress(total=len(certificates), ready=sum(1 for c in certificates if storage.is_rendered(c)))


def enqueue_missing(certificates: list[Certificate]) -> int:
    """Queue the renders of the certificates without their PDF, in batches (jobs.BATCH_SIZE a
    job); how many were asked for. Asking again for the same ones queues nothing more."""
    missing = [(c.id, c.code, c.revision) for c in certificates if not storage.is_rendered(c)]
    return jobs.enqueue_batches(missing)
