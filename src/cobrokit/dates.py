"""ISO date parsing with errors that name the record and field."""

from __future__ import annotations

import datetime as dt

from cobrokit.errors import MalformedDateError

__all__ = ["parse_date"]


def parse_date(value: object, *, record: str, field: str) -> dt.date:
    """Parse an ISO ``YYYY-MM-DD`` date (a ``date`` passes through; a ``datetime`` does not).

    Raises:
        MalformedDateError: naming *record* and *field*.
    """
    if isinstance(value, dt.datetime):
        raise MalformedDateError(record, field, f"{value!r} is a datetime, expected a date")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 10 and text[4] == "-" and text[7] == "-":
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                pass
        raise MalformedDateError(record, field, f"{value!r} is not an ISO date (YYYY-MM-DD)")
    raise MalformedDateError(record, field, f"{type(value).__name__} is not a date")
