"""Places: importing the national list, searching it, villages, teams and members."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

from flask_babel import gettext as _
from sqlalchemy import CursorResult, Table, case, delete, func, literal, or_, select, update

from lms.accounts.models import User
from lms.accounts.phone import display_phone, normalize_phone
from lms.accounts.scope import get_commune, get_team, get_village, residents
from lms.core import audit, signals
from lms.core.db import flush_or_refuse
from lms.core.errors import ValidationFailed
from lms.core.extensions import db
from lms.core.text import clean_line, fold, has_control_chars
from lms.places.models import Commune, CommuneKind, Province, Team, TeamMembership, Village, VillageKind

PLACES_SOURCE = (
    "Danh mục đơn vị hành chính sau sắp xếp ngày 1/7/2025, mã số theo Quyết định 19/2025/QĐ-TTg, "
    "do Cục Thống kê công bố; lấy qua gói PyPI vietnam-provinces (Nguyễn Hồng Quân)"
)


def _kind_of(division_type: str) -> str:
    for kind in CommuneKind:
        if division_type.strip().lower() == kind.value:
            return kind.value
    raise ValidationFailed(f"Loại đơn vị không rõ: {division_type!r}")


def load_divisions(path: Path | None = None) -> list[dict[str, Any]]:
    """The nested province → wards list, from a JSON file or the installed package."""
    if path is None:
        from vietnam_provinces import NESTED_DIVISIONS_JSON_PATH

        path = NESTED_DIVISIONS_JSON_PATH
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, list):
        raise ValidationFailed("Tệp địa giới phải là một danh sách tỉnh.")
    return data


def import_places(divisions: Iterable[dict[str, Any]]) -> tuple[int, int]:
    """Upsert provinces and communes by code. Returns (provinces, communes) in the data."""
    provinces: dict[str, dict] = {}
    communes: dict[str, dict] = {}
    for item in divisions:
        pcode = f"{int(item['code']):02d}"
        provinces[pcode] = {
            "code": pcode,
            "name": clean_line(item["name"]),
            "kind": clean_line(item.get("division_type", "tỉnh")),
        }
        provinces[pcode]["search_key"] = fold(provinces[pcode]["name"])
        for ward in item.get("wards", []):
            ccode = f"{int(ward['code']):05d}"
            if ccode in communes:
                raise ValidationFailed(f"Mã xã trùng: {ccode}")
            name = clean_line(ward["name"])
            communes[ccode] = {
                "code": ccode,
                "province_code": pcode,
                "name": name,
                "kind": _kind_of(ward["division_type"]),
                "search_key": fold(f"{name} {provinces[pcode]['name']}"),
            }
    existing_p = {p.code: p for p in db.session.scalars(select(Province))}
    for code, values in provinces.items():
        row = existing_p.get(code)
        if row is None:
            db.session.add(Province(**values))
        else:
            for key, value in values.items():
                setattr(row, key, value)
    db.session.flush()
    existing_c = {c.code: c for c in db.session.scalars(select(Commune))}
    new_rows = []
    for code, values in communes.items():
        commune_row = existing_c.get(code)
        if commune_row is None:
            new_rows.append(values)
        else:
            for key, value in values.items():
                setattr(commune_row, key, value)
    if new_rows:
        db.session.execute(cast(Table, Commune.__table__).insert(), new_rows)
    db.session.flush()
    return len(provinces), len(communes)


COMMUNE_KINDS_FOLDED = ("xa", "phuong", "dac khu")


def search_communes(query: str, province_code: str | None = None, limit: int = 20) -> list[Commune]:
    """Accent-free search: every query word must start a word of the commune or province name.

    Best matches first: the commune's name starting with the query ("xa an" → Xã An Bình),
    then its name after the kind ("an binh" → Xã An Bình), then the query's words one after
    the other anywhere ("ba dinh ha noi"), then the rest ("xa an" → Xã Mỹ Lý, Nghệ An); within
    each, shorter names first ("ha noi" lists Hà Nội's wards before longer matches)."""
    stmt = select(Commune)
    if province_code:
        stmt = stmt.where(Commune.province_code == province_code)
    stmt = where_words_match(stmt, Commune.search_key, query)
    phrase = " ".join(fold(query).split()[:6])
    rank = case(
        (Commune.search_key.startswith(phrase, autoescape=True), 0),
        (or_(*[Commune.search_key.startswith(f"{kind} {phrase}", autoescape=True) for kind in COMMUNE_KINDS_FOLDED]), 1),
        ((literal(" ") + Commune.search_key).contains(" " + phrase, autoescape=True), 2),
        else_=3,
    )
    stmt = stmt.order_by(rank, func.length(Commune.search_key), Commune.search_key).limit(limit)
    return list(db.session.scalars(stmt))


def where_words_match(stmt, key_column, query: str):
    """Filter stmt so each folded query word begins a word of key_column ("ha noi" ≠ "thanh hoa noi...")."""
    padded = literal(" ") + key_column
    for word in fold(query).split()[:6]:
        stmt = stmt.where(padded.contains(" " + word, autoescape=True))
    return stmt


def _name_taken(names_stmt, name: str) -> bool:
    # Compared in Python: SQLite's lower() only folds ASCII, and "Đoài" must equal "đoài".
    wanted = name.casefold()
    return any(existing.casefold() == wanted for existing in db.session.scalars(names_stmt))


def _clean_place_name(raw: str, field: str) -> str:
    if has_control_chars(raw or ""):
        raise ValidationFailed(_("Tên có ký tự không hợp lệ."), field=field)
    name = clean_line(raw or "")
    if not 1 <= len(name) <= 80:
        raise ValidationFailed(_("Tên cần từ 1 đến 80 ký tự."), field=field)
    return name


def create_village(actor: User, commune_code: str, name: str, kind: str) -> Village:
    commune = get_commune(actor, commune_code)
    name = _clean_place_name(name, "name")
    if kind not in {k.value for k in VillageKind}:
        raise ValidationFailed(_("Loại thôn/tổ dân phố không hợp lệ."), field="kind")
    if _name_taken(select(Village.name).where(Village.commune_code == commune.code), name):
        raise ValidationFailed(_("Xã này đã có thôn/tổ dân phố cùng tên."), field="name")
    village = Village(commune_code=commune.code, name=name, kind=kind, created_by_id=actor.id)
    flush_or_refuse(ValidationFailed(_("Xã này đã có thôn/tổ dân phố cùng tên."), field="name"), village)
    audit.record(actor.id, "village.create", "village", village.id, commune=commune.code, name=name)
    return village


def create_team(actor: User, village_id: int, name: str) -> Team:
    village = get_village(actor, village_id)
    name = _clean_place_name(name, "name")
    if _name_taken(select(Team.name).where(Team.village_id == village.id), name):
        raise ValidationFailed(_("Thôn này đã có tổ cùng tên."), field="name")
    team = Team(village_id=village.id, commune_code=village.commune_code, name=name)
    flush_or_refuse(ValidationFailed(_("Thôn này đã có tổ cùng tên."), field="name"), team)
    audit.record(actor.id, "team.create", "team", team.id, village=village.id, name=name)
    return team


def add_member(actor: User, team_id: int, raw_phone: str, is_leader: bool = False) -> TeamMembership:
    """Add a resident of the official's communes to a team. Anyone else gets the same message
    as a number without an account, so the form reveals nothing about who is registered."""
    team = get_team(actor, team_id, manage=True)
    phone = normalize_phone(raw_phone)
    person = db.session.scalar(residents(actor).where(User.phone == phone))
    if person is None:
        raise ValidationFailed(
            _(
                "Không thêm được số này. Chỉ thêm được người đã có tài khoản và có xã/phường thường trú "
                "thuộc phạm vi bạn quản lý. Nếu người đó chưa đăng ký, tổ viên có thể đăng ký giúp."
            ),
            field="phone",
        )
    already = _("%(name)s (%(phone)s) đã là thành viên của tổ này.", name=person.full_name, phone=display_phone(person.phone))
    existing = db.session.scalar(
        select(TeamMembership.id).where(TeamMembership.team_id == team.id, TeamMembership.user_id == person.id)
    )
    if existing is not None:
        raise ValidationFailed(already, field="phone")
    membership = TeamMembership(team_id=team.id, user_id=person.id, is_leader=is_leader, added_by_id=actor.id)
    flush_or_refuse(ValidationFailed(already, field="phone"), membership)
    signals.membership_changed.send("places", user=person, team_id=team.id, joined=True)
    audit.record(actor.id, "team.add_member", "team", team.id, user=person.id, leader=is_leader)
    return membership


def set_leader(actor: User, team_id: int, user_id: int, is_leader: bool) -> None:
    """Make a member the team's leader or not. One conditional UPDATE: a member removed by a
    parallel request is a message, not a stale row, and a second click changes (and audits) nothing."""
    team = get_team(actor, team_id, manage=True)
    changed = db.session.execute(
        update(TeamMembership)
        .where(TeamMembership.team_id == team.id, TeamMembership.user_id == user_id, TeamMembership.is_leader != is_leader)
        .values(is_leader=is_leader)
        .returning(TeamMembership.id)
        .execution_options(synchronize_session="fetch")
    ).first()
    if changed is None:
        member = db.session.scalar(
            select(TeamMembership.id).where(TeamMembership.team_id == team.id, TeamMembership.user_id == user_id)
        )
        if member is None:
            raise ValidationFailed(_("Người này không thuộc tổ."))
        return
    audit.record(actor.id, "team.set_leader", "team", team.id, user=user_id, leader=is_leader)


def remove_member(actor: User, team_id: int, user_id: int) -> None:
    team = get_team(actor, team_id, manage=True)
    member = db.session.scalar(
        select(User)
        .join(TeamMembership, TeamMembership.user_id == User.id)
        .where(TeamMembership.team_id == team.id, TeamMembership.user_id == user_id)
    )
    if member is None:
        raise ValidationFailed(_("Người này không thuộc tổ."))
    signals.membership_changed.send("places", user=member, team_id=team.id, joined=False)
    result = cast(
        CursorResult[Any],
        db.session.execute(delete(TeamMembership).where(TeamMembership.team_id == team.id, TeamMembership.user_id == user_id)),
    )
    if result.rowcount == 0:
        raise ValidationFailed(_("Người này không thuộc tổ."))
    audit.record(actor.id, "team.remove_member", "team", team.id, user=user_id)


def team_roster(team: Team) -> list[TeamMembership]:
    return list(
        db.session.scalars(
            select(TeamMembership)
            .join(User, User.id == TeamMembership.user_id)
            .where(TeamMembership.team_id == team.id)
            .order_by(TeamMembership.is_leader.desc(), User.full_name)
        )
    )
