"""``cobrokit promise``: record promises to pay and list them with their state."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cobrokit.cli.options import add_db, add_tenant, iso_date
from cobrokit.cli.plan import today
from cobrokit.errors import StoreError, UnknownReferenceError
from cobrokit.promises import promise_as_json
from cobrokit.store.plans import add_promise, promise_statuses
from cobrokit.store.sqlite import SQLiteStore

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add the ``promise`` command and its sub-commands."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "promise",
        help="promises to pay: add, list",
        description="A promise to pay pauses the ladder until its date plus grace; a broken one escalates.",
    )
    actions = parser.add_subparsers(dest="promise_command", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="record a debtor's promise to pay an amount by a date")
    add_db(add)
    add_tenant(add)
    add.add_argument("--debtor", required=True, metavar="ID", help="the debtor")
    add.add_argument("--date", type=iso_date, required=True, metavar="DATE", help="the promised payment date")
    add.add_argument("--amount", required=True, metavar="AMOUNT", help="the promised amount (1234.56)")
    add.add_argument("--currency", metavar="CODE", help="currency of the amount (default: the one the debtor owes in)")
    add.add_argument("--channel", default="", metavar="C", help="where it was promised (phone, email, visit…)")
    add.add_argument("--note", default="", metavar="N", help="a note")
    add.add_argument("--today", type=iso_date, metavar="DATE", help="the day the promise was made (default: today)")
    add.add_argument("--json", action="store_true", help="JSON output")
    add.set_defaults(func=run_add)

    listing = actions.add_parser("list", help="list promises with their state (pending, kept, broken)")
    add_db(listing)
    add_tenant(listing)
    listing.add_argument("--debtor", metavar="ID", help="only this debtor")
    listing.add_argument("--as-of", type=iso_date, metavar="DATE", help="evaluation date (default: today)")
    listing.add_argument(
        "--grace",
        type=int,
        default=None,
        metavar="DAYS",
        help="days after the promised date the payment may still arrive (default: [run] promise_grace_days "
        "of the configuration, as the ladder uses it)",
    )
    listing.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help="cobrokit.toml (default: ./cobrokit.toml if present, else the built-in settings)",
    )
    listing.add_argument("--json", action="store_true", help="JSON output, one object per line")
    listing.set_defaults(func=run_list)


def _open(args: argparse.Namespace) -> SQLiteStore:
    if not args.db.exists():
        raise StoreError(f"{args.db}: no such store (run `cobrokit import` first)")
    return SQLiteStore.open(args.db)


def _configured_grace(path: Path | None) -> int:
    """``[run] promise_grace_days`` of the configuration ``cobrokit run`` would load."""
    from cobrokit.cli.run import resolve_config_path
    from cobrokit.ladder.config import load_config

    return load_config(resolve_config_path(path)).run.promise_grace_days


def run_add(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit promise add``."""
    with _open(args) as store:
        promise = add_promise(
            store,
            tenant=args.tenant,
            debtor_id=args.debtor,
            promised_date=args.date,
            amount=args.amount,
            today=args.today or today(),
            currency=args.currency,
            channel=args.channel,
            note=args.note,
        )
    if args.json:
        json.dump(promise_as_json(promise), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(
            f"Promise {promise.id}: debtor {promise.debtor_id} will pay {promise.amount} "
            f"by {promise.promised_date.isoformat()}"
        )
    return 0


def run_list(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit promise list``."""
    with _open(args) as store:
        if args.debtor and store.get_debtor(args.tenant, args.debtor) is None:
            raise UnknownReferenceError(f"debtor {args.debtor}", "id", f"no debtor {args.debtor!r}")
        statuses = promise_statuses(
            store,
            tenant=args.tenant,
            as_of=args.as_of or today(),
            debtor_id=args.debtor,
            grace_days=args.grace if args.grace is not None else _configured_grace(args.config),
        )
    if args.json:
        for status in statuses:
            sys.stdout.write(json.dumps(promise_as_json(status.promise, status)) + "\n")
        return 0
    if not statuses:
        print("No promises.")
    for status in statuses:
        p = status.promise
        when = {
            "pending": f"pauses reminders until {status.pause_until.isoformat()}",
            "kept": f"kept on {status.kept_on.isoformat() if status.kept_on else ''}",
            "broken": f"broken since {status.broken_on.isoformat() if status.broken_on else ''}, "
            f"short by {status.shortfall}",
        }[status.state.value]
        channel = f" via {p.channel}" if p.channel else ""
        print(
            f"{p.id}  {p.debtor_id}  {p.amount} by {p.promised_date.isoformat()}{channel}: "
            f"{status.state.value} ({when})"
        )
    return 0
