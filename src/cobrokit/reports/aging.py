"""The aging report from the embedded store."""

from __future__ import annotations

import datetime as dt

from cobrokit.aging import BUCKETS, AgingReport, build_aging, dso
from cobrokit.model import DEFAULT_TENANT
from cobrokit.store.sqlite import SQLiteStore

__all__ = ["aging_report", "render_table"]


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


def render_table(report: AgingReport, *, top: int = 20) -> str:
    """A readable terminal table: totals per currency, then the largest debtors."""
    data = report.to_json()
    headers = ["", *BUCKETS, "total"]
    lines = [f"Aging as of {data['as_of']}", ""]
    if not data["totals"]:
        return "\n".join([*lines, "Nothing is owed."])
    rows = [[f"TOTAL {c}", *(v[b] for b in BUCKETS), v["total"]] for c, v in data["totals"].items()]
    biggest = sorted(report.rows, key=lambda r: (-r.total, r.debtor_id))[:top]
    by_id = {(r["debtor_id"], r["currency"]): r for r in data["debtors"]}
    debtor_rows = []
    for r in biggest:
        d = by_id[(r.debtor_id, r.currency)]
        debtor_rows.append([f"{r.debtor_id} {r.currency}", *(d[b] for b in BUCKETS), d["total"]])
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
    dso_text = ", ".join(f"{c} {v if v is not None else 'n/a'} days" for c, v in data["dso"].items())
    lines += ["", f"DSO (trailing {report.dso_days} days): {dso_text}"]
    return "\n".join(lines)
