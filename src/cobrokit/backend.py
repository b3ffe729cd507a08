"""The backend protocol: where debtors, invoices and payments come from.

A *backend* is an accounting system (the embedded SQLite ledger, Odoo, Xero, Stripe,
Beancount, an in-house database…). Plugins announce backends through the
``cobrokit_register_backends`` hook by returning :class:`BackendType` objects; cobrokit
calls the factory with the backend's settings to get a :class:`Backend`.

Reading is mandatory; writing back is optional and declared in
:attr:`Backend.capabilities`, so the engine never calls what a backend does not support.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol, runtime_checkable

import attrs

from cobrokit.model import CreditNote, Debtor, Invoice, Payment

__all__ = ["Backend", "BackendType", "Capability"]


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

    def iter_invoices(
        self, *, tenant: str, since: dt.datetime | None = None
    ) -> Iterator[Invoice]:
        """Stream the tenant's invoices that are (or were recently) open."""
        ...

    def iter_payments(
        self, *, tenant: str, since: dt.datetime | None = None
    ) -> Iterator[Payment]:
        """Stream the tenant's payments."""
        ...

    def iter_credit_notes(
        self, *, tenant: str, since: dt.datetime | None = None
    ) -> Iterator[CreditNote]:
        """Stream the tenant's credit notes."""
        ...

    def last_synced(self, *, tenant: str) -> dt.datetime | None:
        """When payments were last brought up to date (for the freshness guard)."""
        ...


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
