"""A custom backend: an in-house ERP database synced into cobrokit through an 83-line adapter.

Builds the ERP's SQLite file from ``erp.sql`` in a temporary folder, registers the adapter's
plugin object on a plugin host (an installed package would use the ``cobrokit`` entry point
instead), syncs, and prints the sync report — one malformed invoice row is skipped with a
warning naming it, and counted as skipped — and the aging.

    python examples/custom_backend/run.py
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import sys
import tempfile
from pathlib import Path

from cobrokit.cli.aging import render_table
from cobrokit.plugins import get_plugin_host
from cobrokit.reports.aging import aging_report
from cobrokit.store.sqlite import SQLiteStore
from cobrokit.sync import sync_backend

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from erp_backend import InHouseErpPlugin  # noqa: E402 - the adapter sits next to this script


def main() -> int:
    """Create the ERP database, sync it, show the aging."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s", stream=sys.stdout)
    with tempfile.TemporaryDirectory() as tmp:
        erp = Path(tmp) / "erp.sqlite"
        with sqlite3.connect(erp) as conn:
            conn.executescript((HERE / "erp.sql").read_text(encoding="utf-8"))
        host = get_plugin_host(autoload=False, plugins=[("inhouse-erp", InHouseErpPlugin())], environ={})
        print("backends:", ", ".join(host.backends()))
        with SQLiteStore.open(Path(tmp) / "cobrokit.db") as store:
            report = sync_backend(store, host, "inhouse", {"path": str(erp)})
            print(report.summary())
            print()
            print(render_table(aging_report(store, dt.date(2025, 4, 15))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
