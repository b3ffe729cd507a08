"""``cobrokit contact``, ``cobrokit dispute`` and ``cobrokit hold``: what people record."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from cobrokit.casework import OUTCOMES, REASONS, import_call_outcomes, record_contact, set_dispute, set_hold
from cobrokit.cli.options import add_db, add_tenant, iso_date
from cobrokit.errors import CobrokitError
from cobrokit.money import Money, parse_amount
from cobrokit.store.sqlite import SQLiteStore


def register(sub: Any) -> None:
    """Add ``contact``, ``dispute`` and ``hold``."""
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
