"""The Stripe backend: the contract kit, amount and date mapping, paging, errors, sync into the store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses
from cobrokit_stripe import StripeBackend, receivable_from_stripe, stripe_money
from hypothesis import given
from hypothesis import strategies as st

from cobrokit.backend import Backend
from cobrokit.errors import ConfigError, InvalidAmountError, MalformedResponseError, TransientError
from cobrokit.model import Invoice
from cobrokit.money import Money
from cobrokit.receivables import settlement_id
from cobrokit.store.sqlite import SQLiteStore
from cobrokit.sync import sync
from cobrokit.testing import BackendContract, FakeClock
from cobrokit.testing.contracts import Reply

KEY = "sk_test_never_in_logs_4eC39HqLyjWDarjt"
INVOICES = "https://api.stripe.com/v1/invoices"
JAN_1_2025 = 1735689600  # 2025-01-01T00:00:00Z
DAY = 86400


def stripe_invoice(n: int, **overrides: Any) -> dict[str, Any]:
    """An open invoice shaped like Stripe's invoice object (fields cobrokit reads, and some it does not)."""
    record: dict[str, Any] = {
        "id": f"in_1Test{n:04d}",
        "object": "invoice",
        "number": f"ACME-{n:04d}",
        "customer": f"cus_Test{n % 2}",
        "customer_name": f"Customer {n % 2} SL",
        "customer_email": f"billing{n % 2}@example.com",
        "customer_phone": None,
        "customer_address": {
            "line1": "Calle Mayor 1",
            "line2": None,
            "city": "Madrid",
            "postal_code": "28013",
            "state": "M",
            "country": "ES",
        },
        "currency": "eur",
        "amount_due": 100_000 + n * 101,
        "amount_paid": 0,
        "amount_remaining": 100_000 + n * 101,
        "collection_method": "send_invoice",
        "created": JAN_1_2025,
        "due_date": JAN_1_2025 + 30 * DAY,
        "status": "open",
        "status_transitions": {
            "finalized_at": JAN_1_2025,
            "paid_at": None,
            "marked_uncollectible_at": None,
            "voided_at": None,
        },
        "hosted_invoice_url": f"https://invoice.stripe.com/i/acct_1/test_{n}",
        "livemode": False,
    }
    record.update(overrides)
    return record


def stripe_list(records: Sequence[Any], *, has_more: bool) -> dict[str, Any]:
    return {"object": "list", "url": "/v1/invoices", "has_more": has_more, "data": list(records)}


def make_backend(clock: FakeClock, monkeypatch: pytest.MonkeyPatch, **settings: Any) -> StripeBackend:
    monkeypatch.setenv("STRIPE_TEST_KEY", KEY)
    return StripeBackend.from_settings({"api_key_env": "STRIPE_TEST_KEY", **settings}, clock=clock)


class TestStripeBackendContract(BackendContract):
    list_url = INVOICES
    page_size = 3
    secrets = (KEY,)

    @pytest.fixture
    def backend(self, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Backend:
        return make_backend(clock, monkeypatch, page_size=str(self.page_size))

    def make_record(self, n: int) -> Any:
        return stripe_invoice(n)

    def break_record(self, record: Any) -> Any:
        return {**record, "amount_remaining": "1000.00"}  # a string where Stripe sends an integer

    def provider_id(self, record: Any) -> str:
        return str(record["id"])

    def envelope(self, records: Sequence[Any], *, page: int, last: bool) -> Reply:
        return Reply(200, json=stripe_list(records, has_more=not last))

    def expected(self, n: int) -> Mapping[str, Any]:
        # amount_due 100000 + 101·n cents: n = 1 → 100101 cents = 1001.01 EUR
        return {
            "id": f"in_1Test{n:04d}",
            "number": f"ACME-{n:04d}",
            "debtor_id": f"cus_Test{n % 2}",
            "amount": Money(Decimal(100_000 + n * 101) / 100, "EUR"),
            "issue_date": dt.date(2025, 1, 1),
            "due_date": dt.date(2025, 1, 31),
            "tenant": self.tenant,
            "source": "stripe",
        }

    def auth_failure_response(self) -> Reply:
        return Reply(
            401,
            json={
                "error": {
                    "message": "Invalid API Key provided: sk_test_****jarj",
                    "type": "invalid_request_error",
                }
            },
        )

    def rate_limited_response(self, retry_after: str) -> Reply:
        return Reply(
            429,
            json={
                "error": {
                    "message": "Too many requests",
                    "type": "invalid_request_error",
                    "code": "rate_limit",
                }
            },
            headers={"Retry-After": retry_after},
        )

    def idempotency_key_of(self, request: requests.PreparedRequest) -> str | None:
        # each paused subscription gets "<effect key>#<subscription id>" (one Stripe request per
        # subscription needs its own key); test_suspend_pauses_live_subscriptions checks the whole header
        header = request.headers.get("Idempotency-Key")
        return header.split("#", 1)[0] if header else None

    def write_with_key(self, backend: Backend, mocked: responses.RequestsMock, key: str) -> None:
        mocked.add(
            "GET",
            "https://api.stripe.com/v1/subscriptions",
            json={"object": "list", "has_more": False, "data": [subscription("sub_1", "active")]},
        )
        mocked.add("POST", "https://api.stripe.com/v1/subscriptions/sub_1", json=subscription("sub_1", "active"))
        assert isinstance(backend, StripeBackend)
        backend.suspend_service(tenant="default", debtor_id="cus_Test1", key=key)


def subscription(sub_id: str, status: str, paused: str | None = None) -> dict[str, Any]:
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": "cus_Test1",
        "status": status,
        "pause_collection": {"behavior": paused, "resumes_at": None} if paused else None,
    }


# -- mapping ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("units", "currency", "expected"),
    [
        (123456, "eur", Money("1234.56", "EUR")),
        (500, "jpy", Money("500", "JPY")),  # zero-decimal: not divided by 100
        (5000, "krw", Money("5000", "KRW")),
        (1234, "mga", Money("1234", "MGA")),  # zero-decimal at Stripe, two decimals in ISO 4217
        (50000, "isk", Money("500", "ISK")),  # Stripe's special case: ISK sent with two decimals
        (12340, "kwd", Money("12.340", "KWD")),  # three-decimal currency
    ],
)
def test_stripe_amounts_become_exact_money(units: int, currency: str, expected: Money) -> None:
    assert stripe_money(units, currency) == expected


@pytest.mark.parametrize("bad", ["1000", 10.5, True, None])
def test_only_integers_are_stripe_amounts(bad: object) -> None:
    with pytest.raises(InvalidAmountError):
        stripe_money(bad, "eur")


def test_isk_with_real_decimals_is_refused() -> None:
    with pytest.raises(InvalidAmountError, match="finer"):
        stripe_money(50050, "isk")  # 500.50 ISK does not exist


@given(
    units=st.integers(min_value=0, max_value=10**12),
    currency=st.sampled_from(["eur", "usd", "jpy", "krw", "clp", "kwd", "bhd"]),
)
def test_minor_units_round_trip_for_iso_aligned_currencies(units: int, currency: str) -> None:
    assert stripe_money(units, currency).to_minor() == units


def test_partly_paid_invoice_keeps_total_and_open_balance() -> None:
    receivable = receivable_from_stripe(
        stripe_invoice(1, amount_due=12_100, amount_paid=2_100, amount_remaining=10_000), "default"
    )
    assert receivable is not None
    assert receivable.invoice.amount == Money("121.00", "EUR") and receivable.open == Money("100.00", "EUR")
    assert receivable.debtor.emails == ("billing1@example.com",) and receivable.debtor.phones == ()
    assert receivable.debtor.address.city == "Madrid" and receivable.debtor.country == "ES"


def test_automatic_invoice_without_due_date_is_due_when_finalized() -> None:
    record = stripe_invoice(
        1,
        due_date=None,
        collection_method="charge_automatically",
        status_transitions={"finalized_at": JAN_1_2025 + 2 * DAY},
    )
    receivable = receivable_from_stripe(record, "default")
    assert receivable is not None and receivable.invoice.due_date == dt.date(2025, 1, 3)


def test_expanded_customer_and_missing_name_fall_back_to_id_and_email() -> None:
    record = stripe_invoice(1, customer={"id": "cus_X", "object": "customer"}, customer_name=None)
    receivable = receivable_from_stripe(record, "default")
    assert receivable is not None and receivable.debtor.id == "cus_X"
    assert receivable.debtor.name == "billing1@example.com"


def test_nothing_to_collect_is_not_a_receivable() -> None:
    assert receivable_from_stripe(stripe_invoice(1, amount_due=0, amount_remaining=0), "default") is None


# -- transport -------------------------------------------------------------------------------------


def test_cursor_paging_sends_starting_after_the_last_id(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = make_backend(FakeClock(), monkeypatch, page_size="2", collection_method="send_invoice")
    first, second = [stripe_invoice(1), stripe_invoice(2)], [stripe_invoice(3)]
    with responses.RequestsMock() as mocked:
        mocked.get(
            INVOICES,
            json=stripe_list(first, has_more=True),
            match=[
                responses.matchers.query_param_matcher(
                    {"status": "open", "limit": "2", "collection_method": "send_invoice"}
                )
            ],
        )
        mocked.get(
            INVOICES,
            json=stripe_list(second, has_more=False),
            match=[
                responses.matchers.query_param_matcher(
                    {
                        "status": "open",
                        "limit": "2",
                        "collection_method": "send_invoice",
                        "starting_after": "in_1Test0002",
                    }
                )
            ],
        )
        invoices = list(backend.iter_invoices(tenant="default"))
        assert mocked.calls[0].request.headers["Authorization"] == f"Bearer {KEY}"
    assert [i.id for i in invoices] == ["in_1Test0001", "in_1Test0002", "in_1Test0003"]


def test_an_outage_is_retried_then_read(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    backend = make_backend(clock, monkeypatch)
    with responses.RequestsMock() as mocked:
        mocked.get(INVOICES, status=503, json={"error": {"message": "unavailable", "type": "api_error"}})
        mocked.get(INVOICES, json=stripe_list([stripe_invoice(1)], has_more=False))
        assert [i.id for i in backend.iter_invoices(tenant="default")] == ["in_1Test0001"]
    assert len(clock.sleeps) == 1  # one backoff, on the fake clock


def test_a_persistent_outage_raises_and_records_no_sync(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = make_backend(FakeClock(), monkeypatch, max_attempts="2")
    with responses.RequestsMock() as mocked:
        mocked.get(INVOICES, status=500, body="oops")
        with pytest.raises(TransientError):
            list(backend.iter_invoices(tenant="default"))
        assert len(mocked.calls) == 2
    assert backend.last_synced(tenant="default") is None


def test_a_body_that_is_not_json_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = make_backend(FakeClock(), monkeypatch)
    with responses.RequestsMock() as mocked:
        mocked.get(INVOICES, body="<html>maintenance</html>", content_type="text/html")
        with pytest.raises(MalformedResponseError, match="not JSON"):
            list(backend.iter_invoices(tenant="default"))


def test_settings_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="pause_behavior"):
        make_backend(FakeClock(), monkeypatch, pause_behavior="cancel")
    with pytest.raises(ConfigError, match="must not hold a secret"):
        StripeBackend.from_settings({"api_key": KEY})
    with pytest.raises(ConfigError, match="page_size"):
        make_backend(FakeClock(), monkeypatch, page_size="500")


# -- into the store --------------------------------------------------------------------------------


def test_sync_writes_open_invoices_then_closes_the_paid_one(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock(dt.datetime(2025, 3, 1, 8, tzinfo=dt.UTC))
    backend = make_backend(clock, monkeypatch)
    partly = stripe_invoice(2, amount_due=50_000, amount_paid=20_000, amount_remaining=30_000)
    with SQLiteStore.open(tmp_path / "ledger.db") as store:
        with responses.RequestsMock() as mocked:
            mocked.get(INVOICES, json=stripe_list([stripe_invoice(1), partly], has_more=False))
            report = sync(store, backend, clock=clock)
        assert report.inserted == {"debtors": 2, "invoices": 2, "payments": 1}
        open_ = {i.invoice_id: i.open_minor for i in store.open_items("default", dt.date(2025, 3, 1))}
        assert open_ == {"in_1Test0001": 100_101, "in_1Test0002": 30_000}
        clock.advance(DAY)
        with responses.RequestsMock() as mocked:  # in_1Test0001 was paid: no longer listed as open
            mocked.get(INVOICES, json=stripe_list([partly], has_more=False))
            report = sync(store, backend, clock=clock)
        assert report.closed == ("in_1Test0001",)
        open_ = {i.invoice_id: i.open_minor for i in store.open_items("default", dt.date(2025, 3, 2))}
        assert open_ == {"in_1Test0001": 0, "in_1Test0002": 30_000}
        assert store.last_synced("default", "stripe") == clock.now()
        invoice = store.get_invoice("default", "in_1Test0001")
        assert isinstance(invoice, Invoice) and invoice.source == "stripe"
        assert {p.id for p in store.iter_payments("default")} == {
            settlement_id("in_1Test0001"),
            settlement_id("in_1Test0002"),
        }
