"""``cobrokit journal``: every decision, skip, notice, delivery and failure, in order."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from cobrokit.cli.options import add_db, add_tenant, iso_date
from cobrokit.store.journal import journal_entries
from cobrokit.store.sqlite import SQLiteStore


def register(sub: Any) -> None:
    """Add ``journal``."""
    journal = sub.add_parser(
        "journal",
        help="show the journal: decisions, skips, notices, deliveries",
        description="Print the journal of the store in business-date order: what each run decided "
        "(notices and other effects with their delivery status), what it skipped or deferred and why, "
        "fees charged, and every delivery, failure and receipt.",
    )
    add_db(journal)
    add_tenant(journal)
    journal.add_argument("--debtor", metavar="ID", help="one debtor's entries only")
    journal.add_argument("--since", type=iso_date, metavar="DATE", help="entries with a business date on or after DATE")
    journal.add_argument("--json", action="store_true", help="one JSON object per line")
    journal.set_defaults(func=journal_command)


def journal_command(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit journal``."""
    if not args.db.exists():
        raise SystemExit(f"cobrokit: error: {args.db}: no such store (run `cobrokit import` first)")
    with SQLiteStore.open(args.db) as store:
        for entry in journal_entries(store, args.tenant, debtor_id=args.debtor, since=args.since):
            if args.json:
                sys.stdout.write(json.dumps(entry.to_json(), ensure_ascii=False) + "\n")
            else:
                where = f" via {entry.channel}" if entry.channel else ""
                why = f" — {entry.reason}" if entry.reason and entry.source != "outbox" else ""
                sys.stdout.write(
                    f"{entry.as_of} {entry.debtor_id or '-'} {entry.kind} {entry.stage or '-'}{where} "
                    f"[{entry.status}]{why}\n"
                )
    return 0
