"""Account forms. Services do the real validation; forms carry the input."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, PasswordField, StringField, SubmitField, TelField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from lms.core.forms import strip_filter
from lms.places.forms_fields import CommunePickerMixin

PHONE_HINT = "Số di động, ví dụ 0912 345 678"


class RegisterForm(CommunePickerMixin, FlaskForm):
    phone = TelField(
        "Số điện thoại di động",
        filters=[strip_filter],
        validators=[InputRequired("Bạn hãy nhập số điện thoại di động."), Length(max=20)],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    full_name = StringField(
        "Họ và tên (như sẽ in trên chứng nhận)",
        validators=[InputRequired("Bạn hãy nhập họ và tên."), Length(max=200)],
        render_kw={"autocomplete": "name"},
    )
    birth_year = IntegerField(
        "Năm sinh", validators=[Optional(), NumberRange(1900, 2100, "Năm sinh không hợp lệ.")], render_kw={"inputmode": "numeric"}
    )
    email = EmailField(
        "Thư điện tử (không bắt buộc)",
        filters=[strip_filter],
        validators=[Optional(), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    password = PasswordField(
        "Mật khẩu (ít nhất 8 ký tự)",
        validators=[InputRequired("Bạn hãy đặt mật khẩu.")],
        render_kw={"autocomplete": "new-password"},
    )
    password_confirm = PasswordField(
        "Nhập lại mật khẩu", validators=[InputRequired("Bạn hãy nhập lại mật khẩu.")], render_kw={"autocomplete": "new-password"}
    )
    consent = BooleanField("Tôi đã đọc thông báo xử lý dữ liệu cá nhân và đồng ý")
    submit = SubmitField("Đăng ký")

    def validate_password_confirm(self, field):
        if self.password.data and field.data != self.password.data:
            from wtforms.validators import ValidationError

            raise ValidationError("Hai lần nhập mật khẩu không khớp.")


class LoginForm(FlaskForm):
    phone = TelField(
        "Số điện thoại di động",
        filters=[strip_filter],
        validators=[InputRequired("Bạn hãy nhập số điện thoại."), Length(max=20)],
        render_kw={"autocomplete": "username", "inputmode": "tel"},
    )
    password = PasswordField(
        "Mật khẩu", validators=[InputRequired("Bạn hãy nhập mật khẩu.")], render_kw={"autocomplete": "current-password"}
    )
    remember = BooleanField("Ghi nhớ đăng nhập trên máy này")
    submit = SubmitField("Đăng nhập")


class ProfileForm(CommunePickerMixin, FlaskForm):
    full_name = StringField(
        "Họ và tên (như sẽ in trên chứng nhận)", validators=[InputRequired("Bạn hãy nhập họ và tên."), Length(max=200)]
    )
    birth_year = IntegerField("Năm sinh", validators=[Optional(), NumberRange(1900, 2100, "Năm sinh không hợp lệ.")])
    email = EmailField("Thư điện tử (không bắt buộc)", filters=[strip_filter], validators=[Optional(), Length(max=254)])
    submit = SubmitField("Lưu thay đổi")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Mật khẩu hiện tại",
        validators=[InputRequired("Bạn hãy nhập mật khẩu hiện tại.")],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        "Mật khẩu mới (ít nhất 8 ký tự)",
        validators=[InputRequired("Bạn hãy nhập mật khẩu mới.")],
        render_kw={"autocomplete": "new-password"},
    )
    password_confirm = PasswordField(
        "Nhập lại mật khẩu mới",
        validators=[InputRequired("Bạn hãy nhập lại mật khẩu mới.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Đổi mật khẩu")

    validate_password_confirm = RegisterForm.validate_password_confirm


class ResetForm(FlaskForm):
    phone = TelField(
        "Số điện thoại di động",
        filters=[strip_filter],
        validators=[InputRequired("Bạn hãy nhập số điện thoại."), Length(max=20)],
        render_kw={"autocomplete": "username", "inputmode": "tel"},
    )
    code = StringField(
        "Mã đặt lại (8 chữ số, do cán bộ xã cấp)",
        filters=[strip_filter],
        validators=[InputRequired("Bạn hãy nhập mã đặt lại."), Length(max=20)],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"},
    )
    password = PasswordField(
        "Mật khẩu mới (ít nhất 8 ký tự)",
        validators=[InputRequired("Bạn hãy nhập mật khẩu mới.")],
        render_kw={"autocomplete": "new-password"},
    )
    password_confirm = PasswordField(
        "Nhập lại mật khẩu mới",
        validators=[InputRequired("Bạn hãy nhập lại mật khẩu mới.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Đặt lại mật khẩu")

    validate_password_confirm = RegisterForm.validate_password_confirm


class DeleteAccountForm(FlaskForm):
    password = PasswordField(
        "Mật khẩu",
        validators=[InputRequired("Bạn hãy nhập mật khẩu để xác nhận.")],
        render_kw={"autocomplete": "current-password"},
    )
    confirm = BooleanField(
        "Tôi hiểu rằng thông tin cá nhân sẽ bị xóa và không khôi phục được",
        validators=[InputRequired("Bạn hãy đánh dấu ô xác nhận.")],
    )
    submit = SubmitField("Xóa tài khoản của tôi")


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Tìm theo tên hoặc số điện thoại", filters=[strip_filter], validators=[Optional(), Length(max=80)])
