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
from pathlib import Path
from typing import Any

from cobrokit.cli.options import add_db, add_tenant, iso_date
from cobrokit.errors import StoreError, UnknownReferenceError
from cobrokit.money import to_decimal
from cobrokit.plans import (
    DEFAULT_GRACE_DAYS,
    DownPayment,
    InstalmentKind,
    LateCharges,
    Method,
    PaymentPlan,
    PlanDebt,
    PlanStatus,
    PlanTerms,
    apply_status,
    describe_terms,
    plan_as_json,
    status_as_json,
)
from cobrokit.settlements import EarlyPaymentTerms, Settlement, early_payment_offer
from cobrokit.store.plans import (
    PlanRepository,
    accept_plan,
    cancel_plan,
    late_charges_for,
    offer_settlement,
    plan_status,
    propose_for_debtor,
    renegotiate_plan,
)
from cobrokit.store.sqlite import SQLiteStore

__all__ = ["register", "render_plan", "render_settlement", "settlement_as_json", "today"]


def today() -> dt.date:
    """Today's date on this machine's clock (read only here, at the CLI edge)."""
    return dt.datetime.now().astimezone().date()


def register(sub: Any) -> None:
    """Add the ``plan`` command and its sub-commands."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "plan",
        help="payment plans: propose, accept, show, cancel, renegotiate; settlement and discount offers",
        description="Spread what a debtor owes over instalments the client can meet.",
    )
    actions = parser.add_subparsers(dest="plan_command", metavar="ACTION", required=True)

    propose = actions.add_parser(
        "propose",
        help="propose a plan for a debtor's open invoices",
        description="Propose (and save, state 'proposed') a plan covering the debtor's open, undisputed "
        "invoices as of --today. Prints each instalment with and without the late charges: late-payment "
        "interest and compensation under --regime (default: the regime configured for the debtor's "
        "country) and the dunning fees charged in the debtor's current cycle.",
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
        description="The plan's state as of --as-of (evaluated against the payments, not the stored one), "
        "each instalment's state (paid, partially paid, due, missed in grace, missed), what remains, and "
        "the history of transitions (those the dunning run has not recorded yet are marked). Read-only.",
    )
    _common(show)
    which = show.add_mutually_exclusive_group(required=True)
    which.add_argument("--plan", metavar="ID", help="one plan")
    which.add_argument("--debtor", metavar="ID", help="every plan of a debtor")
    show.add_argument("--as-of", type=iso_date, metavar="DATE", help="evaluation date (default: today)")
    show.add_argument("--history", action="store_true", help="also show every earlier version")
    show.set_defaults(func=run_show)

    settle = actions.add_parser(
        "settle",
        help="offer a settlement (quita): a lump sum by a date settles the balance",
        description="Offer to settle the debtor's open, undisputed invoices (as of --today) for a lump sum "
        "paid by --pay-by. The lump sum is --amount, or --discount percent off the balance; it may not be "
        "below --floor, the least the creditor accepts. Saved (SETT-00001…) unless --dry-run.",
    )
    _common(settle)
    settle.add_argument("--debtor", required=True, metavar="ID", help="the debtor")
    lump = settle.add_mutually_exclusive_group(required=True)
    lump.add_argument("--amount", metavar="AMOUNT", help="the lump sum (e.g. 750.00)")
    lump.add_argument("--discount", metavar="PCT", help="percent off the balance (e.g. 25)")
    settle.add_argument(
        "--floor", required=True, metavar="AMOUNT|PCT%", help="the least the creditor accepts: 700.00 or 70%%"
    )
    settle.add_argument("--pay-by", type=iso_date, required=True, metavar="DATE", help="deadline for the lump sum")
    settle.add_argument("--currency", metavar="CODE", help="the currency when the debtor owes in several")
    settle.add_argument(
        "--invoice", action="append", default=[], metavar="ID", help="settle only this invoice (repeatable)"
    )
    settle.add_argument("--today", type=iso_date, metavar="DATE", help="the offer date (default: today)")
    settle.add_argument("--note", default="", help="a note kept with the offer")
    settle.add_argument("--dry-run", action="store_true", help="compute and print, save nothing")
    settle.set_defaults(func=run_settle)

    discount = actions.add_parser(
        "discount",
        help="what early-payment terms (2/10 net 30) mean for an invoice",
        description="The discount, the discount deadline and the net due date of a stored invoice under "
        "cash-discount terms such as '2/10 net 30' (2 % off if paid within 10 days of the invoice date, "
        "else the full amount within 30 days). Read-only.",
    )
    _common(discount)
    discount.add_argument("--invoice", required=True, metavar="ID", help="the invoice")
    discount.add_argument("--terms", required=True, metavar="TERMS", help="e.g. '2/10 net 30' or '1.5/15 n/45'")
    discount.set_defaults(func=run_discount)


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
        help="interest regime (es-commercial, uk-late-payment…) for the late charges shown next to each "
        "instalment (default: the configured regime for the debtor's country; 'none': dunning fees only)",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help="cobrokit.toml giving the interest regime by country (default: ./cobrokit.toml if present, "
        "else the built-in configuration)",
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
    args: argparse.Namespace, store: SQLiteStore, when: dt.date, debtor_id: str
) -> Callable[[Sequence[PlanDebt]], LateCharges | None]:
    """Late charges under --regime, else the regime the configuration gives the debtor's country."""
    from cobrokit.cli.run import resolve_config_path
    from cobrokit.ladder.config import load_config

    config = load_config(resolve_config_path(args.config))
    regime = "" if args.regime == "none" else args.regime
    if args.regime is None:
        debtor = store.get_debtor(args.tenant, debtor_id)
        country = (debtor.country or debtor.address.country) if debtor is not None else ""
        regime = config.regime_for(country) if country else config.interest_regime
    return late_charges_for(
        store, tenant=args.tenant, regime=regime or None, today=when, extra_rates=config.rates_for(regime)
    )


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
            late_charges=_charges(args, store, when, args.debtor),
            save=not args.dry_run,
            note=args.note,
        )
    _print_plan(args, plan, saved=not args.dry_run)
    return 0


def run_renegotiate(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit plan renegotiate``."""
    when = args.today or today()
    with _open(args) as store:
        current = PlanRepository(store).load_plan(args.tenant, args.plan)
        debtor_id = current.debtor_id if current is not None else ""
        _old, new = renegotiate_plan(
            store,
            tenant=args.tenant,
            plan_id=args.plan,
            today=when,
            make_terms=_make_terms(args, when),
            late_charges=_charges(args, store, when, debtor_id),
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
        out = [_shown_as_json(p, s) for p, s in shown]
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


def run_settle(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit plan settle``."""
    when = args.today or today()
    with _open(args) as store:
        offer = offer_settlement(
            store,
            tenant=args.tenant,
            debtor_id=args.debtor,
            today=when,
            pay_by=args.pay_by,
            floor=args.floor,
            amount=args.amount,
            discount_percent=args.discount.strip().rstrip("%") if args.discount else None,
            currency=args.currency,
            invoice_ids=args.invoice,
            save=not args.dry_run,
            note=args.note,
        )
    if args.json:
        json.dump({**settlement_as_json(offer), "saved": not args.dry_run}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    print(render_settlement(offer))
    if args.dry_run:
        print("(dry run: nothing saved)")
    return 0


def settlement_as_json(offer: Settlement) -> dict[str, Any]:
    """A settlement offer as a JSON-ready mapping (amounts as strings with the currency's decimals)."""
    return {
        "settlement_id": offer.id,
        "tenant": offer.tenant,
        "debtor_id": offer.debtor_id,
        "currency": offer.balance.currency,
        "balance": offer.balance.format_amount(),
        "amount": offer.amount.format_amount(),
        "discount": offer.discount.format_amount(),
        "discount_percent": f"{offer.discount_percent:f}",
        "floor": offer.floor.format_amount(),
        "pay_by": offer.pay_by.isoformat(),
        "created_on": offer.created_on.isoformat(),
        "invoices": list(offer.invoice_ids),
        "note": offer.note,
    }


def render_settlement(offer: Settlement) -> str:
    """A settlement offer as readable text."""
    return "\n".join(
        [
            f"Settlement {offer.id} for debtor {offer.debtor_id} (offered {offer.created_on.isoformat()})",
            f"Pay {offer.amount} by {offer.pay_by.isoformat()} to settle {offer.balance} "
            f"(discount {offer.discount}, {offer.discount_percent:f} %)",
            f"Floor {offer.floor}: respected",
            "Invoices: " + ", ".join(offer.invoice_ids),
            f"If not paid in full by {offer.pay_by.isoformat()}, the whole balance is owed again.",
        ]
    )


def run_discount(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit plan discount``."""
    terms = EarlyPaymentTerms.parse(args.terms)
    with _open(args) as store:
        invoice = store.get_invoice(args.tenant, args.invoice)
    if invoice is None:
        raise UnknownReferenceError(f"invoice {args.invoice}", "id", f"no invoice {args.invoice!r}")
    offer = early_payment_offer(terms, invoice.amount, invoice.issue_date)
    if args.json:
        data = {
            "invoice_id": invoice.id,
            "terms": str(terms),
            "currency": invoice.currency,
            "amount": offer.amount.format_amount(),
            "discount": offer.discount.format_amount(),
            "discounted_amount": offer.discounted_amount.format_amount(),
            "discount_deadline": offer.discount_deadline.isoformat(),
            "net_due_date": offer.net_due_date.isoformat(),
        }
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    print(
        f"Invoice {invoice.id} ({offer.amount}, issued {invoice.issue_date.isoformat()}) on {terms}: "
        f"pay {offer.discounted_amount} by {offer.discount_deadline.isoformat()} (discount {offer.discount}), "
        f"else {offer.amount} by {offer.net_due_date.isoformat()}"
    )
    return 0


def _shown_as_json(plan: PaymentPlan, status: PlanStatus) -> dict[str, Any]:
    """``plan show --json``: the evaluated state, the stored one, and the history with the
    transitions not recorded yet flagged ``"recorded": false``."""
    projected = apply_status(plan, status)
    data = plan_as_json(projected)
    for index, event in enumerate(data["events"]):
        event["recorded"] = index < len(plan.events)
    return {**data, "state": status.state.value, "recorded_state": plan.state.value, "status": status_as_json(status)}


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
    state = status.state if status is not None else plan.state
    lines = [
        f"Plan {plan.id} v{plan.version} for debtor {plan.debtor_id}: {state.value} "
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
        summary += f"; late charges if no plan is agreed: {plan.late_charges}"
    lines.append(summary)
    if plan.charges is not None:
        charges = plan.charges
        regime = f"{charges.regime}, " if charges.regime else ""
        lines.append(
            f"Late charges ({regime}as of {plan.created_on.isoformat()}): interest {charges.interest}, "
            f"compensation {charges.compensation}, dunning fees {charges.fees}; "
            f"a payment goes to {' → '.join(c.value for c in charges.order)}"
        )
    if status is not None:
        lines.extend(_history(plan, status))
        line = f"As of {status.as_of.isoformat()}: {status.state.value}, paid {status.paid}"
        line += f", remaining {status.remaining}"
        if status.breached_on:
            line += f", breached since {status.breached_on.isoformat()} (instalment {status.breach_instalment})"
        elif status.completed_on:
            line += f", completed on {status.completed_on.isoformat()}"
        elif status.next_due_date:
            line += f", next due {status.next_due_date.isoformat()}"
        lines.append(line)
        split = status.with_charges
        if split is not None and not status.in_good_standing and not status.completed:
            applied = ", ".join(f"{s.component.value} {s.applied.format_amount()}" for s in split.steps)
            left = ", ".join(f"{s.component.value} {s.remaining.format_amount()}" for s in split.steps)
            lines.append(f"With the late charges claimed: paid {split.payment} went to {applied}; owed: {left}")
    return "\n".join(lines)


def _history(plan: PaymentPlan, status: PlanStatus) -> list[str]:
    """The plan's transitions, recorded ones first, then those the evaluation shows (not recorded yet)."""
    projected = apply_status(plan, status)
    lines = ["History:"]
    for index, event in enumerate(projected.events):
        text = f"  {event.on.isoformat()}  {event.kind}"
        if event.note:
            text += f" ({event.note})"
        if index >= len(plan.events):
            text += "  [not recorded yet]"
        lines.append(text)
    return lines
