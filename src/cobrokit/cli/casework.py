"""``cobrokit contact``, ``dispute``, ``hold``, ``flag`` and ``tag``: what people record."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from cobrokit.casework import (
    OUTCOMES,
    REASONS,
    import_call_outcomes,
    record_contact,
    set_dispute,
    set_flag,
    set_hold,
    set_tags,
)
from cobrokit.cli.options import add_db, add_tenant, iso_date
from cobrokit.errors import CobrokitError, StoreError
from cobrokit.money import Money, parse_amount
from cobrokit.store.sqlite import SQLiteStore


def register(sub: Any) -> None:
    """Add ``contact``, ``call-outcomes``, ``dispute``, ``hold``, ``flag`` and ``tag``."""
    contact = sub.add_parser(
        "contact",
        help="record the outcome of a call or visit",
        description="Record a contact outcome and the client's reason; the reason steers "
        "the ladder (hardship: plan offer; invoice error: hold; dispute: pause the invoice; "
        "promise: promise to pay).",
    )
    add_db(contact)
    add_tenant(contact)
    contact.add_argument("--debtor", required=True, metavar="ID")
    contact.add_argument("--outcome", required=True, choices=OUTCOMES)
    contact.add_argument("--reason", default="", choices=[r for r in REASONS if r])
    contact.add_argument("--channel", default="call", help="call, visit, email… (default: call)")
    contact.add_argument("--invoice", default="", metavar="ID", help="the invoice concerned")
    contact.add_argument("--date", type=iso_date, default=None, metavar="DATE", help="default: today")
    contact.add_argument("--note", default="")
    contact.add_argument("--promise-date", type=iso_date, default=None, metavar="DATE")
    contact.add_argument("--promise-amount", default=None, metavar="AMOUNT")
    contact.add_argument("--currency", default="EUR", metavar="CCY", help="currency of --promise-amount")
    contact.set_defaults(func=contact_command)

    calls = sub.add_parser(
        "call-outcomes",
        help="bring a call list's outcomes into the contact log",
        description="Read a call-outcomes CSV (debtor_id, date, outcome, reason, promise_date, "
        "promise_amount, note) and record each outcome; all or nothing.",
    )
    add_db(calls)
    add_tenant(calls)
    calls.add_argument("--file", type=Path, required=True, metavar="CSV")
    calls.add_argument("--currency", default="EUR", metavar="CCY", help="currency of promise amounts")
    calls.set_defaults(func=call_outcomes_command)

    dispute = sub.add_parser("dispute", help="open or close a dispute on an invoice")
    add_db(dispute)
    add_tenant(dispute)
    dispute.add_argument("action", choices=("open", "close"))
    dispute.add_argument("--invoice", required=True, metavar="ID")
    dispute.add_argument("--reason", default="", help="why (required to open)")
    dispute.set_defaults(func=dispute_command)

    hold = sub.add_parser("hold", help="put a debtor or an invoice on manual hold, or release it")
    add_db(hold)
    add_tenant(hold)
    hold.add_argument("action", choices=("set", "release"))
    target = hold.add_mutually_exclusive_group(required=True)
    target.add_argument("--debtor", default="", metavar="ID")
    target.add_argument("--invoice", default="", metavar="ID")
    hold.add_argument("--reason", default="", help="why")
    hold.set_defaults(func=hold_command)

    flag = sub.add_parser(
        "flag",
        help="mark a debtor cease-contact or insolvent (stops the ladder), or clear it",
        description="Turn a debtor's cease_contact flag (the debtor asked not to be contacted) or "
        "insolvent flag (insolvency proceedings) on, or off with --off. While either is on the ladder "
        "sends the debtor nothing; clearing it lets the next run go on. Journaled with the reason.",
    )
    add_db(flag)
    add_tenant(flag)
    flag.add_argument("--debtor", required=True, metavar="ID")
    which = flag.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--cease-contact",
        dest="flag",
        action="store_const",
        const="cease_contact",
        help="the debtor asked not to be contacted",
    )
    which.add_argument(
        "--insolvent", dest="flag", action="store_const", const="insolvent", help="insolvency proceedings"
    )
    flag.add_argument("--off", action="store_true", help="clear the flag instead of setting it")
    flag.add_argument("--reason", required=True, metavar="TEXT", help="why (kept in the journal)")
    flag.add_argument("--date", type=iso_date, default=None, metavar="DATE", help="default: today")
    flag.set_defaults(func=flag_command)

    tag = sub.add_parser(
        "tag",
        help="add or remove a debtor's tags",
        description="Add and remove tags on a debtor. Tags choose the debtor's ladder and stage "
        "conditions; 'limitation-checked' lets the ladder go on after a limitation pause. "
        "Journaled with the reason.",
    )
    add_db(tag)
    add_tenant(tag)
    tag.add_argument("--debtor", required=True, metavar="ID")
    tag.add_argument("--add", action="append", default=[], metavar="TAG", help="a tag to add (repeatable)")
    tag.add_argument("--remove", action="append", default=[], metavar="TAG", help="a tag to remove (repeatable)")
    tag.add_argument("--reason", default="", metavar="TEXT", help="why (kept in the journal)")
    tag.set_defaults(func=tag_command)


def contact_command(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit contact``."""
    now = dt.datetime.now(dt.UTC)
    amount = None
    if args.promise_amount is not None:
        currency = args.currency.upper()
        amount = Money(parse_amount(args.promise_amount, currency, record="contact", field="promise_amount"), currency)
    with SQLiteStore.open(args.db) as store:
        result = record_contact(
            store,
            debtor_id=args.debtor,
            on=args.date or now.date(),
            outcome=args.outcome,
            reason=args.reason,
            channel=args.channel,
            invoice_id=args.invoice,
            note=args.note,
            promise_date=args.promise_date,
            promise_amount=amount,
            now=now,
            tenant=args.tenant,
        )
    print(f"contact {result.contact_seq} recorded")
    for effect in result.effects:
        print(f"  {effect}")
    return 0


def call_outcomes_command(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit call-outcomes``."""
    if not args.file.is_file():  # checked before the store is opened (and created)
        raise CobrokitError(f"{args.file}: no such file")
    with SQLiteStore.open(args.db) as store:
        results = import_call_outcomes(
            store,
            args.file,
            now=dt.datetime.now(dt.UTC),
            tenant=args.tenant,
            default_currency=args.currency.upper(),
        )
    print(f"{len(results)} call outcome(s) recorded")
    for result in results:
        for effect in result.effects:
            print(f"  {effect}")
    return 0


def dispute_command(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit dispute``."""
    now = dt.datetime.now(dt.UTC)
    with SQLiteStore.open(args.db) as store:
        set_dispute(
            store,
            args.invoice,
            args.action == "open",
            reason=args.reason,
            on=now.date(),
            now=now,
            tenant=args.tenant,
        )
    print(f"dispute {'opened' if args.action == 'open' else 'closed'} on invoice {args.invoice}")
    return 0


def hold_command(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit hold``."""
    now = dt.datetime.now(dt.UTC)
    with SQLiteStore.open(args.db) as store:
        set_hold(
            store,
            debtor_id=args.debtor,
            invoice_id=args.invoice,
            hold=args.action == "set",
            reason=args.reason,
            on=now.date(),
            now=now,
            tenant=args.tenant,
        )
    print(f"hold {'set' if args.action == 'set' else 'released'}")
    return 0


def _existing_store(path: Path) -> SQLiteStore:
    """Open a store that must already exist (a flag or tag on a new, empty file means a wrong ``--db``)."""
    if str(path) != ":memory:" and not path.is_file():
        raise StoreError(f"--db {path}: no such store (import your ledger first: cobrokit import)")
    return SQLiteStore.open(path)


def flag_command(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit flag``."""
    now = dt.datetime.now(dt.UTC)
    value = not args.off
    with _existing_store(args.db) as store:
        set_flag(
            store,
            args.debtor,
            args.flag,
            value,
            reason=args.reason,
            on=args.date or now.date(),
            now=now,
            tenant=args.tenant,
        )
    if value:
        print(f"debtor {args.debtor}: {args.flag} set; the ladder sends this debtor nothing until it is cleared")
    else:
        print(f"debtor {args.debtor}: {args.flag} cleared; the next run takes the debtor up again")
    return 0


def tag_command(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit tag``."""
    now = dt.datetime.now(dt.UTC)
    with _existing_store(args.db) as store:
        tags = set_tags(
            store,
            args.debtor,
            add=tuple(args.add),
            remove=tuple(args.remove),
            reason=args.reason,
            on=now.date(),
            now=now,
            tenant=args.tenant,
        )
    print(f"debtor {args.debtor} tags: {', '.join(sorted(tags)) or '(none)'}")
    return 0
