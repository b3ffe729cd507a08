"""The portfolio's figures, aggregated in the store: where do we stand?

:func:`portfolio_figures` runs a handful of aggregate queries (SQLite does the summing
and the ranking, the rows stream through it) and returns a small
:class:`PortfolioFigures` — the same size for 300 debtors or 300,000 — per currency:

* **aging**: open principal by bucket of days past due (``current``, ``1-30``, ``31-60``,
  ``61-90``, ``91-120``, ``over-120``; as :mod:`cobrokit.aging`), and how many debtors owe;
* **top debtors**: the *top* largest balances, with their buckets, oldest days overdue and
  ladder stage;
* **what each ladder stage recovered**: for each stage and channel, the notices sent in
  the period and the payments that followed one within *recovery_days* days. A payment is
  credited to the **last** notice sent to that debtor in that currency before the
  payment date (last touch), so no euro is counted twice; thank-you notices are not
  collection steps and take no credit;
* **promises** whose promised date fell in the period: kept, broken, pending (the rule of
  :func:`cobrokit.promises.evaluate_promise`, with *promise_grace_days*);
* **DSO** = receivables at the end ÷ credit sales of the period × days (0.1 day);
* **CEI**, the collection effectiveness index, over the period::

      CEI = (B + S − E) / (B + S − Ec) × 100

  with B the receivables at the start (open on the day before the period), S the credit
  sales (invoices issued in the period), E the receivables at the end and Ec the end
  receivables not yet due ("current"). 100 % means everything that could be collected
  was; undefined (``None``) when the denominator is not positive.

The period is the *period_days* days ending on *as_of* (both included). Amounts stay in
integer minor units per currency; nothing is ever added across currencies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import attrs

from cobrokit.aging import BUCKETS, dso
from cobrokit.errors import ValidationError
from cobrokit.model import DEFAULT_TENANT
from cobrokit.money import Money
from cobrokit.store.credit import iter_promise_outcomes
from cobrokit.store.sqlite import OPEN_AMOUNTS_CTE, SQLiteStore

__all__ = [
    "CurrencyFigures",
    "PortfolioFigures",
    "PromiseTally",
    "StageRecovery",
    "TopDebtor",
    "collection_effectiveness",
    "portfolio_figures",
]

_OPEN_CTE = f"""{OPEN_AMOUNTS_CTE}, open_items AS (
    SELECT i.debtor_id, i.currency, i.due_date,
           CAST(julianday(:day) - julianday(i.due_date) AS INTEGER) AS age,
           MAX(i.amount_minor - COALESCE(p.minor, 0) - COALESCE(c.minor, 0), 0) AS open
    FROM invoice AS i
    LEFT JOIN paid AS p ON p.invoice_id = i.id
    LEFT JOIN credited AS c ON c.invoice_id = i.id
    WHERE i.tenant = :tenant AND i.issue_date <= :day
)"""

_BUCKET_SUMS = """
    SUM(CASE WHEN age <= 0 THEN open ELSE 0 END),
    SUM(CASE WHEN age BETWEEN 1 AND 30 THEN open ELSE 0 END),
    SUM(CASE WHEN age BETWEEN 31 AND 60 THEN open ELSE 0 END),
    SUM(CASE WHEN age BETWEEN 61 AND 90 THEN open ELSE 0 END),
    SUM(CASE WHEN age BETWEEN 91 AND 120 THEN open ELSE 0 END),
    SUM(CASE WHEN age > 120 THEN open ELSE 0 END)"""

_RECEIVABLES_SQL = f"""
WITH {_OPEN_CTE}
SELECT currency, SUM(open), SUM(CASE WHEN age <= 0 THEN open ELSE 0 END)
FROM open_items GROUP BY currency
"""

_AGING_SQL = f"""
WITH {_OPEN_CTE}
SELECT currency, COUNT(DISTINCT debtor_id), {_BUCKET_SUMS}
FROM open_items WHERE open > 0 GROUP BY currency
"""

_TOP_SQL = f"""
WITH {_OPEN_CTE}, per_debtor AS (
    SELECT debtor_id, currency, SUM(open) AS total, MAX(age) AS oldest, {_BUCKET_SUMS}
    FROM open_items WHERE open > 0 GROUP BY debtor_id, currency
), ranked AS (
    SELECT per_debtor.*, ROW_NUMBER() OVER (PARTITION BY currency ORDER BY total DESC, debtor_id) AS rank
    FROM per_debtor
)
SELECT r.*, d.name, COALESCE(s.stage, '')
FROM ranked AS r
JOIN debtor AS d ON d.tenant = :tenant AND d.id = r.debtor_id
LEFT JOIN ladder_state AS s ON s.tenant = :tenant AND s.debtor_id = r.debtor_id AND s.currency = r.currency
WHERE r.rank <= :top
ORDER BY r.currency, r.rank
"""

_STAGE_ID = "CASE WHEN instr(stage, '#') > 0 THEN substr(stage, 1, instr(stage, '#') - 1) ELSE stage END"

_SENT_SQL = f"""
SELECT {_STAGE_ID} AS stage_id, channel, currency, COUNT(*) FROM outbox
WHERE tenant = :tenant AND kind = 'notice' AND status IN ('sent', 'delivered') AND as_of BETWEEN :start AND :day
GROUP BY stage_id, channel, currency
"""

_RECOVERED_SQL = f"""
WITH touched AS (
    SELECT p.currency, p.amount_minor, (
        SELECT s.key FROM outbox AS s
        WHERE s.tenant = p.tenant AND s.debtor_id = p.debtor_id AND s.currency = p.currency
          AND s.kind = 'notice' AND s.status IN ('sent', 'delivered') AND substr(s.stage, 1, 9) != 'thank_you'
          AND s.as_of < p.date AND s.as_of >= date(p.date, printf('-%d days', :window))
        ORDER BY s.as_of DESC, s.key DESC LIMIT 1
    ) AS key
    FROM payment AS p
    WHERE p.tenant = :tenant AND p.date BETWEEN :start AND :day
)
SELECT {_STAGE_ID} AS stage_id, o.channel, t.currency, COUNT(*), SUM(t.amount_minor)
FROM touched AS t JOIN outbox AS o ON o.key = t.key
GROUP BY stage_id, o.channel, t.currency
"""

_COLLECTED_SQL = """
SELECT currency, SUM(amount_minor) FROM payment
WHERE tenant = :tenant AND date BETWEEN :start AND :day GROUP BY currency
"""

_STAGE_ORDER = (
    "courtesy",
    "oops",
    "whats_wrong",
    "penalty_warning",
    "ultimatum",
    "suspension",
    "handoff",
    "legal",
    "plan_confirmation",
    "instalment_reminder",
    "plan_missed",
    "plan_breach",
    "thank_you",
)


def _fmt(minor: int, currency: str) -> str:
    return Money.from_minor(minor, currency).format_amount()


@attrs.frozen(slots=True)
class TopDebtor:
    """One of the largest balances (minor units)."""

    debtor_id: str
    name: str
    currency: str
    buckets: tuple[int, ...]
    total: int
    oldest_days: int
    """Days past due of the oldest open invoice (negative: nothing is due yet)."""
    stage: str
    """The debtor's current ladder stage ('' when none)."""

    def to_json(self) -> dict[str, Any]:
        """JSON-ready mapping (amounts as strings)."""
        return {
            "debtor_id": self.debtor_id,
            "name": self.name,
            "currency": self.currency,
            **{b: _fmt(v, self.currency) for b, v in zip(BUCKETS, self.buckets, strict=True)},
            "total": _fmt(self.total, self.currency),
            "oldest_days_overdue": self.oldest_days,
            "stage": self.stage,
        }


@attrs.frozen(slots=True)
class StageRecovery:
    """What one ladder stage, on one channel, recovered in one currency."""

    stage: str
    channel: str
    currency: str
    notices_sent: int
    """Notices of this stage and channel sent in the period."""
    payments: int
    """Payments in the period credited to one of them (last touch within the window)."""
    recovered_minor: int

    def to_json(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return {
            "stage": self.stage,
            "channel": self.channel,
            "currency": self.currency,
            "notices_sent": self.notices_sent,
            "payments": self.payments,
            "recovered": _fmt(self.recovered_minor, self.currency),
        }


@attrs.frozen(slots=True)
class PromiseTally:
    """Promises to pay whose promised date fell in the period, by outcome."""

    currency: str
    kept: int = 0
    broken: int = 0
    pending: int = 0
    kept_minor: int = 0
    broken_minor: int = 0
    pending_minor: int = 0

    @property
    def kept_rate(self) -> Decimal | None:
        """Kept ÷ (kept + broken) in percent, to 0.1; ``None`` when none is decided yet."""
        decided = self.kept + self.broken
        if not decided:
            return None
        return (Decimal(self.kept) * 100 / decided).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    def to_json(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return {
            "kept": self.kept,
            "broken": self.broken,
            "pending": self.pending,
            "kept_amount": _fmt(self.kept_minor, self.currency),
            "broken_amount": _fmt(self.broken_minor, self.currency),
            "pending_amount": _fmt(self.pending_minor, self.currency),
            "kept_rate": None if self.kept_rate is None else str(self.kept_rate),
        }


def collection_effectiveness(
    begin_minor: int, sales_minor: int, end_minor: int, end_current_minor: int
) -> Decimal | None:
    """CEI = (B + S − E) / (B + S − Ec) × 100, to 0.1; ``None`` when the denominator is not positive.

    >>> collection_effectiveness(100_00, 200_00, 120_00, 60_00)
    Decimal('75.0')
    """
    denominator = begin_minor + sales_minor - end_current_minor
    if denominator <= 0:
        return None
    value = Decimal(begin_minor + sales_minor - end_minor) * 100 / Decimal(denominator)
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@attrs.frozen(slots=True)
class CurrencyFigures:
    """Every figure of the report for one currency (amounts in minor units)."""

    currency: str
    buckets: tuple[int, ...] = (0, 0, 0, 0, 0, 0)
    debtors_owing: int = 0
    receivables_begin: int = 0
    credit_sales: int = 0
    receivables_end: int = 0
    current_end: int = 0
    collected: int = 0
    """Payments received in the period."""
    dso: Decimal | None = None
    cei: Decimal | None = None
    top: tuple[TopDebtor, ...] = ()
    recovery: tuple[StageRecovery, ...] = ()
    promises: PromiseTally | None = None

    @property
    def total(self) -> int:
        """Open principal as of the report date (the sum of the buckets)."""
        return sum(self.buckets)

    @property
    def overdue(self) -> int:
        """Open principal past its due date."""
        return sum(self.buckets[1:])

    def to_json(self) -> dict[str, Any]:
        """JSON-ready mapping (amounts as strings with the currency's decimals)."""
        c = self.currency
        aging = {b: _fmt(v, c) for b, v in zip(BUCKETS, self.buckets, strict=True)}
        aging["total"] = _fmt(self.total, c)
        return {
            "aging": aging,
            "overdue": _fmt(self.overdue, c),
            "debtors_owing": self.debtors_owing,
            "receivables_begin": _fmt(self.receivables_begin, c),
            "credit_sales": _fmt(self.credit_sales, c),
            "receivables_end": _fmt(self.receivables_end, c),
            "current_end": _fmt(self.current_end, c),
            "collected": _fmt(self.collected, c),
            "dso": None if self.dso is None else str(self.dso),
            "cei": None if self.cei is None else str(self.cei),
            "top_debtors": [t.to_json() for t in self.top],
            "recovery": [r.to_json() for r in self.recovery],
            "promises": (self.promises or PromiseTally(c)).to_json(),
        }


@attrs.frozen(slots=True)
class PortfolioFigures:
    """The whole report's figures: small whatever the portfolio's size."""

    tenant: str
    as_of: dt.date
    period_start: dt.date
    period_days: int
    recovery_days: int
    top_n: int
    promise_grace_days: int
    currencies: tuple[CurrencyFigures, ...]

    def currency(self, code: str) -> CurrencyFigures:
        """The figures of one currency (all zero when it has none)."""
        return next((c for c in self.currencies if c.currency == code), CurrencyFigures(code))

    def to_json(self) -> dict[str, Any]:
        """The documented JSON shape (``cobrokit report --json``)."""
        return {
            "tenant": self.tenant,
            "as_of": self.as_of.isoformat(),
            "period": {
                "start": self.period_start.isoformat(),
                "end": self.as_of.isoformat(),
                "days": self.period_days,
            },
            "recovery_window_days": self.recovery_days,
            "promise_grace_days": self.promise_grace_days,
            "top": self.top_n,
            "buckets": list(BUCKETS),
            "currencies": {c.currency: c.to_json() for c in self.currencies},
        }

    def csv_rows(self) -> Iterator[tuple[str, str, str, str, str]]:
        """The same figures as long-format rows ``(section, currency, item, field, value)``."""
        yield ("report", "", "as_of", "date", self.as_of.isoformat())
        yield ("report", "", "period", "start", self.period_start.isoformat())
        yield ("report", "", "period", "days", str(self.period_days))
        yield ("report", "", "recovery_window", "days", str(self.recovery_days))
        for figures in self.currencies:
            data = figures.to_json()
            c = figures.currency
            for bucket, value in data["aging"].items():
                yield ("aging", c, bucket, "amount", value)
            for key in (
                "overdue",
                "debtors_owing",
                "receivables_begin",
                "credit_sales",
                "receivables_end",
                "current_end",
                "collected",
                "dso",
                "cei",
            ):
                value = data[key]
                yield ("kpi", c, key, "value", "" if value is None else str(value))
            for rank, top in enumerate(data["top_debtors"], start=1):
                for key, value in top.items():
                    if key not in ("debtor_id", "currency"):
                        yield ("top_debtors", c, top["debtor_id"], key, str(value))
                yield ("top_debtors", c, top["debtor_id"], "rank", str(rank))
            for rec in data["recovery"]:
                item = f"{rec['stage']}/{rec['channel']}"
                for key in ("notices_sent", "payments", "recovered"):
                    yield ("recovery", c, item, key, str(rec[key]))
            for key, value in data["promises"].items():
                yield ("promises", c, key, "value", "" if value is None else str(value))


def _stage_key(stage: str) -> tuple[int, str]:
    return (_STAGE_ORDER.index(stage) if stage in _STAGE_ORDER else len(_STAGE_ORDER), stage)


def _receivables(store: SQLiteStore, tenant: str, day: dt.date) -> dict[str, tuple[int, int]]:
    rows = store.conn.execute(_RECEIVABLES_SQL, {"tenant": tenant, "day": day.isoformat()})
    return {c: (int(total or 0), int(current or 0)) for c, total, current in rows}


def _recovery(store: SQLiteStore, params: dict[str, Any]) -> dict[str, list[StageRecovery]]:
    sent: dict[tuple[str, str, str], int] = {}
    for stage, channel, currency, count in store.conn.execute(_SENT_SQL, params):
        sent[(stage, channel, currency)] = int(count)
    got: dict[tuple[str, str, str], tuple[int, int]] = {}
    for stage, channel, currency, count, minor in store.conn.execute(_RECOVERED_SQL, params):
        got[(stage, channel, currency)] = (int(count), int(minor or 0))
    out: dict[str, list[StageRecovery]] = {}
    keys = sorted(set(sent) | set(got), key=lambda k: (k[2], _stage_key(k[0]), k[1]))
    for stage, channel, currency in keys:
        payments, minor = got.get((stage, channel, currency), (0, 0))
        out.setdefault(currency, []).append(
            StageRecovery(stage, channel, currency, sent.get((stage, channel, currency), 0), payments, minor)
        )
    return out


def _promises(store: SQLiteStore, tenant: str, as_of: dt.date, start: dt.date, grace: int) -> dict[str, PromiseTally]:
    tallies: dict[str, dict[str, int]] = {}
    for outcome in iter_promise_outcomes(store, tenant, as_of, since=start, until=as_of, grace_days=grace):
        t = tallies.setdefault(outcome.currency, {})
        t[outcome.state] = t.get(outcome.state, 0) + 1
        t[f"{outcome.state}_minor"] = t.get(f"{outcome.state}_minor", 0) + outcome.amount_minor
    return {c: PromiseTally(c, **t) for c, t in tallies.items()}


def _top(rows: Iterable[Sequence[Any]]) -> dict[str, list[TopDebtor]]:
    out: dict[str, list[TopDebtor]] = {}
    for row in rows:
        debtor_id, currency, total, oldest = row[0], row[1], row[2], row[3]
        buckets = tuple(int(v or 0) for v in row[4:10])
        name, stage = row[11], row[12]
        out.setdefault(currency, []).append(
            TopDebtor(debtor_id, name, currency, buckets, int(total), int(oldest), stage.split("#", 1)[0])
        )
    return out


def portfolio_figures(
    store: SQLiteStore,
    as_of: dt.date,
    *,
    tenant: str = DEFAULT_TENANT,
    period_days: int = 90,
    recovery_days: int = 14,
    top: int = 20,
    promise_grace_days: int = 2,
) -> PortfolioFigures:
    """Compute the report's figures as of *as_of* over the *period_days* ending then.

    Raises:
        ValidationError: a period, window or top count that is not positive.
    """
    for name, value in (("period_days", period_days), ("recovery_days", recovery_days), ("top", top)):
        if value <= 0:
            raise ValidationError("report", name, f"must be positive, got {value}")
    start = as_of - dt.timedelta(days=period_days - 1)
    day = as_of.isoformat()
    params = {"tenant": tenant, "day": day, "start": start.isoformat(), "window": recovery_days, "top": top}
    conn = store.conn
    aging = {
        row[0]: (int(row[1]), tuple(int(v or 0) for v in row[2:8]))
        for row in conn.execute(_AGING_SQL, {"tenant": tenant, "day": day})
    }
    end = _receivables(store, tenant, as_of)
    begin = _receivables(store, tenant, start - dt.timedelta(days=1))
    sales = store.credit_sales(tenant, start, as_of)
    collected = {c: int(m) for c, m in conn.execute(_COLLECTED_SQL, params)}
    top_rows = _top(conn.execute(_TOP_SQL, {"tenant": tenant, "day": day, "top": top}))
    recovery = _recovery(store, params)
    promises = _promises(store, tenant, as_of, start, promise_grace_days)
    codes = sorted(set(aging) | set(end) | set(begin) | set(sales) | set(collected) | set(recovery) | set(promises))
    figures = []
    for code in codes:
        owing, buckets = aging.get(code, (0, (0,) * len(BUCKETS)))
        b_total = begin.get(code, (0, 0))[0]
        e_total, e_current = end.get(code, (0, 0))
        s = sales.get(code, 0)
        figures.append(
            CurrencyFigures(
                currency=code,
                buckets=buckets,
                debtors_owing=owing,
                receivables_begin=b_total,
                credit_sales=s,
                receivables_end=e_total,
                current_end=e_current,
                collected=collected.get(code, 0),
                dso=dso(e_total, s, period_days),
                cei=collection_effectiveness(b_total, s, e_total, e_current),
                top=tuple(top_rows.get(code, ())),
                recovery=tuple(recovery.get(code, ())),
                promises=promises.get(code, PromiseTally(code)),
            )
        )
    return PortfolioFigures(tenant, as_of, start, period_days, recovery_days, top, promise_grace_days, tuple(figures))
