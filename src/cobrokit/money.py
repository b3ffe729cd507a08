"""Exact money: :class:`~decimal.Decimal` amounts tagged with an ISO 4217 currency.

Rules this module enforces:

* amounts are built from ``str``, ``int`` or ``Decimal``; a ``float`` raises
  :class:`~cobrokit.errors.InvalidAmountError` (binary floats cannot hold cents exactly);
* the currency must be an active ISO 4217 code; its minor unit (exponent) comes from
  ISO 4217, not from CLDR's cash digits (COP has 2 decimals, not 0);
* arithmetic between two currencies raises :class:`~cobrokit.errors.CurrencyMismatchError`;
* rounding is never implicit: :meth:`Money.rounded` rounds to the minor unit, half-up by
  default, and intermediate results keep full precision.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import attrs

from cobrokit.errors import CurrencyMismatchError, InvalidAmountError, UnknownCurrencyError

__all__ = ["MINOR_UNITS", "Money", "minor_units", "parse_amount", "quantum", "to_decimal"]

# ISO 4217 active codes and their minor units (List One, 2024 edition). Codes not listed
# here are 2-decimal currencies; see _TWO for the explicit list.
_ZERO = [
    "BIF",
    "CLP",
    "DJF",
    "GNF",
    "ISK",
    "JPY",
    "KMF",
    "KRW",
    "PYG",
    "RWF",
    "UGX",
    "UYI",
    "VND",
    "VUV",
    "XAF",
    "XOF",
    "XPF",
]
_THREE = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]
_FOUR = ["CLF", "UYW"]
_TWO = [
    "AED",
    "AFN",
    "ALL",
    "AMD",
    "ANG",
    "AOA",
    "ARS",
    "AUD",
    "AWG",
    "AZN",
    "BAM",
    "BBD",
    "BDT",
    "BGN",
    "BMD",
    "BND",
    "BOB",
    "BOV",
    "BRL",
    "BSD",
    "BTN",
    "BWP",
    "BYN",
    "BZD",
    "CAD",
    "CDF",
    "CHE",
    "CHF",
    "CHW",
    "CNY",
    "COP",
    "COU",
    "CRC",
    "CUP",
    "CVE",
    "CZK",
    "DKK",
    "DOP",
    "DZD",
    "EGP",
    "ERN",
    "ETB",
    "EUR",
    "FJD",
    "FKP",
    "GBP",
    "GEL",
    "GHS",
    "GIP",
    "GMD",
    "GTQ",
    "GYD",
    "HKD",
    "HNL",
    "HTG",
    "HUF",
    "IDR",
    "ILS",
    "INR",
    "IRR",
    "JMD",
    "KES",
    "KGS",
    "KHR",
    "KMF",
    "KPW",
    "KYD",
    "KZT",
    "LAK",
    "LBP",
    "LKR",
    "LRD",
    "LSL",
    "MAD",
    "MDL",
    "MGA",
    "MKD",
    "MMK",
    "MNT",
    "MOP",
    "MRU",
    "MUR",
    "MVR",
    "MWK",
    "MXN",
    "MXV",
    "MYR",
    "MZN",
    "NAD",
    "NGN",
    "NIO",
    "NOK",
    "NPR",
    "NZD",
    "PAB",
    "PEN",
    "PGK",
    "PHP",
    "PKR",
    "PLN",
    "QAR",
    "RON",
    "RSD",
    "RUB",
    "SAR",
    "SBD",
    "SCR",
    "SDG",
    "SEK",
    "SGD",
    "SHP",
    "SLE",
    "SOS",
    "SRD",
    "SSP",
    "STN",
    "SVC",
    "SYP",
    "SZL",
    "THB",
    "TJS",
    "TMT",
    "TOP",
    "TRY",
    "TTD",
    "TWD",
    "TZS",
    "UAH",
    "USD",
    "USN",
    "UYU",
    "UZS",
    "VED",
    "VES",
    "WST",
    "XCD",
    "XCG",
    "YER",
    "ZAR",
    "ZMW",
    "ZWG",
]

MINOR_UNITS: dict[str, int] = {
    **{c: 2 for c in _TWO},
    **{c: 0 for c in _ZERO},
    **{c: 3 for c in _THREE},
    **{c: 4 for c in _FOUR},
}
"""ISO 4217 currency code → number of decimals of its minor unit."""

_QUANTS: dict[int, Decimal] = {n: Decimal(1).scaleb(-n) for n in range(5)}


def minor_units(currency: str, *, record: str = "money", field: str = "currency") -> int:
    """Return the ISO 4217 minor unit (number of decimals) of *currency*.

    Raises:
        UnknownCurrencyError: if *currency* is not an active ISO 4217 code.
    """
    try:
        return MINOR_UNITS[currency]
    except (KeyError, TypeError):
        raise UnknownCurrencyError(record, field, f"{currency!r} is not an ISO 4217 currency code") from None


def quantum(currency: str) -> Decimal:
    """The smallest unit of *currency* as a Decimal exponent (``Decimal("0.01")`` for EUR)."""
    return _QUANTS[minor_units(currency)]


def to_decimal(value: object, *, record: str = "money", field: str = "amount") -> Decimal:
    """Convert *value* to a finite ``Decimal``; floats and garbage raise.

    Accepts ``Decimal``, ``int`` (not ``bool``) and ``str`` (``"1234.56"``, no thousands
    separators, ``.`` as the decimal point).
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise InvalidAmountError(record, field, "a boolean is not an amount")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise InvalidAmountError(record, field, "is empty")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise InvalidAmountError(
                record, field, f"{value!r} is not a decimal number (use '.' as the decimal point)"
            ) from None
    elif isinstance(value, float):
        raise InvalidAmountError(record, field, f"float {value!r} refused: build money from a string or Decimal")
    else:
        raise InvalidAmountError(record, field, f"{type(value).__name__} is not an amount")
    if not result.is_finite():
        raise InvalidAmountError(record, field, f"{value!r} is not a finite number")
    return result


def parse_amount(value: object, currency: str, *, record: str = "money", field: str = "amount") -> Decimal:
    """Parse an amount that must fit the currency's minor unit exactly (``12.345 EUR`` fails)."""
    amount = to_decimal(value, record=record, field=field)
    digits = minor_units(currency, record=record)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -digits and amount != amount.quantize(_QUANTS[digits]):
        raise InvalidAmountError(record, field, f"{value} has more decimals than {currency} allows ({digits})")
    return amount


def _amount_converter(value: object) -> Decimal:
    return to_decimal(value)


def _check_currency(_instance: object, _attribute: object, value: str) -> None:
    minor_units(value)


@attrs.frozen(slots=True, repr=False)
class Money:
    """An exact amount of one currency.

    >>> Money("10.50", "EUR") + Money("0.25", "EUR")
    Money('10.75', 'EUR')
    >>> Money("1", "EUR") + Money("1", "USD")
    Traceback (most recent call last):
    ...
    cobrokit.errors.CurrencyMismatchError: money: currency: cannot combine EUR and USD

    Equality compares amount and currency (``Money("1.0","EUR") == Money("1","EUR")``).
    """

    amount: Decimal = attrs.field(converter=_amount_converter)
    currency: str = attrs.field(validator=_check_currency)

    # -- construction -------------------------------------------------------------------
    @classmethod
    def zero(cls, currency: str) -> Money:
        """Zero in *currency*."""
        return cls(Decimal(0), currency)

    @classmethod
    def from_minor(cls, units: int, currency: str) -> Money:
        """Build from an integer count of minor units (``1234, "EUR"`` → ``12.34 EUR``)."""
        if isinstance(units, bool) or not isinstance(units, int):
            raise InvalidAmountError("money", "amount", f"{units!r} is not an integer of minor units")
        return cls(Decimal(units).scaleb(-minor_units(currency)), currency)

    # -- properties ---------------------------------------------------------------------
    @property
    def decimals(self) -> int:
        """The currency's ISO 4217 minor unit."""
        return MINOR_UNITS[self.currency]

    def to_minor(self) -> int:
        """The amount in minor units; the amount must already fit the minor unit."""
        q = self.amount.scaleb(self.decimals)
        if q != q.to_integral_value():
            raise InvalidAmountError(
                "money",
                "amount",
                f"{self.amount} {self.currency} is not a whole number of minor units; round first",
            )
        return int(q)

    def rounded(self, rounding: str = ROUND_HALF_UP) -> Money:
        """Round to the currency's minor unit (half-up unless told otherwise)."""
        return Money(self.amount.quantize(_QUANTS[self.decimals], rounding=rounding), self.currency)

    def is_zero(self) -> bool:
        """True when the amount is zero."""
        return self.amount == 0

    # -- arithmetic ---------------------------------------------------------------------
    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatchError("money", "currency", f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: object) -> Money:
        if isinstance(factor, Money):
            raise TypeError("cannot multiply money by money")
        if isinstance(factor, float):
            raise InvalidAmountError("money", "factor", "float factor refused: use Decimal")
        if isinstance(factor, bool) or not isinstance(factor, (int, Decimal)):
            return NotImplemented
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def _cmp(self, other: object) -> Decimal:
        if not isinstance(other, Money):
            raise TypeError(f"cannot compare Money with {type(other).__name__}")
        self._same(other)
        return self.amount - other.amount

    def __lt__(self, other: object) -> bool:
        return self._cmp(other) < 0

    def __le__(self, other: object) -> bool:
        return self._cmp(other) <= 0

    def __gt__(self, other: object) -> bool:
        return self._cmp(other) > 0

    def __ge__(self, other: object) -> bool:
        return self._cmp(other) >= 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.currency == other.currency and self.amount == other.amount

    def __hash__(self) -> int:
        return hash((self.amount, self.currency))

    # -- text ---------------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"Money({str(self.amount)!r}, {self.currency!r})"

    def __str__(self) -> str:
        """``"EUR 1234.56"``: the code and the amount rounded to the minor unit."""
        return f"{self.currency} {self.format_amount()}"

    def format_amount(self) -> str:
        """The amount as a plain string with exactly the currency's decimals (``"1234.50"``)."""
        return str(self.amount.quantize(_QUANTS[self.decimals], rounding=ROUND_HALF_UP))

    @staticmethod
    def total(items: Iterable[Money], currency: str) -> Money:
        """Sum *items*, all in *currency*; an empty iterable gives zero."""
        result = Money.zero(currency)
        for item in items:
            result = result + item
        return result

    def __json__(self) -> dict[str, Any]:
        return {"amount": self.format_amount(), "currency": self.currency}
