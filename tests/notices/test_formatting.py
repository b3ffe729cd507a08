"""Money, dates and percentages in the debtor's locale: the real Babel output."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobrokit.errors import ValidationError
from cobrokit.formatting import (
    Formatter,
    format_amount,
    format_date,
    format_money,
    format_number,
    format_percent,
    locale_chain,
    normalize_locale,
)
from cobrokit.money import Money

NBSP = "\xa0"


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        # Babel groups four-digit amounts in es_ES (it ignores CLDR minimumGroupingDigits).
        ("1234.56", "EUR", "es_ES", f"1.234,56{NBSP}€"),
        ("12345.67", "EUR", "es_ES", f"12.345,67{NBSP}€"),
        ("1234.56", "USD", "en_US", "$1,234.56"),
        ("12345.67", "EUR", "en_US", "€12,345.67"),
        ("1234.56", "MXN", "es_MX", "$1,234.56"),
        # CLDR currency spacing: a no-break space between an alphabetic symbol and the digits
        ("1234.56", "EUR", "es-mx", f"EUR{NBSP}1,234.56"),
        ("197665.66", "USD", "es_MX", f"USD{NBSP}197,665.66"),
        ("1234.56", "USD", "es_CO", "US$1.234,56"),  # "$" is a symbol: no space
        # COP has 2 decimals in ISO 4217 (CLDR's cash digits would print none).
        ("1234", "COP", "es_CO", "$1.234,00"),
        # JPY has none, KWD three.
        ("1234", "JPY", "en_US", "¥1,234"),
        ("1.5", "KWD", "en_US", f"KWD{NBSP}1.500"),
        ("-5.5", "USD", "en_US", "-$5.50"),
    ],
)
def test_format_money_matches_babel(amount: str, currency: str, locale: str, expected: str) -> None:
    assert format_money(Money(amount, currency), locale) == expected


def test_money_is_rounded_half_up_before_babel() -> None:
    # 1.005 → 1.01 half-up; Babel's own (half-even) quantization would print 1,00.
    assert format_money(Money("1.005", "EUR"), "es_ES") == f"1,01{NBSP}€"
    assert format_money(Money("2.345", "USD"), "en_US") == "$2.35"


def test_format_amount_has_no_symbol() -> None:
    assert format_amount(Money("12345.6", "EUR"), "es_ES") == "12.345,60"
    assert format_amount(Money("12345.6", "EUR"), "en") == "12,345.60"


def test_floats_and_non_money_are_refused() -> None:
    with pytest.raises(ValidationError):
        format_money(1.5, "en")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        format_number(1.5, "en")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        format_percent(12.5, "en")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rate", "locale", "expected"),
    [
        (Decimal("12.50"), "es_ES", f"12,50{NBSP}%"),
        (Decimal("10.15"), "en_US", "10.15%"),
        (Decimal("4.0625"), "es_ES", f"4,0625{NBSP}%"),  # a legal rate is never rounded
        (Decimal("8"), "en_GB", "8.00%"),
    ],
)
def test_format_percent(rate: Decimal, locale: str, expected: str) -> None:
    assert format_percent(rate, locale) == expected


@pytest.mark.parametrize(
    ("locale", "style", "expected"),
    [
        ("es_ES", "long", "16 de mayo de 2025"),
        ("es_ES", "medium", "16 may 2025"),
        ("en_US", "long", "May 16, 2025"),
        ("en_GB", "long", "16 May 2025"),
        ("es_MX", "long", "16 de mayo de 2025"),
    ],
)
def test_format_date(locale: str, style: str, expected: str) -> None:
    assert format_date(dt.date(2025, 5, 16), locale, style) == expected  # type: ignore[arg-type]


def test_format_date_refuses_datetimes_and_bad_styles() -> None:
    with pytest.raises(ValidationError):
        format_date(dt.datetime(2025, 5, 16, 10, 0), "en")
    with pytest.raises(ValidationError, match="style"):
        format_date(dt.date(2025, 5, 16), "en", "huge")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("tag", "chain"),
    [
        ("es_MX", ("es_MX", "es_419", "es", "en")),
        ("es-CO", ("es_CO", "es_419", "es", "en")),
        ("es_AR", ("es_AR", "es_419", "es", "en")),
        ("es_ES", ("es_ES", "es", "en")),
        ("en_GB", ("en_GB", "en_001", "en")),
        ("en", ("en",)),
        ("pt_BR", ("pt_BR", "pt", "en")),
    ],
)
def test_locale_chain_follows_cldr_parents(tag: str, chain: tuple[str, ...]) -> None:
    assert locale_chain(tag) == chain


def test_unknown_locale_names_the_tag() -> None:
    with pytest.raises(ValidationError, match="'xx_YY'"):
        normalize_locale("xx_YY")
    with pytest.raises(ValidationError, match="empty"):
        normalize_locale("")


def test_formatter_binds_the_locale() -> None:
    f = Formatter("es-ES")
    assert f.locale == "es_ES"
    assert f.money(Money("1234.56", "EUR")) == f"1.234,56{NBSP}€"
    assert f.date(dt.date(2025, 8, 14)) == "14 de agosto de 2025"
    assert f.number(Decimal("1234.5")) == "1.234,5"
    assert f.number(Decimal("3"), 2) == "3,00"


cents = st.integers(min_value=-(10**12), max_value=10**12)


@given(cents)
def test_es_formatting_round_trips_exactly(units: int) -> None:
    money = Money.from_minor(units, "EUR")
    text = format_money(money, "es_ES")
    parsed = Decimal(text.replace(NBSP + "€", "").replace(".", "").replace(",", "."))
    assert parsed == money.amount


@given(cents)
def test_en_formatting_round_trips_exactly(units: int) -> None:
    money = Money.from_minor(units, "USD")
    text = format_money(money, "en_US")
    parsed = Decimal(text.replace("$", "").replace(",", ""))
    assert parsed == money.amount
