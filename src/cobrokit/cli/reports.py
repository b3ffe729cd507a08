"""``cobrokit report``, ``statement``, ``dossier`` and ``credit check``.

Thin layers over :func:`cobrokit.reports.html.write_report`,
:func:`cobrokit.reports.statement.debtor_statement`,
:func:`cobrokit.reports.dossier.build_dossier` and
:func:`cobrokit.store.credit.check_credit`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

from cobrokit.cli.options import add_db, add_tenant, iso_date
from cobrokit.credit import CreditOutcome, CreditPolicy, parse_policy
from cobrokit.errors import ConfigError, CurrencyMismatchError, StoreError
from cobrokit.ladder.config import Config, load_config
from cobrokit.money import Money, parse_amount
from cobrokit.store.sqlite import SQLiteStore

__all__ = ["EXIT_DEPOSIT", "EXIT_REFUSE", "register"]

EXIT_DEPOSIT = 3
"""``credit check`` exit status when a deposit is required."""
EXIT_REFUSE = 4
"""``credit check`` exit status when credit is refused."""


def _today() -> dt.date:
    return dt.datetime.now().astimezone().date()


def _open(path: Path) -> SQLiteStore:
    if not path.exists():
        raise StoreError(f"{path}: no such store (run `cobrokit import` first)")
    return SQLiteStore.open(path)


def _config(path: Path | None) -> Config:
    from cobrokit.cli.run import resolve_config_path

    return load_config(resolve_config_path(path))


def _config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        metavar="FILE",
        help="cobrokit.toml (default: ./cobrokit.toml if present, else the defaults)",
    )


def register(sub: Any) -> None:
    """Add ``report``, ``statement``, ``dossier`` and ``credit``."""
    report = sub.add_parser(
        "report",
        help="portfolio report: aging chart, top debtors, recovery by stage, DSO, CEI",
        description="Write a self-contained HTML report (no server, no external assets) and, if asked, the "
        "same figures as CSV and JSON. Figures are aggregated in the store: the page stays small whatever "
        "the number of debtors.",
    )
    add_db(report)
    add_tenant(report)
    report.add_argument("--as-of", type=iso_date, default=None, metavar="DATE", help="report date (default: today)")
    report.add_argument("--out", type=Path, required=True, metavar="FILE.html", help="the HTML report")
    report.add_argument("--csv", type=Path, default=None, metavar="FILE", help="also write the figures as CSV")
    report.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write the figures as JSON")
    report.add_argument(
        "--period-days",
        type=int,
        default=90,
        metavar="N",
        help="period for DSO, CEI, recovery and promises, ending on --as-of (default 90)",
    )
    report.add_argument(
        "--recovery-days",
        type=int,
        default=14,
        metavar="N",
        help="a payment within N days after a notice counts as recovered by it (default 14)",
    )
    report.add_argument("--top", type=int, default=20, metavar="N", help="top debtors per currency (default 20)")
    report.add_argument(
        "--promise-grace-days",
        type=int,
        default=2,
        metavar="N",
        help="days after a promised date before a promise is broken (default 2)",
    )
    report.add_argument(
        "--locale",
        default="en",
        help="language of the headings (es or en) and locale of amounts and dates (default en)",
    )
    report.set_defaults(func=report_command)

    statement = sub.add_parser(
        "statement",
        help="a debtor's statement of account (PDF or HTML)",
        description="Invoices, payments, credit notes, fees, late-payment interest with its explanation, "
        "and the balance, as of a date.",
    )
    add_db(statement)
    add_tenant(statement)
    _config_arg(statement)
    statement.add_argument("--debtor", required=True, metavar="ID")
    statement.add_argument("--as-of", type=iso_date, default=None, metavar="DATE", help="default: today")
    statement.add_argument("--out", type=Path, required=True, metavar="FILE.pdf|FILE.html")
    statement.add_argument(
        "--regime",
        default=None,
        help="interest regime (default: the configuration's for the debtor's country; 'none' for no interest)",
    )
    statement.add_argument("--currency", default=None, metavar="CCY", help="only this currency")
    statement.set_defaults(func=statement_command)

    dossier = sub.add_parser(
        "dossier",
        help="the case file for an agency, a lawyer or a factoring company",
        description="Gather everything about a debtor into a folder or a .zip: index PDF, timeline of every "
        "contact and notice with its content and delivery receipt, invoices, statement, interest "
        "computation, plans, promises, disputes and jurisdiction notes.",
    )
    add_db(dossier)
    add_tenant(dossier)
    _config_arg(dossier)
    dossier.add_argument("--debtor", required=True, metavar="ID")
    dossier.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DIR_OR_ZIP",
        help="a folder, or a file name ending in .zip",
    )
    dossier.add_argument("--as-of", type=iso_date, default=None, metavar="DATE", help="default: today")
    dossier.add_argument("--force", action="store_true", help="replace an existing case file")
    dossier.add_argument(
        "--locale",
        default=None,
        help="language of the index (es or en; default: the creditor's country, else the debtor's locale)",
    )
    dossier.set_defaults(func=dossier_command)

    credit = sub.add_parser(
        "credit",
        help="credit decisions: should we take this order on credit?",
        description="Payment-behaviour score and credit decisions (prevention).",
    )
    actions = credit.add_subparsers(dest="credit_command", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check",
        help="allow, require a deposit, or refuse credit for an order",
        description="Score the debtor's payment history, add any credit-bureau data from plugins, and "
        "decide. "
        f"Exit status: 0 allow, {EXIT_DEPOSIT} deposit, {EXIT_REFUSE} refuse, 2 error.",
    )
    add_db(check)
    add_tenant(check)
    check.add_argument("--debtor", required=True, metavar="ID")
    check.add_argument("--amount", required=True, metavar="X", help="the new order's amount (e.g. 2500.00)")
    check.add_argument(
        "--currency",
        default=None,
        metavar="CCY",
        help="the order's currency (default: the debtor's only invoicing currency)",
    )
    check.add_argument("--as-of", type=iso_date, default=None, metavar="DATE", help="default: today")
    check.add_argument(
        "--policy",
        type=Path,
        default=None,
        metavar="FILE",
        help="TOML file with a [credit] table (default: the built-in policy)",
    )
    check.add_argument("--no-plugins", action="store_true", help="do not ask plugins for outside credit data")
    check.add_argument("--json", action="store_true", help="JSON output (amounts as strings)")
    check.set_defaults(func=credit_check_command)


def report_command(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit report``."""
    from cobrokit.reports.html import write_report

    as_of = args.as_of or _today()
    with _open(args.db) as store:
        figures = write_report(
            store,
            as_of,
            args.out,
            tenant=args.tenant,
            csv_path=args.csv,
            json_path=args.json,
            period_days=args.period_days,
            recovery_days=args.recovery_days,
            top=args.top,
            promise_grace_days=args.promise_grace_days,
            locale=args.locale,
        )
    for f in figures.currencies:
        total = Money.from_minor(f.total, f.currency)
        print(
            f"{f.currency}: receivables {total}, {f.debtors_owing} debtor(s) owing, "
            f"DSO {f.dso if f.dso is not None else 'n/a'}, CEI {f.cei if f.cei is not None else 'n/a'}"
        )
    print(f"report written to {args.out}")
    return 0


def statement_command(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit statement``."""
    from cobrokit.reports.statement import debtor_statement, write_statement

    config = _config(args.config)
    with _open(args.db) as store:
        debtor = store.get_debtor(args.tenant, args.debtor)
        country = (debtor.country or debtor.address.country) if debtor is not None else ""
        regime = config.regime_for(country) if args.regime is None else ("" if args.regime == "none" else args.regime)
        from cobrokit.plugins import get_plugin_host

        statement = debtor_statement(
            store,
            args.debtor,
            args.as_of or _today(),
            tenant=args.tenant,
            creditor=config.creditor,
            regime=regime,
            regimes=get_plugin_host().regimes() if regime else None,
            extra_rates=config.rates_for(regime),
            currency=args.currency.upper() if args.currency else None,
        )
    write_statement(statement, args.out)
    print(f"statement written to {args.out}")
    for section in statement.currencies:  # the technical reasons are for the creditor, never on the statement
        for item in section.interest:
            if item.error:
                print(f"note: invoice {item.invoice_id}: {item.error}", file=sys.stderr)
    return 0


def dossier_command(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit dossier``."""
    from cobrokit.plugins import get_plugin_host
    from cobrokit.reports.dossier import build_dossier

    config = _config(args.config)
    with _open(args.db) as store:
        result = build_dossier(
            store,
            args.debtor,
            args.out,
            as_of=args.as_of or _today(),
            tenant=args.tenant,
            config=config,
            host=get_plugin_host(),
            replace=args.force,
            locale=args.locale,
        )
    claims = ", ".join(str(c) for c in result.claims) or "nothing"
    print(
        f"case file written to {result.path}: claim {claims}, {len(result.timeline)} events, {len(result.files)} files"
    )
    for notes in result.jurisdiction:
        for warning in notes.warnings:
            print(f"  warning: {warning}")
    return 0


def _policy(path: Path | None) -> CreditPolicy:
    if path is None:
        return CreditPolicy()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read credit policy {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_policy(data, source=str(path))


def _currency(store: SQLiteStore, tenant: str, debtor_id: str) -> str:
    found = sorted(
        {
            row[0]
            for row in store.conn.execute(
                "SELECT DISTINCT currency FROM invoice WHERE tenant = ? AND debtor_id = ?",
                (tenant, debtor_id),
            )
        }
    )
    if len(found) != 1:
        raise CurrencyMismatchError(
            f"debtor {debtor_id}",
            "currency",
            f"invoices in {', '.join(found) or 'no currency'}: give --currency",
        )
    return str(found[0])


def credit_check_command(args: argparse.Namespace) -> int:
    """Handler of ``cobrokit credit check``."""
    from cobrokit.store.credit import check_credit

    policy = _policy(args.policy)
    with _open(args.db) as store:
        currency = args.currency.upper() if args.currency else _currency(store, args.tenant, args.debtor)
        order = Money(parse_amount(args.amount, currency, record="credit check", field="amount"), currency)
        host = None
        if not args.no_plugins:
            from cobrokit.plugins import get_plugin_host

            host = get_plugin_host()
        decision = check_credit(
            store, args.tenant, args.debtor, order, args.as_of or _today(), policy=policy, host=host
        )
    if args.json:
        json.dump(decision.to_json(), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print("\n".join(decision.explain()))
    return {CreditOutcome.ALLOW: 0, CreditOutcome.DEPOSIT: EXIT_DEPOSIT, CreditOutcome.REFUSE: EXIT_REFUSE}[
        decision.outcome
    ]
