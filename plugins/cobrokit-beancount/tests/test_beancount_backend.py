"""The Beancount backend on real ledger files parsed by beancount itself."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import responses
from cobrokit_beancount import BeancountBackend, read_ledger

from cobrokit.backend import Backend
from cobrokit.errors import ConfigError
from cobrokit.model import Allocation
from cobrokit.money import Money
from cobrokit.store.sqlite import SQLiteStore
from cobrokit.sync import sync
from cobrokit.testing import BackendContract, FakeClock, PageServer
from cobrokit.testing.contracts import Reply

LEDGERS = Path(__file__).parent / "ledgers"
HEADER = "2025-01-01 open Assets:Receivable:Clients EUR\n2025-01-01 open Income:Work EUR\n\n"


class TestBeancountBackendContract(BackendContract):
    """The contract's file-agnostic tests on ledgers written from the 'pages'; the HTTP-only ones
    (429, credentials, secrets in logs) are replaced by what a local file can fail with."""

    page_size = 3
    ledger: Path

    @pytest.fixture
    def backend(self, clock: FakeClock, tmp_path: Path) -> Backend:
        self.ledger = tmp_path / "books.beancount"
        return BeancountBackend(self.ledger, clock=clock)

    def register_pages(
        self, mocked: responses.RequestsMock, pages: Sequence[Sequence[Any]], *, prelude: Sequence[Reply] = ()
    ) -> PageServer:
        self.ledger.write_text(HEADER + "\n".join(t for page in pages for t in page), encoding="utf-8")
        return PageServer(self.envelope, pages)

    def make_record(self, n: int) -> Any:
        return (
            f'2025-01-{n:02d} * "Client {n % 2}" "Work"\n  invoice: "INV-{n}"\n  due: 2025-02-{n:02d}\n'
            f'  debtor: "client-{n % 2}"\n'
            f"  Assets:Receivable:Clients  {1000 + n}.{n:02d} EUR\n  Income:Work\n"
        )

    def break_record(self, record: Any) -> Any:
        return str(record).replace("due: 2025-02-02", 'due: "soon"')

    def provider_id(self, record: Any) -> str:
        return "INV-" + str(record).split('invoice: "INV-', 1)[1].split('"', 1)[0]

    def envelope(self, records: Sequence[Any], *, page: int, last: bool) -> Reply:
        return Reply(200, json=[])

    def expected(self, n: int) -> Mapping[str, Any]:
        return {
            "id": f"INV-{n}",
            "debtor_id": f"client-{n % 2}",
            "amount": Money(f"{1000 + n}.{n:02d}", "EUR"),
            "issue_date": dt.date(2025, 1, n),
            "due_date": dt.date(2025, 2, n),
            "tenant": self.tenant,
        }

    def test_contract_rate_limited_then_success(self, backend: Backend, mocked: Any, clock: FakeClock) -> None:
        pytest.skip("a local ledger file has no rate limit")

    def test_contract_no_secret_in_logs(self, backend: Backend, mocked: Any, caplog: Any) -> None:
        pytest.skip("a local ledger file needs no secret")

    def test_contract_auth_failure_raises_auth_error(self, backend: Backend, mocked: Any, clock: FakeClock) -> None:
        """What stands for refused credentials: a ledger that is not there."""
        with pytest.raises(ConfigError, match="does not exist"):
            list(backend.iter_invoices(tenant=self.tenant))

    def test_contract_records_sync_time(self, backend: Backend, mocked: Any, clock: FakeClock) -> None:
        assert backend.last_synced(tenant=self.tenant) is None
        self.register_pages(mocked, self._pages(1))
        list(self.stream(backend))
        synced = clock.now()
        assert backend.last_synced(tenant=self.tenant) == synced
        clock.advance(3600)
        self.ledger.unlink()
        with pytest.raises(ConfigError):
            list(self.stream(backend))
        assert backend.last_synced(tenant=self.tenant) == synced


def test_freelancer_ledger_invoices_payments_credit_notes() -> None:
    records = read_ledger(LEDGERS / "freelancer.beancount", "default")
    by_id = {i.id: i for i in records.invoices}
    assert sorted(by_id) == ["2025-001", "2025-002", "2025-003"]
    assert by_id["2025-001"].amount == Money("1210.00", "EUR") and by_id["2025-001"].due_date == dt.date(2025, 2, 9)
    assert by_id["2025-003"].amount == Money("2500.00", "USD")  # the elided posting is interpolated by beancount
    assert by_id["2025-001"].external_ref == "freelancer.beancount:11"
    ruiz = next(d for d in records.debtors if d.id == "talleres-ruiz")
    assert ruiz.name == "Talleres Ruiz SL" and ruiz.emails == ("cuentas@talleresruiz.example",)
    assert (ruiz.tax_id, ruiz.country, ruiz.locale, ruiz.timezone) == (
        "B12345678",
        "ES",
        "es_ES",
        "Europe/Madrid",
    )
    payments = {p.id: p for p in records.payments}
    assert payments["SAN-20250214-01"].allocations == (Allocation("2025-001", Money("500.00", "EUR")),)
    assert payments["2025-002:2025-03-05:1"].amount == Money("363.00", "EUR")  # no payment: key: derived id
    on_account = payments["talleres-ruiz:2025-04-02:1"]
    assert on_account.allocations == () and on_account.amount == Money("100.00", "EUR")
    (note,) = records.credit_notes
    assert (note.id, note.invoice_id, note.amount) == ("R-2025-001", "2025-001", Money("60.50", "EUR"))


def test_mistakes_are_skipped_with_their_line(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    records = read_ledger(LEDGERS / "broken.beancount", "default")
    assert [i.id for i in records.invoices] == ["OK-1", "OK-2"]
    assert records.payments == ()
    assert "BAD-DUE" in records.invoice_ids  # listed although skipped: never closed by mistake
    text = caplog.text
    assert "broken.beancount:12" in text and "needs invoice: metadata" in text
    assert "broken.beancount:16" in text and "'sometime' is not a date" in text
    assert "broken.beancount:22" in text and "no invoice 'NOPE-9'" in text
    assert "broken.beancount:27" in text  # beancount's own balance error, reported with its line


def test_sync_puts_the_ledger_in_the_store(tmp_path: Path) -> None:
    clock = FakeClock(dt.datetime(2025, 4, 15, 8, tzinfo=dt.UTC))
    backend = BeancountBackend.from_settings({"path": str(LEDGERS / "freelancer.beancount")}, clock=clock)
    with SQLiteStore.open(tmp_path / "ledger.db") as store:
        report = sync(store, backend, clock=clock)
        assert report.inserted == {"debtors": 3, "invoices": 3, "payments": 3, "credit_notes": 1}
        open_ = {i.invoice_id: i.open_minor for i in store.open_items("default", dt.date(2025, 4, 15))}
        # 2025-001: 1210.00 − 500.00 paid − 60.50 credited = 649.50 (the 100.00 on account is not allocated)
        assert open_ == {"2025-001": 64950, "2025-002": 0, "2025-003": 250000}
        assert store.last_synced("default", "beancount") == clock.now()


def test_an_invoice_removed_from_the_ledger_is_closed(tmp_path: Path) -> None:
    ledger = tmp_path / "books.beancount"
    text = (LEDGERS / "freelancer.beancount").read_text(encoding="utf-8")
    ledger.write_text(text, encoding="utf-8")
    clock = FakeClock(dt.datetime(2025, 4, 15, 8, tzinfo=dt.UTC))
    backend = BeancountBackend(ledger, clock=clock)
    with SQLiteStore.open(tmp_path / "ledger.db") as store:
        sync(store, backend, clock=clock)
        start = text.index('2025-03-10 * "Northwind Inc."')
        ledger.write_text(text[:start] + text[text.index("2025-03-20 *") :], encoding="utf-8")
        report = sync(store, backend, clock=clock)
        assert report.closed == ("2025-003",)


def test_settings() -> None:
    with pytest.raises(ConfigError, match="'path' is required"):
        BeancountBackend.from_settings({})
    with pytest.raises(ConfigError, match="unknown setting"):
        BeancountBackend.from_settings({"path": "x", "acount": "Assets:AR"})
