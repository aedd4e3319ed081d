from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SearchField, SelectField, StringField, SubmitField, TelField
from wtforms.validators import InputRequired, Length, Optional

from lms.accounts.forms import NAME_TOO_LONG
from lms.core.forms import TOO_LONG, YearField, strip_filter
from lms.places.models import HOUSEHOLD_LABEL_MAX, VillageKind

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


class HouseholdForm(FlaskForm):
    label = StringField(
        _l("Địa chỉ của hộ (số nhà, ngõ, xóm)"),
        filters=[strip_filter],
        validators=[
            InputRequired(_l("Bạn hãy ghi địa chỉ của hộ.")),
            Length(max=HOUSEHOLD_LABEL_MAX, message=_l("Địa chỉ hộ dài tối đa %(max)d ký tự.")),
        ],
    )
    submit = SubmitField(_l("Thêm hộ"))


class HouseholdSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = SearchField(
        _l("Tìm hộ (gõ không dấu cũng được)"), filters=[strip_filter], validators=[Optional(), Length(max=80, message=TOO_LONG)]
    )


class AssistedRegistrationForm(FlaskForm):
    """A citizen registered at the door by a team member. The key makes a second copy of the
    same form (a double click, a retry) show the first one's card instead of a new person."""

    form_key = HiddenField()
    full_name = StringField(
        _l("Họ và tên người dân (như sẽ in trên chứng nhận)"),
        validators=[InputRequired(_l("Bạn hãy nhập họ và tên.")), Length(max=200, message=NAME_TOO_LONG)],
        render_kw={"autocomplete": "off"},
    )
    phone = TelField(
        _l("Số điện thoại di động (không bắt buộc)"),
        filters=[strip_filter],
        validators=[Optional(), Length(max=20, message=TOO_LONG)],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    birth_year = YearField(_l("Năm sinh"), validators=[Optional()], render_kw={"inputmode": "numeric"})
    village = SelectField(_l("Thôn/tổ dân phố"), choices=[], validate_choice=False)
    household_q = SearchField(
        _l("Tìm hộ đã có (gõ không dấu cũng được)"),
        filters=[strip_filter],
        validators=[Optional(), Length(max=80, message=TOO_LONG)],
        render_kw={"autocomplete": "off"},
    )
    find_household = SubmitField(_l("Tìm hộ"))
    household = SelectField(_l("Hộ đã có"), choices=[], validate_choice=False)
    household_new = StringField(
        _l("Hoặc hộ mới: địa chỉ (số nhà, ngõ, xóm)"),
        filters=[strip_filter],
        validators=[Optional(), Length(max=HOUSEHOLD_LABEL_MAX, message=_l("Địa chỉ hộ dài tối đa %(max)d ký tự."))],
        render_kw={"autocomplete": "off"},
    )
    consent = BooleanField(_l("Tôi đã đọc to thông báo xử lý dữ liệu cá nhân cho người dân, và người dân đồng ý"))
    submit = SubmitField(_l("Đăng ký và lấy thẻ đăng nhập"))
