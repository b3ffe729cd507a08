"""``cobrokit sync``: pull debtors, invoices, payments and credit notes from a backend."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

from cobrokit.builtin.sqlite_backend import check_not_self_sync
from cobrokit.cli.options import add_db, add_tenant
from cobrokit.errors import ConfigError
from cobrokit.plugins import get_plugin_host
from cobrokit.store.sqlite import SQLiteStore
from cobrokit.sync import sync

__all__ = ["parse_setting", "parse_since", "register"]


def parse_setting(text: str) -> tuple[str, str]:
    """argparse type: ``key=value`` (the value may contain ``=``)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not key=value")
    return key.strip(), value.strip()


def parse_since(text: str) -> dt.datetime | str:
    """argparse type: an ISO date or datetime (naive means UTC), or ``last``."""
    if text == "last":
        return text
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date/datetime or 'last'") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def register(sub: Any) -> None:
    """Add the ``sync`` command."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "sync",
        help="pull debtors, invoices and payments from an accounting backend",
        description="Read a backend (an installed plugin: see `cobrokit plugins`) and upsert its debtors, "
        "invoices, payments and credit notes into the store, then record the sync time that the "
        "freshness guard of `cobrokit run --backend NAME` checks. Secrets are never given here: "
        "name the environment variable that holds them (e.g. --setting api_key_env=STRIPE_API_KEY). "
        "The embedded store is fed by `cobrokit import`; `--backend sqlite --setting path=OTHER.db` "
        "copies another cobrokit store into it (a store is never synced into itself).",
    )
    add_db(parser)
    add_tenant(parser)
    parser.add_argument("--backend", required=True, metavar="NAME", help="the backend to read (e.g. stripe)")
    parser.add_argument(
        "--setting",
        dest="settings",
        type=parse_setting,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a backend setting (repeatable); see docs/backends.md",
    )
    parser.add_argument(
        "--since",
        type=parse_since,
        default=None,
        metavar="ISO|last",
        help="only what changed since then (ISO datetime, or 'last' for the last sync); default: a complete read",
    )
    parser.add_argument("--batch-size", type=int, default=500, metavar="N", help="records per transaction")
    parser.add_argument("--json", action="store_true", help="JSON output")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit sync``."""
    settings = dict(args.settings)
    check_not_self_sync(args.db, args.backend, settings)  # before the store is opened (and created)
    with SQLiteStore.open(args.db) as store:
        since = args.since
        if since == "last":
            since = store.last_synced(args.tenant, args.backend)
            if since is None:
                raise ConfigError(f"--since last: backend {args.backend!r} never synced tenant {args.tenant!r}")
        backend = get_plugin_host().backend(args.backend, settings)
        try:
            report = sync(store, backend, tenant=args.tenant, since=since, batch_size=args.batch_size)
        finally:
            close = getattr(backend, "close", None)
            if callable(close):  # e.g. the sqlite backend's read-only source
                close()
    if args.json:
        json.dump(report.as_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(report.summary())
    return 0
