"""Built-in plugin: an embedded SQLite ledger exposed as the ``sqlite`` backend.

Settings: ``path`` (the store file to read; default ``cobrokit.db``).

The backend only *reads* its source: the file is opened read-only, so a wrong ``path``
is an error (:class:`~cobrokit.errors.ConfigError` naming the setting) and never a new,
empty store that a sync would then record as fresh. ``cobrokit sync --backend sqlite``
copies *another* cobrokit store into the one given by ``--db``; syncing a store into
itself is refused (:func:`check_not_self_sync`): the embedded store is fed by
``cobrokit import`` (invoices and payments CSV).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from cobrokit.backend import Backend, BackendType, Capability
from cobrokit.errors import ConfigError
from cobrokit.model import CreditNote, Debtor, Invoice, Payment
from cobrokit.plugins.markers import hookimpl
from cobrokit.store.sqlite import SQLiteStore, migrations

__all__ = ["DEFAULT_PATH", "SQLiteBackend", "check_not_self_sync", "cobrokit_register_backends", "open_read_only"]

DEFAULT_PATH = "cobrokit.db"
"""The ``path`` setting when none is given (the default ``--db`` of every command)."""


def _source_path(settings: Mapping[str, Any]) -> Path:
    return Path(str(settings.get("path") or DEFAULT_PATH)).expanduser()


def open_read_only(path: str | Path, *, busy_timeout_ms: int = 10_000) -> SQLiteStore:
    """Open an existing cobrokit store read-only (nothing is created, migrated or written).

    Raises:
        ConfigError: *path* is not an existing file, not a cobrokit store, or a store whose
            schema is not this cobrokit's (open it once with any cobrokit command to migrate
            it); the message names the ``path`` setting.
    """
    source = Path(path).expanduser()
    where = f"backend sqlite: setting 'path' ({source})"
    if not source.is_file():
        raise ConfigError(f"{where}: no such store file; give the path of an existing cobrokit store")
    uri = source.resolve().as_uri() + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=busy_timeout_ms / 1000)
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        conn.execute("PRAGMA query_only = ON")
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"{where}: cannot read it: {exc}") from exc
    latest = migrations()[-1][0]
    if version != latest:
        conn.close()
        if version == 0:
            raise ConfigError(f"{where}: not a cobrokit store")
        raise ConfigError(
            f"{where}: store schema version {version}, this cobrokit reads version {latest}; "
            "open the store once with this cobrokit (e.g. cobrokit aging --db PATH) to migrate it"
        )
    return SQLiteStore(conn, str(source))


def check_not_self_sync(store_path: str | Path, backend: str, settings: Mapping[str, Any]) -> None:
    """Refuse to sync the embedded store at *store_path* from itself.

    Only the ``sqlite`` backend can name a store; syncing a store into itself would read
    nothing new yet record a fresh sync time, silencing the freshness guard.

    Raises:
        ConfigError: *backend* is ``sqlite`` and its ``path`` setting (default
            ``cobrokit.db``) is the same file as *store_path*.
    """
    if backend != SQLiteBackend.name or str(store_path) == ":memory:":
        return
    source = _source_path(settings)
    target = Path(store_path).expanduser()
    same = source.resolve() == target.resolve()
    if not same and source.exists() and target.exists():
        same = os.path.samefile(source, target)
    if same:
        raise ConfigError(
            f"backend sqlite: setting 'path' ({source}) is the store being synced ({target}); a store "
            "cannot be synced into itself. The embedded store is fed by `cobrokit import` "
            "(--payments FILE.csv, --invoices FILE.csv); `cobrokit sync --backend sqlite` copies "
            "another cobrokit store into it (--setting path=OTHER.db)"
        )


class SQLiteBackend:
    """An embedded cobrokit ledger, read as a :class:`~cobrokit.backend.Backend`.

    ``last_synced`` is the time the ledger was last fed (by an import), or ``None`` when it
    never recorded one.
    """

    name = "sqlite"
    capabilities: frozenset[Capability] = frozenset()

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Backend:
        """Open the store named by ``settings["path"]`` (default ``cobrokit.db``) read-only.

        Raises:
            ConfigError: see :func:`open_read_only`.
        """
        return cls(open_read_only(_source_path(settings)))

    def close(self) -> None:
        """Close the source store."""
        self.store.close()

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
            summary="embedded SQLite ledger, read-only (the default; fed by `cobrokit import`)",
            settings=("path",),
        )
    ]
