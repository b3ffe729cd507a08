"""The plans repository over a real SQLite file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cobrokit.errors import ConflictError, UnknownReferenceError, ValidationError
from cobrokit.model import Allocation, Debtor, Invoice, Payment
from cobrokit.money import Money
from cobrokit.plans import DownPayment, Method, PlanState, PlanTerms, accept
from cobrokit.promises import PromiseState
from cobrokit.settlements import Reward, SettlementFloor, propose_settlement
from cobrokit.store.plans import (
    PlanRepository,
    accept_plan,
    add_promise,
    promise_statuses,
    propose_for_debtor,
    refresh_plan,
    renegotiate_plan,
)
from cobrokit.store.sqlite import SQLiteStore

TODAY = dt.date(2025, 3, 3)


def eur(text: str) -> Money:
    return Money(text, "EUR")


@pytest.fixture
def ledger(tmp_path: Path) -> SQLiteStore:
    store = SQLiteStore.open(tmp_path / "plans.db")
    store.save(
        debtors=[Debtor("D1", "Bar Pepe", country="ES"), Debtor("D2", "Other")],
        invoices=[
            Invoice("I1", "D1", dt.date(2025, 1, 1), dt.date(2025, 1, 31), eur("600.00")),
            Invoice("I2", "D1", dt.date(2025, 1, 10), dt.date(2025, 2, 10), eur("400.00")),
            Invoice("I3", "D1", dt.date(2025, 1, 10), dt.date(2025, 2, 10), eur("50.00"), disputed=True),
        ],
        payments=[
            Payment("P0", "D1", dt.date(2025, 2, 1), eur("100.00"), allocations=[Allocation("I1", eur("100.00"))])
        ],
    )
    return store


def terms(**kw: object) -> PlanTerms:
    base: dict[str, object] = {"instalments": 3, "frequency": "month", "start": dt.date(2025, 3, 10)}
    base.update(kw)
    return PlanTerms(**base)  # type: ignore[arg-type]


def test_migration_creates_the_plan_tables(ledger: SQLiteStore) -> None:
    assert ledger.schema_version() >= 3
    assert PlanRepository(ledger).counts("default") == {
        "payment_plan": 0,
        "plan_debt": 0,
        "plan_instalment": 0,
        "plan_event": 0,
        "promise": 0,
        "settlement": 0,
        "reward": 0,
    }


def test_propose_saves_and_loads_the_same_plan(ledger: SQLiteStore) -> None:
    plan = propose_for_debtor(
        ledger,
        tenant="default",
        debtor_id="D1",
        today=TODAY,
        terms=terms(down_payment=DownPayment.parse("10%", "EUR"), annual_rate="6", method=Method.FRENCH),
        late_charges=lambda debts: eur("86.60"),
    )
    # open as of 3 Mar: I1 600 − 100 = 500.00, I2 400.00; I3 is disputed and left out
    assert plan.invoice_ids == ("I1", "I2")
    assert plan.balance == eur("900.00")
    assert plan.id == "PLAN-00001"
    repo = PlanRepository(ledger)
    assert repo.load_plan("default", plan.id) == plan
    assert repo.counts("default")["plan_instalment"] == 4


def test_saving_again_appends_history_only(ledger: SQLiteStore) -> None:
    plan = propose_for_debtor(ledger, tenant="default", debtor_id="D1", today=TODAY, terms=terms())
    repo = PlanRepository(ledger)
    repo.save_plan(plan)  # idempotent
    assert repo.counts("default")["plan_event"] == 1
    accepted = accept_plan(ledger, tenant="default", plan_id=plan.id, on=TODAY)
    assert accepted.state is PlanState.ACCEPTED
    assert repo.load_plan("default", plan.id) == accepted
    assert repo.counts("default")["plan_event"] == 2
    # a different history (accepted on another day) is refused, not overwritten
    other = accept(plan, dt.date(2025, 3, 4))
    with pytest.raises(ConflictError):
        repo.save_plan(other)
    assert repo.load_plan("default", plan.id) == accepted


def test_an_invoice_in_a_binding_plan_cannot_be_planned_again(ledger: SQLiteStore) -> None:
    plan = propose_for_debtor(ledger, tenant="default", debtor_id="D1", today=TODAY, terms=terms())
    accept_plan(ledger, tenant="default", plan_id=plan.id, on=TODAY)
    before = PlanRepository(ledger).counts("default")
    with pytest.raises(ConflictError):
        propose_for_debtor(ledger, tenant="default", debtor_id="D1", today=TODAY, terms=terms())
    assert PlanRepository(ledger).counts("default") == before


def test_renegotiation_keeps_both_versions_linked(ledger: SQLiteStore) -> None:
    plan = propose_for_debtor(ledger, tenant="default", debtor_id="D1", today=TODAY, terms=terms())
    accept_plan(ledger, tenant="default", plan_id=plan.id, on=TODAY)
    ledger.save(
        payments=[
            Payment("P1", "D1", dt.date(2025, 3, 10), eur("300.00"), allocations=[Allocation("I1", eur("300.00"))]),
            Payment("P2", "D1", dt.date(2025, 3, 12), eur("250.00")),  # on account
        ]
    )
    old, new = renegotiate_plan(
        ledger,
        tenant="default",
        plan_id=plan.id,
        today=dt.date(2025, 3, 20),
        terms=terms(instalments=6, start=dt.date(2025, 4, 1)),
    )
    repo = PlanRepository(ledger)
    versions = repo.plan_versions("default", plan.id)
    assert [(v.version, v.state, v.previous_version) for v in versions] == [
        (1, PlanState.RENEGOTIATED, None),
        (2, PlanState.PROPOSED, 1),
    ]
    assert versions == [old, new]
    # open on 20 Mar: I1 500 − 300 = 200.00 and I2 400.00; the 250.00 paid on account under
    # version 1 covers I1's 200.00 and 50.00 of I2 → I2 350.00 is left
    assert new.balance == eur("350.00")
    assert [(d.invoice_id, d.open) for d in new.debts] == [("I2", eur("350.00"))]
    assert repo.load_plan("default", plan.id) == new


def test_refresh_records_a_breach(ledger: SQLiteStore) -> None:
    plan = propose_for_debtor(ledger, tenant="default", debtor_id="D1", today=TODAY, terms=terms())
    accept_plan(ledger, tenant="default", plan_id=plan.id, on=TODAY)
    updated, status = refresh_plan(ledger, tenant="default", plan_id=plan.id, as_of=dt.date(2025, 3, 20))
    assert status.state is PlanState.BREACHED
    assert updated.state is PlanState.BREACHED
    # activated on the first due date (10 Mar), breached after 5 grace days (16 Mar)
    assert [(e.kind, e.on) for e in updated.events[2:]] == [
        ("activated", dt.date(2025, 3, 10)),
        ("breached", dt.date(2025, 3, 16)),
    ]
    assert PlanRepository(ledger).load_plan("default", plan.id) == updated


def test_bad_proposals_write_nothing(ledger: SQLiteStore) -> None:
    repo = PlanRepository(ledger)
    before = repo.counts("default")
    for kwargs in (
        {"debtor_id": "D1", "terms": terms(instalments=0)},
        {"debtor_id": "D1", "terms": terms(start=dt.date(2025, 3, 1))},
        {"debtor_id": "D1", "terms": terms(down_payment=DownPayment.of_amount(eur("900.00")))},
        {"debtor_id": "D1", "terms": terms(), "invoice_ids": ["I3"]},
        {"debtor_id": "D2", "terms": terms()},
        {"debtor_id": "nobody", "terms": terms()},
    ):
        with pytest.raises((ValidationError, UnknownReferenceError)):
            propose_for_debtor(ledger, tenant="default", today=TODAY, **kwargs)  # type: ignore[arg-type]
    assert repo.counts("default") == before


def test_promises_round_trip_and_evaluate(ledger: SQLiteStore) -> None:
    promise = add_promise(
        ledger,
        tenant="default",
        debtor_id="D1",
        promised_date=dt.date(2025, 3, 10),
        amount="250.00",
        today=TODAY,
        channel="phone",
    )
    assert promise.id == "PROM-00001" and promise.amount == eur("250.00")
    repo = PlanRepository(ledger)
    assert repo.load_promise("default", promise.id) == promise
    repo.save_promise(promise)  # identical: no change
    assert [s.state for s in promise_statuses(ledger, tenant="default", as_of=dt.date(2025, 3, 11))] == [
        PromiseState.PENDING
    ]
    ledger.save(payments=[Payment("P9", "D1", dt.date(2025, 3, 9), eur("250.00"))])
    assert [s.state for s in promise_statuses(ledger, tenant="default", as_of=dt.date(2025, 3, 20))] == [
        PromiseState.KEPT
    ]


def test_settlements_and_rewards_round_trip(ledger: SQLiteStore) -> None:
    repo = PlanRepository(ledger)
    offer = propose_settlement(
        settlement_id=repo.next_settlement_id("default"),
        debtor_id="D1",
        balance=eur("900.00"),
        amount=eur("800.00"),
        pay_by=dt.date(2025, 3, 31),
        today=TODAY,
        floor=SettlementFloor(percent="80"),
        invoice_ids=["I1", "I2"],
    )
    repo.save_settlement(offer)
    assert list(repo.iter_settlements("default", "D1")) == [offer]
    reward = Reward(
        code="THANKS-1",
        tenant="default",
        debtor_id="D1",
        percent="5",
        granted_on=TODAY,
        expires_on=dt.date(2025, 6, 1),
    )
    assert repo.save_reward(reward) is True
    assert repo.save_reward(reward) is False
    assert list(repo.iter_rewards("default")) == [reward]
