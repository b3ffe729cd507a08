"""``refresh_settlements``: saved *quitas* evaluated against the ledger, on a real SQLite file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cobrokit.model import Allocation, Debtor, Invoice, Payment
from cobrokit.money import Money
from cobrokit.settlements import Settlement, SettlementFloor, SettlementState, propose_settlement
from cobrokit.store.plans import PlanRepository, offer_settlement
from cobrokit.store.settlements import SettlementChange, refresh_settlements, write_off_id
from cobrokit.store.sqlite import SQLiteStore

OFFERED = dt.date(2026, 11, 20)
PAY_BY = dt.date(2026, 12, 15)
NOW = dt.datetime(2027, 1, 23, 8, 0, tzinfo=dt.UTC)


def eur(text: str) -> Money:
    return Money(text, "EUR")


@pytest.fixture
def ledger(tmp_path: Path) -> SQLiteStore:
    """D1 owes I1 (2,000.00) and I2 (1,260.80): 3,260.80 in all, like the audit's D000014."""
    store = SQLiteStore.open(tmp_path / "settle.db")
    store.save(
        debtors=[Debtor("D1", "Bar Pepe"), Debtor("D2", "Casa Lola")],
        invoices=[
            Invoice("I1", "D1", dt.date(2026, 9, 1), dt.date(2026, 10, 1), eur("2000.00")),
            Invoice("I2", "D1", dt.date(2026, 9, 15), dt.date(2026, 10, 15), eur("1260.80")),
            Invoice("J1", "D2", dt.date(2026, 9, 1), dt.date(2026, 10, 1), eur("500.00")),
        ],
    )
    return store


def offer(store: SQLiteStore) -> Settlement:
    # 10 % off 3,260.80: discount 326.08, lump sum 2,934.72 by 15 Dec
    settlement = offer_settlement(
        store,
        tenant="default",
        debtor_id="D1",
        today=OFFERED,
        pay_by=PAY_BY,
        floor="80%",
        discount_percent="10",
    )
    assert (settlement.id, settlement.amount, settlement.discount) == ("SETT-00001", eur("2934.72"), eur("326.08"))
    assert settlement.invoice_ids == ("I1", "I2")
    return settlement


def pay(ident: str, day: dt.date, *parts: tuple[str, str], on_account: str = "0", debtor: str = "D1") -> Payment:
    allocations = [Allocation(inv, eur(amount)) for inv, amount in parts]
    total = Money.total((a.amount for a in allocations), "EUR") + eur(on_account)
    return Payment(ident, debtor, day, total, allocations=allocations)


def opens(store: SQLiteStore, as_of: dt.date) -> dict[str, int]:
    return store.open_amounts("default", as_of, debtor_id="D1")


def state(store: SQLiteStore, ident: str = "SETT-00001") -> tuple[SettlementState, dt.date | None] | None:
    return PlanRepository(store).settlement_state("default", ident)


def test_an_honoured_settlement_writes_off_the_discount_once(ledger: SQLiteStore) -> None:
    offer(ledger)
    # the lump sum, allocated as an import does: 2,000.00 to I1 and 934.72 to I2 (2,934.72)
    ledger.save(payments=[pay("P1", dt.date(2026, 12, 10), ("I1", "2000.00"), ("I2", "934.72"))])
    as_of = dt.date(2027, 1, 23)
    assert opens(ledger, as_of) == {"I1": 0, "I2": 32608}  # before: the 326.08 discount still shows open

    changes = refresh_settlements(ledger, "default", as_of, now=NOW)

    assert changes == [
        SettlementChange(
            "default",
            "SETT-00001",
            "D1",
            dt.date(2026, 12, 10),
            SettlementState.OPEN,
            SettlementState.HONOURED,
            eur("2934.72"),
            eur("326.08"),
            (write_off_id("SETT-00001", "I2"),),
            eur("0.00"),
        )
    ]
    assert opens(ledger, as_of) == {"I1": 0, "I2": 0}
    assert [i.open_minor for i in ledger.open_items("default", as_of, debtor_id="D1")] == [0, 0]
    (note,) = ledger.iter_credit_notes("default", "D1")
    assert (note.id, note.invoice_id, note.date, note.amount) == (
        "SETT-00001:I2",
        "I2",
        dt.date(2026, 12, 10),
        eur("326.08"),
    )
    assert state(ledger) == (SettlementState.HONOURED, dt.date(2026, 12, 10))
    # the day before the lump sum the ledger still showed the debt (the write-off is dated)
    assert opens(ledger, dt.date(2026, 12, 9)) == {"I1": 200000, "I2": 126080}

    before = {**ledger.counts(), **PlanRepository(ledger).counts("default")}
    assert refresh_settlements(ledger, "default", as_of, now=NOW) == []
    assert refresh_settlements(ledger, "default", dt.date(2027, 3, 1), now=NOW) == []
    assert {**ledger.counts(), **PlanRepository(ledger).counts("default")} == before


def test_a_lapsed_settlement_leaves_the_debt_whole(ledger: SQLiteStore) -> None:
    offer(ledger)
    ledger.save(payments=[pay("P1", dt.date(2026, 12, 1), ("I1", "2000.00"))])  # 2,000.00 of 2,934.72
    assert refresh_settlements(ledger, "default", PAY_BY, now=NOW) == []  # the deadline day: still open
    assert state(ledger) == (SettlementState.OPEN, None)

    changes = refresh_settlements(ledger, "default", PAY_BY + dt.timedelta(days=1), now=NOW)

    assert [(c.settlement_id, c.on, c.to_state, c.paid, c.write_off) for c in changes] == [
        ("SETT-00001", dt.date(2026, 12, 16), SettlementState.LAPSED, eur("2000.00"), eur("0.00"))
    ]
    assert state(ledger) == (SettlementState.LAPSED, dt.date(2026, 12, 16))
    # 3,260.80 − 2,000.00 paid = 1,260.80 still owed, all on I2: nothing written off
    assert opens(ledger, dt.date(2026, 12, 16)) == {"I1": 0, "I2": 126080}
    assert list(ledger.iter_credit_notes("default")) == []
    assert refresh_settlements(ledger, "default", dt.date(2026, 12, 20), now=NOW) == []


def test_a_partial_payment_keeps_it_open_until_the_deadline(ledger: SQLiteStore) -> None:
    offer(ledger)
    ledger.save(payments=[pay("P1", dt.date(2026, 12, 1), ("I1", "1500.00"))])
    for day in (dt.date(2026, 12, 1), dt.date(2026, 12, 10), PAY_BY):
        assert refresh_settlements(ledger, "default", day, now=NOW) == []
        assert state(ledger) == (SettlementState.OPEN, None)
    # the rest, 2,934.72 − 1,500.00 = 1,434.72, on the deadline day honours it
    ledger.save(payments=[pay("P2", PAY_BY, ("I1", "500.00"), ("I2", "934.72"))])
    (change,) = refresh_settlements(ledger, "default", PAY_BY, now=NOW)
    assert (change.to_state, change.on, change.write_off) == (SettlementState.HONOURED, PAY_BY, eur("326.08"))
    assert opens(ledger, PAY_BY) == {"I1": 0, "I2": 0}


def test_a_payment_recorded_after_the_lapse_still_honours_it(ledger: SQLiteStore) -> None:
    offer(ledger)
    (lapsed,) = refresh_settlements(ledger, "default", dt.date(2026, 12, 16), now=NOW)
    assert lapsed.to_state is SettlementState.LAPSED
    # a bank transfer dated 14 Dec reaches the ledger on the 20th
    ledger.save(payments=[pay("P1", dt.date(2026, 12, 14), ("I1", "2000.00"), ("I2", "934.72"))])
    (change,) = refresh_settlements(ledger, "default", dt.date(2026, 12, 20), now=NOW)
    assert (change.from_state, change.to_state, change.on) == (
        SettlementState.LAPSED,
        SettlementState.HONOURED,
        dt.date(2026, 12, 14),
    )
    assert opens(ledger, dt.date(2026, 12, 20)) == {"I1": 0, "I2": 0}


def test_money_for_other_invoices_does_not_pay_the_settlement(ledger: SQLiteStore) -> None:
    offer(ledger)
    ledger.save(
        invoices=[Invoice("I3", "D1", dt.date(2026, 12, 1), dt.date(2026, 12, 31), eur("3000.00"))],
        payments=[pay("P1", dt.date(2026, 12, 5), ("I3", "3000.00"), ("I1", "100.00"))],
    )
    # only the 100.00 for I1 counts: 100.00 < 2,934.72 → lapsed after the deadline
    (change,) = refresh_settlements(ledger, "default", dt.date(2026, 12, 16), now=NOW)
    assert (change.to_state, change.paid) == (SettlementState.LAPSED, eur("100.00"))


def test_money_on_account_honours_it_but_only_the_discount_is_written_off(ledger: SQLiteStore) -> None:
    offer(ledger)
    ledger.save(payments=[pay("P1", dt.date(2026, 12, 10), on_account="2934.72")])
    (change,) = refresh_settlements(ledger, "default", dt.date(2026, 12, 31), now=NOW)
    # the 326.08 discount goes to the first settled invoice (I1, open 2,000.00); the lump sum,
    # not allocated, leaves 3,260.80 − 326.08 = 2,934.72 open in the ledger
    assert (change.to_state, change.write_off, change.still_open) == (
        SettlementState.HONOURED,
        eur("326.08"),
        eur("2934.72"),
    )
    assert change.credit_note_ids == ("SETT-00001:I1",)
    assert opens(ledger, dt.date(2026, 12, 31)) == {"I1": 200000 - 32608, "I2": 126080}


def test_no_settlement_costs_one_indexed_query_and_no_write(ledger: SQLiteStore) -> None:
    before = ledger.conn.total_changes
    statements: list[str] = []
    ledger.conn.set_trace_callback(statements.append)
    try:
        assert refresh_settlements(ledger, "default", dt.date(2027, 1, 23), now=NOW) == []
    finally:
        ledger.conn.set_trace_callback(None)
    assert len(statements) == 1 and "FROM settlement" in statements[0]  # parameters expanded by the trace
    assert ledger.conn.total_changes == before and not ledger.conn.in_transaction
    plan = " ".join(str(row[-1]) for row in ledger.conn.execute(f"EXPLAIN QUERY PLAN {statements[0]}"))
    assert "settlement_by_state" in plan and "SCAN settlement" not in plan


def test_an_evaluation_of_the_past_records_nothing(ledger: SQLiteStore) -> None:
    offer(ledger)
    assert refresh_settlements(ledger, "default", dt.date(2026, 11, 19), now=NOW) == []  # before the offer
    ledger.save(payments=[pay("P1", dt.date(2026, 12, 10), ("I1", "2000.00"), ("I2", "934.72"))])
    assert refresh_settlements(ledger, "default", dt.date(2026, 12, 9), now=NOW) == []  # before the payment
    assert state(ledger) == (SettlementState.OPEN, None)


def test_a_settlement_naming_no_invoice_is_recorded_without_a_write_off(ledger: SQLiteStore) -> None:
    bare = propose_settlement(
        settlement_id="SETT-00009",
        debtor_id="D2",
        balance=eur("500.00"),
        amount=eur("450.00"),
        pay_by=PAY_BY,
        today=OFFERED,
        floor=SettlementFloor(percent="80"),
    )
    PlanRepository(ledger).save_settlement(bare)
    ledger.save(payments=[pay("P9", dt.date(2026, 12, 1), ("J1", "450.00"), debtor="D2")])
    (change,) = refresh_settlements(ledger, "default", dt.date(2026, 12, 2), now=NOW)
    assert (change.to_state, change.write_off, change.credit_note_ids) == (SettlementState.HONOURED, eur("0.00"), ())
