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

``folder``          where case files are written (required to write them, e.g. ``outbox/dossiers``)
``format``          ``"zip"`` (default) or ``"dir"`` (a folder per case)
``agency_name``     the collection agency the ``handoff`` stage passes debts to, as the
                    debtor's letter names it
``agency_contact``  how the debtor reaches the agency (phone, email, address: one line);
                    printed only with ``agency_name``
``lawyer_name``     the lawyers (or firm) of the ``legal`` stage
``lawyer_contact``  how the debtor reaches them (one line)

The four names and contacts go into the hand-off notices' ``extra``
(:func:`handoff_contacts`, read by :func:`cobrokit.dispatch.build_notice`). Without
``agency_name`` the hand-off letter does not claim a referral to a named party: it says
the debt is being passed to an external collection agency that will contact the debtor,
and gives the creditor's own contact for questions.
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

__all__ = ["CONTACT_SETTINGS", "dossier_path", "handoff_contacts"]

CONTACT_SETTINGS: tuple[str, ...] = ("agency_name", "agency_contact", "lawyer_name", "lawyer_contact")
"""The ``[channels.handoff]`` settings that name who a debt is passed to, as notices print them."""

_KNOWN = ("folder", "format", *CONTACT_SETTINGS)


def _raw(config: Config) -> Mapping[str, Any]:
    """``[channels.handoff]``, with its keys checked."""
    raw: Mapping[str, Any] = config.channels.get("handoff", {})
    unknown = sorted(set(raw) - set(_KNOWN))
    if unknown:
        raise ConfigError(f"channels.handoff: unknown setting(s) {', '.join(unknown)}; known: {', '.join(_KNOWN)}")
    return raw


def handoff_contacts(config: Config) -> dict[str, str]:
    """``{setting: text}`` of the :data:`CONTACT_SETTINGS` set in ``[channels.handoff]`` (blank ones left out).

    Raises:
        ConfigError: an unknown setting in ``[channels.handoff]``, or a contact setting that
            is not a string.
    """
    raw = _raw(config)
    contacts: dict[str, str] = {}
    for name in CONTACT_SETTINGS:
        value = raw.get(name, "")
        if not isinstance(value, str):
            raise ConfigError(f"channels.handoff: {name} must be a string, not {type(value).__name__}")
        text = " ".join(value.split())
        if text:
            contacts[name] = text
    return contacts


def _settings(config: Config) -> tuple[Path | None, bool]:
    raw = _raw(config)
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
