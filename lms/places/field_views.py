"""Work at the door, on a phone: registering a citizen for them (with their household) and the
login card, and a village's households. For team members in their team's villages; officials in
scope may list and add households too."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from lms.accounts import assisted
from lms.accounts.scope import get_field_village, member_villages
from lms.core.converters import MAX_DATABASE_INT
from lms.core.db import page_number, vi_order
from lms.core.errors import NotFound
from lms.core.extensions import db, limiter
from lms.core.forms import failure_status, submit_form
from lms.core.models import utcnow
from lms.core.text import clean_line
from lms.places import households as household_services
from lms.places.forms import VILLAGE_KIND_LABELS, AssistedRegistrationForm, HouseholdForm, HouseholdSearchForm
from lms.places.models import Household, Village, VillageKind

bp = Blueprint("field", __name__, template_folder="templates", static_folder="static", static_url_path="/field/static")
CHOICES_SHOWN = 50


@bp.after_request
def no_store(response: Response) -> Response:
    # Login cards carry one-time codes, household lists addresses: no browser or proxy keeps them.
    response.headers["Cache-Control"] = "no-store"
    return response


def _id_or_none(raw: object) -> int | None:
    """An id typed or chosen in a form: ASCII digits within the database's range, else None."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or not 0 < int(text) <= MAX_DATABASE_INT:
        return None
    return int(text)


def _signed_in_member():
    """The signed-in team member, or a login redirect (anonymous) / 404 (anyone else)."""
    if not current_user.is_authenticated:
        return None
    viewer = current_user._get_current_object()
    if not member_villages(viewer):
        raise NotFound(_("Trang này dành cho thành viên tổ công nghệ số cộng đồng."))
    return viewer


def village_label(village: Village) -> str:
    """ "Thôn Đông, Phường Ba Đình": the kind is left out when the name already starts with it."""
    kind = (
        str(VILLAGE_KIND_LABELS.get(VillageKind(village.kind), village.kind))
        if village.kind in set(VillageKind)
        else village.kind
    )
    name = village.name if village.name.casefold().startswith(kind.casefold() + " ") else f"{kind} {village.name}"
    return f"{name}, {village.commune.name}"


def _household_choices(form: AssistedRegistrationForm, village_id: int | None) -> list[Household]:
    """Fill the household list: the households of the chosen village matching the search (the
    first CHOICES_SHOWN), and the one already chosen even when the search leaves it out."""
    query = (form.household_q.data or "")[:80] if isinstance(form.household_q.data, str) else ""
    found = household_services.households_of_village(village_id, query, limit=CHOICES_SHOWN) if village_id else []
    chosen = household_services.household_of_village(_id_or_none(form.household.data), village_id) if village_id else None
    if chosen is not None and chosen.id not in {h.id for h in found}:
        found.insert(0, chosen)
    placeholder = _("— Chưa chọn (ghi hộ mới ở dưới) —") if found else _("— Chưa có hộ nào khớp —")
    form.household.choices = [("", placeholder)] + [(str(h.id), h.label) for h in found]
    if chosen is None:
        form.household.data = ""
    return found


@bp.route("/field/register", methods=["GET", "POST"])
def register():
    viewer = _signed_in_member()
    if viewer is None:
        return current_app.login_manager.unauthorized()
    villages = db.session.scalars(
        select(Village).where(Village.id.in_(member_villages(viewer))).order_by(vi_order(Village.name), Village.id)
    ).all()
    form = AssistedRegistrationForm()
    if request.method == "GET":
        form.form_key.data = assisted.new_form_key()
    form.village.choices = [(str(v.id), village_label(v)) for v in villages]
    if request.method == "GET" and len(villages) == 1 and not form.village.data:
        form.village.data = str(villages[0].id)
    village_id = _id_or_none(form.village.data)
    if village_id not in {v.id for v in villages}:
        village_id = None
    status = 200
    if request.method == "POST" and form.find_household.data:
        # No-JavaScript household search: show the matches and keep what was typed.
        form.validate()
        form.form_errors.clear()
        for name in ("full_name", "phone", "birth_year", "household_new", "consent"):
            getattr(form, name).errors = []
    elif form.validate_on_submit():
        card = submit_form(
            form,
            lambda: assisted.register_citizen(
                viewer,
                form_key=form.form_key.data or "",
                village_id=village_id,
                full_name=form.full_name.data or "",
                phone=form.phone.data,
                birth_year=form.birth_year.data,
                household_id=_id_or_none(form.household.data),
                household_label=form.household_new.data,
                consent=bool(form.consent.data),
            ),
        )
        if card is not None:
            if card.repeated:
                again = _("Biểu mẫu này đã được gửi trước đó: đây là thẻ của %(name)s với mã mới.", name=card.citizen.full_name)
                flash(again, "info")
            return render_template("places/field_card.html", card=card, login_url=_card_login_url(card))
        status = failure_status(form)
    elif request.method == "POST":
        status = 422
    if not assisted.FORM_KEY_RE.match(form.form_key.data or ""):
        form.form_key.data = assisted.new_form_key()  # the next copy of this page can be sent
    _household_choices(form, village_id)
    return render_template("places/field_register.html", form=form, villages=villages), status


def _card_login_url(card: assisted.Card) -> str:
    # Built on the public address, never on the request's Host header (docs/security.md).
    base = str(current_app.config.get("PUBLIC_BASE_URL") or "http://localhost:5000").rstrip("/")
    return base + url_for("accounts.card_login")


@bp.route("/field/villages/<int:village_id>/households", methods=["GET", "POST"])
def village_households(village_id: int):
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    viewer = current_user._get_current_object()
    village = get_field_village(viewer, village_id)
    form = HouseholdForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            household = submit_form(form, lambda: _create_or_repeat(viewer, village, form.label.data or ""))
            if household is not None:
                flash(_("Đã thêm hộ “%(label)s”.", label=household.label), "success")
                return redirect(url_for("field.village_households", village_id=village_id))
            status = failure_status(form)
        else:
            status = 422
        village = get_field_village(viewer, village_id)
    search = HouseholdSearchForm(request.args)
    query = (search.q.data or "") if search.validate() else ""
    page = household_services.household_page(village.id, query, page_number(request.args.get("page")))
    counts = household_services.people_counts([h.id for h in page.items])
    return render_template(
        "places/household_list.html",
        village=village,
        village_name=village_label(village),
        page=page,
        counts=counts,
        form=form,
        search=search,
        query=query,
        is_member=village.id in member_villages(viewer),
    ), status


def _create_or_repeat(viewer, village: Village, label: str) -> Household:
    """A double click adds one household: the second copy finds the one the first just made (same
    label as typed, by the same person, a moment ago) and is shown the same success."""
    try:
        return household_services.create_household(viewer, village, label)
    except household_services.HouseholdExists as exists:
        earlier = exists.household
        just_now = earlier.created_at is not None and (utcnow() - earlier.created_at).total_seconds() < 120
        if earlier.created_by_id == viewer.id and earlier.label == clean_line(label) and just_now:
            return earlier
        raise


@bp.get("/api/field/households")
@limiter.limit("120 per minute")
def api_households():
    """Households of a village for the registration form's search (JSON)."""
    if not current_user.is_authenticated:
        raise NotFound(_("Không tìm thấy thôn/tổ dân phố này trong phạm vi của bạn."))
    village_id = _id_or_none(request.args.get("village"))
    if village_id is None:
        raise NotFound(_("Không tìm thấy thôn/tổ dân phố này trong phạm vi của bạn."))
    village = get_field_village(current_user._get_current_object(), village_id)
    query = (request.args.get("q") or "")[:80]
    rows = household_services.households_of_village(village.id, query, limit=CHOICES_SHOWN + 1)
    return jsonify(
        results=[{"id": h.id, "label": h.label} for h in rows[:CHOICES_SHOWN]],
        more=len(rows) > CHOICES_SHOWN,
    )


def init_app(app) -> None:
    """Register the blueprint and the menu entry (called from lms.places.init_app)."""
    from flask_babel import lazy_gettext as _l

    from lms.accounts.scope import is_team_member
    from lms.core.nav import NavEntry, add_nav_entry

    app.register_blueprint(bp)
    add_nav_entry(app, NavEntry("field.register", _l("Đăng ký giúp người dân"), 24, is_team_member))
