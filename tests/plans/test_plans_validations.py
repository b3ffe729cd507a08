"""Refusals found by the audit: accepting a plan on a disputed invoice, promises beyond the debt;
and the plan version the ladder sees after a renegotiation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cobrokit.cli import main
from cobrokit.commitments import load_plan_views
from cobrokit.errors import CurrencyMismatchError, InvalidAmountError
from cobrokit.model import Allocation, Debtor, Invoice, Payment
from cobrokit.money import Money
from cobrokit.plans import PlanState, PlanTerms
from cobrokit.store.plans import (
    PlanRepository,
    accept_plan,
    add_promise,
    propose_for_debtor,
    renegotiate_plan,
)
from cobrokit.store.sqlite import SQLiteStore

TODAY = dt.date(2025, 3, 3)


def eur(text: str) -> Money:
    return Money(text, "EUR")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """D1 owes I1 (2,000.00, 100.00 paid) and I2 (1,360.80): 3,260.80 open, in EUR only."""
    path = tmp_path / "ledger.db"
    with SQLiteStore.open(path) as store:
        store.save(
            debtors=[Debtor("D1", "Bar Pepe"), Debtor("D2", "Casa Lola")],
            invoices=[
                Invoice("I1", "D1", dt.date(2025, 1, 1), dt.date(2025, 1, 31), eur("2000.00")),
                Invoice("I2", "D1", dt.date(2025, 1, 10), dt.date(2025, 2, 10), eur("1360.80")),
                Invoice("U1", "D2", dt.date(2025, 1, 1), dt.date(2025, 1, 31), Money("100.00", "USD")),
            ],
            payments=[
                Payment("P0", "D1", dt.date(2025, 2, 1), eur("100.00"), allocations=[Allocation("I1", eur("100.00"))])
            ],
        )
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def counts(db: Path) -> dict[str, int]:
    with SQLiteStore.open(db) as store:
        return {**store.counts(), **PlanRepository(store).counts("default")}


def test_accepting_a_plan_whose_invoice_was_disputed_since_is_refused(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with SQLiteStore.open(db) as store:
        plan = propose_for_debtor(
            store,
            tenant="default",
            debtor_id="D1",
            today=TODAY,
            terms=PlanTerms(instalments=3, frequency="month", start=dt.date(2025, 3, 10)),
        )
        assert plan.invoice_ids == ("I1", "I2")
        store.set_flag("invoice", "default", "I2", "disputed", True)  # the client disputes I2 afterwards
    before = counts(db)

    code, out, err = run(capsys, "plan", "accept", "--db", str(db), "--plan", plan.id, "--on", "2025-03-04")

    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1
    assert f"plan {plan.id} v1: invoices: invoice I2 is disputed" in err
    assert counts(db) == before
    with SQLiteStore.open(db) as store:
        stored = PlanRepository(store).load_plan("default", plan.id)
        assert stored is not None and stored.state is PlanState.PROPOSED
        # once the dispute is resolved the same plan can be accepted
        store.set_flag("invoice", "default", "I2", "disputed", False)
        assert accept_plan(store, tenant="default", plan_id=plan.id, on=dt.date(2025, 3, 4)).state is PlanState.ACCEPTED


PROMISE = ("promise", "add", "--debtor", "D1", "--date", "2025-03-10", "--today", "2025-03-03")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        # open: 2,000.00 − 100.00 + 1,360.80 = 3,260.80
        (("--amount", "99999"), "debtor D1: amount: a promise of EUR 99999.00 is more than the debtor owes in EUR"),
        (("--amount", "3260.81"), "(EUR 3260.80)"),
        (("--amount", "100", "--currency", "USD"), "debtor D1: currency: owes nothing in USD"),
    ],
)
def test_a_promise_beyond_the_debt_is_refused(
    db: Path, capsys: pytest.CaptureFixture[str], extra: tuple[str, ...], message: str
) -> None:
    before = counts(db)
    code, out, err = run(capsys, *PROMISE, "--db", str(db), *extra)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err, err
    assert counts(db) == before


def test_a_promise_of_the_whole_debt_is_accepted(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, *PROMISE, "--db", str(db), "--amount", "3260.80")
    assert code == 0 and "EUR 3260.80" in out


def test_the_limit_counts_the_current_cycles_fees_and_the_api_checks_money_too(db: Path) -> None:
    with SQLiteStore.open(db) as store:
        with store.transaction() as conn:  # the ladder charged a 15.00 fee in D1's current cycle (EUR1)
            conn.execute(
                "INSERT INTO ladder_state (tenant, debtor_id, currency, ladder, cycle) VALUES (?, ?, ?, ?, ?)",
                ("default", "D1", "EUR", "default", 1),
            )
            conn.execute(
                "INSERT INTO fee (key, tenant, debtor_id, stage, cycle, currency, amount_minor, as_of) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                ("k1", "default", "D1", "ultimatum", "EUR1", "EUR", 1500, "2025-03-01"),
            )

        def promise(amount: Money) -> Money:
            return add_promise(
                store, tenant="default", debtor_id="D1", promised_date=dt.date(2025, 3, 10), amount=amount, today=TODAY
            ).amount

        # 3,260.80 + 15.00 = 3,275.80
        with pytest.raises(InvalidAmountError, match=r"\(EUR 3275.80\)"):
            promise(eur("3275.81"))
        with pytest.raises(CurrencyMismatchError, match="owes nothing in USD"):
            promise(Money("1.00", "USD"))
        assert promise(eur("3275.80")) == eur("3275.80")


def test_the_ladder_sees_version_2_after_a_renegotiation_is_accepted(db: Path) -> None:
    with SQLiteStore.open(db) as store:
        terms = PlanTerms(instalments=3, frequency="month", start=dt.date(2025, 3, 10))
        plan = propose_for_debtor(store, tenant="default", debtor_id="D1", today=TODAY, terms=terms)
        accept_plan(store, tenant="default", plan_id=plan.id, on=dt.date(2025, 3, 4))
        assert load_plan_views(store, "default", dt.date(2025, 3, 5))["D1"].version == 1

        new_terms = PlanTerms(instalments=6, frequency="month", start=dt.date(2025, 4, 10))
        _, v2 = renegotiate_plan(store, tenant="default", plan_id=plan.id, today=dt.date(2025, 3, 6), terms=new_terms)
        assert v2.version == 2
        assert "D1" not in load_plan_views(store, "default", dt.date(2025, 3, 6))  # v2 only proposed: nothing to follow
        accept_plan(store, tenant="default", plan_id=plan.id, on=dt.date(2025, 3, 7))

        view = load_plan_views(store, "default", dt.date(2025, 3, 8))["D1"]

    assert (view.plan_id, view.version, view.state, view.key) == (plan.id, 2, "active", f"{plan.id}v2")
    assert view.next_due == v2.instalments[0].due_date
