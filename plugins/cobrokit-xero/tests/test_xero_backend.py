"""The Xero backend: the contract kit, MS-JSON dates, incremental reads, 60 calls/min, history notes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import pytest
import responses
from cobrokit_xero import XeroBackend, parse_ms_date, receivable_from_xero

from cobrokit.backend import Backend
from cobrokit.errors import MalformedDateError, RateLimitedError
from cobrokit.http import dump_json
from cobrokit.model import Allocation
from cobrokit.money import Money
from cobrokit.testing import BackendContract, FakeClock
from cobrokit.testing.contracts import Reply

TOKEN = "xero-access-token-never-logged"
TENANT_ID = "70784a63-d24b-46a9-a4db-0e70a274b056"
INVOICES = "https://api.xero.com/api.xro/2.0/Invoices"


def xero_invoice(n: int, **overrides: Any) -> dict[str, Any]:
    """An invoice shaped like the Invoices element of Xero's GET /Invoices answer."""
    record: dict[str, Any] = {
        "Type": "ACCREC",
        "InvoiceID": f"9b9ba9e5-e907-4b4e-8210-54d82b0aa{n:03d}",
        "InvoiceNumber": f"INV-{n:04d}",
        "Reference": f"PO {n}",
        "Status": "AUTHORISED",
        "Contact": {
            "ContactID": "025867f1-d741-4d6b-b1af-9ac774b59ba7",
            "Name": "City Agency",
            "EmailAddress": "accounts@cityagency.example",
        },
        "Date": "/Date(1546041600000+0000)/",  # 2018-12-29
        "DateString": "2018-12-29T00:00:00",
        "DueDate": "/Date(1546128000000+0000)/",  # 2018-12-30
        "DueDateString": "2018-12-30T00:00:00",
        "CurrencyCode": "NZD",
        "CurrencyRate": Decimal("1.000000"),
        "SubTotal": Decimal(f"{900 + n}.{n:02d}"),
        "TotalTax": Decimal("0.00"),
        "Total": Decimal(f"{1000 + n}.{n:02d}"),
        "AmountDue": Decimal(f"{1000 + n}.{n:02d}"),
        "AmountPaid": Decimal("0.00"),
        "AmountCredited": Decimal("0.00"),
        "UpdatedDateUTC": "/Date(1546214400000+0000)/",  # 2018-12-31
        "Payments": [],
        "HasErrors": False,
    }
    record.update(overrides)
    return record


def envelope(records: Sequence[Any], *, page: int, last: bool, size: int = 3) -> dict[str, Any]:
    return {
        "Id": "a7a5b4a0-4b56-4a8d-9f8e-0d41c1bd3c09",
        "Status": "OK",
        "ProviderName": "cobrokit tests",
        "DateTimeUTC": "/Date(1546300800000)/",
        "pagination": {
            "page": page,
            "pageSize": size,
            "pageCount": page if last else page + 1,
            "itemCount": len(records),
        },
        "Invoices": list(records),
    }


def make_backend(clock: FakeClock, monkeypatch: pytest.MonkeyPatch, **settings: Any) -> XeroBackend:
    monkeypatch.setenv("XERO_TEST_TOKEN", TOKEN)
    return XeroBackend.from_settings(
        {"access_token_env": "XERO_TEST_TOKEN", "tenant_id": TENANT_ID, **settings}, clock=clock
    )


class TestXeroBackendContract(BackendContract):
    list_url = INVOICES
    page_size = 3
    secrets = (TOKEN,)

    @pytest.fixture
    def backend(self, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Backend:
        return make_backend(clock, monkeypatch, page_size=self.page_size)

    def make_record(self, n: int) -> Any:
        return xero_invoice(n)

    def break_record(self, record: Any) -> Any:
        return {**record, "DueDate": "next Tuesday", "DueDateString": "next Tuesday"}

    def provider_id(self, record: Any) -> str:
        return str(record["InvoiceID"])

    def envelope(self, records: Sequence[Any], *, page: int, last: bool) -> Reply:
        return Reply(200, json=envelope(records, page=page, last=last))

    def expected(self, n: int) -> Mapping[str, Any]:
        return {
            "id": f"9b9ba9e5-e907-4b4e-8210-54d82b0aa{n:03d}",
            "number": f"INV-{n:04d}",
            "amount": Money(f"{1000 + n}.{n:02d}", "NZD"),
            "issue_date": dt.date(2018, 12, 29),
            "due_date": dt.date(2018, 12, 30),
            "debtor_id": "025867f1-d741-4d6b-b1af-9ac774b59ba7",
            "tenant": self.tenant,
        }

    def auth_failure_response(self) -> Reply:
        return Reply(
            401,
            json={
                "Type": None,
                "Title": "Unauthorized",
                "Status": 401,
                "Detail": "AuthenticationUnsuccessful",
            },
        )

    def rate_limited_response(self, retry_after: str) -> Reply:
        return Reply(429, body="", headers={"Retry-After": retry_after, "X-Rate-Limit-Problem": "minute"})

    def write_with_key(self, backend: Backend, mocked: responses.RequestsMock, key: str) -> None:
        invoice_id = "9b9ba9e5-e907-4b4e-8210-54d82b0aa001"
        mocked.add(
            "PUT",
            f"{INVOICES}/{invoice_id}/History",
            json={"HistoryRecords": [{"Details": "sent", "ValidationErrors": []}]},
        )
        assert isinstance(backend, XeroBackend)
        backend.add_note(
            tenant="default",
            debtor_id="c",
            text="cobrokit: reminder oops sent",
            key=key,
            invoice_id=invoice_id,
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/Date(1546128000000+0000)/", dt.date(2018, 12, 30)),
        ("/Date(1546128000000)/", dt.date(2018, 12, 30)),
        ("/Date(1546124400000+1300)/", dt.date(2018, 12, 30)),  # 2018-12-29T23:00Z is 12:00 on the 30th in NZ
        ("2018-12-30T00:00:00", dt.date(2018, 12, 30)),
    ],
)
def test_xero_dates(text: str, expected: dt.date) -> None:
    assert parse_ms_date(text) == expected


@pytest.mark.parametrize("bad", ["/Date(abc)/", "", None, 1546128000000])
def test_bad_xero_dates_are_refused(bad: object) -> None:
    with pytest.raises(MalformedDateError):
        parse_ms_date(bad)


def test_reported_payments_are_kept_and_credits_settle_the_rest() -> None:
    record = xero_invoice(
        1,
        Total=Decimal("1150.00"),
        AmountDue=Decimal("350.00"),
        AmountPaid=Decimal("600.00"),
        AmountCredited=Decimal("200.00"),
        Payments=[
            {
                "PaymentID": "0d666415-cf77-43fa-80c7-56775591d426",
                "Date": "/Date(1546300800000+0000)/",
                "Amount": Decimal("600.00"),
                "Reference": "bank 17",
            }
        ],
    )
    receivable = receivable_from_xero(record, "default")
    assert receivable is not None
    (payment,) = receivable.payments
    assert payment.date == dt.date(2019, 1, 1) and payment.allocations == (
        Allocation(receivable.invoice.id, Money("600.00", "NZD")),
    )
    # settled = 1150 total − 350 due = 800; 600 reported as a payment, 200 (the credit) stays to be derived
    assert receivable.settled == Money("800.00", "NZD") and receivable.changed_on == dt.date(2018, 12, 31)


def test_voided_and_paid_invoices_are_settled_and_bills_ignored() -> None:
    voided = receivable_from_xero(xero_invoice(1, Status="VOIDED", AmountDue=Decimal("0.00")), "default")
    assert voided is not None and voided.open == Money("0.00", "NZD")
    assert receivable_from_xero(xero_invoice(1, Type="ACCPAY"), "default") is None


def test_a_complete_read_asks_for_authorised_sales_invoices(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = make_backend(FakeClock(), monkeypatch)
    with responses.RequestsMock() as mocked:
        mocked.get(
            INVOICES,
            body=dump_json(envelope([xero_invoice(1)], page=1, last=True)),
            match=[
                responses.matchers.query_param_matcher(
                    {
                        "where": 'Type=="ACCREC"',
                        "Statuses": "AUTHORISED",
                        "order": "UpdatedDateUTC ASC",
                        "page": "1",
                        "pageSize": "100",
                    }
                ),
                responses.matchers.header_matcher({"xero-tenant-id": TENANT_ID, "Authorization": f"Bearer {TOKEN}"}),
            ],
        )
        assert len(list(backend.iter_invoices(tenant="default"))) == 1
        assert "If-Modified-Since" not in mocked.calls[0].request.headers


def test_an_incremental_read_sends_if_modified_since_and_sees_settled_invoices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend = make_backend(FakeClock(), monkeypatch)
    paid = xero_invoice(2, Status="PAID", AmountDue=Decimal("0.00"), AmountPaid=Decimal("1002.02"))
    with responses.RequestsMock() as mocked:
        mocked.get(
            INVOICES,
            body=dump_json(envelope([paid], page=1, last=True)),
            match=[
                responses.matchers.query_param_matcher(
                    {
                        "where": 'Type=="ACCREC"',
                        "Statuses": "AUTHORISED,PAID,VOIDED",
                        "order": "UpdatedDateUTC ASC",
                        "page": "1",
                        "pageSize": "100",
                    }
                ),
                responses.matchers.header_matcher({"If-Modified-Since": "2025-02-01T08:30:00"}),
            ],
        )
        since = dt.datetime(2025, 2, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
        payments = list(backend.iter_payments(tenant="default", since=since))
    # nothing reported in Payments[]: the whole total is a derived settlement
    assert [p.amount for p in payments] == [Money("1002.02", "NZD")]
    assert backend.listed_invoice_ids(tenant="default") is None  # incremental: closes nothing


def test_the_61st_call_in_a_minute_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    backend = make_backend(clock, monkeypatch, page_size=1)
    pages = [envelope([xero_invoice(n)], page=n, last=n == 61, size=1) for n in range(1, 62)]
    with responses.RequestsMock() as mocked:
        for page in pages:
            mocked.get(
                INVOICES,
                body=dump_json(page),
                content_type="application/json",
            )
        records = list(backend.iter_invoices(tenant="default"))
        assert len(records) == 61 and len(mocked.calls) == 61
    assert clock.sleeps == [60.0]  # 60 calls in the first minute, then one wait for the window to slide


def test_a_daily_limit_is_not_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    backend = make_backend(clock, monkeypatch)
    with responses.RequestsMock() as mocked:
        mocked.get(INVOICES, status=429, headers={"Retry-After": "43200", "X-Rate-Limit-Problem": "day"})
        with pytest.raises(RateLimitedError) as failure:
            list(backend.iter_invoices(tenant="default"))
    assert failure.value.retry_after == 43200 and clock.sleeps == []


def test_long_notes_are_cut_to_xero_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = make_backend(FakeClock(), monkeypatch)
    with responses.RequestsMock() as mocked:
        mocked.put("https://api.xero.com/api.xro/2.0/Contacts/c-1/History", json={"HistoryRecords": []})
        done = backend.add_note(tenant="default", debtor_id="c-1", text="x" * 600, key="k" * 200)
        request = mocked.calls[0].request
    details = json.loads(request.body)["HistoryRecords"][0]["Details"]
    assert len(details) == 450 and request.headers["Idempotency-Key"] == "k" * 128
    assert done == "xero: note added to contact c-1"
