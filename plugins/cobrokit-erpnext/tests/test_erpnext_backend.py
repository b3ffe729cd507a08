"""The ERPNext backend: the contract kit on Frappe's REST listing, filters, token auth, local time."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from cobrokit_erpnext import ErpNextBackend, receivable_from_sales_invoice

from cobrokit.backend import Backend
from cobrokit.errors import ConfigError
from cobrokit.http import dump_json
from cobrokit.money import Money
from cobrokit.testing import BackendContract, FakeClock
from cobrokit.testing.contracts import Reply

KEY, SECRET = "erp-api-key-7a1c", "erp-api-secret-never-logged-91f2"
URL = "https://erp.acme.example"
LIST = f"{URL}/api/resource/Sales%20Invoice"


def sales_invoice(n: int, **overrides: Any) -> dict[str, Any]:
    """A row of the Sales Invoice listing with the fields cobrokit asks for."""
    record: dict[str, Any] = {
        "name": f"ACC-SINV-2025-{n:05d}",
        "customer": "CUST-00042",
        "customer_name": "Grupo Norte SA",
        "posting_date": "2025-01-20",
        "due_date": "2025-02-19",
        "grand_total": Decimal(f"{1000 + n}.{n:02d}"),
        "outstanding_amount": Decimal(f"{1000 + n}.{n:02d}"),
        "currency": "EUR",
        "docstatus": 1,
        "status": "Overdue",
        "is_return": 0,
        "modified": "2025-02-20 11:05:33.123456",
        "contact_email": "pagos@gruponorte.example",
        "company": "Acme SL",
    }
    record.update(overrides)
    return record


def make_backend(clock: FakeClock, monkeypatch: pytest.MonkeyPatch, **settings: Any) -> ErpNextBackend:
    monkeypatch.setenv("ERP_KEY", KEY)
    monkeypatch.setenv("ERP_SECRET", SECRET)
    return ErpNextBackend.from_settings(
        {"url": URL, "api_key_env": "ERP_KEY", "api_secret_env": "ERP_SECRET", **settings}, clock=clock
    )


class TestErpNextBackendContract(BackendContract):
    list_url = LIST
    page_size = 3
    secrets = (SECRET,)

    @pytest.fixture
    def backend(self, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Backend:
        return make_backend(clock, monkeypatch, page_size=self.page_size)

    def make_record(self, n: int) -> Any:
        return sales_invoice(n)

    def break_record(self, record: Any) -> Any:
        return {**record, "due_date": "19/02/2025"}

    def provider_id(self, record: Any) -> str:
        return str(record["name"])

    def envelope(self, records: Sequence[Any], *, page: int, last: bool) -> Reply:
        return Reply(200, json={"data": list(records)})

    def expected(self, n: int) -> Mapping[str, Any]:
        return {
            "id": f"ACC-SINV-2025-{n:05d}",
            "debtor_id": "CUST-00042",
            "amount": Money(f"{1000 + n}.{n:02d}", "EUR"),
            "issue_date": dt.date(2025, 1, 20),
            "due_date": dt.date(2025, 2, 19),
            "tenant": self.tenant,
            "source": "erpnext",
        }

    def auth_failure_response(self) -> Reply:
        return Reply(
            401,
            json={
                "exc_type": "AuthenticationError",
                "exception": "frappe.exceptions.AuthenticationError",
                "_server_messages": "[]",
            },
        )


def sent(mocked: responses.RequestsMock, i: int = 0) -> dict[str, Any]:
    query = parse_qs(urlsplit(mocked.calls[i].request.url or "").query)
    return {k: v[0] for k, v in query.items()}


def test_listing_sends_token_fields_filters_and_paging(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = make_backend(FakeClock(), monkeypatch, page_size=2, company="Acme SL")
    with responses.RequestsMock() as mocked:
        mocked.get(
            LIST,
            body=dump_json({"data": [sales_invoice(1), sales_invoice(2)]}),
            content_type="application/json",
        )
        mocked.get(LIST, body=dump_json({"data": []}), content_type="application/json")
        (debtor,) = list(backend.iter_debtors(tenant="default"))
        first, second = sent(mocked, 0), sent(mocked, 1)
        assert mocked.calls[0].request.headers["Authorization"] == f"token {KEY}:{SECRET}"
    assert json.loads(first["filters"]) == [
        ["docstatus", "=", 1],
        ["outstanding_amount", ">", 0],
        ["company", "=", "Acme SL"],
    ]
    assert "outstanding_amount" in json.loads(first["fields"]) and first["order_by"] == "name asc"
    assert (first["limit_start"], first["limit_page_length"], second["limit_start"]) == ("0", "2", "2")
    assert debtor.name == "Grupo Norte SA" and debtor.emails == ("pagos@gruponorte.example",)


def test_incremental_filter_is_in_the_server_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = make_backend(FakeClock(), monkeypatch, server_timezone="Europe/Madrid")
    cancelled = sales_invoice(1, docstatus=2, status="Cancelled")
    with responses.RequestsMock() as mocked:
        mocked.get(LIST, body=dump_json({"data": [cancelled]}), content_type="application/json")
        payments = list(backend.iter_payments(tenant="default", since=dt.datetime(2025, 3, 1, 9, tzinfo=dt.UTC)))
        filters = json.loads(sent(mocked)["filters"])
    # 09:00 UTC is 10:00 in Madrid in winter (CET, UTC+1)
    assert filters == [["docstatus", "in", [1, 2]], ["modified", ">=", "2025-03-01 10:00:00"]]
    assert [p.amount for p in payments] == [Money("1001.01", "EUR")]  # cancelled: nothing left to chase


def test_partly_paid_and_returns() -> None:
    partly = receivable_from_sales_invoice(sales_invoice(1, outstanding_amount=Decimal("250.5")), "default")
    assert partly is not None and partly.open == Money("250.50", "EUR") and partly.changed_on == dt.date(2025, 2, 20)
    assert receivable_from_sales_invoice(sales_invoice(2, is_return=1, grand_total=Decimal("-10")), "default") is None


def test_a_bad_time_zone_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="server_timezone"):
        make_backend(FakeClock(), monkeypatch, server_timezone="Mars/Olympus")
