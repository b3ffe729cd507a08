"""A freelancer on Beancount: sync the ledger into cobrokit, print the aging, preview the dunning run.

Offline and self-contained: the ledger is ``books.beancount`` next to this script; the store is
a temporary file unless ``--db`` is given. Nothing is sent (the run is a dry run).

    python examples/freelancer_beancount/run.py [--as-of 2025-04-15] [--db PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

from cobrokit.cli.aging import render_table
from cobrokit.engine import run_ladder
from cobrokit.ladder.config import default_config
from cobrokit.plugins import get_plugin_host
from cobrokit.reports.aging import aging_report
from cobrokit.store.sqlite import SQLiteStore
from cobrokit.sync import sync_backend

HERE = Path(__file__).resolve().parent


def main() -> int:
    """Sync, aging, dry run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2025, 4, 15))
    parser.add_argument("--db", type=Path, default=None, help="store file (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "cobrokit.db"
        with SQLiteStore.open(db) as store:
            # 1. sync: the installed cobrokit-beancount plugin reads the ledger with beancount itself
            report = sync_backend(store, get_plugin_host(), "beancount", {"path": str(HERE / "books.beancount")})
            print(report.summary())
            print()
            # 2. aging as of the chosen day
            print(render_table(aging_report(store, args.as_of)))
            print()
            # 3. the dunning run, dry: what would be sent, to whom, why — nothing is written or sent
            now = dt.datetime.now(dt.UTC)
            result = run_ladder(store, args.as_of, config=default_config(), now=now, dry_run=True, backend="beancount")
            print(result.summary())
            for action in result.planned:
                invoices = ", ".join(action.invoice_ids)
                print(
                    f"  {action.debtor_id} {action.currency}: {action.kind} {action.stage} via "
                    f"{action.channel or '-'} [{invoices}]"
                )
            for entry in result.entries:  # what the journal would record besides notices: skips, deferrals…
                print(f"  {entry.debtor_id} {entry.currency}: {entry.kind} {entry.stage or '-'} — {entry.reason}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
