"""``cobrokit calls``: today's prioritised call list (a thin layer over
:func:`cobrokit.builtin.calls.write_call_list`)."""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cobrokit.cli.options import add_db, add_tenant, iso_date, today
from cobrokit.errors import ConfigError

if TYPE_CHECKING:
    from cobrokit.ladder.config import Config


def _capacity(text: str) -> tuple[str, int]:
    """argparse type: ``N`` (every team) or ``TEAM=N``."""
    team, _, number = text.rpartition("=")
    try:
        value = int(number)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not N or TEAM=N (calls a day)") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: a team makes at least 1 call a day")
    return team.strip(), value


def _rate(text: str) -> tuple[str, Decimal]:
    """argparse type: ``CCY=FACTOR``."""
    currency, _, factor = text.partition("=")
    try:
        value = Decimal(factor)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not CCY=FACTOR (e.g. USD=0.92)") from None
    if len(currency.strip()) != 3 or not value.is_finite() or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not CCY=FACTOR with a positive factor")
    return currency.strip().upper(), value


def register(sub: Any) -> None:
    """Add the ``calls`` command."""
    from cobrokit.builtin.calls import DEFAULT_DAILY_CAPACITY

    parser: argparse.ArgumentParser = sub.add_parser(
        "calls",
        help="the prioritised call list of pending call tasks",
        description="Write the call list: the pending call tasks (the debtor still has something overdue, "
        "no later task of the same cycle replaced the task and no call outcome settled it), with their "
        "figures brought to --as-of (and their scripts rendered again when a configuration file is given "
        "or ./cobrokit.toml exists), highest priority first (amount, days overdue, risk), spread over "
        "working days within each team's daily capacity, never on a public holiday of the debtor. Amounts "
        "in several currencies are ranked on one scale with --rate; without it each currency is ranked "
        "on its own and they take turns.",
    )
    add_db(parser)
    add_tenant(parser)
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help="cobrokit.toml whose [channels.call] folder holds the tasks "
        "(default: ./cobrokit.toml if present, else the built-in configuration)",
    )
    parser.add_argument("--folder", type=Path, default=None, metavar="DIR", help="the call channel's folder instead")
    parser.add_argument(
        "--as-of", type=iso_date, default=None, metavar="DATE", help="first day of calls (default: today)"
    )
    parser.add_argument(
        "--capacity",
        type=_capacity,
        action="append",
        default=[],
        metavar="N|TEAM=N",
        help=f"calls a day, for every team (N) or one team (TEAM=N); repeatable (default {DEFAULT_DAILY_CAPACITY})",
    )
    parser.add_argument(
        "--rate",
        type=_rate,
        action="append",
        default=[],
        metavar="CCY=FACTOR",
        help="to rank amounts in several currencies on one scale: factor to a common currency; repeatable "
        "(without it, each currency is ranked on its own and they take turns)",
    )
    parser.add_argument("--format", choices=("csv", "json"), default="csv", help="output format (default csv)")
    parser.add_argument("--out", type=Path, default=None, metavar="FILE", help="write to FILE (default: stdout)")
    parser.set_defaults(func=run)


def _config_file(args: argparse.Namespace) -> Path | None:
    """--config, else ./cobrokit.toml when present, else ``None`` (the built-in configuration)."""
    if args.config is not None:
        return Path(args.config)
    local = Path("cobrokit.toml")
    return local if local.is_file() else None


def _call_folder(args: argparse.Namespace, config: Config) -> Path:
    if args.folder is not None:
        return Path(args.folder)
    folder = str(config.channels.get("call", {}).get("folder", "")).strip()
    if not folder:
        raise ConfigError("no call folder: give --folder or set [channels.call] folder in the configuration")
    return Path(folder)


def run(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit calls``."""
    from cobrokit.builtin.calls import DEFAULT_DAILY_CAPACITY, write_call_list
    from cobrokit.calls import write_call_list_csv, write_call_list_json
    from cobrokit.ladder.config import load_config
    from cobrokit.plugins import get_plugin_host
    from cobrokit.store.sqlite import SQLiteStore

    if not args.db.exists():
        raise ConfigError(f"{args.db}: no such store (run `cobrokit import` first)")
    config_file = _config_file(args)
    config = load_config(config_file)
    folder = _call_folder(args, config)
    default = DEFAULT_DAILY_CAPACITY
    per_team: dict[str, int] = {}
    for team, value in args.capacity:
        if team:
            per_team[team] = value
        else:
            default = value
    with SQLiteStore.open(args.db) as store:
        schedule = write_call_list(
            store,
            folder,
            as_of=args.as_of or today(),
            tenant=args.tenant,
            capacity=per_team,
            default_capacity=default,
            rates=dict(args.rate) or None,
            # scripts are rendered again as of --as-of only with the creditor's own
            # configuration (the built-in one would sign them "Your Company")
            config=config if config_file is not None else None,
            host=get_plugin_host() if config_file is not None else None,
        )
    write = write_call_list_json if args.format == "json" else write_call_list_csv
    if args.out is None:
        write(schedule, sys.stdout)
    else:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with args.out.open("w", encoding="utf-8", newline="") as handle:
            write(schedule, handle)
        print(f"{len(schedule.calls)} call(s) written to {args.out}", file=sys.stderr)
    return 0
