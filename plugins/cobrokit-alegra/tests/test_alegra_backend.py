"""The Alegra backend: the contract kit on GET /invoices, start/limit paging, string ids, basic auth."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from cobrokit_alegra import AlegraBackend, receivable_from_alegra

from cobrokit.backend import Backend
from cobrokit.errors import ConfigError
from cobrokit.http import dump_json
from cobrokit.money import Money
from cobrokit.testing import BackendContract, FakeClock
from cobrokit.testing.contracts import Reply

EMAIL, TOKEN = "cobros@empresa.example", "alegra-token-never-logged-5d1e"
INVOICES = "https://api.alegra.com/api/v1/invoices"


def alegra_invoice(n: int, **overrides: Any) -> dict[str, Any]:
    """An invoice shaped like Alegra's documented example (string id, client object, numberTemplate)."""
    record: dict[str, Any] = {
        "id": str(n),
        "date": "2025-02-01",
        "dueDate": "2025-03-03",
        "status": "open",
        "client": {
            "id": "27",
            "name": "Distribuidora Andina SAS",
            "identification": "900123456",
            "email": "tesoreria@andina.example",
            "phonePrimary": "6014445566",
            "mobile": "3001112233",
        },
        "numberTemplate": {"prefix": "FE", "number": str(1000 + n)},
        "total": Decimal(f"{1_190_000 + n}.{n:02d}"),
        "totalPaid": 0,
        "balance": Decimal(f"{1_190_000 + n}.{n:02d}"),
        "decimalPrecision": 2,
    }
    record.update(overrides)
    return record


def make_backend(clock: FakeClock, monkeypatch: pytest.MonkeyPatch, **settings: Any) -> AlegraBackend:
    monkeypatch.setenv("ALEGRA_TOKEN", TOKEN)
    return AlegraBackend.from_settings(
        {"email": EMAIL, "token_env": "ALEGRA_TOKEN", "currency": "COP", **settings}, clock=clock
    )


class TestAlegraBackendContract(BackendContract):
    list_url = INVOICES
    page_size = 3
    secrets = (TOKEN,)

    @pytest.fixture
    def backend(self, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Backend:
        return make_backend(clock, monkeypatch, page_size=self.page_size)

    def make_record(self, n: int) -> Any:
        return alegra_invoice(n)

    def break_record(self, record: Any) -> Any:
        return {**record, "balance": None}

    def provider_id(self, record: Any) -> str:
        return str(record["id"])

    def envelope(self, records: Sequence[Any], *, page: int, last: bool) -> Reply:
        return Reply(200, json=list(records))

    def expected(self, n: int) -> Mapping[str, Any]:
        return {
            "id": str(n),
            "number": f"FE{1000 + n}",
            "debtor_id": "27",
            "amount": Money(f"{1_190_000 + n}.{n:02d}", "COP"),
            "issue_date": dt.date(2025, 2, 1),
            "due_date": dt.date(2025, 3, 3),
            "tenant": self.tenant,
            "source": "alegra",
        }

    def auth_failure_response(self) -> Reply:
        return Reply(401, json={"code": 401, "message": "Los datos de autenticación no son correctos"})


def test_requests_page_by_30_with_basic_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = make_backend(FakeClock(), monkeypatch)
    with responses.RequestsMock() as mocked:
        mocked.get(
            INVOICES,
            body=dump_json([alegra_invoice(n) for n in range(1, 31)]),
            content_type="application/json",
        )
        mocked.get(INVOICES, body=dump_json([alegra_invoice(31)]), content_type="application/json")
        (debtor,) = list(backend.iter_debtors(tenant="default"))
        queries = [parse_qs(urlsplit(c.request.url or "").query) for c in mocked.calls]
        auth = mocked.calls[0].request.headers["Authorization"]
    assert [(q["start"], q["limit"], q["status"]) for q in queries] == [
        (["0"], ["30"], ["open"]),
        (["30"], ["30"], ["open"]),
    ]
    assert auth == "Basic " + base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
    assert debtor.tax_id == "900123456" and debtor.phones == ("6014445566", "3001112233")


def test_paid_part_and_status_and_currency() -> None:
    partly = receivable_from_alegra(
        alegra_invoice(1, totalPaid=Decimal("190001.01"), balance=1_000_000), "default", "COP"
    )
    assert partly is not None and partly.open == Money("1000000.00", "COP")
    # COP keeps 2 decimals in ISO 4217 (not CLDR's 0): 1190001.01 is exact
    assert partly.invoice.amount == Money("1190001.01", "COP")
    usd = receivable_from_alegra(alegra_invoice(2, currency={"code": "usd"}, total=100, balance=100), "default", "COP")
    assert usd is not None and usd.invoice.currency == "USD"
    void = receivable_from_alegra(alegra_invoice(3, status="void"), "default", "COP")
    assert void is not None and void.open == Money("0", "COP")
    assert receivable_from_alegra(alegra_invoice(4, status="draft"), "default", "COP") is None
    legacy = receivable_from_alegra(alegra_invoice(5, id=5), "default", "COP")  # numeric ids before 2025
    assert legacy is not None and legacy.invoice.id == "5"


def test_limit_above_30_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="at most 30"):
        make_backend(FakeClock(), monkeypatch, page_size=50)
