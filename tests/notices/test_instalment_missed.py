"""The missed-instalment notice: which instalment of which plan, its amount and due date,
the grace period and what follows — from the sample notice and end to end from a plan."""

from __future__ import annotations

import datetime as dt
import itertools

import attrs
import pytest

from cobrokit.dispatch import dispatch
from cobrokit.engine import run_ladder
from cobrokit.ladder.config import default_config
from cobrokit.model import Address, Allocation, Debtor, Payment
from cobrokit.money import Money
from cobrokit.notice import Notice
from cobrokit.plugins import get_plugin_host
from cobrokit.rendering import BUILTIN_KINDS, NoticeRenderer, build_context
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import make_invoice, recorders
from tests.notices.sample import make_notice

NBSP = "\xa0"
RENDERER = NoticeRenderer()
MISSED_ON = dt.date(2025, 8, 31)  # instalment 1 of make_notice()'s plan is due on 31 Aug 2025
GRACE_UNTIL = dt.date(2025, 9, 5)


def missed_notice(locale: str, *, grace: bool = True, stage: str = "plan_missed") -> Notice:
    """What the dispatcher builds for a missed instalment (see dispatch.build_notice):
    principal = what is still owed on the instalment, firm_date = its due date, the agreed
    plan and its invoices; no interest, no fees.

    make_notice()'s plan: 4 360.08 on 31 Aug, 4 360.08 on 30 Sep, 4 360.07 on 31 Oct 2025.
    1 000.00 was paid on instalment 1, so 4 360.08 − 1 000.00 = 3 360.08 is still owed.
    """
    notice = make_notice(stage=stage, locale=locale, as_of=dt.date(2025, 9, 2))
    return attrs.evolve(
        notice,
        template="instalment_missed",
        tone="friendly",
        principal=Money("3360.08", "EUR"),
        fees=Money("0", "EUR"),
        interest=None,
        firm_date=MISSED_ON,
        action="",
        extra={"grace_until": GRACE_UNTIL.isoformat()} if grace else {},
    )


# (instalment phrase, amount still owed, due date, grace date, "the plan ends", "collection resumes")
EXPECTED = {
    "en_GB": ("instalment 1 of 3", "€3,360.08", "31 August 2025", "5 September 2025", "plan will end", "collection"),
    "es_ES": (
        "cuota 1 de 3",
        f"3.360,08{NBSP}€",
        "31 de agosto de 2025",
        "5 de septiembre de 2025",
        "quedará sin efecto",
        "gestiones de cobro",
    ),
    "es_MX": (
        "cuota 1 de 3",
        f"EUR{NBSP}3,360.08",
        "31 de agosto de 2025",
        "5 de septiembre de 2025",
        "quedará sin efecto",
        "gestiones de cobranza",
    ),
}


@pytest.mark.parametrize(("locale", "kind"), list(itertools.product(EXPECTED, ("email", "letter"))))
def test_email_and_letter_name_the_instalment_its_amount_date_grace_and_consequence(locale: str, kind: str) -> None:
    message = RENDERER.render(missed_notice(locale), kind)
    phrase, owed, due, grace, ends, resumes = EXPECTED[locale]
    text = message.text
    assert message.metadata["template"].endswith(f"/{kind}/instalment_missed.txt")
    assert phrase in message.subject or kind == "letter"
    for expected in (phrase, owed, due, grace, ends, resumes):
        assert expected in text, expected
    # how to pay: the creditor's account (and the pay link) are on the notice
    assert "ES91 2100 0418 4502 0005 1332" in text and "https://pay.example/acme/D-042" in text
    # it talks about the instalment, not the original invoices' total (13 445.98)
    assert "13,445.98" not in text and "13.445,98" not in text
    assert "13,080.23" not in message.subject and "13.080,23" not in message.subject


@pytest.mark.parametrize("locale", EXPECTED)
def test_sms_and_call_script_name_the_instalment(locale: str) -> None:
    phrase, owed, due, grace, *_ = EXPECTED[locale]
    sms = RENDERER.render(missed_notice(locale), "sms").text
    assert phrase.replace(" de ", "/").replace(" of ", "/") in sms
    assert owed in sms
    call = RENDERER.render(missed_notice(locale), "call").text
    assert phrase in call and owed in call and due in call and grace in call


def test_without_a_known_grace_date_the_notice_speaks_of_the_plans_grace_period() -> None:
    text = RENDERER.render(missed_notice("en_GB", grace=False), "email").text
    assert "within the grace period the plan allows" in text
    es = RENDERER.render(missed_notice("es_ES", grace=False), "letter").text
    assert "dentro del plazo de gracia previsto en el plan" in es


def test_the_email_total_is_the_instalment_not_the_invoices() -> None:
    message = RENDERER.render(missed_notice("en_GB"), "email")
    assert "Instalment due: €3,360.08" in message.text
    assert "Total due:" not in message.text
    letter = RENDERER.render(missed_notice("es_ES"), "letter").metadata["letter"]
    assert letter["debt"]["totals"] == [["Cuota pendiente", f"3.360,08{NBSP}€"]]


def test_context_finds_the_instalment_and_the_down_payment() -> None:
    instalment = build_context(missed_notice("en_GB"))["instalment"]
    assert instalment["number"] == 1 and instalment["due_date"] == MISSED_ON
    assert instalment["amount"] == Money("4360.08", "EUR")  # as scheduled
    assert instalment["outstanding"] == Money("3360.08", "EUR")  # still owed
    assert instalment["grace_until"] == GRACE_UNTIL and instalment["days_late"] == 2  # 2 Sep − 31 Aug
    # a down payment due before the first instalment is "instalment" 0
    notice = missed_notice("en_GB")
    assert notice.plan_offer is not None
    with_down = attrs.evolve(
        notice,
        plan_offer=attrs.evolve(notice.plan_offer, down_payment=Money("500.00", "EUR")),
        principal=Money("500.00", "EUR"),
        firm_date=dt.date(2025, 8, 1),
    )
    down = build_context(with_down)["instalment"]
    assert down["number"] == 0 and down["down_payment"] is True and down["outstanding"] == Money("500.00", "EUR")
    assert "the down payment" in RENDERER.render(with_down, "email").text
    assert "el pago inicial" in RENDERER.render(attrs.evolve(with_down, debtor=make_notice().debtor), "email").text
    # other stages never get one, even when the firm date falls on an offered instalment
    offer = make_notice(stage="penalty_warning")
    assert build_context(attrs.evolve(offer, firm_date=dt.date(2025, 8, 31)))["instalment"] is None


@pytest.mark.parametrize("kind", BUILTIN_KINDS)
@pytest.mark.parametrize("locale", ["es_ES", "es_MX"])
def test_spanish_missed_instalment_texts_stay_spanish(locale: str, kind: str) -> None:
    text = RENDERER.render(missed_notice(locale), kind).text
    for english in ("instalment", "Dear", "Total due", "Invoice"):
        assert english not in text, english


# -- end to end: an accepted plan, an unpaid instalment, the ladder and the dispatcher ----------

DUE = dt.date(2026, 3, 2)


@pytest.fixture
def ledger(store: SQLiteStore) -> SQLiteStore:
    debtor = Debtor(
        id="D1",
        name="Talleres Ruiz SL",
        emails=("cuentas@ruiz.example",),
        phones=("+34600000001",),
        address=Address(lines=("Calle Mayor 1",), city="Madrid", postal_code="28013", country="ES"),
        locale="es_ES",
        timezone="Europe/Madrid",
        country="ES",
    )
    store.save(debtors=[debtor], invoices=[make_invoice("F1", "D1", "1210.00", issue="2026-01-31", due="2026-03-02")])
    return store


def test_a_missed_plan_instalment_sends_the_instalment_missed_notice(ledger: SQLiteStore) -> None:
    from cobrokit.plans import Frequency, PlanTerms
    from cobrokit.store.plans import accept_plan, propose_for_debtor

    config = default_config()
    host = get_plugin_host(autoload=False)
    chans = recorders()
    accepted_on = DUE + dt.timedelta(days=16)
    terms = PlanTerms(instalments=3, frequency=Frequency.MONTH, start=dt.date(2026, 3, 25))
    plan = propose_for_debtor(ledger, tenant="default", debtor_id="D1", terms=terms, today=accepted_on)
    accept_plan(ledger, tenant="default", plan_id=plan.id, on=accepted_on)
    # 100.00 of the first instalment (403.33 = 1 210.00 / 3, rounded down) arrives on time
    ledger.save(
        payments=[
            Payment(
                id="P1",
                debtor_id="D1",
                date=dt.date(2026, 3, 24),
                amount=Money("100.00", "EUR"),
                allocations=(Allocation("F1", Money("100.00", "EUR")),),
            )
        ]
    )
    day = accepted_on
    while day <= dt.date(2026, 3, 29):  # within the plan's 5 grace days after 25 March
        now = dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)
        run_ladder(ledger, day, config=config, now=now)
        dispatch(ledger, host, config=config, now=now, channels=chans)
        day += dt.timedelta(days=1)
    [missed] = [m for m in chans["email"].sent if m.stage == "plan_missed"]
    assert missed.metadata["template"] == "es/email/instalment_missed.txt"
    assert "cuota 1 de 3" in missed.subject
    # 403.33 − 100.00 = 303.33 still owed on instalment 1, due 25 March 2026
    assert f"303,33{NBSP}€" in missed.text and "25 de marzo de 2026" in missed.text
    assert "Cuota pendiente: 303,33" in missed.text
    assert "quedará sin efecto" in missed.text
    assert "oops" not in {m.stage for m in chans["email"].sent}
