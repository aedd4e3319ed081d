"""Forms: look up a code (GET, no state change), revoke, correct the name and regenerate."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length
from wtforms.widgets import HiddenInput

from lms.core.forms import strip_filter


class VerifyForm(FlaskForm):
    class Meta:
        csrf = False  # a read-only lookup, like a search box

    code = StringField(
        "Mã chứng nhận",
        filters=[strip_filter],
        validators=[InputRequired("Bạn hãy nhập mã chứng nhận."), Length(max=200)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "placeholder": "7KQ2-M9XD-3FTA"},
    )
    submit = SubmitField("Kiểm tra")


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        "Lý do thu hồi (hiện trên trang kiểm tra)",
        filters=[strip_filter],
        validators=[InputRequired("Bạn hãy ghi lý do thu hồi."), Length(max=500, message="Lý do dài tối đa 500 ký tự.")],
        render_kw={"rows": 3},
    )
    submit = SubmitField("Thu hồi giấy chứng nhận")


class RegenerateForm(FlaskForm):
    full_name = StringField(
        "Họ và tên đúng (sẽ sửa cả hồ sơ của người học)",
        filters=[strip_filter],
        validators=[InputRequired("Bạn hãy nhập họ và tên."), Length(max=80, message="Họ và tên dài tối đa 80 ký tự.")],
    )
    revision = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    submit = SubmitField("Sửa tên và cấp lại bản PDF")


class CertificateSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Mã chứng nhận", filters=[strip_filter], validators=[Length(max=200)])
