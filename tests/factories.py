"""Small builders of valid records for tests."""

from __future__ import annotations

import datetime as dt

from cobrokit.model import Debtor, Invoice
from cobrokit.money import Money


def make_invoice(
    invoice_id: str = "INV-1",
    debtor_id: str = "D1",
    amount: str = "100.00",
    currency: str = "EUR",
    issue: str = "2026-01-01",
    due: str = "2026-01-31",
) -> Invoice:
    """A valid invoice with sensible defaults."""
    return Invoice(
        id=invoice_id,
        debtor_id=debtor_id,
        issue_date=dt.date.fromisoformat(issue),
        due_date=dt.date.fromisoformat(due),
        amount=Money(amount, currency),
    )


def make_debtor(debtor_id: str = "D1", name: str = "Talleres Ruiz SL") -> Debtor:
    """A valid debtor."""
    return Debtor(id=debtor_id, name=name, emails=("cuentas@ruiz.example",), locale="es_ES", country="ES")
