"""Rates: fixed rates, dated schedules and the calendar periods rate tables are keyed by.

A :class:`RateSchedule` is a sorted list of non-overlapping :class:`RatePeriod` rows, each
an annual rate in percent (``Decimal("12.50")``) valid from a first to a last day
inclusive, with its legal source and the strength of the evidence behind it. Asking a
schedule for a day it does not cover raises
:class:`~cobrokit.interest.errors.MissingRateError` naming the missing half-year, year or
month: a missing rate is never guessed.

Period labels: ``"2026-H2"`` (half-year, 1 Jul-31 Dec), ``"2026"`` (calendar year),
``"2026-07"`` (month), or an ISO date for schedules keyed by dates of change.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal

import attrs

from cobrokit.errors import ValidationError
from cobrokit.interest.errors import MissingRateError
from cobrokit.money import to_decimal

__all__ = [
    "Evidence",
    "Period",
    "PeriodKind",
    "RatePeriod",
    "RateSchedule",
    "format_rate",
    "parse_rate",
    "period_from_label",
    "period_of",
]

_ONE_DAY = dt.timedelta(days=1)


class Evidence(enum.Enum):
    """How well a table value is established (the markers of ``statutory.md``)."""

    VERIFIED = "V"
    """Seen in a primary or official text."""
    SECONDARY = "S"
    """Consistent secondary sources."""
    DERIVED = "D"
    """Derived from a verified rule and verified inputs."""
    UNVERIFIED = "U"
    """Not verified: never used unless the caller asks for unverified values."""
    SUPPLIED = "supplied"
    """Given by the caller (``--rate``, ``extra_rates``, a contract)."""


class PeriodKind(enum.Enum):
    """What the rows of a rate table are keyed by."""

    HALF_YEAR = "half-year"
    YEAR = "year"
    MONTH = "month"
    DATE = "date"


@attrs.frozen(slots=True)
class Period:
    """A labelled calendar period, first and last day inclusive."""

    kind: PeriodKind
    label: str
    first: dt.date
    last: dt.date


def period_of(kind: PeriodKind, day: dt.date) -> Period:
    """The half-year, year or month that contains *day* (``DATE`` gives the day itself)."""
    if kind is PeriodKind.HALF_YEAR:
        if day.month <= 6:
            return Period(kind, f"{day.year}-H1", dt.date(day.year, 1, 1), dt.date(day.year, 6, 30))
        return Period(kind, f"{day.year}-H2", dt.date(day.year, 7, 1), dt.date(day.year, 12, 31))
    if kind is PeriodKind.YEAR:
        return Period(kind, f"{day.year}", dt.date(day.year, 1, 1), dt.date(day.year, 12, 31))
    if kind is PeriodKind.MONTH:
        last = calendar.monthrange(day.year, day.month)[1]
        return Period(
            kind,
            f"{day.year}-{day.month:02d}",
            dt.date(day.year, day.month, 1),
            dt.date(day.year, day.month, last),
        )
    return Period(kind, day.isoformat(), day, day)


_LABELS = (
    (re.compile(r"^(\d{4})-H([12])$"), PeriodKind.HALF_YEAR),
    (re.compile(r"^(\d{4})-(\d{2})$"), PeriodKind.MONTH),
    (re.compile(r"^(\d{4})$"), PeriodKind.YEAR),
)


def period_from_label(label: str, *, record: str = "rate table", field: str = "period") -> Period:
    """Parse ``"2026-H2"``, ``"2026-07"`` or ``"2026"`` into a :class:`Period`.

    Raises:
        ValidationError: the label has none of these forms.
    """
    text = label.strip()
    for pattern, kind in _LABELS:
        match = pattern.match(text)
        if not match:
            continue
        year = int(match.group(1))
        if kind is PeriodKind.HALF_YEAR:
            return period_of(kind, dt.date(year, 1 if match.group(2) == "1" else 7, 1))
        if kind is PeriodKind.MONTH:
            month = int(match.group(2))
            if not 1 <= month <= 12:
                break
            return period_of(kind, dt.date(year, month, 1))
        return period_of(kind, dt.date(year, 1, 1))
    raise ValidationError(record, field, f"{label!r} is not a period (use 2026-H2, 2026-07 or 2026)")


def parse_rate(value: object, *, record: str = "interest", field: str = "rate") -> Decimal:
    """Parse an annual rate in percent (``"12.5"`` → ``Decimal("12.5")``); floats and
    negative rates are refused.
    """
    rate = to_decimal(value, record=record, field=field)
    if rate < 0:
        raise ValidationError(record, field, f"a rate cannot be negative, got {rate}")
    return rate


def format_rate(rate: Decimal) -> str:
    """A rate as text with at least two decimals: ``12.5`` → ``"12.50"``, ``8.125`` kept."""
    exponent = rate.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        rate = rate.quantize(Decimal("0.01"))
    return f"{rate:f}"


@attrs.frozen(slots=True)
class RatePeriod:
    """One row of a rate schedule: an annual rate valid from *first* to *last* inclusive.

    Attributes:
        rate: percent per year (``Decimal("12.50")``).
        label: the period label (``"2024-H1"``, ``"2024"``, ``"2024-07"``, ``"agreed"``).
        source: the legal source or publication for this value.
        evidence: how well the value is established.
        reference: the underlying reference rate when the rate is derived from one (ECB
            MRO, Bank of England base rate, Colombian IBC), else ``None``.
        warning: a remark the computation must pass on (e.g. a rate capped for usury).
    """

    first: dt.date
    last: dt.date
    rate: Decimal
    label: str
    source: str = ""
    evidence: Evidence = Evidence.SUPPLIED
    reference: Decimal | None = None
    warning: str = ""

    def __attrs_post_init__(self) -> None:
        if self.last < self.first:
            raise ValidationError(f"rate period {self.label}", "last", f"{self.last} is before {self.first}")
        if self.rate < 0:
            raise ValidationError(f"rate period {self.label}", "rate", f"negative rate {self.rate}")


@attrs.frozen(slots=True)
class RateSchedule:
    """Annual rates by date: sorted, non-overlapping :class:`RatePeriod` rows.

    Attributes:
        name: the table or regime name, used in error messages.
        kind: what rows are keyed by; names a missing period (``2026-H2``).
        periods: the rows, sorted by first day.
        unverified: unverified candidate values by label (reported in errors, never used).
    """

    name: str
    kind: PeriodKind
    periods: tuple[RatePeriod, ...]
    unverified: Mapping[str, Decimal] = attrs.field(factory=dict, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        for before, after in zip(self.periods, self.periods[1:], strict=False):
            if after.first <= before.last:
                raise ValidationError(
                    f"rate table {self.name}",
                    "periods",
                    f"{before.label} and {after.label} overlap or are out of order",
                )

    # -- construction -------------------------------------------------------------------
    @classmethod
    def fixed(
        cls,
        rate: Decimal,
        *,
        name: str = "agreed rate",
        source: str = "agreed rate",
        label: str = "agreed",
        evidence: Evidence = Evidence.SUPPLIED,
    ) -> RateSchedule:
        """One rate for every date."""
        row = RatePeriod(dt.date.min, dt.date.max, rate, label, source, evidence)
        return cls(name, PeriodKind.DATE, (row,))

    @classmethod
    def from_periods(cls, name: str, kind: PeriodKind, periods: Iterable[RatePeriod]) -> RateSchedule:
        """Build from rows in any order."""
        return cls(name, kind, tuple(sorted(periods, key=lambda p: p.first)))

    def with_rates(self, rates: Mapping[str, Decimal], *, source: str = "supplied by the caller") -> RateSchedule:
        """A copy where each ``label → rate`` of *rates* adds or replaces that period.

        Labels are half-years, years or months (``"2026-H2"``, ``"2026"``, ``"2026-07"``).
        A supplied period replaces every row it overlaps; the rows are then re-sorted.
        """
        if not rates:
            return self
        rows = list(self.periods)
        for label, value in rates.items():
            period = period_from_label(label, record=f"rate table {self.name}", field="extra_rates")
            rate = parse_rate(value, record=f"rate table {self.name}", field=f"extra_rates[{label}]")
            kept: list[RatePeriod] = []
            for row in rows:
                if row.last < period.first or row.first > period.last:
                    kept.append(row)
                    continue
                # keep the parts of an overlapped row outside the supplied period
                if row.first < period.first:
                    kept.append(attrs.evolve(row, last=period.first - _ONE_DAY))
                if row.last > period.last:
                    kept.append(attrs.evolve(row, first=period.last + _ONE_DAY))
            kept.append(RatePeriod(period.first, period.last, rate, period.label, source, Evidence.SUPPLIED))
            rows = kept
        unverified = {k: v for k, v in self.unverified.items() if k not in rates}
        return RateSchedule(self.name, self.kind, tuple(sorted(rows, key=lambda p: p.first)), unverified)

    # -- lookup -------------------------------------------------------------------------
    @property
    def coverage(self) -> str:
        """Human description of the covered periods: ``"2019-H1 to 2026-H1"``, or each run
        of consecutive periods when there are gaps (``"2024-01 to 2024-02, 2025-01"``).
        """
        if not self.periods:
            return "nothing"
        first, last = self.periods[0], self.periods[-1]
        if self.kind is PeriodKind.DATE:
            end = "open end" if last.last == dt.date.max else last.last.isoformat()
            return f"{first.first.isoformat()} to {end}"
        runs: list[tuple[RatePeriod, RatePeriod]] = []
        for row in self.periods:
            if runs and runs[-1][1].last + _ONE_DAY == row.first:
                runs[-1] = (runs[-1][0], row)
            else:
                runs.append((row, row))
        return ", ".join(a.label if a is b else f"{a.label} to {b.label}" for a, b in runs)

    def _covers(self, day: dt.date) -> bool:
        return any(row.first <= day <= row.last for row in self.periods)

    def missing(self, day: dt.date, until: dt.date | None = None) -> MissingRateError:
        """The error for a *day* this schedule does not cover; with *until*, it also lists
        the other uncovered periods from *day* through *until*.
        """
        period = period_of(self.kind, day)
        labels = [period.label]
        if self.kind is PeriodKind.DATE:
            # name the gap: from the day to the next known row (or open-ended)
            following = [p.first for p in self.periods if p.first > day]
            last = following[0] - _ONE_DAY if following else day
            period = Period(self.kind, day.isoformat(), day, last)
            labels = [period.label]
        elif until is not None:
            later = period.last
            while later < until:
                nxt = period_of(self.kind, later + _ONE_DAY)
                if not self._covers(nxt.first) and nxt.label not in labels:
                    labels.append(nxt.label)
                later = nxt.last
        return MissingRateError(
            self.name,
            period.label,
            period.first,
            period.last,
            kind=_KIND_WORD[self.kind],
            coverage=self.coverage,
            unverified=self.unverified.get(period.label),
            periods=tuple(labels),
        )

    def rate_on(self, day: dt.date) -> RatePeriod:
        """The row in force on *day*.

        Raises:
            MissingRateError: no row covers *day*.
        """
        for row in self.periods:
            if row.first <= day <= row.last:
                return row
        raise self.missing(day)

    def slices(self, first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date, RatePeriod]]:
        """Cut the inclusive range *first* .. *last* at every rate change.

        Returns ``(slice_first, slice_last, row)`` triples covering the range exactly.

        Raises:
            MissingRateError: naming the first uncovered period and listing the others.
        """
        out: list[tuple[dt.date, dt.date, RatePeriod]] = []
        day = first
        while day <= last:
            if not self._covers(day):
                raise self.missing(day, last)
            row = self.rate_on(day)
            end = min(row.last, last)
            out.append((day, end, row))
            if end == dt.date.max:
                break
            day = end + _ONE_DAY
        return out


_KIND_WORD = {
    PeriodKind.HALF_YEAR: "half-year",
    PeriodKind.YEAR: "year",
    PeriodKind.MONTH: "month",
    PeriodKind.DATE: "period from",
}
