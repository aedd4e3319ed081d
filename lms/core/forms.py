"""Form helpers shared by every feature."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import Field

from lms.core.errors import ValidationFailed


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


def strip_filter(value):
    return value.strip() if isinstance(value, str) else value
