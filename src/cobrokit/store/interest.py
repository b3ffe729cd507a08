"""Late-payment interest on a stored invoice: what the ledger says, fed to the pure engine.

The principal that bears interest is the invoice amount less what was paid by its due date
and less its credit notes; later payments are partial payments (imputed as the regime says).
Used by notices (the penalty warning and later steps) and by debtor statements, so both
show the same figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal

from cobrokit.interest import InterestResult, PartialPayment, compute_interest
from cobrokit.interest.regimes import Regime
from cobrokit.model import Invoice
from cobrokit.money import Money
from cobrokit.store.sqlite import SQLiteStore

__all__ = ["invoice_interest"]


def invoice_interest(
    store: SQLiteStore,
    regime: Regime,
    invoice: Invoice,
    as_of: dt.date,
    *,
    extra_rates: Mapping[str, Decimal] | None = None,
) -> InterestResult | None:
    """Interest on *invoice* from the day after its due date through *as_of*.

    ``None`` when the invoice is not late on *as_of* or nothing of it was left unpaid at the
    due date. Raises what :func:`cobrokit.interest.compute_interest` raises (a missing rate…).
    """
    if invoice.due_date >= as_of:
        return None
    day, due = as_of.isoformat(), invoice.due_date.isoformat()
    rows = store.conn.execute(
        "SELECT date, SUM(amount_minor) FROM allocation WHERE tenant = ? AND invoice_id = ? AND date <= ? "
        "GROUP BY date ORDER BY date",
        (invoice.tenant, invoice.id, day),
    ).fetchall()
    credited = store.conn.execute(
        "SELECT COALESCE(SUM(amount_minor), 0) FROM credit_note WHERE tenant = ? AND invoice_id = ? AND date <= ?",
        (invoice.tenant, invoice.id, day),
    ).fetchone()[0]
    principal_minor = invoice.amount.to_minor() - sum(m for d, m in rows if d <= due) - int(credited)
    if principal_minor <= 0:
        return None
    payments = [
        PartialPayment(dt.date.fromisoformat(d), Money.from_minor(m, invoice.currency)) for d, m in rows if d > due
    ]
    return compute_interest(
        regime,
        Money.from_minor(principal_minor, invoice.currency),
        invoice.due_date,
        as_of,
        payments=payments,
        extra_rates=extra_rates or None,
    )
