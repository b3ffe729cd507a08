"""Small builders of valid records for tests."""

from __future__ import annotations

import datetime as dt

from cobrokit.channel import DeliveryReceipt, DeliveryStatus, Message
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


class Recorder:
    """A channel that records what it is asked to send and answers with *status*."""

    def __init__(self, name: str, status: DeliveryStatus = DeliveryStatus.SENT, idempotent: bool = True) -> None:
        self.name = name
        self.honours_idempotency = idempotent
        self.status = status
        self.sent: list[Message] = []

    def send(self, message: Message) -> DeliveryReceipt:
        self.sent.append(message)
        return DeliveryReceipt(self.status, provider_id=f"{self.name}-{len(self.sent)}", detail=self.status.value)


def recorders() -> dict[str, Recorder]:
    """One recorder per built-in channel."""
    return {n: Recorder(n) for n in ("email", "sms", "call", "letter")}
