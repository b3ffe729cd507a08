"""``reward_for_paid_cycle``: a discount on the next purchase for keeping the agreed terms, granted once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from cobrokit.model import Allocation, Debtor, Invoice, Payment
from cobrokit.money import Money
from cobrokit.plans import PlanState, PlanTerms
from cobrokit.settlements import Reward, RewardPolicy, reward_as_json, reward_code
from cobrokit.store.plans import (
    PlanRepository,
    accept_plan,
    add_promise,
    offer_settlement,
    propose_for_debtor,
    refresh_plans,
)
from cobrokit.store.settlements import refresh_settlements, reward_for_paid_cycle
from cobrokit.store.sqlite import SQLiteStore

NOW = dt.datetime(2027, 1, 23, 8, 0, tzinfo=dt.UTC)
POLICY = RewardPolicy(percent="5", valid_days=90)


def eur(text: str) -> Money:
    return Money(text, "EUR")


@pytest.fixture
def ledger(tmp_path: Path) -> SQLiteStore:
    store = SQLiteStore.open(tmp_path / "rewards.db")
    store.save(
        debtors=[Debtor("D1", "Bar Pepe"), Debtor("D2", "Casa Lola")],
        invoices=[
            Invoice("I1", "D1", dt.date(2026, 9, 1), dt.date(2026, 10, 1), eur("1000.00")),
            Invoice("J1", "D2", dt.date(2026, 9, 1), dt.date(2026, 10, 1), eur("500.00")),
        ],
    )
    return store


def paid(ident: str, debtor: str, invoice: str, day: dt.date, amount: str) -> Payment:
    return Payment(ident, debtor, day, eur(amount), allocations=[Allocation(invoice, eur(amount))])


def reward(store: SQLiteStore, debtor: str, as_of: dt.date, policy: RewardPolicy | None = POLICY) -> Reward | None:
    return reward_for_paid_cycle(
        store, tenant="default", debtor_id=debtor, currency="EUR", cycle="EUR1", as_of=as_of, policy=policy
    )


def honour_settlement(store: SQLiteStore, pay_on: dt.date) -> None:
    # 10 % off 1,000.00: 900.00 by 15 Dec
    offer_settlement(
        store,
        tenant="default",
        debtor_id="D1",
        today=dt.date(2026, 11, 20),
        pay_by=dt.date(2026, 12, 15),
        floor="80%",
        discount_percent="10",
    )
    store.save(payments=[paid("P1", "D1", "I1", pay_on, "900.00")])
    (change,) = refresh_settlements(store, "default", dt.date(2026, 12, 20), now=NOW)
    assert change.to_state.value == "honoured"


def test_keeping_a_settlement_earns_one_reward_for_the_cycle(ledger: SQLiteStore) -> None:
    honour_settlement(ledger, dt.date(2026, 12, 10))  # 5 days before the deadline

    first = reward(ledger, "D1", dt.date(2026, 12, 20))

    assert first is not None
    assert first.code == reward_code("THANKS", "default", "D1", "cycle EUR1")
    assert (first.percent, first.granted_on, first.valid_until) == (
        Decimal(5),
        dt.date(2026, 12, 10),
        dt.date(2026, 12, 10) + dt.timedelta(days=90),  # 2027-03-10
    )
    assert "settlement SETT-00001" in first.reason
    assert reward_as_json(first) == {
        "code": first.code,
        "percent": "5",
        "granted_on": "2026-12-10",
        "valid_until": "2027-03-10",
        "reason": first.reason,
    }
    # a second call (another notice, a later day, even another policy) returns the same reward
    assert reward(ledger, "D1", dt.date(2027, 1, 5)) == first
    assert reward(ledger, "D1", dt.date(2027, 1, 5), RewardPolicy(percent="10")) == first
    assert list(PlanRepository(ledger).iter_rewards("default")) == [first]
    # the purchase discount it gives: 5 % of 80.00 = 4.00 while valid, nothing after
    assert first.discount_on(eur("80.00"), dt.date(2027, 3, 10)) == eur("4.00")
    assert first.discount_on(eur("80.00"), dt.date(2027, 3, 11)) == eur("0.00")


def test_off_without_a_policy(ledger: SQLiteStore) -> None:
    honour_settlement(ledger, dt.date(2026, 12, 10))
    assert reward(ledger, "D1", dt.date(2026, 12, 20), policy=None) is None
    assert PlanRepository(ledger).counts("default")["reward"] == 0


def test_not_early_enough_earns_nothing(ledger: SQLiteStore) -> None:
    honour_settlement(ledger, dt.date(2026, 12, 10))  # 5 days early; the policy asks for 7
    assert reward(ledger, "D1", dt.date(2026, 12, 20), RewardPolicy(percent="5", min_days_early=7)) is None
    assert PlanRepository(ledger).counts("default")["reward"] == 0


def test_paying_an_overdue_invoice_late_earns_nothing(ledger: SQLiteStore) -> None:
    ledger.save(payments=[paid("P1", "D1", "I1", dt.date(2026, 11, 2), "1000.00")])  # due 1 Oct
    assert reward(ledger, "D1", dt.date(2026, 11, 3)) is None


def test_a_plan_completed_on_time_earns_a_reward(ledger: SQLiteStore) -> None:
    terms = PlanTerms(instalments=2, frequency="month", start=dt.date(2026, 11, 16))
    plan = propose_for_debtor(ledger, tenant="default", debtor_id="D2", today=dt.date(2026, 11, 2), terms=terms)
    last_due = plan.instalments[-1].due_date  # 16 Dec 2026 (a Wednesday)
    accept_plan(ledger, tenant="default", plan_id=plan.id, on=dt.date(2026, 11, 3))
    ledger.save(
        payments=[
            paid("Q1", "D2", "J1", dt.date(2026, 11, 16), "250.00"),
            paid("Q2", "D2", "J1", dt.date(2026, 12, 14), "250.00"),  # two days early
        ]
    )
    refresh_plans(ledger, "default", dt.date(2026, 12, 20), now=NOW)
    assert PlanRepository(ledger).load_plan("default", plan.id).state is PlanState.COMPLETED  # type: ignore[union-attr]

    got = reward(ledger, "D2", dt.date(2026, 12, 20))

    assert got is not None and got.granted_on == dt.date(2026, 12, 14)
    assert f"plan {plan.id}" in got.reason and last_due.isoformat() in got.reason


def test_a_kept_promise_earns_a_reward(ledger: SQLiteStore) -> None:
    add_promise(
        ledger,
        tenant="default",
        debtor_id="D1",
        promised_date=dt.date(2026, 11, 10),
        amount="1000.00",
        today=dt.date(2026, 11, 2),
    )
    ledger.save(payments=[paid("P1", "D1", "I1", dt.date(2026, 11, 9), "1000.00")])
    got = reward(ledger, "D1", dt.date(2026, 11, 12))
    assert got is not None and "promise PROM-00001" in got.reason


def test_a_plan_completed_after_a_breach_earns_nothing(ledger: SQLiteStore) -> None:
    terms = PlanTerms(instalments=2, frequency="month", start=dt.date(2026, 11, 16))
    plan = propose_for_debtor(ledger, tenant="default", debtor_id="D2", today=dt.date(2026, 11, 2), terms=terms)
    accept_plan(ledger, tenant="default", plan_id=plan.id, on=dt.date(2026, 11, 3))
    # instalment 1 (16 Nov) missed beyond the 5 grace days: breached from 22 Nov
    refresh_plans(ledger, "default", dt.date(2026, 11, 25), now=NOW)
    ledger.save(payments=[paid("Q1", "D2", "J1", dt.date(2026, 12, 14), "500.00")])
    refresh_plans(ledger, "default", dt.date(2026, 12, 20), now=NOW)
    stored = PlanRepository(ledger).load_plan("default", plan.id)
    assert stored is not None and stored.state is PlanState.COMPLETED
    assert "breached" in [e.kind for e in stored.events]
    assert reward(ledger, "D2", dt.date(2026, 12, 20)) is None


def test_a_promise_kept_only_in_its_grace_days_earns_nothing(ledger: SQLiteStore) -> None:
    add_promise(
        ledger,
        tenant="default",
        debtor_id="D1",
        promised_date=dt.date(2026, 11, 10),
        amount="1000.00",
        today=dt.date(2026, 11, 2),
    )
    ledger.save(payments=[paid("P1", "D1", "I1", dt.date(2026, 11, 12), "1000.00")])  # kept, 2 days late
    assert reward(ledger, "D1", dt.date(2026, 11, 14)) is None
