"""Notices claim only the history that happened: reminders, silence, payments and promises of
the debtor's current cycle (``cobrokit.dispatch.cycle_history``), the legal letter's greeting,
and the fixed compensation claimed alone while a statutory rate is unpublished.

Real SQLite store (outbox rows, payments and promises written as the ladder and the CLI write
them), :func:`cobrokit.dispatch.build_notice` and the shipped templates.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cobrokit.dispatch import build_notice
from cobrokit.ladder.config import default_config
from cobrokit.model import Address, Allocation, Debtor, Payment
from cobrokit.money import Money
from cobrokit.notice import Notice
from cobrokit.rendering import NoticeRenderer
from cobrokit.store import journal as jr
from cobrokit.store.plans import add_promise
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import make_invoice

CONFIG = default_config()
RENDERER = NoticeRenderer()
NBSP = "\xa0"
DUE = dt.date(2026, 3, 2)
CYCLE = "EUR1"
OPEN_MINOR = 121000  # invoice F1: 1,210.00 EUR, nothing paid


def _ledger(store: SQLiteStore, locale: str, due: dt.date = DUE) -> None:
    debtor = Debtor(
        id="D1",
        name="Talleres Ruiz SL",
        emails=("cuentas@ruiz.example",),
        phones=("+34600000001",),
        address=Address(lines=("Calle Mayor 1",), city="Madrid", postal_code="28013", country="ES"),
        locale=locale,
        timezone="Europe/Madrid",
        country="ES",
    )
    issue = (due - dt.timedelta(days=30)).isoformat()
    store.save(debtors=[debtor], invoices=[make_invoice("F1", "D1", "1210.00", issue=issue, due=due.isoformat())])


def _row(
    store: SQLiteStore,
    stage: str,
    channel: str,
    as_of: dt.date,
    status: str = "planned",
    **payload: object,
) -> jr.OutboxRow:
    """An outbox notice of debtor D1's cycle, as the ladder plans it, then set to *status*."""
    key = f"D1/{stage}/{CYCLE}/{channel}"
    now = f"{as_of.isoformat()}T09:00:00+00:00"
    body = {"invoices": [["F1", OPEN_MINOR]], "template": stage, **payload}
    row = jr.outbox_row(
        key=key,
        tenant="default",
        debtor_id="D1",
        currency="EUR",
        stage=stage,
        cycle=CYCLE,
        channel=channel,
        fallback=(),
        kind="notice",
        as_of=as_of,
        not_before="",
        payload=body,
        now=now,
    )
    jr.insert_outbox(store, [row])
    with store.transaction() as conn:
        conn.execute("UPDATE outbox SET status = ? WHERE key = ?", (status, key))
    [found] = [r for r in jr.iter_outbox(store, "default") if r.key == key]
    return found


def _text(notice: Notice, channel: str, **extra: object) -> str:
    return " ".join(RENDERER.render(notice, channel, extra_context=extra or None).text.split())


def _pay(store: SQLiteStore, day: dt.date, amount: str) -> None:
    store.save(
        payments=[
            Payment(
                id=f"P-{day.isoformat()}",
                debtor_id="D1",
                date=day,
                amount=Money(amount, "EUR"),
                allocations=(Allocation("F1", Money(amount, "EUR")),),
            )
        ]
    )


# -- "despite our earlier reminders" ---------------------------------------------------------------


def test_first_written_notice_after_a_call_claims_no_earlier_reminder(store: SQLiteStore) -> None:
    """what's wrong? goes by call first (a call task, nothing in writing), the email is the fallback."""
    _ledger(store, "es_ES")
    day = DUE + dt.timedelta(days=10)
    _row(store, "whats_wrong", "call", day, "sent")
    email = _row(store, "whats_wrong", "email", day)
    notice = build_notice(store, email, CONFIG)
    assert notice.extra["reminders_sent"] == 0
    assert notice.extra["paid_in_cycle"] is None and notice.extra["promise_in_cycle"] is None
    es = _text(notice, "email")
    assert "días de retraso." in es
    assert "recordatorio" not in es
    en = _text(notice, "email", contact_name="Ana Ruiz")
    assert "recordatorio" not in en  # the debtor's locale decides; the extra only names the contact


@pytest.mark.parametrize("locale", ["es_ES", "en_GB"])
def test_penalty_warning_mentions_reminders_only_when_some_went_out(store: SQLiteStore, locale: str) -> None:
    _ledger(store, locale)
    first = DUE + dt.timedelta(days=3)
    penalty = DUE + dt.timedelta(days=20)
    row = _row(store, "penalty_warning", "email", penalty)
    despite = {"es_ES": "A pesar de", "en_GB": "Despite our"}[locale]

    none_sent = build_notice(store, row, CONFIG)
    assert none_sent.extra["reminders_sent"] == 0
    assert despite not in _text(none_sent, "email")
    assert despite not in _text(none_sent, "letter")

    # one reminder failed (never reached the debtor), one went out: one reminder, singular
    _row(store, "reminder", "email", first, "failed_permanent")
    _row(store, "reminder", "sms", first, "sent")
    one = build_notice(store, row, CONFIG)
    assert one.extra["reminders_sent"] == 1 and one.extra["stages_sent"] == ["reminder"]
    singular = {"es_ES": "A pesar de nuestro recordatorio anterior,", "en_GB": "Despite our previous reminder,"}
    assert singular[locale] in _text(one, "email")

    _row(store, "whats_wrong", "email", first + dt.timedelta(days=7), "delivered")
    two = build_notice(store, row, CONFIG)
    assert two.extra["reminders_sent"] == 2
    plural = {"es_ES": "A pesar de nuestros recordatorios anteriores,", "en_GB": "Despite our previous reminders,"}
    assert plural[locale] in _text(two, "email")
    assert plural[locale] in _text(two, "letter")


# -- the ultimatum: "repeated reminders", "neither payment nor any proposal" ------------------------

REPEATED = "pese a nuestros reiterados recordatorios"
NEITHER = "no han dado lugar ni al pago ni a ninguna propuesta"


def test_ultimatum_for_an_invoice_never_reminded_claims_neither_reminders_nor_silence(store: SQLiteStore) -> None:
    _ledger(store, "es_ES")
    row = _row(store, "ultimatum", "letter", DUE + dt.timedelta(days=2))
    letter = _text(build_notice(store, row, CONFIG), "letter")
    assert "recordatorio" not in letter
    assert "ni al pago ni a ninguna propuesta" not in letter
    assert "continúa impagado." in letter
    email = _text(build_notice(store, row, CONFIG), "email")
    assert "recordatorio" not in email and "ninguna propuesta por su parte" not in email


@pytest.mark.parametrize("locale", ["es_ES", "en_GB"])
def test_ultimatum_after_repeated_unanswered_reminders_says_so(store: SQLiteStore, locale: str) -> None:
    _ledger(store, locale)
    _row(store, "reminder", "email", DUE + dt.timedelta(days=3), "sent")
    _row(store, "whats_wrong", "email", DUE + dt.timedelta(days=10), "sent")
    notice = build_notice(store, _row(store, "ultimatum", "letter", DUE + dt.timedelta(days=30)), CONFIG)
    assert notice.extra["reminders_sent"] == 2
    letter = _text(notice, "letter")
    if locale == "es_ES":
        assert f"{REPEATED}, que {NEITHER} por su parte." in letter
    else:
        assert "and to our previous reminders, none of which has led to payment or to a proposal for payment." in letter


@pytest.mark.parametrize("locale", ["es_ES", "en_GB"])
def test_ultimatum_after_a_promise_and_a_part_payment_states_what_is_missing(store: SQLiteStore, locale: str) -> None:
    """Reminded twice; then a promise (recorded on +22 to pay 1,210.00 on +24) and a part payment
    of 200.00 on +24; the ultimatum goes on +27: 200.00 < 1,210.00, so the promise is not kept."""
    _ledger(store, locale)
    _row(store, "reminder", "email", DUE + dt.timedelta(days=3), "sent")
    _row(store, "whats_wrong", "email", DUE + dt.timedelta(days=10), "sent")
    promised = DUE + dt.timedelta(days=24)
    add_promise(
        store,
        tenant="default",
        debtor_id="D1",
        promised_date=promised,
        amount="1210.00",
        today=DUE + dt.timedelta(days=22),
    )
    _pay(store, promised, "200.00")
    notice = build_notice(store, _row(store, "ultimatum", "letter", DUE + dt.timedelta(days=27)), CONFIG)
    assert notice.extra["paid_in_cycle"] == Money("200.00", "EUR")
    assert notice.extra["promise_in_cycle"]["kept"] is False
    assert notice.extra["promise_in_cycle"]["promised_date"] == promised
    for channel in ("letter", "email"):
        text = _text(notice, channel)
        if locale == "es_ES":
            assert "ninguna propuesta por su parte" not in text
            assert "El pago de 200,00 € que hemos recibido no cubre el importe vencido." in text
            assert (
                "El pago que se comprometió a realizar el 26 de marzo de 2026 no se ha recibido íntegramente." in text
            )
        else:
            assert "proposal" not in text.split("Before taking")[0]
            assert "The payment of €200.00 we have received does not cover the amount due." in text
            assert "The payment promised for 26 March 2026 has not arrived in full." in text


def test_payments_before_the_cycle_started_are_not_in_the_cycle(store: SQLiteStore) -> None:
    _ledger(store, "es_ES")
    _pay(store, DUE - dt.timedelta(days=5), "100.00")  # before the cycle's first notice (+3)
    _row(store, "reminder", "email", DUE + dt.timedelta(days=3), "sent")
    notice = build_notice(store, _row(store, "whats_wrong", "email", DUE + dt.timedelta(days=10)), CONFIG)
    assert notice.extra["paid_in_cycle"] is None
    assert "no hemos tenido noticias suyas desde nuestro último recordatorio" in _text(notice, "email")


@pytest.mark.parametrize("stage", ["handoff", "legal"])
def test_handoff_and_legal_name_the_formal_demand_only_once_it_went_out(store: SQLiteStore, stage: str) -> None:
    _ledger(store, "es_ES")
    row = _row(store, stage, "letter", DUE + dt.timedelta(days=60))
    before = _text(build_notice(store, row, CONFIG), "letter")
    assert "requerimiento formal de pago" not in before.split("Detalle de la deuda")[0]
    _row(store, "reminder", "email", DUE + dt.timedelta(days=3), "sent")
    _row(store, "ultimatum", "letter", DUE + dt.timedelta(days=30), "sent")
    after = _text(build_notice(store, row, CONFIG), "letter")
    assert "nuestro recordatorio y nuestro requerimiento formal de pago" in after


# -- the legal letter's greeting -------------------------------------------------------------------


def test_legal_letter_greets_the_known_contact(store: SQLiteStore) -> None:
    _ledger(store, "es_ES")
    notice = build_notice(store, _row(store, "legal", "letter", DUE + dt.timedelta(days=60)), CONFIG)
    named = _text(notice, "letter", contact_name="Ana Ruiz")
    assert "Estimado/a Ana Ruiz:" in named and "Estimado cliente" not in named
    assert "Estimado cliente:" in _text(notice, "letter")  # no contact known: the generic greeting


# -- the fixed compensation under a missing statutory rate -------------------------------------------

FAR_DUE = dt.date(2040, 3, 1)  # no statutory rate is published for 2040 in the shipped tables


@pytest.mark.parametrize(
    ("locale", "compensation_line", "pending_line"),
    [
        (
            "es_ES",
            f"Indemnización por costes de cobro: 40,00{NBSP}€",
            "Los intereses de demora se reclamarán una vez publicado el tipo legal del periodo que comienza el",
        ),
        (
            "en_GB",
            "€40.00",
            "The late-payment interest will be claimed once the statutory rate for the period starting",
        ),
    ],
)
def test_missing_rate_claims_the_fixed_compensation_alone(
    store: SQLiteStore, locale: str, compensation_line: str, pending_line: str
) -> None:
    """Ley 3/2004 art. 8: EUR 40 per invoice paid late, whatever the rate. One invoice of
    1,210.00, nothing paid: compensation 40.00, interest not claimed, total 1,210.00 + 40.00 = 1,250.00."""
    _ledger(store, locale, due=FAR_DUE)
    row = _row(store, "penalty_warning", "email", FAR_DUE + dt.timedelta(days=45), interest_regime="es-commercial")
    omitted: list[str] = []
    notice = build_notice(store, row, CONFIG, omitted=omitted)
    assert omitted, "the missing rate is reported"
    assert notice.interest is not None
    assert notice.interest.interest == Money("0.00", "EUR")
    assert notice.interest.compensation == Money("40.00", "EUR")
    assert notice.interest.segments == ()
    assert notice.total_due == Money("1250.00", "EUR")
    email = RENDERER.render(notice, "email")
    assert compensation_line in email.text
    assert pending_line in " ".join(email.text.split())
    assert pending_line in " ".join(email.html.split())
    letter = " ".join(RENDERER.render(notice, "letter").text.split())
    assert pending_line in letter


def test_the_demand_announces_the_suspension_that_the_ladder_has_next() -> None:
    from cobrokit.engine import _payload_constant
    from cobrokit.ladder.config import default_config

    config = default_config()
    ladder = config.ladders[0]
    constant = _payload_constant(ladder, "ultimatum", None, config, "ES")
    assert '"next_actions":["suspend_service","handoff"]' in constant  # the later stages' actions
    assert "next_actions" not in _payload_constant(ladder, "legal", None, config, "ES")  # the last step


@pytest.mark.parametrize(
    ("locale", "warning"),
    [("es_ES", "suspender todos los servicios y suministros"), ("en_GB", "suspend all services and deliveries")],
)
def test_the_demand_letter_warns_of_the_suspension_to_come(locale: str, warning: str) -> None:
    import attrs

    from tests.notices.sample import make_notice

    notice = attrs.evolve(make_notice(stage="ultimatum", locale=locale), action="")  # the ultimatum acts on nothing
    plain = NoticeRenderer().render(attrs.evolve(notice, extra={**notice.extra, "next_actions": ()}), "letter")
    announced = NoticeRenderer().render(
        attrs.evolve(notice, extra={**notice.extra, "next_actions": ("suspend_service", "handoff")}), "letter"
    )
    assert warning not in " ".join(plain.text.split())  # no suspension stage after it: not threatened
    assert warning in " ".join(announced.text.split())


@pytest.mark.parametrize(
    ("locale", "offer"),
    [
        ("es_ES", "puede aceptar antes de esa fecha el plan de pagos"),
        ("en_GB", "you may accept the payment plan shown below"),
    ],
)
def test_a_demand_with_a_plan_offer_says_how_the_plan_answers_it(locale: str, offer: str) -> None:
    import attrs

    from tests.notices.sample import make_notice

    notice = make_notice(stage="ultimatum", locale=locale)  # the sample carries a plan offer
    assert notice.plan_offer is not None
    for kind in ("email", "letter"):
        with_plan = NoticeRenderer().render(notice, kind)
        without = NoticeRenderer().render(attrs.evolve(notice, plan_offer=None), kind)
        assert offer in " ".join(with_plan.text.split()) and offer not in " ".join(without.text.split())
