"""``cobrokit plan``: propose, accept, show, cancel and renegotiate payment plans.

A thin layer over :mod:`cobrokit.store.plans` (which wraps the pure :mod:`cobrokit.plans`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from cobrokit.cli.options import add_db, add_tenant, iso_date
from cobrokit.errors import StoreError, UnknownReferenceError
from cobrokit.money import Money, to_decimal
from cobrokit.plans import (
    DEFAULT_GRACE_DAYS,
    DownPayment,
    InstalmentKind,
    Method,
    PaymentPlan,
    PlanDebt,
    PlanStatus,
    PlanTerms,
    describe_terms,
    plan_as_json,
    status_as_json,
)
from cobrokit.store.plans import (
    PlanRepository,
    accept_plan,
    cancel_plan,
    late_charges_for,
    plan_status,
    propose_for_debtor,
    renegotiate_plan,
)
from cobrokit.store.sqlite import SQLiteStore

__all__ = ["register", "today"]


def today() -> dt.date:
    """Today's date on this machine's clock (read only here, at the CLI edge)."""
    return dt.datetime.now().astimezone().date()


def register(sub: Any) -> None:
    """Add the ``plan`` command and its sub-commands."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "plan",
        help="payment plans: propose, accept, show, cancel, renegotiate",
        description="Spread what a debtor owes over instalments the client can meet.",
    )
    actions = parser.add_subparsers(dest="plan_command", metavar="ACTION", required=True)

    propose = actions.add_parser(
        "propose",
        help="propose a plan for a debtor's open invoices",
        description="Propose (and save, state 'proposed') a plan covering the debtor's open, undisputed "
        "invoices as of --today. Prints each instalment, with late-payment charges when --regime is given.",
    )
    _common(propose)
    propose.add_argument("--debtor", required=True, metavar="ID", help="the debtor")
    propose.add_argument("--currency", metavar="CODE", help="the currency to plan when the debtor owes in several")
    propose.add_argument(
        "--invoice", action="append", default=[], metavar="ID", help="plan only this invoice (repeatable)"
    )
    _terms_options(propose)
    propose.set_defaults(func=run_propose)

    renegotiate = actions.add_parser(
        "renegotiate",
        help="replace a plan with a new version on new terms",
        description="Create the next version of a plan covering what is still open of its invoices; "
        "the old version is kept as 'renegotiated'.",
    )
    _common(renegotiate)
    renegotiate.add_argument("--plan", required=True, metavar="ID", help="the plan to renegotiate")
    _terms_options(renegotiate)
    renegotiate.set_defaults(func=run_renegotiate)

    accept = actions.add_parser("accept", help="record that the debtor accepted a proposed plan")
    _common(accept)
    accept.add_argument("--plan", required=True, metavar="ID", help="the plan (its latest version)")
    accept.add_argument("--on", type=iso_date, metavar="DATE", help="acceptance date (default: today)")
    accept.add_argument("--note", default="", help="a note for the history")
    accept.set_defaults(func=run_accept)

    cancel = actions.add_parser("cancel", help="cancel a plan")
    _common(cancel)
    cancel.add_argument("--plan", required=True, metavar="ID", help="the plan (its latest version)")
    cancel.add_argument("--on", type=iso_date, metavar="DATE", help="cancellation date (default: today)")
    cancel.add_argument("--reason", default="", help="why, for the history")
    cancel.set_defaults(func=run_cancel)

    show = actions.add_parser(
        "show",
        help="show a plan (or a debtor's plans) evaluated against payments",
        description="Each instalment's state (paid, partially paid, due, missed in grace, missed), what "
        "remains, and whether the plan is breached or completed, as of --as-of. Read-only.",
    )
    _common(show)
    which = show.add_mutually_exclusive_group(required=True)
    which.add_argument("--plan", metavar="ID", help="one plan")
    which.add_argument("--debtor", metavar="ID", help="every plan of a debtor")
    show.add_argument("--as-of", type=iso_date, metavar="DATE", help="evaluation date (default: today)")
    show.add_argument("--history", action="store_true", help="also show every earlier version")
    show.set_defaults(func=run_show)


def _common(parser: argparse.ArgumentParser) -> None:
    add_db(parser)
    add_tenant(parser)
    parser.add_argument("--json", action="store_true", help="JSON output (amounts as strings)")


def _terms_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--instalments", type=int, required=True, metavar="N", help="number of instalments")
    parser.add_argument(
        "--every",
        choices=("week", "fortnight", "month"),
        required=True,
        help="how often instalments fall due",
    )
    parser.add_argument("--down", metavar="AMOUNT|PCT%", help="down payment: an amount (150.00) or a percentage (10%%)")
    parser.add_argument(
        "--rate", metavar="PCT", help="plan interest, percent a year (French amortisation); default 0 (equal)"
    )
    parser.add_argument(
        "--start", type=iso_date, metavar="DATE", help="first payment date (default: one week after --today)"
    )
    parser.add_argument("--today", type=iso_date, metavar="DATE", help="the proposal date (default: today)")
    parser.add_argument(
        "--grace",
        type=int,
        default=DEFAULT_GRACE_DAYS,
        metavar="DAYS",
        help=f"days after a due date before a miss breaches the plan (default {DEFAULT_GRACE_DAYS})",
    )
    parser.add_argument(
        "--regime",
        metavar="NAME",
        help="interest regime (es-commercial, uk-late-payment…) to show each instalment with late-payment "
        "interest and compensation",
    )
    parser.add_argument("--note", default="", help="a note for the history")
    parser.add_argument("--dry-run", action="store_true", help="compute and print, save nothing")


def _open(args: argparse.Namespace) -> SQLiteStore:
    if str(args.db) != ":memory:" and not args.db.exists():
        raise StoreError(f"{args.db}: no such store (run `cobrokit import` first)")
    return SQLiteStore.open(args.db)


def _make_terms(args: argparse.Namespace, when: dt.date) -> Callable[[str], PlanTerms]:
    rate = Decimal(0) if args.rate is None else to_decimal(args.rate.strip().rstrip("%"), record="plan", field="rate")
    start = args.start or when + dt.timedelta(days=7)

    def make(currency: str) -> PlanTerms:
        down = DownPayment.parse(args.down, currency) if args.down else None
        return PlanTerms(
            instalments=args.instalments,
            frequency=args.every,
            start=start,
            down_payment=down,
            annual_rate=rate,
            method=Method.FRENCH if rate > 0 else Method.EQUAL,
            grace_days=args.grace,
        )

    return make


def _charges(
    args: argparse.Namespace, store: SQLiteStore, when: dt.date
) -> Callable[[Sequence[PlanDebt]], Money | None] | None:
    if not args.regime:
        return None
    return late_charges_for(store, tenant=args.tenant, regime=args.regime, today=when)


def run_propose(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit plan propose``."""
    when = args.today or today()
    with _open(args) as store:
        plan = propose_for_debtor(
            store,
            tenant=args.tenant,
            debtor_id=args.debtor,
            today=when,
            make_terms=_make_terms(args, when),
            currency=args.currency,
            invoice_ids=args.invoice,
            late_charges=_charges(args, store, when),
            save=not args.dry_run,
            note=args.note,
        )
    _print_plan(args, plan, saved=not args.dry_run)
    return 0


def run_renegotiate(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit plan renegotiate``."""
    when = args.today or today()
    with _open(args) as store:
        _old, new = renegotiate_plan(
            store,
            tenant=args.tenant,
            plan_id=args.plan,
            today=when,
            make_terms=_make_terms(args, when),
            late_charges=_charges(args, store, when),
            save=not args.dry_run,
            note=args.note,
        )
    _print_plan(args, new, saved=not args.dry_run)
    return 0


def run_accept(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit plan accept``."""
    with _open(args) as store:
        plan = accept_plan(store, tenant=args.tenant, plan_id=args.plan, on=args.on or today(), note=args.note)
    _print_plan(args, plan, saved=True)
    return 0


def run_cancel(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit plan cancel``."""
    with _open(args) as store:
        plan = cancel_plan(store, tenant=args.tenant, plan_id=args.plan, on=args.on or today(), reason=args.reason)
    _print_plan(args, plan, saved=True)
    return 0


def run_show(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit plan show``."""
    as_of = args.as_of or today()
    with _open(args) as store:
        repo = PlanRepository(store)
        if args.plan:
            versions = repo.plan_versions(args.tenant, args.plan)
            if not versions:
                raise UnknownReferenceError(f"plan {args.plan}", "id", f"no plan {args.plan!r}")
            plans = versions if args.history else versions[-1:]
        else:
            if store.get_debtor(args.tenant, args.debtor) is None:
                raise UnknownReferenceError(f"debtor {args.debtor}", "id", f"no debtor {args.debtor!r}")
            every = list(repo.iter_plans(args.tenant, debtor_id=args.debtor))
            latest: dict[str, PaymentPlan] = {}
            for plan in every:
                latest[plan.id] = plan
            plans = every if args.history else list(latest.values())
        shown = [(plan, plan_status(store, plan, as_of)) for plan in plans]
    if args.json:
        out = [{**plan_as_json(p), "status": status_as_json(s)} for p, s in shown]
        json.dump(out[0] if args.plan and not args.history else out, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if not shown:
        print(f"Debtor {args.debtor} has no payment plans.")
    for index, (plan, status) in enumerate(shown):
        if index:
            print()
        print(render_plan(plan, status))
    return 0


def _print_plan(args: argparse.Namespace, plan: PaymentPlan, *, saved: bool) -> None:
    if args.json:
        json.dump({**plan_as_json(plan), "saved": saved}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    print(render_plan(plan))
    if not saved:
        print("(dry run: nothing saved)")
    elif plan.state.value == "proposed":
        print(f"Accept with: cobrokit plan accept --plan {plan.id}")


def render_plan(plan: PaymentPlan, status: PlanStatus | None = None) -> str:
    """A plan (and its evaluation, when given) as readable text."""
    terms = describe_terms(plan.terms)
    every = {"week": "weekly", "fortnight": "fortnightly", "month": "monthly"}[terms["every"]]
    parts = [f"{plan.terms.instalments} {every} instalments"]
    if terms["down_payment"]:
        parts.append(f"down payment {terms['down_payment']}")
    if plan.terms.annual_rate:
        parts.append(f"French amortisation at {terms['rate']} % a year")
    parts.append(f"grace {plan.terms.grace_days} days")
    lines = [
        f"Plan {plan.id} v{plan.version} for debtor {plan.debtor_id}: {plan.state.value} "
        f"(proposed {plan.created_on.isoformat()})",
        f"Balance {plan.balance} over {', '.join(parts)}",
        "Invoices: " + ", ".join(f"{d.invoice_id} ({d.open})" for d in plan.debts),
    ]
    if plan.previous_version is not None:
        lines.append(f"Replaces version {plan.previous_version}")
    with_charges = plan.late_charges is not None
    header = ["#", "due", "amount", "principal", "interest"]
    if with_charges:
        header.append("with late charges")
    if status is not None:
        header += ["state", "paid"]
    by_number = {s.number: s for s in status.instalments} if status is not None else {}
    rows = [header]
    for inst in plan.instalments:
        label = "down" if inst.kind is InstalmentKind.DOWN_PAYMENT else str(inst.number)
        row = [
            label,
            inst.due_date.isoformat(),
            inst.amount.format_amount(),
            inst.principal.format_amount(),
            inst.interest.format_amount(),
        ]
        if with_charges:
            row.append(inst.amount_with_charges.format_amount() if inst.amount_with_charges else "")
        if status is not None:
            item = by_number[inst.number]
            row += [item.state.value.replace("_", " "), item.paid.format_amount()]
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for row in rows:
        lines.append(
            "  "
            + "  ".join(
                v.ljust(w) if i in (0, 1) or i >= 6 else v.rjust(w)
                for i, (v, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    summary = f"Total {plan.total}"
    if not plan.plan_interest.is_zero():
        summary += f" (plan interest {plan.plan_interest})"
    if plan.late_charges is not None:
        summary += f"; late-payment interest and compensation if no plan is agreed: {plan.late_charges}"
    lines.append(summary)
    if status is not None:
        line = f"As of {status.as_of.isoformat()}: {status.state.value}, paid {status.paid}"
        line += f", remaining {status.remaining}"
        if status.breached_on:
            line += f", breached since {status.breached_on.isoformat()} (instalment {status.breach_instalment})"
        elif status.completed_on:
            line += f", completed on {status.completed_on.isoformat()}"
        elif status.next_due_date:
            line += f", next due {status.next_due_date.isoformat()}"
        lines.append(line)
    return "\n".join(lines)
