"""Built-in plugin: the embedded SQLite ledger exposed as the ``sqlite`` backend.

Settings: ``path`` (the store file; default ``cobrokit.db``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from cobrokit.backend import Backend, BackendType, Capability
from cobrokit.model import CreditNote, Debtor, Invoice, Payment
from cobrokit.plugins.markers import hookimpl
from cobrokit.store.sqlite import SQLiteStore

__all__ = ["SQLiteBackend", "cobrokit_register_backends"]


class SQLiteBackend:
    """The embedded ledger as a :class:`~cobrokit.backend.Backend`.

    The store is the book of record, so it is always fresh: ``last_synced`` is the time the
    ledger was last written by an import, or ``None`` when it never recorded one.
    """

    name = "sqlite"
    capabilities: frozenset[Capability] = frozenset()

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Backend:
        """Open the store named by ``settings["path"]`` (default ``cobrokit.db``)."""
        return cls(SQLiteStore.open(str(settings.get("path", "cobrokit.db"))))

    def iter_debtors(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[Debtor]:
        """Every debtor of the tenant (the ledger keeps no change times: ``since`` is ignored)."""
        return self.store.iter_debtors(tenant)

    def iter_invoices(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[Invoice]:
        """Every invoice of the tenant."""
        return self.store.iter_invoices(tenant)

    def iter_payments(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[Payment]:
        """Every payment of the tenant, with allocations."""
        return self.store.iter_payments(tenant)

    def iter_credit_notes(self, *, tenant: str, since: dt.datetime | None = None) -> Iterator[CreditNote]:
        """Every credit note of the tenant."""
        return self.store.iter_credit_notes(tenant)

    def last_synced(self, *, tenant: str) -> dt.datetime | None:
        """When payments were last imported into the ledger."""
        return self.store.last_synced(tenant, self.name)


@hookimpl
def cobrokit_register_backends() -> Iterable[BackendType]:
    """Register the embedded ledger."""
    return [
        BackendType(
            name="sqlite",
            factory=SQLiteBackend.from_settings,
            summary="embedded SQLite ledger (the default; fed by `cobrokit import`)",
            settings=("path",),
        )
    ]
