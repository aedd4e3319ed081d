from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField, TelField
from wtforms.validators import InputRequired, Length

from lms.core.forms import strip_filter
from lms.places.models import VillageKind


class VillageForm(FlaskForm):
    name = StringField(
        "Tên thôn/ấp/bản/tổ dân phố", filters=[strip_filter], validators=[InputRequired("Bạn hãy nhập tên."), Length(max=200)]
    )
    kind = SelectField("Loại", choices=[(k.value, k.value.capitalize()) for k in VillageKind])
    submit = SubmitField("Thêm thôn/tổ dân phố")


class TeamForm(FlaskForm):
    name = StringField(
        "Tên tổ",
        filters=[strip_filter],
        validators=[InputRequired("Bạn hãy nhập tên tổ."), Length(max=200)],
        default="Tổ công nghệ số cộng đồng",
    )
    submit = SubmitField("Thêm tổ")


class MemberForm(FlaskForm):
    phone = TelField(
        "Số điện thoại của thành viên",
        filters=[strip_filter],
        validators=[InputRequired("Bạn hãy nhập số điện thoại."), Length(max=20)],
        render_kw={"inputmode": "tel"},
    )
    is_leader = BooleanField("Là tổ trưởng")
    submit = SubmitField("Thêm thành viên")
