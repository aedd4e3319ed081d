"""Account forms. Services do the real validation; forms carry the input."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField, TelField
from wtforms.validators import InputRequired, Length, Optional

from lms.accounts.models import NAME_MAX
from lms.core.forms import TOO_LONG, YearField, strip_filter
from lms.places.forms_fields import CommunePickerMixin

PHONE_HINT = _l("Số di động, ví dụ 0912 345 678")
# The form lets extra spaces through (the service collapses them), but says the service's limit.
NAME_TOO_LONG = _l("Họ và tên dài tối đa %(n)s ký tự.", n=NAME_MAX)


class RegisterForm(CommunePickerMixin, FlaskForm):
    phone = TelField(
        _l("Số điện thoại di động"),
        filters=[strip_filter],
        validators=[InputRequired(_l("Bạn hãy nhập số điện thoại di động.")), Length(max=20, message=TOO_LONG)],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    full_name = StringField(
        _l("Họ và tên (như sẽ in trên chứng nhận)"),
        validators=[InputRequired(_l("Bạn hãy nhập họ và tên.")), Length(max=200, message=NAME_TOO_LONG)],
        render_kw={"autocomplete": "name"},
    )
    birth_year = YearField(
        _l("Năm sinh"),
        validators=[Optional()],  # the range is the service's (validate_birth_year), with its message
        render_kw={"inputmode": "numeric"},
    )
    email = EmailField(
        _l("Thư điện tử (không bắt buộc)"),
        filters=[strip_filter],
        validators=[Optional(), Length(max=254, message=TOO_LONG)],
        render_kw={"autocomplete": "email"},
    )
    password = PasswordField(
        _l("Mật khẩu (ít nhất 8 ký tự)"),
        validators=[InputRequired(_l("Bạn hãy đặt mật khẩu."))],
        render_kw={"autocomplete": "new-password"},
    )
    password_confirm = PasswordField(
        _l("Nhập lại mật khẩu"),
        validators=[InputRequired(_l("Bạn hãy nhập lại mật khẩu."))],
        render_kw={"autocomplete": "new-password"},
    )
    consent = BooleanField(_l("Tôi đã đọc thông báo xử lý dữ liệu cá nhân và đồng ý"))
    submit = SubmitField(_l("Đăng ký"))

    def validate_password_confirm(self, field):
        if self.password.data and field.data != self.password.data:
            from wtforms.validators import ValidationError

            raise ValidationError(_("Hai lần nhập mật khẩu không khớp."))

    def validate_commune(self, field):
        # Required: without it the person is in no official's scope (no one follows their
        # learning or prints their certificate). The register page says so beside the picker.
        if not field.data:
            from wtforms.validators import ValidationError

            raise ValidationError(_("Bạn hãy chọn xã/phường/đặc khu nơi bạn sống."))


class LoginForm(FlaskForm):
    # A phone number or a login ID from a card ("HS-123-456-789"): a text keyboard, so HS can be typed.
    phone = StringField(
        _l("Số điện thoại di động hoặc mã đăng nhập"),
        filters=[strip_filter],
        validators=[InputRequired(_l("Bạn hãy nhập số điện thoại hoặc mã đăng nhập.")), Length(max=20, message=TOO_LONG)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Mật khẩu"), validators=[InputRequired(_l("Bạn hãy nhập mật khẩu."))], render_kw={"autocomplete": "current-password"}
    )
    remember = BooleanField(_l("Ghi nhớ đăng nhập trên máy này"))
    submit = SubmitField(_l("Đăng nhập"))


class ProfileForm(CommunePickerMixin, FlaskForm):
    full_name = StringField(
        _l("Họ và tên (như sẽ in trên chứng nhận)"),
        validators=[InputRequired(_l("Bạn hãy nhập họ và tên.")), Length(max=200, message=NAME_TOO_LONG)],
    )
    birth_year = YearField(_l("Năm sinh"), validators=[Optional()])
    email = EmailField(
        _l("Thư điện tử (không bắt buộc)"), filters=[strip_filter], validators=[Optional(), Length(max=254, message=TOO_LONG)]
    )
    submit = SubmitField(_l("Lưu thay đổi"))


class NewPasswordMixin:
    """A new password typed twice (change and reset forms)."""

    password = PasswordField(
        _l("Mật khẩu mới (ít nhất 8 ký tự)"),
        validators=[InputRequired(_l("Bạn hãy nhập mật khẩu mới."))],
        render_kw={"autocomplete": "new-password"},
    )
    password_confirm = PasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[InputRequired(_l("Bạn hãy nhập lại mật khẩu mới."))],
        render_kw={"autocomplete": "new-password"},
    )

    validate_password_confirm = RegisterForm.validate_password_confirm


class ChangePasswordForm(NewPasswordMixin, FlaskForm):
    current_password = PasswordField(
        _l("Mật khẩu hiện tại"),
        validators=[InputRequired(_l("Bạn hãy nhập mật khẩu hiện tại."))],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Đổi mật khẩu"))


class ResetForm(NewPasswordMixin, FlaskForm):
    phone = TelField(
        _l("Số điện thoại di động"),
        filters=[strip_filter],
        validators=[InputRequired(_l("Bạn hãy nhập số điện thoại.")), Length(max=20, message=TOO_LONG)],
        render_kw={"autocomplete": "username", "inputmode": "tel"},
    )
    code = StringField(
        _l("Mã đặt lại (8 chữ số, do cán bộ xã cấp)"),
        filters=[strip_filter],
        validators=[InputRequired(_l("Bạn hãy nhập mã đặt lại.")), Length(max=20, message=TOO_LONG)],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"},
    )
    submit = SubmitField(_l("Đặt lại mật khẩu"))


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        _l("Mật khẩu"),
        validators=[InputRequired(_l("Bạn hãy nhập mật khẩu để xác nhận."))],
        render_kw={"autocomplete": "current-password"},
    )
    confirm = BooleanField(
        _l("Tôi hiểu rằng thông tin cá nhân sẽ bị xóa và không khôi phục được"),
        validators=[InputRequired(_l("Bạn hãy đánh dấu ô xác nhận."))],
    )
    submit = SubmitField(_l("Xóa tài khoản của tôi"))


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(
        _l("Tìm theo tên hoặc số điện thoại"), filters=[strip_filter], validators=[Optional(), Length(max=80, message=TOO_LONG)]
    )


class CardLoginForm(NewPasswordMixin, FlaskForm):
    """The first login with the card a team member handed over: its login, its code, a password."""

    phone = StringField(
        _l("Tên đăng nhập (số điện thoại hoặc mã HS trên thẻ)"),
        filters=[strip_filter],
        validators=[InputRequired(_l("Bạn hãy nhập tên đăng nhập in trên thẻ.")), Length(max=20, message=TOO_LONG)],
        render_kw={"autocomplete": "username", "autocapitalize": "characters"},
    )
    code = StringField(
        _l("Mã dùng một lần (8 chữ số trên thẻ)"),
        filters=[strip_filter],
        validators=[InputRequired(_l("Bạn hãy nhập mã in trên thẻ.")), Length(max=20, message=TOO_LONG)],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"},
    )
    submit = SubmitField(_l("Đặt mật khẩu và đăng nhập"))
