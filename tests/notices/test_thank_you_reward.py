"""The thank-you mentions a reward granted for paying early (``extra.reward``), in one
courteous sentence with the code, what it gives and until when; nothing without it."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import attrs
import pytest

from cobrokit.errors import RenderError
from cobrokit.money import Money
from cobrokit.notice import Notice
from cobrokit.rendering import BUILTIN_KINDS, NoticeRenderer
from tests.notices.sample import make_notice

NBSP = "\xa0"
RENDERER = NoticeRenderer()
PERCENT = {"code": "PRONTO5", "description": "5 % off", "percent": Decimal("5"), "amount": None}
AMOUNT = {"code": "GRACIAS50", "description": "50 off", "percent": None, "amount": Money("50.00", "EUR")}
UNTIL = dt.date(2026, 12, 31)


def thank_you(locale: str, reward: dict[str, Any] | None) -> Notice:
    notice = make_notice(stage="thank_you", locale=locale)
    return attrs.evolve(notice, extra={"reward": {**reward, "valid_until": UNTIL}} if reward else {})


SENTENCE = {
    "en_GB": (
        "As a thank-you for paying early, you get 5% off your next order with code PRONTO5, "
        "valid until 31 December 2026.",
        "you get €50.00 off your next order with code GRACIAS50",
    ),
    "es_ES": (
        f"Como agradecimiento por su pronto pago, nos complace ofrecerle un descuento del 5{NBSP}% en su próximo "
        "pedido con el código PRONTO5, válido hasta el 31 de diciembre de 2026.",
        f"un descuento de 50,00{NBSP}€ en su próximo pedido con el código GRACIAS50",
    ),
    "es_MX": (
        "Como agradecimiento por su pago anticipado, nos complace ofrecerle un descuento del 5% en su próxima "
        "compra con el código PRONTO5, válido hasta el 31 de diciembre de 2026.",
        f"un descuento de EUR{NBSP}50.00 en su próxima compra con el código GRACIAS50",
    ),
}


@pytest.mark.parametrize(("locale", "kind"), list(itertools.product(SENTENCE, BUILTIN_KINDS)))
def test_the_reward_is_one_sentence_with_code_value_and_date(locale: str, kind: str) -> None:
    percent, amount = SENTENCE[locale]
    assert percent in RENDERER.render(thank_you(locale, PERCENT), kind).text.replace("\n", " ")
    assert amount in RENDERER.render(thank_you(locale, AMOUNT), kind).text.replace("\n", " ")


@pytest.mark.parametrize(("locale", "kind"), list(itertools.product(SENTENCE, BUILTIN_KINDS)))
def test_without_a_reward_nothing_is_said(locale: str, kind: str) -> None:
    text = RENDERER.render(thank_you(locale, None), kind).text
    for word in ("code", "código", "PRONTO5", "discount", "descuento"):
        assert word not in text, word


def test_the_reward_date_may_be_an_iso_string_and_a_bad_reward_is_a_render_error() -> None:
    notice = thank_you("en_GB", PERCENT)
    as_text = attrs.evolve(notice, extra={"reward": {**PERCENT, "valid_until": "2026-12-31"}})
    assert "valid until 31 December 2026" in RENDERER.render(as_text, "sms").text
    for bad, field in (
        ({**PERCENT, "code": ""}, "extra.reward.code"),
        ({**PERCENT, "percent": 5.0}, "extra.reward.percent"),  # a float is never money or a rate
        ({**PERCENT, "percent": Decimal("150")}, "extra.reward.percent"),
        ({**AMOUNT, "amount": "50.00"}, "extra.reward.amount"),
        ({**PERCENT, "valid_until": "31/12/2026"}, "extra.reward.valid_until"),
    ):
        with pytest.raises(RenderError, match=field.replace(".", r"\.")):
            RENDERER.render(attrs.evolve(notice, extra={"reward": bad}), "email")
