"""The interest computation: segments, partial payments, rounding, compensation.

Conventions (``docs/interest.md`` states them for users; the tests hold them):

* interest runs from the **day after the due date through the end date inclusive**, so
  ``days_late = until - due`` (a payment counts on the day it is credited);
* the period is cut into **segments** at every rate change, every payment and, under
  ACT/ACT, every 1 January; each segment's interest is kept **exact** (a
  :class:`fractions.Fraction`), the segments are summed unrounded and the sum is
  **rounded once, half-up,** to the currency's minor unit;
* a **partial payment** ends an accrual stretch: the interest accrued since the previous
  event is rounded at that event, then the payment is imputed to accrued interest first,
  then principal (Spanish Civil Code art. 1173), then the fixed compensation; a regime or
  a caller may choose principal-first instead;
* **simple interest**: accrued interest never bears interest (regimes with an effective
  annual rate use its equivalent daily rate, still without capitalising interest);
* the fixed **compensation** per late invoice is due once the invoice is late with
  principal unpaid after the due date, bears no interest and stays in its own bucket.

Pure: no I/O, no clock; no per-day loops (cost grows with the number of segments).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any

import attrs

from cobrokit.errors import CurrencyMismatchError, DateOrderError, InvalidAmountError
from cobrokit.interest.daycount import DayCount, accruals
from cobrokit.interest.rates import RateSchedule, format_rate, parse_rate
from cobrokit.interest.regimes import Compounding, Imputation, Regime
from cobrokit.money import Money, minor_units, quantum
from cobrokit.notice import InterestLine, InterestSummary

__all__ = [
    "InterestResult",
    "PartialPayment",
    "PaymentAllocation",
    "Segment",
    "accrue",
    "compute_interest",
    "round_half_up",
]

_ONE_DAY = dt.timedelta(days=1)


def round_half_up(value: Fraction, decimals: int) -> Decimal:
    """Round an exact *value* half-up (away from zero on a tie) to *decimals* places."""
    scaled = value * 10**decimals
    magnitude = math.floor(abs(scaled) + Fraction(1, 2))
    return Decimal(magnitude if scaled >= 0 else -magnitude).scaleb(-decimals)


def _to_decimal(value: Fraction) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 28
        return Decimal(value.numerator) / Decimal(value.denominator)


@attrs.frozen(slots=True)
class PartialPayment:
    """A payment received on a date (the date the money was credited to the creditor)."""

    on: dt.date
    amount: Money


@attrs.frozen(slots=True)
class Segment:
    """One stretch of days at one rate on one base.

    Attributes:
        start: first day of interest (inclusive).
        end: last day of interest (inclusive).
        days: calendar days, ``end - start + 1``.
        annual_rate: percent per year.
        base: the principal interest runs on.
        interest: the segment's interest at full precision (not rounded).
        accrual_days: the day count's numerator (differs from *days* only under 30/360).
        basis: the day count's denominator (365, 366 or 360).
        period: the label of the rate period (``"2024-H1"``, ``"agreed"``…).
        exact: the interest as an exact fraction (what the engine sums).
    """

    start: dt.date
    end: dt.date
    days: int
    annual_rate: Decimal
    base: Money
    interest: Money
    accrual_days: int
    basis: int
    period: str
    exact: Fraction = attrs.field(repr=False)


@attrs.frozen(slots=True)
class PaymentAllocation:
    """How one partial payment was imputed.

    Attributes:
        interest_accrued: interest outstanding just before the payment (rounded at this event).
    """

    on: dt.date
    amount: Money
    interest_accrued: Money
    to_interest: Money
    to_principal: Money
    to_compensation: Money


def _daily_factor(rate: Decimal, basis: int, compounding: Compounding) -> Fraction:
    """Interest per unit of base per accrual day, exactly (EA rates: a 40-digit root)."""
    if compounding is Compounding.SIMPLE:
        return Fraction(rate) / (100 * basis)
    with localcontext() as ctx:
        ctx.prec = 40
        daily = (Decimal(1) + rate / 100) ** (Decimal(1) / Decimal(basis)) - 1
    return Fraction(daily)


def accrue(
    schedule: RateSchedule,
    base: Money,
    first: dt.date,
    last: dt.date,
    day_count: DayCount,
    compounding: Compounding = Compounding.SIMPLE,
) -> tuple[Segment, ...]:
    """Unrounded interest on *base* from *first* to *last* inclusive, as segments.

    The sum of ``segment.exact`` is additive: accruing ``first..m`` and ``m+1..last``
    gives exactly the same total as ``first..last``.

    Raises:
        MissingRateError: the schedule has no rate for some day of the period.
    """
    segments: list[Segment] = []
    if last < first:
        return ()
    for slice_first, slice_last, row in schedule.slices(first, last):
        for piece in accruals(slice_first, slice_last, day_count):
            factor = _daily_factor(row.rate, piece.basis, compounding)
            exact = Fraction(base.amount) * factor * piece.accrual_days
            segments.append(
                Segment(
                    piece.first,
                    piece.last,
                    piece.days,
                    row.rate,
                    base,
                    Money(_to_decimal(exact), base.currency),
                    piece.accrual_days,
                    piece.basis,
                    row.label,
                    exact,
                )
            )
    return tuple(segments)


@attrs.frozen(slots=True)
class InterestResult:
    """Interest, compensation and what remains due, with the work shown.

    Amount attributes are :class:`~cobrokit.money.Money` rounded to the minor unit, except
    inside :attr:`segments` (full precision).

    Attributes:
        regime: the regime name.
        currency: ISO 4217 code.
        principal: the original principal.
        due: the due date; interest runs from the day after.
        until: the last day of interest (inclusive).
        days_late: ``until - due`` in days.
        day_count: the day count used.
        imputation: the imputation order used.
        interest: all interest accrued up to :attr:`until`.
        interest_paid: the part of it covered by payments.
        interest_outstanding: ``interest - interest_paid``.
        principal_outstanding: principal not yet paid.
        compensation: fixed compensation still owed.
        compensation_paid: fixed compensation covered by payments.
        total_due: ``principal_outstanding + interest_outstanding + compensation``.
        segments: the segments, in date order.
        payments: how each payment was imputed.
        sources: the legal sources and rate sources used.
        warnings: remarks to show the user (usury cap applied…).
    """

    regime: str
    currency: str
    principal: Money
    due: dt.date
    until: dt.date
    days_late: int
    day_count: DayCount
    imputation: Imputation
    interest: Money
    interest_paid: Money
    interest_outstanding: Money
    principal_outstanding: Money
    compensation: Money
    compensation_paid: Money
    total_due: Money
    segments: tuple[Segment, ...]
    payments: tuple[PaymentAllocation, ...] = ()
    sources: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def interest_exact(self) -> Fraction:
        """The exact sum of every segment (before any rounding)."""
        return sum((s.exact for s in self.segments), Fraction(0))

    def to_summary(self) -> InterestSummary:
        """The :class:`cobrokit.notice.InterestSummary` a notice carries (outstanding amounts;
        segment interest rounded for the letter)."""
        return InterestSummary(
            regime=self.regime,
            interest=self.interest_outstanding,
            compensation=self.compensation,
            day_count=self.day_count.value,
            segments=tuple(
                InterestLine(s.start, s.end, s.days, s.annual_rate, s.base, s.interest.rounded()) for s in self.segments
            ),
            sources=self.sources,
        )

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of ``cobrokit interest --json``: amounts as strings with the
        currency's decimals, rates as strings, dates ISO."""
        return {
            "regime": self.regime,
            "currency": self.currency,
            "days_late": self.days_late,
            "day_count": self.day_count.value,
            "interest": self.interest.format_amount(),
            "interest_outstanding": self.interest_outstanding.format_amount(),
            "principal_outstanding": self.principal_outstanding.format_amount(),
            "compensation": self.compensation.format_amount(),
            "total_due": self.total_due.format_amount(),
            "segments": [
                {
                    "start": s.start.isoformat(),
                    "end": s.end.isoformat(),
                    "days": s.days,
                    "annual_rate": format_rate(s.annual_rate),
                    "base": s.base.format_amount(),
                    "interest": s.interest.format_amount(),
                }
                for s in self.segments
            ],
            "sources": list(self.sources),
        }


def _check_money(value: object, record: str, field: str, currency: str | None) -> Money:
    if not isinstance(value, Money):
        raise InvalidAmountError(record, field, f"{value!r} is not Money")
    if value.amount <= 0:
        raise InvalidAmountError(record, field, f"must be positive, got {value.amount}")
    if value.amount != value.amount.quantize(quantum(value.currency)):
        raise InvalidAmountError(record, field, f"{value.amount} has more decimals than {value.currency} allows")
    if currency is not None and value.currency != currency:
        raise CurrencyMismatchError(record, field, f"{value.currency} payment on a {currency} debt")
    return value


def compute_interest(
    regime: Regime,
    principal: Money,
    due: dt.date,
    until: dt.date,
    *,
    payments: Iterable[PartialPayment] = (),
    rate: Decimal | None = None,
    day_count: DayCount | None = None,
    imputation: Imputation | None = None,
    extra_rates: Mapping[str, Decimal] | None = None,
    include_unverified: bool = False,
    compensation: bool = True,
) -> InterestResult:
    """Late-payment interest on one invoice from the day after *due* through *until*.

    Args:
        regime: the regime (see :func:`~cobrokit.interest.regimes.builtin_regimes`).
        principal: the invoice's unpaid principal on its due date (positive).
        due: the due date.
        until: the last day of interest, inclusive (a payment date, or today).
        payments: partial payments, dated on or before *until*, in the debt's currency.
        rate: the agreed annual rate in percent; replaces the statutory rate (required
            by ``contractual``; capped by ``co-usury``).
        day_count: overrides the regime's default day count.
        imputation: overrides the regime's default imputation order.
        extra_rates: rates for periods the shipped tables lack, by label
            (``{"2026-H2": Decimal("10.40")}``).
        include_unverified: also use table rows marked unverified.
        compensation: add the regime's fixed compensation per late invoice.

    Raises:
        DateOrderError: *until* before *due*, or a payment after *until*.
        InvalidAmountError: a non-positive amount, or a payment larger than all that is due.
        CurrencyMismatchError: a payment in another currency.
        MissingRateError: a period with no published rate.
        ValidationError: ``contractual`` without *rate*; a negative *rate*.
    """
    _check_money(principal, "interest", "principal", None)
    currency = principal.currency
    if until < due:
        raise DateOrderError("interest", "until", f"{until.isoformat()} is before the due date {due.isoformat()}")
    agreed = None if rate is None else parse_rate(rate, record="interest", field="rate")
    events = sorted(
        (
            PartialPayment(p.on, _check_money(p.amount, f"payment on {p.on.isoformat()}", "amount", currency))
            for p in payments
        ),
        key=lambda p: p.on,
    )
    for payment in events:
        if payment.on > until:
            raise DateOrderError(
                f"payment on {payment.on.isoformat()}", "on", f"is after the end date {until.isoformat()}"
            )
    dc = day_count or regime.day_count
    order = imputation or regime.imputation
    decimals = minor_units(currency)
    zero = Decimal(0)

    schedule: RateSchedule | None = None
    segments: list[Segment] = []
    allocations: list[PaymentAllocation] = []
    principal_out = principal.amount
    interest_total = zero  # rounded, all accrued
    interest_unpaid = zero  # rounded, outstanding
    comp_out = zero
    comp_paid = zero
    comp_checked = False
    frontier = due  # interest is accrued through this day

    def accrue_to(last: dt.date) -> None:
        nonlocal schedule, frontier, interest_total, interest_unpaid
        if last <= frontier:
            return
        if principal_out > 0:
            if schedule is None:
                schedule = regime.schedule(
                    due + _ONE_DAY,
                    agreed_rate=agreed,
                    extra_rates=extra_rates,
                    include_unverified=include_unverified,
                )
            stretch = accrue(
                schedule, Money(principal_out, currency), frontier + _ONE_DAY, last, dc, regime.compounding
            )
            segments.extend(stretch)
            accrued = round_half_up(sum((s.exact for s in stretch), Fraction(0)), decimals)
            interest_total += accrued
            interest_unpaid += accrued
        frontier = last

    def establish_lateness() -> None:
        nonlocal comp_checked, comp_out
        if comp_checked:
            return
        comp_checked = True
        if compensation and principal_out > 0:
            comp_out = regime.compensation.amount_for(principal).amount

    for payment in events:
        if payment.on > due:
            establish_lateness()
        accrue_to(payment.on)
        remaining = payment.amount.amount
        owed_before = interest_unpaid
        first_two = ["interest", "principal"]
        if order is Imputation.PRINCIPAL_FIRST:
            first_two.reverse()
        taken = {"interest": zero, "principal": zero, "compensation": zero}
        owed_now = {"interest": interest_unpaid, "principal": principal_out, "compensation": comp_out}
        for bucket in [*first_two, "compensation"]:
            available = owed_now[bucket]
            part = min(remaining, available)
            taken[bucket] = part
            remaining -= part
        if remaining > 0:
            owed = interest_unpaid + principal_out + comp_out
            raise InvalidAmountError(
                f"payment on {payment.on.isoformat()}",
                "amount",
                f"{payment.amount} exceeds the {Money(owed, currency)} due on that date "
                "(interest, principal and compensation)",
            )
        interest_unpaid -= taken["interest"]
        principal_out -= taken["principal"]
        comp_out -= taken["compensation"]
        comp_paid += taken["compensation"]
        allocations.append(
            PaymentAllocation(
                payment.on,
                payment.amount,
                Money(owed_before, currency),
                Money(taken["interest"], currency),
                Money(taken["principal"], currency),
                Money(taken["compensation"], currency),
            )
        )
    if until > due:
        establish_lateness()
    accrue_to(until)

    warnings: list[str] = []
    sources: list[str] = list(regime.sources)
    if schedule is not None:
        used = {s.period for s in segments}
        for row in schedule.periods:
            if row.label not in used:
                continue
            if row.warning and row.warning not in warnings:
                warnings.append(row.warning)
            if row.source:
                line = f"rate {row.label}: {format_rate(row.rate)} % ({row.source})"
                if line not in sources:
                    sources.append(line)

    def money(value: Decimal) -> Money:
        return Money(value, currency).rounded()

    interest_paid = interest_total - interest_unpaid
    return InterestResult(
        regime=regime.name,
        currency=currency,
        principal=principal,
        due=due,
        until=until,
        days_late=(until - due).days,
        day_count=dc,
        imputation=order,
        interest=money(interest_total),
        interest_paid=money(interest_paid),
        interest_outstanding=money(interest_unpaid),
        principal_outstanding=money(principal_out),
        compensation=money(comp_out),
        compensation_paid=money(comp_paid),
        total_due=money(principal_out + interest_unpaid + comp_out),
        segments=tuple(segments),
        payments=tuple(allocations),
        sources=tuple(sources),
        warnings=tuple(warnings),
    )
