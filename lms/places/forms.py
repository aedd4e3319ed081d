from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, SubmitField, TelField
from wtforms.validators import InputRequired, Length

from lms.core.forms import TOO_LONG, strip_filter
from lms.places.models import VillageKind

# The kind stays a Vietnamese word in the data and in place names ("Thôn Đoài"); only the
# label of the choice is translated, so other languages can explain it.
VILLAGE_KIND_LABELS = {
    VillageKind.THON: _l("Thôn"),
    VillageKind.AP: _l("Ấp"),
    VillageKind.BAN: _l("Bản"),
    VillageKind.TO_DAN_PHO: _l("Tổ dân phố"),
    VillageKind.KHU_PHO: _l("Khu phố"),
    VillageKind.BUON: _l("Buôn"),
    VillageKind.LANG: _l("Làng"),
    VillageKind.KHOM: _l("Khóm"),
}


class VillageForm(FlaskForm):
    name = StringField(
        _l("Tên thôn/ấp/bản/tổ dân phố"),
        filters=[strip_filter],
        validators=[InputRequired(_l("Bạn hãy nhập tên.")), Length(max=200, message=TOO_LONG)],
    )
    kind = SelectField(_l("Loại"), choices=[(k.value, VILLAGE_KIND_LABELS[k]) for k in VillageKind])
    submit = SubmitField(_l("Thêm thôn/tổ dân phố"))


class TeamForm(FlaskForm):
    name = StringField(
        _l("Tên tổ"),
        filters=[strip_filter],
        validators=[InputRequired(_l("Bạn hãy nhập tên tổ.")), Length(max=200, message=TOO_LONG)],
        default="Tổ công nghệ số cộng đồng",  # a name stored as data, kept in Vietnamese,
    )
    submit = SubmitField(_l("Thêm tổ"))


class MemberForm(FlaskForm):
    phone = TelField(
        _l("Số điện thoại của thành viên"),
        filters=[strip_filter],
        validators=[InputRequired(_l("Bạn hãy nhập số điện thoại.")), Length(max=20, message=TOO_LONG)],
        render_kw={"inputmode": "tel"},
    )
    is_leader = BooleanField(_l("Là tổ trưởng"))
    submit = SubmitField(_l("Thêm thành viên"))
