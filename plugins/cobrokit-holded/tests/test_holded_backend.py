"""The Holded backend: contract kit on /documents/invoice, local-midnight timestamps, contacts, paging."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from cobrokit_holded import HoldedBackend, receivable_from_holded

from cobrokit.backend import Backend
from cobrokit.http import dump_json
from cobrokit.money import Money
from cobrokit.testing import BackendContract, FakeClock, PageServer
from cobrokit.testing.contracts import Reply

KEY = "holded-api-key-never-logged-0c9a"
BASE = "https://api.holded.com/api/invoicing/v1"
DOCS = f"{BASE}/documents/invoice"
MADRID_JAN_15 = 1736895600  # 2025-01-15T00:00:00+01:00 = 2025-01-14T23:00:00Z
DAY = 86400

CONTACT = {
    "id": "5f1e2c3d4b5a697887766554",
    "name": "Construcciones Levante SL",
    "code": "B46000000",
    "email": "administracion@levante.example",
    "phone": "963000000",
    "mobile": "600000000",
    "billAddress": {
        "address": "Calle Colón 1",
        "city": "Valencia",
        "postalCode": "46004",
        "province": "Valencia",
        "country": "España",
        "countryCode": "ES",
    },
}


def holded_invoice(n: int, **overrides: Any) -> dict[str, Any]:
    """A document as GET /documents/invoice lists it."""
    record: dict[str, Any] = {
        "id": f"65a0c0ffee{n:014d}",
        "contact": CONTACT["id"],
        "contactName": "Construcciones Levante SL",
        "docNumber": f"F25{n:04d}",
        "date": MADRID_JAN_15,
        "dueDate": MADRID_JAN_15 + 30 * DAY,
        "currency": "eur",
        "currencyChange": 1,
        "total": Decimal(f"{1000 + n}.{n:02d}"),
        "paymentsTotal": 0,
        "paymentsPending": Decimal(f"{1000 + n}.{n:02d}"),
        "status": 0,
    }
    record.update(overrides)
    return record


def contact_callback(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    return 200, {"Content-Type": "application/json"}, dump_json(CONTACT)


def make_backend(clock: FakeClock, monkeypatch: pytest.MonkeyPatch, **settings: Any) -> HoldedBackend:
    monkeypatch.setenv("HOLDED_KEY", KEY)
    return HoldedBackend.from_settings({"api_key_env": "HOLDED_KEY", **settings}, clock=clock)


class TestHoldedBackendContract(BackendContract):
    list_url = DOCS
    page_size = 3
    secrets = (KEY,)

    @pytest.fixture
    def backend(self, clock: FakeClock, mocked: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch) -> Backend:
        mocked.add_callback("GET", re.compile(rf"{BASE}/contacts/\w+"), callback=contact_callback)
        return make_backend(clock, monkeypatch, page_size=self.page_size)

    def register_pages(
        self, mocked: responses.RequestsMock, pages: Sequence[Sequence[Any]], *, prelude: Sequence[Reply] = ()
    ) -> PageServer:
        # two listings: paid=0 gets the scripted pages, paid=2 (partly paid) is empty
        server = PageServer(self.envelope, pages, prelude)
        mocked.add_callback(
            "GET",
            DOCS,
            callback=server,
            match=[responses.matchers.query_param_matcher({"paid": "0"}, strict_match=False)],
        )
        mocked.add(
            "GET",
            DOCS,
            json=[],
            match=[responses.matchers.query_param_matcher({"paid": "2"}, strict_match=False)],
        )
        return server

    def make_record(self, n: int) -> Any:
        return holded_invoice(n)

    def break_record(self, record: Any) -> Any:
        return {**record, "date": "15/01/2025"}

    def provider_id(self, record: Any) -> str:
        return str(record["id"])

    def envelope(self, records: Sequence[Any], *, page: int, last: bool) -> Reply:
        return Reply(200, json=list(records))

    def expected(self, n: int) -> Mapping[str, Any]:
        return {
            "id": f"65a0c0ffee{n:014d}",
            "number": f"F25{n:04d}",
            "debtor_id": CONTACT["id"],
            "amount": Money(f"{1000 + n}.{n:02d}", "EUR"),
            "issue_date": dt.date(2025, 1, 15),
            "due_date": dt.date(2025, 2, 14),
            "tenant": self.tenant,
            "source": "holded",
        }

    def auth_failure_response(self) -> Reply:
        return Reply(401, json={"status": 0, "info": "Invalid API key"})


def test_both_listings_key_header_and_contact_details(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = make_backend(FakeClock(), monkeypatch)
    partly = holded_invoice(2, paymentsTotal=Decimal("500"), paymentsPending=Decimal("502.02"))
    with responses.RequestsMock() as mocked:
        mocked.get(
            DOCS,
            body=dump_json([holded_invoice(1)]),
            content_type="application/json",
            match=[responses.matchers.query_param_matcher({"paid": "0", "page": "1", "limit": "50"})],
        )
        mocked.get(
            DOCS,
            body=dump_json([partly]),
            content_type="application/json",
            match=[responses.matchers.query_param_matcher({"paid": "2", "page": "1", "limit": "50"})],
        )
        mocked.add_callback("GET", f"{BASE}/contacts/{CONTACT['id']}", callback=contact_callback)
        (debtor,) = list(backend.iter_debtors(tenant="default"))
        payments = list(backend.iter_payments(tenant="default"))
        assert mocked.calls[0].request.headers["key"] == KEY
        assert len(mocked.calls) == 3  # one contact lookup for both invoices
    assert debtor.emails == ("administracion@levante.example",) and debtor.tax_id == "B46000000"
    assert debtor.address.city == "Valencia" and debtor.country == "ES" and debtor.timezone == "Europe/Madrid"
    assert [p.amount for p in payments] == [Money("500.00", "EUR")]  # 1002.02 total − 502.02 pending


def test_local_midnight_timestamps_are_the_right_day() -> None:
    receivable = receivable_from_holded(holded_invoice(1), "default", zone=dt.timezone(dt.timedelta(hours=1)))
    assert receivable is not None and receivable.invoice.issue_date == dt.date(2025, 1, 15)
    in_utc = receivable_from_holded(holded_invoice(1), "default", zone=dt.UTC)
    assert in_utc is not None and in_utc.invoice.issue_date == dt.date(2025, 1, 14)  # why the setting exists


def test_a_listing_that_ignores_page_ends_instead_of_looping(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    backend = make_backend(FakeClock(), monkeypatch, page_size=2, contact_details=False)
    everything = [holded_invoice(1), holded_invoice(2)]
    with responses.RequestsMock() as mocked:
        mocked.get(DOCS, body=dump_json(everything), content_type="application/json")  # same answer for any page
        invoices = list(backend.iter_invoices(tenant="default"))
        pages = [parse_qs(urlsplit(c.request.url or "").query)["page"] for c in mocked.calls]
    # paid=0: page 1, page 2 (a repeat: ends); paid=2: page 1 (repeats paid=0's first id is fine: new listing)
    assert pages == [["1"], ["2"], ["1"], ["2"]]
    assert len(invoices) == 4 and "page repeats" in caplog.text
