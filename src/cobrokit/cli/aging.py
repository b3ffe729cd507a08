"""``cobrokit aging``: the aging report."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any

from cobrokit.aging import BUCKETS, AgingReport
from cobrokit.cli.options import add_db, add_tenant, iso_date, today
from cobrokit.reports.aging import aging_report, debtor_names, render_table, top_rows
from cobrokit.store.sqlite import SQLiteStore


def register(sub: Any) -> None:
    """Add the ``aging`` command."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "aging",
        help="aging report: who owes what, for how long",
        description="Open principal per debtor in buckets of days past due, per currency, with DSO. The table "
        "names the largest debtors; --json and --csv give ids only.",
    )
    add_db(parser)
    add_tenant(parser)
    parser.add_argument("--as-of", type=iso_date, default=None, metavar="DATE", help="report date (default: today)")
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="JSON output")
    fmt.add_argument("--csv", action="store_true", help="CSV output (one row per debtor and currency)")
    parser.add_argument("--top", type=int, default=20, metavar="N", help="debtors shown in the table (default 20)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit aging``."""
    if not args.db.exists():
        raise SystemExit(f"cobrokit aging: error: {args.db}: no such store (run `cobrokit import` first)")
    as_of = args.as_of or today()
    with SQLiteStore.open(args.db) as store:
        report = aging_report(store, as_of, tenant=args.tenant)
        names: dict[str, str] = {}
        if not (args.json or args.csv):  # the table names the top debtors (the creditor's own data)
            names = debtor_names(store, (d for d, _ in top_rows(report, args.top)), tenant=args.tenant)
    if args.json:
        json.dump(report.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif args.csv:
        write_csv(report)
    else:
        print(render_table(report, top=args.top, names=names))
    return 0


def write_csv(report: AgingReport) -> None:
    """Aging rows as CSV on stdout."""
    data = report.to_json()
    writer = csv.writer(sys.stdout)
    writer.writerow(["debtor_id", "currency", *BUCKETS, "total"])
    for row in data["debtors"]:
        writer.writerow([row["debtor_id"], row["currency"], *(row[b] for b in BUCKETS), row["total"]])
