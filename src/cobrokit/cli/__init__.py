"""The ``cobrokit`` command line: a thin layer over the Python API.

Each sub-command lives in its own module under :mod:`cobrokit.cli` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a handler
``handler(args) -> int``. To add a command, write the module and list it in
:data:`COMMANDS`.

Errors cobrokit raises on purpose (:class:`~cobrokit.errors.CobrokitError`) are printed as
one clear line on stderr with exit status 2; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from cobrokit import __version__
from cobrokit.errors import CobrokitError

__all__ = ["COMMANDS", "build_parser", "main"]

COMMANDS: tuple[str, ...] = (
    "demo",
    "init",
    "import_",
    "sync",
    "generate",
    "aging",
    "run",
    "journal",
    "casework",
    "calls",
    "interest",
    "plan",
    "promise",
    "plugins",
    "reports",
)
"""Modules of :mod:`cobrokit.cli` that register a sub-command, in help order."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every available sub-command."""
    parser = argparse.ArgumentParser(
        prog="cobrokit",
        description="Get unpaid invoices paid: ledger, aging, reminders, interest, plans.",
    )
    parser.add_argument("--version", action="version", version=f"cobrokit {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress at INFO level")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"cobrokit.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"cobrokit.cli.{name}":
                continue  # command not shipped in this build
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cobrokit`` script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.DEBUG if args.debug else logging.INFO if args.verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except CobrokitError as exc:
        if args.debug:
            raise
        print(f"cobrokit: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `cobrokit aging | head`
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
