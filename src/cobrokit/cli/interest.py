"""``cobrokit interest``: late-payment interest calculator (a thin layer over
:func:`cobrokit.interest.compute_interest`).

::

    cobrokit interest --regime es-commercial --principal 25000 --currency EUR \\
        --due 2024-05-15 --until 2024-08-14 [--payment 2024-07-01:5000]... [--rate 9.5] \\
        [--period-rate 2026-H2=10.40]... [--day-count act/act|act/365|act/360|30/360] [--json]

Regimes are looked up through the plugin host, so regimes added by plugins work here too.
Bad input raises a :class:`~cobrokit.errors.CobrokitError`: one line on stderr, exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from decimal import Decimal
from typing import Any

from cobrokit.dates import parse_date
from cobrokit.errors import ValidationError
from cobrokit.interest.calculator import InterestResult, PartialPayment, compute_interest
from cobrokit.interest.daycount import DayCount
from cobrokit.interest.explain import explain_events, explain_totals
from cobrokit.interest.rates import parse_rate, period_from_label
from cobrokit.interest.regimes import Regime, get_regime
from cobrokit.money import Money, parse_amount
from cobrokit.plugins import get_plugin_host

__all__ = ["parse_payment", "parse_period_rate", "register", "render", "run"]


def register(sub: Any) -> None:
    """Add the ``interest`` command."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "interest",
        help="late-payment interest on one invoice, explained",
        description=(
            "Statutory or agreed late-payment interest from the day after --due through --until "
            "(inclusive), with partial payments imputed to interest first, the fixed compensation "
            "per invoice and the legal sources. See docs/interest.md."
        ),
    )
    parser.add_argument(
        "--regime",
        required=True,
        metavar="R",
        help="es-commercial, es-legal, eu-directive, uk-late-payment, mx-commercial, "
        "mx-civil, co-usury, contractual, or a plugin's regime",
    )
    parser.add_argument("--principal", required=True, metavar="AMOUNT", help="unpaid principal, e.g. 25000.00")
    parser.add_argument("--currency", required=True, metavar="CCY", help="ISO 4217 code, e.g. EUR")
    parser.add_argument("--due", required=True, metavar="YYYY-MM-DD", help="due date (interest starts the day after)")
    parser.add_argument("--until", required=True, metavar="YYYY-MM-DD", help="last day of interest (inclusive)")
    parser.add_argument(
        "--payment",
        action="append",
        default=[],
        metavar="YYYY-MM-DD:AMOUNT",
        help="a partial payment (repeatable)",
    )
    parser.add_argument(
        "--rate",
        default=None,
        metavar="PCT",
        help="agreed annual rate in percent (replaces the statutory rate; required by contractual)",
    )
    parser.add_argument(
        "--period-rate",
        action="append",
        default=[],
        metavar="PERIOD=PCT",
        help="the table rate for one period the shipped table lacks (or to override), e.g. 2026-H2=10.40, "
        "2026=3.25 or, for co-usury, the month's usury cap 2024-12=25.00; the rest of the table still "
        "applies (repeatable)",
    )
    parser.add_argument(
        "--day-count",
        default=None,
        metavar="DC",
        help="act/act, act/365, act/360 or 30/360 (default: the regime's)",
    )
    parser.add_argument("--json", action="store_true", help="JSON output (amounts as strings)")
    parser.set_defaults(func=run)


def parse_payment(text: str, currency: str) -> PartialPayment:
    """Parse ``YYYY-MM-DD:AMOUNT`` into a :class:`PartialPayment`.

    Raises:
        ValidationError: naming ``--payment`` and the text.
    """
    day, sep, amount = text.partition(":")
    if not sep:
        raise ValidationError(f"--payment {text}", "value", "expected YYYY-MM-DD:AMOUNT")
    record = f"--payment {text}"
    on = parse_date(day, record=record, field="date")
    value = parse_amount(amount, currency, record=record, field="amount")
    if value <= 0:
        raise ValidationError(record, "amount", f"must be positive, got {value}")
    return PartialPayment(on, Money(value, currency))


def parse_period_rate(text: str) -> tuple[str, Decimal]:
    """Parse ``PERIOD=PCT`` (``2026-H2=10.40``, ``2026=3.25``, ``2024-12=25.00``).

    Raises:
        ValidationError: naming ``--period-rate`` and the text.
    """
    label, sep, value = text.partition("=")
    record = f"--period-rate {text}"
    if not sep:
        raise ValidationError(record, "value", "expected PERIOD=PCT, e.g. 2026-H2=10.40 or 2024-12=25.00")
    period = period_from_label(label, record=record, field="period")
    return period.label, parse_rate(value.strip(), record=record, field="rate")


def _regime(name: str) -> Regime:
    return get_regime(name, get_plugin_host().regimes())


def run(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit interest``."""
    currency = args.currency.strip().upper()
    amount = parse_amount(args.principal, currency, record="--principal", field="amount")
    if amount <= 0:
        raise ValidationError("--principal", "amount", f"must be positive, got {amount}")
    due = parse_date(args.due, record="--due", field="date")
    until = parse_date(args.until, record="--until", field="date")
    payments = [parse_payment(text, currency) for text in args.payment]
    extra_rates = dict(parse_period_rate(text) for text in args.period_rate)
    rate: Decimal | None = None
    if args.rate is not None:
        rate = parse_rate(args.rate, record="--rate", field="value")
    day_count = None
    if args.day_count is not None:
        day_count = DayCount.parse(args.day_count, record="--day-count", field="value")
    regime = _regime(args.regime.strip())
    result = compute_interest(
        regime,
        Money(amount, currency),
        due,
        until,
        payments=payments,
        rate=rate,
        day_count=day_count,
        extra_rates=extra_rates,
    )
    for warning in result.warnings:
        print(f"cobrokit: warning: {warning}", file=sys.stderr)
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print(render(result, regime))
    return 0


def render(result: InterestResult, regime: Regime) -> str:
    """The readable breakdown printed without ``--json`` (the warnings go to stderr, see :func:`run`)."""
    lines = [
        f"{result.regime}: {regime.title}",
        f"principal {result.principal}, due {result.due.isoformat()}, until {result.until.isoformat()}: "
        f"{result.days_late} days late ({result.day_count.value}, {result.imputation.value})",
        "",
    ]
    lines += [f"  {line}" for line in explain_events(result)] or ["  no interest: nothing was late"]
    lines.append("")
    lines += explain_totals(result)
    if result.sources:
        lines += ["", "sources:"] + [f"  - {source}" for source in result.sources]
    return "\n".join(lines)
