"""Reusable contract tests for channel and backend plugins.

A plugin's test module subclasses :class:`ChannelContract` or :class:`BackendContract`
(the class name must start with ``Test`` for pytest to collect it), fills in the class
attributes and the few provider-specific methods, and overrides the ``channel`` or
``backend`` fixture. It then inherits every contract test. All HTTP is served by
``responses`` (no network) and all waiting by a :class:`~cobrokit.testing.FakeClock`
(no real sleep), which the plugin must pass to its :class:`~cobrokit.http.HttpClient`.

See ``docs/testing-plugins.md`` for a walk-through.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar

import attrs
import pytest
import requests
import responses

from cobrokit.backend import Backend, Capability
from cobrokit.channel import Channel, DeliveryReceipt, DeliveryStatus, Message
from cobrokit.errors import AuthError
from cobrokit.http import dump_json
from cobrokit.model import DEFAULT_TENANT
from cobrokit.money import Money
from cobrokit.testing.fakes import FakeClock

__all__ = ["BackendContract", "ChannelContract", "PageServer", "Reply"]

UrlPattern = str | re.Pattern[str]


@attrs.frozen(slots=True)
class Reply:
    """A scripted provider answer: status, a JSON or text body, and headers.

    ``json`` is serialised with :func:`cobrokit.http.dump_json`, so ``Decimal`` values are
    written as exact JSON numbers (write amounts as ``Decimal("0.10")``, never floats).
    """

    status: int = 200
    json: Any = None
    body: str = ""
    headers: Mapping[str, str] = attrs.field(factory=dict)

    def render(self) -> tuple[int, dict[str, str], str]:
        """``(status, headers, body)`` as a ``responses`` callback returns it."""
        headers = dict(self.headers)
        if self.json is not None:
            headers.setdefault("Content-Type", "application/json")
            return self.status, headers, dump_json(self.json)
        headers.setdefault("Content-Type", "text/plain")
        return self.status, headers, self.body

    def add_to(self, mocked: responses.RequestsMock, method: str, url: UrlPattern) -> None:
        """Register this reply for *method* *url* on *mocked* (served in registration order)."""
        status, headers, body = self.render()
        content_type = headers.pop("Content-Type")
        mocked.add(method, url, status=status, headers=headers, body=body, content_type=content_type)


def _walk_for_floats(value: Any, path: str) -> list[str]:
    """Paths of every float inside *value* (attrs objects, mappings, sequences)."""
    if isinstance(value, float):
        return [path]
    if isinstance(value, Money):
        return [f"{path}.amount"] if not isinstance(value.amount, Decimal) else []
    if attrs.has(type(value)):
        found: list[str] = []
        for field in attrs.fields(type(value)):
            found += _walk_for_floats(getattr(value, field.name), f"{path}.{field.name}")
        return found
    if isinstance(value, Mapping):
        return [p for k, v in value.items() for p in _walk_for_floats(v, f"{path}[{k!r}]")]
    if isinstance(value, list | tuple | frozenset | set):
        return [p for i, v in enumerate(value) for p in _walk_for_floats(v, f"{path}[{i}]")]
    return []


class _Base:
    """Fixtures shared by both contracts."""

    secrets: ClassVar[tuple[str, ...]] = ()
    """Every secret value the fixture configures (tokens, passwords, secret URLs): none may
    appear in a log line, an error message or a receipt."""

    @pytest.fixture
    def clock(self) -> FakeClock:
        """The fake clock the plugin must hand to its HTTP client (and use for sync times)."""
        return FakeClock()

    @pytest.fixture
    def mocked(self) -> Iterator[responses.RequestsMock]:
        """An active ``responses`` mock; requests to unregistered URLs fail."""
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
            yield rsps

    def idempotency_key_of(self, request: requests.PreparedRequest) -> str | None:
        """Where the provider request carries the idempotency key (default: ``Idempotency-Key``)."""
        return request.headers.get("Idempotency-Key")

    def auth_failure_response(self) -> Reply:
        """The provider's answer to bad credentials (default: a bare 401)."""
        return Reply(401, body="Unauthorized")

    def rate_limited_response(self, retry_after: str) -> Reply:
        """The provider's 429 (default: text body, ``Retry-After`` header)."""
        return Reply(429, body="Too Many Requests", headers={"Retry-After": retry_after})

    def _assert_no_secrets(self, texts: Sequence[str]) -> None:
        assert self.secrets, "declare the secrets your fixture configures in the `secrets` class attribute"
        for secret in self.secrets:
            for text in texts:
                assert secret not in text, "a secret value appears in logs, an error or a receipt"


# -- channels -------------------------------------------------------------------------------


class ChannelContract(_Base):
    """The contract every channel plugin passes. Subclass it as ``TestMyChannelContract``.

    Provide:

    * ``send_url`` (and ``send_method`` if not ``POST``): the provider endpoint;
    * ``expected_provider_id``: the id found in :meth:`success_response`;
    * ``secrets``: the secret values the fixture configures;
    * ``no_idempotency_reason`` when the channel does not honour idempotency keys;
    * a ``channel`` fixture building the channel with the ``clock`` fixture;
    * :meth:`success_response` and :meth:`permanent_failure_response` in the provider's
      documented shapes (override :meth:`auth_failure_response`,
      :meth:`rate_limited_response`, :meth:`server_error_response` and
      :meth:`idempotency_key_of` when the defaults do not fit).

    Error policy checked here: a refusal of *this message* returns a failed receipt
    (permanent or retryable); broken credentials raise :class:`~cobrokit.errors.AuthError`
    because they concern every message, not this one.
    """

    send_method: ClassVar[str] = "POST"
    send_url: ClassVar[UrlPattern]
    expected_provider_id: ClassVar[str] = ""
    no_idempotency_reason: ClassVar[str] = ""
    recipient: ClassVar[str] = "+34600111222"

    # -- to provide ---------------------------------------------------------------------
    @pytest.fixture
    def channel(self, clock: FakeClock) -> Channel:
        """Build the channel under test (override; pass ``clock`` to its HTTP client)."""
        raise NotImplementedError("override the `channel` fixture")

    def success_response(self) -> Reply:
        """The provider's documented answer to an accepted message."""
        raise NotImplementedError

    def permanent_failure_response(self) -> Reply:
        """A documented answer that retrying cannot fix (invalid number, unsubscribed…)."""
        raise NotImplementedError

    def server_error_response(self) -> Reply:
        """A provider outage (default: 503)."""
        return Reply(503, body="Service Unavailable")

    def message_metadata(self) -> Mapping[str, Any]:
        """Metadata for :meth:`make_message` (e.g. a WhatsApp ``last_inbound_at``)."""
        return {}

    # -- provided -----------------------------------------------------------------------
    @pytest.fixture
    def make_message(self, channel: Channel) -> Callable[..., Message]:
        """A factory of messages for *channel*; keyword arguments override the defaults."""

        def make(**overrides: Any) -> Message:
            values: dict[str, Any] = {
                "key": f"{DEFAULT_TENANT}:D-1:oops:1:{channel.name}",
                "tenant": DEFAULT_TENANT,
                "debtor_id": "D-1",
                "stage": "oops",
                "channel": channel.name,
                "recipient": self.recipient,
                "subject": "Invoice INV-1 is overdue",
                "text": "Hello, invoice INV-1 for 1,234.56 EUR was due on 2025-01-01.",
                "metadata": dict(self.message_metadata()),
            }
            values.update(overrides)
            return Message(**values)

        return make

    def _add(self, mocked: responses.RequestsMock, *replies: Reply) -> None:
        for reply in replies:
            reply.add_to(mocked, self.send_method, self.send_url)

    # -- the contract -------------------------------------------------------------------
    def test_contract_is_a_channel(self, channel: Channel) -> None:
        """The object satisfies the Channel protocol and says whether it honours keys."""
        assert isinstance(channel, Channel)
        assert isinstance(channel.name, str) and channel.name
        assert isinstance(channel.honours_idempotency, bool)

    def test_contract_success_gives_sent_receipt(
        self, channel: Channel, mocked: responses.RequestsMock, make_message: Callable[..., Message]
    ) -> None:
        """An accepted message gives a SENT receipt carrying the provider's id, in one call."""
        self._add(mocked, self.success_response())
        receipt = channel.send(make_message())
        assert isinstance(receipt, DeliveryReceipt)
        assert receipt.status is DeliveryStatus.SENT
        assert receipt.provider_id == self.expected_provider_id
        assert len(mocked.calls) == 1

    def test_contract_rate_limited_then_success(
        self,
        channel: Channel,
        mocked: responses.RequestsMock,
        make_message: Callable[..., Message],
        clock: FakeClock,
    ) -> None:
        """A 429 with ``Retry-After: 7`` is waited out (on the fake clock) and retried once."""
        self._add(mocked, self.rate_limited_response("7"), self.success_response())
        receipt = channel.send(make_message())
        assert receipt.status is DeliveryStatus.SENT
        assert len(mocked.calls) == 2
        assert clock.sleeps == [7.0]

    def test_contract_auth_failure_raises_auth_error(
        self,
        channel: Channel,
        mocked: responses.RequestsMock,
        make_message: Callable[..., Message],
        clock: FakeClock,
    ) -> None:
        """Refused credentials raise AuthError at once: no retry, no wait."""
        self._add(mocked, self.auth_failure_response())
        with pytest.raises(AuthError):
            channel.send(make_message())
        assert len(mocked.calls) == 1
        assert clock.sleeps == []

    def test_contract_permanent_failure_receipt(
        self,
        channel: Channel,
        mocked: responses.RequestsMock,
        make_message: Callable[..., Message],
        clock: FakeClock,
    ) -> None:
        """A refusal retrying cannot fix gives FAILED_PERMANENT with a reason, after one call."""
        self._add(mocked, self.permanent_failure_response())
        receipt = channel.send(make_message())
        assert receipt.status is DeliveryStatus.FAILED_PERMANENT
        assert receipt.detail
        assert len(mocked.calls) == 1
        assert clock.sleeps == []

    def test_contract_server_error_gives_retryable_receipt(
        self,
        channel: Channel,
        mocked: responses.RequestsMock,
        make_message: Callable[..., Message],
    ) -> None:
        """A persistent outage gives FAILED_RETRYABLE after a bounded number of calls."""
        self._add(mocked, self.server_error_response())
        receipt = channel.send(make_message())
        assert receipt.status is DeliveryStatus.FAILED_RETRYABLE
        assert receipt.detail
        assert 1 <= len(mocked.calls) <= 10

    def test_contract_idempotency_key(
        self,
        channel: Channel,
        mocked: responses.RequestsMock,
        make_message: Callable[..., Message],
    ) -> None:
        """A channel that honours keys sends the message key on every attempt; one that
        does not documents why (``no_idempotency_reason``)."""
        if not channel.honours_idempotency:
            assert self.no_idempotency_reason.strip(), (
                "the channel does not honour idempotency keys: say why in `no_idempotency_reason`"
            )
            return
        self._add(mocked, self.rate_limited_response("1"), self.success_response())
        message = make_message()
        channel.send(message)
        keys = [self.idempotency_key_of(call.request) for call in mocked.calls]
        assert keys == [message.key, message.key]

    def test_contract_no_secret_or_recipient_in_logs(
        self,
        channel: Channel,
        mocked: responses.RequestsMock,
        make_message: Callable[..., Message],
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """Secrets never appear in logs or receipts; the recipient never at INFO or above."""
        caplog.set_level(logging.DEBUG)
        self._add(
            mocked,
            self.rate_limited_response("1"),
            self.success_response(),
            self.permanent_failure_response(),
        )
        first = channel.send(make_message())
        second = channel.send(make_message(key="another-key"))
        self._assert_no_secrets([caplog.text, first.detail, second.detail])
        loud = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
        assert self.recipient not in loud


# -- backends -------------------------------------------------------------------------------


class PageServer:
    """Serves scripted pages from a ``responses`` callback and counts the requests.

    After an optional *prelude* (e.g. a 429), request *i* gets page *i*; one request past
    the last page gets an empty page (offset paging must ask to learn it has ended); any
    further request fails the test: the paginator does not end.
    """

    def __init__(
        self, envelope: Callable[..., Reply], pages: Sequence[Sequence[Any]], prelude: Sequence[Reply] = ()
    ) -> None:
        self.envelope = envelope
        self.pages = [list(p) for p in pages]
        self.prelude = list(prelude)
        self.requests: list[requests.PreparedRequest] = []
        self._served = 0

    def __call__(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        """The ``responses`` callback."""
        self.requests.append(request)
        if self.prelude:
            return self.prelude.pop(0).render()
        index = self._served
        self._served += 1
        if index < len(self.pages):
            return self.envelope(self.pages[index], page=index + 1, last=index == len(self.pages) - 1).render()
        if index == len(self.pages):
            return self.envelope([], page=index + 1, last=True).render()
        raise AssertionError(
            f"the backend asked for page {index + 1} but only {len(self.pages)} exist: pagination does not end"
        )

    @property
    def calls(self) -> int:
        """How many requests were served (prelude included)."""
        return len(self.requests)


class BackendContract(_Base):
    """The contract every backend plugin passes. Subclass it as ``TestMyBackendContract``.

    Provide:

    * ``list_url`` (and ``list_method``): the listing endpoint :meth:`stream` reads;
    * ``page_size``: the page size the ``backend`` fixture is configured with;
    * ``secrets``: the secret values the fixture configures;
    * a ``backend`` fixture building the backend with the ``clock`` fixture;
    * :meth:`make_record`, :meth:`break_record`, :meth:`provider_id`, :meth:`envelope`
      and :meth:`expected`, in the provider's documented shapes;
    * :meth:`write_with_key` if the backend declares any write-back capability.
    """

    list_method: ClassVar[str] = "GET"
    list_url: ClassVar[UrlPattern]
    page_size: ClassVar[int] = 3
    tenant: ClassVar[str] = DEFAULT_TENANT

    # -- to provide ---------------------------------------------------------------------
    @pytest.fixture
    def backend(self, clock: FakeClock) -> Backend:
        """Build the backend under test (override; pass ``clock`` to its HTTP client)."""
        raise NotImplementedError("override the `backend` fixture")

    def make_record(self, n: int) -> Any:
        """The provider's payload for valid record number *n* (1-based)."""
        raise NotImplementedError

    def break_record(self, record: Any) -> Any:
        """A copy of *record* with a missing or mistyped field (keeping its id)."""
        raise NotImplementedError

    def provider_id(self, record: Any) -> str:
        """The provider's id of a raw *record* (what a skip message must name)."""
        raise NotImplementedError

    def envelope(self, records: Sequence[Any], *, page: int, last: bool) -> Reply:
        """The provider's page answer around *records* (page numbers start at 1)."""
        raise NotImplementedError

    def expected(self, n: int) -> Mapping[str, Any]:
        """Attribute values the converted record *n* must have, e.g.
        ``{"id": "INV-1", "amount": Money("0.30", "EUR")}``; include every amount."""
        raise NotImplementedError

    def stream(self, backend: Backend) -> Iterator[Any]:
        """The stream under test (default: ``iter_invoices``); it must read ``list_url``."""
        return iter(backend.iter_invoices(tenant=self.tenant))

    def write_with_key(self, backend: Backend, mocked: responses.RequestsMock, key: str) -> None:
        """Perform one write-back carrying idempotency *key* (register its endpoint on *mocked*).

        Required when the backend declares any capability; the contract then checks the key
        reached the provider request (see :meth:`idempotency_key_of`).
        """
        raise NotImplementedError

    # -- provided -----------------------------------------------------------------------
    def register_pages(
        self, mocked: responses.RequestsMock, pages: Sequence[Sequence[Any]], *, prelude: Sequence[Reply] = ()
    ) -> PageServer:
        """Serve *pages* (lists of raw records) on ``list_url``, after *prelude* replies."""
        server = PageServer(self.envelope, pages, prelude)
        mocked.add_callback(self.list_method, self.list_url, callback=server)
        return server

    def _pages(self, *sizes: int) -> list[list[Any]]:
        pages: list[list[Any]] = []
        n = 1
        for size in sizes:
            pages.append([self.make_record(i) for i in range(n, n + size)])
            n += size
        return pages

    def _check(self, record: Any, n: int) -> None:
        for name, value in self.expected(n).items():
            actual = getattr(record, name)
            assert actual == value, f"record {n}: {name} is {actual!r}, expected {value!r}"

    # -- the contract -------------------------------------------------------------------
    def test_contract_is_a_backend(self, backend: Backend) -> None:
        """The object satisfies the Backend protocol with typed capabilities."""
        assert isinstance(backend, Backend)
        assert isinstance(backend.name, str) and backend.name
        assert isinstance(backend.capabilities, frozenset)
        assert all(isinstance(c, Capability) for c in backend.capabilities)

    def test_contract_reads_every_page_and_stops(self, backend: Backend, mocked: responses.RequestsMock) -> None:
        """Two full pages and a short one: every record, in order, and the paging ends."""
        size = self.page_size
        server = self.register_pages(mocked, self._pages(size, size, 1))
        records = list(self.stream(backend))
        assert len(records) == 2 * size + 1
        for n, record in enumerate(records, start=1):
            self._check(record, n)
        assert server.calls <= 4

    def test_contract_full_last_page_ends(self, backend: Backend, mocked: responses.RequestsMock) -> None:
        """A last page that happens to be full still ends the paging."""
        size = self.page_size
        server = self.register_pages(mocked, self._pages(size, size))
        assert len(list(self.stream(backend))) == 2 * size
        assert server.calls <= 3

    def test_contract_empty_listing(self, backend: Backend, mocked: responses.RequestsMock) -> None:
        """An empty first page yields nothing and ends."""
        server = self.register_pages(mocked, [[]])
        assert list(self.stream(backend)) == []
        assert server.calls <= 2

    def test_contract_rate_limited_then_success(
        self, backend: Backend, mocked: responses.RequestsMock, clock: FakeClock
    ) -> None:
        """A 429 with ``Retry-After: 3`` is waited out on the fake clock, then reading goes on."""
        self.register_pages(mocked, self._pages(2), prelude=[self.rate_limited_response("3")])
        assert len(list(self.stream(backend))) == 2
        assert 3.0 in clock.sleeps

    def test_contract_auth_failure_raises_auth_error(
        self, backend: Backend, mocked: responses.RequestsMock, clock: FakeClock
    ) -> None:
        """Refused credentials raise AuthError after one call, without waiting."""
        server = self.register_pages(mocked, self._pages(1), prelude=[self.auth_failure_response()])
        with pytest.raises(AuthError):
            list(self.stream(backend))
        assert server.calls == 1
        assert clock.sleeps == []

    def test_contract_amounts_are_exact_decimals(self, backend: Backend, mocked: responses.RequestsMock) -> None:
        """Converted records hold the expected exact amounts and no float anywhere."""
        self.register_pages(mocked, self._pages(2))
        records = list(self.stream(backend))
        assert len(records) == 2
        for n, record in enumerate(records, start=1):
            self._check(record, n)
            assert _walk_for_floats(record, "record") == []
            assert any(isinstance(v, Money) for v in self.expected(n).values()), (
                "expected() must include at least one Money amount"
            )

    def test_contract_malformed_record_is_skipped_and_logged(
        self, backend: Backend, mocked: responses.RequestsMock, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A bad record is skipped with a WARNING naming its provider id; the others are read."""
        caplog.set_level(logging.WARNING)
        first, second, third = (self.make_record(n) for n in (1, 2, 3))
        broken = self.break_record(second)
        self.register_pages(mocked, [[first, broken, third]])
        records = list(self.stream(backend))
        assert len(records) == 2
        self._check(records[0], 1)
        self._check(records[1], 3)
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert any(self.provider_id(broken) in w for w in warnings), warnings

    def test_contract_records_sync_time(
        self, backend: Backend, mocked: responses.RequestsMock, clock: FakeClock
    ) -> None:
        """A complete read records the clock's time in ``last_synced``; a failed one does not."""
        assert backend.last_synced(tenant=self.tenant) is None
        self.register_pages(mocked, self._pages(1))
        list(self.stream(backend))
        synced = clock.now()
        assert backend.last_synced(tenant=self.tenant) == synced
        assert isinstance(synced, dt.datetime) and synced.tzinfo is not None
        clock.advance(3600)
        mocked.reset()
        self.register_pages(mocked, [], prelude=[self.auth_failure_response()])
        with pytest.raises(AuthError):
            list(self.stream(backend))
        assert backend.last_synced(tenant=self.tenant) == synced

    def test_contract_idempotency_key_propagation(self, backend: Backend, mocked: responses.RequestsMock) -> None:
        """A backend that writes back passes the idempotency key to the provider."""
        key = "default:D-1:penalty:1:charge"
        try:
            self.write_with_key(backend, mocked, key)
        except NotImplementedError:
            assert not backend.capabilities, (
                "the backend declares write-back capabilities: implement write_with_key in the contract"
            )
            pytest.skip("read-only backend: no write carries an idempotency key")
        assert mocked.calls, "write_with_key made no request"
        assert self.idempotency_key_of(mocked.calls[-1].request) == key

    def test_contract_no_secret_in_logs(
        self, backend: Backend, mocked: responses.RequestsMock, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Secrets never appear in logs or error messages, even when requests fail."""
        caplog.set_level(logging.DEBUG)
        self.register_pages(mocked, self._pages(1), prelude=[self.rate_limited_response("1")])
        list(self.stream(backend))
        mocked.reset()
        self.register_pages(mocked, [], prelude=[self.auth_failure_response()])
        with pytest.raises(AuthError) as failure:
            list(self.stream(backend))
        self._assert_no_secrets([caplog.text, str(failure.value)])
