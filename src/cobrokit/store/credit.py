"""Reading a debtor's payment history from the store, for scores and credit decisions.

Everything is aggregated in SQL (amounts in minor units, days as integers), so scoring a
whole portfolio streams one ordered query instead of loading payments per debtor:

* :func:`payment_history` — one debtor's :class:`~cobrokit.credit.PaymentHistory`;
* :func:`iter_payment_histories` — every debtor's, ordered by debtor id;
* :func:`risk_scores` — ``{debtor_id: risk}`` for the ladder's ``max_risk`` stage
  conditions (risk = ``100 - score``; debtors without history are left out, so their
  stages are not filtered);
* :func:`check_credit` — the decision for an order, with the plugins' outside data
  (hook ``cobrokit_credit_data``).

What counts, as of a date: invoices due in the look-back window (and older ones still
open); allocations and credit notes dated on or before the date; promises whose promised
date falls in the window, kept or broken exactly as :func:`cobrokit.promises.evaluate_promise`
decides; disputes (opened in the window according to the journal, or flagged now); plan
breaches (recorded, or shown by evaluating the live plans).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import attrs

from cobrokit.credit import (
    CreditDecision,
    CreditPolicy,
    CurrencyLateness,
    ExternalCredit,
    PaymentHistory,
    decide_credit,
    risk_from_score,
    score_history,
)
from cobrokit.errors import PluginError, UnknownReferenceError
from cobrokit.money import Money
from cobrokit.store.sqlite import SQLiteStore

if TYPE_CHECKING:
    from cobrokit.plugins.manager import PluginHost

__all__ = [
    "PromiseOutcome",
    "check_credit",
    "external_credit_data",
    "iter_payment_histories",
    "iter_promise_outcomes",
    "payment_history",
    "risk_scores",
]

_LATENESS_SQL = """
WITH per_invoice AS (
    SELECT i.debtor_id, i.currency, i.due_date, i.disputed,
           (SELECT COALESCE(SUM(a.amount_minor), 0) FROM allocation AS a
            WHERE a.tenant = i.tenant AND a.invoice_id = i.id AND a.date <= :day) AS paid,
           (SELECT COALESCE(SUM(
                a.amount_minor * MAX(0, CAST(julianday(a.date) - julianday(i.due_date) AS INTEGER))), 0)
            FROM allocation AS a
            WHERE a.tenant = i.tenant AND a.invoice_id = i.id AND a.date <= :day) AS paid_late,
           (SELECT COALESCE(SUM(c.amount_minor), 0) FROM credit_note AS c
            WHERE c.tenant = i.tenant AND c.invoice_id = i.id AND c.date <= :day) AS credited,
           i.amount_minor,
           CAST(julianday(:day) - julianday(i.due_date) AS INTEGER) AS age
    FROM invoice AS i
    WHERE i.tenant = :tenant AND i.due_date <= :day AND i.issue_date <= :day {debtor}
), measured AS (
    SELECT debtor_id, currency, due_date, disputed, paid, paid_late, age,
           MAX(amount_minor - paid - credited, 0) AS open
    FROM per_invoice
)
SELECT debtor_id, currency, COUNT(*),
       SUM(paid + CASE WHEN disputed THEN 0 ELSE open END),
       SUM(paid_late + CASE WHEN disputed THEN 0 ELSE open * age END),
       MAX(CASE WHEN open > 0 AND NOT disputed THEN age ELSE 0 END)
FROM measured
WHERE due_date >= :since OR open > 0
GROUP BY debtor_id, currency
ORDER BY debtor_id, currency
"""

# Kept: the payments from the day the promise was made up to min(promised date + grace, as
# of) reach the amount (the same rule as cobrokit.promises.evaluate_promise); broken: not
# kept and the grace is over.
_PROMISE_OUTCOME_SQL = """
SELECT pr.id, pr.debtor_id, pr.currency, pr.amount_minor, pr.promised_date,
       (SELECT COALESCE(SUM(p.amount_minor), 0) FROM payment AS p
        WHERE p.tenant = pr.tenant AND p.debtor_id = pr.debtor_id AND p.currency = pr.currency
          AND p.date >= pr.created_on
          AND p.date <= MIN(date(pr.promised_date, printf('+%d days', :grace)), :day)) AS paid,
       date(pr.promised_date, printf('+%d days', :grace)) < :day AS expired
FROM promise AS pr
WHERE pr.tenant = :tenant AND pr.created_on <= :day AND pr.promised_date >= :since
      AND pr.promised_date <= :until {debtor}
"""

_DISPUTES_SQL = """
SELECT debtor_id, COUNT(DISTINCT invoice_id) FROM (
    SELECT debtor_id, json_extract(detail, '$.invoice_id') AS invoice_id FROM journal
    WHERE tenant = :tenant AND kind = 'dispute_opened' AND as_of <= :day AND as_of >= :since {debtor}
    UNION
    SELECT debtor_id, id FROM invoice WHERE tenant = :tenant AND disputed = 1 AND issue_date <= :day {debtor}
) WHERE invoice_id IS NOT NULL AND invoice_id != ''
GROUP BY debtor_id
"""

_BREACHES_SQL = """
SELECT p.debtor_id, e.plan_id FROM plan_event AS e
JOIN payment_plan AS p ON p.tenant = e.tenant AND p.id = e.plan_id AND p.version = e.version
WHERE e.tenant = :tenant AND e.to_state = 'breached' AND e.on_date <= :day AND e.on_date >= :since {debtor}
"""


def _sql(template: str, debtor_id: str | None, column: str = "debtor_id") -> str:
    return template.replace("{debtor}", f"AND {column} = :debtor" if debtor_id is not None else "")


def _params(tenant: str, as_of: dt.date, since: dt.date, grace: int, debtor_id: str | None) -> dict[str, Any]:
    day = as_of.isoformat()
    return {
        "tenant": tenant,
        "day": day,
        "since": since.isoformat(),
        "until": day,
        "grace": grace,
        "debtor": debtor_id,
    }


class PromiseOutcome(NamedTuple):
    """A promise to pay evaluated as of a date (amounts in minor units)."""

    promise_id: str
    debtor_id: str
    currency: str
    amount_minor: int
    promised_date: str
    paid_minor: int
    """Paid from the day the promise was made to the promised date plus grace (or as of)."""
    state: str
    """``kept``, ``broken`` or ``pending``."""


def iter_promise_outcomes(
    store: SQLiteStore,
    tenant: str,
    as_of: dt.date,
    *,
    since: dt.date,
    until: dt.date | None = None,
    grace_days: int = 2,
    debtor_id: str | None = None,
) -> Iterator[PromiseOutcome]:
    """Promises made by *as_of* whose promised date is in ``[since, until]``, evaluated in SQL.

    ``kept``: the debtor's payments in the promise's currency, from the day it was made
    to the promised date plus *grace_days* (and not after *as_of*), reach the amount;
    ``broken``: not kept and the grace is over; ``pending`` otherwise — the rule of
    :func:`cobrokit.promises.evaluate_promise`.
    """
    params = _params(tenant, as_of, since, grace_days, debtor_id)
    params["until"] = (until or as_of).isoformat()
    for ident, debtor, currency, amount, promised, paid, expired in store.conn.execute(
        _sql(_PROMISE_OUTCOME_SQL, debtor_id, "pr.debtor_id"), params
    ):
        state = "kept" if paid >= amount else "broken" if expired else "pending"
        yield PromiseOutcome(ident, debtor, currency, int(amount), promised, int(paid), state)


def _promises(
    store: SQLiteStore, params: dict[str, Any], debtor_id: str | None, as_of: dt.date, since: dt.date
) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for outcome in iter_promise_outcomes(
        store, params["tenant"], as_of, since=since, grace_days=params["grace"], debtor_id=debtor_id
    ):
        counts = out.setdefault(outcome.debtor_id, [0, 0])
        if outcome.state == "kept":
            counts[0] += 1
        elif outcome.state == "broken":
            counts[1] += 1
    return out


def _disputes(conn: sqlite3.Connection, params: dict[str, Any], debtor_id: str | None) -> dict[str, int]:
    return {d: int(n) for d, n in conn.execute(_sql(_DISPUTES_SQL, debtor_id), params)}


def _breaches(store: SQLiteStore, params: dict[str, Any], debtor_id: str | None, as_of: dt.date) -> dict[str, int]:
    from cobrokit.commitments import load_plan_views

    plans: set[tuple[str, str]] = {
        (d, p) for d, p in store.conn.execute(_sql(_BREACHES_SQL, debtor_id, "p.debtor_id"), params)
    }
    for debtor, view in load_plan_views(store, params["tenant"], as_of).items():
        if view.state == "breached" and (debtor_id is None or debtor == debtor_id):
            plans.add((debtor, view.plan_id))
    out: dict[str, int] = {}
    for debtor, _ in plans:
        out[debtor] = out.get(debtor, 0) + 1
    return out


def _insolvent(conn: sqlite3.Connection, tenant: str, debtor_id: str | None) -> set[str]:
    sql = "SELECT id FROM debtor WHERE tenant = ? AND insolvent = 1"
    args: list[Any] = [tenant]
    if debtor_id is not None:
        sql += " AND id = ?"
        args.append(debtor_id)
    return {row[0] for row in conn.execute(sql, args)}


def iter_payment_histories(
    store: SQLiteStore,
    tenant: str,
    as_of: dt.date,
    *,
    lookback_days: int = 730,
    promise_grace_days: int = 2,
    debtor_id: str | None = None,
) -> Iterator[PaymentHistory]:
    """Every debtor's payment history as of *as_of* (one debtor with *debtor_id*).

    Debtors with invoices due come first, ordered by id (one streamed query); then those
    with only a promise, a dispute or a plan breach. Debtors with nothing to show are not
    yielded. ``open_minor`` is left empty here (see :func:`payment_history`).
    """
    since = as_of - dt.timedelta(days=lookback_days)
    params = _params(tenant, as_of, since, promise_grace_days, debtor_id)
    conn = store.conn
    promises = _promises(store, params, debtor_id, as_of, since)
    disputes = _disputes(conn, params, debtor_id)
    breaches = _breaches(store, params, debtor_id, as_of)
    insolvent = _insolvent(conn, tenant, debtor_id)
    extra = sorted(set(promises) | set(disputes) | set(breaches))

    def build(debtor: str, lateness: Sequence[CurrencyLateness], oldest: int) -> PaymentHistory:
        kept, broken = promises.get(debtor, (0, 0))
        return PaymentHistory(
            debtor_id=debtor,
            as_of=as_of,
            since=since,
            lateness=tuple(lateness),
            promises_kept=kept,
            promises_broken=broken,
            disputes=disputes.get(debtor, 0),
            plan_breaches=breaches.get(debtor, 0),
            insolvent=debtor in insolvent,
            oldest_days_overdue=oldest,
        )

    seen: set[str] = set()
    current = ""
    rows: list[CurrencyLateness] = []
    oldest = 0
    cursor = conn.execute(_sql(_LATENESS_SQL, debtor_id, "i.debtor_id"), params)
    for debtor, currency, count, weight, weighted, age in cursor:
        if debtor != current:
            if rows:
                yield build(current, rows, oldest)
                seen.add(current)
            current, rows, oldest = debtor, [], 0
        rows.append(CurrencyLateness(currency, int(count), int(weight or 0), int(weighted or 0)))
        oldest = max(oldest, int(age or 0))
    if rows:
        yield build(current, rows, oldest)
        seen.add(current)
    for debtor in extra:  # a promise, a dispute or a breach but nothing due in the window
        if debtor not in seen:
            history = build(debtor, (), 0)
            if history.has_history:
                yield history


def payment_history(
    store: SQLiteStore,
    tenant: str,
    debtor_id: str,
    as_of: dt.date,
    *,
    lookback_days: int = 730,
    promise_grace_days: int = 2,
) -> PaymentHistory:
    """One debtor's payment history as of *as_of*, with its open balance per currency.

    Raises:
        UnknownReferenceError: no such debtor.
    """
    debtor = store.get_debtor(tenant, debtor_id)
    if debtor is None:
        raise UnknownReferenceError(
            f"debtor {debtor_id}", "debtor_id", f"no debtor {debtor_id!r} for tenant {tenant!r}"
        )
    found = next(
        iter_payment_histories(
            store,
            tenant,
            as_of,
            lookback_days=lookback_days,
            promise_grace_days=promise_grace_days,
            debtor_id=debtor_id,
        ),
        None,
    )
    history = found or PaymentHistory(
        debtor_id=debtor_id,
        as_of=as_of,
        since=as_of - dt.timedelta(days=lookback_days),
        insolvent=debtor.insolvent,
    )
    open_minor: dict[str, int] = {}
    for item in store.open_items(tenant, as_of, debtor_id=debtor_id):
        if item.open_minor:
            open_minor[item.currency] = open_minor.get(item.currency, 0) + item.open_minor
    return attrs.evolve(history, open_minor=open_minor)


def risk_scores(
    store: SQLiteStore, tenant: str, as_of: dt.date, *, policy: CreditPolicy | None = None
) -> dict[str, int]:
    """``{debtor_id: risk}`` as of *as_of*, for :attr:`cobrokit.ladder.decide.Position.risk`.

    Risk is ``100 - score`` (0 = pays on time, 100 = the worst history), so a stage with
    ``max_risk = 40`` is skipped for debtors whose score is below 60. Debtors without
    history are left out (no risk known: stage conditions on risk do not apply to them).
    """
    p = policy or CreditPolicy()
    out: dict[str, int] = {}
    for history in iter_payment_histories(
        store, tenant, as_of, lookback_days=p.lookback_days, promise_grace_days=p.promise_grace_days
    ):
        risk = risk_from_score(score_history(history, p.weights).score)
        if risk is not None:
            out[history.debtor_id] = risk
    return out


def external_credit_data(host: PluginHost, tenant: str, debtor_id: str) -> tuple[ExternalCredit, ...]:
    """Every plugin's outside credit data for the debtor (hook ``cobrokit_credit_data``).

    Raises:
        PluginError: a plugin returned something other than :class:`ExternalCredit`.
    """
    found: list[ExternalCredit] = []
    for item in host.hook.cobrokit_credit_data(tenant=tenant, debtor_id=debtor_id) or ():
        if item is None:
            continue
        if not isinstance(item, ExternalCredit):
            raise PluginError(f"cobrokit_credit_data returned {type(item).__name__}, expected ExternalCredit")
        found.append(item)
    return tuple(sorted(found, key=lambda e: e.source))


def check_credit(
    store: SQLiteStore,
    tenant: str,
    debtor_id: str,
    order: Money,
    as_of: dt.date,
    *,
    policy: CreditPolicy | None = None,
    host: PluginHost | None = None,
) -> CreditDecision:
    """Allow, deposit or refuse credit for *order* to *debtor_id* as of *as_of*.

    Reads the history (:func:`payment_history`), asks the plugins for outside data when a
    *host* is given, and decides with :func:`cobrokit.credit.decide_credit`.
    """
    p = policy or CreditPolicy()
    history = payment_history(
        store,
        tenant,
        debtor_id,
        as_of,
        lookback_days=p.lookback_days,
        promise_grace_days=p.promise_grace_days,
    )
    external = external_credit_data(host, tenant, debtor_id) if host is not None else ()
    return decide_credit(history, order, p, external)
