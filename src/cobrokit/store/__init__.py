"""The embedded store: one SQLite file holding the ledger and the journal."""

from cobrokit.store.sqlite import OpenItem, SQLiteStore

__all__ = ["OpenItem", "SQLiteStore"]
