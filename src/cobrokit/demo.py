"""The demo: a small business's receivables over four months, chased by cobrokit.

:func:`run_demo` (what ``cobrokit demo`` runs) builds everything inside one folder:

1. a generated portfolio written as the spreadsheets a small business would have
   (``import/invoices.csv``, ``import/payments.csv``) and imported into a new SQLite store;
2. a ``cobrokit.toml`` whose built-in channels write to ``outbox/`` instead of sending:
   emails as ``.eml`` files, letters as PDFs, call tasks as a call list;
3. four simulated months, day by day: the ladder runs and the dispatcher delivers; the
   clients' payments arrive on their dates (thank-you notes follow); some calls end in a
   promise to pay, a dispute or a request for a payment plan, which steer the ladder;
4. the prioritised call list of the calls still to make (``outbox/calls/call-list.csv``,
   what ``cobrokit calls`` writes), the aging report and a summary of what was sent.

It only writes inside its folder, and refuses to replace a folder it did not create.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import shutil
from collections import Counter
from decimal import Decimal
from pathlib import Path

import attrs
from dateutil.relativedelta import relativedelta

from cobrokit.builtin.calls import write_call_list
from cobrokit.casework import record_contact
from cobrokit.dispatch import dispatch
from cobrokit.engine import run_ladder
from cobrokit.errors import CobrokitError, ConfigError
from cobrokit.generate import write_portfolio_csv
from cobrokit.importing import import_csv
from cobrokit.ladder.config import load_config
from cobrokit.model import Allocation, Payment
from cobrokit.money import Money
from cobrokit.plugins import get_plugin_host
from cobrokit.reports.aging import aging_report, render_table
from cobrokit.store.sqlite import SQLiteStore

__all__ = ["CALL_LIST_NAME", "DemoResult", "run_demo"]

_MARKER = ".cobrokit-demo"

CALL_LIST_NAME = "call-list.csv"
"""The call list the demo writes into ``outbox/calls/``."""

# The demo's clients owe in EUR and USD; ranking calls by amount needs one scale. These
# factors only order the list (each amount stays in its own currency on it); they are a
# rough EUR value of a dollar, not an exchange rate to book anything with.
_RANKING_RATES = {"EUR": Decimal("1"), "USD": Decimal("0.90")}


@attrs.frozen(slots=True)
class DemoResult:
    """Where the demo wrote its files and what it printed."""

    folder: Path
    db: Path
    text: str
    sent: Counter[str]
    """Delivered notices by ``stage/channel``."""


def _config_text(folder: Path) -> str:
    from cobrokit.ladder.config import default_config_text

    text = default_config_text()
    text = text.replace('name = "Your Company SL"', 'name = "Talleres Demo SL"')
    text = text.replace('folder = "outbox/email"', f'folder = "{(folder / "outbox" / "email").as_posix()}"')
    text = text.replace('folder = "outbox/letters"', f'folder = "{(folder / "outbox" / "letters").as_posix()}"')
    text = text.replace('folder = "outbox/calls"', f'folder = "{(folder / "outbox" / "calls").as_posix()}"')
    text = text.replace('# folder = "outbox/dossiers"', f'folder = "{(folder / "outbox" / "dossiers").as_posix()}"')
    text = text.replace(
        '# [interest.rates.es-commercial]\n# "2026-H2" = "PCT"\n',
        "# The demo's 2026-H2 figure (10.40 %) is one unconfirmed report (ECB 2.40 % + 8), not\n"
        "# the BOE's: confirm the official rate before relying on it.\n"
        '[interest.rates.es-commercial]\n"2026-H2" = "10.40"\n',
    )
    return text


def _later_payments(path: Path, after: dt.date) -> list[tuple[dt.date, str, str, str, str]]:
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            day = dt.date.fromisoformat(row["date"])
            if day > after:
                rows.append((day, row["payment_id"], row["invoice_id"], row["amount"], row["currency"]))
    return sorted(rows)


def _split_payments(path: Path, until: dt.date) -> Path:
    early = path.with_name("payments-until-start.csv")
    with path.open(encoding="utf-8", newline="") as src, early.open("w", encoding="utf-8", newline="") as dst:
        reader = csv.DictReader(src)
        writer = csv.DictWriter(dst, fieldnames=reader.fieldnames or [])
        writer.writeheader()
        for row in reader:
            if dt.date.fromisoformat(row["date"]) <= until:
                writer.writerow(row)
    return early


def run_demo(folder: Path, *, debtors: int = 60, seed: int = 7, as_of: dt.date, months: int = 4) -> DemoResult:
    """Build the demo in *folder* (created, or replaced if it holds an earlier demo)."""
    if folder.exists():
        if not (folder / _MARKER).exists():
            raise ConfigError(f"{folder} exists and is not a cobrokit demo folder; choose another --out")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    folder = folder.resolve()
    (folder / _MARKER).write_text("created by `cobrokit demo`\n", encoding="utf-8")
    start = as_of - relativedelta(months=months)
    invoices, payments = write_portfolio_csv(
        folder / "import", debtors=debtors, seed=seed, as_of=as_of, currencies=("EUR", "USD")
    )
    config_path = folder / "cobrokit.toml"
    config_path.write_text(_config_text(folder), encoding="utf-8")
    config = load_config(config_path)
    db = folder / "cobrokit.db"
    host = get_plugin_host()
    rng = random.Random(seed)
    sent: Counter[str] = Counter()
    effects: Counter[str] = Counter()
    recorded: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    with SQLiteStore.open(db) as store:
        imported = import_csv(store, invoices=invoices, payments=_split_payments(payments, start))
        later = _later_payments(payments, start)
        day = start
        while day <= as_of:
            now = dt.datetime.combine(day, dt.time(10, 0), tzinfo=dt.UTC)
            _arrive(store, later, day)
            run_ladder(
                store,
                day,
                config=config,
                now=now,
                check_freshness=False,
                progress=False,
                collect_actions=False,
            )
            result = dispatch(store, host, config=config, now=now)
            outcomes.update(result.outcomes)
            for key, status in result.keys:
                if status == "sent":
                    _, debtor_id, stage, _, channel = key.split("/")
                    if channel in ("service", "creditor"):
                        continue
                    sent[f"{stage.split('#')[0]}/{channel}"] += 1
                    if channel == "call":
                        _call_outcome(store, rng, debtor_id, day, now, later)
            day += dt.timedelta(days=1)
        report = aging_report(store, as_of)
        calls_folder = Path(str(config.channels["call"]["folder"]))
        call_list = write_call_list(
            store,
            calls_folder,
            as_of=as_of,
            rates=_RANKING_RATES,
            csv_path=calls_folder / CALL_LIST_NAME,
            config=config,
            host=host,
        )
        for status, counter in (("sent", effects), ("recorded", recorded)):
            counter.update(
                dict(
                    store.conn.execute(
                        "SELECT kind, COUNT(*) FROM outbox WHERE channel IN ('service', 'creditor') AND status = ? "
                        "GROUP BY kind",
                        (status,),
                    ).fetchall()
                )
            )
    files = {
        "emails (.eml)": len(list((folder / "outbox" / "email").glob("*.eml"))),
        "letters (.pdf)": len(list((folder / "outbox" / "letters").glob("*.pdf"))),
        "call list (.csv)": len(list(calls_folder.glob("*.csv"))),
        "case files (.zip)": len(list((folder / "outbox" / "dossiers").glob("*.zip"))),
    }
    lines = [
        f"cobrokit demo — {debtors} debtors, {start.isoformat()} to {as_of.isoformat()}",
        f"  folder:  {folder}",
        f"  store:   {db}",
        f"  config:  {config_path}",
        "",
        "Imported from CSV (payments up to the start; later ones arrive day by day):",
        *("  " + line for line in imported.summary().splitlines()),
        "",
        "Sent, by ladder stage and channel:",
        *(f"  {name:<32} {count:>4}" for name, count in sorted(sent.items())),
        "",
        "Other effects (carried out by plugins, journaled): "
        + (", ".join(f"{k} {v}" for k, v in sorted(effects.items())) or "none"),
        "Recorded only (no plugin acted on them): "
        + (", ".join(f"{k} {v}" for k, v in sorted(recorded.items())) or "none"),
        "Delivery outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())),
        "Files in outbox/: " + ", ".join(f"{n} {k}" for k, n in files.items()),
        f"Call list: {len(call_list.calls)} pending call(s) from {as_of.isoformat()}, highest priority first "
        f"({(calls_folder / CALL_LIST_NAME).relative_to(folder).as_posix()}; "
        f"`cobrokit calls --db {db} --config {config_path} --as-of {as_of.isoformat()} "
        + " ".join(f"--rate {code}={factor}" for code, factor in sorted(_RANKING_RATES.items()))
        + f" --out {calls_folder / CALL_LIST_NAME}` writes it again)",
        "",
        render_table(report, top=10),
        "",
        f"Next: open {folder / 'outbox'} to read what the clients received, or run",
        f"  cobrokit run --db {db} --config {config_path} --as-of {as_of.isoformat()} --dry-run",
    ]
    return DemoResult(folder, db, "\n".join(lines), sent)


def _arrive(store: SQLiteStore, later: list[tuple[dt.date, str, str, str, str]], day: dt.date) -> None:
    """Save the payments dated *day* (the clients paying on their own schedule)."""
    payments = []
    taken: dict[str, int] = {}
    while later and later[0][0] <= day:
        date, payment_id, invoice_id, amount, currency = later.pop(0)
        invoice = store.get_invoice("default", invoice_id)
        if invoice is None:
            continue
        # a client pays what is still open, never more (a promise kept and a scheduled payment
        # may both fall on one invoice): the ledger never holds an over-paid invoice
        still_open = store.open_amounts("default", date, invoice_ids=[invoice_id]).get(invoice_id, 0)
        still_open -= taken.get(invoice_id, 0)
        minor = min(Money(amount, currency).to_minor(), still_open)
        if minor <= 0:
            continue
        taken[invoice_id] = taken.get(invoice_id, 0) + minor
        money = Money.from_minor(minor, currency)
        payments.append(
            Payment(
                id=payment_id,
                debtor_id=invoice.debtor_id,
                date=date,
                amount=money,
                allocations=(Allocation(invoice_id, money),),
            )
        )
    if payments:
        store.save(payments=payments, update=True)


def _call_outcome(
    store: SQLiteStore,
    rng: random.Random,
    debtor_id: str,
    day: dt.date,
    now: dt.datetime,
    later: list[tuple[dt.date, str, str, str, str]],
) -> None:
    """What the demo's collector hears on the phone: a promise, a dispute or nothing."""
    roll = rng.random()
    opens = [i for i in store.open_items("default", day, debtor_id=debtor_id) if i.open_minor > 0]
    if not opens:
        return
    oldest = min(opens, key=lambda i: i.due_date)
    try:
        if roll < 0.35:
            amount = Money.from_minor(
                sum(i.open_minor for i in opens if i.currency == oldest.currency), oldest.currency
            )
            promised = day + dt.timedelta(days=7)
            record_contact(
                store,
                debtor_id=debtor_id,
                on=day,
                outcome="promise",
                now=now,
                promise_date=promised,
                promise_amount=amount,
                note="will pay next week",
            )
            if rng.random() < 0.6:  # most keep their word
                for item in opens:
                    if item.currency == oldest.currency:
                        later.append(
                            (
                                promised,
                                f"PRM-{item.invoice_id}",
                                item.invoice_id,
                                Money.from_minor(item.open_minor, item.currency).format_amount(),
                                item.currency,
                            )
                        )
                later.sort()
        elif roll < 0.45:
            record_contact(
                store,
                debtor_id=debtor_id,
                on=day,
                outcome="dispute",
                invoice_id=oldest.invoice_id,
                now=now,
                note="says the goods arrived damaged",
            )
        elif roll < 0.60:
            record_contact(
                store,
                debtor_id=debtor_id,
                on=day,
                outcome="answered",
                reason="hardship",
                now=now,
                note="cash-flow problems this quarter",
            )
        else:
            record_contact(store, debtor_id=debtor_id, on=day, outcome="no_answer", now=now)
    except CobrokitError:  # a demo contact that does not fit (e.g. a promise already open) is skipped
        return
