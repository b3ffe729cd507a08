"""Dunning fees: fixed or percentage with cap/minimum; once per stage and cycle."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cobrokit.errors import CurrencyMismatchError, InvalidAmountError, ValidationError
from cobrokit.interest import DunningFee, FeeKind, charge_fee, fee_amount, fee_key
from cobrokit.money import Money


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def test_fixed_fee() -> None:
    assert fee_amount(DunningFee.fixed("formal", eur("15")), eur("1234.56")) == eur("15.00")


def test_percentage_fee_with_cap_and_minimum() -> None:
    fee = DunningFee.percentage("formal", Decimal("2.5"), cap=eur("50"), minimum=eur("5"))
    # 1234.56 × 2.5 % = 30.864 → 30.86
    assert fee_amount(fee, eur("1234.56")) == eur("30.86")
    # 10000 × 2.5 % = 250 → capped at 50
    assert fee_amount(fee, eur("10000")) == eur("50")
    # 100 × 2.5 % = 2.50 → raised to the minimum 5
    assert fee_amount(fee, eur("100")) == eur("5")
    # half-up: 0.1 × 2.5 % = 0.0025 → 0.00 ; 0.2 × 2.5 % = 0.005 → 0.01
    bare = DunningFee.percentage("formal", Decimal("2.5"))
    assert fee_amount(bare, eur("0.2")) == eur("0.01")


def test_fee_validation() -> None:
    with pytest.raises(ValidationError):
        DunningFee("formal", FeeKind.FIXED)  # fixed without an amount
    with pytest.raises(InvalidAmountError):
        DunningFee.percentage("formal", Decimal("-1"))
    with pytest.raises(ValidationError, match="above the cap"):
        DunningFee.percentage("formal", Decimal("1"), cap=eur("5"), minimum=eur("10"))
    with pytest.raises(CurrencyMismatchError):
        fee_amount(DunningFee.fixed("formal", eur("15")), Money("100", "GBP"))


def test_charged_at_most_once_per_stage_and_cycle() -> None:
    fee = DunningFee.fixed("formal", eur("15"))
    charged: set[str] = set()
    first = charge_fee(fee, eur("100"), cycle=1, already_charged=charged, tenant="t", debtor="D1")
    assert first is not None and first.amount == eur("15")
    charged.add(first.key)
    assert charge_fee(fee, eur("100"), cycle=1, already_charged=charged, tenant="t", debtor="D1") is None
    again = charge_fee(fee, eur("100"), cycle=2, already_charged=charged, tenant="t", debtor="D1")
    assert again is not None and again.key != first.key


def test_keys_are_injective() -> None:
    assert fee_key("formal", 1, tenant="t", debtor="a/b") != fee_key("formal", 1, tenant="t/a", debtor="b")
    assert fee_key("formal", 1, tenant="t", debtor="D1") == "fee/t/D1/formal/1"
