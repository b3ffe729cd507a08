"""``cobrokit generate``: a deterministic synthetic portfolio."""

from __future__ import annotations

import argparse
from typing import Any

from cobrokit.cli.options import add_db, add_tenant, iso_date, today
from cobrokit.generate import generate_portfolio
from cobrokit.store.sqlite import SQLiteStore


def register(sub: Any) -> None:
    """Add the ``generate`` command."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "generate",
        help="generate a synthetic portfolio into the store",
        description="Write a realistic, deterministic synthetic portfolio (same seed, same data).",
    )
    add_db(parser)
    add_tenant(parser)
    parser.add_argument("--debtors", type=int, required=True, metavar="N", help="number of debtors")
    parser.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (default 1)")
    parser.add_argument("--as-of", type=iso_date, default=None, metavar="DATE", help="portfolio date (default: today)")
    parser.add_argument(
        "--currencies",
        default="EUR",
        metavar="CCY[,CCY]",
        help="currencies to mix (default EUR), e.g. EUR,USD,MXN",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit generate``."""
    as_of = args.as_of or today()
    currencies = [c.strip().upper() for c in args.currencies.split(",") if c.strip()]
    with SQLiteStore.open(args.db) as store:
        counts = generate_portfolio(
            store,
            debtors=args.debtors,
            seed=args.seed,
            as_of=as_of,
            currencies=currencies,
            tenant=args.tenant,
        )
    print(
        f"generated {counts.debtors} debtors, {counts.invoices} invoices, {counts.payments} payments "
        f"as of {as_of.isoformat()} into {args.db}"
    )
    return 0
