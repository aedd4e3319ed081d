"""The one place that decides whom a person may see and manage.

Every listing of people, villages or teams goes through these helpers. An
object outside the viewer's scope is reported as not found (404), never as
forbidden, so nobody can probe what exists in another commune.

Who may see or manage a person follows from the person's home commune and
roles only. Team membership lets a leader see the team's members, but it never
lets anyone manage them: an official manages (reset codes, corrections) only
people whose home commune lies in the official's scope and who hold no official
role themselves; officials are managed by an admin only, and admins by no one
from the web. See docs/security.md.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, g, has_request_context
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import Integer, Select, String, and_, bindparam, cast, exists, false, literal, null, or_, select, union_all
from sqlalchemy.sql.expression import CompoundSelect

from lms.accounts.models import Role, RoleAssignment, User
from lms.core.errors import NotFound, PermissionDenied
from lms.core.extensions import db
from lms.places.models import Commune, Team, TeamMembership, Village

OFFICIAL_ROLES = (Role.COMMUNE_OFFICIAL.value, Role.PROVINCE_OFFICIAL.value, Role.ADMIN.value)


@dataclass(frozen=True)
class Scope:
    is_global: bool = False
    province_codes: frozenset[str] = field(default_factory=frozenset)
    commune_codes: frozenset[str] = field(default_factory=frozenset)
    led_team_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def manages_places(self) -> bool:
        return self.is_global or bool(self.province_codes or self.commune_codes)

    @property
    def sees_people(self) -> bool:
        return self.manages_places or bool(self.led_team_ids)


# Roles, led teams and the villages of the user's teams in one round trip; built once because it
# runs on every page.
_MEMBER_VILLAGE = "member-village"  # not a role: marks the rows of member_villages
_SCOPE_ROWS: CompoundSelect[str, str | None, str | None, int | None] = union_all(
    select(RoleAssignment.role, RoleAssignment.province_code, RoleAssignment.commune_code, cast(null(), Integer)).where(
        RoleAssignment.user_id == bindparam("user")
    ),
    select(literal(Role.TEAM_LEADER.value), cast(null(), String), cast(null(), String), TeamMembership.team_id).where(
        TeamMembership.user_id == bindparam("user"), TeamMembership.is_leader.is_(True)
    ),
    # The villages of every team the user belongs to (member_villages), in the same round trip:
    # the menu asks for both on every page.
    select(literal(_MEMBER_VILLAGE), cast(null(), String), cast(null(), String), Team.village_id)
    .join(TeamMembership, TeamMembership.team_id == Team.id)
    .where(TeamMembership.user_id == bindparam("user")),
)


def scope_of(user: User | None) -> Scope:
    """The viewer's scope, computed once per request."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Scope()
    cache = g.setdefault("_lms_scopes", {}) if has_request_context() else {}
    key = (user.id, user.session_version)
    if key not in cache:
        cache[key], villages = _compute_scope(user.id)
        if has_request_context():
            g.setdefault("_lms_member_villages", {})[user.id] = villages
    return cache[key]


def _compute_scope(user_id: int) -> tuple[Scope, frozenset[int]]:
    """The user's scope, and the villages of their teams (for member_villages)."""
    is_global = False
    provinces: set[str] = set()
    communes: set[str] = set()
    led: set[int] = set()
    villages: set[int] = set()
    for role, province, commune, number in db.session.execute(_SCOPE_ROWS, {"user": user_id}):
        if role == _MEMBER_VILLAGE and number is not None:
            villages.add(number)
        elif role == Role.ADMIN:
            is_global = True
        elif role == Role.PROVINCE_OFFICIAL and province:
            provinces.add(province)
        elif role == Role.COMMUNE_OFFICIAL and commune:
            communes.add(commune)
        elif role == Role.TEAM_LEADER and number is not None:
            led.add(number)
    if is_global:
        return Scope(is_global=True), frozenset(villages)
    return Scope(False, frozenset(provinces), frozenset(communes), frozenset(led)), frozenset(villages)


def _commune_condition(scope: Scope, column):
    """SQL condition: column (a commune code) lies in the scope's communes or provinces."""
    parts = []
    if scope.commune_codes:
        parts.append(column.in_(scope.commune_codes))
    if scope.province_codes:
        parts.append(column.in_(select(Commune.code).where(Commune.province_code.in_(scope.province_codes))))
    return or_(*parts) if parts else false()


def visible_people(viewer: User, stmt: Select | None = None) -> Select:
    """Limit a select of User rows to the people the viewer may see: officials see the people
    whose home commune is in their scope, a leader also sees the members of the teams they lead."""
    stmt = stmt if stmt is not None else select(User)
    stmt = stmt.where(User.deleted_at.is_(None))
    scope = scope_of(viewer)
    if scope.is_global:
        return stmt
    condition = _commune_condition(scope, User.home_commune_code)
    if scope.led_team_ids:
        led_members = select(TeamMembership.user_id).where(TeamMembership.team_id.in_(scope.led_team_ids))
        condition = or_(condition, User.id.in_(led_members))
    return stmt.where(condition)


def _outranks(scope: Scope):
    """SQL condition: the viewer stands above every role the person holds. Only an admin manages
    officials, and no one manages an admin from the web (the server's `flask lms reset-code` does)."""
    held_too_high = [Role.ADMIN.value] if scope.is_global else list(OFFICIAL_ROLES)
    return ~exists().where(and_(RoleAssignment.user_id == User.id, RoleAssignment.role.in_(held_too_high)))


def residents(viewer: User, stmt: Select | None = None) -> Select:
    """Limit a select of User rows to the people whose home commune the viewer manages."""
    stmt = stmt if stmt is not None else select(User)
    stmt = stmt.where(User.deleted_at.is_(None))
    scope = scope_of(viewer)
    if scope.is_global:
        return stmt
    return stmt.where(_commune_condition(scope, User.home_commune_code))


def manageable_people(viewer: User, stmt: Select | None = None) -> Select:
    """Limit a select of User rows to the people the viewer may manage (reset codes,
    corrections): home commune in the viewer's scope and no role as high as the viewer's.
    Team membership plays no part."""
    if not scope_of(viewer).manages_places:
        return (stmt if stmt is not None else select(User)).where(false())
    return residents(viewer, stmt).where(_outranks(scope_of(viewer)))


def can_manage(viewer: User, person: User) -> bool:
    return db.session.scalar(manageable_people(viewer, select(User.id)).where(User.id == person.id)) is not None


def visible_communes(viewer: User, stmt: Select | None = None) -> Select:
    """Limit a select of Commune rows to the communes the viewer manages."""
    stmt = stmt if stmt is not None else select(Commune)
    scope = scope_of(viewer)
    if scope.is_global:
        return stmt
    return stmt.where(_commune_condition(scope, Commune.code))


def visible_teams(viewer: User, stmt: Select | None = None) -> Select:
    stmt = stmt if stmt is not None else select(Team)
    scope = scope_of(viewer)
    if scope.is_global:
        return stmt
    condition = _commune_condition(scope, Team.commune_code)
    if scope.led_team_ids:
        condition = or_(condition, Team.id.in_(scope.led_team_ids))
    return stmt.where(condition)


def get_person(viewer: User, user_id: int) -> User:
    person = db.session.scalar(visible_people(viewer).where(User.id == user_id))
    if person is None:
        raise NotFound(_("Không tìm thấy người này."))
    return person


def get_manageable_person(viewer: User, user_id: int) -> User:
    """A person the viewer may manage: 404 when the viewer cannot even see them, 403 when they
    can see them but the person's role is as high as theirs (an official's reset goes to an admin)."""
    person = get_person(viewer, user_id)
    if not can_manage(viewer, person):
        raise PermissionDenied(
            _(
                "Đây là tài khoản cán bộ hoặc quản trị viên: "
                "chỉ quản trị viên hệ thống được cấp mã đặt lại mật khẩu cho tài khoản này."
            )
        )
    return person


def get_commune(viewer: User, code: str) -> Commune:
    commune = db.session.scalar(visible_communes(viewer).where(Commune.code == code))
    if commune is None:
        raise NotFound(_("Không tìm thấy xã/phường này trong phạm vi bạn quản lý."))
    return commune


def get_village(viewer: User, village_id: int) -> Village:
    scope = scope_of(viewer)
    stmt = select(Village).where(Village.id == village_id)
    if not scope.is_global:
        stmt = stmt.where(_commune_condition(scope, Village.commune_code))
    village = db.session.scalar(stmt)
    if village is None:
        raise NotFound(_("Không tìm thấy thôn/tổ dân phố này trong phạm vi bạn quản lý."))
    return village


def get_team(viewer: User, team_id: int, manage: bool = False) -> Team:
    """A team the viewer may see; with manage=True only officials in scope (not its leader)."""
    scope = scope_of(viewer)
    stmt = select(Team).where(Team.id == team_id)
    if manage and not scope.is_global:
        stmt = stmt.where(_commune_condition(scope, Team.commune_code))
    elif not manage:
        stmt = visible_teams(viewer, stmt)
    team = db.session.scalar(stmt)
    if team is None:
        raise NotFound(_("Không tìm thấy tổ này trong phạm vi bạn quản lý."))
    return team


def viewer() -> User:
    """The signed-in person of this request (inside a view gated by requires_scope)."""
    return current_user._get_current_object()


def has_capability(user: Any, capability: str) -> bool:
    """Whether a (possibly anonymous) user's Scope has this capability: the one test behind both
    requires_scope and the menu entries that only some roles see."""
    return bool(getattr(user, "is_authenticated", False)) and bool(getattr(scope_of(user), capability))


def capability(name: str) -> Callable[[Any], bool]:
    """A menu-entry visibility test: has_capability(user, name)."""
    return lambda user: has_capability(user, name)


def requires_scope(capability: str, message: str | None = None) -> Callable:
    """Gate a view on a capability of the viewer's Scope ("sees_people", "manages_places",
    "is_global"): anonymous visitors are sent to log in; anyone else without it gets 404,
    like anything out of scope, so a route cannot tell a learner what exists."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def gated(*args: Any, **kwargs: Any):
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            if not has_capability(viewer(), capability):
                raise NotFound(message or _("Trang này dành cho cán bộ và tổ trưởng."))
            return view(*args, **kwargs)

        return gated

    return decorate


# --- Work at the door: members of a team in a village ------------------------------------------
# Belonging to a team lets a person register citizens and households in the team's village. It
# never lets them see or manage anyone: visible_people and manageable_people ignore it, so a
# member who registered a citizen cannot reset that citizen's password or edit them later.


def member_villages(user: User | None) -> frozenset[int]:
    """The villages of the teams the user belongs to, as a member or as its leader (once per request)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    if not has_request_context():
        return _compute_scope(user.id)[1]
    cache = g.setdefault("_lms_member_villages", {})
    if user.id not in cache:
        scope_of(user)  # loads them with the scope, in the same query, and fills this cache
    if user.id not in cache:  # the scope was known already
        cache[user.id] = _compute_scope(user.id)[1]
    return cache[user.id]


def is_team_member(user: Any) -> bool:
    """A menu-entry test: the (possibly anonymous) user belongs to at least one team."""
    return bool(member_villages(user))


def field_villages(viewer: User, stmt: Select | None = None) -> Select:
    """Limit a select of Village rows to those where the viewer keeps households: the villages of
    their teams, and for an official every village of the communes in scope."""
    stmt = stmt if stmt is not None else select(Village)
    scope = scope_of(viewer)
    if scope.is_global:
        return stmt
    condition = _commune_condition(scope, Village.commune_code)
    villages = member_villages(viewer)
    if villages:
        condition = or_(condition, Village.id.in_(villages))
    return stmt.where(condition)


def get_field_village(viewer: User, village_id: int) -> Village:
    """A village whose households the viewer may list and add to; 404 for any other."""
    village = db.session.scalar(field_villages(viewer).where(Village.id == village_id))
    if village is None:
        raise NotFound(_("Không tìm thấy thôn/tổ dân phố này trong phạm vi của bạn."))
    return village
