"""Arguments shared by several commands, and their parsing."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from cobrokit.model import DEFAULT_TENANT

__all__ = ["add_db", "add_tenant", "iso_date", "today"]

DEFAULT_DB = "cobrokit.db"


def iso_date(text: str) -> dt.date:
    """argparse type: an ISO date."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date (YYYY-MM-DD)") from None


def add_db(parser: argparse.ArgumentParser) -> None:
    """``--db PATH`` (default ``cobrokit.db``)."""
    parser.add_argument(
        "--db",
        type=Path,
        default=Path(DEFAULT_DB),
        metavar="PATH",
        help=f"the embedded SQLite store (default: {DEFAULT_DB})",
    )


def add_tenant(parser: argparse.ArgumentParser) -> None:
    """``--tenant ID``."""
    parser.add_argument(
        "--tenant",
        default=DEFAULT_TENANT,
        metavar="ID",
        help=f"creditor (tenant) id (default: {DEFAULT_TENANT})",
    )


def today() -> dt.date:
    """Today's date on this machine's local clock (the default ``--as-of``)."""
    return dt.datetime.now().astimezone().date()
