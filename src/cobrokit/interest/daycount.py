"""Day-count conventions: how many days a period counts and over which year length.

A period is always given as its **first and last day, both inclusive** (interest from
16 May to 30 June counts 46 days). Internally the period is the half-open interval
``(first - 1 day, last]``, so periods placed end to end never overlap and their day counts
add up.

Conventions:

``act/act`` (calendar-year split)
    the period is cut at each 1 January; each slice counts its actual days over the
    length of its own calendar year (366 in a leap year, else 365). Spanish default.
``act/365`` (ACT/365 Fixed)
    actual days over 365, leap year or not. UK statutory interest.
``act/360``
    actual days over 360 (money-market convention; rejected by the Spanish Supreme
    Court for late-payment interest, found in some Latin-American contracts).
``30/360`` (30E/360, "Eurobond basis", ISDA 2006 §4.16(g))
    every month counts 30 days: a day 31 counts as 30. The count is
    ``f(last) - f(first - 1 day)`` with ``f(d) = 360·year + 30·month + min(day, 30)``;
    it is a difference of one function of each date, so it adds up exactly when a
    period is split (the US variant does not).

Pure: no I/O, no clock.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import attrs

from cobrokit.errors import DateOrderError, ValidationError

__all__ = ["Accrual", "DayCount", "accruals", "days_in_year", "thirty_e_360_days"]

_ONE_DAY = dt.timedelta(days=1)


class DayCount(enum.Enum):
    """A day-count convention; the value is its command-line spelling."""

    ACT_ACT = "act/act"
    ACT_365 = "act/365"
    ACT_360 = "act/360"
    THIRTY_360 = "30/360"

    @classmethod
    def parse(cls, text: str, *, record: str = "interest", field: str = "day_count") -> DayCount:
        """Parse ``act/act``, ``act/365`` (also ``act/365f``), ``act/360`` or ``30/360``
        (also ``30e/360``), case-insensitive.

        Raises:
            ValidationError: naming *record* and *field* for anything else.
        """
        key = text.strip().lower().replace("actual", "act").replace(" ", "")
        key = _ALIASES.get(key, key)
        for member in cls:
            if member.value == key:
                return member
        choices = ", ".join(m.value for m in cls)
        raise ValidationError(record, field, f"{text!r} is not a day count; use one of {choices}")

    def __str__(self) -> str:
        return self.value


_ALIASES = {"act/365f": "act/365", "act/365fixed": "act/365", "30e/360": "30/360", "act/actual": "act/act"}


@attrs.frozen(slots=True)
class Accrual:
    """One slice of a period under a day count.

    Attributes:
        first: first day of the slice (inclusive).
        last: last day of the slice (inclusive).
        days: actual calendar days in the slice (``last - first + 1``).
        accrual_days: the day count's numerator (equals ``days`` except under 30/360).
        basis: the day count's denominator (365, 366 or 360).
    """

    first: dt.date
    last: dt.date
    days: int
    accrual_days: int
    basis: int

    @property
    def year_fraction(self) -> Decimal:
        """``accrual_days / basis`` as a Decimal (for display; the engine keeps fractions)."""
        return Decimal(self.accrual_days) / Decimal(self.basis)


def days_in_year(year: int) -> int:
    """366 for a Gregorian leap year, else 365."""
    return 366 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 365


def _f30e(day: dt.date) -> int:
    return 360 * day.year + 30 * day.month + min(day.day, 30)


def thirty_e_360_days(first: dt.date, last: dt.date) -> int:
    """30E/360 day count of the inclusive period *first* .. *last*."""
    return _f30e(last) - _f30e(first - _ONE_DAY)


def accruals(first: dt.date, last: dt.date, day_count: DayCount) -> list[Accrual]:
    """Cut the inclusive period *first* .. *last* into slices for *day_count*.

    ACT/ACT yields one slice per calendar year touched; the other conventions one slice.
    An empty period (``last == first - 1 day``) yields no slice.

    Raises:
        DateOrderError: *last* is more than one day before *first*.
    """
    if last < first - _ONE_DAY:
        raise DateOrderError("interest period", "last", f"{last} is before {first}")
    if last < first:
        return []
    if day_count is DayCount.ACT_ACT:
        out = []
        start = first
        while start <= last:
            year_end = dt.date(start.year, 12, 31)
            end = min(year_end, last)
            days = (end - start).days + 1
            out.append(Accrual(start, end, days, days, days_in_year(start.year)))
            start = end + _ONE_DAY
        return out
    days = (last - first).days + 1
    if day_count is DayCount.ACT_365:
        return [Accrual(first, last, days, days, 365)]
    if day_count is DayCount.ACT_360:
        return [Accrual(first, last, days, days, 360)]
    return [Accrual(first, last, days, thirty_e_360_days(first, last), 360)]
