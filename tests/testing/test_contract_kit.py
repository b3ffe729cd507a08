"""The contract kit itself: a sample backend on cobrokit.http passes BackendContract, broken
plugins fail it, and the fakes and fixtures behave as documented.

``AcmeBackend`` below is also the smallest example of a backend plugin built on the shared
HTTP helper: only the payload mapping (``invoice_from_acme``) is provider-specific.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

import attrs
import pytest
import responses

from cobrokit.backend import Backend, Capability
from cobrokit.channel import DeliveryReceipt, DeliveryStatus, Message
from cobrokit.errors import AdapterError, PermanentError
from cobrokit.http import (
    Clock,
    HttpClient,
    RateLimiter,
    bearer_token,
    convert_records,
    paginate_offset,
)
from cobrokit.model import CreditNote, Debtor, Invoice, Payment
from cobrokit.money import Money
from cobrokit.testing import (
    BackendContract,
    ChannelContract,
    FakeBackend,
    FakeChannel,
    FakeClock,
    channel_plugin,
    register_temp,
)
from cobrokit.testing.contracts import Reply

BASE = "https://acme.example.test/api"
TOKEN = "acme-token-never-logged"


def invoice_from_acme(record: Mapping[str, Any], tenant: str) -> Invoice:
    """ACME's invoice payload → Invoice (raises on a missing or mistyped field)."""
    return Invoice(
        id=str(record["id"]),
        debtor_id=str(record["client"]["id"]),
        issue_date=dt.date.fromisoformat(record["date"]),
        due_date=dt.date.fromisoformat(record["dueDate"]),
        amount=Money(record["balance"], record["currency"]),
        tenant=tenant,
        source="acme",
    )


class AcmeBackend:
    """A minimal HTTP backend: offset paging, rate limit, skip-and-log, sync time, one write."""

    name = "acme"
    capabilities = frozenset({Capability.POST_CHARGE})

    def __init__(self, token: str, *, clock: Clock, page_size: int = 3) -> None:
        self.http = HttpClient(
            "acme",
            BASE,
            auth=bearer_token(token),
            clock=clock,
            rate_limiter=RateLimiter(60, 60.0, clock=clock),
        )
        self.page_size = page_size
        self._synced: dict[str, dt.datetime] = {}

    def iter_invoices(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[Invoice]:
        pages = paginate_offset(
            lambda params: self.http.get_json("invoices", params={**params, "status": "open"}),
            lambda payload: payload["data"],
            page_size=self.page_size,
            provider="acme",
            max_pages=50,
        )
        yield from convert_records(
            pages,
            lambda r: invoice_from_acme(r, tenant),
            provider="acme",
            kind="invoice",
            id_of=lambda r: r["id"],
        )
        self._synced[tenant] = self.http.clock.now()

    def iter_debtors(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[Debtor]:
        return iter(())

    def iter_payments(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[Payment]:
        return iter(())

    def iter_credit_notes(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[CreditNote]:
        return iter(())

    def last_synced(self, *, tenant: str) -> dt.datetime | None:
        return self._synced.get(tenant)

    def post_charge(self, invoice_id: str, amount: Money, key: str) -> None:
        self.http.request_json(
            "POST",
            f"invoices/{invoice_id}/charges",
            json_body={"amount": amount.amount, "currency": amount.currency},
            idempotency_key=key,
        )


class TestAcmeBackendContract(BackendContract):
    list_url = f"{BASE}/invoices"
    page_size = 3
    secrets = (TOKEN,)

    @pytest.fixture
    def backend(self, clock: FakeClock) -> AcmeBackend:
        return AcmeBackend(TOKEN, clock=clock, page_size=self.page_size)

    def make_record(self, n: int) -> dict[str, Any]:
        # amounts like 1001.01 have no exact binary float: only a Decimal keeps them
        return {
            "id": f"INV-{n}",
            "client": {"id": "C-1"},
            "date": "2025-01-01",
            "dueDate": "2025-01-31",
            "balance": Decimal(f"{1000 + n}.{n:02d}"),
            "currency": "EUR",
        }

    def break_record(self, record: Any) -> Any:
        return {k: v for k, v in record.items() if k != "dueDate"}

    def provider_id(self, record: Any) -> str:
        return str(record["id"])

    def envelope(self, records: Any, *, page: int, last: bool) -> Reply:
        return Reply(200, json={"data": list(records)})

    def expected(self, n: int) -> Mapping[str, Any]:
        return {
            "id": f"INV-{n}",
            "amount": Money(f"{1000 + n}.{n:02d}", "EUR"),
            "due_date": dt.date(2025, 1, 31),
            "tenant": self.tenant,
        }

    def write_with_key(self, backend: Backend, mocked: responses.RequestsMock, key: str) -> None:
        mocked.add("POST", f"{BASE}/invoices/INV-1/charges", json={"id": "ch_1"})
        assert isinstance(backend, AcmeBackend)
        backend.post_charge("INV-1", Money("40.00", "EUR"), key)


# -- broken plugins fail the contract -------------------------------------------------------------


def test_a_backend_that_never_stops_paging_fails_the_contract():
    class Endless(AcmeBackend):
        def iter_invoices(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[Invoice]:
            start = 0
            while True:  # broken on purpose: never looks for the end
                payload = self.http.get_json("invoices", params={"start": start, "limit": 3})
                yield from (invoice_from_acme(r, tenant) for r in payload["data"])
                start += 3

    contract = TestAcmeBackendContract()
    backend = Endless(TOKEN, clock=FakeClock())
    with (
        responses.RequestsMock(assert_all_requests_are_fired=False) as mocked,
        pytest.raises(AssertionError, match="pagination does not end"),
    ):
        contract.test_contract_reads_every_page_and_stops(backend, mocked)


def test_a_backend_that_uses_floats_fails_the_contract():
    @attrs.frozen
    class LooseInvoice:
        id: str
        amount: float
        due_date: dt.date
        tenant: str

    class FloatBackend(AcmeBackend):
        def iter_invoices(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[Any]:
            for invoice in super().iter_invoices(tenant=tenant, since=since):
                yield LooseInvoice(invoice.id, float(invoice.amount.amount), invoice.due_date, tenant)

    contract = TestAcmeBackendContract()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked, pytest.raises(AssertionError):
        contract.test_contract_amounts_are_exact_decimals(FloatBackend(TOKEN, clock=FakeClock()), mocked)


def test_a_backend_that_drops_the_idempotency_key_fails_the_contract():
    class Forgetful(AcmeBackend):
        def post_charge(self, invoice_id: str, amount: Money, key: str) -> None:
            self.http.request_json("POST", f"invoices/{invoice_id}/charges", json_body={})

    contract = TestAcmeBackendContract()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked, pytest.raises(AssertionError):
        contract.test_contract_idempotency_key_propagation(Forgetful(TOKEN, clock=FakeClock()), mocked)


class SwallowingChannel:
    """A broken channel: turns refused credentials into an ordinary failed receipt."""

    name = "broken"
    honours_idempotency = True

    def __init__(self, clock: Clock) -> None:
        self.http = HttpClient("broken", BASE, clock=clock)

    def send(self, message: Message) -> DeliveryReceipt:
        try:
            self.http.request("POST", "send", json_body={"to": message.recipient}, idempotency_key=message.key)
        except AdapterError as exc:
            return DeliveryReceipt.failed(exc)
        return DeliveryReceipt(DeliveryStatus.SENT, provider_id="m-1")


class TestSwallowingChannelContractPartly(ChannelContract):
    """The parts of the contract this broken channel does pass (run for real)."""

    send_url = f"{BASE}/send"
    expected_provider_id = "m-1"
    secrets = ("unused-secret",)

    @pytest.fixture
    def channel(self, clock: FakeClock) -> SwallowingChannel:
        return SwallowingChannel(clock)

    def success_response(self) -> Reply:
        return Reply(200, json={"id": "m-1"})

    def permanent_failure_response(self) -> Reply:
        return Reply(400, json={"error": "bad number"})

    @pytest.mark.xfail(strict=True, reason="the channel swallows AuthError: the contract must catch it")
    def test_contract_auth_failure_raises_auth_error(self, channel, mocked, make_message, clock):  # type: ignore[no-untyped-def, override]
        super().test_contract_auth_failure_raises_auth_error(channel, mocked, make_message, clock)


# -- fakes and fixtures ---------------------------------------------------------------------------


def make_invoice(invoice_id: str, tenant: str = "default") -> Invoice:
    return Invoice(
        id=invoice_id,
        debtor_id="D-1",
        issue_date=dt.date(2025, 1, 1),
        due_date=dt.date(2025, 1, 31),
        amount=Money("10.00", "EUR"),
        tenant=tenant,
    )


def test_fake_clock_records_and_advances():
    clock = FakeClock()
    start, mono = clock.now(), clock.monotonic()
    clock.sleep(2.5)
    assert clock.sleeps == [2.5]
    assert clock.now() - start == dt.timedelta(seconds=2.5) and clock.monotonic() - mono == 2.5
    with pytest.raises(ValueError, match="aware"):
        FakeClock(dt.datetime(2025, 1, 1))


def test_fake_channel_scripts_outcomes_and_dedupes_keys(fake_channel):
    failed = DeliveryReceipt(DeliveryStatus.FAILED_RETRYABLE, detail="later")
    fake_channel.outcomes = [failed]
    msg = Message(
        key="k1",
        tenant="default",
        debtor_id="D",
        stage="oops",
        channel="fake",
        recipient="x",
        subject="s",
        text="t",
    )
    assert fake_channel.send(msg) == failed
    first = fake_channel.send(msg)
    assert first.ok and fake_channel.send(msg) == first  # a resend with the same key is a no-op
    assert fake_channel.sent == [msg] and len(fake_channel.attempts) == 2


def test_fake_backend_serves_by_tenant_and_records_sync(fake_backend, fake_clock):
    fake_backend.invoices += [make_invoice("A"), make_invoice("B", tenant="other")]
    assert [i.id for i in fake_backend.iter_invoices(tenant="default")] == ["A"]
    assert isinstance(fake_backend, Backend)
    assert fake_backend.last_synced(tenant="default") is None
    list(fake_backend.iter_payments(tenant="default"))
    assert fake_backend.last_synced(tenant="default") == fake_clock.now()


def test_fake_backend_failure_is_raised():
    backend = FakeBackend(failure=PermanentError("fake", "down"))
    with pytest.raises(PermanentError):
        list(backend.iter_invoices(tenant="default"))


def test_register_temp_adds_and_removes(cobrokit_host):
    before = set(cobrokit_host.channels())
    with register_temp(cobrokit_host, channel_plugin(FakeChannel("pigeon")), "pigeon-post"):
        assert "pigeon" in cobrokit_host.channels()
        assert cobrokit_host.channel("pigeon").name == "pigeon"
    assert set(cobrokit_host.channels()) == before
    assert all(p.name != "pigeon-post" for p in cobrokit_host.plugins())


def test_cobrokit_host_ignores_installed_plugins(cobrokit_host):
    assert all(p.builtin for p in cobrokit_host.plugins())
