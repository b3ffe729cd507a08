"""The backend protocol: where debtors, invoices and payments come from.

A *backend* is an accounting system (the embedded SQLite ledger, Odoo, Xero, Stripe,
Beancount, an in-house database…). Plugins announce backends through the
``cobrokit_register_backends`` hook by returning :class:`BackendType` objects; cobrokit
calls the factory with the backend's settings to get a :class:`Backend`.

Reading is mandatory; writing back is optional and declared in
:attr:`Backend.capabilities`, so the engine never calls what a backend does not support.
Each :class:`Capability` has its own small protocol (:class:`PostsCharges`,
:class:`AddsNotes`, :class:`SetsCreditHold`, :class:`RegistersPlans`,
:class:`GivesPaymentLinks`, :class:`SuspendsService`); :func:`supports` says whether a
backend both declares a capability and has its methods. Every write takes an idempotency
``key`` (the effect's deterministic key) that the backend passes to its provider, so a
retried write never acts twice. See ``docs/backends.md``.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import enum
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

import attrs

from cobrokit.model import CreditNote, Debtor, Invoice, Payment
from cobrokit.money import Money

__all__ = [
    "CAPABILITY_METHODS",
    "AddsNotes",
    "Backend",
    "BackendType",
    "Capability",
    "GivesPaymentLinks",
    "LazyBackend",
    "ListsOpenInvoices",
    "PostsCharges",
    "RegistersPlans",
    "SetsCreditHold",
    "SuspendsService",
    "counting_skips",
    "report_skip",
    "supports",
]


B = TypeVar("B")


class LazyBackend(Generic[B]):
    """A plugin's backend given as itself, or as a factory that builds it on first use.

    The factory may return ``None`` (the plugin is not configured); it is called again until
    it gives a backend. Effect hooks hold one of these, so that merely loading a plugin never
    reads credentials or opens a connection.
    """

    def __init__(self, backend: B | Callable[[], B | None], kind: type[B]) -> None:
        self._source = backend
        self._built: B | None = backend if isinstance(backend, kind) else None

    def __call__(self) -> B | None:
        """The backend (built now if needed), or ``None`` when not configured."""
        if self._built is None and callable(self._source):
            self._built = self._source()
        return self._built


RECORD_KINDS = {
    "debtors": "debtors",
    "debtor": "debtors",
    "customer": "debtors",
    "contact": "debtors",
    "client": "debtors",
    "invoices": "invoices",
    "invoice": "invoices",
    "payments": "payments",
    "payment": "payments",
    "receipt": "payments",
    "charge": "payments",
    "credit_notes": "credit_notes",
    "credit_note": "credit_notes",
    "credit note": "credit_notes",
    "refund": "credit_notes",
}
"""How a backend may name the kind of a record it skips → the sync's kind."""

_SKIPS: contextvars.ContextVar[dict[tuple[str, str], None] | None] = contextvars.ContextVar(
    "cobrokit_backend_skips", default=None
)


def report_skip(kind: str, record_id: str) -> None:
    """Tell the sync that is reading this backend that it left a record out.

    A backend skips a record it cannot convert (and logs why); calling this too makes the
    sync's report count it (``cobrokit sync``: ``invoices: … 1 skipped``).
    :func:`cobrokit.http.convert_records` calls it for you. The same record reported twice
    (a backend reading its source once per stream) counts once. Outside a sync: nothing.
    """
    seen = _SKIPS.get()
    if seen is not None:
        seen[RECORD_KINDS.get(kind.lower(), kind), str(record_id)] = None


@contextlib.contextmanager
def counting_skips() -> Iterator[dict[tuple[str, str], None]]:
    """Collect the ``(kind, record id)`` of every :func:`report_skip` made inside the block."""
    seen: dict[tuple[str, str], None] = {}
    token = _SKIPS.set(seen)
    try:
        yield seen
    finally:
        _SKIPS.reset(token)


class Capability(enum.StrEnum):
    """Optional write-back operations a backend may support."""

    POST_CHARGE = "post_charge"
    """Post interest or a fee as a charge or debit note."""
    ADD_NOTE = "add_note"
    """Add a note to the customer record saying what was sent."""
    CREDIT_HOLD = "credit_hold"
    """Set or clear a credit hold on the customer."""
    REGISTER_PLAN = "register_plan"
    """Register a payment plan in the books."""
    PAYMENT_LINK = "payment_link"
    """Give a pay-now link for a debtor's invoices."""
    SUSPEND_SERVICE = "suspend_service"
    """Suspend and restore the service ("no pay, no service")."""


@runtime_checkable
class Backend(Protocol):
    """What cobrokit reads from an accounting system.

    Every ``iter_*`` method streams records for one tenant; ``since`` (an aware UTC
    datetime) asks only for records changed since then, when the backend can tell.
    A record the backend cannot convert is skipped with a logged reason naming the
    provider's id; it never stops the stream.
    """

    name: str
    capabilities: frozenset[Capability]

    def iter_debtors(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[Debtor]:
        """Stream the tenant's debtors."""
        ...

    def iter_invoices(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[Invoice]:
        """Stream the tenant's invoices that are (or were recently) open."""
        ...

    def iter_payments(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[Payment]:
        """Stream the tenant's payments."""
        ...

    def iter_credit_notes(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[CreditNote]:
        """Stream the tenant's credit notes."""
        ...

    def last_synced(self, *, tenant: str) -> dt.datetime | None:
        """When payments were last brought up to date (for the freshness guard)."""
        ...


@runtime_checkable
class ListsOpenInvoices(Protocol):
    """Optional: a backend whose complete read (``since=None``) lists *every* open invoice.

    After such a read, :func:`cobrokit.sync.sync` takes an invoice it synced from this
    backend earlier, still open in the store, that the backend no longer lists, as settled
    at the source (paid, voided or credited there) and stops chasing it.
    """

    def listed_invoice_ids(self, *, tenant: str) -> frozenset[str] | None:
        """Ids of every invoice the last complete read listed — converted *or skipped* as
        malformed — or ``None`` when no complete read has happened."""
        ...


# -- write-back, one protocol per capability -----------------------------------------------------
#
# Every method returns a short description of what was done (recorded in the journal) and
# takes ``key``: the effect's deterministic idempotency key, which the backend passes to
# its provider (an ``Idempotency-Key`` header, QuickBooks' ``requestid``…) so that a retry
# after a crash never acts twice.


@runtime_checkable
class PostsCharges(Protocol):
    """:attr:`Capability.POST_CHARGE`: post interest or a fee as a charge or debit note."""

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
        """Post *amount* to the debtor (about *invoice_id* when given)."""
        ...


@runtime_checkable
class AddsNotes(Protocol):
    """:attr:`Capability.ADD_NOTE`: note on the customer record what was sent."""

    def add_note(self, *, tenant: str, debtor_id: str, text: str, key: str, invoice_id: str = "") -> str:
        """Add *text* to the debtor's record (or to *invoice_id*'s history when given)."""
        ...


@runtime_checkable
class SetsCreditHold(Protocol):
    """:attr:`Capability.CREDIT_HOLD`: set or clear a credit hold on the customer."""

    def set_credit_hold(self, *, tenant: str, debtor_id: str, hold: bool, reason: str, key: str) -> str:
        """Put the debtor on credit hold (``hold=True``) or release it."""
        ...


@runtime_checkable
class RegistersPlans(Protocol):
    """:attr:`Capability.REGISTER_PLAN`: record an agreed payment plan in the books."""

    def register_plan(
        self,
        *,
        tenant: str,
        debtor_id: str,
        plan_id: str,
        instalments: Sequence[tuple[dt.date, Money]],
        key: str,
    ) -> str:
        """Record plan *plan_id*: the instalments' due dates and amounts."""
        ...


@runtime_checkable
class GivesPaymentLinks(Protocol):
    """:attr:`Capability.PAYMENT_LINK`: give a pay-now URL for a debtor's invoices."""

    def payment_link(self, *, tenant: str, debtor_id: str, invoice_ids: Sequence[str]) -> str | None:
        """An ``https://`` URL where the debtor can pay, or ``None`` when there is none."""
        ...


@runtime_checkable
class SuspendsService(Protocol):
    """:attr:`Capability.SUSPEND_SERVICE`: "no pay, no service", and its undoing."""

    def suspend_service(self, *, tenant: str, debtor_id: str, key: str) -> str:
        """Suspend the debtor's service."""
        ...

    def restore_service(self, *, tenant: str, debtor_id: str, key: str) -> str:
        """Restore a service :meth:`suspend_service` suspended."""
        ...


CAPABILITY_METHODS: Mapping[Capability, tuple[str, ...]] = {
    Capability.POST_CHARGE: ("post_charge",),
    Capability.ADD_NOTE: ("add_note",),
    Capability.CREDIT_HOLD: ("set_credit_hold",),
    Capability.REGISTER_PLAN: ("register_plan",),
    Capability.PAYMENT_LINK: ("payment_link",),
    Capability.SUSPEND_SERVICE: ("suspend_service", "restore_service"),
}
"""The methods a backend must have for each capability it declares."""


def supports(backend: object, capability: Capability) -> bool:
    """True when *backend* declares *capability* **and** has its methods.

    Callers (the engine, hook implementations) check this before writing back, so a
    backend is never asked for something it did not declare.
    """
    declared: frozenset[Capability] = getattr(backend, "capabilities", frozenset())
    if capability not in declared:
        return False
    return all(callable(getattr(backend, method, None)) for method in CAPABILITY_METHODS[capability])


BackendFactory = Callable[[Mapping[str, Any]], Backend]


@attrs.frozen(slots=True)
class BackendType:
    """A kind of backend a plugin offers.

    Attributes:
        name: the name users select it by (``"sqlite"``, ``"xero"``); unique across plugins.
        factory: called with the backend's settings mapping, returns a :class:`Backend`.
        summary: one line for ``cobrokit plugins``.
        settings: the setting names the factory understands (for docs and validation).
    """

    name: str
    factory: BackendFactory
    summary: str = ""
    settings: tuple[str, ...] = ()
