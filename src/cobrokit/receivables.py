"""Backends built on a provider's listing of receivable invoices.

Most accounting APIs answer "which customer invoices are still open, and how much is left
on each?" with one listing: Odoo's ``account.move`` with ``amount_residual``, Xero's
``AmountDue``, QuickBooks' ``Balance``, Stripe's ``amount_remaining``, ERPNext's
``outstanding_amount``, Alegra's ``balance``, Holded's ``paymentsPending``. Each listed
invoice carries its customer, its total and its open balance.

A plugin turns one listed record into a :class:`Receivable` (a plain mapping function) and
subclasses :class:`ReceivablesBackend`, implementing only :meth:`~ReceivablesBackend.receivables`
(paging and conversion with :mod:`cobrokit.http`). The base class derives the four
:class:`~cobrokit.backend.Backend` streams from one read of the listing:

* debtors: each listed invoice's customer (first occurrence wins);
* invoices: with their **total** as ``amount`` (what the invoice says), ``source`` set to the
  backend's name;
* payments: those the provider reported, plus one *settlement* per partly or wholly settled
  invoice (:func:`settlement_payment`, id ``<invoice id>:settled``) standing for
  ``total − open − reported payments − credit notes``: the ledger then shows exactly the
  provider's open balance. It is dated on the provider's last change of the invoice when
  known, else on the day of the read;
* credit notes: those the provider reported.

One read serves all four streams: :func:`cobrokit.sync.sync` reads debtors, invoices,
payments, then credit notes, and only the first triggers requests. A stream read a second
time triggers a fresh read. ``last_synced`` is the time a complete read *started* (every
change before it is reflected); a read that fails leaves it unchanged.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import attrs

from cobrokit.backend import Capability
from cobrokit.errors import CurrencyMismatchError, InvalidAmountError, ValidationError
from cobrokit.http import SYSTEM_CLOCK, Clock, convert_records
from cobrokit.model import Allocation, CreditNote, Debtor, Invoice, Payment, PaymentMethod
from cobrokit.money import Money, quantum

__all__ = [
    "SETTLEMENT_SUFFIX",
    "Receivable",
    "ReceivablesBackend",
    "is_settlement",
    "settlement_id",
    "settlement_payment",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

SETTLEMENT_SUFFIX = ":settled"
"""Ends the id of a settlement payment derived from a provider's open balance."""


def settlement_id(invoice_id: str) -> str:
    """The id of the settlement payment of *invoice_id* (``"INV-1:settled"``)."""
    return f"{invoice_id}{SETTLEMENT_SUFFIX}"


def is_settlement(payment: Payment) -> bool:
    """True for a payment derived from a provider's open balance (not a reported payment)."""
    return payment.id.endswith(SETTLEMENT_SUFFIX)


def _reported(invoice: Invoice, payments: Iterable[Payment], notes: Iterable[CreditNote]) -> Money:
    total = Money.zero(invoice.currency)
    for payment in payments:
        for allocation in payment.allocations:
            if allocation.invoice_id == invoice.id:
                total = total + allocation.amount
    for note in notes:
        if note.invoice_id == invoice.id:
            total = total + note.amount
    return total


def _payment_tuple(value: Iterable[Payment]) -> tuple[Payment, ...]:
    return tuple(value)


def _note_tuple(value: Iterable[CreditNote]) -> tuple[CreditNote, ...]:
    return tuple(value)


@attrs.frozen(slots=True)
class Receivable:
    """One invoice as a provider lists it: its customer, the invoice, and what is still open.

    Attributes:
        debtor: the customer.
        invoice: the invoice, ``amount`` being its total.
        open: what the provider says is still owed (zero when settled).
        changed_on: when the provider last changed the invoice (``UpdatedDateUTC``,
            ``write_date``…), used to date the derived settlement; ``None`` if unknown.
        payments: payments the provider reported for this invoice (with allocations).
        credit_notes: credit notes the provider reported for this invoice.

    Raises:
        ValidationError: the debtor is not the invoice's, ``open`` is negative, in another
            currency, finer than the currency's minor unit, or ``open`` plus the reported
            payments and credit notes exceed the total (the provider's figures disagree).
    """

    debtor: Debtor
    invoice: Invoice
    open: Money
    changed_on: dt.date | None = None
    payments: tuple[Payment, ...] = attrs.field(default=(), converter=_payment_tuple)
    credit_notes: tuple[CreditNote, ...] = attrs.field(default=(), converter=_note_tuple)

    def __attrs_post_init__(self) -> None:
        record = self.invoice.record
        if self.debtor.id != self.invoice.debtor_id:
            raise ValidationError(record, "debtor_id", f"debtor {self.debtor.id!r} is not the invoice's")
        if self.open.currency != self.invoice.currency:
            raise CurrencyMismatchError(
                record, "open", f"open balance in {self.open.currency}, invoice in {self.invoice.currency}"
            )
        if self.open.amount < 0:
            raise InvalidAmountError(record, "open", f"must not be negative, got {self.open.amount}")
        if self.open.amount != self.open.amount.quantize(quantum(self.open.currency)):
            raise InvalidAmountError(record, "open", f"{self.open.amount} is finer than {self.open.currency} allows")
        if self.open + _reported(self.invoice, self.payments, self.credit_notes) > self.invoice.amount:
            raise InvalidAmountError(
                record,
                "open",
                f"open {self.open.format_amount()} plus reported payments and credits exceed the total "
                f"{self.invoice.amount.format_amount()}",
            )

    @property
    def settled(self) -> Money:
        """What is no longer owed: total − open."""
        return self.invoice.amount - self.open


def settlement_payment(receivable: Receivable, *, on: dt.date, source: str) -> Payment | None:
    """The payment standing for what *receivable*'s provider settled beyond what it reported.

    ``total − open − reported payments − reported credit notes``, allocated to the invoice and
    dated *on*; ``None`` when nothing is left to explain (nothing settled, or every payment
    was reported).
    """
    invoice = receivable.invoice
    amount = receivable.settled - _reported(invoice, receivable.payments, receivable.credit_notes)
    if amount.amount <= 0:
        return None
    return Payment(
        id=settlement_id(invoice.id),
        debtor_id=invoice.debtor_id,
        date=on,
        amount=amount,
        tenant=invoice.tenant,
        method=PaymentMethod.OTHER,
        allocations=(Allocation(invoice.id, amount),),
        description=f"settled at {source} (derived from its open balance)",
    )


@attrs.define(slots=True)
class _Snapshot:
    since: dt.datetime | None
    debtors: list[Debtor]
    invoices: list[Invoice]
    payments: list[Payment]
    credit_notes: list[CreditNote]
    served: set[str] = attrs.field(factory=set)


class ReceivablesBackend:
    """Base class of a backend that reads a provider's listing of receivable invoices.

    Subclasses set :attr:`name` (and :attr:`capabilities` when they write back) and
    implement :meth:`receivables`, converting raw records with :meth:`convert` so that
    malformed ones are skipped with a logged reason naming the provider's id — and still
    counted as *listed* (see :meth:`listed_invoice_ids`).

    Args:
        clock: the time source (tests pass a :class:`~cobrokit.testing.FakeClock`, the same
            one given to the :class:`~cobrokit.http.HttpClient`).
    """

    name: str = ""
    capabilities: frozenset[Capability] = frozenset()

    def __init__(self, *, clock: Clock = SYSTEM_CLOCK) -> None:
        self.clock = clock
        self._synced: dict[str, dt.datetime] = {}
        self._listed: dict[str, frozenset[str]] = {}
        self._snapshots: dict[str, _Snapshot] = {}
        self._listed_now: set[str] = set()

    # -- for subclasses ---------------------------------------------------------------------
    def receivables(self, *, tenant: str, since: dt.datetime | None) -> Iterator[Receivable]:
        """Stream the provider's receivables: every open invoice when *since* is ``None``;
        otherwise, when the provider can filter by change, those changed since then (open or
        settled). Implemented by subclasses."""
        raise NotImplementedError

    def convert(
        self,
        records: Iterable[Any],
        convert: Callable[[Any], T | None],
        *,
        kind: str,
        id_of: Callable[[Any], object],
    ) -> Iterator[T]:
        """:func:`cobrokit.http.convert_records`, also remembering every listed id."""
        listing = self._listed_now

        def tracked(record: Any) -> T | None:
            listing.add(str(id_of(record)))
            return convert(record)

        return convert_records(records, tracked, provider=self.name, kind=kind, id_of=id_of, logger=log)

    # -- the Backend protocol -------------------------------------------------------------
    def iter_debtors(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[Debtor]:
        """The customers of the listed invoices."""
        yield from self._serve(tenant, since, "debtors").debtors

    def iter_invoices(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[Invoice]:
        """The listed invoices, ``amount`` being each one's total."""
        yield from self._serve(tenant, since, "invoices").invoices

    def iter_payments(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[Payment]:
        """Reported payments and the derived settlements (see the module docstring)."""
        yield from self._serve(tenant, since, "payments").payments

    def iter_credit_notes(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[CreditNote]:
        """Reported credit notes."""
        yield from self._serve(tenant, since, "credit_notes").credit_notes

    def last_synced(self, *, tenant: str) -> dt.datetime | None:
        """When the last complete read of the listing started."""
        return self._synced.get(tenant)

    def listed_invoice_ids(self, *, tenant: str) -> frozenset[str] | None:
        """Provider ids listed by the last complete read without ``since`` (skipped ones too)."""
        return self._listed.get(tenant)

    # -- internals --------------------------------------------------------------------------
    def _serve(self, tenant: str, since: dt.datetime | None, kind: str) -> _Snapshot:
        snapshot = self._snapshots.get(tenant)
        if snapshot is None or snapshot.since != since or kind in snapshot.served:
            snapshot = self._read(tenant, since)
            self._snapshots[tenant] = snapshot
        snapshot.served.add(kind)
        return snapshot

    def _read(self, tenant: str, since: dt.datetime | None) -> _Snapshot:
        started = self.clock.now()
        self._listed_now = set()
        debtors: dict[str, Debtor] = {}
        snapshot = _Snapshot(since, [], [], [], [])
        for receivable in self.receivables(tenant=tenant, since=since):
            invoice = receivable.invoice
            self._listed_now.add(invoice.id)  # also when the subclass did not use convert()
            if invoice.source != self.name:
                invoice = attrs.evolve(invoice, source=self.name)
            debtors.setdefault(receivable.debtor.id, receivable.debtor)
            snapshot.invoices.append(invoice)
            snapshot.payments.extend(receivable.payments)
            day = receivable.changed_on or started.date()
            settled = settlement_payment(receivable, on=day, source=self.name)
            if settled is not None:
                snapshot.payments.append(settled)
            snapshot.credit_notes.extend(receivable.credit_notes)
        snapshot.debtors.extend(debtors.values())
        self._synced[tenant] = started
        if since is None:
            self._listed[tenant] = frozenset(self._listed_now)
        return snapshot
