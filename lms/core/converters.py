"""URL converters that only match values the database can hold."""

from __future__ import annotations

import builtins
from typing import Any

from werkzeug.routing import IntegerConverter, Map, ValidationError

# PostgreSQL's INTEGER stops at 2^31 - 1 (SQLite's at 2^63 - 1): one bound for both, so an id
# past it is "not found" on every database instead of an overflow inside the query.
MAX_DATABASE_INT = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` for database ids: ASCII digits only, 0 to MAX_DATABASE_INT.

    Werkzeug's own converter matches `\\d`, which takes any Unicode digit (`٢`, `２`), and
    `int()` turns those into numbers; both are refused here, so such a URL is a plain 404.
    """

    regex = r"[0-9]+"

    def __init__(
        self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = None, signed: bool = False
    ) -> None:
        bound = MAX_DATABASE_INT if max is None else builtins.min(max, MAX_DATABASE_INT)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=bound, signed=signed)

    def to_python(self, value: str) -> Any:
        # Ten digits already exceed the bound; leading zeros aside, never convert a longer string.
        if len(value.lstrip("0")) > len(str(MAX_DATABASE_INT)):
            raise ValidationError()
        return super().to_python(value)
