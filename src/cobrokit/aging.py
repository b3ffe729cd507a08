"""The aging report: who owes what, and for how long (*informe de antigüedad de saldos*).

Buckets by days past due (``as_of - due_date``): ``current`` (≤ 0), ``1-30``, ``31-60``,
``61-90``, ``91-120`` and ``over-120``. Amounts are the open principal of each invoice as
of the report date, kept per currency and never summed across currencies.

Pure: the caller streams the open items in (the store computes them as of the date).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import attrs

from cobrokit.money import Money, minor_units

__all__ = ["BUCKETS", "AgingReport", "AgingRow", "bucket_for", "build_aging", "dso"]

BUCKETS: tuple[str, ...] = ("current", "1-30", "31-60", "61-90", "91-120", "over-120")
"""Bucket names, youngest first."""


def bucket_for(days_past_due: int) -> int:
    """Index into :data:`BUCKETS` for a number of days past due."""
    if days_past_due <= 0:
        return 0
    if days_past_due > 120:
        return 5
    return (days_past_due - 1) // 30 + 1


@attrs.frozen(slots=True)
class AgingRow:
    """One debtor's open balance in one currency, split by bucket (minor units)."""

    debtor_id: str
    currency: str
    buckets: tuple[int, ...]

    @property
    def total(self) -> int:
        """Sum of the buckets (minor units)."""
        return sum(self.buckets)

    def money(self, index: int) -> Money:
        """Bucket *index* as Money."""
        return Money.from_minor(self.buckets[index], self.currency)


@attrs.frozen(slots=True)
class AgingReport:
    """Aging as of a date: per-currency totals and per-debtor rows (minor units).

    ``dso`` maps currency to days sales outstanding over the trailing period, or ``None``
    when there were no credit sales in it.
    """

    as_of: dt.date
    totals: Mapping[str, tuple[int, ...]]
    rows: tuple[AgingRow, ...]
    dso: Mapping[str, Decimal | None] = attrs.field(factory=dict)
    dso_days: int = 90

    def to_json(self) -> dict[str, Any]:
        """The documented JSON shape, amounts as strings with the currency's decimals."""

        def amounts(currency: str, buckets: tuple[int, ...]) -> dict[str, str]:
            out = {name: _fmt(v, currency) for name, v in zip(BUCKETS, buckets, strict=True)}
            out["total"] = _fmt(sum(buckets), currency)
            return out

        return {
            "as_of": self.as_of.isoformat(),
            "totals": {c: amounts(c, b) for c, b in sorted(self.totals.items())},
            "debtors": [
                {"debtor_id": r.debtor_id, "currency": r.currency, **amounts(r.currency, r.buckets)} for r in self.rows
            ],
            "dso": {c: (None if v is None else str(v)) for c, v in sorted(self.dso.items())},
            "dso_days": self.dso_days,
        }


def _fmt(minor: int, currency: str) -> str:
    return Money.from_minor(minor, currency).format_amount()


def build_aging(
    items: Iterable[tuple[str, str, dt.date | str, int]],
    as_of: dt.date,
    *,
    include_zero: bool = False,
) -> AgingReport:
    """Bucket open items ``(debtor_id, currency, due_date, open_minor)`` as of *as_of*.

    Items must arrive grouped by debtor (the store orders them so); a debtor's row per
    currency is emitted once. Items with nothing open are skipped unless *include_zero*.
    """
    totals: dict[str, list[int]] = {}
    rows: list[AgingRow] = []
    current_debtor: str | None = None
    pending: dict[str, list[int]] = {}

    def flush() -> None:
        for currency, buckets in sorted(pending.items()):
            if include_zero or any(buckets):
                rows.append(AgingRow(current_debtor or "", currency, tuple(buckets)))
        pending.clear()

    for debtor_id, currency, due, open_minor in items:
        if debtor_id != current_debtor:
            flush()
            current_debtor = debtor_id
        if open_minor == 0 and not include_zero:
            continue
        due_date = dt.date.fromisoformat(due) if isinstance(due, str) else due
        index = bucket_for((as_of - due_date).days)
        buckets = pending.get(currency)
        if buckets is None:
            minor_units(currency, record=f"debtor {debtor_id}")
            buckets = pending[currency] = [0] * len(BUCKETS)
        buckets[index] += open_minor
        grand = totals.get(currency)
        if grand is None:
            grand = totals[currency] = [0] * len(BUCKETS)
        grand[index] += open_minor
    flush()
    return AgingReport(as_of, {c: tuple(b) for c, b in totals.items()}, tuple(rows))


def dso(receivables_minor: int, credit_sales_minor: int, days: int = 90) -> Decimal | None:
    """Days sales outstanding: receivables ÷ credit sales of the period × days, to 0.1 day.

    ``None`` when there were no credit sales in the period (DSO is undefined).
    """
    if credit_sales_minor <= 0:
        return None
    value = Decimal(receivables_minor) / Decimal(credit_sales_minor) * days
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
