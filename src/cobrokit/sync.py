"""Bring the embedded ledger up to date from a backend: ``cobrokit sync``.

:func:`sync` reads a :class:`~cobrokit.backend.Backend`'s four streams — debtors, invoices,
payments, credit notes, in that order — and upserts them into the
:class:`~cobrokit.store.sqlite.SQLiteStore` the dunning run reads:

* records are written in batches, **one transaction per batch**; a batch a store check
  refuses is written again record by record, so only the bad record is skipped (with a
  logged reason naming it) and no record is ever half-written;
* records the backend could not convert were already skipped by the backend (logged with
  the provider's id); records referring to something the ledger does not hold (a payment
  for an invoice that was never open here, an invoice of an unknown debtor) are skipped;
* a newer version of a record replaces the stored one (``update=True``), except for the
  flags cobrokit's own casework sets — ``hold``, ``cease_contact``, ``insolvent`` on
  debtors, ``hold``, ``disputed`` on invoices — and debtor tags, which are kept (a flag set
  in cobrokit survives a sync; one set at the provider is taken);
* a settlement derived from an open balance (:mod:`cobrokit.receivables`) whose amount did
  not change keeps its stored date, so the ledger does not rewrite history on every sync;
  one the backend no longer reports for an invoice it listed is withdrawn (the invoice is
  fully open again);
* after a complete read (no *since*) of a backend that lists every open invoice
  (:class:`~cobrokit.backend.ListsOpenInvoices`), an invoice synced from it earlier, still
  open here, that it no longer lists is taken as settled at the source: a settlement
  closes it, dated on the sync day;
* when every stream was read to the end, the sync time is recorded
  (:meth:`SQLiteStore.record_sync <cobrokit.store.sqlite.SQLiteStore.record_sync>` under
  the backend's name): the freshness guard of ``cobrokit run --backend NAME`` reads it.
  A sync that fails part-way keeps what it committed but records no time.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import attrs

from cobrokit.backend import Backend, ListsOpenInvoices, counting_skips
from cobrokit.errors import CobrokitError, ValidationError
from cobrokit.http import SYSTEM_CLOCK, Clock
from cobrokit.model import DEFAULT_TENANT, Allocation, CreditNote, Debtor, Invoice, Payment, PaymentMethod
from cobrokit.money import Money
from cobrokit.plugins.manager import PluginHost
from cobrokit.receivables import is_settlement, settlement_id
from cobrokit.store.sqlite import SQLiteStore

__all__ = ["KINDS", "SyncReport", "sync", "sync_backend"]

log = logging.getLogger(__name__)

R = TypeVar("R", Debtor, Invoice, Payment, CreditNote)

KINDS: tuple[str, ...] = ("debtors", "invoices", "payments", "credit_notes")
"""The streams a sync reads, in order (the store needs debtors before their invoices)."""


@attrs.frozen(slots=True)
class SyncReport:
    """What a sync did.

    Attributes:
        backend: the backend's name.
        tenant: the creditor synced.
        since: the *since* asked for (``None``: a complete read).
        synced_at: the sync time recorded for the freshness guard.
        inserted, updated, unchanged, skipped: counts per kind (``"debtors"``…). ``skipped``
            counts what the sync left out (another tenant's record, an unknown debtor or
            invoice, a record the store refuses) and what the backend could not convert
            (reported with :func:`cobrokit.backend.report_skip`).
        closed: invoices taken as settled at the source (no longer listed as open).
        withdrawn: derived settlements removed because the invoice is fully open again.
    """

    backend: str
    tenant: str
    since: dt.datetime | None
    synced_at: dt.datetime
    inserted: Mapping[str, int]
    updated: Mapping[str, int]
    unchanged: Mapping[str, int]
    skipped: Mapping[str, int]
    closed: tuple[str, ...] = ()
    withdrawn: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line per kind, for the terminal."""
        when = self.synced_at.isoformat(timespec="seconds")
        head = f"sync {self.backend} → tenant {self.tenant} at {when}"
        if self.since:
            head += f" (changes since {self.since.isoformat(timespec='seconds')})"
        lines = [head]
        for kind in KINDS:
            lines.append(
                f"  {kind.replace('_', ' ')}: {self.inserted.get(kind, 0)} new, "
                f"{self.updated.get(kind, 0)} updated, {self.unchanged.get(kind, 0)} unchanged, "
                f"{self.skipped.get(kind, 0)} skipped"
            )
        if self.closed:
            lines.append(f"  settled at the source (no longer open there): {len(self.closed)}")
        if self.withdrawn:
            lines.append(f"  settlements withdrawn (open again): {len(self.withdrawn)}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "backend": self.backend,
            "tenant": self.tenant,
            "since": self.since.isoformat() if self.since else None,
            "synced_at": self.synced_at.isoformat(),
            "inserted": dict(self.inserted),
            "updated": dict(self.updated),
            "unchanged": dict(self.unchanged),
            "skipped": dict(self.skipped),
            "closed": list(self.closed),
            "withdrawn": list(self.withdrawn),
        }


class _Counts:
    def __init__(self) -> None:
        outcomes = ("inserted", "updated", "unchanged", "skipped")
        self.by: dict[str, Counter[str]] = {w: Counter() for w in outcomes}

    def add(self, what: str, kind: str, n: int = 1) -> None:
        self.by[what][kind] += n

    def merge(self, saved: Any) -> None:
        for what in ("inserted", "updated", "unchanged"):
            for kind, n in getattr(saved, what).items():
                self.by[what][kind] += n


_SAVE_ERRORS = (ValidationError, CobrokitError)


class _Writer:
    """Writes one kind of record in batches, one transaction each, skipping bad records."""

    def __init__(self, store: SQLiteStore, backend: str, counts: _Counts, batch_size: int) -> None:
        self.store = store
        self.backend = backend
        self.counts = counts
        self.batch_size = batch_size

    def write(self, kind: str, records: Iterable[R], prepare: Callable[[R], R | None]) -> list[R]:
        written: list[R] = []
        batch: list[R] = []
        for record in records:
            ready = prepare(record)
            if ready is None:
                continue
            batch.append(ready)
            if len(batch) >= self.batch_size:
                written += self._flush(kind, batch)
                batch = []
        written += self._flush(kind, batch)
        return written

    def _save(self, kind: str, records: list[Any]) -> None:
        self.counts.merge(self.store.save(**{kind: records}, update=True))

    def _flush(self, kind: str, batch: list[R]) -> list[R]:
        if not batch:
            return []
        try:
            self._save(kind, batch)
            return batch
        except _SAVE_ERRORS:
            pass  # one bad record spoils its batch: write them one by one, skipping the bad one
        kept: list[R] = []
        for record in batch:
            try:
                self._save(kind, [record])
            except _SAVE_ERRORS as exc:
                self.counts.add("skipped", kind)
                log.warning("sync %s: skipped %s: %s", self.backend, record.record, exc)
                continue
            kept.append(record)
        return kept


def _skip(counts: _Counts, backend: str, kind: str, record: Any, reason: str) -> None:
    counts.add("skipped", kind)
    log.warning("sync %s: skipped %s: %s", backend, record.record, reason)


def sync(
    store: SQLiteStore,
    backend: Backend,
    *,
    tenant: str = DEFAULT_TENANT,
    since: dt.datetime | None = None,
    batch_size: int = 500,
    clock: Clock = SYSTEM_CLOCK,
) -> SyncReport:
    """Pull *tenant*'s records from *backend* into *store* (see the module docstring).

    Args:
        since: read only what changed since then (aware datetime), when the backend can
            tell; ``None`` reads everything and allows closing invoices no longer listed.
        batch_size: records per transaction.
        clock: gives the sync day (for closing settlements) and the fallback sync time.

    Returns:
        a :class:`SyncReport`.

    Raises:
        AdapterError: the backend failed (auth, outage…); what was committed stays, no sync
            time is recorded.
        ValueError: *since* is naive, or *batch_size* < 1.
    """
    if since is not None and since.tzinfo is None:
        raise ValueError("since must be timezone-aware")
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    started = clock.now()
    name = backend.name
    counts = _Counts()
    writer = _Writer(store, name, counts, batch_size)

    def mine(kind: str, record: Any) -> bool:
        if record.tenant != tenant:
            _skip(counts, name, kind, record, f"belongs to tenant {record.tenant!r}, not {tenant!r}")
            return False
        return True

    def prepare_debtor(debtor: Debtor) -> Debtor | None:
        if not mine("debtors", debtor):
            return None
        stored = store.get_debtor(tenant, debtor.id)
        if stored is None:
            return debtor
        return attrs.evolve(
            debtor,
            hold=debtor.hold or stored.hold,
            tags=debtor.tags | stored.tags,
            cease_contact=debtor.cease_contact or stored.cease_contact,
            insolvent=debtor.insolvent or stored.insolvent,
        )

    def prepare_invoice(invoice: Invoice) -> Invoice | None:
        if not mine("invoices", invoice):
            return None
        if store.get_debtor(tenant, invoice.debtor_id) is None:
            _skip(counts, name, "invoices", invoice, f"its debtor {invoice.debtor_id!r} is not in the ledger")
            return None
        stored = store.get_invoice(tenant, invoice.id)
        if stored is None:
            return invoice
        return attrs.evolve(invoice, hold=invoice.hold or stored.hold, disputed=invoice.disputed or stored.disputed)

    seen_settlements: set[str] = set()

    def prepare_payment(payment: Payment) -> Payment | None:
        if not mine("payments", payment):
            return None
        if store.get_debtor(tenant, payment.debtor_id) is None:
            _skip(counts, name, "payments", payment, f"its debtor {payment.debtor_id!r} is not in the ledger")
            return None
        # e.g. an invoice paid before it was ever open here: nothing to chase
        if any(store.get_invoice(tenant, a.invoice_id) is None for a in payment.allocations):
            counts.add("skipped", "payments")
            log.info("sync %s: skipped %s: for invoice(s) not in the ledger", name, payment.record)
            return None
        if is_settlement(payment):
            seen_settlements.add(payment.id)
            if store.compare(payment) == ["date"]:  # same amount: keep the date it was first seen
                counts.add("unchanged", "payments")
                return None
        return payment

    def prepare_note(note: CreditNote) -> CreditNote | None:
        if not mine("credit_notes", note):
            return None
        if store.get_debtor(tenant, note.debtor_id) is None:
            _skip(counts, name, "credit_notes", note, f"its debtor {note.debtor_id!r} is not in the ledger")
            return None
        if note.invoice_id and store.get_invoice(tenant, note.invoice_id) is None:
            _skip(counts, name, "credit_notes", note, f"its invoice {note.invoice_id!r} is not in the ledger")
            return None
        return note

    left_out: set[tuple[str, str]] = set()  # what the backend itself could not convert

    def read(kind: str, records: Iterable[R], prepare: Callable[[R], R | None]) -> list[R]:
        with counting_skips() as reported:
            written = writer.write(kind, records, prepare)
        for named, record_id in reported:
            if (named, record_id) not in left_out:  # a backend reading its source once per stream reports again
                left_out.add((named, record_id))
                counts.add("skipped", named if named in KINDS else kind)  # a kind it did not name: the stream
        return written

    read("debtors", backend.iter_debtors(tenant=tenant, since=since), prepare_debtor)
    invoices = read("invoices", backend.iter_invoices(tenant=tenant, since=since), prepare_invoice)
    read("payments", backend.iter_payments(tenant=tenant, since=since), prepare_payment)
    read("credit_notes", backend.iter_credit_notes(tenant=tenant, since=since), prepare_note)

    withdrawn = _withdraw_settlements(store, tenant, [i.id for i in invoices], seen_settlements)
    closed: tuple[str, ...] = ()
    if since is None and isinstance(backend, ListsOpenInvoices):
        listed = backend.listed_invoice_ids(tenant=tenant)
        if listed is not None:
            closed = _close_unlisted(store, tenant, name, listed, started.date())

    synced_at = backend.last_synced(tenant=tenant) or started
    store.record_sync(tenant, name, synced_at)
    report = SyncReport(
        backend=name,
        tenant=tenant,
        since=since,
        synced_at=synced_at,
        inserted=dict(counts.by["inserted"]),
        updated=dict(counts.by["updated"]),
        unchanged=dict(counts.by["unchanged"]),
        skipped=dict(counts.by["skipped"]),
        closed=closed,
        withdrawn=withdrawn,
    )
    log.info(
        "sync %s: tenant %s done: %s",
        name,
        tenant,
        ", ".join(f"{k} {sum(v.values())}" for k, v in counts.by.items()),
    )
    return report


def _withdraw_settlements(
    store: SQLiteStore, tenant: str, invoice_ids: Iterable[str], seen: set[str]
) -> tuple[str, ...]:
    """Remove stored settlements of synced invoices the backend no longer settles."""
    withdrawn = []
    for invoice_id in invoice_ids:
        payment_id = settlement_id(invoice_id)
        if payment_id in seen:
            continue
        with store.transaction() as conn:
            found = conn.execute("SELECT 1 FROM payment WHERE tenant = ? AND id = ?", (tenant, payment_id))
            if found.fetchone() is None:
                continue
            conn.execute("DELETE FROM allocation WHERE tenant = ? AND payment_id = ?", (tenant, payment_id))
            conn.execute("DELETE FROM payment WHERE tenant = ? AND id = ?", (tenant, payment_id))
        withdrawn.append(invoice_id)
        log.info("sync: invoice %s is open again at its source; its settlement was withdrawn", invoice_id)
    return tuple(withdrawn)


def _close_unlisted(
    store: SQLiteStore, tenant: str, source: str, listed: frozenset[str], day: dt.date
) -> tuple[str, ...]:
    """Settle invoices from *source*, open in the store, that the backend no longer lists."""
    closed = []
    for item in list(store.open_items(tenant, day)):
        if item.open_minor <= 0 or item.invoice_id in listed:
            continue
        invoice = store.get_invoice(tenant, item.invoice_id)
        if invoice is None or invoice.source != source:
            continue
        payment_id = settlement_id(invoice.id)
        row = store.conn.execute(
            "SELECT amount_minor FROM payment WHERE tenant = ? AND id = ?", (tenant, payment_id)
        ).fetchone()
        already = int(row[0]) if row else 0
        amount = Money.from_minor(already + item.open_minor, invoice.currency)
        payment = Payment(
            id=payment_id,
            debtor_id=invoice.debtor_id,
            date=day,
            amount=amount,
            tenant=tenant,
            method=PaymentMethod.OTHER,
            allocations=(Allocation(invoice.id, amount),),
            description=f"settled at {source}: no longer listed as open there",
        )
        store.save(payments=[payment], update=True)
        closed.append(invoice.id)
    if closed:
        log.info("sync %s: %d invoice(s) no longer open at the source were closed", source, len(closed))
    return tuple(closed)


def sync_backend(
    store: SQLiteStore,
    host: PluginHost,
    name: str,
    settings: Mapping[str, Any] | None = None,
    *,
    tenant: str = DEFAULT_TENANT,
    since: dt.datetime | None = None,
    batch_size: int = 500,
) -> SyncReport:
    """Build the backend *name* from the plugins installed on *host* with *settings*, then :func:`sync`.

    Raises:
        PluginError: no plugin provides *name*.
        ConfigError: the backend refused its settings.
    """
    from cobrokit.builtin.sqlite_backend import check_not_self_sync

    check_not_self_sync(store.path, name, settings or {})  # the embedded store is fed by imports
    backend = host.backend(name, settings or {})
    return sync(store, backend, tenant=tenant, since=since, batch_size=batch_size)
