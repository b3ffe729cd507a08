"""Notices about an agreed payment plan: the down payment is "instalment 0" (named, dated),
the plan's total and its interest are stated, an agreed plan is not shown "with late
charges", and a breach neither points at a date it does not give nor lists the ended plan."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Any

import attrs
import pytest

from cobrokit.money import Money
from cobrokit.notice import Notice, PlanOffer, PlanOfferInstalment
from cobrokit.rendering import BUILTIN_KINDS, NoticeRenderer, build_context
from tests.notices.sample import make_notice

NBSP = "\xa0"
RENDERER = NoticeRenderer()

# The agreed plan (hand-made figures):
#   balance 4 970.00 EUR; down payment 500.00 due Mon 7 Dec 2026;
#   4 970.00 − 500.00 = 4 470.00 financed + 30.00 plan interest = 4 500.00 = 3 × 1 500.00,
#   due 5 Jan, 5 Feb and 5 Mar 2027; plan total 500.00 + 4 500.00 = 5 000.00 = 4 970.00 + 30.00.
DOWN_DUE = dt.date(2026, 12, 7)
FIRST_DUE = dt.date(2027, 1, 5)
BALANCE = Money("4970.00", "EUR")
OFFER = PlanOffer(
    instalments=(
        # an agreed plan may still carry the "with late charges" figures of its proposal
        PlanOfferInstalment(FIRST_DUE, Money("1500.00", "EUR"), Money("1520.00", "EUR")),
        PlanOfferInstalment(dt.date(2027, 2, 5), Money("1500.00", "EUR"), Money("1520.00", "EUR")),
        PlanOfferInstalment(dt.date(2027, 3, 5), Money("1500.00", "EUR"), Money("1520.00", "EUR")),
    ),
    frequency="month",
    down_payment=Money("500.00", "EUR"),
    down_payment_due=DOWN_DUE,
    interest=Money("30.00", "EUR"),
)


def plan_notice(stage: str, locale: str, as_of: dt.date, **changes: Any) -> Notice:
    """What the dispatcher builds for a notice about the agreed plan: no interest, no fees."""
    template = {"plan_missed": "instalment_missed"}.get(stage, stage)
    base = attrs.evolve(
        make_notice(stage=stage, locale=locale, as_of=as_of),
        template=template,
        tone="friendly",
        principal=BALANCE,
        fees=Money("0", "EUR"),
        interest=None,
        firm_date=None,
        action="",
        plan_offer=OFFER,
    )
    return attrs.evolve(base, **changes)


def reminder(locale: str, number: int) -> Notice:
    """The ladder's ``instalment_reminder#N``: firm date = the instalment's due date,
    principal = its amount (dispatch.build_notice with ``amount_minor``)."""
    if number == 0:
        return plan_notice(
            "instalment_reminder", locale, dt.date(2026, 12, 2), firm_date=DOWN_DUE, principal=Money("500.00", "EUR")
        )
    return plan_notice(
        "instalment_reminder", locale, dt.date(2026, 12, 31), firm_date=FIRST_DUE, principal=Money("1500.00", "EUR")
    )


# -- the down payment is instalment 0 ----------------------------------------------------


def test_the_schedule_starts_with_the_down_payment_as_instalment_0() -> None:
    context = build_context(reminder("en_GB", 0))
    plan = context["plan"]
    assert [(i["number"], i["down_payment"], i["due_date"]) for i in plan["instalments"]] == [
        (0, True, DOWN_DUE),
        (1, False, FIRST_DUE),
        (2, False, dt.date(2027, 2, 5)),
        (3, False, dt.date(2027, 3, 5)),
    ]
    assert plan["count"] == 3 and plan["first"]["number"] == 1
    assert plan["next"]["number"] == 0 and plan["previous"] is None  # 2 Dec 2026: the down payment is next
    assert plan["first_due_date"] == DOWN_DUE
    assert plan["total"] == Money("5000.00", "EUR") and plan["balance"] == BALANCE
    assert context["instalment"]["number"] == 0 and context["instalment"]["down_payment"] is True
    later = build_context(plan_notice("instalment_reminder", "en_GB", dt.date(2027, 1, 10)))["plan"]
    assert later["previous"]["number"] == 1 and later["next"]["number"] == 2


# phrase naming the down payment, its amount, its due date (long), the schedule line
DOWN = {
    "en_GB": (
        "the down payment of your payment plan, €500.00, is due on 7 December 2026",
        "- Down payment, 7 Dec 2026: €500.00",
    ),
    "es_ES": (
        f"el pago inicial de su plan de pagos, por importe de 500,00{NBSP}€, vence el 7 de diciembre de 2026",
        f"- Pago inicial, 7 dic 2026: 500,00{NBSP}€",
    ),
    "es_MX": (
        f"el anticipo de su plan de pagos, por un monto de EUR{NBSP}500.00, vence el 7 de diciembre de 2026",
        f"- Anticipo, 7 dic 2026: EUR{NBSP}500.00",
    ),
}
DUE_LABEL = {
    "en_GB": "Down payment due: €500.00",
    "es_ES": f"Pago inicial pendiente: 500,00{NBSP}€",
    "es_MX": f"Anticipo pendiente: EUR{NBSP}500.00",
}


@pytest.mark.parametrize("locale", DOWN)
def test_the_down_payment_reminder_names_the_down_payment_its_amount_and_date(locale: str) -> None:
    message = RENDERER.render(reminder(locale, 0), "email")
    sentence, schedule_line = DOWN[locale]
    assert sentence in message.text
    assert schedule_line in message.text and DUE_LABEL[locale] in message.text
    assert "7 de diciembre de 2026" in message.subject or "7 December 2026" in message.subject
    # neither the first instalment's number, amount nor date is presented as what is due
    for wrong in ("instalment 1 of 3", "cuota 1 de 3", "5 January 2027", "5 de enero de 2027"):
        assert wrong not in message.subject and wrong not in message.text.split("\n\n")[1], wrong


@pytest.mark.parametrize(("locale", "kind"), list(itertools.product(DOWN, ("sms", "call", "letter"))))
def test_every_kind_of_down_payment_reminder_names_it(locale: str, kind: str) -> None:
    text = RENDERER.render(reminder(locale, 0), kind).text
    name = {"en_GB": "down payment", "es_ES": "pago inicial", "es_MX": "anticipo"}[locale]
    amount = {"en_GB": "€500.00", "es_ES": f"500,00{NBSP}€", "es_MX": f"EUR{NBSP}500.00"}[locale]
    assert name in text and amount in text
    assert (
        ("7 Dec 2026" in text or "7 dic 2026" in text)
        if kind == "sms"
        else ("7 December 2026" in text or "7 de diciembre de 2026" in text)
    )
    assert "1/3" not in text and "1 of 3" not in text and "1 de 3" not in text


def test_the_first_instalment_reminder_after_a_down_payment_thanks_the_debtor() -> None:
    text = RENDERER.render(reminder("en_GB", 1), "email").text
    assert "instalment 1 of 3 of your payment plan, €1,500.00, is due on 5 January 2027" in text
    assert "Thank you for keeping to the plan so far." in text  # the down payment was paid


# -- the confirmation states the plan's total and its interest ---------------------------


CONFIRMATION = {
    "en_GB": (
        "the balance of €4,970.00 will be paid with a down payment of €500.00 on 7 December 2026 "
        "and in 3 monthly instalments",
        "With the interest agreed in the plan, €30.00, the plan totals €5,000.00.",
        ("Interest agreed in the plan: €30.00", "Total of the plan: €5,000.00"),
    ),
    "es_ES": (
        f"el saldo de 4.970,00{NBSP}€ se abonará mediante un pago inicial de 500,00{NBSP}€ "
        "el 7 de diciembre de 2026 y en 3 cuotas mensuales",
        f"Con los intereses pactados en el plan, 30,00{NBSP}€, el total del plan asciende a 5.000,00{NBSP}€.",
        (f"Intereses pactados en el plan: 30,00{NBSP}€", f"Total del plan: 5.000,00{NBSP}€"),
    ),
    "es_MX": (
        f"el saldo de EUR{NBSP}4,970.00 se pagará mediante un anticipo de EUR{NBSP}500.00 "
        "el 7 de diciembre de 2026 y en 3 cuotas mensuales",
        f"Con los intereses pactados en el plan, EUR{NBSP}30.00, el total del plan asciende a EUR{NBSP}5,000.00.",
        (f"Intereses pactados en el plan: EUR{NBSP}30.00", f"Total del plan: EUR{NBSP}5,000.00"),
    ),
}


@pytest.mark.parametrize("locale", CONFIRMATION)
def test_the_confirmation_gives_the_balance_the_down_payment_and_the_plan_interest(locale: str) -> None:
    notice = plan_notice("plan_confirmation", locale, dt.date(2026, 11, 30))
    message = RENDERER.render(notice, "email")
    schedule, interest, lines = CONFIRMATION[locale]
    text = message.text
    assert schedule in text and interest in text
    for line in lines:
        assert line in text
    # an agreed plan is what the debtor pays: no "with interest and fees" comparison
    for label in ("with interest and fees", "con intereses y gastos", "1,520.00", "1.520,00"):
        assert label not in message.text and label not in message.html


def test_the_confirmation_letter_sms_and_call_state_the_total() -> None:
    notice = plan_notice("plan_confirmation", "en_GB", dt.date(2026, 11, 30))
    letter = RENDERER.render(notice, "letter")
    plan = letter.metadata["letter"]["plan"]
    assert plan["headers"] == ["No.", "Due date", "Amount"]  # no "With interest and fees" column
    assert plan["rows"][0] == ["Down payment", "7 Dec 2026", "€500.00"]
    assert plan["totals"] == [["Interest agreed in the plan", "€30.00"], ["Total of the plan", "€5,000.00"]]
    assert "The plan includes €30.00 of interest agreed in it, so the plan totals €5,000.00." in letter.text
    sms = RENDERER.render(notice, "sms").text
    assert (
        "down payment €500.00 on 7 Dec 2026, then 3 instalments, the first of €1,500.00 on 5 Jan 2027. Total €5,000.00"
        in sms
    )
    call = RENDERER.render(notice, "call").text
    assert "€5,000.00 in all, including €30.00 of interest agreed in the plan" in call


def test_without_the_plan_interest_the_confirmation_takes_the_difference_from_the_balance() -> None:
    # a PlanOffer that does not say its interest: 5 000.00 plan total − 4 970.00 balance = 30.00
    notice = plan_notice(
        "plan_confirmation", "en_GB", dt.date(2026, 11, 30), plan_offer=attrs.evolve(OFFER, interest=None)
    )
    assert build_context(notice)["plan"]["interest"] == Money("30.00", "EUR")
    assert (
        "With the interest agreed in the plan, €30.00, the plan totals €5,000.00."
        in RENDERER.render(notice, "email").text
    )


def test_equal_instalments_without_interest_say_nothing_about_plan_interest() -> None:
    offer = attrs.evolve(OFFER, interest=Money("0", "EUR"))
    notice = plan_notice("plan_confirmation", "en_GB", dt.date(2026, 11, 30), plan_offer=offer)
    text = RENDERER.render(notice, "email").text
    assert "Interest agreed" not in text and "interest agreed" not in text
    assert "Total of the plan: €5,000.00" in text


def test_an_offer_keeps_the_comparison_with_late_charges() -> None:
    # make_notice()'s penalty warning offers 3 × 4 360.08 (4 481.99 with interest and fees)
    text = RENDERER.render(make_notice(stage="penalty_warning", locale="en_GB"), "email").text
    assert "- 1. 31 Aug 2025: €4,360.08 (with interest and fees: €4,481.99)" in text


# -- a breach -------------------------------------------------------------------------------

BREACH_ON = dt.date(2026, 12, 20)  # the down payment (due 7 Dec 2026) was never paid


@pytest.mark.parametrize("kind", ["email", "letter"])
@pytest.mark.parametrize(
    ("locale", "missed", "dangling"),
    [
        ("en_GB", "the down payment of €500.00", ("before then",)),
        (
            "es_ES",
            f"el pago inicial de 500,00{NBSP}€ con vencimiento el 7 de diciembre de 2026",
            ("antes de esa fecha", "correspondiente"),
        ),
        (
            "es_MX",
            f"el anticipo de EUR{NBSP}500.00 con vencimiento el 7 de diciembre de 2026",
            ("antes de esa fecha", "correspondiente"),
        ),
    ],
)
def test_a_breach_names_the_missed_down_payment_and_no_date_it_does_not_give(
    locale: str, missed: str, dangling: tuple[str, ...], kind: str
) -> None:
    message = RENDERER.render(plan_notice("plan_breach", locale, BREACH_ON), kind)
    text = " ".join(message.text.split())
    assert " ".join(missed.split()) in text
    for phrase in dangling:
        assert phrase not in text, phrase
    # the plan is over: its schedule is not listed (the statement of the debt still is)
    for schedule in ("Payment plan:", "Plan de pagos:", "Total of the plan", "Total del plan", "1,500.00", "1.500,00"):
        assert schedule not in message.text, schedule
    if kind == "letter":
        assert message.metadata["letter"]["plan"] is None


def test_a_breach_with_a_firm_date_asks_to_be_contacted_before_it() -> None:
    notice = plan_notice("plan_breach", "en_GB", BREACH_ON, firm_date=dt.date(2027, 1, 4))
    text = RENDERER.render(notice, "email").text
    assert "Please pay the full balance by 4 January 2027. If you cannot, contact us before then." in text
    es = RENDERER.render(attrs.evolve(notice, debtor=make_notice().debtor), "email").text
    assert (
        "a más tardar el 4 de enero de 2027. Si no le es posible, póngase en contacto con nosotros antes de esa fecha."
        in es
    )


def test_a_breach_of_a_regular_instalment_names_it_from_the_notice_or_the_schedule() -> None:
    # the dispatcher may say which instalment was missed (extra.instalment); else the last one due
    notice = plan_notice("plan_breach", "en_GB", dt.date(2027, 1, 20), extra={"instalment": 1})
    assert (
        "We have not received the instalment of €1,500.00 that was due on 5 January 2027"
        in RENDERER.render(notice, "email").text
    )
    assert build_context(attrs.evolve(notice, extra={}))["plan"]["missed"]["number"] == 1


# -- agreement: the down payment is masculine in Spanish ---------------------------------


def missed_down(locale: str) -> Notice:
    return plan_notice(
        "plan_missed", locale, dt.date(2026, 12, 9), firm_date=DOWN_DUE, principal=Money("500.00", "EUR")
    )


@pytest.mark.parametrize(
    ("locale", "down_payment", "instalment"),
    [("es_ES", "Abónelo", "Abónela"), ("es_MX", "Páguelo", "Páguela")],
)
def test_spanish_sms_pronoun_agrees_with_down_payment_or_cuota(locale: str, down_payment: str, instalment: str) -> None:
    down = RENDERER.render(missed_down(locale), "sms").text
    assert down_payment in down and instalment not in down
    cuota = plan_notice(
        "plan_missed", locale, dt.date(2027, 1, 7), firm_date=FIRST_DUE, principal=Money("1500.00", "EUR")
    )
    text = RENDERER.render(cuota, "sms").text
    assert instalment in text and down_payment not in text


@pytest.mark.parametrize("kind", BUILTIN_KINDS)
@pytest.mark.parametrize("locale", ["es_ES", "es_MX"])
def test_spanish_texts_about_a_down_payment_never_call_it_a_cuota(locale: str, kind: str) -> None:
    for notice in (missed_down(locale), reminder(locale, 0), plan_notice("plan_breach", locale, BREACH_ON)):
        text = RENDERER.render(notice, kind).text
        # the letter's plan table and the email's schedule list "Cuota"/"N.º" columns; the
        # sentences must not speak of "la cuota" / "esta cuota" / "esa cuota" for it
        assert not re.search(r"\b(la|esta|esa) cuota\b(?! \d)", text), (notice.stage, text)
