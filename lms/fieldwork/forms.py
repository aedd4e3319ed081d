"""Forms of the field work pages. They carry what was typed; the services check it (so the JSON
queue and the plain form are refused alike) and name the faulty field."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, SubmitField, TextAreaField

from lms.core.forms import strip_filter


class EntryForm(FlaskForm):
    client_id = HiddenField()
    date = StringField(_l("Ngày đến giúp"), filters=[strip_filter], render_kw={"type": "date", "required": True})
    household = SelectField(_l("Hộ gia đình"), choices=[], validate_choice=False)
    task = SelectField(_l("Nhiệm vụ"), choices=[], validate_choice=False)
    item = SelectField(_l("Việc cụ thể (không bắt buộc)"), choices=[], validate_choice=False)
    outcome = RadioField(
        _l("Kết quả"),
        choices=[("done", _l("Đã xong")), ("follow_up", _l("Cần quay lại"))],
        default="done",
        validate_choice=False,
    )
    people = StringField(
        _l("Số người được giúp"), filters=[strip_filter], default="1", render_kw={"inputmode": "numeric", "size": 3}
    )
    note = TextAreaField(_l("Ghi chú (không bắt buộc)"), render_kw={"rows": 2, "maxlength": 300})
    submit = SubmitField(_l("Ghi lại"))


class TargetForm(FlaskForm):
    period = StringField(_l("Kỳ"), filters=[strip_filter], render_kw={"size": 8})
    submit = SubmitField(_l("Lưu chỉ tiêu"))


class PlatformForm(FlaskForm):
    place = SelectField(_l("Áp dụng cho"), choices=[], validate_choice=False)
    task = SelectField(_l("Nhiệm vụ"), choices=[], validate_choice=False)
    name = StringField(_l("Tên nền tảng"), filters=[strip_filter], render_kw={"maxlength": 120})
    submit = SubmitField(_l("Thêm nền tảng"))


class CampaignForm(FlaskForm):
    name = StringField(_l("Tên chiến dịch"), filters=[strip_filter], render_kw={"maxlength": 120})
    task = SelectField(_l("Nhiệm vụ"), choices=[], validate_choice=False)
    starts_on = StringField(_l("Ngày bắt đầu"), filters=[strip_filter], render_kw={"type": "date"})
    ends_on = StringField(_l("Ngày kết thúc"), filters=[strip_filter], render_kw={"type": "date"})
    households = StringField(_l("Chỉ tiêu mỗi tổ (số hộ)"), filters=[strip_filter], render_kw={"inputmode": "numeric"})
    submit = SubmitField(_l("Tạo chiến dịch"))
