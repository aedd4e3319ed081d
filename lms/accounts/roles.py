"""Role management in the browser: each level appoints (and removes) the level just below it.

- an admin: province officials, in any province;
- a province official: commune officials, in the communes of their province;
- a commune official: team leaders, in the teams of their commune (a leader is a member of the
  team made leader with places.services.set_leader).

Nobody appoints at or above their own level (admins are made on the server), nobody removes
their own role here, and an appointee is found by phone only among the people the appointer
may manage (a leader among the team's members); every other number gets one message, so the
form cannot tell who is registered elsewhere. Every change is in the audit log, and the page
shows the recent changes in the viewer's scope. A change takes effect on the person's next
request, because the scope is computed from the role rows on every request (see scope_of).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import String, and_, cast, or_, select
from wtforms import SelectField, SubmitField, TelField
from wtforms.validators import InputRequired, Length

from lms.accounts import services
from lms.accounts.models import Role, RoleAssignment, User
from lms.accounts.phone import display_phone, normalize_phone
from lms.accounts.scope import Scope, manageable_people, requires_scope, scope_of
from lms.accounts.scope import viewer as current_viewer
from lms.core.audit import AuditEvent
from lms.core.db import Page, page_number, paginate, vi_order
from lms.core.errors import NotFound, ValidationFailed
from lms.core.extensions import db
from lms.core.forms import TOO_LONG, PostForm, failure_status, strip_filter, submit_form
from lms.places import services as places
from lms.places.models import Commune, Province, Team, TeamMembership

bp = Blueprint("roles", __name__, template_folder="templates", url_prefix="/manage/roles")

PER_PAGE = 50
HISTORY_SIZE = 30
_ROLE_EVENTS = ("role.assign", "role.remove")
_LEADER_EVENTS = ("team.set_leader", "team.add_member")

NOT_APPOINTABLE = _l(
    "Không giao được vai trò cho số này. Chỉ giao được cho người đã có tài khoản, có xã/phường thường trú "
    "thuộc phạm vi bạn quản lý và chưa giữ vai trò cán bộ."
)
NOT_A_MEMBER = _l(
    "Không đặt được số này làm tổ trưởng. Chỉ đặt được người đã là thành viên của tổ; nếu chưa, bạn hãy thêm họ vào tổ trước."
)
ROLE_NAMES = {
    Role.ADMIN.value: _l("quản trị viên"),
    Role.PROVINCE_OFFICIAL.value: _l("cán bộ tỉnh"),
    Role.COMMUNE_OFFICIAL.value: _l("cán bộ xã"),
    Role.TEAM_LEADER.value: _l("tổ trưởng"),
}


@dataclass(frozen=True)
class Kind:
    """A role this page appoints: its section title, what its place is called and who may appoint it."""

    role: Role
    title: Any
    place_label: Any
    choose_place: Any

    @property
    def name(self) -> str:
        return self.role.value


KINDS = {
    kind.name: kind
    for kind in (
        Kind(Role.PROVINCE_OFFICIAL, _l("Cán bộ tỉnh"), _l("Tỉnh/thành phố"), _l("Bạn hãy chọn tỉnh/thành phố trong danh sách.")),
        Kind(Role.COMMUNE_OFFICIAL, _l("Cán bộ xã"), _l("Xã/phường/đặc khu"), _l("Bạn hãy chọn xã/phường trong danh sách.")),
        Kind(Role.TEAM_LEADER, _l("Tổ trưởng"), _l("Tổ"), _l("Bạn hãy chọn tổ trong danh sách.")),
    )
}


def appointable(scope: Scope) -> list[Kind]:
    """The roles one level below each of the viewer's own, in the order of the page."""
    kinds = []
    if scope.is_global:
        kinds.append(KINDS[Role.PROVINCE_OFFICIAL.value])
    if scope.province_codes:
        kinds.append(KINDS[Role.COMMUNE_OFFICIAL.value])
    if scope.commune_codes:
        kinds.append(KINDS[Role.TEAM_LEADER.value])
    return kinds


def _kind_for(viewer: User, name: str) -> Kind:
    for kind in appointable(scope_of(viewer)):
        if kind.name == name:
            return kind
    raise NotFound(_("Không tìm thấy vai trò này trong phạm vi bạn quản lý."))


# --- places in scope ------------------------------------------------------------------------


def _places(viewer: User, kind: Kind):
    """A select of the places (provinces, communes or teams) where the viewer may appoint kind."""
    scope = scope_of(viewer)
    if kind.role == Role.PROVINCE_OFFICIAL:
        return select(Province).order_by(vi_order(Province.name), Province.code)
    if kind.role == Role.COMMUNE_OFFICIAL:
        return (
            select(Commune).where(Commune.province_code.in_(scope.province_codes)).order_by(vi_order(Commune.name), Commune.code)
        )
    return (
        select(Team).where(Team.commune_code.in_(scope.commune_codes)).order_by(Team.commune_code, vi_order(Team.name), Team.id)
    )


def _place_key(place: Province | Commune | Team) -> str:
    return str(place.id) if isinstance(place, Team) else place.code


def _place_name(place: Province | Commune | Team) -> str:
    if isinstance(place, Team):
        return f"{place.name} — {place.village.name}, {place.village.commune.name}"
    if isinstance(place, Commune):
        return place.full_name
    return place.name


def place_choices(viewer: User, kind: Kind) -> list[tuple[str, str]]:
    return [("", _("— Chọn —"))] + [(_place_key(p), _place_name(p)) for p in db.session.scalars(_places(viewer, kind))]


def _find_place(viewer: User, kind: Kind, raw: str | None) -> Province | Commune | Team | None:
    """The place named by a form or a path, if the viewer may appoint kind there. Places are
    digit strings (province "01", commune "00004", team id); anything else names nothing."""
    text = (raw or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        return None
    stmt = _places(viewer, kind).order_by(None)
    if kind.role == Role.PROVINCE_OFFICIAL:
        return db.session.scalar(stmt.where(Province.code == text))
    if kind.role == Role.COMMUNE_OFFICIAL:
        return db.session.scalar(stmt.where(Commune.code == text))
    return db.session.scalar(stmt.where(Team.id == int(text)))


def _role_codes(place: Province | Commune) -> dict[str, str | None]:
    if isinstance(place, Province):
        return {"province_code": place.code, "commune_code": None}
    return {"province_code": None, "commune_code": place.code}


# --- appointing and removing ----------------------------------------------------------------


def appoint(viewer: User, kind: Kind, raw_place: str | None, raw_phone: str) -> tuple[User, Province | Commune | Team]:
    """Give the person with this phone the role in this place, within the viewer's scope."""
    place = _find_place(viewer, kind, raw_place)
    if place is None:
        raise ValidationFailed(str(kind.choose_place), field="place")
    phone = normalize_phone(raw_phone)
    if isinstance(place, Team):
        person = db.session.scalar(
            select(User)
            .join(TeamMembership, TeamMembership.user_id == User.id)
            .where(TeamMembership.team_id == place.id, User.phone == phone, User.deleted_at.is_(None))
        )
        if person is None:
            raise ValidationFailed(str(NOT_A_MEMBER), field="phone")
        places.set_leader(viewer, place.id, person.id, True)
        return person, place
    person = db.session.scalar(manageable_people(viewer).where(User.phone == phone))
    if person is None:
        raise ValidationFailed(str(NOT_APPOINTABLE), field="phone")
    services.assign_role(person, kind.role, actor=viewer, **_role_codes(place))
    return person, place


def dismiss(viewer: User, kind: Kind, raw_place: str, user_id: int) -> bool:
    """Take the role in this place from the person; False when they no longer hold it."""
    place = _find_place(viewer, kind, raw_place)
    if place is None:
        raise NotFound(_("Không tìm thấy nơi này trong phạm vi bạn quản lý."))
    if user_id == viewer.id:
        raise ValidationFailed(_("Bạn không thể tự bỏ vai trò của chính mình. Hãy nhờ cấp trên của bạn."), field="role")
    if isinstance(place, Team):
        held = db.session.scalar(
            select(TeamMembership.is_leader).where(TeamMembership.team_id == place.id, TeamMembership.user_id == user_id)
        )
        if not held:
            return False
        places.set_leader(viewer, place.id, user_id, False)
        return True
    person = db.session.get(User, user_id)
    if person is None:
        return False
    return services.remove_role(person, kind.role, actor=viewer, **_role_codes(place))


# --- what the page lists --------------------------------------------------------------------


@dataclass
class Holder:
    user_id: int
    name: str
    phone: str
    place_key: str
    place_name: str


@dataclass
class Section:
    kind: Kind
    form: AppointForm
    holders: list[Holder]
    page: Page

    @property
    def page_arg(self) -> str:
        return f"{self.kind.name}_page"


def _holders_query(viewer: User, kind: Kind):
    """(user, place) rows of the people who hold kind in the viewer's scope, by place and name."""
    places_in_scope = _places(viewer, kind).order_by(None).subquery()
    if kind.role == Role.TEAM_LEADER:
        return (
            select(User, Team)
            .join(TeamMembership, TeamMembership.user_id == User.id)
            .join(Team, Team.id == TeamMembership.team_id)
            .where(TeamMembership.is_leader.is_(True), Team.id.in_(select(places_in_scope.c.id)))
            .order_by(Team.commune_code, vi_order(Team.name), Team.id, vi_order(User.full_name), User.id)
        )
    place_model: type[Province] | type[Commune] = Province if kind.role == Role.PROVINCE_OFFICIAL else Commune
    place_column = RoleAssignment.province_code if place_model is Province else RoleAssignment.commune_code
    return (
        select(User, place_model)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .join(place_model, place_model.code == place_column)
        .where(RoleAssignment.role == kind.name, place_model.code.in_(select(places_in_scope.c.code)))
        .order_by(vi_order(place_model.name), place_model.code, vi_order(User.full_name), User.id)
    )


def section(viewer: User, kind: Kind, form: AppointForm | None = None) -> Section:
    number = page_number(request.args.get(f"{kind.name}_page"))
    page = paginate(_holders_query(viewer, kind), number, PER_PAGE, scalars=False)
    holders = [
        Holder(person.id, person.full_name, display_phone(person.phone), _place_key(place), _place_name(place))
        for person, place in page.items
    ]
    if form is None:
        form = AppointForm(prefix=kind.name, formdata=None)
    form.place.label.text = str(kind.place_label)
    form.place.choices = place_choices(viewer, kind)
    return Section(kind, form, holders, page)


@dataclass
class Change:
    at: Any
    actor: str
    text: str


def history(viewer: User, kinds: Iterable[Kind], limit: int = HISTORY_SIZE) -> list[Change]:
    """The latest appointments and removals of the kinds the viewer manages, in their scope."""
    scope = scope_of(viewer)
    conditions = []
    role = AuditEvent.detail["role"].as_string()
    for kind in kinds:
        if kind.role == Role.PROVINCE_OFFICIAL:
            conditions.append(and_(AuditEvent.action.in_(_ROLE_EVENTS), role == kind.name))
        elif kind.role == Role.COMMUNE_OFFICIAL:
            in_province = select(Commune.code).where(Commune.province_code.in_(scope.province_codes))
            conditions.append(
                and_(
                    AuditEvent.action.in_(_ROLE_EVENTS),
                    role == kind.name,
                    AuditEvent.detail["commune"].as_string().in_(in_province),
                )
            )
        else:
            teams = select(cast(Team.id, String)).where(Team.commune_code.in_(scope.commune_codes))
            conditions.append(
                and_(
                    AuditEvent.action.in_(_LEADER_EVENTS),
                    AuditEvent.target_type == "team",
                    AuditEvent.target_id.in_(teams),
                    or_(AuditEvent.action == "team.set_leader", AuditEvent.detail["leader"].as_boolean().is_(True)),
                )
            )
    if not conditions:
        return []
    events = db.session.scalars(select(AuditEvent).where(or_(*conditions)).order_by(AuditEvent.id.desc()).limit(limit)).all()
    names = _names_for(events)
    return [_describe(event, names) for event in events]


def _names_for(events: Sequence[AuditEvent]) -> dict[str, dict[str, str]]:
    """Names of the people and places the events mention, in a few queries."""
    people: set[int] = set()
    teams: set[int] = set()
    communes: set[str] = set()
    provinces: set[str] = set()
    for event in events:
        if event.actor_id is not None:
            people.add(event.actor_id)
        detail = event.detail or {}
        person = str(event.target_id if event.target_type == "user" else detail.get("user"))
        if person.isdigit():
            people.add(int(person))
        if event.target_type == "team" and event.target_id.isdigit():
            teams.add(int(event.target_id))
        if detail.get("commune"):
            communes.add(str(detail["commune"]))
        if detail.get("province"):
            provinces.add(str(detail["province"]))
    names: dict[str, dict[str, str]] = {"user": {}, "team": {}, "commune": {}, "province": {}}
    if people:
        names["user"] = {str(i): n for i, n in db.session.execute(select(User.id, User.full_name).where(User.id.in_(people)))}
    if teams:
        names["team"] = {str(t.id): _place_name(t) for t in db.session.scalars(select(Team).where(Team.id.in_(teams)))}
    if communes:
        names["commune"] = {c.code: c.full_name for c in db.session.scalars(select(Commune).where(Commune.code.in_(communes)))}
    if provinces:
        names["province"] = {
            code: name
            for code, name in db.session.execute(select(Province.code, Province.name).where(Province.code.in_(provinces)))
        }
    return names


def _describe(event: AuditEvent, names: dict[str, dict[str, str]]) -> Change:
    detail = event.detail or {}
    unknown = _("(không còn)")
    actor = names["user"].get(str(event.actor_id), unknown) if event.actor_id is not None else _("máy chủ")
    if event.target_type == "team":
        person = names["user"].get(str(detail.get("user")), unknown)
        team = names["team"].get(event.target_id, unknown)
        if event.action == "team.add_member":
            text = _("Thêm %(person)s vào %(team)s và đặt làm tổ trưởng", person=person, team=team)
        elif detail.get("leader"):
            text = _("Đặt %(person)s làm tổ trưởng: %(team)s", person=person, team=team)
        else:
            text = _("Bỏ vai trò tổ trưởng của %(person)s: %(team)s", person=person, team=team)
        return Change(event.created_at, actor, text)
    person = names["user"].get(event.target_id, unknown)
    role = str(ROLE_NAMES.get(str(detail.get("role")), detail.get("role")))
    if detail.get("commune"):
        place = names["commune"].get(str(detail["commune"]), str(detail["commune"]))
    elif detail.get("province"):
        place = names["province"].get(str(detail["province"]), str(detail["province"]))
    else:
        place = _("toàn quốc")
    if event.action == "role.assign":
        text = _("Giao vai trò %(role)s (%(place)s) cho %(person)s", role=role, place=place, person=person)
    else:
        text = _("Bỏ vai trò %(role)s (%(place)s) của %(person)s", role=role, place=place, person=person)
    return Change(event.created_at, actor, text)


# --- the page -------------------------------------------------------------------------------


class AppointForm(FlaskForm):
    phone = TelField(
        _l("Số điện thoại của người được giao"),
        filters=[strip_filter],
        validators=[InputRequired(_l("Bạn hãy nhập số điện thoại.")), Length(max=20, message=TOO_LONG)],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    # The choices are the viewer's places; a value outside them is the service's message.
    place = SelectField(_l("Nơi"), validators=[InputRequired(_l("Bạn hãy chọn nơi giao vai trò."))], validate_choice=False)
    submit = SubmitField(_l("Giao vai trò"))


officials_only = requires_scope("manages_places", _l("Trang này dành cho cán bộ xã, cán bộ tỉnh và quản trị viên."))


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"  # names and phone numbers
    return response


def _render(viewer: User, failed: tuple[Kind, AppointForm] | None = None, status: int = 200):
    kinds = appointable(scope_of(viewer))
    sections = [section(viewer, kind, failed[1] if failed and failed[0] == kind else None) for kind in kinds]
    return (
        render_template(
            "accounts/roles.html",
            sections=sections,
            changes=history(viewer, kinds),
            post_form=PostForm(),
            viewer_id=viewer.id,
        ),
        status,
    )


@bp.get("")
@officials_only
def index():
    return _render(current_viewer())


@bp.post("/<kind>")
@officials_only
def appoint_view(kind: str):
    viewer = current_viewer()
    chosen = _kind_for(viewer, kind)
    form = AppointForm(prefix=chosen.name)
    form.place.choices = place_choices(viewer, chosen)
    if form.validate_on_submit():
        done = submit_form(form, lambda: appoint(viewer, chosen, form.place.data, form.phone.data))
        if done is not None:
            person, place = done
            flash(
                _(
                    "Đã giao vai trò %(role)s (%(place)s) cho %(person)s.",
                    role=ROLE_NAMES[chosen.name],
                    place=_place_name(place),
                    person=person.full_name,
                ),
                "success",
            )
            return redirect(url_for("roles.index"))
    return _render(viewer, (chosen, form), failure_status(form))


@bp.post("/<kind>/<place>/<int:user_id>/remove")
@officials_only
def remove_view(kind: str, place: str, user_id: int):
    viewer = current_viewer()
    chosen = _kind_for(viewer, kind)
    form = PostForm()
    if not form.validate_on_submit():
        flash(_("Phiên làm việc của biểu mẫu đã hết hạn. Bạn hãy tải lại trang rồi gửi lại."), "error")
        return redirect(url_for("roles.index"))
    removed = submit_form(form, lambda: dismiss(viewer, chosen, place, user_id))
    if form.failure is not None:
        flash(form.failure.message, "error")
    elif removed:
        flash(_("Đã bỏ vai trò %(role)s.", role=ROLE_NAMES[chosen.name]), "success")
    else:
        flash(_("Người này không còn giữ vai trò này."), "info")
    return redirect(url_for("roles.index"))
