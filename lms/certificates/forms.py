"""Forms: look up a code (GET, no state change), revoke, correct the name and regenerate."""

from __future__ import annotations

import re

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length
from wtforms.widgets import HiddenInput

from lms.core.forms import TOO_LONG, strip_filter

_REVISION = re.compile(r"[0-9]{1,9}")  # ASCII digits only, within an INTEGER column
STALE_FORM = _l("Biểu mẫu này đã cũ. Bạn hãy tải lại trang rồi gửi lại.")


class CertificateForm(FlaskForm):
    """Reads posted form fields only. Flask-WTF would also hand a field an uploaded file sent
    under its name, or a JSON body, which these text fields cannot hold: they count as missing."""

    class Meta:
        def wrap_formdata(self, form, formdata):
            if formdata is None or hasattr(formdata, "getlist"):  # given explicitly
                return formdata
            return request.form if request.method == "POST" else None


class ButtonForm(CertificateForm):
    """Only the CSRF token, for buttons that change state."""


class PrintForm(CertificateForm):
    """The button of one part of the print PDF."""

    part = StringField()  # read by bulk.part_number: a few ASCII digits, else no such part


class RevisionField(IntegerField):
    """The revision the official was shown, as ASCII digits (int() also reads "٢" and "２")."""

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = valuelist[0].strip() if isinstance(valuelist[0], str) else ""
        if not _REVISION.fullmatch(text):
            self.data = None
            raise ValueError(str(STALE_FORM))
        self.data = int(text)


class VerifyForm(CertificateForm):
    class Meta:
        csrf = False  # a read-only lookup, like a search box

    code = StringField(
        _l("Mã chứng nhận"),
        filters=[strip_filter],
        validators=[InputRequired(_l("Bạn hãy nhập mã chứng nhận.")), Length(max=200, message=TOO_LONG)],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "placeholder": "7KQ2-M9XD-3FTA"},
    )
    submit = SubmitField(_l("Kiểm tra"))


class RevokeForm(CertificateForm):
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


class ReinstateForm(CertificateForm):
    reason = TextAreaField(
        _l("Lý do khôi phục (ghi vào nhật ký)"),
        filters=[strip_filter],
        validators=[
            InputRequired(_l("Bạn hãy ghi lý do khôi phục.")),
            Length(max=500, message=_l("Lý do dài tối đa %(n)s ký tự.", n=500)),
        ],
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Khôi phục giấy chứng nhận"))


class RegenerateForm(CertificateForm):
    full_name = StringField(
        _l("Họ và tên đúng (sẽ sửa cả hồ sơ của người học)"),
        filters=[strip_filter],
        validators=[
            InputRequired(_l("Bạn hãy nhập họ và tên.")),
            Length(max=80, message=_l("Họ và tên dài tối đa %(n)s ký tự.", n=80)),
        ],
    )
    revision = RevisionField(widget=HiddenInput(), validators=[InputRequired(STALE_FORM)])
    submit = SubmitField(_l("Sửa tên và cấp lại bản PDF"))


class CertificateSearchForm(CertificateForm):
    class Meta:
        csrf = False

    q = StringField(_l("Mã chứng nhận"), filters=[strip_filter], validators=[Length(max=200, message=TOO_LONG)])
