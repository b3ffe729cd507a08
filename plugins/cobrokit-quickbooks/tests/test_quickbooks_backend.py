"""The QuickBooks backend: contract kit on the query API, STARTPOSITION paging, Fault errors, requestid."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from cobrokit_quickbooks import QuickBooksBackend, receivable_from_qbo, request_id

from cobrokit.backend import Backend, Capability, supports
from cobrokit.errors import AuthError, PermanentError
from cobrokit.http import dump_json
from cobrokit.money import Money
from cobrokit.testing import BackendContract, FakeClock
from cobrokit.testing.contracts import Reply

TOKEN = "qbo-oauth-token-never-in-logs"
REALM = "9130350396253926"
QUERY = f"https://quickbooks.api.intuit.com/v3/company/{REALM}/query"


def qbo_invoice(n: int, **overrides: Any) -> dict[str, Any]:
    """An invoice as the query endpoint returns it (fields with values only)."""
    record: dict[str, Any] = {
        "Id": str(130 + n),
        "SyncToken": "0",
        "DocNumber": f"10{n:02d}",
        "TxnDate": "2025-01-10",
        "DueDate": "2025-02-09",
        "TotalAmt": Decimal(f"{1000 + n}.{n:02d}"),
        "Balance": Decimal(f"{1000 + n}.{n:02d}"),
        "Deposit": 0,
        "CustomerRef": {"value": "58", "name": "Amy's Bird Sanctuary"},
        "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
        "BillEmail": {"Address": "Birds@Intuit.com"},
        "EmailStatus": "EmailSent",
        "LinkedTxn": [],
        "Line": [
            {
                "Id": "1",
                "LineNum": 1,
                "Amount": Decimal(f"{1000 + n}.{n:02d}"),
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": "1"}},
            }
        ],
        "MetaData": {
            "CreateTime": "2025-01-10T09:00:00-08:00",
            "LastUpdatedTime": "2025-01-11T10:30:00-08:00",
        },
    }
    record.update(overrides)
    return record


def query_response(records: Sequence[Any], start: int = 1) -> dict[str, Any]:
    body: dict[str, Any] = {"startPosition": start, "maxResults": len(records)}
    if records:
        body["Invoice"] = list(records)
    return {"QueryResponse": body, "time": "2025-03-01T08:00:00.000-08:00"}


def make_backend(clock: FakeClock, monkeypatch: pytest.MonkeyPatch, **settings: Any) -> QuickBooksBackend:
    monkeypatch.setenv("QBO_TEST_TOKEN", TOKEN)
    return QuickBooksBackend.from_settings(
        {"access_token_env": "QBO_TEST_TOKEN", "realm_id": REALM, **settings}, clock=clock
    )


class TestQuickBooksBackendContract(BackendContract):
    list_url = QUERY
    page_size = 3
    secrets = (TOKEN,)

    @pytest.fixture
    def backend(self, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Backend:
        return make_backend(clock, monkeypatch, page_size=self.page_size, charge_item_id="21")

    def make_record(self, n: int) -> Any:
        return qbo_invoice(n)

    def break_record(self, record: Any) -> Any:
        return {k: v for k, v in record.items() if k != "Balance"}

    def provider_id(self, record: Any) -> str:
        return str(record["Id"])

    def envelope(self, records: Sequence[Any], *, page: int, last: bool) -> Reply:
        return Reply(200, json=query_response(records, start=1 + (page - 1) * self.page_size))

    def expected(self, n: int) -> Mapping[str, Any]:
        return {
            "id": str(130 + n),
            "number": f"10{n:02d}",
            "debtor_id": "58",
            "amount": Money(f"{1000 + n}.{n:02d}", "USD"),
            "issue_date": dt.date(2025, 1, 10),
            "due_date": dt.date(2025, 2, 9),
            "tenant": self.tenant,
            "source": "quickbooks",
        }

    def auth_failure_response(self) -> Reply:
        return Reply(
            401,
            json={
                "Fault": {
                    "Error": [
                        {
                            "Message": "message=AuthenticationFailed; errorCode=003200",
                            "Detail": "Token expired",
                            "code": "3200",
                        }
                    ],
                    "type": "AUTHENTICATION",
                }
            },
        )

    def rate_limited_response(self, retry_after: str) -> Reply:
        return Reply(
            429,
            json={
                "Fault": {
                    "Error": [{"Message": "message=ThrottleExceeded; errorCode=003001", "code": "003001"}],
                    "type": "SERVICE",
                }
            },
            headers={"Retry-After": retry_after},
        )

    def idempotency_key_of(self, request: requests.PreparedRequest) -> str | None:
        values = parse_qs(urlsplit(request.url or "").query).get("requestid")
        return values[0] if values else None

    def write_with_key(self, backend: Backend, mocked: responses.RequestsMock, key: str) -> None:
        mocked.add(
            "POST",
            f"https://quickbooks.api.intuit.com/v3/company/{REALM}/invoice",
            json={"Invoice": {"Id": "240", "TotalAmt": 40}, "time": "2025-03-01T08:00:00-08:00"},
        )
        assert isinstance(backend, QuickBooksBackend)
        backend.post_charge(
            tenant="default",
            debtor_id="58",
            amount=Money("40.00", "USD"),
            description="Late-payment compensation",
            key=key,
        )


def queries(mocked: responses.RequestsMock) -> list[dict[str, list[str]]]:
    return [parse_qs(urlsplit(c.request.url or "").query) for c in mocked.calls]


def test_queries_page_with_startposition_and_minorversion(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = make_backend(FakeClock(), monkeypatch, page_size=2)
    with responses.RequestsMock() as mocked:
        for page in ([qbo_invoice(1), qbo_invoice(2)], [qbo_invoice(3)]):
            mocked.get(QUERY, body=dump_json(query_response(page)), content_type="application/json")
        invoices = list(backend.iter_invoices(tenant="default"))
        sent = queries(mocked)
        assert mocked.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert [i.id for i in invoices] == ["131", "132", "133"]
    assert [q["query"] for q in sent] == [
        ["select * from Invoice where Balance > '0' STARTPOSITION 1 MAXRESULTS 2"],
        ["select * from Invoice where Balance > '0' STARTPOSITION 3 MAXRESULTS 2"],
    ]
    assert all(q["minorversion"] == ["75"] for q in sent)


def test_incremental_query_uses_last_updated_time(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = make_backend(FakeClock(), monkeypatch)
    paid = qbo_invoice(1, Balance=0)
    with responses.RequestsMock() as mocked:
        mocked.get(QUERY, body=dump_json(query_response([paid])), content_type="application/json")
        payments = list(backend.iter_payments(tenant="default", since=dt.datetime(2025, 3, 1, tzinfo=dt.UTC)))
        (sent,) = queries(mocked)
    assert sent["query"] == [
        "select * from Invoice where Metadata.LastUpdatedTime >= '2025-03-01T00:00:00Z' STARTPOSITION 1 MAXRESULTS 100"
    ]
    assert [(p.amount, p.date) for p in payments] == [(Money("1001.01", "USD"), dt.date(2025, 1, 11))]


def test_single_currency_companies_use_the_home_currency() -> None:
    record = qbo_invoice(1)
    del record["CurrencyRef"]
    receivable = receivable_from_qbo(record, "default", "CAD")
    assert receivable is not None and receivable.invoice.amount == Money("1001.01", "CAD")
    assert receivable.debtor.emails == ("Birds@Intuit.com",) and receivable.debtor.name == "Amy's Bird Sanctuary"


def test_a_validation_fault_is_a_permanent_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = make_backend(FakeClock(), monkeypatch)
    fault = {
        "Fault": {
            "Error": [{"Message": "Error parsing query", "Detail": "QueryParserError", "code": "4000"}],
            "type": "ValidationFault",
        }
    }
    with responses.RequestsMock() as mocked:
        mocked.get(QUERY, status=400, json=fault)
        with pytest.raises(PermanentError, match="ValidationFault: Error parsing query"):
            list(backend.iter_invoices(tenant="default"))


def test_an_authentication_fault_is_an_auth_error(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = make_backend(FakeClock(), monkeypatch)
    with responses.RequestsMock() as mocked:
        mocked.get(
            QUERY,
            status=401,
            json={"Fault": {"Error": [{"Message": "AuthenticationFailed"}], "type": "AUTHENTICATION"}},
        )
        with pytest.raises(AuthError):
            list(backend.iter_invoices(tenant="default"))


def test_charge_invoice_body_and_request_id(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = make_backend(FakeClock(), monkeypatch, charge_item_id="21")
    key = "acme-tenant/58/penalty_warning/USD1/fee-with-a-rather-long-suffix"
    with responses.RequestsMock() as mocked:
        mocked.post(f"https://quickbooks.api.intuit.com/v3/company/{REALM}/invoice", json={"Invoice": {"Id": "240"}})
        done = backend.post_charge(
            tenant="default",
            debtor_id="58",
            amount=Money("12.345", "USD"),
            description="Interest",
            key=key,
            invoice_id="131",
        )
        request = mocked.calls[0].request
    body = json.loads(request.body, parse_float=Decimal)
    assert body["Line"][0]["Amount"] == Decimal("12.35")  # 12.345 rounded half-up to cents, sent exactly
    assert body["Line"][0]["SalesItemLineDetail"] == {"ItemRef": {"value": "21"}}
    assert body["CustomerRef"] == {"value": "58"} and "invoice 131" in body["PrivateNote"]
    query = parse_qs(urlsplit(request.url or "").query)
    assert query["requestid"] == [request_id(key)] and len(request_id(key)) == 50
    assert request_id(key) == request_id(key) != key and query["minorversion"] == ["75"]
    assert done == "quickbooks: charge invoice 240 for USD 12.35"


def test_without_a_charge_item_nothing_is_declared(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = make_backend(FakeClock(), monkeypatch)
    assert not supports(backend, Capability.POST_CHARGE)
    assert supports(make_backend(FakeClock(), monkeypatch, charge_item_id="21"), Capability.POST_CHARGE)
