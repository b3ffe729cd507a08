"""The built-in hand-off: the ladder's ``handoff`` stage writes the case file.

When the dispatcher carries out a ``handoff`` effect it calls the
``cobrokit_handoff`` hook; this plugin answers by building the debtor's case file
(:func:`cobrokit.reports.dossier.build_dossier`) into a folder — by default
``outbox/dossiers/`` — named ``<tenant>_<debtor>_<cycle>_<target>.zip``, where the target is
the stage's ``handoff_to`` (``agency`` or ``legal``; the stage id when the payload has none),
and returns where it is (the outbox row and the journal record the path). The agency's file
and the lawyer's file of one cycle are two files: the later hand-off never overwrites the
earlier one. Building the same hand-off again replaces its file, so a retried hand-off is
harmless. Agency plugins can pick the file up from
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


def dossier_path(
    folder: Path, tenant: str, debtor_id: str, cycle: str, handoff_to: str, *, as_zip: bool = True
) -> Path:
    """Where the case file of one hand-off goes (``<tenant>_<debtor>_<cycle>_<handoff_to>[.zip]``).

    *handoff_to* is who receives the case (``"agency"``, ``"legal"``; the stage id when the
    stage names no target), so the agency's and the lawyer's files of a cycle both exist.
    """
    from cobrokit.builtin.email import safe_filename

    return folder / safe_filename(f"{tenant}_{debtor_id}_{cycle}_{handoff_to}", ".zip" if as_zip else "")


def _handoff_date(store: SQLiteStore, tenant: str, debtor_id: str, stage: str, cycle: str) -> dt.date:
    """The business date of this stage's hand-off (not a later hand-off of the same cycle)."""
    row = store.conn.execute(
        "SELECT MAX(as_of) FROM outbox WHERE tenant = ? AND debtor_id = ? AND cycle = ? AND kind = 'handoff' "
        "AND stage = ?",  # a hand-off is never a repeat: its stage key is the stage id
        (tenant, debtor_id, cycle, stage),
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

    handoff_to = str(payload.get("handoff_to") or stage)
    target = dossier_path(folder, tenant, debtor_id, cycle, handoff_to, as_zip=as_zip)
    as_of = _handoff_date(store, tenant, debtor_id, stage, cycle)
    build_dossier(store, debtor_id, target, as_of=as_of, tenant=tenant, config=config, host=host, replace=True)
    return f"case file written to {target}"
