"""An in-house ERP (a SQLite file) as a cobrokit backend: the whole adapter (docs/writing-an-adapter.md)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from typing import Any

from cobrokit.backend import BackendType, Capability
from cobrokit.http import convert_records
from cobrokit.model import Allocation, CreditNote, Debtor, Invoice, Payment
from cobrokit.money import Money
from cobrokit.plugins import hookimpl

Convert = Callable[[sqlite3.Row, str], Any]


def debtor_from_row(r: sqlite3.Row, tenant: str) -> Debtor:
    return Debtor(
        id=r["code"],
        name=r["company"],
        tenant=tenant,
        emails=r["email"] or "",
        phones=r["phone"] or "",
        country=r["country"] or "",
    )


def invoice_from_row(r: sqlite3.Row, tenant: str) -> Invoice:
    return Invoice(
        id=r["number"],
        debtor_id=r["customer"],
        issue_date=dt.date.fromisoformat(r["issued"]),
        due_date=dt.date.fromisoformat(r["due"]),
        amount=Money(r["total"], r["currency"]),
        tenant=tenant,
        number=r["number"],
        source="inhouse",
    )


def payment_from_row(r: sqlite3.Row, tenant: str) -> Payment:
    amount = Money(r["amount"], r["currency"])
    return Payment(
        id=f"R{r['id']}",
        debtor_id=r["customer"],
        date=dt.date.fromisoformat(r["paid_on"]),
        amount=amount,
        tenant=tenant,
        allocations=(Allocation(r["invoice"], amount),),
    )


class InHouseErp:
    """Reads the ERP's tables; writes nothing back."""

    name = "inhouse"
    capabilities: frozenset[Capability] = frozenset()

    def __init__(self, path: str) -> None:
        self.path = path
        self._synced: dict[str, dt.datetime] = {}

    def _read(self, sql: str, convert: Convert, key: str, tenant: str) -> Iterator[Any]:
        with closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as conn:
            conn.row_factory = sqlite3.Row
            rows = conn.execute(sql).fetchall()
        return convert_records(
            rows,
            lambda r: convert(r, tenant),
            provider=self.name,
            kind=key.split(".")[0],
            id_of=lambda r: r[key.split(".")[1]],
        )

    def iter_debtors(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[Debtor]:
        return self._read("SELECT * FROM customers", debtor_from_row, "customer.code", tenant)

    def iter_invoices(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[Invoice]:
        return self._read("SELECT * FROM invoices", invoice_from_row, "invoice.number", tenant)

    def iter_payments(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[Payment]:
        started = dt.datetime.now(dt.UTC)
        yield from self._read(
            "SELECT r.*, i.customer, i.currency FROM receipts r JOIN invoices i ON i.number = r.invoice",
            payment_from_row,
            "receipt.id",
            tenant,
        )
        self._synced[tenant] = started  # every receipt was read: payments are up to date

    def iter_credit_notes(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[CreditNote]:
        return iter(())

    def last_synced(self, *, tenant: str) -> dt.datetime | None:
        return self._synced.get(tenant)


class InHouseErpPlugin:
    """The plugin object: register it on a host, or publish it under the ``cobrokit`` entry point."""

    @hookimpl
    def cobrokit_register_backends(self) -> list[BackendType]:
        return [
            BackendType(
                name="inhouse",
                factory=lambda settings: InHouseErp(str(settings["path"])),
                summary="our in-house ERP database",
                settings=("path",),
            )
        ]
