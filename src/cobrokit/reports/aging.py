"""The aging report from the embedded store."""

from __future__ import annotations

import datetime as dt

from cobrokit.aging import AgingReport, build_aging, dso
from cobrokit.model import DEFAULT_TENANT
from cobrokit.store.sqlite import SQLiteStore

__all__ = ["aging_report"]


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
