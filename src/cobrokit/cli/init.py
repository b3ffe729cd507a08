"""``cobrokit init``: write a commented starter ``cobrokit.toml``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cobrokit.ladder.config import default_config_text


def register(sub: Any) -> None:
    """Add the ``init`` command."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "init",
        help="write a commented starter cobrokit.toml",
        description="Write the default ladder and settings, with comments, to edit for your business.",
    )
    parser.add_argument(
        "--path",
        type=Path,
        default=Path("cobrokit.toml"),
        metavar="FILE",
        help="where to write (default: ./cobrokit.toml)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit init``."""
    if args.path.exists() and not args.force:
        raise SystemExit(f"cobrokit init: error: {args.path} exists; use --force to overwrite it")
    args.path.write_text(default_config_text(), encoding="utf-8")
    print(f"wrote {args.path}; edit the [creditor] section first, then the ladder")
    return 0
