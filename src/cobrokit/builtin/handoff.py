"""The built-in hand-off: the ladder's ``handoff`` stage writes the case file.

When the dispatcher carries out a ``handoff`` effect it calls the
``cobrokit_handoff`` hook; this plugin answers by building the debtor's case file
(:func:`cobrokit.reports.dossier.build_dossier`) into a folder — by default
``outbox/dossiers/`` — named ``<tenant>_<debtor>_<cycle>.zip``, and returns where it is
(the outbox row and the journal record the path). Building the same cycle again replaces
the file, so a retried hand-off is harmless. Agency plugins can pick the file up from
there (or implement the hook themselves and send it).

Nothing is written until a folder is configured, so an unconfigured install only
records the hand-off in the journal.

Settings (``[channels.handoff]`` in ``cobrokit.toml``):

``folder``   where case files are written (required to write them, e.g. ``outbox/dossiers``)
``format``   ``"zip"`` (default) or ``"dir"`` (a folder per case)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cobrokit.errors import ConfigError
from cobrokit.plugins.markers import hookimpl

if TYPE_CHECKING:
    from cobrokit.ladder.config import Config
    from cobrokit.plugins.manager import PluginHost
    from cobrokit.store.sqlite import SQLiteStore

__all__ = ["dossier_path"]

_KNOWN = {"folder", "format"}


def _settings(config: Config) -> tuple[Path | None, bool]:
    raw: Mapping[str, Any] = config.channels.get("handoff", {})
    unknown = sorted(set(raw) - _KNOWN)
    if unknown:
        raise ConfigError(f"channels.handoff: unknown setting(s) {', '.join(unknown)}; known: folder, format")
    fmt = str(raw.get("format", "zip")).lower()
    if fmt not in ("zip", "dir"):
        raise ConfigError(f"channels.handoff: format must be 'zip' or 'dir', not {fmt!r}")
    folder = str(raw.get("folder") or "")
    return (Path(folder) if folder else None), fmt == "zip"


def dossier_path(folder: Path, tenant: str, debtor_id: str, cycle: str, *, as_zip: bool = True) -> Path:
    """Where the case file of one hand-off goes (``<tenant>_<debtor>_<cycle>[.zip]``)."""
    from cobrokit.builtin.email import safe_filename

    return folder / safe_filename(f"{tenant}_{debtor_id}_{cycle}", ".zip" if as_zip else "")


def _handoff_date(store: SQLiteStore, tenant: str, debtor_id: str, cycle: str) -> dt.date:
    row = store.conn.execute(
        "SELECT MAX(as_of) FROM outbox WHERE tenant = ? AND debtor_id = ? AND cycle = ? AND kind = 'handoff'",
        (tenant, debtor_id, cycle),
    ).fetchone()
    return dt.date.fromisoformat(row[0]) if row and row[0] else dt.datetime.now(dt.UTC).date()


@hookimpl
def cobrokit_handoff(
    tenant: str,
    debtor_id: str,
    stage: str,
    cycle: str,
    payload: Mapping[str, Any],
    store: SQLiteStore,
    config: Config,
    host: PluginHost,
) -> str | None:
    """Write the debtor's case file and say where it is (when a folder is configured)."""
    folder, as_zip = _settings(config)
    if folder is None:
        return None
    from cobrokit.reports.dossier import build_dossier

    target = dossier_path(folder, tenant, debtor_id, cycle, as_zip=as_zip)
    as_of = _handoff_date(store, tenant, debtor_id, cycle)
    build_dossier(store, debtor_id, target, as_of=as_of, tenant=tenant, config=config, host=host, replace=True)
    return f"case file written to {target}"
