"""Statute of limitations: the last day a debt can still be claimed, and its interruptions.

Counting (Spanish Civil Code art. 5.1, and the same reading for the UK): years run **date
to date** from the start date; when the end month has no such day (29 February in a
non-leap year) the period ends on the **last day of that month**. So an acknowledgement on
29 Feb 2024 restarts a 5-year period that ends on 28 Feb 2029.

The start is the due date of the debt (the date payment could be demanded). This is the
conservative reading: some courts count from the day after, which would give one more
day. The ladder uses the result to warn *before* a debt becomes time-barred, so the
earlier date is the safe one.

Interruptions restart the full period from their own date when the regime recognises
them and they happen on or before the current limitation date:

* Spain (CC art. 1973): a court claim, an out-of-court claim (burofax…), any
  acknowledgement by the debtor; a part payment counts as a tacit acknowledgement;
  LO 1/2025 gives a MASC request the same effect.
* England and Wales (Limitation Act 1980 ss.29-30): only a written, signed
  acknowledgement or a part payment; a demand letter does **not** interrupt.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
from collections.abc import Iterable

import attrs

from cobrokit.errors import DateOrderError, ValidationError

__all__ = [
    "SPAIN_CIVIL",
    "UK_SIMPLE_CONTRACT",
    "Interruption",
    "InterruptionKind",
    "LimitationResult",
    "LimitationRule",
    "add_years",
    "limitation_date",
]


class InterruptionKind(enum.Enum):
    """An event that may restart a limitation period."""

    ACKNOWLEDGEMENT = "acknowledgement"
    OUT_OF_COURT_CLAIM = "out-of-court-claim"
    COURT_CLAIM = "court-claim"
    PART_PAYMENT = "part-payment"
    MASC_REQUEST = "masc-request"


@attrs.frozen(slots=True)
class Interruption:
    """An interrupting event on a date (an acknowledgement, a burofax, a part payment…)."""

    on: dt.date
    kind: InterruptionKind


@attrs.frozen(slots=True)
class LimitationRule:
    """A limitation period in years and the events that restart it.

    Attributes:
        years: length of the period.
        interrupted_by: the event kinds that restart the period.
        source: the legal source, as cited on letters.
        notes: caveats to show the user.
    """

    years: int
    interrupted_by: frozenset[InterruptionKind]
    source: str
    notes: str = ""

    def __attrs_post_init__(self) -> None:
        if self.years <= 0:
            raise ValidationError("limitation rule", "years", f"must be positive, got {self.years}")


SPAIN_CIVIL = LimitationRule(
    years=5,
    interrupted_by=frozenset(InterruptionKind),
    source="Código Civil art. 1964.2 (5 years since Ley 42/2015), interrupted under art. 1973",
    notes=(
        "Shorter periods exist: art. 1967 CC (3 years) for professionals' fees and merchants' "
        "sales to non-merchants [unverified]. Actions born before 7 Oct 2015 follow DT 5ª Ley 42/2015."
    ),
)
"""Spain: 5 years (art. 1964.2 CC), restarted by any claim or acknowledgement (art. 1973)."""

UK_SIMPLE_CONTRACT = LimitationRule(
    years=6,
    interrupted_by=frozenset({InterruptionKind.ACKNOWLEDGEMENT, InterruptionKind.PART_PAYMENT}),
    source="Limitation Act 1980 s.5 (6 years); ss.29-30 (written acknowledgement or part payment)",
    notes="Scotland differs (prescription, 5 years). A demand letter does not interrupt the period.",
)
"""England and Wales: 6 years for simple contracts, restarted only by a written
acknowledgement or a part payment."""


def add_years(day: dt.date, years: int) -> dt.date:
    """*day* plus *years*, date to date; a missing day becomes the month's last day."""
    year = day.year + years
    last = calendar.monthrange(year, day.month)[1]
    return dt.date(year, day.month, min(day.day, last))


@attrs.frozen(slots=True)
class LimitationResult:
    """When a debt becomes time-barred.

    Attributes:
        start: the date the period first ran from (the due date).
        limitation_date: the last day on which the claim is still in time.
        rule: the rule applied.
        restarted_by: the interruption that set :attr:`limitation_date`, if any.
        ignored: interruptions that did not count, with the reason.
    """

    start: dt.date
    limitation_date: dt.date
    rule: LimitationRule
    restarted_by: Interruption | None = None
    ignored: tuple[tuple[Interruption, str], ...] = ()

    def is_time_barred(self, as_of: dt.date) -> bool:
        """True once *as_of* is after :attr:`limitation_date`."""
        return as_of > self.limitation_date

    def days_left(self, as_of: dt.date) -> int:
        """Days from *as_of* to :attr:`limitation_date` (negative once time-barred)."""
        return (self.limitation_date - as_of).days


def limitation_date(
    rule: LimitationRule, start: dt.date, interruptions: Iterable[Interruption] = ()
) -> LimitationResult:
    """The limitation date of a debt that became payable on *start*.

    Each interruption the rule recognises, dated on or before the running limitation date,
    restarts the full period from its own date. Interruptions the rule does not recognise,
    dated before *start*, or dated after the debt was already time-barred are reported in
    :attr:`LimitationResult.ignored` (an acknowledgement after expiry may amount to a
    waiver of limitation, e.g. art. 1935 CC; that is not modelled).

    >>> limitation_date(SPAIN_CIVIL, dt.date(2020, 3, 31)).limitation_date
    datetime.date(2025, 3, 31)
    """
    deadline = add_years(start, rule.years)
    restarted: Interruption | None = None
    ignored: list[tuple[Interruption, str]] = []
    for event in sorted(interruptions, key=lambda e: e.on):
        if event.on < start:
            ignored.append((event, "before the debt became payable"))
        elif event.kind not in rule.interrupted_by:
            ignored.append((event, f"a {event.kind.value} does not interrupt under {rule.source}"))
        elif event.on > deadline:
            ignored.append((event, f"the debt was already time-barred on {deadline.isoformat()}"))
        else:
            deadline = add_years(event.on, rule.years)
            restarted = event
    if deadline < start:  # pragma: no cover - add_years never goes backwards for years > 0
        raise DateOrderError("limitation", "limitation_date", f"{deadline} is before {start}")
    return LimitationResult(start, deadline, rule, restarted, tuple(ignored))
