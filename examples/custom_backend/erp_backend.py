"""An in-house ERP (a SQLite file) as a cobrokit backend: the whole adapter (docs/writing-an-adapter.md)."""

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing
from typing import Any

from cobrokit.backend import BackendType, Capability
from cobrokit.http import convert_records
from cobrokit.model import Allocation, CreditNote, Debtor, Invoice, Payment
from cobrokit.money import Money
from cobrokit.plugins import hookimpl


def debtor_from_row(r: sqlite3.Row, tenant: str) -> Debtor:
    return Debtor(  # a NULL email or phone reads as none
        id=r["code"], name=r["company"], tenant=tenant, emails=r["email"], phones=r["phone"], country=r["country"] or ""
    )


def invoice_from_row(r: sqlite3.Row, tenant: str) -> Invoice:
    return Invoice(
        id=r["number"],
        debtor_id=r["customer"],
        issue_date=dt.date.fromisoformat(r["issued"]),  # not an ISO date: raises, and the row is skipped
        due_date=dt.date.fromisoformat(r["due"]),
        amount=Money(r["total"], r["currency"]),  # amounts are stored as text: exact, never a float
        tenant=tenant,
        source="inhouse",  # the backend's name
    )


def payment_from_row(r: sqlite3.Row, tenant: str) -> Payment:
    paid, on = Money(r["amount"], r["currency"]), dt.date.fromisoformat(r["paid_on"])
    pays = (Allocation(r["invoice"], paid),)  # the receipt pays this invoice
    return Payment(id=f"R{r['id']}", debtor_id=r["customer"], date=on, amount=paid, tenant=tenant, allocations=pays)


class InHouseErp:
    """Reads the ERP's tables (a row that fails to convert is skipped with a warning); writes nothing back."""

    name = "inhouse"
    capabilities: frozenset[Capability] = frozenset()

    def __init__(self, path: str) -> None:
        self.path = path
        self._synced: dict[str, dt.datetime] = {}

    def _read(self, sql: str, make: Callable[[sqlite3.Row, str], Any], kind: str, key: str, tenant: str) -> Any:
        with closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as conn:
            conn.row_factory = sqlite3.Row
            rows = conn.execute(sql).fetchall()
        return convert_records(rows, lambda r: make(r, tenant), provider=self.name, kind=kind, id_of=lambda r: r[key])

    def iter_debtors(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[Debtor]:
        return self._read("SELECT * FROM customers", debtor_from_row, "customer", "code", tenant)

    def iter_invoices(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[Invoice]:
        return self._read("SELECT * FROM invoices", invoice_from_row, "invoice", "number", tenant)

    def iter_payments(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[Payment]:
        started = dt.datetime.now(dt.UTC)
        sql = "SELECT r.*, i.customer, i.currency FROM receipts r JOIN invoices i ON i.number = r.invoice"
        yield from self._read(sql, payment_from_row, "receipt", "id", tenant)
        self._synced[tenant] = started  # every receipt was read: payments are up to date

    def iter_credit_notes(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[CreditNote]:
        return iter(())  # this ERP has none

    def last_synced(self, *, tenant: str) -> dt.datetime | None:
        return self._synced.get(tenant)


class InHouseErpPlugin:
    """The plugin object: register it on a host, or publish it under the ``cobrokit`` entry point."""

    @hookimpl
    def cobrokit_register_backends(self) -> list[BackendType]:
        def factory(settings: Mapping[str, Any]) -> InHouseErp:
            return InHouseErp(str(settings["path"]))

        return [BackendType("inhouse", factory, summary="our in-house ERP database", settings=("path",))]
