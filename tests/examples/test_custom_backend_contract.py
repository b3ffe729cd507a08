"""The tutorial's in-house ERP adapter passes the contract kit's tests that apply to a database."""

from __future__ import annotations

import datetime as dt
import sqlite3
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import responses

from cobrokit.backend import Backend
from cobrokit.money import Money
from cobrokit.testing import BackendContract, FakeClock, PageServer
from cobrokit.testing.contracts import Reply

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "custom_backend"
sys.path.insert(0, str(EXAMPLE))
from erp_backend import InHouseErp  # noqa: E402


class TestInHouseErpContract(BackendContract):
    """Rows are written to the ERP database instead of served over HTTP; the HTTP-only tests
    (429, credentials, secrets) do not apply to a local database."""

    erp: Path

    @pytest.fixture
    def backend(self, clock: FakeClock, tmp_path: Path) -> Backend:
        self.erp = tmp_path / "erp.sqlite"
        return InHouseErp(str(self.erp))

    def stream(self, backend: Backend) -> Any:
        return backend.iter_payments(tenant=self.tenant)  # the stream that records the sync time

    def register_pages(
        self, mocked: responses.RequestsMock, pages: Sequence[Sequence[Any]], *, prelude: Sequence[Reply] = ()
    ) -> PageServer:
        script = (EXAMPLE / "erp.sql").read_text(encoding="utf-8").split("INSERT INTO", 1)[0]
        self.erp.unlink(missing_ok=True)
        with sqlite3.connect(self.erp) as conn:
            conn.executescript(script)
            conn.execute("INSERT INTO customers VALUES ('C1', 'Client SL', NULL, NULL, 'ES')")
            for n, amount in (row for page in pages for row in page):
                conn.execute(
                    "INSERT INTO invoices VALUES (?, 'C1', '2025-01-01', '2025-01-31', ?, 'EUR')",
                    (f"F-{n}", "5000.00"),
                )
                conn.execute("INSERT INTO receipts VALUES (?, ?, '2025-02-01', ?)", (n, f"F-{n}", amount))
        return PageServer(self.envelope, pages)

    def make_record(self, n: int) -> Any:
        return (n, f"{1000 + n}.{n:02d}")

    def break_record(self, record: Any) -> Any:
        return (record[0], "12,50")  # a comma decimal: not an amount

    def provider_id(self, record: Any) -> str:
        return str(record[0])

    def envelope(self, records: Sequence[Any], *, page: int, last: bool) -> Reply:
        return Reply(200, json=[])

    def expected(self, n: int) -> Mapping[str, Any]:
        return {
            "id": f"R{n}",
            "debtor_id": "C1",
            "amount": Money(f"{1000 + n}.{n:02d}", "EUR"),
            "date": dt.date(2025, 2, 1),
            "tenant": self.tenant,
        }

    def test_contract_rate_limited_then_success(self, backend: Backend, mocked: Any, clock: FakeClock) -> None:
        pytest.skip("a local database has no rate limit")

    def test_contract_auth_failure_raises_auth_error(self, backend: Backend, mocked: Any, clock: FakeClock) -> None:
        pytest.skip("a local database has no credentials")

    def test_contract_no_secret_in_logs(self, backend: Backend, mocked: Any, caplog: Any) -> None:
        pytest.skip("a local database needs no secret")

    def test_contract_records_sync_time(self, backend: Backend, mocked: Any, clock: FakeClock) -> None:
        """A complete read of the receipts sets last_synced; a failed one (no database) does not."""
        assert backend.last_synced(tenant=self.tenant) is None
        self.register_pages(mocked, self._pages(1))
        list(self.stream(backend))
        synced = backend.last_synced(tenant=self.tenant)
        assert synced is not None and synced.tzinfo is not None
        self.erp.unlink()
        with pytest.raises(sqlite3.OperationalError):
            list(self.stream(backend))
        assert backend.last_synced(tenant=self.tenant) == synced
