"""Allocation within a debt: fees → interest → principal by default, configurable."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobrokit.allocation import (
    DEFAULT_ORDER,
    PRINCIPAL_FIRST,
    Component,
    DebtComponents,
    allocate_payment,
    parse_order,
)
from cobrokit.errors import CurrencyMismatchError, InvalidAmountError, ValidationError
from cobrokit.money import Money


def eur(text: str) -> Money:
    return Money(text, "EUR")


DEBT = DebtComponents(principal=eur("1000.00"), interest=eur("52.30"), fees=eur("40.00"))


def test_default_order_covers_fees_then_interest_before_principal() -> None:
    # 100.00: fees 40.00, interest 52.30, principal 100 − 92.30 = 7.70
    split = allocate_payment(eur("100.00"), DEBT)
    assert (split.fees, split.interest, split.principal) == (eur("40.00"), eur("52.30"), eur("7.70"))
    assert split.remaining == DebtComponents(eur("992.30"), eur("0.00"), eur("0.00"))
    assert split.explain()[1] == "fees: EUR 40.00 owed, EUR 40.00 applied, EUR 0.00 left"


def test_principal_first_option() -> None:
    split = allocate_payment(eur("1010.00"), DEBT, PRINCIPAL_FIRST)
    # principal 1000.00 first, then 10.00 of interest, nothing for fees
    assert (split.principal, split.interest, split.fees) == (eur("1000.00"), eur("10.00"), eur("0.00"))


def test_overpayment_is_left_unapplied_and_explained() -> None:
    split = allocate_payment(eur("1100.00"), DEBT)
    # total debt 1092.30 → 7.70 over
    assert split.unapplied == eur("7.70")
    assert split.explain()[-1] == "unapplied (overpayment): EUR 7.70"


def test_parse_order() -> None:
    assert parse_order("fees, interest, principal") == DEFAULT_ORDER
    assert parse_order("principal-first") == PRINCIPAL_FIRST
    assert parse_order(["interest", "fees", "principal"])[0] is Component.INTEREST
    for bad in ("fees,interest", "fees,fees,principal", "fees,interest,capital"):
        with pytest.raises(ValidationError) as err:
            parse_order(bad)
        assert err.value.field == "order"


def test_bad_payments_are_refused() -> None:
    with pytest.raises(CurrencyMismatchError):
        allocate_payment(Money("1", "USD"), DEBT)
    with pytest.raises(InvalidAmountError):
        allocate_payment(eur("-1"), DEBT)
    with pytest.raises(InvalidAmountError):
        allocate_payment(eur("0.001"), DEBT)


cents = st.integers(0, 10**8).map(lambda n: Money.from_minor(n, "EUR"))
orders = st.permutations(list(Component)).map(tuple)


@given(cents, cents, cents, cents, orders)
def test_allocation_never_creates_or_loses_money(
    payment: Money, principal: Money, interest: Money, fees: Money, order: tuple[Component, ...]
) -> None:
    owed = DebtComponents(principal=principal, interest=interest, fees=fees)
    split = allocate_payment(payment, owed, order)
    assert split.fees + split.interest + split.principal + split.unapplied == payment
    for step in split.steps:
        assert Money.zero("EUR") <= step.applied <= step.owed
    # a component only gets money once every component before it is fully covered
    for earlier, later in zip(split.steps, split.steps[1:], strict=False):
        if not later.applied.is_zero():
            assert earlier.remaining.is_zero()
    if not split.unapplied.is_zero():
        assert split.remaining.total.is_zero()


# -- the regime decides the order -----------------------------------------------------------


def test_each_imputation_has_a_documented_order() -> None:
    from cobrokit.allocation import IMPUTATION_ORDERS, order_for_imputation
    from cobrokit.interest.regimes import Imputation

    assert set(IMPUTATION_ORDERS) == set(Imputation)  # a new imputation must get an order
    assert order_for_imputation(Imputation.INTEREST_FIRST) == DEFAULT_ORDER
    assert order_for_imputation("principal-first") == PRINCIPAL_FIRST
    with pytest.raises(ValidationError) as err:
        order_for_imputation("costs-last")
    assert err.value.field == "imputation"


def test_allocation_follows_the_regimes_imputation() -> None:
    from cobrokit.interest import get_regime
    from cobrokit.interest.regimes import Imputation, contractual_regime

    spanish = get_regime("es-commercial")
    assert spanish.imputation is Imputation.INTEREST_FIRST
    # interest-first: fees 40.00, interest 52.30, then 7.70 of principal (as the default)
    split = allocate_payment(eur("100.00"), DEBT, regime=spanish)
    assert (split.fees, split.interest, split.principal) == (eur("40.00"), eur("52.30"), eur("7.70"))
    # a contract that imputes to principal first: all 100.00 to principal
    contract = contractual_regime(imputation=Imputation.PRINCIPAL_FIRST)
    split = allocate_payment(eur("100.00"), DEBT, regime=contract)
    assert split.order == PRINCIPAL_FIRST
    assert (split.fees, split.interest, split.principal) == (eur("0.00"), eur("0.00"), eur("100.00"))
    with pytest.raises(ValidationError):
        allocate_payment(eur("100.00"), DEBT, DEFAULT_ORDER, regime=contract)


def test_format_order_reads_back() -> None:
    from cobrokit.allocation import format_order

    assert format_order(PRINCIPAL_FIRST) == "principal,interest,fees"
    assert parse_order(format_order(PRINCIPAL_FIRST)) == PRINCIPAL_FIRST
