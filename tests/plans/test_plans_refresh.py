"""``refresh_plans``: every live plan's transitions saved once, dated, on a real SQLite file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from cobrokit.cli import main
from cobrokit.model import Debtor, Invoice, Payment
from cobrokit.money import Money
from cobrokit.plans import PlanState, PlanTerms
from cobrokit.store.plans import (
    PlanRepository,
    accept_plan,
    cancel_plan,
    propose_for_debtor,
    refresh_plan,
    refresh_plans,
)
from cobrokit.store.sqlite import SQLiteStore

TODAY = dt.date(2025, 3, 3)
NOW = dt.datetime(2025, 6, 1, 10, 0, tzinfo=dt.UTC)


def eur(text: str) -> Money:
    return Money(text, "EUR")


@pytest.fixture
def ledger(tmp_path: Path) -> SQLiteStore:
    store = SQLiteStore.open(tmp_path / "plans.db")
    store.save(
        debtors=[Debtor("D1", "Bar Pepe"), Debtor("D2", "Casa Lola")],  # no country: weekends only
        invoices=[
            Invoice("I1", "D1", dt.date(2025, 1, 1), dt.date(2025, 1, 31), eur("900.00")),
            Invoice("J1", "D2", dt.date(2025, 1, 1), dt.date(2025, 1, 31), eur("200.00")),
        ],
    )
    return store


def monthly(n: int, start: dt.date = dt.date(2025, 3, 10)) -> PlanTerms:
    return PlanTerms(instalments=n, frequency="month", start=start)


def events(store: SQLiteStore, plan_id: str) -> list[tuple[str, str, str | None, str]]:
    """The plan_event rows as stored: (date, kind, from, to), in order."""
    return [
        tuple(r)  # type: ignore[misc]
        for r in store.conn.execute(
            "SELECT on_date, kind, from_state, to_state FROM plan_event WHERE plan_id = ? ORDER BY version, seq",
            (plan_id,),
        )
    ]


def stored_state(store: SQLiteStore, plan_id: str) -> str:
    return str(
        store.conn.execute("SELECT state FROM payment_plan WHERE id = ? ORDER BY version DESC", (plan_id,)).fetchone()[
            0
        ]
    )


def on_account(ident: str, debtor: str, day: dt.date, amount: str) -> Payment:
    return Payment(ident, debtor, day, eur(amount))


def test_a_breach_is_saved_once_with_every_transition_dated(ledger: SQLiteStore) -> None:
    # 900.00 in 3 monthly instalments of 300.00: 10 Mar (Mon), 10 Apr (Thu), 10 May (Sat → Mon 12 May)
    plan = propose_for_debtor(ledger, tenant="default", debtor_id="D1", today=TODAY, terms=monthly(3))
    assert [i.due_date for i in plan.instalments] == [dt.date(2025, 3, 10), dt.date(2025, 4, 10), dt.date(2025, 5, 12)]
    accept_plan(ledger, tenant="default", plan_id=plan.id, on=dt.date(2025, 3, 4))
    ledger.save(payments=[on_account("P1", "D1", dt.date(2025, 3, 10), "300.00")])  # pays instalment 1 only

    changed: dict[dt.date, list[tuple[str, dt.date]]] = {}
    for day in (dt.date(2025, 3, 9), dt.date(2025, 3, 10), dt.date(2025, 4, 15), dt.date(2025, 4, 16)):
        changed[day] = [(c.kind, c.on) for c in refresh_plans(ledger, "default", day, now=NOW)]
    # 9 Mar: nothing due yet; 10 Mar: first due date and first payment → active;
    # 15 Apr: instalment 2 (due 10 Apr) is unpaid but within its 5 grace days (until 15 Apr);
    # 16 Apr: the first day of the breach
    assert changed == {
        dt.date(2025, 3, 9): [],
        dt.date(2025, 3, 10): [("activated", dt.date(2025, 3, 10))],
        dt.date(2025, 4, 15): [],
        dt.date(2025, 4, 16): [("breached", dt.date(2025, 4, 16))],
    }
    history = [
        ("2025-03-03", "proposed", None, "proposed"),
        ("2025-03-04", "accepted", "proposed", "accepted"),
        ("2025-03-10", "activated", "accepted", "active"),
        ("2025-04-16", "breached", "active", "breached"),
    ]
    assert events(ledger, plan.id) == history
    assert PlanRepository(ledger).load_plan("default", plan.id).state is PlanState.BREACHED  # type: ignore[union-attr]

    # again, for the same, a later and an earlier date: nothing new
    for day in (dt.date(2025, 4, 16), dt.date(2025, 4, 30), dt.date(2025, 3, 12), dt.date(2025, 3, 1)):
        assert refresh_plans(ledger, "default", day, now=NOW) == []
    assert events(ledger, plan.id) == history


def test_a_breach_found_late_is_dated_when_it_happened(ledger: SQLiteStore) -> None:
    plan = propose_for_debtor(ledger, tenant="default", debtor_id="D1", today=TODAY, terms=monthly(3))
    accept_plan(ledger, tenant="default", plan_id=plan.id, on=TODAY)
    # the run was down until 1 May: one call records both transitions with their own dates
    changes = refresh_plans(ledger, "default", dt.date(2025, 5, 1), now=NOW)
    # nothing paid: active on the first due date (10 Mar); breached the day after its grace (15 Mar + 1)
    assert [(c.plan_id, c.kind, c.on, c.from_state, c.to_state) for c in changes] == [
        (plan.id, "activated", dt.date(2025, 3, 10), PlanState.ACCEPTED, PlanState.ACTIVE),
        (plan.id, "breached", dt.date(2025, 3, 16), PlanState.ACTIVE, PlanState.BREACHED),
    ]
    note = PlanRepository(ledger).load_plan("default", plan.id).events[-1].note  # type: ignore[union-attr]
    assert note == "evaluated as of 2025-05-01 (recorded 2025-06-01T10:00:00+00:00)"


def test_a_completed_plan_likewise(ledger: SQLiteStore) -> None:
    plan = propose_for_debtor(ledger, tenant="default", debtor_id="D2", today=TODAY, terms=monthly(2))
    accept_plan(ledger, tenant="default", plan_id=plan.id, on=TODAY)
    # 200.00 in 2 instalments of 100.00 (10 Mar, 10 Apr), paid on 7 Mar and 8 Apr
    ledger.save(
        payments=[
            on_account("Q1", "D2", dt.date(2025, 3, 7), "100.00"),
            on_account("Q2", "D2", dt.date(2025, 4, 8), "100.00"),
        ]
    )
    assert [(c.kind, c.on) for c in refresh_plans(ledger, "default", dt.date(2025, 3, 20), now=NOW)] == [
        ("activated", dt.date(2025, 3, 7))  # the first payment came before the first due date
    ]
    assert [(c.kind, c.on) for c in refresh_plans(ledger, "default", dt.date(2025, 4, 30), now=NOW)] == [
        ("completed", dt.date(2025, 4, 8))
    ]
    history = [
        ("2025-03-03", "proposed", None, "proposed"),
        ("2025-03-03", "accepted", "proposed", "accepted"),
        ("2025-03-07", "activated", "accepted", "active"),
        ("2025-04-08", "completed", "active", "completed"),
    ]
    assert events(ledger, plan.id) == history
    assert refresh_plans(ledger, "default", dt.date(2025, 4, 30), now=NOW) == []
    assert refresh_plans(ledger, "default", dt.date(2025, 9, 1), now=NOW) == []  # completed: no longer live
    assert events(ledger, plan.id) == history


def test_a_breached_plan_paid_in_full_completes(ledger: SQLiteStore) -> None:
    plan = propose_for_debtor(ledger, tenant="default", debtor_id="D2", today=TODAY, terms=monthly(2))
    accept_plan(ledger, tenant="default", plan_id=plan.id, on=TODAY)
    assert [c.kind for c in refresh_plans(ledger, "default", dt.date(2025, 3, 20), now=NOW)] == [
        "activated",
        "breached",
    ]
    ledger.save(payments=[on_account("Q1", "D2", dt.date(2025, 3, 25), "200.00")])
    changes = refresh_plans(ledger, "default", dt.date(2025, 3, 26), now=NOW)
    assert [(c.kind, c.on, c.from_state) for c in changes] == [("completed", dt.date(2025, 3, 25), PlanState.BREACHED)]


def test_only_live_plans_are_refreshed(ledger: SQLiteStore) -> None:
    proposed = propose_for_debtor(ledger, tenant="default", debtor_id="D1", today=TODAY, terms=monthly(3))
    other = propose_for_debtor(ledger, tenant="default", debtor_id="D2", today=TODAY, terms=monthly(2))
    accept_plan(ledger, tenant="default", plan_id=other.id, on=TODAY)
    cancel_plan(ledger, tenant="default", plan_id=other.id, on=dt.date(2025, 3, 5))
    before = PlanRepository(ledger).counts("default")
    # a proposal is not binding and a cancelled plan is over: neither moves, however late
    assert refresh_plans(ledger, "default", dt.date(2025, 6, 1), now=NOW) == []
    assert PlanRepository(ledger).counts("default") == before
    assert PlanRepository(ledger).load_plan("default", proposed.id).state is PlanState.PROPOSED  # type: ignore[union-attr]


def test_a_plan_accepted_after_the_date_is_left_alone(ledger: SQLiteStore) -> None:
    plan = propose_for_debtor(ledger, tenant="default", debtor_id="D1", today=TODAY, terms=monthly(3))
    accept_plan(ledger, tenant="default", plan_id=plan.id, on=dt.date(2025, 3, 12))
    # a catch-up run for 11 Mar must not record anything before the acceptance of 12 Mar
    assert refresh_plans(ledger, "default", dt.date(2025, 3, 11), now=NOW) == []
    updated, status = refresh_plan(ledger, tenant="default", plan_id=plan.id, as_of=dt.date(2025, 3, 11))
    assert updated.state is PlanState.ACCEPTED and status.activated_on is None
    assert len(events(ledger, plan.id)) == 2


def test_no_plans_costs_one_indexed_query(ledger: SQLiteStore) -> None:
    statements: list[str] = []
    ledger.conn.set_trace_callback(statements.append)
    try:
        assert refresh_plans(ledger, "default", dt.date(2025, 6, 1), now=NOW) == []
    finally:
        ledger.conn.set_trace_callback(None)
    assert len(statements) == 1 and statements[0].startswith("SELECT")  # no BEGIN: no write lock taken
    plan = " ".join(str(row[-1]) for row in ledger.conn.execute("EXPLAIN QUERY PLAN " + statements[0]))
    assert "USING INDEX payment_plan_by_state" in plan


def test_plan_show_prints_the_evaluated_state_and_the_history(
    ledger: SQLiteStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = propose_for_debtor(ledger, tenant="default", debtor_id="D1", today=TODAY, terms=monthly(3))
    accept_plan(ledger, tenant="default", plan_id=plan.id, on=dt.date(2025, 3, 4))
    refresh_plans(ledger, "default", dt.date(2025, 3, 10), now=NOW)  # records "activated" only
    db = str(tmp_path / "plans.db")
    assert main(["plan", "show", "--db", db, "--plan", plan.id, "--as-of", "2025-03-20"]) == 0
    out = capsys.readouterr().out
    # stored: active; evaluated on 20 Mar: breached since 16 Mar (nothing paid, 5 grace days)
    assert out.splitlines()[0] == f"Plan {plan.id} v1 for debtor D1: breached (proposed 2025-03-03)"
    history = out[out.index("History:") :].splitlines()[1:5]
    assert [line.split()[:2] for line in history] == [
        ["2025-03-03", "proposed"],
        ["2025-03-04", "accepted"],
        ["2025-03-10", "activated"],
        ["2025-03-16", "breached"],
    ]
    assert "[not recorded yet]" not in history[2] and history[3].endswith("[not recorded yet]")
    assert main(["plan", "show", "--db", db, "--plan", plan.id, "--as-of", "2025-03-20", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["state"], data["recorded_state"]) == ("breached", "active")
    assert [(e["kind"], e["recorded"]) for e in data["events"]] == [
        ("proposed", True),
        ("accepted", True),
        ("activated", True),
        ("breached", False),
    ]
    assert stored_state(ledger, plan.id) == "active"  # show is read-only
