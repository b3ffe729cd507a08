"""The aging report from the embedded store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from cobrokit.aging import BUCKETS, AgingReport, build_aging, dso
from cobrokit.model import DEFAULT_TENANT
from cobrokit.store.sqlite import SQLiteStore

__all__ = ["aging_report", "debtor_names", "render_table", "top_rows"]

NAME_WIDTH = 32
"""Debtor names longer than this are shortened (with ``…``) in the terminal table."""

NO_DSO = "not enough sales in the period"
"""How the table words a DSO that cannot be computed (no credit sales in the trailing period)."""


def aging_report(
    store: SQLiteStore, as_of: dt.date, *, tenant: str = DEFAULT_TENANT, dso_days: int = 90
) -> AgingReport:
    """Aging of *tenant*'s receivables as of *as_of*, with DSO over the trailing *dso_days*.

    Open amounts exclude payments and credit notes dated after *as_of*; invoices issued
    after *as_of* are left out. Streams the store; memory grows with the number of
    debtors that owe something, not with the number of invoices.
    """
    items = (
        (item.debtor_id, item.currency, item.due_date, item.open_minor) for item in store.open_items(tenant, as_of)
    )
    report = build_aging(items, as_of)
    sales = store.credit_sales(tenant, as_of - dt.timedelta(days=dso_days - 1), as_of)
    ratios = {
        currency: dso(sum(buckets), sales.get(currency, 0), dso_days) for currency, buckets in report.totals.items()
    }
    return AgingReport(report.as_of, report.totals, report.rows, ratios, dso_days)


def top_rows(report: AgingReport, top: int = 20) -> list[tuple[str, str]]:
    """``(debtor_id, currency)`` of the *top* largest balances, largest first (ties by id)."""
    return [(r.debtor_id, r.currency) for r in sorted(report.rows, key=lambda r: (-r.total, r.debtor_id))[:top]]


def debtor_names(store: SQLiteStore, debtor_ids: Iterable[str], *, tenant: str = DEFAULT_TENANT) -> dict[str, str]:
    """The names of *debtor_ids* (the creditor's own data, for the creditor's terminal); unknown ids left out."""
    ids = sorted(set(debtor_ids))
    names: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        rows = store.conn.execute(
            f"SELECT id, name FROM debtor WHERE tenant = ? AND id IN ({marks})",  # placeholders only
            (tenant, *chunk),
        )
        names.update({str(ident): str(name) for ident, name in rows})
    return names


def _short(name: str) -> str:
    name = " ".join(name.split())
    return name if len(name) <= NAME_WIDTH else name[: NAME_WIDTH - 1] + "…"


def render_table(report: AgingReport, *, top: int = 20, names: Mapping[str, str] | None = None) -> str:
    """A readable terminal table: totals per currency, then the largest debtors.

    *names* maps debtor ids to names (:func:`debtor_names`); a debtor's row shows its name
    next to its id when known. A DSO that cannot be computed (no credit sales in the trailing
    period) reads ``EUR: not enough sales in the period``.
    """
    data = report.to_json()
    headers = ["", *BUCKETS, "total"]
    lines = [f"Aging as of {data['as_of']}", ""]
    if not data["totals"]:
        return "\n".join([*lines, "Nothing is owed."])
    rows = [[f"TOTAL {c}", *(v[b] for b in BUCKETS), v["total"]] for c, v in data["totals"].items()]
    by_id = {(r["debtor_id"], r["currency"]): r for r in data["debtors"]}
    known = names or {}
    debtor_rows = []
    for debtor_id, currency in top_rows(report, top):
        d = by_id[(debtor_id, currency)]
        name = known.get(debtor_id, "")
        label = f"{debtor_id} {_short(name)} · {currency}" if name else f"{debtor_id} {currency}"
        debtor_rows.append([label, *(d[b] for b in BUCKETS), d["total"]])
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows, *debtor_rows, strict=False)]

    def fmt(row: list[str]) -> str:
        return "  ".join(
            str(v).ljust(w) if i == 0 else str(v).rjust(w) for i, (v, w) in enumerate(zip(row, widths, strict=False))
        )

    lines += [fmt(headers), fmt(["-" * w for w in widths])]
    lines += [fmt(r) for r in rows]
    if debtor_rows:
        lines += [
            "",
            f"Top {len(debtor_rows)} debtors by balance (of {len(report.rows)} owing):",
            fmt(headers),
        ]
        lines += [fmt(r) for r in debtor_rows]
    dso_text = ", ".join(f"{c} {v} days" if v is not None else f"{c}: {NO_DSO}" for c, v in data["dso"].items())
    lines += ["", f"DSO (trailing {report.dso_days} days): {dso_text}"]
    return "\n".join(lines)
