"""``cobrokit aging``: the aging report."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any

from cobrokit.aging import BUCKETS, AgingReport
from cobrokit.cli.options import add_db, add_tenant, iso_date, today
from cobrokit.reports.aging import aging_report
from cobrokit.store.sqlite import SQLiteStore


def register(sub: Any) -> None:
    """Add the ``aging`` command."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "aging",
        help="aging report: who owes what, for how long",
        description="Open principal per debtor in buckets of days past due, per currency, with DSO.",
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
    if args.json:
        json.dump(report.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif args.csv:
        write_csv(report)
    else:
        print(render_table(report, top=args.top))
    return 0


def write_csv(report: AgingReport) -> None:
    """Aging rows as CSV on stdout."""
    data = report.to_json()
    writer = csv.writer(sys.stdout)
    writer.writerow(["debtor_id", "currency", *BUCKETS, "total"])
    for row in data["debtors"]:
        writer.writerow([row["debtor_id"], row["currency"], *(row[b] for b in BUCKETS), row["total"]])


def render_table(report: AgingReport, *, top: int = 20) -> str:
    """A readable terminal table: totals per currency, then the largest debtors."""
    data = report.to_json()
    headers = ["", *BUCKETS, "total"]
    lines = [f"Aging as of {data['as_of']}", ""]
    if not data["totals"]:
        return "\n".join([*lines, "Nothing is owed."])
    rows = [[f"TOTAL {c}", *(v[b] for b in BUCKETS), v["total"]] for c, v in data["totals"].items()]
    biggest = sorted(report.rows, key=lambda r: (-r.total, r.debtor_id))[:top]
    by_id = {(r["debtor_id"], r["currency"]): r for r in data["debtors"]}
    debtor_rows = []
    for r in biggest:
        d = by_id[(r.debtor_id, r.currency)]
        debtor_rows.append([f"{r.debtor_id} {r.currency}", *(d[b] for b in BUCKETS), d["total"]])
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, *debtor_rows, strict=False)]

    def fmt(row: list[str]) -> str:
        return "  ".join(
            str(v).ljust(w) if i == 0 else str(v).rjust(w) for i, (v, w) in enumerate(zip(row, widths, strict=False))
        )

    lines += [fmt(headers), fmt(["-" * w for w in widths])]
    lines += [fmt(r) for r in rows]
    if debtor_rows:
        lines += [
            "",
            f"Top {len(debtor_rows)} debtors by balance (of {len(report.rows)} owing):",
            fmt(headers),
        ]
        lines += [fmt(r) for r in debtor_rows]
    dso_text = ", ".join(f"{c} {v if v is not None else 'n/a'} days" for c, v in data["dso"].items())
    lines += ["", f"DSO (trailing {report.dso_days} days): {dso_text}"]
    return "\n".join(lines)
