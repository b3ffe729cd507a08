"""The Beancount backend: receivables read from a plain-text ledger with beancount itself.

Conventions (see README.md for a full example):

* an **invoice** is a transaction with an ``invoice:`` metadata key that debits a
  receivable account (``Assets:Receivable`` or below, by default): its amount is the sum of
  those debits; ``due:`` (a date) is the due date, ``debtor:`` the debtor's id (default: the
  payee), the payee the debtor's name; optional ``email:``, ``phone:``, ``tax_id:``,
  ``country:``, ``locale:`` describe the debtor;
* a **payment** is a transaction that credits a receivable account: with ``invoice:`` it is
  allocated to that invoice (and its debtor), without it is a payment on account of
  ``debtor:`` (or the payee); ``payment:`` gives it a stable id (otherwise
  ``<invoice or debtor>:<date>:<n>``);
* a credit to a receivable account with ``credit_note:`` is a **credit note** (id from the
  key) for ``invoice:``.

Amounts are beancount's own exact Decimals. A transaction that breaks the conventions is
skipped with a warning naming the file and line; beancount's own errors are logged too.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
from beancount import loader
from beancount.core import data

from cobrokit.backend import Capability, report_skip
from cobrokit.errors import CobrokitError, ConfigError, ValidationError
from cobrokit.http import SYSTEM_CLOCK, Clock
from cobrokit.model import Allocation, CreditNote, Debtor, Invoice, Payment, PaymentMethod
from cobrokit.money import Money
from cobrokit.settings import Settings

__all__ = ["SETTINGS", "BeancountBackend", "LedgerRecords", "read_ledger"]

log = logging.getLogger(__name__)

SETTINGS = ("path", "receivable_account")
"""Setting names the factory understands (see README.md)."""

_SKIP = (ValidationError, CobrokitError, KeyError, TypeError, ValueError, ArithmeticError)


@attrs.frozen(slots=True)
class LedgerRecords:
    """Everything read from one ledger for one tenant."""

    debtors: tuple[Debtor, ...]
    invoices: tuple[Invoice, ...]
    payments: tuple[Payment, ...]
    credit_notes: tuple[CreditNote, ...]
    invoice_ids: frozenset[str]
    """Every invoice id in the ledger, also of transactions that were skipped."""


def _where(entry: data.Transaction) -> str:
    return f"{Path(str(entry.meta.get('filename', '?'))).name}:{entry.meta.get('lineno', '?')}"


def _text(meta: Mapping[str, Any], key: str) -> str:
    value = meta.get(key)
    return str(value).strip() if value is not None else ""


def _receivable_units(entry: data.Transaction, prefix: str) -> list[Money]:
    out = []
    for posting in entry.postings:
        account = posting.account
        if (account == prefix or account.startswith(prefix + ":")) and posting.units is not None:
            number = posting.units.number
            if not isinstance(number, Decimal):
                raise TypeError(f"{account}: amount {number!r} is not a number")
            out.append(Money(number, str(posting.units.currency)))
    return out


def _sum(amounts: list[Money], record: str) -> Money:
    currencies = {a.currency for a in amounts}
    if len(currencies) != 1:
        raise ValidationError(record, "currency", f"receivable postings in {sorted(currencies)}: use one currency")
    return Money.total(amounts, currencies.pop())


def read_ledger(path: str | Path, tenant: str, *, receivable_account: str = "Assets:Receivable") -> LedgerRecords:
    """Parse the ledger at *path* with ``beancount.loader.load_file`` and collect the receivables.

    Raises:
        ConfigError: the file does not exist.
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"beancount: ledger {file} does not exist")
    entries, errors, _options = loader.load_file(str(file))
    for error in errors:
        where = error.source or {}
        log.warning(
            "beancount: %s:%s: %s",
            Path(str(where.get("filename", "?"))).name,
            where.get("lineno", "?"),
            error.message,
        )
    debtors: dict[str, Debtor] = {}
    invoices: dict[str, Invoice] = {}
    invoice_ids: set[str] = set()
    seen: dict[str, int] = {}
    credits: list[tuple[data.Transaction, Money]] = []
    for entry in entries:
        if not isinstance(entry, data.Transaction):
            continue
        try:
            amounts = _receivable_units(entry, receivable_account)
            if not amounts:
                continue
            record = f"transaction {_where(entry)}"
            total = _sum(amounts, record)
            if total.amount > 0:
                invoice_id = _text(entry.meta, "invoice")
                if not invoice_id:
                    raise ValidationError(record, "invoice", "a debit to a receivable account needs invoice: metadata")
                invoice_ids.add(invoice_id)
                debtor = _debtor(entry, tenant)
                debtors.setdefault(debtor.id, debtor)
                due = entry.meta.get("due", entry.date)
                if not isinstance(due, dt.date):
                    raise ValidationError(f"invoice {invoice_id}", "due", f"{due!r} is not a date ({_where(entry)})")
                if invoice_id in invoices:
                    raise ValidationError(f"invoice {invoice_id}", "invoice", f"invoiced twice ({_where(entry)})")
                invoices[invoice_id] = Invoice(
                    id=invoice_id,
                    debtor_id=debtor.id,
                    issue_date=entry.date,
                    due_date=due,
                    amount=total,
                    tenant=tenant,
                    number=invoice_id,
                    external_ref=_where(entry),
                    source="beancount",
                )
            elif total.amount < 0:
                credits.append((entry, -total))
        except _SKIP as exc:
            log.warning("beancount: skipped %s: %s", _where(entry), exc)
            report_skip("invoice", _where(entry))
    payments: list[Payment] = []
    notes: list[CreditNote] = []
    for (
        entry,
        amount,
    ) in credits:  # after every invoice is known: a payment may precede its invoice in the file
        try:
            invoice_id = _text(entry.meta, "invoice")
            invoice = invoices.get(invoice_id) if invoice_id else None
            if invoice_id and invoice is None:
                raise ValidationError(f"transaction {_where(entry)}", "invoice", f"no invoice {invoice_id!r}")
            debtor_id = invoice.debtor_id if invoice else (_text(entry.meta, "debtor") or _text_payee(entry))
            if debtor_id not in debtors:
                raise ValidationError(f"transaction {_where(entry)}", "debtor", f"unknown debtor {debtor_id!r}")
            if _text(entry.meta, "credit_note"):
                notes.append(
                    CreditNote(
                        id=_text(entry.meta, "credit_note"),
                        debtor_id=debtor_id,
                        date=entry.date,
                        amount=amount,
                        tenant=tenant,
                        invoice_id=invoice_id,
                        reason=entry.narration or "",
                    )
                )
                continue
            stem = f"{invoice_id or debtor_id}:{entry.date.isoformat()}"
            seen[stem] = seen.get(stem, 0) + 1
            payments.append(
                Payment(
                    id=_text(entry.meta, "payment") or f"{stem}:{seen[stem]}",
                    debtor_id=debtor_id,
                    date=entry.date,
                    amount=amount,
                    tenant=tenant,
                    method=PaymentMethod.TRANSFER,
                    allocations=(Allocation(invoice_id, amount),) if invoice_id else (),
                    description=entry.narration or "",
                    external_ref=_where(entry),
                )
            )
        except _SKIP as exc:
            log.warning("beancount: skipped %s: %s", _where(entry), exc)
            report_skip("payment", _where(entry))
    return LedgerRecords(
        tuple(debtors.values()),
        tuple(invoices.values()),
        tuple(payments),
        tuple(notes),
        frozenset(invoice_ids),
    )


def _text_payee(entry: data.Transaction) -> str:
    return (entry.payee or "").strip()


def _debtor(entry: data.Transaction, tenant: str) -> Debtor:
    name = _text(entry.meta, "debtor_name") or _text_payee(entry)
    debtor_id = _text(entry.meta, "debtor") or name
    if not debtor_id:
        raise ValidationError(f"transaction {_where(entry)}", "debtor", "no debtor: metadata and no payee")
    return Debtor(
        id=debtor_id,
        name=name or debtor_id,
        tenant=tenant,
        emails=_text(entry.meta, "email"),
        phones=_text(entry.meta, "phone"),
        tax_id=_text(entry.meta, "tax_id"),
        country=_text(entry.meta, "country").upper(),
        locale=_text(entry.meta, "locale") or "en",
        timezone=_text(entry.meta, "timezone") or "UTC",
    )


class BeancountBackend:
    """A Beancount ledger as a cobrokit backend (read-only). Build it with :meth:`from_settings`.

    Each stream reads the file again (it is local and fast); ``since`` is ignored. The ledger is
    the book of record, so ``last_synced`` is when it was last read completely.
    """

    name = "beancount"
    capabilities: frozenset[Capability] = frozenset()

    def __init__(
        self, path: str | Path, *, receivable_account: str = "Assets:Receivable", clock: Clock = SYSTEM_CLOCK
    ) -> None:
        self.path = Path(path)
        self.receivable_account = receivable_account
        self.clock = clock
        self._synced: dict[str, dt.datetime] = {}
        self._listed: dict[str, frozenset[str]] = {}

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], *, clock: Clock = SYSTEM_CLOCK) -> BeancountBackend:
        """Build from settings: ``path`` (required), ``receivable_account``."""
        s = Settings(settings, "beancount", known=SETTINGS)
        return cls(s.text("path"), receivable_account=s.text("receivable_account", "Assets:Receivable"), clock=clock)

    def read(self, tenant: str) -> LedgerRecords:
        """Read the whole ledger for *tenant*, recording the read time and the invoice ids."""
        started = self.clock.now()
        records = read_ledger(self.path, tenant, receivable_account=self.receivable_account)
        self._synced[tenant] = started
        self._listed[tenant] = records.invoice_ids
        return records

    def iter_debtors(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[Debtor]:
        """The debtors of the ledger's invoices."""
        yield from self.read(tenant).debtors

    def iter_invoices(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[Invoice]:
        """Every invoice in the ledger (paid ones too: their payments are in the ledger)."""
        yield from self.read(tenant).invoices

    def iter_payments(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[Payment]:
        """Every payment in the ledger, allocated or on account."""
        yield from self.read(tenant).payments

    def iter_credit_notes(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[CreditNote]:
        """Every credit note in the ledger."""
        yield from self.read(tenant).credit_notes

    def last_synced(self, *, tenant: str) -> dt.datetime | None:
        """When the ledger was last read completely."""
        return self._synced.get(tenant)

    def listed_invoice_ids(self, *, tenant: str) -> frozenset[str] | None:
        """Every invoice id of the last read (an invoice deleted from the ledger is closed by sync)."""
        return self._listed.get(tenant)
