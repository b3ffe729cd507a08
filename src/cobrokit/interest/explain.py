"""Human explanations of an interest result, ready for a letter.

``interest from 16 May to 30 June at 12.50 %: EUR 392.76`` — one line per segment, then
the payments, the compensation and the totals. English (``"en"``) and Spanish
(``"es"``). Years are shown only when the computation spans more than one calendar year.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import datetime as dt

from cobrokit.errors import ValidationError
from cobrokit.interest.calculator import InterestResult, PaymentAllocation, Segment
from cobrokit.interest.rates import format_rate
from cobrokit.money import Money

__all__ = [
    "LANGUAGES",
    "describe_payment",
    "describe_segment",
    "explain",
    "explain_events",
    "explain_totals",
    "long_date",
]

_MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "es": (
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ),
}
LANGUAGES = tuple(_MONTHS)
"""Languages :func:`explain` speaks."""


def _lang(lang: str) -> str:
    if lang not in _MONTHS:
        raise ValidationError("explanation", "lang", f"{lang!r} is not one of {', '.join(LANGUAGES)}")
    return lang


def long_date(day: dt.date, lang: str = "en", with_year: bool = True) -> str:
    """``25 December 2025`` / ``25 de diciembre de 2025`` (without a locale library: for journals and explanations)."""
    month = _MONTHS[lang][day.month - 1]
    if lang == "es":
        text = f"{day.day} de {month}"
        return f"{text} de {day.year}" if with_year else text
    text = f"{day.day} {month}"
    return f"{text} {day.year}" if with_year else text


def _money(value: Money, lang: str) -> str:
    if lang == "es":
        return f"{value.format_amount().replace('.', ',')} {value.currency}"
    return str(value)


def _rate(rate: str, lang: str) -> str:
    return rate.replace(".", ",") if lang == "es" else rate


def describe_segment(segment: Segment, *, lang: str = "en", with_year: bool = False) -> str:
    """``interest from 16 May to 30 June at 12.50 %: EUR 392.76`` (amount rounded)."""
    lang = _lang(lang)
    rate = _rate(format_rate(segment.annual_rate), lang)
    amount = _money(segment.interest.rounded(), lang)
    start, end = long_date(segment.start, lang, with_year), long_date(segment.end, lang, with_year)
    if lang == "es":
        return f"intereses del {start} al {end} al {rate} %: {amount}"
    return f"interest from {start} to {end} at {rate} %: {amount}"


def describe_payment(payment: PaymentAllocation, *, lang: str = "en", with_year: bool = False) -> str:
    """``payment of EUR 5000.00 on 1 March: EUR 102.46 to interest, EUR 4897.54 to principal``."""
    lang = _lang(lang)
    parts = [
        (payment.to_interest, "interest", "intereses"),
        (payment.to_principal, "principal", "principal"),
        (payment.to_compensation, "compensation", "indemnización"),
    ]
    day = long_date(payment.on, lang, with_year)
    if lang == "es":
        shown = ", ".join(f"{_money(m, lang)} a {es}" for m, _, es in parts if not m.is_zero())
        return f"pago de {_money(payment.amount, lang)} el {day}: {shown}"
    shown = ", ".join(f"{m} to {en}" for m, en, _ in parts if not m.is_zero())
    return f"payment of {payment.amount} on {day}: {shown}"


def explain(result: InterestResult, *, lang: str = "en") -> list[str]:
    """Every line of the explanation: :func:`explain_events`, then :func:`explain_totals`."""
    return explain_events(result, lang=lang) + explain_totals(result, lang=lang)


def explain_events(result: InterestResult, *, lang: str = "en") -> list[str]:
    """One line per segment and per payment, in date order."""
    lang = _lang(lang)
    years = {s.start.year for s in result.segments} | {s.end.year for s in result.segments}
    years |= {p.on.year for p in result.payments}
    with_year = len(years) > 1
    # sort key: a segment by its first day; a payment on day D just before the segment
    # that starts on D + 1 (so after the segment that ends on D)
    events: list[tuple[dt.date, int, str]] = [
        (s.start, 0, describe_segment(s, lang=lang, with_year=with_year)) for s in result.segments
    ]
    events += [
        (p.on + dt.timedelta(days=1), -1, describe_payment(p, lang=lang, with_year=with_year)) for p in result.payments
    ]
    events.sort(key=lambda e: (e[0], e[1]))
    return [text for _, _, text in events]


def explain_totals(result: InterestResult, *, lang: str = "en") -> list[str]:
    """Interest accrued and outstanding, principal outstanding, compensation, total due."""
    lang = _lang(lang)
    lines: list[str] = []

    def m(value: Money) -> str:
        return _money(value, lang)

    if lang == "es":
        lines += [
            f"intereses devengados: {m(result.interest)}",
            f"intereses pendientes: {m(result.interest_outstanding)}",
            f"principal pendiente: {m(result.principal_outstanding)}",
        ]
        if not result.compensation.is_zero():
            lines.append(f"indemnización por costes de cobro: {m(result.compensation)}")
        lines.append(f"total adeudado: {m(result.total_due)}")
    else:
        lines += [
            f"interest accrued: {m(result.interest)}",
            f"interest outstanding: {m(result.interest_outstanding)}",
            f"principal outstanding: {m(result.principal_outstanding)}",
        ]
        if not result.compensation.is_zero():
            lines.append(f"fixed recovery compensation: {m(result.compensation)}")
        lines.append(f"total due: {m(result.total_due)}")
    return lines
