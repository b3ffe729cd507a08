"""``cobrokit import``: load invoices and payments from CSV files."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from cobrokit.cli.options import add_db, add_tenant
from cobrokit.importing import import_csv
from cobrokit.store.sqlite import SQLiteStore


def register(sub: Any) -> None:
    """Add the ``import`` command."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "import",
        help="import invoices and payments from CSV files",
        description="Import invoices (and debtors) and payments from CSV. All or nothing unless "
        "--skip-invalid; every bad row is reported as 'FILE line N (record ID): COLUMN: reason'. "
        "Re-importing the same file changes nothing; a blank optional debtor column keeps the value "
        "given elsewhere. See docs/quickstart.md.",
    )
    add_db(parser)
    add_tenant(parser)
    parser.add_argument("--invoices", type=Path, metavar="FILE", help="invoices CSV")
    parser.add_argument("--payments", type=Path, metavar="FILE", help="payments CSV")
    parser.add_argument("--update", action="store_true", help="replace records whose values changed")
    parser.add_argument(
        "--skip-invalid",
        action="store_true",
        help="import the good rows and write the rejected ones to --rejects",
    )
    parser.add_argument("--rejects", type=Path, metavar="FILE", help="where to write rejected rows")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit import``."""
    if args.invoices is None and args.payments is None:
        raise SystemExit("cobrokit import: error: give --invoices FILE and/or --payments FILE")
    for path in (args.invoices, args.payments):
        if path is not None and not path.is_file():
            raise SystemExit(f"cobrokit import: error: {path}: no such file")
    with SQLiteStore.open(args.db) as store:
        result = import_csv(
            store,
            invoices=args.invoices,
            payments=args.payments,
            tenant=args.tenant,
            update=args.update,
            skip_invalid=args.skip_invalid,
            rejects=args.rejects,
            synced_at=dt.datetime.now(dt.UTC),
        )
    print(result.summary())
    return 1 if result.rejected else 0
