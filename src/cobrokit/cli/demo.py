"""``cobrokit demo``: see cobrokit work on the embedded SQLite default, in a folder it names."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cobrokit.cli.options import iso_date, today


def register(sub: Any) -> None:
    """Add the ``demo`` command."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "demo",
        help="build a demo portfolio and show what cobrokit does with it",
        description="Generate a demo portfolio as CSV, import it into a new SQLite store, run the "
        "collection ladder, write the call list and print the aging report. Everything goes into one folder.",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("cobrokit-demo"),
        metavar="DIR",
        help="folder for the demo (default: ./cobrokit-demo; replaced if it is a demo folder)",
    )
    parser.add_argument("--debtors", type=int, default=60, metavar="N", help="debtors in the portfolio (default 60)")
    parser.add_argument("--seed", type=int, default=7, metavar="S", help="random seed (default 7)")
    parser.add_argument("--as-of", type=iso_date, default=None, metavar="DATE", help="demo date (default: today)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit demo``."""
    from cobrokit.demo import run_demo  # imported on use: it pulls in the whole run and rendering

    result = run_demo(args.out, debtors=args.debtors, seed=args.seed, as_of=args.as_of or today())
    print(result.text)
    return 0
