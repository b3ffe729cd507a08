"""The embedded SQLite store.

One file holds the ledger (debtors, invoices, payments, credit notes) and, from later
migrations, the journal and outbox. Settings chosen for safety:

* WAL journal (readers never block the writer), ``synchronous=FULL`` (a committed journal
  row survives a power cut: exactly-once delivery depends on it), foreign keys on;
* every write runs in ``BEGIN IMMEDIATE`` so concurrent writers queue on the busy timeout
  instead of failing with "database is locked";
* the schema is versioned with ``PRAGMA user_version``; pending migrations (the
  ``migrations/NNNN_*.sql`` files) are applied automatically when the store is opened,
  each in its own transaction that re-checks the version under the write lock, so two
  processes opening a new file at once cannot apply a migration twice;
* every statement is parameterised.

Amounts are stored as integers of ISO 4217 minor units; they become
:class:`~cobrokit.money.Money` on the way out.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.resources
import json
import logging
import re
import sqlite3
from collections.abc import Collection, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import attrs

from cobrokit.errors import ConflictError, CurrencyMismatchError, StoreError, UnknownReferenceError
from cobrokit.model import (
    DEFAULT_TENANT,
    Address,
    Allocation,
    CreditNote,
    Debtor,
    Invoice,
    Payment,
    PaymentMethod,
)
from cobrokit.money import Money

__all__ = ["OPEN_AMOUNTS_CTE", "ImportCounts", "OpenItem", "SQLiteStore", "migrations"]

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """The packaged migrations as ``(version, filename, sql)``, in order."""
    folder = importlib.resources.files("cobrokit.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if versions != list(range(1, len(versions) + 1)):
        raise StoreError(f"migrations are not numbered 1..N without gaps: {versions}")
    return found


def _statements(script: str) -> Iterator[str]:
    buffer = ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--") and not buffer.strip():
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer.strip()
            buffer = ""
    if buffer.strip():
        raise StoreError(f"incomplete SQL statement in migration: {buffer.strip()[:60]}…")


class OpenItem(NamedTuple):
    """An invoice's open principal as of a date (amount in minor units)."""

    debtor_id: str
    invoice_id: str
    currency: str
    issue_date: str
    due_date: str
    amount_minor: int
    open_minor: int


@attrs.frozen(slots=True)
class ImportCounts:
    """What an import did, per record kind."""

    inserted: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int]


def _minor(money: Money) -> int:
    return money.to_minor()


def _money(minor: int, currency: str) -> Money:
    return Money.from_minor(minor, currency)


class SQLiteStore:
    """The embedded ledger and journal in one SQLite file.

    >>> store = SQLiteStore.open(":memory:")
    >>> store.schema_version() >= 1
    True
    """

    def __init__(self, conn: sqlite3.Connection, path: str) -> None:
        self.conn = conn
        self.path = path

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, *, busy_timeout_ms: int = 10_000, migrate: bool = True) -> SQLiteStore:
        """Open (creating if needed) the store at *path* and apply pending migrations."""
        target = str(path)
        if target != ":memory:":
            parent = Path(target).resolve().parent
            if not parent.is_dir():
                raise StoreError(f"cannot open store {target}: folder {parent} does not exist")
        try:
            conn = sqlite3.connect(
                target, isolation_level=None, timeout=busy_timeout_ms / 1000, check_same_thread=False
            )
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            if target != ":memory:":
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    log.warning("store %s: WAL not available (journal_mode=%s)", target, mode)
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open store {target}: {exc}") from exc
        store = cls(conn, target)
        if migrate:
            store.migrate()
        return store

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema ----------------------------------------------------------------------------
    def schema_version(self) -> int:
        """The applied schema version (``PRAGMA user_version``)."""
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> list[str]:
        """Apply pending migrations, each in its own ``BEGIN IMMEDIATE`` transaction.

        Returns the file names applied. A store newer than this cobrokit is refused.
        """
        available = migrations()
        latest = available[-1][0] if available else 0
        applied: list[str] = []
        try:
            if self.schema_version() > latest:
                raise StoreError(
                    f"store {self.path} has schema version {self.schema_version()}, newer than "
                    f"this cobrokit understands ({latest}); upgrade cobrokit"
                )
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a cobrokit store: {exc}") from exc
        for version, name, script in available:
            if version <= self.schema_version():
                continue
            with self.transaction():
                if self.schema_version() >= version:  # another process got there first
                    continue
                for statement in _statements(script):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {version}")
            applied.append(name)
            log.info("store %s: applied migration %s", self.path, name)
        return applied

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``); commits on success, rolls back on error."""
        if self.conn.in_transaction:
            yield self.conn  # nested: the outer transaction decides
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise StoreError(f"store {self.path}: cannot start a write transaction: {exc}") from exc
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    # -- writing the ledger ---------------------------------------------------------------
    def save(
        self,
        *,
        debtors: Iterable[Debtor] = (),
        invoices: Iterable[Invoice] = (),
        payments: Iterable[Payment] = (),
        credit_notes: Iterable[CreditNote] = (),
        update: bool = False,
    ) -> ImportCounts:
        """Insert records in one transaction; all or nothing.

        Saving a record identical to the stored one changes nothing (imports are
        idempotent). A record whose values differ from the stored one raises
        :class:`ConflictError` unless *update* is true.

        Raises:
            ConflictError: a changed record and ``update=False``; nothing is written.
            UnknownReferenceError: an invoice for an unknown debtor, an allocation to an
                unknown invoice; nothing is written.
        """
        counts: dict[str, dict[str, int]] = {"inserted": {}, "updated": {}, "unchanged": {}}

        def bump(kind: str, what: str) -> None:
            counts[what][kind] = counts[what].get(kind, 0) + 1

        with self.transaction() as conn:
            for debtor in debtors:
                bump("debtors", self._save_row(conn, "debtor", _debtor_row(debtor), update, debtor.record))
            for invoice in invoices:
                if not self._exists(conn, "debtor", invoice.tenant, invoice.debtor_id):
                    raise UnknownReferenceError(invoice.record, "debtor_id", f"unknown debtor {invoice.debtor_id!r}")
                bump("invoices", self._save_row(conn, "invoice", _invoice_row(invoice), update, invoice.record))
            for payment in payments:
                if not self._exists(conn, "debtor", payment.tenant, payment.debtor_id):
                    raise UnknownReferenceError(payment.record, "debtor_id", f"unknown debtor {payment.debtor_id!r}")
                outcome = self._save_row(conn, "payment", _payment_row(payment), update, payment.record)
                bump("payments", outcome)
                if outcome != "unchanged":
                    self._save_allocations(conn, payment)
            for note in credit_notes:
                if note.invoice_id and not self._exists(conn, "invoice", note.tenant, note.invoice_id):
                    raise UnknownReferenceError(note.record, "invoice_id", f"unknown invoice {note.invoice_id!r}")
                bump(
                    "credit_notes",
                    self._save_row(conn, "credit_note", _credit_note_row(note), update, note.record),
                )
        return ImportCounts(counts["inserted"], counts["updated"], counts["unchanged"])

    def compare(self, record: Debtor | Invoice | Payment | CreditNote) -> list[str] | None:
        """Compare *record* with the stored one of the same id.

        Returns ``None`` when nothing is stored under that id, ``[]`` when the stored
        record is identical, else the names of the columns that differ.
        """
        table, row = _row_for(record)
        cols = list(row)
        existing = self.conn.execute(
            f"SELECT {', '.join(cols)} FROM {table} WHERE tenant = ? AND id = ?",
            (row["tenant"], row["id"]),
        ).fetchone()
        if existing is None:
            return None
        return [c for c, old, new in zip(cols, existing, row.values(), strict=True) if old != new]

    def allocated_minor(
        self, tenant: str, invoice_id: str, *, excluding_payment: str = "", excluding: Collection[str] = ()
    ) -> int:
        """Minor units already allocated to an invoice, ignoring the payments *excluding_payment*
        and *excluding* (a file being imported again: its payments count once, from the file)."""
        skip = sorted({excluding_payment, *excluding} - {""})
        marks = ", ".join("?" * len(skip))
        row = self.conn.execute(
            "SELECT COALESCE(SUM(amount_minor), 0) FROM allocation WHERE tenant = ? AND invoice_id = ?"
            + (f" AND payment_id NOT IN ({marks})" if skip else ""),
            (tenant, invoice_id, *skip),
        ).fetchone()
        return int(row[0])

    def get_invoice(self, tenant: str, invoice_id: str) -> Invoice | None:
        """One invoice, or ``None``."""
        row = self.conn.execute(
            f"SELECT {_INVOICE_COLS} FROM invoice WHERE tenant = ? AND id = ?",
            (tenant, invoice_id),
        ).fetchone()
        return _invoice_from_row(row) if row else None

    def insert_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """Bulk-insert trusted rows (generated portfolios, benchmarks) with ``executemany``.

        The caller runs this inside :meth:`transaction`; no validation is done here.
        """
        if table not in _TABLES:
            raise ValueError(f"unknown table {table!r}")
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        cur = self.conn.executemany(sql, rows)
        return int(cur.rowcount)

    @staticmethod
    def _exists(conn: sqlite3.Connection, table: str, tenant: str, ident: str) -> bool:
        sql = f"SELECT 1 FROM {table} WHERE tenant = ? AND id = ?"
        return conn.execute(sql, (tenant, ident)).fetchone() is not None

    @staticmethod
    def _save_row(conn: sqlite3.Connection, table: str, row: dict[str, Any], update: bool, record: str) -> str:
        cols = list(row)
        existing = conn.execute(
            f"SELECT {', '.join(cols)} FROM {table} WHERE tenant = ? AND id = ?",
            (row["tenant"], row["id"]),
        ).fetchone()
        if existing is None:
            conn.execute(
                f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                tuple(row.values()),
            )
            return "inserted"
        if tuple(existing) == tuple(row.values()):
            return "unchanged"
        if not update:
            changed = [c for c, old, new in zip(cols, existing, row.values(), strict=True) if old != new]
            raise ConflictError(
                f"{record} already exists with different {', '.join(changed)}; "
                "pass update=True (--update) to replace it"
            )
        assignments = ", ".join(f"{c} = ?" for c in cols if c not in ("tenant", "id"))
        values = [v for c, v in row.items() if c not in ("tenant", "id")]
        conn.execute(
            f"UPDATE {table} SET {assignments} WHERE tenant = ? AND id = ?",
            (*values, row["tenant"], row["id"]),
        )
        return "updated"

    def _save_allocations(self, conn: sqlite3.Connection, payment: Payment) -> None:
        conn.execute("DELETE FROM allocation WHERE tenant = ? AND payment_id = ?", (payment.tenant, payment.id))
        for allocation in payment.allocations:
            row = conn.execute(
                "SELECT currency, debtor_id FROM invoice WHERE tenant = ? AND id = ?",
                (payment.tenant, allocation.invoice_id),
            ).fetchone()
            if row is None:
                raise UnknownReferenceError(payment.record, "invoice_id", f"unknown invoice {allocation.invoice_id!r}")
            if row[0] != allocation.amount.currency:
                raise CurrencyMismatchError(
                    payment.record,
                    "currency",
                    f"payment in {allocation.amount.currency} for invoice {allocation.invoice_id} in {row[0]}",
                )
            conn.execute(
                "INSERT INTO allocation (tenant, payment_id, invoice_id, date, amount_minor) VALUES (?, ?, ?, ?, ?)",
                (
                    payment.tenant,
                    payment.id,
                    allocation.invoice_id,
                    payment.date.isoformat(),
                    _minor(allocation.amount),
                ),
            )

    def set_flag(self, table: str, tenant: str, ident: str, flag: str, value: bool) -> None:
        """Set a boolean flag (``hold``, ``disputed``, ``cease_contact``, ``insolvent``)."""
        allowed = {"debtor": {"hold", "cease_contact", "insolvent"}, "invoice": {"hold", "disputed"}}
        if flag not in allowed.get(table, set()):
            raise ValueError(f"{table}.{flag} is not a flag")
        with self.transaction() as conn:
            cur = conn.execute(
                f"UPDATE {table} SET {flag} = ? WHERE tenant = ? AND id = ?",
                (int(value), tenant, ident),
            )
            if cur.rowcount == 0:
                raise UnknownReferenceError(f"{table} {ident}", "id", "no such record")

    def record_sync(self, tenant: str, backend: str, synced_at: dt.datetime) -> None:
        """Record that *backend*'s payments for *tenant* are up to date as of *synced_at*."""
        if synced_at.tzinfo is None:
            raise ValueError("synced_at must be timezone-aware")
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO sync_state (tenant, backend, synced_at) VALUES (?, ?, ?) "
                "ON CONFLICT (tenant, backend) DO UPDATE SET synced_at = excluded.synced_at",
                (tenant, backend, synced_at.astimezone(dt.UTC).isoformat()),
            )

    def last_synced(self, tenant: str, backend: str) -> dt.datetime | None:
        """When *backend* last synced *tenant*'s payments, or ``None``."""
        row = self.conn.execute(
            "SELECT synced_at FROM sync_state WHERE tenant = ? AND backend = ?", (tenant, backend)
        ).fetchone()
        return dt.datetime.fromisoformat(row[0]) if row else None

    # -- reading the ledger ---------------------------------------------------------------
    def tenants(self) -> list[str]:
        """Tenants that have at least one debtor."""
        return [r[0] for r in self.conn.execute("SELECT DISTINCT tenant FROM debtor ORDER BY tenant")]

    def get_debtor(self, tenant: str, debtor_id: str) -> Debtor | None:
        """One debtor, or ``None``."""
        row = self.conn.execute(
            f"SELECT {_DEBTOR_COLS} FROM debtor WHERE tenant = ? AND id = ?",
            (tenant, debtor_id),
        ).fetchone()
        return _debtor_from_row(row) if row else None

    def iter_debtors(self, tenant: str = DEFAULT_TENANT) -> Iterator[Debtor]:
        """Stream the tenant's debtors ordered by id."""
        cur = self.conn.execute(
            f"SELECT {_DEBTOR_COLS} FROM debtor WHERE tenant = ? ORDER BY id",
            (tenant,),
        )
        for row in cur:
            yield _debtor_from_row(row)

    def iter_invoices(self, tenant: str = DEFAULT_TENANT, debtor_id: str | None = None) -> Iterator[Invoice]:
        """Stream invoices (of one debtor when *debtor_id* is given) ordered by debtor and due date."""
        sql = f"SELECT {_INVOICE_COLS} FROM invoice WHERE tenant = ?"
        args: list[Any] = [tenant]
        if debtor_id is not None:
            sql += " AND debtor_id = ?"
            args.append(debtor_id)
        for row in self.conn.execute(sql + " ORDER BY debtor_id, due_date, id", args):
            yield _invoice_from_row(row)

    def iter_payments(self, tenant: str = DEFAULT_TENANT, debtor_id: str | None = None) -> Iterator[Payment]:
        """Stream payments with their allocations, ordered by debtor and date."""
        sql = f"SELECT {_PAYMENT_COLS} FROM payment WHERE tenant = ?"
        args: list[Any] = [tenant]
        if debtor_id is not None:
            sql += " AND debtor_id = ?"
            args.append(debtor_id)
        allocation_sql = (
            "SELECT invoice_id, amount_minor FROM allocation WHERE tenant = ? AND payment_id = ? ORDER BY invoice_id"
        )
        for row in self.conn.execute(sql + " ORDER BY debtor_id, date, id", args).fetchall():
            allocations = tuple(
                Allocation(inv, _money(minor, row[4]))
                for inv, minor in self.conn.execute(allocation_sql, (tenant, row[1]))
            )
            yield _payment_from_row(row, allocations)

    def iter_credit_notes(self, tenant: str = DEFAULT_TENANT, debtor_id: str | None = None) -> Iterator[CreditNote]:
        """Stream credit notes ordered by debtor and date."""
        sql = f"SELECT {_CREDIT_COLS} FROM credit_note WHERE tenant = ?"
        args: list[Any] = [tenant]
        if debtor_id is not None:
            sql += " AND debtor_id = ?"
            args.append(debtor_id)
        for row in self.conn.execute(sql + " ORDER BY debtor_id, date, id", args):
            yield _credit_note_from_row(row)

    def open_items(
        self, tenant: str, as_of: dt.date, *, debtor_id: str | None = None, batch: int = 10_000
    ) -> Iterator[OpenItem]:
        """Every invoice issued on or before *as_of* with its open principal as of that date.

        Payments and credit notes dated after *as_of* do not count. Items with nothing
        open are included (``open_minor == 0``) so callers can tell paid from unknown;
        ordered by debtor, then due date. Streams in batches. With *debtor_id*, only that
        debtor's invoices are read (through the indexes, not the whole tenant).
        """
        args = {"tenant": tenant, "day": as_of.isoformat(), "debtor": debtor_id}
        cur = self.conn.execute(_OPEN_ITEMS_SQL if debtor_id is None else _DEBTOR_OPEN_ITEMS_SQL, args)
        while True:
            rows = cur.fetchmany(batch)
            if not rows:
                return
            for row in rows:
                yield OpenItem(*row)

    def open_amounts(
        self, tenant: str, as_of: dt.date, *, debtor_id: str | None = None, invoice_ids: Sequence[str] = ()
    ) -> dict[str, int]:
        """Open principal (minor units) as of *as_of* of one debtor's invoices or of *invoice_ids*.

        Invoices issued after *as_of* count as fully open; unknown ids are left out.
        """
        if debtor_id is None and not invoice_ids:
            raise ValueError("give a debtor_id or invoice_ids")
        day = as_of.isoformat()
        sql = f"SELECT i.id, {_OPEN_EXPR} FROM invoice AS i WHERE i.tenant = :tenant"
        args: dict[str, Any] = {"tenant": tenant, "day": day}
        if debtor_id is not None:
            sql += " AND i.debtor_id = :debtor"
            args["debtor"] = debtor_id
        if invoice_ids:
            names = [f"id{n}" for n in range(len(invoice_ids))]
            sql += f" AND i.id IN ({', '.join(':' + n for n in names)})"
            args.update(zip(names, invoice_ids, strict=True))
        return {ident: int(minor) for ident, minor in self.conn.execute(sql, args)}

    def credit_sales(self, tenant: str, start: dt.date, end: dt.date) -> dict[str, int]:
        """Invoiced amounts (minor units, per currency) with issue date in ``[start, end]``."""
        rows = self.conn.execute(
            "SELECT currency, SUM(amount_minor) FROM invoice "
            "WHERE tenant = ? AND issue_date BETWEEN ? AND ? GROUP BY currency",
            (tenant, start.isoformat(), end.isoformat()),
        )
        return {c: int(s) for c, s in rows}

    def counts(self, tenant: str = DEFAULT_TENANT) -> dict[str, int]:
        """How many records of each kind the tenant has."""
        return {
            table: int(self.conn.execute(f"SELECT COUNT(*) FROM {table} WHERE tenant = ?", (tenant,)).fetchone()[0])
            for table in ("debtor", "invoice", "payment", "credit_note")
        }


OPEN_AMOUNTS_CTE = """
paid AS (
    SELECT invoice_id, SUM(amount_minor) AS minor FROM allocation
    WHERE tenant = :tenant AND date <= :day GROUP BY invoice_id
), credited AS (
    SELECT invoice_id, SUM(amount_minor) AS minor FROM credit_note
    WHERE tenant = :tenant AND invoice_id != '' AND date <= :day GROUP BY invoice_id
)"""
"""What each invoice of a tenant received as of a date (parameters ``:tenant``, ``:day``):
the CTEs ``paid`` and ``credited``, to ``LEFT JOIN`` on ``invoice_id`` when reading a whole
tenant. The open principal is then ``MAX(i.amount_minor - COALESCE(p.minor, 0) -
COALESCE(c.minor, 0), 0)``."""

_OPEN_EXPR = """MAX(i.amount_minor
    - COALESCE((SELECT SUM(a.amount_minor) FROM allocation AS a
                WHERE a.tenant = i.tenant AND a.invoice_id = i.id AND a.date <= :day), 0)
    - COALESCE((SELECT SUM(c.amount_minor) FROM credit_note AS c
                WHERE c.tenant = i.tenant AND c.invoice_id = i.id AND c.date <= :day), 0), 0)"""
# the same open principal for a few invoices (one debtor): correlated look-ups through the indexes

_OPEN_ITEMS_SQL = f"""
WITH {OPEN_AMOUNTS_CTE}
SELECT i.debtor_id, i.id, i.currency, i.issue_date, i.due_date, i.amount_minor,
       MAX(i.amount_minor - COALESCE(p.minor, 0) - COALESCE(c.minor, 0), 0)
FROM invoice AS i
LEFT JOIN paid AS p ON p.invoice_id = i.id
LEFT JOIN credited AS c ON c.invoice_id = i.id
WHERE i.tenant = :tenant AND i.issue_date <= :day
ORDER BY i.debtor_id, i.due_date, i.id
"""

_DEBTOR_OPEN_ITEMS_SQL = f"""
SELECT i.debtor_id, i.id, i.currency, i.issue_date, i.due_date, i.amount_minor, {_OPEN_EXPR}
FROM invoice AS i
WHERE i.tenant = :tenant AND i.debtor_id = :debtor AND i.issue_date <= :day
ORDER BY i.due_date, i.id
"""

_TABLES = frozenset({"debtor", "invoice", "payment", "allocation", "credit_note"})

_DEBTOR_COLS = (
    "tenant, id, name, tax_id, emails, phones, address, locale, timezone, country, tags, cease_contact, insolvent, hold"
)
_INVOICE_COLS = (
    "tenant, id, debtor_id, number, issue_date, due_date, currency, amount_minor, external_ref, source, disputed, hold"
)
_PAYMENT_COLS = "tenant, id, debtor_id, date, currency, amount_minor, method, description, external_ref"
_CREDIT_COLS = "tenant, id, debtor_id, invoice_id, date, currency, amount_minor, reason"


def _debtor_row(d: Debtor) -> dict[str, Any]:
    address = attrs.asdict(d.address)
    address["lines"] = list(d.address.lines)
    return {
        "tenant": d.tenant,
        "id": d.id,
        "name": d.name,
        "tax_id": d.tax_id,
        "emails": json.dumps(list(d.emails)),
        "phones": json.dumps(list(d.phones)),
        "address": json.dumps(address, sort_keys=True),
        "locale": d.locale,
        "timezone": d.timezone,
        "country": d.country,
        "tags": json.dumps(sorted(d.tags)),
        "cease_contact": int(d.cease_contact),
        "insolvent": int(d.insolvent),
        "hold": int(d.hold),
    }


def _debtor_from_row(r: Sequence[Any]) -> Debtor:
    address = json.loads(r[6])
    return Debtor(
        tenant=r[0],
        id=r[1],
        name=r[2],
        tax_id=r[3],
        emails=json.loads(r[4]),
        phones=json.loads(r[5]),
        address=Address(**{k: address.get(k, "") for k in ("lines", "city", "postal_code", "region", "country")}),
        locale=r[7],
        timezone=r[8],
        country=r[9],
        tags=json.loads(r[10]),
        cease_contact=bool(r[11]),
        insolvent=bool(r[12]),
        hold=bool(r[13]),
    )


def _invoice_row(i: Invoice) -> dict[str, Any]:
    return {
        "tenant": i.tenant,
        "id": i.id,
        "debtor_id": i.debtor_id,
        "number": i.number,
        "issue_date": i.issue_date.isoformat(),
        "due_date": i.due_date.isoformat(),
        "currency": i.currency,
        "amount_minor": _minor(i.amount),
        "external_ref": i.external_ref,
        "source": i.source,
        "disputed": int(i.disputed),
        "hold": int(i.hold),
    }


def _invoice_from_row(r: Sequence[Any]) -> Invoice:
    return Invoice(
        tenant=r[0],
        id=r[1],
        debtor_id=r[2],
        number=r[3],
        issue_date=dt.date.fromisoformat(r[4]),
        due_date=dt.date.fromisoformat(r[5]),
        amount=_money(r[7], r[6]),
        external_ref=r[8],
        source=r[9],
        disputed=bool(r[10]),
        hold=bool(r[11]),
    )


def _payment_row(p: Payment) -> dict[str, Any]:
    return {
        "tenant": p.tenant,
        "id": p.id,
        "debtor_id": p.debtor_id,
        "date": p.date.isoformat(),
        "currency": p.amount.currency,
        "amount_minor": _minor(p.amount),
        "method": p.method.value,
        "description": p.description,
        "external_ref": p.external_ref,
    }


def _payment_from_row(r: Sequence[Any], allocations: tuple[Allocation, ...]) -> Payment:
    return Payment(
        tenant=r[0],
        id=r[1],
        debtor_id=r[2],
        date=dt.date.fromisoformat(r[3]),
        amount=_money(r[5], r[4]),
        method=PaymentMethod(r[6]),
        description=r[7],
        external_ref=r[8],
        allocations=allocations,
    )


def _credit_note_row(c: CreditNote) -> dict[str, Any]:
    return {
        "tenant": c.tenant,
        "id": c.id,
        "debtor_id": c.debtor_id,
        "invoice_id": c.invoice_id,
        "date": c.date.isoformat(),
        "currency": c.amount.currency,
        "amount_minor": _minor(c.amount),
        "reason": c.reason,
    }


def _credit_note_from_row(r: Sequence[Any]) -> CreditNote:
    return CreditNote(
        tenant=r[0],
        id=r[1],
        debtor_id=r[2],
        invoice_id=r[3],
        date=dt.date.fromisoformat(r[4]),
        amount=_money(r[6], r[5]),
        reason=r[7],
    )


def _row_for(record: Debtor | Invoice | Payment | CreditNote) -> tuple[str, dict[str, Any]]:
    if isinstance(record, Debtor):
        return "debtor", _debtor_row(record)
    if isinstance(record, Invoice):
        return "invoice", _invoice_row(record)
    if isinstance(record, Payment):
        return "payment", _payment_row(record)
    return "credit_note", _credit_note_row(record)


def minor_to_str(minor: int, currency: str) -> str:
    """Minor units as a plain decimal string with the currency's decimals."""
    return _money(minor, currency).format_amount()
