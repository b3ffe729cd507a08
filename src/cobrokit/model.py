"""The ledger's value objects: debtors, invoices, payments and credit notes.

All records are frozen, slotted attrs classes that validate themselves on construction and
raise a :class:`~cobrokit.errors.ValidationError` naming the record and the field. Every
record carries a ``tenant``: the creditor it belongs to, so one store can serve several
companies without mixing their data.

Adapters build these objects with plain functions from their provider's payloads
(never ``Invoice(**payload)``).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from cobrokit.errors import (
    CurrencyMismatchError,
    DateOrderError,
    InvalidAmountError,
    MalformedDateError,
    UnknownReferenceError,
    ValidationError,
)
from cobrokit.money import Money, quantum

_Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]

__all__ = [
    "DEFAULT_TENANT",
    "Address",
    "Allocation",
    "CreditNote",
    "Debtor",
    "Invoice",
    "Payment",
    "PaymentMethod",
]

DEFAULT_TENANT = "default"
"""Tenant (creditor) id used when none is given."""


def _nonempty(label: str) -> _Validator:
    def check(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(_record(label, instance), attribute.name, "must not be empty")

    return check


def _record(label: str, instance: object) -> str:
    ident = getattr(instance, "id", None)
    return f"{label} {ident.strip()}" if isinstance(ident, str) and ident.strip() else label


def _check_date(label: str) -> _Validator:
    def check(instance: object, attribute: attrs.Attribute[dt.date], value: object) -> None:
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise MalformedDateError(_record(label, instance), attribute.name, f"{value!r} is not a date")

    return check


def _check_money(label: str, *, positive: bool) -> _Validator:
    def check(instance: object, attribute: attrs.Attribute[Money], value: object) -> None:
        record = _record(label, instance)
        if not isinstance(value, Money):
            raise InvalidAmountError(record, attribute.name, f"{value!r} is not Money")
        if positive and value.amount <= 0:
            raise InvalidAmountError(record, attribute.name, f"must be positive, got {value.amount}")
        if value.amount != value.amount.quantize(quantum(value.currency)):
            raise InvalidAmountError(
                record,
                attribute.name,
                f"{value.amount} has more decimals than {value.currency} allows ({value.decimals})",
            )

    return check


def _tuple_of_str(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(p.strip() for p in value.replace(";", ",").split(",") if p.strip())
    return tuple(str(v) for v in value)  # type: ignore[attr-defined]


def _frozenset_of_str(value: object) -> frozenset[str]:
    return frozenset(_tuple_of_str(value))


@attrs.frozen(slots=True)
class Address:
    """A postal address, as printed on a letter."""

    lines: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    city: str = ""
    postal_code: str = ""
    region: str = ""
    """Subdivision code used for regional holidays (``"MD"`` for Madrid, ``"CA"``…)."""
    country: str = ""


@attrs.frozen(slots=True)
class Debtor:
    """Someone who owes the creditor money (*deudor*).

    ``cease_contact`` (the debtor asked not to be contacted) and ``insolvent`` (insolvency
    proceedings: individual collection must stop) are hard stops for the ladder;
    ``hold`` is a manual pause set by the creditor.
    """

    id: str = attrs.field(validator=_nonempty("debtor"))
    name: str = attrs.field(validator=_nonempty("debtor"))
    tenant: str = DEFAULT_TENANT
    tax_id: str = ""
    emails: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    phones: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    address: Address = attrs.field(factory=Address)
    locale: str = "en"
    timezone: str = "UTC"
    country: str = ""
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_frozenset_of_str)
    cease_contact: bool = False
    insolvent: bool = False
    hold: bool = False

    @property
    def record(self) -> str:
        """How errors and logs name this record."""
        return f"debtor {self.id}"


@attrs.frozen(slots=True)
class Invoice:
    """An invoice the creditor issued (*factura*). ``amount`` is the total due, tax included."""

    id: str = attrs.field(validator=_nonempty("invoice"))
    debtor_id: str = attrs.field(validator=_nonempty("invoice"))
    issue_date: dt.date = attrs.field(validator=_check_date("invoice"))
    due_date: dt.date = attrs.field(validator=_check_date("invoice"))
    amount: Money = attrs.field(validator=_check_money("invoice", positive=True))
    tenant: str = DEFAULT_TENANT
    number: str = ""
    external_ref: str = ""
    source: str = "sqlite"
    disputed: bool = False
    hold: bool = False

    def __attrs_post_init__(self) -> None:
        if self.due_date < self.issue_date:
            raise DateOrderError(
                self.record,
                "due_date",
                f"{self.due_date.isoformat()} is before the issue date {self.issue_date.isoformat()}",
            )

    @property
    def currency(self) -> str:
        """The invoice's currency code."""
        return self.amount.currency

    @property
    def record(self) -> str:
        """How errors and logs name this record."""
        return f"invoice {self.id}"


class PaymentMethod(enum.StrEnum):
    """How a payment was made. ``IN_KIND`` is a settlement in goods or services."""

    TRANSFER = "transfer"
    CARD = "card"
    CASH = "cash"
    DIRECT_DEBIT = "direct_debit"
    CHEQUE = "cheque"
    IN_KIND = "in_kind"
    OTHER = "other"


@attrs.frozen(slots=True)
class Allocation:
    """The part of a payment applied to one invoice."""

    invoice_id: str
    amount: Money


def _allocations(value: Iterable[Allocation]) -> tuple[Allocation, ...]:
    return tuple(value)


@attrs.frozen(slots=True)
class Payment:
    """Money (or agreed value, for ``in_kind``) received from a debtor.

    ``allocations`` say which invoices the payment settles; a payment with no allocations
    is *on account* (it reduces the debtor's balance but no particular invoice).
    """

    id: str = attrs.field(validator=_nonempty("payment"))
    debtor_id: str = attrs.field(validator=_nonempty("payment"))
    date: dt.date = attrs.field(validator=_check_date("payment"))
    amount: Money = attrs.field(validator=_check_money("payment", positive=True))
    tenant: str = DEFAULT_TENANT
    method: PaymentMethod = attrs.field(default=PaymentMethod.TRANSFER, converter=PaymentMethod)
    allocations: tuple[Allocation, ...] = attrs.field(default=(), converter=_allocations)
    description: str = ""
    external_ref: str = ""

    def __attrs_post_init__(self) -> None:
        total = Money.zero(self.amount.currency)
        for allocation in self.allocations:
            if allocation.amount.currency != self.amount.currency:
                raise CurrencyMismatchError(
                    self.record,
                    "allocations",
                    f"allocation to {allocation.invoice_id} is in {allocation.amount.currency}, "
                    f"payment is in {self.amount.currency}",
                )
            if allocation.amount.amount <= 0:
                raise InvalidAmountError(
                    self.record, "allocations", f"allocation to {allocation.invoice_id} must be positive"
                )
            total = total + allocation.amount
        if total > self.amount:
            raise InvalidAmountError(
                self.record,
                "allocations",
                f"allocations total {total} exceeds the payment {self.amount}",
            )
        if self.method is PaymentMethod.IN_KIND and not self.description.strip():
            raise ValidationError(self.record, "description", "an in-kind payment must describe what was given")

    @property
    def on_account(self) -> Money:
        """The part not allocated to any invoice."""
        return self.amount - Money.total((a.amount for a in self.allocations), self.amount.currency)

    @property
    def record(self) -> str:
        """How errors and logs name this record."""
        return f"payment {self.id}"


@attrs.frozen(slots=True)
class CreditNote:
    """A credit note (*factura rectificativa*/*abono*) reducing what a debtor owes.

    With ``invoice_id`` it reduces that invoice; without, it is a credit on account.
    """

    id: str = attrs.field(validator=_nonempty("credit note"))
    debtor_id: str = attrs.field(validator=_nonempty("credit note"))
    date: dt.date = attrs.field(validator=_check_date("credit note"))
    amount: Money = attrs.field(validator=_check_money("credit note", positive=True))
    tenant: str = DEFAULT_TENANT
    invoice_id: str = ""
    reason: str = ""

    @property
    def record(self) -> str:
        """How errors and logs name this record."""
        return f"credit note {self.id}"


def check_references(invoices: dict[str, Invoice], payment: Payment) -> None:
    """Check that *payment* only allocates to known invoices of the same debtor and currency.

    Raises:
        UnknownReferenceError: for an unknown invoice.
        CurrencyMismatchError: when the invoice is in another currency.
    """
    for allocation in payment.allocations:
        invoice = invoices.get(allocation.invoice_id)
        if invoice is None:
            raise UnknownReferenceError(payment.record, "invoice_id", f"unknown invoice {allocation.invoice_id!r}")
        if invoice.currency != allocation.amount.currency:
            raise CurrencyMismatchError(
                payment.record,
                "currency",
                f"payment in {allocation.amount.currency} for invoice {invoice.id} in {invoice.currency}",
            )
