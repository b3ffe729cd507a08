"""The built-in hand-off: the ladder's ``handoff`` stage writes the case file.

When the dispatcher carries out a ``handoff`` effect it calls the
``cobrokit_handoff`` hook; this plugin answers by building the debtor's case file
(:func:`cobrokit.reports.dossier.build_dossier`) into a folder — by default
``outbox/dossiers/`` — named ``<tenant>_<debtor>_<cycle>.zip``, and returns where it is
(the outbox row and the journal record the path). Building the same cycle again replaces
the file, so a retried hand-off is harmless. Agency plugins can pick the file up from
there (or implement the hook themselves and send it).

The hook receives no store, so the plugin works inside a :func:`handoff_context`, which
the command that dispatches opens around :func:`cobrokit.dispatch.dispatch`::

    with handoff_context(store, config, host=host):
        dispatch(store, host, config=config, now=now)

Outside such a context it does nothing and returns ``None`` (the dispatcher then records
that no plugin carried out the hand-off).

Settings (``[channels.handoff]`` in ``cobrokit.toml``):

``folder``   where case files are written (default ``outbox/dossiers``)
``format``   ``"zip"`` (default) or ``"dir"`` (a folder per case)
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from cobrokit.errors import ConfigError
from cobrokit.plugins.markers import hookimpl

if TYPE_CHECKING:
    from cobrokit.ladder.config import Config
    from cobrokit.plugins.manager import PluginHost
    from cobrokit.store.sqlite import SQLiteStore

__all__ = ["DEFAULT_FOLDER", "HandoffContext", "dossier_path", "handoff_context"]

DEFAULT_FOLDER = "outbox/dossiers"
_KNOWN = {"folder", "format"}


@attrs.frozen(slots=True)
class HandoffContext:
    """What the hand-off needs that the hook does not receive."""

    store: SQLiteStore
    config: Config
    folder: Path
    as_zip: bool = True
    host: PluginHost | None = None


_CURRENT: contextvars.ContextVar[HandoffContext | None] = contextvars.ContextVar(
    "cobrokit_handoff", default=None
)


def _settings(config: Config) -> tuple[Path, bool]:
    raw: Mapping[str, Any] = config.channels.get("handoff", {})
    unknown = sorted(set(raw) - _KNOWN)
    if unknown:
        raise ConfigError(f"channels.handoff: unknown setting(s) {', '.join(unknown)}; known: folder, format")
    fmt = str(raw.get("format", "zip")).lower()
    if fmt not in ("zip", "dir"):
        raise ConfigError(f"channels.handoff: format must be 'zip' or 'dir', not {fmt!r}")
    return Path(str(raw.get("folder") or DEFAULT_FOLDER)), fmt == "zip"


@contextlib.contextmanager
def handoff_context(
    store: SQLiteStore, config: Config, *, host: PluginHost | None = None, folder: Path | None = None
) -> Iterator[HandoffContext]:
    """Let hand-offs carried out inside the ``with`` block write case files.

    Raises:
        ConfigError: bad ``[channels.handoff]`` settings.
    """
    configured, as_zip = _settings(config)
    context = HandoffContext(store, config, folder or configured, as_zip, host)
    token = _CURRENT.set(context)
    try:
        yield context
    finally:
        _CURRENT.reset(token)


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
    tenant: str, debtor_id: str, stage: str, cycle: str, payload: Mapping[str, Any]
) -> str | None:
    """Write the debtor's case file and say where it is (inside a :func:`handoff_context`)."""
    context = _CURRENT.get()
    if context is None:
        return None
    from cobrokit.reports.dossier import build_dossier

    target = dossier_path(context.folder, tenant, debtor_id, cycle, as_zip=context.as_zip)
    as_of = _handoff_date(context.store, tenant, debtor_id, cycle)
    build_dossier(
        context.store,
        debtor_id,
        target,
        as_of=as_of,
        tenant=tenant,
        config=context.config,
        host=context.host,
        replace=True,
    )
    return f"case file written to {target}"
