"""In-memory stand-ins for tests: a fake clock, channel and backend, and temporary registration.

Nothing here touches the network, the disk or the real clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from cobrokit.backend import Backend, BackendType, Capability
from cobrokit.channel import Channel, ChannelType, DeliveryReceipt, DeliveryStatus, Message
from cobrokit.errors import AdapterError
from cobrokit.http import Clock
from cobrokit.model import DEFAULT_TENANT, CreditNote, Debtor, Invoice, Payment
from cobrokit.money import Money
from cobrokit.plugins.manager import PluginHost
from cobrokit.plugins.markers import hookimpl

__all__ = [
    "FakeBackend",
    "FakeChannel",
    "FakeClock",
    "backend_plugin",
    "channel_plugin",
    "register_temp",
]

DEFAULT_START = dt.datetime(2025, 1, 15, 9, 0, tzinfo=dt.UTC)
"""When a :class:`FakeClock` starts unless told otherwise."""


class FakeClock:
    """A :class:`cobrokit.http.Clock` that never waits: ``sleep`` records and advances time.

    Attributes:
        sleeps: every requested sleep, in order (seconds).
        jitter_value: what :meth:`jitter` returns (default 0.5, so a backoff of cap *c*
            waits exactly ``c / 2``).
    """

    def __init__(self, start: dt.datetime = DEFAULT_START, *, jitter: float = 0.5) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware start datetime")
        self._now = start
        self._mono = 1000.0
        self.jitter_value = jitter
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        """Record *seconds* and move the clock forward by them."""
        self.sleeps.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        """Move both clocks forward without recording a sleep."""
        self._mono += seconds
        self._now += dt.timedelta(seconds=seconds)

    def monotonic(self) -> float:
        """The fake monotonic time."""
        return self._mono

    def now(self) -> dt.datetime:
        """The fake aware UTC time."""
        return self._now

    def jitter(self) -> float:
        """The fixed jitter value."""
        return self.jitter_value


class FakeChannel:
    """A channel that records messages instead of sending them.

    Args:
        name: the channel name.
        honours_idempotency: when true, a second send with the same key returns the first
            receipt and records nothing (what a provider with idempotency keys does).
        outcomes: scripted results, consumed in order: a :class:`DeliveryReceipt` to
            return or an exception to raise; when exhausted every send succeeds.
    """

    def __init__(
        self,
        name: str = "fake",
        *,
        honours_idempotency: bool = True,
        outcomes: Iterable[DeliveryReceipt | Exception] = (),
    ) -> None:
        self.name = name
        self.honours_idempotency = honours_idempotency
        self.outcomes = list(outcomes)
        self.sent: list[Message] = []
        self.attempts: list[Message] = []
        self._by_key: dict[str, DeliveryReceipt] = {}

    def send(self, message: Message) -> DeliveryReceipt:
        """Record *message* and return the next scripted outcome (or a ``sent`` receipt)."""
        if self.honours_idempotency and message.key in self._by_key:
            return self._by_key[message.key]
        self.attempts.append(message)
        if self.outcomes:
            outcome = self.outcomes.pop(0)
            if isinstance(outcome, Exception):
                raise outcome
            receipt = outcome
        else:
            receipt = DeliveryReceipt(DeliveryStatus.SENT, provider_id=f"{self.name}-{len(self.sent) + 1}")
        if receipt.ok:
            self.sent.append(message)
            self._by_key[message.key] = receipt
        return receipt

    def channel_type(self) -> ChannelType:
        """A :class:`ChannelType` whose factory returns this very channel."""
        return ChannelType(name=self.name, factory=lambda settings: self, summary="in-memory fake channel")


class FakeBackend:
    """A backend serving the records it was given, filtered by tenant.

    ``last_synced`` becomes the clock's time when :meth:`iter_payments` is read to the end.
    Records are plain lists: tests may append to them after construction.

    It has every write-back method and records the calls; which ones it *declares* is up to
    ``capabilities`` (:func:`cobrokit.backend.supports` is true only for those). Like a
    provider honouring idempotency keys, a write repeated with the same ``key`` acts once.
    """

    def __init__(
        self,
        name: str = "fake",
        *,
        debtors: Iterable[Debtor] = (),
        invoices: Iterable[Invoice] = (),
        payments: Iterable[Payment] = (),
        credit_notes: Iterable[CreditNote] = (),
        capabilities: Iterable[Capability] = (),
        clock: Clock | None = None,
        failure: AdapterError | None = None,
        write_failures: Iterable[Exception] = (),
    ) -> None:
        self.name = name
        self.debtors = list(debtors)
        self.invoices = list(invoices)
        self.payments = list(payments)
        self.credit_notes = list(credit_notes)
        self.capabilities = frozenset(capabilities)
        self.clock: Clock = clock or FakeClock()
        self.failure = failure
        """When set, every ``iter_*`` raises it (to test how callers handle a dead backend)."""
        self.write_failures = list(write_failures)
        """Scripted failures, raised in order by the next write-back calls (then they succeed)."""
        self.attempts: list[tuple[str, dict[str, Any]]] = []
        """Every write-back call, in order: ``(method, keyword arguments)``."""
        self.writes: dict[str, tuple[str, dict[str, Any]]] = {}
        """The write-backs that took effect, by idempotency key (a repeated key acts once)."""
        self._synced: dict[str, dt.datetime] = {}

    def _stream(self, records: list[Any], tenant: str) -> Iterator[Any]:
        if self.failure is not None:
            raise self.failure
        yield from (r for r in records if r.tenant == tenant)

    def iter_debtors(self, *, tenant: str = DEFAULT_TENANT, since: dt.datetime | None = None) -> Iterator[Debtor]:
        """The tenant's debtors (``since`` is ignored: everything is always fresh)."""
        return self._stream(self.debtors, tenant)

    def iter_invoices(self, *, tenant: str = DEFAULT_TENANT, since: dt.datetime | None = None) -> Iterator[Invoice]:
        """The tenant's invoices."""
        return self._stream(self.invoices, tenant)

    def iter_payments(self, *, tenant: str = DEFAULT_TENANT, since: dt.datetime | None = None) -> Iterator[Payment]:
        """The tenant's payments; reading them all records the sync time."""
        yield from self._stream(self.payments, tenant)
        self._synced[tenant] = self.clock.now()

    def iter_credit_notes(
        self, *, tenant: str = DEFAULT_TENANT, since: dt.datetime | None = None
    ) -> Iterator[CreditNote]:
        """The tenant's credit notes."""
        return self._stream(self.credit_notes, tenant)

    def last_synced(self, *, tenant: str = DEFAULT_TENANT) -> dt.datetime | None:
        """When the tenant's payments were last read to the end."""
        return self._synced.get(tenant)

    def backend_type(self) -> BackendType:
        """A :class:`BackendType` whose factory returns this very backend."""
        return BackendType(name=self.name, factory=lambda settings: self, summary="in-memory fake backend")

    # -- write-back: recorded, never sent anywhere -------------------------------------------
    def _write(self, method: str, key: str, arguments: dict[str, Any]) -> str:
        call = {"key": key, **arguments}
        self.attempts.append((method, call))
        if self.write_failures:
            raise self.write_failures.pop(0)
        self.writes.setdefault(key, (method, call))
        return f"{self.name}: {method} {key}"

    def post_charge(
        self,
        *,
        tenant: str,
        debtor_id: str,
        amount: Money,
        description: str,
        key: str,
        invoice_id: str = "",
    ) -> str:
        """Record a charge (:attr:`Capability.POST_CHARGE`)."""
        arguments = {"tenant": tenant, "debtor_id": debtor_id, "amount": amount, "description": description}
        return self._write("post_charge", key, {**arguments, "invoice_id": invoice_id})

    def add_note(self, *, tenant: str, debtor_id: str, text: str, key: str, invoice_id: str = "") -> str:
        """Record a note (:attr:`Capability.ADD_NOTE`)."""
        return self._write(
            "add_note", key, {"tenant": tenant, "debtor_id": debtor_id, "text": text, "invoice_id": invoice_id}
        )

    def set_credit_hold(self, *, tenant: str, debtor_id: str, hold: bool, reason: str, key: str) -> str:
        """Record a credit hold set or cleared (:attr:`Capability.CREDIT_HOLD`)."""
        return self._write(
            "set_credit_hold", key, {"tenant": tenant, "debtor_id": debtor_id, "hold": hold, "reason": reason}
        )

    def register_plan(
        self,
        *,
        tenant: str,
        debtor_id: str,
        plan_id: str,
        instalments: Sequence[tuple[dt.date, Money]],
        key: str,
    ) -> str:
        """Record a payment plan (:attr:`Capability.REGISTER_PLAN`)."""
        arguments = {"tenant": tenant, "debtor_id": debtor_id, "plan_id": plan_id, "instalments": list(instalments)}
        return self._write("register_plan", key, arguments)

    def payment_link(self, *, tenant: str, debtor_id: str, invoice_ids: Sequence[str]) -> str | None:
        """A made-up ``https://`` link (:attr:`Capability.PAYMENT_LINK`)."""
        return f"https://pay.example/{tenant}/{debtor_id}?invoices={','.join(invoice_ids)}"

    def suspend_service(self, *, tenant: str, debtor_id: str, key: str) -> str:
        """Record a suspension (:attr:`Capability.SUSPEND_SERVICE`)."""
        return self._write("suspend_service", key, {"tenant": tenant, "debtor_id": debtor_id})

    def restore_service(self, *, tenant: str, debtor_id: str, key: str) -> str:
        """Record a restoration (:attr:`Capability.SUSPEND_SERVICE`)."""
        return self._write("restore_service", key, {"tenant": tenant, "debtor_id": debtor_id})


class _Registrar:
    """A plugin object announcing fixed channel and backend types."""

    def __init__(self, channels: Iterable[ChannelType], backends: Iterable[BackendType]) -> None:
        self._channels = list(channels)
        self._backends = list(backends)

    @hookimpl
    def cobrokit_register_channels(self) -> list[ChannelType]:
        """The channel types given at construction."""
        return list(self._channels)

    @hookimpl
    def cobrokit_register_backends(self) -> list[BackendType]:
        """The backend types given at construction."""
        return list(self._backends)


def channel_plugin(*channels: Channel | ChannelType) -> object:
    """A plugin object registering *channels* (channel objects or :class:`ChannelType`)."""
    types = [
        c if isinstance(c, ChannelType) else ChannelType(name=c.name, factory=lambda settings, c=c: c)  # type: ignore[misc]
        for c in channels
    ]
    return _Registrar(types, ())


def backend_plugin(*backends: Backend | BackendType) -> object:
    """A plugin object registering *backends* (backend objects or :class:`BackendType`)."""
    types = [
        b if isinstance(b, BackendType) else BackendType(name=b.name, factory=lambda settings, b=b: b)  # type: ignore[misc]
        for b in backends
    ]
    return _Registrar((), types)


@contextmanager
def register_temp(host: PluginHost, plugin: object, name: str) -> Iterator[object]:
    """Register *plugin* on *host* under *name* for the duration of a ``with`` block.

    Example::

        with register_temp(cobrokit_host, channel_plugin(FakeChannel("sms")), "fake-sms"):
            assert "sms" in cobrokit_host.channels()
    """
    host.register(plugin, name)
    try:
        yield plugin
    finally:
        if host.pm.get_plugin(name) is not None:
            host.pm.unregister(name=name)
        host._dists.pop(name, None)
