"""Allocation within a debt: interest → principal → fees by default (the interest calculator's order), configurable."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cobrokit.allocation import (
    COSTS_FIRST,
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


def test_default_order_covers_interest_then_principal_before_fees() -> None:
    # 100.00: interest 52.30 first, then principal 100.00 − 52.30 = 47.70, nothing left for the fees
    split = allocate_payment(eur("100.00"), DEBT)
    assert split.order == (Component.INTEREST, Component.PRINCIPAL, Component.FEES)
    assert (split.interest, split.principal, split.fees) == (eur("52.30"), eur("47.70"), eur("0.00"))
    # left: principal 1000.00 − 47.70 = 952.30, interest 0.00, fees 40.00 untouched
    assert split.remaining == DebtComponents(eur("952.30"), eur("0.00"), eur("40.00"))
    assert split.explain() == [
        "payment EUR 100.00 applied in order interest → principal → fees",
        "interest: EUR 52.30 owed, EUR 52.30 applied, EUR 0.00 left",
        "principal: EUR 1000.00 owed, EUR 47.70 applied, EUR 952.30 left",
        "fees: EUR 40.00 owed, EUR 0.00 applied, EUR 40.00 left",
    ]
    # the fees only get money once interest and principal are covered:
    # 1060.00 − 52.30 − 1000.00 = 7.70 to the fees, 40.00 − 7.70 = 32.30 of them left
    split = allocate_payment(eur("1060.00"), DEBT)
    assert (split.interest, split.principal, split.fees) == (eur("52.30"), eur("1000.00"), eur("7.70"))
    assert split.remaining == DebtComponents(eur("0.00"), eur("0.00"), eur("32.30"))


def test_costs_first_option_bgb_367() -> None:
    # German BGB §367, costs first: 100.00 → fees 40.00, interest 52.30, principal 100 − 92.30 = 7.70
    split = allocate_payment(eur("100.00"), DEBT, COSTS_FIRST)
    assert split.order == (Component.FEES, Component.INTEREST, Component.PRINCIPAL)
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
    assert parse_order("interest, principal, fees") == DEFAULT_ORDER
    assert parse_order("fees, interest, principal") == COSTS_FIRST
    assert parse_order("principal-first") == PRINCIPAL_FIRST
    assert parse_order("default") == parse_order("Interest-First") == DEFAULT_ORDER
    # "fees first" means fees first: the costs-first order, not the default
    assert parse_order("costs-first") == parse_order("fees-first") == COSTS_FIRST
    assert parse_order(["principal", "interest", "fees"]) == PRINCIPAL_FIRST
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
    # interest-first (as the default): interest 52.30, then 100.00 − 52.30 = 47.70 of principal, fees 0.00
    split = allocate_payment(eur("100.00"), DEBT, regime=spanish)
    assert split.order == DEFAULT_ORDER
    assert (split.interest, split.principal, split.fees) == (eur("52.30"), eur("47.70"), eur("0.00"))
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


# -- the allocation and the interest calculator agree -----------------------------------------


def _calculator_and_allocation(payment: Money) -> tuple[tuple[Money, Money, Money], tuple[Money, Money, Money]]:
    """(interest, principal, compensation) the calculator imputes *payment* to, and
    (interest, principal, fees) ``allocate_payment(…, regime=es-commercial)`` applies it to, for
    F1: EUR 1210.00 due 3 Mar 2025, paid on 3 Apr 2025 (the same owed amounts on both sides)."""
    import datetime as dt

    from cobrokit.interest import get_regime
    from cobrokit.interest.calculator import PartialPayment, compute_interest

    regime = get_regime("es-commercial")
    on = dt.date(2025, 4, 3)
    result = compute_interest(regime, eur("1210.00"), dt.date(2025, 3, 3), on, payments=[PartialPayment(on, payment)])
    (imputed,) = result.payments
    owed = DebtComponents(
        principal=eur("1210.00"),
        interest=imputed.interest_accrued,
        fees=result.compensation + result.compensation_paid,  # the compensation owed on the payment date
    )
    split = allocate_payment(payment, owed, regime=regime)
    return (
        (imputed.to_interest, imputed.to_principal, imputed.to_compensation),
        (split.interest, split.principal, split.fees),
    )


def test_allocation_agrees_with_the_interest_calculator_under_es_commercial() -> None:
    # owed on 3 Apr 2025: interest 4 Mar – 3 Apr = 31 days at 11.15 % (2025-H1), ACT/ACT (2025: /365):
    #   1210.00 × 0.1115 × 31 / 365 = 4182.365 / 365 = 11.4585… → 11.46;
    #   compensation EUR 40.00 (Ley 3/2004 art. 8); principal 1210.00
    # 500.00: interest 11.46, principal 500.00 − 11.46 = 488.54, compensation 0.00
    calculator, allocation = _calculator_and_allocation(eur("500.00"))
    assert calculator == allocation == (eur("11.46"), eur("488.54"), eur("0.00"))
    # the old costs-first order would have split it differently (fees 40.00, interest 11.46,
    # principal 500.00 − 51.46 = 448.54): the agreement is not a coincidence of the amounts
    owed = DebtComponents(principal=eur("1210.00"), interest=eur("11.46"), fees=eur("40.00"))
    old = allocate_payment(eur("500.00"), owed, COSTS_FIRST)
    assert (old.interest, old.principal, old.fees) == (eur("11.46"), eur("448.54"), eur("40.00"))
    # 1230.00 reaches the compensation: 11.46 + 1210.00 = 1221.46 → 1230.00 − 1221.46 = 8.54 of it
    calculator, allocation = _calculator_and_allocation(eur("1230.00"))
    assert calculator == allocation == (eur("11.46"), eur("1210.00"), eur("8.54"))


@settings(deadline=None, max_examples=40)
@given(st.integers(1, 126_146).map(lambda n: Money.from_minor(n, "EUR")))  # up to 1221.46 + 40.00 = 1261.46
def test_allocation_agrees_with_the_calculator_for_any_payment(payment: Money) -> None:
    calculator, allocation = _calculator_and_allocation(payment)
    assert calculator == allocation
