"""Commune search API and the officials' pages for villages, teams and members."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select

from lms.accounts.phone import display_phone
from lms.accounts.scope import (
    get_commune,
    get_team,
    get_village,
    requires_scope,
    scope_of,
    visible_communes,
    visible_teams,
)
from lms.accounts.scope import viewer as current_viewer
from lms.core.db import page_number, paginate, vi_order
from lms.core.errors import NotFound
from lms.core.extensions import db, limiter
from lms.core.forms import PostForm, submit_form
from lms.places import services
from lms.places.forms import MemberForm, TeamForm, VillageForm
from lms.places.models import Commune, Province, Team, Village

bp = Blueprint("places", __name__, template_folder="templates")


COMMUNE_RESULTS = 20


@bp.get("/api/communes")
@limiter.limit("120 per minute")
def api_communes():
    query = (request.args.get("q") or "")[:80]
    province = (request.args.get("province") or "")[:2] or None
    if len(query.strip()) < 2:
        return jsonify(results=[], more=False)
    # One more than shown: "more" tells the picker to say "20+" rather than "20 kết quả".
    rows = services.search_communes(query, province, limit=COMMUNE_RESULTS + 1)
    return jsonify(
        results=[
            {"code": c.code, "name": c.name, "province": c.province.name, "province_code": c.province_code}
            for c in rows[:COMMUNE_RESULTS]
        ],
        more=len(rows) > COMMUNE_RESULTS,
    )


MANAGE_PAGE_SIZE = 100


@bp.get("/manage")
@requires_scope("sees_people")
def manage():
    """An official's communes (a leader's teams), every one of them page by page, in Vietnamese
    order: by province, then by name."""
    viewer = current_viewer()
    scope = scope_of(viewer)
    number = page_number(request.args.get("page"))
    q = (request.args.get("q") or "").strip()[:80]
    if scope.manages_places:
        stmt = visible_communes(viewer).join(Province, Province.code == Commune.province_code)
        if q:
            stmt = services.where_words_match(stmt, Commune.search_key, q)
        stmt = stmt.order_by(vi_order(Province.name), vi_order(Commune.name), Commune.code)
    else:
        stmt = visible_teams(viewer).order_by(vi_order(Team.name), Team.id)
    page = paginate(stmt, number, MANAGE_PAGE_SIZE)
    return render_template("places/manage.html", page=page, q=q, scope=scope, number=format_decimal)


@bp.route("/manage/communes/<code>", methods=["GET", "POST"])
@requires_scope("sees_people")
def commune(code: str):
    viewer = current_viewer()
    commune = get_commune(viewer, code)
    form = VillageForm()
    if form.validate_on_submit():
        village = submit_form(form, lambda: services.create_village(viewer, commune.code, form.name.data, form.kind.data))
        if village is not None:
            flash(_("Đã thêm %(kind)s %(name)s.", kind=village.kind, name=village.name), "success")
            return redirect(url_for("places.commune", code=commune.code))
        commune = get_commune(viewer, code)
    villages = (
        db.session.scalars(select(Village).where(Village.commune_code == commune.code).order_by(Village.name)).unique().all()
    )
    return render_template("places/commune.html", commune=commune, villages=villages, form=form)


@bp.route("/manage/villages/<int:village_id>", methods=["GET", "POST"])
@requires_scope("sees_people")
def village(village_id: int):
    viewer = current_viewer()
    village = get_village(viewer, village_id)
    form = TeamForm()
    if form.validate_on_submit():
        team = submit_form(form, lambda: services.create_team(viewer, village.id, form.name.data))
        if team is not None:
            flash(_("Đã thêm %(name)s.", name=team.name), "success")
            return redirect(url_for("places.team", team_id=team.id))
        village = get_village(viewer, village_id)
    return render_template("places/village.html", village=village, form=form)


@bp.route("/manage/teams/<int:team_id>", methods=["GET", "POST"])
@requires_scope("sees_people")
def team(team_id: int):
    viewer = current_viewer()
    team = get_team(viewer, team_id)
    can_manage = scope_of(viewer).manages_places
    form = MemberForm()
    if request.method == "POST":
        team = get_team(viewer, team_id, manage=True)
        if form.validate_on_submit():
            membership = submit_form(form, lambda: services.add_member(viewer, team.id, form.phone.data, form.is_leader.data))
            if membership is not None:
                flash(_("Đã thêm %(name)s vào tổ.", name=membership.user.full_name), "success")
                return redirect(url_for("places.team", team_id=team_id))
            team = get_team(viewer, team_id, manage=True)
    roster = services.team_roster(team)
    return render_template(
        "places/team.html",
        team=team,
        roster=roster,
        form=form,
        post_form=PostForm(),
        can_manage=can_manage,
        display_phone=display_phone,
    )


@bp.post("/manage/teams/<int:team_id>/members/<int:user_id>/<action>")
@requires_scope("sees_people")
def member_action(team_id: int, user_id: int, action: str):
    viewer = current_viewer()
    get_team(viewer, team_id, manage=True)
    actions = {
        "leader": lambda: services.set_leader(viewer, team_id, user_id, True),
        "not-leader": lambda: services.set_leader(viewer, team_id, user_id, False),
        "remove": lambda: services.remove_member(viewer, team_id, user_id),
    }
    if action not in actions:
        raise NotFound(_("Không có thao tác này."))
    form = PostForm()
    if form.validate_on_submit():
        submit_form(form, actions[action])
        if form.failure is not None:
            flash(form.failure.message, "error")
        else:
            flash(_("Đã cập nhật tổ."), "success")
    return redirect(url_for("places.team", team_id=team_id))
