import datetime as dt
import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from cobrokit.errors import ConflictError, StoreError, UnknownReferenceError
from cobrokit.model import Allocation, CreditNote, Payment
from cobrokit.money import Money
from cobrokit.store.sqlite import SQLiteStore, migrations
from tests.factories import make_debtor, make_invoice


def test_migrations_apply_from_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    path.touch()  # an empty file is a valid, empty SQLite database
    with SQLiteStore.open(path) as store:
        assert store.schema_version() == len(migrations())
        tables = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"debtor", "invoice", "payment", "allocation", "credit_note", "sync_state"} <= tables
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with SQLiteStore.open(path) as again:  # reopening applies nothing
        assert again.migrate() == []


def _open(path: str) -> int:
    with SQLiteStore.open(path) as store:
        return store.schema_version()


def test_concurrent_opens_migrate_once(tmp_path: Path) -> None:
    path = str(tmp_path / "race.db")
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        versions = pool.map(_open, [path] * 8)
    assert set(versions) == {len(migrations())}


def test_a_newer_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    with pytest.raises(StoreError, match="newer than"):
        SQLiteStore.open(path)


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError):
        SQLiteStore.open(path)


def test_save_is_idempotent_and_refuses_silent_changes(store: SQLiteStore) -> None:
    first = store.save(debtors=[make_debtor()], invoices=[make_invoice()])
    assert first.inserted == {"debtors": 1, "invoices": 1}
    again = store.save(debtors=[make_debtor()], invoices=[make_invoice()])
    assert again.unchanged == {"debtors": 1, "invoices": 1} and again.inserted == {}
    with pytest.raises(ConflictError, match="invoice INV-1 already exists with different amount_minor"):
        store.save(invoices=[make_invoice(amount="120.00")])
    assert next(store.iter_invoices()).amount == Money("100.00", "EUR")  # nothing written
    updated = store.save(invoices=[make_invoice(amount="120.00")], update=True)
    assert updated.updated == {"invoices": 1}
    assert next(store.iter_invoices()).amount == Money("120.00", "EUR")


def test_save_is_all_or_nothing(store: SQLiteStore) -> None:
    with pytest.raises(UnknownReferenceError, match="unknown debtor 'D9'"):
        store.save(debtors=[make_debtor()], invoices=[make_invoice(), make_invoice("INV-2", debtor_id="D9")])
    assert store.counts() == {"debtor": 0, "invoice": 0, "payment": 0, "credit_note": 0}


def test_round_trip_of_every_record_kind(store: SQLiteStore) -> None:
    debtor = make_debtor()
    invoice = make_invoice()
    payment = Payment(
        id="P1",
        debtor_id="D1",
        date=dt.date(2026, 2, 10),
        amount=Money("60.00", "EUR"),
        allocations=(Allocation("INV-1", Money("60.00", "EUR")),),
    )
    note = CreditNote(
        id="C1",
        debtor_id="D1",
        invoice_id="INV-1",
        date=dt.date(2026, 2, 12),
        amount=Money("10.00", "EUR"),
        reason="damaged goods",
    )
    store.save(debtors=[debtor], invoices=[invoice], payments=[payment], credit_notes=[note])
    assert store.get_debtor("default", "D1") == debtor
    assert list(store.iter_invoices()) == [invoice]
    assert list(store.iter_payments()) == [payment]
    assert list(store.iter_credit_notes()) == [note]


def test_open_items_as_of_a_date_ignore_later_payments(store: SQLiteStore) -> None:
    store.save(
        debtors=[make_debtor()],
        invoices=[make_invoice()],
        payments=[
            Payment(
                id="P1",
                debtor_id="D1",
                date=dt.date(2026, 2, 10),
                amount=Money("60.00", "EUR"),
                allocations=(Allocation("INV-1", Money("60.00", "EUR")),),
            )
        ],
        credit_notes=[
            CreditNote(
                id="C1",
                debtor_id="D1",
                invoice_id="INV-1",
                date=dt.date(2026, 3, 1),
                amount=Money("40.00", "EUR"),
            )
        ],
    )
    assert [i.open_minor for i in store.open_items("default", dt.date(2026, 2, 9))] == [10000]
    assert [i.open_minor for i in store.open_items("default", dt.date(2026, 2, 10))] == [4000]
    assert [i.open_minor for i in store.open_items("default", dt.date(2026, 3, 1))] == [0]
    assert list(store.open_items("default", dt.date(2025, 12, 31))) == []  # not issued yet


def test_tenants_never_mix(store: SQLiteStore) -> None:
    store.save(debtors=[make_debtor()], invoices=[make_invoice()])
    other = make_debtor()
    import attrs

    store.save(
        debtors=[attrs.evolve(other, tenant="acme")],
        invoices=[attrs.evolve(make_invoice(amount="5.00"), tenant="acme")],
    )
    assert [i.amount for i in store.iter_invoices("acme")] == [Money("5.00", "EUR")]
    assert [i.amount for i in store.iter_invoices("default")] == [Money("100.00", "EUR")]


def test_sync_time_needs_a_timezone(store: SQLiteStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        store.record_sync("default", "sqlite", dt.datetime(2026, 1, 1))
    when = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    store.record_sync("default", "sqlite", when)
    assert store.last_synced("default", "sqlite") == when


def test_the_runs_read_of_open_invoices_uses_a_covering_index(tmp_path: Path) -> None:
    from cobrokit.engine import _OPEN_SQL

    with SQLiteStore.open(tmp_path / "books.db") as store:
        plan = " / ".join(
            row[3]
            for row in store.conn.execute("EXPLAIN QUERY PLAN " + _OPEN_SQL, {"tenant": "t", "day": "2026-01-01"})
        )
    assert "SEARCH i USING COVERING INDEX invoice_by_debtor" in plan  # in debtor order, no sort, no table lookup
    assert "TEMP B-TREE" not in plan
