"""Promises to pay: pending (pauses the ladder), kept, broken."""

from __future__ import annotations

import datetime as dt

import pytest

from cobrokit.errors import DateOrderError, InvalidAmountError
from cobrokit.model import Payment
from cobrokit.money import Money
from cobrokit.promises import PromiseState, evaluate_promise, ladder_pause, make_promise

TODAY = dt.date(2025, 3, 3)
PROMISED = dt.date(2025, 3, 10)


def eur(text: str) -> Money:
    return Money(text, "EUR")


PROMISE = make_promise(
    promise_id="PR1",
    debtor_id="D1",
    promised_date=PROMISED,
    amount=eur("500.00"),
    today=TODAY,
    channel="phone",
    note="after the client's customer pays",
)


def pay(day: dt.date, amount: str, debtor: str = "D1") -> Payment:
    return Payment(id=f"P{day.isoformat()}{amount}", debtor_id=debtor, date=day, amount=eur(amount))


def test_pending_until_the_promised_date_plus_grace() -> None:
    status = evaluate_promise(PROMISE, [], dt.date(2025, 3, 13), grace_days=3)
    assert status.state is PromiseState.PENDING
    assert status.pause_until == dt.date(2025, 3, 13)  # 10 Mar + 3 days
    assert status.pauses_ladder


def test_kept_when_the_amount_arrives_in_time() -> None:
    payments = [pay(dt.date(2025, 3, 5), "200.00"), pay(dt.date(2025, 3, 12), "300.00")]
    status = evaluate_promise(PROMISE, payments, dt.date(2025, 3, 20), grace_days=3)
    assert status.state is PromiseState.KEPT
    assert status.kept_on == dt.date(2025, 3, 12)
    assert status.shortfall.is_zero()


def test_broken_the_day_after_the_grace_ends() -> None:
    payments = [pay(dt.date(2025, 3, 5), "200.00"), pay(dt.date(2025, 3, 14), "300.00")]  # 2nd too late
    status = evaluate_promise(PROMISE, payments, dt.date(2025, 3, 14), grace_days=3)
    assert status.state is PromiseState.BROKEN
    assert status.broken_on == dt.date(2025, 3, 14)
    assert status.shortfall == eur("300.00")
    assert not status.pauses_ladder


def test_other_debtors_and_earlier_payments_do_not_count() -> None:
    payments = [pay(dt.date(2025, 3, 2), "500.00"), pay(dt.date(2025, 3, 5), "500.00", debtor="D2")]
    assert evaluate_promise(PROMISE, payments, dt.date(2025, 3, 20)).state is PromiseState.BROKEN


def test_ladder_pause_is_the_latest_pending_promise() -> None:
    later = make_promise(
        promise_id="PR2",
        debtor_id="D1",
        promised_date=dt.date(2025, 3, 20),
        amount=eur("100.00"),
        today=TODAY,
    )
    assert ladder_pause([PROMISE, later], [], dt.date(2025, 3, 11), grace_days=2) == dt.date(2025, 3, 22)
    assert ladder_pause([PROMISE, later], [pay(dt.date(2025, 3, 4), "600.00")], dt.date(2025, 3, 11)) is None


def test_bad_promises_are_refused() -> None:
    with pytest.raises(DateOrderError) as err:
        make_promise(
            promise_id="X",
            debtor_id="D1",
            promised_date=TODAY - dt.timedelta(days=1),
            amount=eur("1.00"),
            today=TODAY,
        )
    assert err.value.field == "promised_date"
    with pytest.raises(InvalidAmountError):
        make_promise(promise_id="X", debtor_id="D1", promised_date=TODAY, amount=eur("0"), today=TODAY)
