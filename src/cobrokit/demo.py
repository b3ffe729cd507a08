"""The demo: a generated portfolio, imported from CSV into a fresh store, then reported.

:func:`run_demo` is what ``cobrokit demo`` runs; it only writes inside the folder it is
given, and refuses to replace a folder that is not a cobrokit demo.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import attrs

from cobrokit.cli.aging import render_table
from cobrokit.errors import ConfigError
from cobrokit.generate import write_portfolio_csv
from cobrokit.importing import import_csv
from cobrokit.reports.aging import aging_report
from cobrokit.store.sqlite import SQLiteStore

__all__ = ["DemoResult", "run_demo"]

_MARKER = ".cobrokit-demo"


@attrs.frozen(slots=True)
class DemoResult:
    """Where the demo wrote its files and what it printed."""

    folder: Path
    db: Path
    text: str


def run_demo(folder: Path, *, debtors: int = 60, seed: int = 7, as_of: dt.date) -> DemoResult:
    """Build the demo in *folder* (created, or replaced if it holds an earlier demo)."""
    if folder.exists():
        if not (folder / _MARKER).exists():
            raise ConfigError(f"{folder} exists and is not a cobrokit demo folder; choose another --out")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / _MARKER).write_text("created by `cobrokit demo`\n", encoding="utf-8")
    invoices, payments = write_portfolio_csv(
        folder / "import", debtors=debtors, seed=seed, as_of=as_of, currencies=("EUR", "USD")
    )
    db = folder / "cobrokit.db"
    with SQLiteStore.open(db) as store:
        imported = import_csv(
            store, invoices=invoices, payments=payments,
            synced_at=dt.datetime.combine(as_of, dt.time(6, 0), tzinfo=dt.UTC),
        )
        report = aging_report(store, as_of)
    lines = [
        f"cobrokit demo — portfolio of {debtors} debtors as of {as_of.isoformat()}",
        f"  folder: {folder}",
        f"  store:  {db}",
        "",
        "Imported from CSV:",
        *("  " + line for line in imported.summary().splitlines()),
        "",
        render_table(report, top=10),
    ]
    return DemoResult(folder, db, "\n".join(lines))
