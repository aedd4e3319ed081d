"""Forms: look up a code (GET, no state change), revoke, correct the name and regenerate."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length
from wtforms.widgets import HiddenInput

from lms.core.forms import TOO_LONG, strip_filter


class VerifyForm(FlaskForm):
    class Meta:
        csrf = False  # a read-only lookup, like a search box

    code = StringField(
        _l("Mã chứng nhận"),
        filters=[strip_filter],
        validators=[InputRequired(_l("Bạn hãy nhập mã chứng nhận.")), Length(max=200, message=TOO_LONG)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "placeholder": "7KQ2-M9XD-3FTA"},
    )
    submit = SubmitField(_l("Kiểm tra"))


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        _l("Lý do thu hồi (hiện trên trang kiểm tra)"),
        filters=[strip_filter],
        validators=[
            InputRequired(_l("Bạn hãy ghi lý do thu hồi.")),
            Length(max=500, message=_l("Lý do dài tối đa %(n)s ký tự.", n=500)),
        ],
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Thu hồi giấy chứng nhận"))


class RegenerateForm(FlaskForm):
    full_name = StringField(
        _l("Họ và tên đúng (sẽ sửa cả hồ sơ của người học)"),
        filters=[strip_filter],
        validators=[
            InputRequired(_l("Bạn hãy nhập họ và tên.")),
            Length(max=80, message=_l("Họ và tên dài tối đa %(n)s ký tự.", n=80)),
        ],
    )
    revision = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    submit = SubmitField(_l("Sửa tên và cấp lại bản PDF"))


class CertificateSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Mã chứng nhận"), filters=[strip_filter], validators=[Length(max=200, message=TOO_LONG)])
