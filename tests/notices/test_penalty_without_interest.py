"""The penalty warning speaks of interest only when the notice carries some: without an
interest regime (US debtors) it speaks of the overdue balance and what comes next."""

from __future__ import annotations

import re

import attrs
import pytest

from cobrokit.money import Money
from cobrokit.notice import Notice
from cobrokit.rendering import BUILTIN_KINDS, NoticeRenderer, build_context
from tests.notices.sample import make_notice

RENDERER = NoticeRenderer()
INTEREST = re.compile(r"inter[eé]s", re.IGNORECASE)  # interest, interés, intereses


def without_interest(locale: str, currency: str) -> Notice:
    """make_notice()'s penalty warning with no interest regime: principal 13 080.23 + fees
    15.00 = 13 095.23 due; its plan offer's "with charges" figures then carry fees only."""
    notice = make_notice(stage="penalty_warning", locale=locale, currency=currency)
    return attrs.evolve(notice, interest=None)


@pytest.mark.parametrize("kind", BUILTIN_KINDS)
@pytest.mark.parametrize(("locale", "currency"), [("en_US", "USD"), ("es_MX", "USD"), ("es_ES", "EUR")])
def test_no_interest_no_word_of_interest_but_the_consequences(locale: str, currency: str, kind: str) -> None:
    notice = without_interest(locale, currency)
    assert build_context(notice)["interest_applies"] is False
    message = RENDERER.render(notice, kind)
    text = "\n".join([message.subject, message.text, message.html])
    assert not INTEREST.search(text), INTEREST.search(text)
    # the balance (13 080.23 + 15.00 fees = 13 095.23) and the next step are stated
    assert "13,095.23" in text or "13.095,23" in text
    consequence = {"en_US": "formal demand", "es_MX": "requerimiento formal", "es_ES": "requerimiento formal"}[locale]
    assert consequence in text


def test_no_interest_subjects_and_sms_in_english() -> None:
    notice = without_interest("en_US", "USD")
    email = RENDERER.render(notice, "email")
    assert email.subject == "Overdue account: payment required before further steps ($13,095.23)"
    assert "we will send you a formal demand for payment" in email.text
    assert "- 1. Aug 31, 2025: $4,360.08 (with collection fees: $4,481.99)" in email.text
    sms = RENDERER.render(notice, "sms").text
    assert "your account is 77 days overdue. Amount due: $13,095.23. Please pay by Aug 14, 2025" in sms
    letter = RENDERER.render(notice, "letter")
    assert letter.metadata["letter"]["plan"]["headers"][-1] == "With collection fees"


@pytest.mark.parametrize(
    ("locale", "subject", "sms"),
    [
        ("en_GB", "late-payment interest and charges now apply", "late-payment interest now applies"),
        ("es_ES", "intereses de demora", "ya devenga intereses de demora"),
        ("es_MX", "intereses moratorios", "ya genera intereses moratorios"),
    ],
)
def test_with_interest_the_warning_explains_it(locale: str, subject: str, sms: str) -> None:
    notice = make_notice(stage="penalty_warning", locale=locale)  # 270.75 interest, 80.00 compensation
    assert build_context(notice)["interest_applies"] is True
    assert subject in RENDERER.render(notice, "email").subject
    assert sms in RENDERER.render(notice, "sms").text


def test_a_regime_that_yields_nothing_yet_counts_as_no_interest() -> None:
    notice = make_notice(stage="penalty_warning", locale="en_GB")
    assert notice.interest is not None
    zero = Money("0", "EUR")
    quiet = attrs.evolve(notice, interest=attrs.evolve(notice.interest, interest=zero, compensation=zero, segments=()))
    assert build_context(quiet)["interest_applies"] is False
    assert not INTEREST.search(RENDERER.render(quiet, "sms").text)
