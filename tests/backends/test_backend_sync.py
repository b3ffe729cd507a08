"""cobrokit.sync on a real store file: upserts, settlements, closing, flags, skips, sync time."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from cobrokit.backend import Backend, ListsOpenInvoices
from cobrokit.errors import AuthError
from cobrokit.model import Allocation, Debtor, Invoice, Payment
from cobrokit.money import Money
from cobrokit.receivables import Receivable, ReceivablesBackend, settlement_id
from cobrokit.store.sqlite import SQLiteStore
from cobrokit.sync import sync
from cobrokit.testing import FakeBackend, FakeClock

DAY1 = dt.datetime(2025, 3, 1, 6, 0, tzinfo=dt.UTC)


def toy_receivable(row: Mapping[str, Any], tenant: str) -> Receivable:
    """A toy provider's row → Receivable (the shape every listing plugin maps from)."""
    currency = row["currency"]
    return Receivable(
        debtor=Debtor(id=row["customer"], name=row["customer_name"], tenant=tenant),
        invoice=Invoice(
            id=row["id"],
            debtor_id=row["customer"],
            issue_date=dt.date.fromisoformat(row["date"]),
            due_date=dt.date.fromisoformat(row["due"]),
            amount=Money(row["total"], currency),
            tenant=tenant,
        ),
        open=Money(row["open"], currency),
    )


class ToyBackend(ReceivablesBackend):
    """Lists whatever rows the test puts in ``rows``."""

    name = "toy"

    def __init__(self, rows: list[dict[str, Any]], *, clock: FakeClock) -> None:
        super().__init__(clock=clock)
        self.rows = rows
        self.reads = 0

    def receivables(self, *, tenant: str, since: dt.datetime | None) -> Iterator[Receivable]:
        self.reads += 1
        yield from self.convert(
            list(self.rows), lambda r: toy_receivable(r, tenant), kind="invoice", id_of=lambda r: r["id"]
        )


def row(invoice_id: str, total: str, open_: str, customer: str = "C1") -> dict[str, Any]:
    return {
        "id": invoice_id,
        "customer": customer,
        "customer_name": f"Customer {customer}",
        "date": "2025-01-10",
        "due": "2025-02-09",
        "total": total,
        "open": open_,
        "currency": "EUR",
    }


def open_of(store: SQLiteStore, invoice_id: str, day: dt.date = dt.date(2025, 12, 31)) -> int:
    return next(i.open_minor for i in store.open_items("default", day) if i.invoice_id == invoice_id)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(DAY1)


def test_first_sync_writes_debtors_invoices_and_the_settled_part(store: SQLiteStore, clock: FakeClock) -> None:
    backend = ToyBackend([row("A", "1210.00", "1210.00"), row("B", "500.00", "120.50", "C2")], clock=clock)
    report = sync(store, backend, clock=clock)
    assert isinstance(backend, Backend) and isinstance(backend, ListsOpenInvoices)
    assert backend.reads == 1  # one read served all four streams
    assert report.inserted == {"debtors": 2, "invoices": 2, "payments": 1}
    invoice = store.get_invoice("default", "B")
    assert invoice is not None and invoice.amount == Money("500.00", "EUR") and invoice.source == "toy"
    # B: total 500.00, open 120.50 → a settlement of 500.00 − 120.50 = 379.50 dated on the read day
    (settlement,) = list(store.iter_payments("default"))
    assert settlement.id == settlement_id("B") and settlement.amount == Money("379.50", "EUR")
    assert settlement.date == DAY1.date() and settlement.allocations == (Allocation("B", Money("379.50", "EUR")),)
    assert open_of(store, "A") == 121000 and open_of(store, "B") == 12050
    assert report.synced_at == DAY1 and store.last_synced("default", "toy") == DAY1


def test_resync_changes_nothing_and_keeps_the_settlement_date(store: SQLiteStore, clock: FakeClock) -> None:
    backend = ToyBackend([row("B", "500.00", "120.50")], clock=clock)
    sync(store, backend, clock=clock)
    clock.advance(86400 * 3)
    report = sync(store, backend, clock=clock)
    assert report.inserted == {} and report.updated == {}
    assert report.unchanged == {"debtors": 1, "invoices": 1, "payments": 1}
    assert next(store.iter_payments("default")).date == DAY1.date()
    assert store.last_synced("default", "toy") == DAY1 + dt.timedelta(days=3)


def test_a_new_partial_payment_updates_the_settlement(store: SQLiteStore, clock: FakeClock) -> None:
    backend = ToyBackend([row("B", "500.00", "120.50")], clock=clock)
    sync(store, backend, clock=clock)
    clock.advance(86400)
    backend.rows[0]["open"] = "20.50"
    report = sync(store, backend, clock=clock)
    assert report.updated == {"payments": 1}
    payment = next(store.iter_payments("default"))
    assert payment.amount == Money("479.50", "EUR") and payment.date == dt.date(2025, 3, 2)
    assert open_of(store, "B") == 2050


def test_an_invoice_open_again_loses_its_settlement(store: SQLiteStore, clock: FakeClock) -> None:
    backend = ToyBackend([row("B", "500.00", "120.50")], clock=clock)
    sync(store, backend, clock=clock)
    backend.rows[0]["open"] = "500.00"  # the payment bounced
    report = sync(store, backend, clock=clock)
    assert report.withdrawn == ("B",)
    assert list(store.iter_payments("default")) == [] and open_of(store, "B") == 50000


def test_an_invoice_no_longer_listed_is_closed_but_a_malformed_one_is_not(
    store: SQLiteStore, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    backend = ToyBackend(
        [row("A", "100.00", "100.00"), row("B", "500.00", "120.50"), row("C", "80.00", "80.00")], clock=clock
    )
    sync(store, backend, clock=clock)
    clock.advance(86400)
    broken = dict(backend.rows[2], due="not a date")
    backend.rows = [backend.rows[1], broken]  # A was paid at the source; C is unreadable today
    caplog.set_level(logging.WARNING)
    report = sync(store, backend, clock=clock)
    assert report.closed == ("A",)
    assert open_of(store, "A") == 0 and open_of(store, "C") == 8000  # C is kept open: we cannot tell
    assert any("C" in r.getMessage() and "skipped invoice" in r.getMessage() for r in caplog.records)
    closing = next(p for p in store.iter_payments("default") if p.id == settlement_id("A"))
    assert closing.amount == Money("100.00", "EUR") and closing.date == dt.date(2025, 3, 2)


def test_incremental_sync_closes_nothing(store: SQLiteStore, clock: FakeClock) -> None:
    backend = ToyBackend([row("A", "100.00", "100.00"), row("B", "50.00", "50.00")], clock=clock)
    sync(store, backend, clock=clock)
    backend.rows = [row("B", "50.00", "10.00")]  # only what changed
    report = sync(store, backend, clock=clock, since=DAY1)
    assert report.closed == () and open_of(store, "A") == 10000 and open_of(store, "B") == 1000


def test_flags_set_in_cobrokit_survive_a_sync(store: SQLiteStore, clock: FakeClock) -> None:
    backend = ToyBackend([row("A", "100.00", "100.00")], clock=clock)
    sync(store, backend, clock=clock)
    store.set_flag("debtor", "default", "C1", "cease_contact", True)
    store.set_flag("invoice", "default", "A", "disputed", True)
    backend.rows[0]["customer_name"] = "Renamed SL"
    sync(store, backend, clock=clock)
    debtor, invoice = store.get_debtor("default", "C1"), store.get_invoice("default", "A")
    assert debtor is not None and debtor.name == "Renamed SL" and debtor.cease_contact
    assert invoice is not None and invoice.disputed


def test_bad_records_are_skipped_one_by_one_and_the_rest_written(
    store: SQLiteStore, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    eur = Money("10.00", "EUR")
    debtor = Debtor(id="D1", name="Talleres Ruiz SL")
    invoices = [
        Invoice(
            id="I1",
            debtor_id="D1",
            issue_date=dt.date(2025, 1, 1),
            due_date=dt.date(2025, 1, 31),
            amount=Money("100.00", "EUR"),
        ),
        Invoice(
            id="I2",
            debtor_id="NOBODY",
            issue_date=dt.date(2025, 1, 1),
            due_date=dt.date(2025, 1, 31),
            amount=eur,
        ),
    ]
    good = Payment(id="P1", debtor_id="D1", date=dt.date(2025, 2, 1), amount=eur, allocations=(Allocation("I1", eur),))
    usd = Money("10.00", "USD")  # allocated to a EUR invoice: the store refuses it
    bad = Payment(id="P2", debtor_id="D1", date=dt.date(2025, 2, 1), amount=usd, allocations=(Allocation("I1", usd),))
    stray = Payment(id="P3", debtor_id="D1", date=dt.date(2025, 2, 1), amount=eur, allocations=(Allocation("I9", eur),))
    backend = FakeBackend("fake", debtors=[debtor], invoices=invoices, payments=[good, bad, stray], clock=clock)
    caplog.set_level(logging.INFO)
    report = sync(store, backend, clock=clock, batch_size=10)
    assert report.inserted == {"debtors": 1, "invoices": 1, "payments": 1}
    assert report.skipped == {"invoices": 1, "payments": 2}
    assert [p.id for p in store.iter_payments("default")] == ["P1"]
    text = caplog.text
    assert "invoice I2" in text and "payment P2" in text and "payment P3" in text


def test_a_failing_backend_records_no_sync_time(store: SQLiteStore, clock: FakeClock) -> None:
    backend = FakeBackend("fake", failure=AuthError("fake", "401"), clock=clock)
    with pytest.raises(AuthError):
        sync(store, backend, clock=clock)
    assert store.last_synced("default", "fake") is None


def test_sync_time_falls_back_to_the_start_when_the_backend_keeps_none(store: SQLiteStore, clock: FakeClock) -> None:
    class Silent(FakeBackend):
        def last_synced(self, *, tenant: str = "default") -> dt.datetime | None:
            return None

    report = sync(store, Silent("silent", clock=clock), clock=clock)
    assert report.synced_at == DAY1 == store.last_synced("default", "silent")


def test_naive_since_is_refused(store: SQLiteStore, clock: FakeClock) -> None:
    with pytest.raises(ValueError, match="aware"):
        sync(store, FakeBackend(clock=clock), since=dt.datetime(2025, 1, 1))


def test_records_of_another_tenant_are_skipped(store: SQLiteStore, clock: FakeClock) -> None:
    class Leaky(FakeBackend):
        """Broken on purpose: ignores the tenant it is asked for."""

        def _stream(self, records: list[Any], tenant: str) -> Iterator[Any]:
            yield from records

    backend = Leaky(
        "leaky",
        debtors=[Debtor(id="D1", name="Mine SL"), Debtor(id="D2", name="Theirs SL", tenant="acme")],
        clock=clock,
    )
    report = sync(store, backend, clock=clock)
    assert report.inserted == {"debtors": 1} and report.skipped == {"debtors": 1}
    assert store.get_debtor("acme", "D2") is None
