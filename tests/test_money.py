from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobrokit.errors import CurrencyMismatchError, InvalidAmountError, UnknownCurrencyError
from cobrokit.money import MINOR_UNITS, Money, minor_units, parse_amount

amounts = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=2, allow_nan=False)


def test_float_is_refused_with_a_clear_error() -> None:
    with pytest.raises(InvalidAmountError, match=r"float 0\.1 refused"):
        Money(0.1, "EUR")  # type: ignore[arg-type]
    with pytest.raises(InvalidAmountError):
        Money("1", "EUR") * 1.5  # type: ignore[operator]


def test_strings_ints_and_decimals_are_exact() -> None:
    assert Money("0.1", "EUR") + Money("0.2", "EUR") == Money("0.3", "EUR")
    assert Money(3, "EUR").amount == Decimal(3)


@pytest.mark.parametrize("code", ["EURO", "eur", "XXX1", ""])
def test_unknown_currency(code: str) -> None:
    with pytest.raises(UnknownCurrencyError, match="ISO 4217"):
        Money("1", code)


def test_minor_units_follow_iso_4217_not_cldr_cash_digits() -> None:
    assert minor_units("COP") == 2  # CLDR cash digits say 0; ISO 4217 says 2
    assert minor_units("JPY") == 0
    assert minor_units("KWD") == 3
    assert minor_units("CLF") == 4
    assert Money.from_minor(1234, "KWD") == Money("1.234", "KWD")
    assert Money("12.34", "EUR").to_minor() == 1234


def test_cross_currency_arithmetic_and_comparison_raise() -> None:
    with pytest.raises(CurrencyMismatchError, match="EUR and USD"):
        Money("1", "EUR") + Money("1", "USD")
    with pytest.raises(CurrencyMismatchError):
        Money("1", "EUR") < Money("1", "USD")  # noqa: B015
    assert Money("1", "EUR") != Money("1", "USD")


def test_rounding_is_explicit_and_half_up() -> None:
    m = Money("10.005", "EUR")
    assert m.amount == Decimal("10.005")  # no implicit rounding
    assert m.rounded() == Money("10.01", "EUR")
    assert Money("-10.005", "EUR").rounded() == Money("-10.01", "EUR")
    with pytest.raises(InvalidAmountError, match="round first"):
        m.to_minor()


def test_parse_amount_refuses_more_decimals_than_the_currency() -> None:
    assert parse_amount("12.50", "EUR") == Decimal("12.50")
    assert parse_amount("12.500", "EUR") == Decimal("12.500")  # trailing zero is fine
    with pytest.raises(InvalidAmountError, match="more decimals than JPY"):
        parse_amount("100.5", "JPY")
    with pytest.raises(InvalidAmountError, match="decimal point"):
        parse_amount("1,5", "EUR")


@given(amounts, amounts, amounts)
def test_addition_is_associative_and_exact(a: Decimal, b: Decimal, c: Decimal) -> None:
    x, y, z = Money(a, "EUR"), Money(b, "EUR"), Money(c, "EUR")
    assert (x + y) + z == x + (y + z)
    assert (x + y) - y == x


@given(st.integers(min_value=-(10**12), max_value=10**12), st.sampled_from(sorted(MINOR_UNITS)))
def test_minor_units_round_trip(units: int, currency: str) -> None:
    assert Money.from_minor(units, currency).to_minor() == units


@given(st.lists(amounts, max_size=20))
def test_total_equals_sum_of_amounts(values: list[Decimal]) -> None:
    assert Money.total((Money(v, "USD") for v in values), "USD").amount == sum(values, Decimal(0))
