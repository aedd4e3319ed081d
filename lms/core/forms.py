"""Form helpers shared by every feature."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, IntegerField

from lms.core.errors import ValidationFailed

# For Length(max=..., message=TOO_LONG): WTForms has no Vietnamese messages of its own.
TOO_LONG = _l("Bạn hãy nhập tối đa %(max)d ký tự.")


class PostForm(FlaskForm):
    """A form with only its CSRF token, for buttons that change state."""


def attach_error(form: FlaskForm, error: ValidationFailed, default_field: str | None = None) -> None:
    """Show a service's ValidationFailed next to the field it names."""
    name = error.field or default_field
    field: Field | None = getattr(form, name, None) if name else None
    if field is not None:
        field.errors = list(field.errors) + [error.message]
    else:
        form.form_errors.append(error.message)


def submit_form(form: FlaskForm, action, *, keep_on_error: bool = False):
    """The one idiom for a form that calls a service: run action() for a valid form, commit
    and return its result; on ValidationFailed roll back (or, with keep_on_error, commit what
    the service recorded about the failure, such as a used try), show the message next to its
    field, remember the error as form.failure (its status_code tells the view what to answer),
    and return None."""
    from lms.core.extensions import db

    form.failure = None
    try:
        result = action()
    except ValidationFailed as error:
        if keep_on_error:
            db.session.commit()
        else:
            db.session.rollback()
        attach_error(form, error)
        form.failure = error
        return None
    db.session.commit()
    return result


def failure_status(form: FlaskForm, default: int = 422) -> int:
    """The HTTP status for a form page re-shown after submit_form failed."""
    failure = getattr(form, "failure", None)
    return failure.status_code if failure is not None and failure.status_code != 400 else default


def strip_filter(value):
    return value.strip() if isinstance(value, str) else value


class YearField(IntegerField):
    """An integer field whose "not a number" message is ours (and so translated)."""

    def process_formdata(self, valuelist):
        raw = valuelist[0].strip() if valuelist and isinstance(valuelist[0], str) else ""
        if not raw:
            self.data = None
            return
        # ASCII digits only, at most 4: int() would also take "١٩٧٥" or 400 digits that no
        # validator can compare.
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 4):
            self.data = None
            raise ValueError(str(_l("Năm sinh phải là số, ví dụ 1975.")))
        self.data = int(raw)
