"""Registration, login, profile, password, data export and deletion, and the reset code an
official issues from a person's page (the people pages themselves are in lms/reports/people.py)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from lms.accounts import assisted, services, sessions
from lms.accounts.forms import (
    CardLoginForm,
    ChangePasswordForm,
    DeleteAccountForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetForm,
)
from lms.accounts.models import User
from lms.accounts.phone import display_phone
from lms.accounts.scope import get_manageable_person, requires_scope
from lms.core.extensions import db, limiter
from lms.core.forms import PostForm, failure_status, submit_form
from lms.core.security import safe_next

bp = Blueprint("accounts", __name__, template_folder="templates")


@bp.after_request
def no_store(response: Response) -> Response:
    # Personal data and one-time codes: no browser or proxy may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


def _with_session(user: User) -> User:
    """Open this device's session row in the service's transaction (submit_form commits)."""
    sessions.start(user)
    return user


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = RegisterForm()
    form.fill_place_choices()
    if request.method == "POST" and form.pick_province.data:
        # No-JavaScript picker: the province was chosen, show its communes and keep what was typed.
        form.commune.data = ""
        return render_template("accounts/register.html", form=form)
    if form.validate_on_submit():
        user = submit_form(
            form,
            lambda: _with_session(
                services.register_user(
                    phone=form.phone.data,
                    password=form.password.data,
                    full_name=form.full_name.data,
                    consent=form.consent.data,
                    commune_code=form.commune.data or None,
                    birth_year=form.birth_year.data,
                    email=form.email.data,
                )
            ),
        )
        if user is not None:
            login_user(user)
            flash(_("Đăng ký thành công. Chào mừng bạn đến với Học số cộng đồng!"), "success")
            return redirect(url_for("core.home"))
    return render_template("accounts/register.html", form=form), 200 if request.method == "GET" else failure_status(form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = submit_form(form, lambda: _with_session(services.log_in(form.phone.data, form.password.data)))
        if user is not None:
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or url_for("core.home"))
    return render_template("accounts/login.html", form=form), 200 if request.method == "GET" else failure_status(form)


@bp.route("/login/card", methods=["GET", "POST"])
@limiter.limit("10 per 15 minutes", methods=["POST"])
def card_login():
    """First login with a card from registration at the door (lms/accounts/assisted.py)."""
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = CardLoginForm()
    if request.method == "GET" and not form.phone.data:
        form.phone.data = (request.args.get("login") or "")[:20]
    # keep_on_error: a wrong code has used one of its tries, and that must be committed.
    user = form.validate_on_submit() and submit_form(
        form,
        lambda: _with_session(assisted.log_in_with_card(form.phone.data, form.code.data, form.password.data)),
        keep_on_error=True,
    )
    if user:
        login_user(user)
        flash(_("Bạn đã đặt mật khẩu và đăng nhập. Lần sau hãy đăng nhập bằng tên đăng nhập và mật khẩu này."), "success")
        return redirect(url_for("core.home"))
    return render_template("accounts/login_card.html", form=form), 200 if request.method == "GET" else failure_status(form)


@bp.post("/logout")
def logout():
    form = PostForm()
    if form.validate_on_submit():
        if current_user.is_authenticated:
            sessions.end(current_user._get_current_object())
            db.session.commit()
        logout_user()
        flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("core.home"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    user = current_user._get_current_object()
    form = ProfileForm(obj=user)
    form.fill_place_choices(user.home_commune)
    if request.method == "POST" and form.pick_province.data:
        form.commune.data = ""
        return render_template("accounts/account.html", form=form, user=user)
    if form.validate_on_submit():
        saved = submit_form(
            form,
            lambda: services.update_profile(
                user,
                full_name=form.full_name.data,
                birth_year=form.birth_year.data,
                email=form.email.data,
                commune_code=form.commune.data or None,
            ),
        )
        if saved is not None:
            flash(_("Đã lưu thông tin của bạn."), "success")
            return redirect(url_for("accounts.account"))
    return render_template("accounts/account.html", form=form, user=user, phone=display_phone(user.phone))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    user = current_user._get_current_object()
    # A new session with the new version keeps this device signed in; the others end.
    changed = form.validate_on_submit() and submit_form(
        form, lambda: _with_session(services.change_password(user, form.current_password.data, form.password.data))
    )
    if changed:
        login_user(user)
        flash(_("Đã đổi mật khẩu. Các thiết bị khác đã được đăng xuất."), "success")
        return redirect(url_for("accounts.account"))
    return render_template("accounts/password.html", form=form)


@bp.post("/account/logout-everywhere")
@login_required
def logout_everywhere():
    form = PostForm()
    if form.validate_on_submit():
        services.logout_everywhere(current_user._get_current_object())
        db.session.commit()
        logout_user()
        flash(_("Bạn đã đăng xuất trên mọi thiết bị."), "info")
    return redirect(url_for("accounts.login"))


@bp.get("/account/export")
@login_required
def export_data():
    data = services.export_user_data(current_user._get_current_object())
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="du-lieu-cua-toi.json"'},
    )


@bp.route("/account/delete", methods=["GET", "POST"])
@login_required
def delete_account():
    form = DeleteAccountForm()
    user = current_user._get_current_object()
    if form.validate_on_submit() and submit_form(form, lambda: services.delete_account(user, form.password.data)):
        logout_user()
        flash(_("Tài khoản và thông tin cá nhân của bạn đã được xóa."), "info")
        return redirect(url_for("core.home"))
    return render_template("accounts/delete.html", form=form)


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit("10 per 15 minutes", methods=["POST"])
def reset_password():
    form = ResetForm()
    # keep_on_error: a wrong code has used one of its tries, and that must be committed.
    reset = form.validate_on_submit() and submit_form(
        form, lambda: services.reset_password_with_code(form.phone.data, form.code.data, form.password.data), keep_on_error=True
    )
    if reset:
        flash(_("Đã đặt lại mật khẩu. Bạn hãy đăng nhập bằng mật khẩu mới."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form)


@bp.get("/privacy")
def privacy():
    return render_template("accounts/privacy.html", version=services.CONSENT_VERSION)


@bp.post("/people/<int:user_id>/reset-code")
@requires_scope("manages_places")
def person_reset_code(user_id: int):
    viewer = current_user._get_current_object()
    person = get_manageable_person(viewer, user_id)  # 404 out of scope, 403 for officials and admins
    form = PostForm()
    if not form.validate_on_submit():
        return redirect(url_for("people.person", user_id=user_id))
    code = services.issue_reset_code(viewer, person.id)
    db.session.commit()
    return render_template("accounts/reset_code.html", person=person, code=code, minutes=current_app.config["RESET_CODE_MINUTES"])
