"""cobrokit.receivables: the Receivable value, derived settlements, one read for four streams."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobrokit.backend import Capability, supports
from cobrokit.errors import CurrencyMismatchError, InvalidAmountError, ValidationError
from cobrokit.model import Allocation, CreditNote, Debtor, Invoice, Payment
from cobrokit.money import Money
from cobrokit.receivables import Receivable, ReceivablesBackend, is_settlement, settlement_payment
from cobrokit.testing import FakeClock

DEBTOR = Debtor(id="C1", name="Talleres Ruiz SL")


def invoice(total: str, currency: str = "EUR") -> Invoice:
    return Invoice(
        id="F1",
        debtor_id="C1",
        issue_date=dt.date(2025, 1, 1),
        due_date=dt.date(2025, 1, 31),
        amount=Money(total, currency),
    )


def test_settlement_is_total_minus_open_minus_what_was_reported() -> None:
    paid = Payment(
        id="P1",
        debtor_id="C1",
        date=dt.date(2025, 2, 3),
        amount=Money("30.00", "EUR"),
        allocations=(Allocation("F1", Money("30.00", "EUR")),),
    )
    credit = CreditNote(id="N1", debtor_id="C1", date=dt.date(2025, 2, 4), amount=Money("5.00", "EUR"), invoice_id="F1")
    receivable = Receivable(DEBTOR, invoice("100.00"), Money("40.00", "EUR"), payments=(paid,), credit_notes=(credit,))
    settled = settlement_payment(receivable, on=dt.date(2025, 3, 1), source="toy")
    # 100.00 total − 40.00 open − 30.00 reported payment − 5.00 credit note = 25.00 unexplained
    assert settled is not None and settled.amount == Money("25.00", "EUR") and is_settlement(settled)
    assert settled.date == dt.date(2025, 3, 1) and "toy" in settled.description


def test_nothing_to_settle_gives_no_payment() -> None:
    assert (
        settlement_payment(
            Receivable(DEBTOR, invoice("100.00"), Money("100.00", "EUR")),
            on=dt.date(2025, 3, 1),
            source="toy",
        )
        is None
    )


@given(
    total=st.integers(1, 10**9),
    open_part=st.integers(0, 10**9),
    currency=st.sampled_from(["EUR", "JPY", "KWD"]),
)
def test_open_plus_settlement_is_always_the_total(total: int, open_part: int, currency: str) -> None:
    """Whatever the balance, ledger open (= total − settlement) equals the provider's open."""
    open_part = min(open_part, total)
    amount, open_ = Money.from_minor(total, currency), Money.from_minor(open_part, currency)
    inv = Invoice(id="F1", debtor_id="C1", issue_date=dt.date(2025, 1, 1), due_date=dt.date(2025, 1, 31), amount=amount)
    settled = settlement_payment(Receivable(DEBTOR, inv, open_), on=dt.date(2025, 3, 1), source="toy")
    ledger_open = amount - (settled.amount if settled else Money.zero(currency))
    assert ledger_open == open_


@pytest.mark.parametrize(
    ("open_", "error"),
    [
        (Money("-1.00", "EUR"), InvalidAmountError),
        (Money("1.005", "EUR"), InvalidAmountError),
        (Money("101.00", "EUR"), InvalidAmountError),
        (Money("1.00", "USD"), CurrencyMismatchError),
    ],
)
def test_impossible_balances_are_refused_naming_the_invoice(open_: Money, error: type[Exception]) -> None:
    with pytest.raises(error, match="invoice F1: open"):
        Receivable(DEBTOR, invoice("100.00"), open_)


def test_the_debtor_must_be_the_invoices() -> None:
    with pytest.raises(ValidationError, match="debtor_id"):
        Receivable(Debtor(id="C2", name="Someone else SL"), invoice("100.00"), Money("1.00", "EUR"))


class Counting(ReceivablesBackend):
    name = "counting"

    def __init__(self) -> None:
        super().__init__(clock=FakeClock())
        self.reads = 0

    def receivables(self, *, tenant: str, since: dt.datetime | None) -> Iterator[Receivable]:
        self.reads += 1
        yield Receivable(DEBTOR, invoice("100.00"), Money(Decimal("60.00"), "EUR"))


def test_one_read_serves_the_four_streams_and_a_second_round_reads_again() -> None:
    backend = Counting()
    for _ in range(2):
        assert [d.id for d in backend.iter_debtors(tenant="default")] == ["C1"]
        assert [i.source for i in backend.iter_invoices(tenant="default")] == ["counting"]
        assert [p.amount for p in backend.iter_payments(tenant="default")] == [Money("40.00", "EUR")]
        assert list(backend.iter_credit_notes(tenant="default")) == []
    assert backend.reads == 2
    # listed even though the subclass did not convert through convert(): never closed by mistake
    assert backend.listed_invoice_ids(tenant="default") == frozenset({"F1"})


def test_supports_needs_both_the_declaration_and_the_methods() -> None:
    class Declares(Counting):
        capabilities = frozenset({Capability.PAYMENT_LINK, Capability.SUSPEND_SERVICE})

        def payment_link(self, *, tenant: str, debtor_id: str, invoice_ids: object) -> str | None:
            return "https://pay.example/1"

        def suspend_service(self, *, tenant: str, debtor_id: str, key: str) -> str:
            return "paused"

    backend = Declares()
    assert supports(backend, Capability.PAYMENT_LINK)
    assert not supports(backend, Capability.SUSPEND_SERVICE)  # restore_service is missing
    assert not supports(backend, Capability.POST_CHARGE)
    assert not supports(Counting(), Capability.PAYMENT_LINK)
