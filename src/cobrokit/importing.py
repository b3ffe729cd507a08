"""CSV import: how a small business gets its spreadsheet into the ledger.

Invoices file columns (header row required, any order)::

    invoice_id, debtor_id, debtor_name, email, phone, issue_date, due_date, amount, currency
    optional: locale, country, tax_id, number, timezone, region,
              address (street lines separated by "|"), city, postal_code

Payments file columns::

    payment_id, invoice_id, date, amount, currency    optional: method, description

ISO dates, ``.`` as the decimal point, UTF-8 with or without a byte-order mark. Blank
lines are ignored; quoted fields may hold commas and newlines.

All or nothing by default: one bad row imports nothing, and every bad row is reported as
``FILE line N (record ID): COLUMN: reason`` (:class:`~cobrokit.errors.ImportRejectedError`)
— malformed values, a changed record without ``update=True``
(:class:`~cobrokit.errors.ChangedRecordError`) and an over-payment alike. With
``skip_invalid=True`` the good rows are imported and the rejected ones are written, with
their line, column and reason, to a rejects file. Re-importing the same file changes
nothing (records are matched by id); a changed value for an existing id is refused unless
``update=True``.

A debtor may have several invoice rows. A blank optional debtor column (``email``,
``phone``, ``tax_id``, ``locale``, ``country``, ``address``…) means "not given": it keeps
the value another row of the file, or the stored debtor, gives. Two *different* non-blank
values for the same debtor are refused, naming the columns. Flags and tags set in cobrokit
(``hold``, ``cease_contact``, ``insolvent``; an invoice's ``disputed`` and ``hold``) are not
CSV columns and are kept when a record is re-imported or updated.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from cobrokit.dates import parse_date
from cobrokit.errors import (
    ChangedRecordError,
    ConflictError,
    CurrencyMismatchError,
    DuplicateIdError,
    ImportRejectedError,
    InvalidAmountError,
    UnknownReferenceError,
    ValidationError,
)
from cobrokit.model import DEFAULT_TENANT, Allocation, Debtor, Invoice, Payment, PaymentMethod
from cobrokit.money import Money, minor_units, parse_amount
from cobrokit.store.sqlite import SQLiteStore

__all__ = [
    "INVOICE_COLUMNS",
    "PAYMENT_COLUMNS",
    "ImportResult",
    "RowError",
    "import_csv",
    "read_invoices",
    "read_payments",
]

log = logging.getLogger(__name__)

INVOICE_COLUMNS = (
    "invoice_id",
    "debtor_id",
    "debtor_name",
    "email",
    "phone",
    "issue_date",
    "due_date",
    "amount",
    "currency",
)
INVOICE_OPTIONAL = (
    "locale",
    "country",
    "tax_id",
    "number",
    "timezone",
    "region",
    "address",
    "city",
    "postal_code",
)
PAYMENT_COLUMNS = ("payment_id", "invoice_id", "date", "amount", "currency")
PAYMENT_OPTIONAL = ("method", "description")

_DEBTOR_COLUMNS = (
    "debtor_name",
    "email",
    "phone",
    "tax_id",
    "locale",
    "timezone",
    "country",
    "region",
    "address",
    "city",
    "postal_code",
)
"""Invoice-file columns that describe the debtor rather than the invoice."""

_DEBTOR_FIELD_COLUMN = {"name": "debtor_name", "emails": "email", "phones": "phone"}
_ADDRESS_FIELD_COLUMN = {"lines": "address", "city": "city", "postal_code": "postal_code", "region": "region"}
_PAYMENT_COLUMN = {"amount_minor": "amount", "debtor_id": "invoice_id"}
"""Stored column → the CSV column a user edits (a payment's debtor comes from its invoice)."""


@attrs.frozen(slots=True)
class RowError:
    """A rejected row: the file, its line number, the raw values and the error."""

    file: str
    line: int
    values: dict[str, str]
    error: ValidationError | ConflictError


@attrs.frozen(slots=True)
class ImportResult:
    """What an import did."""

    inserted: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]
    rejected: tuple[RowError, ...] = ()
    rejects_file: Path | None = None

    def summary(self) -> str:
        """One line per record kind, for the terminal."""
        kinds = sorted(set(self.inserted) | set(self.updated) | set(self.unchanged))
        parts = [
            f"{k}: {self.inserted.get(k, 0)} new, {self.updated.get(k, 0)} updated, "
            f"{self.unchanged.get(k, 0)} unchanged"
            for k in kinds
        ]
        if self.rejected:
            where = f" (written to {self.rejects_file})" if self.rejects_file else ""
            parts.append(f"rejected rows: {len(self.rejected)}{where}")
        return "\n".join(parts) or "nothing to import"


def _rows(path: Path, required: Sequence[str], optional: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    label = path.name
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in required if c not in header]
        if missing:
            raise ImportRejectedError(
                label,
                [ValidationError(f"{label} line 1", ", ".join(missing), "required column missing from the header")],
            )
        reader.fieldnames = header
        unknown = [h for h in header if h and h not in required and h not in optional]
        if unknown:
            log.warning("%s: ignoring unknown column(s): %s", label, ", ".join(unknown))
        for row in reader:
            values = {k: (v or "").strip() for k, v in row.items() if k}
            if not any(values.values()):
                continue
            yield reader.line_num, values


def _required(values: dict[str, str], column: str, record: str) -> str:
    value = values.get(column, "")
    if not value:
        raise ValidationError(record, column, "is required")
    return value


def _currency(values: dict[str, str], record: str) -> str:
    code = _required(values, "currency", record).upper()
    minor_units(code, record=record)
    return code


def _where(file: str, line: int, kind: str, ident: str) -> str:
    return f"{file} line {line} ({kind} {ident})"


def _split_list(text: str) -> str:
    return ", ".join(p.strip() for p in text.replace(";", ",").split(",") if p.strip())


def _debtor_given(values: Mapping[str, str]) -> dict[str, str]:
    """The debtor columns this row fills in, normalised; blank columns are left out."""
    given: dict[str, str] = {}
    for column in _DEBTOR_COLUMNS:
        value = values.get(column, "")
        if column in ("email", "phone"):
            value = _split_list(value)
        elif column in ("country", "region"):
            value = value.upper()
        elif column == "address":
            value = "|".join(p.strip() for p in value.split("|") if p.strip())
        if value:
            given[column] = value
    return given


def _build_debtor(debtor_id: str, given: Mapping[str, str], tenant: str, base: Debtor | None) -> Debtor:
    """The debtor from the columns given, falling back to *base* (the stored debtor) or defaults."""
    start = base if base is not None else Debtor(id=debtor_id, name=given["debtor_name"], tenant=tenant)
    changes: dict[str, Any] = {}
    for field, column in (("name", "debtor_name"), ("emails", "email"), ("phones", "phone")):
        if column in given:
            changes[field] = given[column]
    for column in ("tax_id", "locale", "timezone", "country"):
        if column in given:
            changes[column] = given[column]
    country = given.get("country", start.country)
    address = attrs.evolve(
        start.address,
        lines=tuple(given["address"].split("|")) if "address" in given else start.address.lines,
        city=given.get("city", start.address.city),
        postal_code=given.get("postal_code", start.address.postal_code),
        region=given.get("region", start.address.region),
        country=country,
    )
    return attrs.evolve(start, address=address, **changes)


def read_invoices(
    path: Path,
    *,
    tenant: str = DEFAULT_TENANT,
    stored_debtor: Callable[[str], Debtor | None] | None = None,
) -> tuple[list[tuple[int, dict[str, str], Debtor, Invoice]], list[RowError]]:
    """Parse and validate an invoices CSV without writing to any store.

    Rows of the same debtor are merged: a blank optional debtor column keeps the value
    another row gives; two different non-blank values are an error on the later row, naming
    the columns. *stored_debtor* (``debtor_id → Debtor | None``) supplies the values, flags
    and tags of debtors that are already stored, for the columns no row gives.

    Returns ``(good, errors)``: good rows as ``(line, values, debtor, invoice)``, where every
    row of one debtor carries the same merged :class:`~cobrokit.model.Debtor`.
    """
    good: list[tuple[int, dict[str, str], str, Invoice]] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    merged: dict[str, dict[str, tuple[str, int]]] = {}  # debtor id → column → (value, line)
    for line, values in _rows(path, INVOICE_COLUMNS, INVOICE_OPTIONAL):
        record = f"{path.name} line {line}"
        try:
            invoice_id = _required(values, "invoice_id", record)
            record = _where(path.name, line, "invoice", invoice_id)
            if invoice_id in seen:
                raise DuplicateIdError(record, "invoice_id", f"{invoice_id!r} already on line {seen[invoice_id]}")
            debtor_id = _required(values, "debtor_id", record)
            currency = _currency(values, record)
            amount = parse_amount(_required(values, "amount", record), currency, record=record, field="amount")
            if amount <= 0:
                raise InvalidAmountError(record, "amount", f"must be positive, got {values['amount']}")
            issue = parse_date(_required(values, "issue_date", record), record=record, field="issue_date")
            due = parse_date(_required(values, "due_date", record), record=record, field="due_date")
            _required(values, "debtor_name", record)
            given = _debtor_given(values)
            known = merged.get(debtor_id, {})
            differing: dict[int, list[str]] = {}
            for column, value in given.items():
                if column in known and known[column][0] != value:
                    differing.setdefault(known[column][1], []).append(column)
            if differing:
                raise ValidationError(
                    record,
                    ", ".join(c for columns in differing.values() for c in columns),
                    f"debtor {debtor_id!r} has a different "
                    + " and a different ".join(
                        f"{', '.join(columns)} than on line {at}" for at, columns in sorted(differing.items())
                    ),
                )
            try:
                invoice = Invoice(
                    id=invoice_id,
                    debtor_id=debtor_id,
                    issue_date=issue,
                    due_date=due,
                    amount=Money(amount, currency),
                    tenant=tenant,
                    number=values.get("number") or invoice_id,
                    source="csv",
                )
            except ValidationError as exc:
                raise type(exc)(record, exc.field, exc.reason) from None
        except ValidationError as exc:
            errors.append(RowError(path.name, line, values, exc))
            continue
        seen[invoice_id] = line
        for column, value in given.items():
            merged.setdefault(debtor_id, {}).setdefault(column, (value, line))
        good.append((line, values, debtor_id, invoice))
    debtors = {
        debtor_id: _build_debtor(
            debtor_id,
            {column: value for column, (value, _) in columns.items()},
            tenant,
            stored_debtor(debtor_id) if stored_debtor is not None else None,
        )
        for debtor_id, columns in merged.items()
    }
    return [(line, values, debtors[debtor_id], invoice) for line, values, debtor_id, invoice in good], errors


def read_payments(
    path: Path,
    invoices: dict[str, Invoice],
    *,
    tenant: str = DEFAULT_TENANT,
) -> tuple[list[tuple[int, dict[str, str], Payment]], list[RowError]]:
    """Parse and validate a payments CSV against known *invoices* (file and store).

    Each payment is allocated in full to its invoice; its debtor is the invoice's.
    """
    good: list[tuple[int, dict[str, str], Payment]] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for line, values in _rows(path, PAYMENT_COLUMNS, PAYMENT_OPTIONAL):
        record = f"{path.name} line {line}"
        try:
            payment_id = _required(values, "payment_id", record)
            record = _where(path.name, line, "payment", payment_id)
            if payment_id in seen:
                raise DuplicateIdError(record, "payment_id", f"{payment_id!r} already on line {seen[payment_id]}")
            invoice_id = _required(values, "invoice_id", record)
            invoice = invoices.get(invoice_id)
            if invoice is None:
                raise UnknownReferenceError(record, "invoice_id", f"unknown invoice {invoice_id!r}")
            currency = _currency(values, record)
            if currency != invoice.currency:
                raise CurrencyMismatchError(
                    record,
                    "currency",
                    f"payment in {currency} for invoice {invoice_id} in {invoice.currency}",
                )
            amount = parse_amount(_required(values, "amount", record), currency, record=record, field="amount")
            if amount <= 0:
                raise InvalidAmountError(record, "amount", f"must be positive, got {values['amount']}")
            date = parse_date(_required(values, "date", record), record=record, field="date")
            method_text = values.get("method") or "transfer"
            try:
                method = PaymentMethod(method_text)
            except ValueError:
                allowed = ", ".join(m.value for m in PaymentMethod)
                raise ValidationError(record, "method", f"{method_text!r} is not one of {allowed}") from None
            money = Money(amount, currency)
            try:
                payment = Payment(
                    id=payment_id,
                    debtor_id=invoice.debtor_id,
                    date=date,
                    amount=money,
                    tenant=tenant,
                    method=method,
                    allocations=(Allocation(invoice_id, money),),
                    description=values.get("description", ""),
                )
            except ValidationError as exc:
                raise type(exc)(record, exc.field, exc.reason) from None
        except ValidationError as exc:
            errors.append(RowError(path.name, line, values, exc))
            continue
        seen[payment_id] = line
        good.append((line, values, payment))
    return good, errors


def import_csv(
    store: SQLiteStore,
    *,
    invoices: Path | None = None,
    payments: Path | None = None,
    tenant: str = DEFAULT_TENANT,
    update: bool = False,
    skip_invalid: bool = False,
    rejects: Path | None = None,
    synced_at: dt.datetime | None = None,
) -> ImportResult:
    """Import invoice and payment CSV files into *store*.

    Args:
        invoices: the invoices file (debtors are created or matched from its rows).
        payments: the payments file; each row pays one invoice, from this file or the store.
        update: replace stored records whose values changed (otherwise refused).
        skip_invalid: import the good rows and write the rejected ones to *rejects*
            (default: ``<payments or invoices file>.rejects.csv``).
        synced_at: record this time as the ledger's last payment sync (freshness guard).

    Raises:
        ImportRejectedError: bad rows and ``skip_invalid`` is false; nothing was imported.
    """
    errors: list[RowError] = []
    good_invoices: list[tuple[int, dict[str, str], Debtor, Invoice]] = []
    stored_debtors: dict[str, Debtor | None] = {}

    def stored_debtor(debtor_id: str) -> Debtor | None:
        if debtor_id not in stored_debtors:
            stored_debtors[debtor_id] = store.get_debtor(tenant, debtor_id)
        return stored_debtors[debtor_id]

    if invoices is not None:
        good_invoices, bad = read_invoices(invoices, tenant=tenant, stored_debtor=stored_debtor)
        errors += bad
    # conflicts with what is stored already
    kept_invoices = []
    for line, values, debtor, invoice in good_invoices:
        file = invoices.name if invoices else ""
        stored_invoice = store.get_invoice(tenant, invoice.id)
        if stored_invoice is not None:  # flags set in cobrokit are not CSV columns: keep them
            invoice = attrs.evolve(invoice, disputed=stored_invoice.disputed, hold=stored_invoice.hold)
        problem = _debtor_conflict(stored_debtor(debtor.id), debtor, _where(file, line, "debtor", debtor.id), update)
        if problem is None:
            where = _where(file, line, "invoice", invoice.id)
            problem = _invoice_conflict(stored_invoice, invoice, where, update)
        if problem:
            errors.append(RowError(file, line, values, problem))
        else:
            kept_invoices.append((line, values, debtor, invoice))
    known = {inv.id: inv for _, _, _, inv in kept_invoices}
    good_payments: list[tuple[int, dict[str, str], Payment]] = []
    if payments is not None:
        lookup = _InvoiceLookup(store, tenant, known)
        good_payments, bad = read_payments(payments, lookup, tenant=tenant)
        errors += bad
    kept_payments = []
    allocated: dict[str, int] = {}
    in_file = frozenset(payment.id for _, _, payment in good_payments)
    for line, values, payment in good_payments:
        file = payments.name if payments else ""
        where = _where(file, line, "payment", payment.id)
        payment_problem: ValidationError | None = _payment_conflict(store, payment, where, update)
        if payment_problem is None:
            payment_problem = _overpaid(store, payment, where, known, allocated, in_file)
        if payment_problem:
            errors.append(RowError(file, line, values, payment_problem))
        else:
            kept_payments.append((line, values, payment))
    if errors and not skip_invalid:
        raise ImportRejectedError(
            ", ".join(p.name for p in (invoices, payments) if p is not None),
            [e.error for e in errors if isinstance(e.error, ValidationError)],
        )
    debtors: dict[str, Debtor] = {}
    for _, _, debtor, _ in kept_invoices:
        debtors.setdefault(debtor.id, debtor)
    counts = store.save(
        debtors=debtors.values(),
        invoices=[inv for _, _, _, inv in kept_invoices],
        payments=[p for _, _, p in kept_payments],
        update=update,
    )
    if synced_at is not None and payments is not None:
        store.record_sync(tenant, "sqlite", synced_at)
    rejects_path = None
    if errors:
        rejects_path = rejects or Path(str(payments or invoices) + ".rejects.csv")
        _write_rejects(rejects_path, errors)
        log.warning("import: %d row(s) rejected, written to %s", len(errors), rejects_path)
    return ImportResult(counts.inserted, counts.updated, counts.unchanged, tuple(errors), rejects_path)


class _InvoiceLookup(dict[str, Invoice]):
    """Invoices from the file being imported, falling back to the store."""

    def __init__(self, store: SQLiteStore, tenant: str, known: dict[str, Invoice]) -> None:
        super().__init__(known)
        self._store = store
        self._tenant = tenant

    def get(self, key: str, default: Invoice | None = None) -> Invoice | None:  # type: ignore[override]
        found = super().get(key)
        if found is None:
            found = self._store.get_invoice(self._tenant, key)
        return found if found is not None else default


def _changed(
    where: str, record: Debtor | Invoice | Payment, columns: Sequence[str], detail: str = ""
) -> ChangedRecordError:
    return ChangedRecordError(
        where,
        ", ".join(columns),
        f"{record.record} already exists with a different {', '.join(columns)}{detail}; use --update to replace it",
    )


def _debtor_conflict(stored: Debtor | None, debtor: Debtor, where: str, update: bool) -> ChangedRecordError | None:
    """A changed debtor, named by its CSV columns (values are not quoted: personal data)."""
    if stored is None or update or stored == debtor:
        return None
    columns: list[str] = []
    for field in attrs.fields(Debtor):
        old, new = getattr(stored, field.name), getattr(debtor, field.name)
        if old == new:
            continue
        if field.name == "address":
            columns += [
                column for name, column in _ADDRESS_FIELD_COLUMN.items() if getattr(old, name) != getattr(new, name)
            ]
            if old.country != new.country and "country" not in columns:
                columns.append("country")
        elif _DEBTOR_FIELD_COLUMN.get(field.name, field.name) not in columns:
            columns.append(_DEBTOR_FIELD_COLUMN.get(field.name, field.name))
    return _changed(where, debtor, columns)


def _invoice_conflict(stored: Invoice | None, invoice: Invoice, where: str, update: bool) -> ChangedRecordError | None:
    """A changed invoice, named by its CSV columns, with the stored and the new values."""
    if stored is None or update or stored == invoice:
        return None
    pairs: dict[str, tuple[object, object]] = {}
    if stored.currency != invoice.currency:
        pairs["currency"] = (stored.currency, invoice.currency)
    if stored.amount.amount != invoice.amount.amount:
        pairs["amount"] = (stored.amount, invoice.amount)
    for name in ("debtor_id", "issue_date", "due_date", "number", "external_ref", "source"):
        if getattr(stored, name) != getattr(invoice, name):
            pairs[name] = (getattr(stored, name), getattr(invoice, name))
    shown = [f"stored {old}, this file {new}" for old, new in pairs.values()]
    if len(pairs) > 1:
        shown = [f"{name}: {text}" for name, text in zip(pairs, shown, strict=True)]
    detail = f" ({'; '.join(shown)})"
    return _changed(where, invoice, list(pairs), detail)


def _payment_conflict(store: SQLiteStore, payment: Payment, where: str, update: bool) -> ChangedRecordError | None:
    """A changed payment, named by its CSV columns."""
    changed = store.compare(payment)
    if not changed or update:
        return None
    return _changed(where, payment, [_PAYMENT_COLUMN.get(c, c) for c in changed])


def _overpaid(
    store: SQLiteStore,
    payment: Payment,
    where: str,
    known: dict[str, Invoice],
    allocated: dict[str, int],
    in_file: frozenset[str],
) -> InvalidAmountError | None:
    for allocation in payment.allocations:
        invoice = known.get(allocation.invoice_id) or store.get_invoice(payment.tenant, allocation.invoice_id)
        assert invoice is not None  # checked by read_payments
        already = allocated.get(invoice.id)
        if already is None:  # what the store holds from other files; this file's payments count as they come
            already = store.allocated_minor(payment.tenant, invoice.id, excluding=in_file)
        total = already + allocation.amount.to_minor()
        if total > invoice.amount.to_minor():
            return InvalidAmountError(
                where,
                "amount",
                f"payments to invoice {invoice.id} would total "
                f"{Money.from_minor(total, invoice.currency)}, more than its amount {invoice.amount}",
            )
        allocated[invoice.id] = total
    return None


def _write_rejects(path: Path, errors: Sequence[RowError]) -> None:
    columns: list[str] = ["file", "line", "field", "error"]
    extra: list[str] = []
    for e in errors:
        for key in e.values:
            if key not in extra:
                extra.append(key)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns + extra)
        for e in errors:
            field = e.error.field if isinstance(e.error, ValidationError) else ""
            writer.writerow([e.file, e.line, field, str(e.error), *(e.values.get(k, "") for k in extra)])
