"""Province-then-commune picker fields, usable without JavaScript."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField, SubmitField

from lms.core.extensions import db
from lms.places.models import Commune, Province


class CommunePickerMixin:
    province = SelectField(_l("Tỉnh/thành phố"), choices=[], validate_choice=False)
    commune = SelectField(_l("Xã/phường/đặc khu"), choices=[], validate_choice=False)
    pick_province = SubmitField(_l("Chọn tỉnh này"))

    def fill_place_choices(self, default_commune: Commune | None = None) -> None:
        provinces = db.session.execute(select(Province.code, Province.name).order_by(Province.name)).all()
        self.province.choices = [("", _("— Chọn tỉnh/thành phố —"))] + [(c, n) for c, n in provinces]
        if not self.province.data and default_commune is not None:
            self.province.data = default_commune.province_code
            self.commune.data = self.commune.data or default_commune.code
        # When the chosen commune belongs to a province, that province wins.
        if self.commune.data and not self.province.data:
            commune = db.session.get(Commune, self.commune.data)
            if commune:
                self.province.data = commune.province_code
        choices = [("", _("— Chọn xã/phường/đặc khu —"))]
        if self.province.data:
            rows = db.session.execute(
                select(Commune.code, Commune.name).where(Commune.province_code == self.province.data).order_by(Commune.search_key)
            ).all()
            choices += [(c, n) for c, n in rows]
        self.commune.choices = choices
