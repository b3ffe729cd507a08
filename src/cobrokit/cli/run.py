"""``cobrokit run``, ``cobrokit dispatch`` and ``cobrokit simulate``: the daily dunning run."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from cobrokit.cli.options import add_db, add_tenant, iso_date, today
from cobrokit.dispatch import dispatch
from cobrokit.engine import PlannedAction, RunEntry, preview_debtor, run_ladder
from cobrokit.ladder.config import Config, load_config
from cobrokit.money import Money
from cobrokit.plugins import get_plugin_host
from cobrokit.simulation import simulate
from cobrokit.store.sqlite import SQLiteStore


def _config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help="cobrokit.toml (default: ./cobrokit.toml if present, else the built-in ladder)",
    )


def resolve_config_path(path: Path | None) -> Path | None:
    """The explicit config file, or ./cobrokit.toml when it exists."""
    if path is not None:
        return path
    local = Path("cobrokit.toml")
    return local if local.is_file() else None


def register(sub: Any) -> None:
    """Add ``run``, ``dispatch`` and ``simulate``."""
    run = sub.add_parser(
        "run",
        help="decide and record today's steps, then deliver them",
        description="Run the ladder as of a date: decide each debtor's next step, record decisions and "
        "notices in the journal/outbox (exactly once per step), then deliver due notices.",
    )
    add_db(run)
    add_tenant(run)
    _config_arg(run)
    run.add_argument("--as-of", type=iso_date, default=None, metavar="DATE", help="run date (default: today)")
    run.add_argument("--dry-run", action="store_true", help="show what would happen; write and send nothing")
    run.add_argument("--debtor", metavar="ID", help="with --dry-run: explain one debtor's position and decision")
    run.add_argument("--no-dispatch", action="store_true", help="record decisions only; deliver later")
    run.add_argument(
        "--backend",
        default=None,
        metavar="NAME",
        help="whose sync time the freshness guard checks (default: [backend] name in the config, else sqlite)",
    )
    run.add_argument("--json", action="store_true", help="JSON output")
    run.set_defaults(func=run_command)

    disp = sub.add_parser(
        "dispatch",
        help="deliver planned notices",
        description="Deliver due outbox rows through their channels.",
    )
    add_db(disp)
    add_tenant(disp)
    _config_arg(disp)
    disp.add_argument("--limit", type=int, default=None, metavar="N", help="at most N rows")
    disp.set_defaults(func=dispatch_command)

    sim = sub.add_parser(
        "simulate",
        help="preview the ladder day by day, sending nothing",
        description="Show, day by day, what would be sent to whom and why. Nothing is "
        "sent and the store is not changed.",
    )
    add_db(sim)
    add_tenant(sim)
    _config_arg(sim)
    sim.add_argument("--from", dest="start", type=iso_date, required=True, metavar="DATE")
    sim.add_argument("--to", dest="end", type=iso_date, required=True, metavar="DATE")
    sim.add_argument("--json", action="store_true", help="JSON lines output")
    sim.set_defaults(func=simulate_command)


def _require_db(path: Path) -> None:
    if not path.exists():
        raise SystemExit(f"cobrokit: error: {path}: no such store (run `cobrokit import` first)")


def _action_json(day: dt.date, a: PlannedAction) -> dict[str, Any]:
    return {
        "date": day.isoformat(),
        "debtor_id": a.debtor_id,
        "currency": a.currency,
        "kind": a.kind,
        "stage": a.stage,
        "cycle": a.cycle,
        "channel": a.channel,
        "key": a.key,
        "invoices": list(a.invoice_ids),
        "firm_date": a.firm_date.isoformat() if a.firm_date else None,
        "amount_minor": a.amount_minor,
        "why": a.why,
    }


def _entry_json(day: dt.date, e: RunEntry) -> dict[str, Any]:
    return {
        "date": day.isoformat(),
        "debtor_id": e.debtor_id,
        "currency": e.currency,
        "kind": e.kind,
        "stage": e.stage,
        "code": e.code,
        "reason": e.reason,
    }


def _entry_line(e: RunEntry) -> str:
    return f"  {e.debtor_id} {e.currency}: {e.kind} {e.stage or '-'} — {e.reason}"


def _action_line(a: PlannedAction) -> str:
    what = f"{a.kind} {a.stage}" if a.kind != "notice" else a.stage
    via = f" via {a.channel}" if a.channel else ""
    invoices = f" [{', '.join(a.invoice_ids)}]" if a.invoice_ids else ""
    firm = f" firm date {a.firm_date.isoformat()}" if a.firm_date else ""
    why = f" ({a.why})" if a.why else ""
    return f"  {a.debtor_id} {a.currency}: {what}{via}{invoices}{firm}{why}"


def _warn_placeholders(config: Config) -> None:
    left = config.placeholders()
    if left:
        print(
            f"cobrokit: warning: [creditor] {', '.join(left)} still hold the starter file's sample values; "
            "notices would print them — edit cobrokit.toml (cobrokit init writes one)",
            file=sys.stderr,
        )


def run_command(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit run``."""
    _require_db(args.db)
    config = load_config(resolve_config_path(args.config))
    _warn_placeholders(config)
    as_of = args.as_of or today()
    now = dt.datetime.now(dt.UTC)
    with SQLiteStore.open(args.db) as store:
        if args.debtor:
            for pos, decision in preview_debtor(store, args.debtor, as_of, config=config, tenant=args.tenant):
                print(
                    f"{pos.debtor_id} {pos.currency}: {len(pos.items)} open invoice(s), "
                    f"state {pos.state.stage if pos.state and pos.state.stage else 'none'}"
                )
                for item in pos.items:
                    print(
                        f"    {item.invoice_id} due {item.due.isoformat()} "
                        f"open {Money.from_minor(item.open_minor, pos.currency)}"
                        + (" (disputed)" if item.disputed else "")
                        + (" (on hold)" if item.hold else "")
                    )
                for entry in decision.journal:
                    print(f"  journal: {entry.kind} {entry.stage}: {entry.reason}")
                for action in decision.actions:
                    print(f"  would {action.kind}: {action.stage} via {', '.join(action.channels) or '-'}")
                if not decision.actions and not decision.journal:
                    print("  nothing to do today")
            return 0
        result = run_ladder(
            store,
            as_of,
            config=config,
            tenant=args.tenant,
            now=now,
            dry_run=args.dry_run,
            collect_actions=args.dry_run,
            backend=args.backend,
        )
        delivered = None
        if not args.dry_run and not args.no_dispatch and not result.paused_reason:
            delivered = dispatch(store, get_plugin_host(), config=config, now=now, tenant=args.tenant)
    if args.json:
        out = result.to_json()
        if args.dry_run:
            out["planned"] = [_action_json(as_of, a) for a in result.planned]
            out["entries"] = [_entry_json(as_of, e) for e in result.entries]
        out["dispatch"] = dict(delivered.outcomes) if delivered else None
        json.dump(out, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(result.summary())
        if args.dry_run:
            for planned in result.planned:
                print(_action_line(planned))
            for line in result.entries:
                print(_entry_line(line))
        if delivered is not None:
            print(delivered.summary())
    return 3 if result.paused_reason else 0


def dispatch_command(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit dispatch``."""
    _require_db(args.db)
    config = load_config(resolve_config_path(args.config))
    _warn_placeholders(config)
    with SQLiteStore.open(args.db) as store:
        result = dispatch(
            store,
            get_plugin_host(),
            config=config,
            now=dt.datetime.now(dt.UTC),
            tenant=args.tenant,
            limit=args.limit,
        )
    print(result.summary())
    return 0


def simulate_command(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit simulate``."""
    _require_db(args.db)
    config = load_config(resolve_config_path(args.config))
    with SQLiteStore.open(args.db) as store:
        for day in simulate(store, args.start, args.end, config=config, tenant=args.tenant):
            if args.json:
                for action in day.actions:
                    print(json.dumps(_action_json(day.day, action)))
                for entry in day.entries:
                    print(json.dumps(_entry_json(day.day, entry)))
            elif day.actions or day.entries:
                print(f"{day.day.isoformat()}  {len(day.actions)} action(s)")
                for action in day.actions:
                    print(_action_line(action))
                for entry in day.entries:
                    print(_entry_line(entry))
    return 0
