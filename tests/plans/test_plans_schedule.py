"""Plan proposals: schedules, dates, validation (pure core)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cobrokit.calendar import BusinessCalendar
from cobrokit.errors import CurrencyMismatchError, DateOrderError, InvalidAmountError, ValidationError
from cobrokit.money import Money
from cobrokit.plans import (
    DownPayment,
    Frequency,
    InstalmentKind,
    Method,
    PlanDebt,
    PlanState,
    PlanTerms,
    build_schedule,
    instalment_dates,
    plan_offer,
    propose_plan,
    to_plan_offer,
)

TODAY = dt.date(2025, 3, 3)
MADRID = BusinessCalendar("ES", "MD")


def eur(text: str) -> Money:
    return Money(text, "EUR")


def terms(n: int = 3, every: str = "month", **kw: object) -> PlanTerms:
    return PlanTerms(instalments=n, frequency=every, start=kw.pop("start", TODAY), **kw)  # type: ignore[arg-type]


# -- properties ---------------------------------------------------------------------------

currencies = st.sampled_from(["EUR", "JPY", "KWD", "USD"])


@st.composite
def plan_inputs(draw: st.DrawFn) -> tuple[Money, PlanTerms, bool]:
    currency = draw(currencies)
    n = draw(st.integers(1, 60))
    balance_minor = draw(st.integers(n, 10**9))
    balance = Money.from_minor(balance_minor, currency)
    down_kind = draw(st.sampled_from(["none", "amount", "percent"]))
    down: DownPayment | None = None
    if down_kind == "amount" and balance_minor > 1:
        down = DownPayment.of_amount(Money.from_minor(draw(st.integers(1, balance_minor - 1)), currency))
    elif down_kind == "percent":
        down = DownPayment.of_percent(Decimal(draw(st.integers(1, 9999))) / 100)
    french = draw(st.booleans())
    rate = Decimal(draw(st.integers(1, 3000))) / 100 if french else Decimal(0)
    start = TODAY + dt.timedelta(days=draw(st.integers(0, 400)))
    t = PlanTerms(
        instalments=n,
        frequency=draw(st.sampled_from(list(Frequency))),
        start=start,
        down_payment=down,
        annual_rate=rate,
        method=Method.FRENCH if french else Method.EQUAL,
    )
    return balance, t, draw(st.booleans())


def _schedule_or_skip(balance: Money, t: PlanTerms, calendar: BusinessCalendar | None):  # type: ignore[no-untyped-def]
    down = t.down_payment.resolve(balance) if t.down_payment else None
    financed = balance - down if down is not None else balance
    assume(down is None or down < balance)
    assume(financed.to_minor() >= t.instalments)
    return build_schedule(balance, t, calendar=calendar)


@settings(deadline=None)
@given(plan_inputs())
def test_schedule_sums_to_the_balance_to_the_cent(data: tuple[Money, PlanTerms, bool]) -> None:
    balance, t, use_calendar = data
    schedule = _schedule_or_skip(balance, t, MADRID if use_calendar else None)
    assert Money.total((i.principal for i in schedule), balance.currency) == balance
    for inst in schedule:
        assert inst.amount == inst.principal + inst.interest
        assert inst.amount == inst.amount.rounded()


@settings(deadline=None)
@given(plan_inputs())
def test_no_instalment_is_negative_and_each_asks_for_something(data: tuple[Money, PlanTerms, bool]) -> None:
    balance, t, use_calendar = data
    schedule = _schedule_or_skip(balance, t, MADRID if use_calendar else None)
    for inst in schedule:
        assert inst.principal.amount >= 0
        assert inst.interest.amount >= 0
        assert inst.amount.amount > 0


@settings(deadline=None)
@given(plan_inputs())
def test_dates_strictly_increase_and_fall_on_business_days(data: tuple[Money, PlanTerms, bool]) -> None:
    balance, t, use_calendar = data
    schedule = _schedule_or_skip(balance, t, MADRID if use_calendar else None)
    dates = [i.due_date for i in schedule]
    assert all(a < b for a, b in itertools.pairwise(dates))
    assert dates[0] >= t.start
    if use_calendar:
        assert all(MADRID.is_business_day(d) for d in dates)
    # a percentage down payment that rounds to zero minor units is dropped
    has_down = t.down_payment is not None and not t.down_payment.resolve(balance).is_zero()
    assert len(schedule) == t.instalments + (1 if has_down else 0)
    assert [i.number for i in schedule] == list(range(0 if has_down else 1, t.instalments + 1))


@given(st.integers(1, 10**9), st.integers(1, 120))
def test_equal_instalments_differ_only_by_the_cents_the_last_absorbs(balance_minor: int, n: int) -> None:
    assume(balance_minor >= n)
    schedule = build_schedule(Money.from_minor(balance_minor, "EUR"), terms(n))
    amounts = [i.amount.to_minor() for i in schedule]
    assert len(set(amounts[:-1])) <= 1
    assert 0 <= amounts[-1] - amounts[0] < n


# -- worked examples ----------------------------------------------------------------------


def test_equal_split_last_instalment_absorbs_the_cents() -> None:
    # 1000.00 / 3 = 333.333… → 333.33, 333.33 and 1000.00 − 666.66 = 333.34
    schedule = build_schedule(eur("1000.00"), terms(3))
    assert [i.amount for i in schedule] == [eur("333.33"), eur("333.33"), eur("333.34")]
    assert all(i.interest.is_zero() for i in schedule)


def test_french_amortisation_worked_example() -> None:
    # P = 900.00, 6 % a year monthly → r = 0.005, N = 6.
    # A = 900 × 0.005 / (1 − 1.005^−6) = 4.5 / 0.0294818… = 152.636… → 152.63 (rounded down)
    # period 1: interest 900.00 × 0.005 = 4.50, principal 152.63 − 4.50 = 148.13
    # period 2: interest 751.87 × 0.005 = 3.759… → 3.76, principal 148.87
    schedule = build_schedule(eur("900.00"), terms(6, annual_rate="6", method="french"))
    assert schedule[0].amount == eur("152.63")
    assert (schedule[0].interest, schedule[0].principal) == (eur("4.50"), eur("148.13"))
    assert (schedule[1].interest, schedule[1].principal) == (eur("3.76"), eur("148.87"))
    assert all(i.amount == eur("152.63") for i in schedule[:-1])
    assert Money.total((i.principal for i in schedule), "EUR") == eur("900.00")
    assert schedule[-1].amount >= eur("152.63")


def test_down_payment_percentage_then_instalments_one_period_later() -> None:
    # 10 % of 1000.00 = 100.00 down on the start date; 900.00 / 3 = 300.00 monthly after
    schedule = build_schedule(eur("1000.00"), terms(3, down_payment=DownPayment.parse("10%", "EUR")))
    assert schedule[0].kind is InstalmentKind.DOWN_PAYMENT
    assert (schedule[0].due_date, schedule[0].amount) == (TODAY, eur("100.00"))
    assert [i.due_date for i in schedule[1:]] == [
        dt.date(2025, 4, 3),
        dt.date(2025, 5, 3),
        dt.date(2025, 6, 3),
    ]
    assert [i.amount for i in schedule[1:]] == [eur("300.00")] * 3


def test_monthly_dates_keep_the_day_or_fall_on_the_month_end() -> None:
    dates = instalment_dates(dt.date(2025, 1, 31), 4, "month")
    assert dates == (dt.date(2025, 1, 31), dt.date(2025, 2, 28), dt.date(2025, 3, 31), dt.date(2025, 4, 30))


def test_weekly_and_fortnightly_dates() -> None:
    assert instalment_dates(TODAY, 3, "week") == (TODAY, dt.date(2025, 3, 10), dt.date(2025, 3, 17))
    assert instalment_dates(TODAY, 3, "fortnight") == (TODAY, dt.date(2025, 3, 17), dt.date(2025, 3, 31))


def test_dates_roll_past_weekends_and_madrid_holidays() -> None:
    # 1 May 2025 is Labour Day (Thursday), 2 May is Madrid's regional day (Friday),
    # 3–4 May a weekend → the 1 May instalment rolls to Monday 5 May.
    dates = instalment_dates(dt.date(2025, 4, 1), 2, "month", MADRID)
    assert dates == (dt.date(2025, 4, 1), dt.date(2025, 5, 5))


def test_late_charges_show_each_instalment_with_and_without_them() -> None:
    # 300.00 + 45.00 charges = 345.00 over 3 → 115.00 each, vs 100.00 each without
    schedule = build_schedule(eur("300.00"), terms(3), late_charges=eur("45.00"))
    assert [i.amount for i in schedule] == [eur("100.00")] * 3
    assert [i.amount_with_charges for i in schedule] == [eur("115.00")] * 3
    offer = plan_offer(eur("300.00"), terms(3), late_charges=eur("45.00"))
    assert [o.amount_with_interest for o in offer.instalments] == [eur("115.00")] * 3


def test_plan_converts_to_a_notice_offer() -> None:
    plan = propose_plan(
        plan_id="P1",
        debtor_id="D1",
        debts=[PlanDebt("I1", eur("1000.00"))],
        today=TODAY,
        terms=terms(3, down_payment=DownPayment.of_amount(eur("100.00"))),
    )
    offer = to_plan_offer(plan)
    assert offer.down_payment == eur("100.00")
    assert offer.frequency == "month"
    assert [o.amount for o in offer.instalments] == [eur("300.00")] * 3
    assert plan.state is PlanState.PROPOSED
    assert plan.events[0].kind == "proposed"


# -- validation ---------------------------------------------------------------------------


def _propose(**kw: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {
        "plan_id": "P1",
        "debtor_id": "D1",
        "debts": [PlanDebt("I1", eur("1000.00"))],
        "today": TODAY,
        "terms": terms(3),
    }
    args.update(kw)
    return propose_plan(**args)  # type: ignore[arg-type]


def test_zero_instalments_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError) as err:
        _propose(terms=terms(0))
    assert err.value.field == "instalments"


def test_down_payment_above_or_equal_to_the_balance_is_refused() -> None:
    for amount in ("1000.00", "1500.00"):
        with pytest.raises(InvalidAmountError) as err:
            _propose(terms=terms(3, down_payment=DownPayment.of_amount(eur(amount))))
        assert err.value.field == "down_payment"


def test_start_in_the_past_is_refused() -> None:
    with pytest.raises(DateOrderError) as err:
        _propose(terms=terms(3, start=TODAY - dt.timedelta(days=1)))
    assert err.value.field == "start"


def test_plan_on_a_disputed_invoice_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        _propose(debts=[PlanDebt("I1", eur("10.00")), PlanDebt("I2", eur("5.00"), disputed=True)])
    assert (err.value.record, err.value.field) == ("invoice I2", "disputed")


def test_invoices_in_two_currencies_are_refused() -> None:
    with pytest.raises(CurrencyMismatchError):
        _propose(debts=[PlanDebt("I1", eur("10.00")), PlanDebt("I2", Money("5.00", "USD"))])


def test_too_many_instalments_for_a_tiny_balance() -> None:
    with pytest.raises(InvalidAmountError) as err:
        _propose(debts=[PlanDebt("I1", eur("0.05"))], terms=terms(6))
    assert err.value.field == "instalments"


def test_equal_method_with_a_rate_and_negative_rates_are_refused() -> None:
    with pytest.raises(ValidationError) as err:
        _propose(terms=terms(3, annual_rate="5"))
    assert err.value.field == "rate"
    with pytest.raises(ValidationError):
        _propose(terms=terms(3, annual_rate="-1", method="french"))


def test_down_payment_parsing() -> None:
    assert DownPayment.parse("12.5%", "EUR").percent == Decimal("12.5")
    assert DownPayment.parse("150", "EUR").amount == eur("150")
    for bad in ("0%", "100%", "-5", "1.234", "abc"):
        with pytest.raises(ValidationError):
            DownPayment.parse(bad, "EUR")
