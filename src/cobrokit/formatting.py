"""Money, dates, numbers and percentages in the debtor's locale, with Babel.

Rules:

* money is formatted from :class:`~cobrokit.money.Money` only (never a float); the number
  of decimals comes from ISO 4217 (:attr:`Money.decimals`), not from CLDR: Babel's
  default would print ``1.234 COP`` (CLDR cash digits) where ISO 4217 says COP has two
  decimals, so cobrokit overrides the pattern's fraction digits with the ISO minor unit;
* amounts are rounded **half-up** to the minor unit before Babel sees them (Babel's own
  quantization would round half-even);
* locales are BCP 47 or POSIX-ish tags (``es-MX``, ``es_MX``, ``en``); an unknown tag is a
  :class:`~cobrokit.errors.ValidationError` naming the tag.

What Babel (2.12 … 2.19, CLDR 42+) actually prints, and what the tests assert:

===========  ======================  ==================
locale       ``Money("1234.56", …)``  ``Money("12345.67", "EUR")``
===========  ======================  ==================
``es_ES``    ``1.234,56 €`` (EUR)     ``12.345,67 €``
``en_US``    ``$1,234.56`` (USD)      ``€12,345.67``
``es_MX``    ``$1,234.56`` (MXN)      ``EUR 12,345.67``
``es_MX``    ``USD 1,234.56`` (USD)
``es_CO``    ``US$1.234,56`` (USD)
===========  ======================  ==================

Babel leaves out CLDR's currency spacing (``USD1,234.56``); cobrokit applies it (a
no-break space between an alphabetic symbol and the digits), see :func:`format_money`.

Babel does **not** apply CLDR's ``minimumGroupingDigits`` (2 for Spanish), so a
four-digit amount in ``es_ES`` is grouped: ``1.234,56 €`` — not the RAE-preferred
``1234,56 €``. The space before ``€`` is a no-break space (U+00A0). The date style
``long`` gives ``16 de mayo de 2025`` (es) and ``May 16, 2025`` (en_US).
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from typing import Literal, cast

import babel
import babel.dates
import babel.numbers
from babel.core import get_global

from cobrokit.errors import ValidationError
from cobrokit.money import Money

__all__ = [
    "DateStyle",
    "Formatter",
    "babel_locale",
    "city_line",
    "format_amount",
    "format_date",
    "format_money",
    "format_number",
    "format_percent",
    "locale_chain",
    "normalize_locale",
]

DateStyle = Literal["short", "medium", "long", "full"]
"""Babel/CLDR date styles: ``short`` (16/5/25), ``medium`` (16 may 2025), ``long``
(16 de mayo de 2025), ``full`` (viernes, 16 de mayo de 2025)."""


def normalize_locale(tag: str) -> str:
    """Return the canonical Babel name of *tag* (``"es-mx"`` → ``"es_MX"``).

    Raises:
        ValidationError: *tag* is empty or not a locale Babel knows.
    """
    return str(babel_locale(tag))


@functools.lru_cache(maxsize=256)
def babel_locale(tag: str) -> babel.Locale:
    """The :class:`babel.Locale` for *tag* (``-`` or ``_`` separated), cached.

    Raises:
        ValidationError: record ``locale``, field ``locale``, when Babel does not know *tag*.
    """
    text = (tag or "").strip().replace("-", "_")
    if not text:
        raise ValidationError("locale", "locale", "is empty")
    try:
        return babel.Locale.parse(text)
    except (ValueError, babel.UnknownLocaleError):
        raise ValidationError("locale", "locale", f"{tag!r} is not a known locale") from None


def locale_chain(tag: str, *, default: str = "en") -> tuple[str, ...]:
    """The locales to try, most specific first, for a debtor whose locale is *tag*.

    Follows CLDR's parent chain, so Latin-American Spanish falls back to ``es_419``:
    ``es_MX`` → ``("es_MX", "es_419", "es", "en")``; ``es_ES`` → ``("es_ES", "es", "en")``;
    ``en_GB`` → ``("en_GB", "en_001", "en")``. *default* closes the chain.
    """
    name = normalize_locale(tag)
    parents: Mapping[str, str] = get_global("parent_exceptions")
    chain = [name]
    current = name
    while True:
        if current in parents:
            current = parents[current]
        elif "_" in current:
            current = current.rsplit("_", 1)[0]
        else:
            break
        if current == "root":
            break
        if current not in chain:
            chain.append(current)
    if default not in chain:
        chain.append(default)
    return tuple(chain)


_CURRENCY_SPACE = "\xa0"
"""CLDR's ``currencySpacing`` ``insertBetween`` (root, used by every shipped locale)."""


def _symbol_needs_space(char: str) -> bool:
    """CLDR ``currencyMatch`` ``[[:^S:]&[:^Z:]]``: a letter or digit next to the number."""
    return not unicodedata.category(char).startswith(("S", "Z"))


def _spaced(affix: str, symbol: str, *, before_number: bool) -> str:
    """*affix* with CLDR's currency spacing where its ``¤`` touches the number.

    ``before_number``: the affix is a prefix (``¤#,##0.00``): the symbol's last character
    meets the number's first digit. Otherwise a suffix (``#,##0.00¤``): the symbol's first
    character meets the last digit.
    """
    if not symbol:
        return affix
    if before_number and affix.endswith("¤") and _symbol_needs_space(symbol[-1]):
        return affix + _CURRENCY_SPACE
    if not before_number and affix.startswith("¤") and _symbol_needs_space(symbol[0]):
        return _CURRENCY_SPACE + affix
    return affix


@functools.lru_cache(maxsize=512)
def _currency_pattern(locale_name: str, decimals: int, currency: str) -> babel.numbers.NumberPattern:
    """The locale's standard currency pattern for *currency* with exactly *decimals* fraction digits.

    Babel does not apply CLDR's ``currencySpacing`` rule (UTS #35, Numbers, "Currencies"):
    when the currency symbol next to the number ends (or starts) with a letter — an ISO
    code such as ``USD`` in ``es_MX``, where the symbol is not ``$`` — a no-break space
    separates it from the digits: ``USD 1,234.56``, while ``$1,234.56`` and ``US$1.234,50``
    (a symbol character touches the number) stay as they are. The rule is applied here
    to the pattern's affixes, with the symbol Babel uses for the locale.
    """
    pattern = copy.copy(babel_locale(locale_name).currency_formats["standard"])
    pattern.frac_prec = (decimals, decimals)
    symbol = babel.numbers.get_currency_symbol(currency, locale_name)
    pattern.prefix = tuple(_spaced(p, symbol, before_number=True) for p in pattern.prefix)
    pattern.suffix = tuple(_spaced(p, symbol, before_number=False) for p in pattern.suffix)
    return cast(babel.numbers.NumberPattern, pattern)


@functools.lru_cache(maxsize=512)
def _decimal_pattern(locale_name: str, decimals: int) -> babel.numbers.NumberPattern:
    pattern = copy.copy(babel_locale(locale_name).decimal_formats[None])
    pattern.frac_prec = (decimals, decimals)
    return cast(babel.numbers.NumberPattern, pattern)


def format_money(money: Money, locale: str) -> str:
    """*money* with its currency symbol in *locale*: ``1.234,56 €`` (es_ES), ``$1,234.56`` (en_US).

    The amount is rounded half-up to the currency's ISO 4217 minor unit first.
    """
    if not isinstance(money, Money):
        raise ValidationError("money", "amount", f"{money!r} is not Money")
    loc = normalize_locale(locale)
    rounded = money.rounded()
    pattern = _currency_pattern(loc, money.decimals, money.currency)
    return babel.numbers.format_currency(
        rounded.amount, money.currency, format=pattern, locale=loc, currency_digits=False
    )


def format_amount(money: Money, locale: str) -> str:
    """The amount of *money* without a symbol, with the ISO 4217 decimals: ``1.234,56`` (es)."""
    if not isinstance(money, Money):
        raise ValidationError("money", "amount", f"{money!r} is not Money")
    loc = normalize_locale(locale)
    pattern = _decimal_pattern(loc, money.decimals)
    return str(pattern.apply(money.rounded().amount, babel_locale(loc)))


def format_number(value: Decimal | int, locale: str, *, decimals: int | None = None) -> str:
    """A plain number in *locale* (``12,5`` in es). ``decimals`` fixes the fraction digits.

    Floats are refused: build numbers from strings or Decimals.
    """
    if isinstance(value, (float, bool)) or not isinstance(value, (int, Decimal)):
        raise ValidationError("number", "value", f"{value!r} is not an int or Decimal")
    loc = normalize_locale(locale)
    if decimals is None:
        return babel.numbers.format_decimal(value, locale=loc, decimal_quantization=False)
    return str(_decimal_pattern(loc, decimals).apply(Decimal(value), babel_locale(loc)))


def format_percent(percent: Decimal | int, locale: str, *, min_decimals: int = 2) -> str:
    """A rate given **in percent** (``Decimal("12.50")``) as ``12,50 %`` (es) / ``12.50%`` (en).

    At least *min_decimals* fraction digits are shown, more when the rate has them
    (``4.0625`` stays ``4,0625 %``): a legal rate is never rounded for display.
    """
    if isinstance(percent, (float, bool)) or not isinstance(percent, (int, Decimal)):
        raise ValidationError("percent", "value", f"{percent!r} is not an int or Decimal")
    loc = normalize_locale(locale)
    pattern = copy.copy(babel_locale(loc).percent_formats[None])
    pattern.frac_prec = (min_decimals, min_decimals)
    fraction = Decimal(percent) / Decimal(100)
    return str(pattern.apply(fraction, babel_locale(loc), decimal_quantization=False))


def format_date(day: dt.date, locale: str, style: DateStyle = "long") -> str:
    """*day* in *locale* and CLDR *style*: ``16 de mayo de 2025`` (es, long)."""
    if isinstance(day, dt.datetime) or not isinstance(day, dt.date):
        raise ValidationError("date", "value", f"{day!r} is not a date")
    if style not in ("short", "medium", "long", "full"):
        raise ValidationError("date", "style", f"{style!r} is not one of short, medium, long, full")
    return babel.dates.format_date(day, format=style, locale=normalize_locale(locale))


class Formatter:
    """The formatting functions bound to one locale (what templates get as filters).

    >>> f = Formatter("es_ES")
    >>> f.money(Money("1234.56", "EUR"))
    '1.234,56\\xa0€'
    """

    __slots__ = ("locale",)

    def __init__(self, locale: str) -> None:
        self.locale = normalize_locale(locale)

    def money(self, money: Money) -> str:
        """See :func:`format_money`."""
        return format_money(money, self.locale)

    def amount(self, money: Money) -> str:
        """See :func:`format_amount`."""
        return format_amount(money, self.locale)

    def number(self, value: Decimal | int, decimals: int | None = None) -> str:
        """See :func:`format_number`."""
        return format_number(value, self.locale, decimals=decimals)

    def percent(self, percent: Decimal | int, min_decimals: int = 2) -> str:
        """See :func:`format_percent`."""
        return format_percent(percent, self.locale, min_decimals=min_decimals)

    def date(self, day: dt.date, style: DateStyle = "long") -> str:
        """See :func:`format_date`."""
        return format_date(day, self.locale, style)


_CITY_STATE_POSTCODE = {"US": ", ", "CA": ", ", "AU": " "}
"""Countries whose postal line is ``City, ST 12345`` (US, Canada; Australia without the comma):
the value is what separates the city from the state."""


def city_line(city: str, postal_code: str, region: str = "", country: str = "") -> str:
    """The city line of a postal address, in the convention of *country*.

    US, Canada and Australia print the state or province: ``Austin, TX 73301``
    (a region given as an ISO 3166-2 code, ``US-TX``, prints as ``TX``). Elsewhere the
    postal code comes first and the region, a subdivision code used for regional holidays,
    is not printed: ``28014 Madrid``.
    """
    code = country.strip().upper()
    state = region.strip().upper().rsplit("-", 1)[-1] if region.strip() else ""
    if code in _CITY_STATE_POSTCODE:
        if city and state:
            return f"{city}{_CITY_STATE_POSTCODE[code]}" + " ".join(p for p in (state, postal_code) if p)
        return " ".join(p for p in (city, postal_code) if p)
    return " ".join(p for p in (postal_code, city) if p)
