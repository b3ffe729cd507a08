import datetime as dt

import pytest

from cobrokit.errors import (
    CurrencyMismatchError,
    DateOrderError,
    InvalidAmountError,
    MalformedDateError,
    ValidationError,
)
from cobrokit.model import Allocation, CreditNote, Debtor, Invoice, Payment, PaymentMethod, check_references
from cobrokit.money import Money
from tests.factories import make_invoice


def test_due_date_before_issue_date_names_record_and_field() -> None:
    with pytest.raises(DateOrderError) as err:
        make_invoice("INV-7", issue="2026-03-01", due="2026-02-01")
    assert err.value.record == "invoice INV-7"
    assert err.value.field == "due_date"
    assert str(err.value).startswith("invoice INV-7: due_date:")


@pytest.mark.parametrize("amount", ["0", "-5.00"])
def test_zero_or_negative_invoice_amount(amount: str) -> None:
    with pytest.raises(InvalidAmountError) as err:
        make_invoice("INV-8", amount=amount)
    assert (err.value.record, err.value.field) == ("invoice INV-8", "amount")


def test_amount_finer_than_minor_unit_is_refused() -> None:
    with pytest.raises(InvalidAmountError, match="more decimals than EUR"):
        make_invoice(amount="10.001")


def test_malformed_date_is_refused() -> None:
    with pytest.raises(MalformedDateError) as err:
        Invoice(
            id="I",
            debtor_id="D",
            issue_date="2026-01-01",
            due_date=dt.date(2026, 2, 1),  # type: ignore[arg-type]
            amount=Money("1", "EUR"),
        )
    assert err.value.field == "issue_date"


def test_empty_id_is_refused() -> None:
    with pytest.raises(ValidationError, match="debtor: id: must not be empty"):
        Debtor(id=" ", name="x")


def test_payment_allocation_currency_mismatch() -> None:
    with pytest.raises(CurrencyMismatchError) as err:
        Payment(
            id="P1",
            debtor_id="D1",
            date=dt.date(2026, 1, 1),
            amount=Money("10", "EUR"),
            allocations=(Allocation("INV-1", Money("10", "USD")),),
        )
    assert err.value.record == "payment P1"


def test_allocations_cannot_exceed_the_payment() -> None:
    with pytest.raises(InvalidAmountError, match="exceeds the payment"):
        Payment(
            id="P1",
            debtor_id="D1",
            date=dt.date(2026, 1, 1),
            amount=Money("10", "EUR"),
            allocations=(Allocation("A", Money("6", "EUR")), Allocation("B", Money("5", "EUR"))),
        )


def test_on_account_part_of_a_payment() -> None:
    p = Payment(
        id="P1",
        debtor_id="D1",
        date=dt.date(2026, 1, 1),
        amount=Money("10", "EUR"),
        allocations=(Allocation("A", Money("6", "EUR")),),
    )
    assert p.on_account == Money("4", "EUR")


def test_in_kind_payment_needs_a_description() -> None:
    with pytest.raises(ValidationError, match="describe what was given"):
        Payment(
            id="P2",
            debtor_id="D1",
            date=dt.date(2026, 1, 1),
            amount=Money("300", "EUR"),
            method=PaymentMethod.IN_KIND,
        )
    p = Payment(
        id="P2",
        debtor_id="D1",
        date=dt.date(2026, 1, 1),
        amount=Money("300", "EUR"),
        method="in_kind",
        description="website maintenance, March",
    )  # type: ignore[arg-type]
    assert p.method is PaymentMethod.IN_KIND


def test_payment_for_unknown_invoice() -> None:
    p = Payment(
        id="P3",
        debtor_id="D1",
        date=dt.date(2026, 1, 1),
        amount=Money("10", "EUR"),
        allocations=(Allocation("NOPE", Money("10", "EUR")),),
    )
    from cobrokit.errors import UnknownReferenceError

    with pytest.raises(UnknownReferenceError, match="unknown invoice 'NOPE'"):
        check_references({}, p)


def test_records_are_frozen_and_carry_a_tenant() -> None:
    inv = make_invoice()
    assert inv.tenant == "default"
    with pytest.raises(AttributeError):
        inv.amount = Money("1", "EUR")  # type: ignore[misc]
    note = CreditNote(id="C1", debtor_id="D1", date=dt.date(2026, 1, 5), amount=Money("5", "EUR"), tenant="acme")
    assert note.tenant == "acme"
