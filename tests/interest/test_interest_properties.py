"""Arithmetic properties of the engine (hypothesis)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from cobrokit.interest import (
    Compounding,
    DayCount,
    PartialPayment,
    RateSchedule,
    accrue,
    compute_interest,
    get_regime,
)
from cobrokit.money import Money

D = dt.date
# es-commercial is published from 2019-H1 to 2026-H1: stay inside
FIRST, LAST = D(2019, 1, 1), D(2026, 6, 30)
SPAN = (LAST - FIRST).days

cents = st.integers(min_value=1, max_value=10**10).map(lambda n: Money(Decimal(n).scaleb(-2), "EUR"))
day_counts = st.sampled_from(list(DayCount))


@st.composite
def periods(draw: st.DrawFn) -> tuple[dt.date, dt.date, dt.date]:
    """first <= split < last, inside the covered range."""
    start = draw(st.integers(0, SPAN - 2))
    end = draw(st.integers(start + 1, SPAN))
    split = draw(st.integers(start, end - 1))
    return FIRST + dt.timedelta(start), FIRST + dt.timedelta(split), FIRST + dt.timedelta(end)


def total(segments: tuple[object, ...]) -> Fraction:
    return sum((s.exact for s in segments), Fraction(0))  # type: ignore[attr-defined]


@settings(max_examples=150, deadline=None)
@given(base=cents, when=periods(), day_count=day_counts)
def test_splitting_a_period_never_changes_the_unrounded_total(
    base: Money, when: tuple[dt.date, dt.date, dt.date], day_count: DayCount
) -> None:
    first, split, last = when
    schedule = get_regime("es-commercial").schedule(first)
    whole = accrue(schedule, base, first, last, day_count)
    parts = accrue(schedule, base, first, split, day_count) + accrue(
        schedule, base, split + dt.timedelta(1), last, day_count
    )
    assert total(whole) == total(parts)


@settings(max_examples=100, deadline=None)
@given(base=cents, when=periods(), day_count=day_counts, rate=st.decimals(min_value=0, max_value=60, places=2))
def test_splitting_also_holds_for_effective_annual_rates(
    base: Money, when: tuple[dt.date, dt.date, dt.date], day_count: DayCount, rate: Decimal
) -> None:
    first, split, last = when
    schedule = RateSchedule.fixed(rate)
    ea = Compounding.EFFECTIVE_ANNUAL
    whole = accrue(schedule, base, first, last, day_count, ea)
    parts = accrue(schedule, base, first, split, day_count, ea) + accrue(
        schedule, base, split + dt.timedelta(1), last, day_count, ea
    )
    assert total(whole) == total(parts)


@settings(max_examples=100, deadline=None)
@given(principal=cents, when=periods(), day_count=day_counts)
def test_interest_never_decreases_with_days(
    principal: Money, when: tuple[dt.date, dt.date, dt.date], day_count: DayCount
) -> None:
    due, shorter, longer = when
    regime = get_regime("es-commercial")
    a = compute_interest(regime, principal, due, shorter, day_count=day_count)
    b = compute_interest(regime, principal, due, longer, day_count=day_count)
    assert a.interest <= b.interest
    # the segments cover exactly the days late
    assert sum(s.days for s in b.segments) == b.days_late


@settings(max_examples=100, deadline=None)
@given(small=cents, extra=cents, when=periods())
def test_interest_never_decreases_with_principal(
    small: Money, extra: Money, when: tuple[dt.date, dt.date, dt.date]
) -> None:
    due, _, until = when
    regime = get_regime("es-commercial")
    assert (
        compute_interest(regime, small, due, until).interest
        <= compute_interest(regime, small + extra, due, until).interest
    )


@settings(max_examples=100, deadline=None)
@given(
    principal=cents,
    when=periods(),
    regime_name=st.sampled_from(["es-commercial", "eu-directive", "contractual"]),
)
def test_paying_everything_leaves_nothing_due(
    principal: Money, when: tuple[dt.date, dt.date, dt.date], regime_name: str
) -> None:
    due, paid_on, until = when
    regime = get_regime(regime_name)
    rate = Decimal("9.5") if regime_name == "contractual" else None
    owed = compute_interest(regime, principal, due, paid_on, rate=rate)
    settled = compute_interest(
        regime, principal, due, until, rate=rate, payments=[PartialPayment(paid_on, owed.total_due)]
    )
    assert settled.principal_outstanding.is_zero()
    assert settled.interest_outstanding.is_zero()
    assert settled.compensation.is_zero()
    assert settled.total_due.is_zero()
    assert settled.interest == owed.interest  # nothing accrues once paid
