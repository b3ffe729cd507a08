"""CSV import: how a small business gets its spreadsheet into the ledger.

Invoices file columns (header row required, any order)::

    invoice_id, debtor_id, debtor_name, email, phone, issue_date, due_date, amount, currency
    optional: locale, country, tax_id, number, timezone, region,
              address (street lines separated by "|"), city, postal_code

Payments file columns::

    payment_id, invoice_id, date, amount, currency    optional: method, description

ISO dates, ``.`` as the decimal point, UTF-8 with or without a byte-order mark. Blank
lines are ignored; quoted fields may hold commas and newlines.

All or nothing by default: one bad row imports nothing, and every bad row is reported with
its line number and field (:class:`~cobrokit.errors.ImportRejectedError`). With
``skip_invalid=True`` the good rows are imported and the rejected ones are written, with
their reasons, to a rejects file. Re-importing the same file changes nothing (records are
matched by id); a changed value for an existing id is refused unless ``update=True``.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import attrs

from cobrokit.dates import parse_date
from cobrokit.errors import (
    ConflictError,
    CurrencyMismatchError,
    DuplicateIdError,
    ImportRejectedError,
    InvalidAmountError,
    UnknownReferenceError,
    ValidationError,
)
from cobrokit.model import DEFAULT_TENANT, Address, Allocation, Debtor, Invoice, Payment, PaymentMethod
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


def read_invoices(
    path: Path, *, tenant: str = DEFAULT_TENANT
) -> tuple[list[tuple[int, dict[str, str], Debtor, Invoice]], list[RowError]]:
    """Parse and validate an invoices CSV without touching any store.

    Returns ``(good, errors)``: good rows as ``(line, values, debtor, invoice)``.
    """
    good: list[tuple[int, dict[str, str], Debtor, Invoice]] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    debtors: dict[str, tuple[int, Debtor]] = {}
    for line, values in _rows(path, INVOICE_COLUMNS, INVOICE_OPTIONAL):
        record = f"{path.name} line {line}"
        try:
            invoice_id = _required(values, "invoice_id", record)
            record = f"{path.name} line {line} (invoice {invoice_id})"
            if invoice_id in seen:
                raise DuplicateIdError(record, "invoice_id", f"{invoice_id!r} already on line {seen[invoice_id]}")
            debtor_id = _required(values, "debtor_id", record)
            currency = _currency(values, record)
            amount = parse_amount(_required(values, "amount", record), currency, record=record, field="amount")
            if amount <= 0:
                raise InvalidAmountError(record, "amount", f"must be positive, got {values['amount']}")
            issue = parse_date(_required(values, "issue_date", record), record=record, field="issue_date")
            due = parse_date(_required(values, "due_date", record), record=record, field="due_date")
            country = values.get("country", "").upper()
            debtor = Debtor(
                id=debtor_id,
                name=_required(values, "debtor_name", record),
                tenant=tenant,
                tax_id=values.get("tax_id", ""),
                emails=values.get("email", ""),
                phones=values.get("phone", ""),
                locale=values.get("locale") or "en",
                timezone=values.get("timezone") or "UTC",
                country=country,
                address=Address(
                    lines=tuple(p.strip() for p in values.get("address", "").split("|") if p.strip()),
                    city=values.get("city", ""),
                    postal_code=values.get("postal_code", ""),
                    region=values.get("region", "").upper(),
                    country=country,
                ),
            )
            previous = debtors.get(debtor_id)
            if previous is not None and previous[1] != debtor:
                differing = [
                    f.name for f in attrs.fields(Debtor) if getattr(previous[1], f.name) != getattr(debtor, f.name)
                ]
                raise ValidationError(
                    record,
                    "debtor_id",
                    f"debtor {debtor_id!r} has different {', '.join(differing)} than on line {previous[0]}",
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
        debtors.setdefault(debtor_id, (line, debtor))
        good.append((line, values, debtor, invoice))
    return good, errors


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
            record = f"{path.name} line {line} (payment {payment_id})"
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
    if invoices is not None:
        good_invoices, bad = read_invoices(invoices, tenant=tenant)
        errors += bad
    # conflicts with what is stored already
    kept_invoices = []
    for line, values, debtor, invoice in good_invoices:
        problem = _conflict(store, debtor, update) or _conflict(store, invoice, update)
        if problem:
            errors.append(RowError(invoices.name if invoices else "", line, values, problem))
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
    for line, values, payment in good_payments:
        payment_problem: ConflictError | InvalidAmountError | None = _conflict(store, payment, update)
        if payment_problem is None:
            payment_problem = _overpaid(store, payment, known, allocated)
        if payment_problem:
            errors.append(RowError(payments.name if payments else "", line, values, payment_problem))
        else:
            kept_payments.append((line, values, payment))
    if errors and not skip_invalid:
        raise ImportRejectedError(
            ", ".join(p.name for p in (invoices, payments) if p is not None),
            [e.error for e in errors],  # type: ignore[misc]
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


def _conflict(store: SQLiteStore, record: Debtor | Invoice | Payment, update: bool) -> ConflictError | None:
    changed = store.compare(record)
    if changed and not update:
        return ConflictError(
            f"{record.record} already exists with different {', '.join(changed)}; use --update to replace it"
        )
    return None


def _overpaid(
    store: SQLiteStore, payment: Payment, known: dict[str, Invoice], allocated: dict[str, int]
) -> InvalidAmountError | None:
    for allocation in payment.allocations:
        invoice = known.get(allocation.invoice_id) or store.get_invoice(payment.tenant, allocation.invoice_id)
        assert invoice is not None  # checked by read_payments
        already = allocated.get(invoice.id)
        if already is None:
            already = store.allocated_minor(payment.tenant, invoice.id, excluding_payment=payment.id)
        total = already + allocation.amount.to_minor()
        if total > invoice.amount.to_minor():
            return InvalidAmountError(
                payment.record,
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
