"""Notices about an agreed plan show what is left to pay: the instalments already paid are
marked and a "still to pay" line follows the plan's total (email text, HTML and letter)."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from cobrokit.dispatch import build_notice, dispatch
from cobrokit.engine import run_ladder
from cobrokit.formatting import Formatter
from cobrokit.ladder.config import default_config
from cobrokit.letters import letter_from_dict
from cobrokit.model import Address, Allocation, Debtor, Payment
from cobrokit.money import Money
from cobrokit.notice import Notice
from cobrokit.plans import Frequency, PlanTerms
from cobrokit.plugins import get_plugin_host
from cobrokit.rendering import render_notice
from cobrokit.store import journal as jr
from cobrokit.store.plans import accept_plan, propose_for_debtor
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import make_invoice, recorders

CONFIG = default_config()
DUE = dt.date(2026, 3, 2)
FIRST_DUE = dt.date(2026, 3, 25)
NBSP = "\xa0"

# Invoice of 486.00 EUR in 3 monthly instalments without plan interest: 486.00 / 3 = 162.00,
# due 25 Mar, 25 Apr and 25 May 2026. The first is paid on 24 Mar, so the reminder of the
# second still owes 486.00 − 162.00 = 324.00 under the plan.
TOTAL, INSTALMENT, REMAINING = "486.00", "162.00", "324.00"


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)


def money_es(amount: str) -> str:
    return f"{amount}{NBSP}€"


@pytest.fixture
def second_reminder(store: SQLiteStore) -> Notice:
    """The notice of the reminder of the second instalment, rebuilt from its outbox row."""
    store.save(
        debtors=[
            Debtor(
                id="D1",
                name="Talleres Ruiz SL",
                emails=("cuentas@ruiz.example",),
                address=Address(lines=("Calle Mayor 1",), city="Madrid", postal_code="28013", country="ES"),
                locale="es_ES",
                timezone="Europe/Madrid",
                country="ES",
            )
        ],
        invoices=[make_invoice("F1", "D1", "486.00", issue="2026-01-31", due=DUE.isoformat())],
    )
    proposed_on = DUE + dt.timedelta(days=16)
    terms = PlanTerms(instalments=3, frequency=Frequency.MONTH, start=FIRST_DUE)
    plan = propose_for_debtor(store, tenant="default", debtor_id="D1", terms=terms, today=proposed_on)
    assert [str(i.amount.amount) for i in plan.instalments] == ["162.00", "162.00", "162.00"]
    accept_plan(store, tenant="default", plan_id=plan.id, on=proposed_on)
    host = get_plugin_host(autoload=False)
    chans = recorders()
    day = proposed_on
    while day <= dt.date(2026, 4, 25):
        if day == FIRST_DUE - dt.timedelta(days=1):
            store.save(
                payments=[
                    Payment(
                        id="P1",
                        debtor_id="D1",
                        date=day,
                        amount=Money("162.00", "EUR"),
                        allocations=(Allocation("F1", Money("162.00", "EUR")),),
                    )
                ]
            )
        run_ladder(store, day, config=CONFIG, now=at(day))
        dispatch(store, host, config=CONFIG, now=at(day), channels=chans)
        day += dt.timedelta(days=1)
    reminders = [
        row
        for row in jr.iter_outbox(store, "default", debtor_id="D1")
        if row.stage.startswith("instalment_reminder") and row.channel == "email"
    ]
    assert [dt.date.fromisoformat(r.as_of) > FIRST_DUE for r in reminders] == [False, True]
    # the email the dispatcher sent says it too
    sent = [m for m in chans["email"].sent if m.stage.startswith("instalment_reminder")][-1]
    assert f"Pendiente del plan: {money_es('324,00')}" in sent.text
    return build_notice(store, reminders[-1], CONFIG, host)


def in_locale(notice: Notice, locale: str) -> Notice:
    return attrs.evolve(notice, debtor=attrs.evolve(notice.debtor, locale=locale))


WORDS = {  # (plan total, still to pay, paid mark) in each language's labels
    "es_ES": ("Total del plan", "Pendiente del plan", "(pagada)"),
    "es_MX": ("Total del plan", "Pendiente del plan", "(pagada)"),
    "en_GB": ("Total of the plan", "Still to pay under the plan", "(paid)"),
}


@pytest.mark.parametrize("locale", sorted(WORDS))
def test_reminder_email_marks_the_paid_instalment_and_what_is_left(second_reminder: Notice, locale: str) -> None:
    total_word, remaining_word, paid_word = WORDS[locale]
    money = Formatter(locale).money
    message = render_notice(in_locale(second_reminder, locale), "email")
    lines = message.text.splitlines()
    total_line = lines.index(f"{total_word}: {money(Money(TOTAL, 'EUR'))}")
    assert lines[total_line + 1] == f"{remaining_word}: {money(Money(REMAINING, 'EUR'))}"
    paid = [line for line in lines if paid_word in line]
    assert len(paid) == 1 and paid[0].startswith("- 1.") and money(Money(INSTALMENT, "EUR")) in paid[0]
    unpaid = [line for line in lines if line.startswith(("- 2.", "- 3."))]
    assert len(unpaid) == 2 and not any(paid_word in line for line in unpaid)
    assert message.html.count(paid_word) == 1
    assert remaining_word in message.html and money(Money(REMAINING, "EUR")) in message.html


@pytest.mark.parametrize("locale", ["es_ES", "en_GB"])
def test_reminder_letter_marks_the_paid_instalment_and_what_is_left(second_reminder: Notice, locale: str) -> None:
    _, remaining_word, paid_word = WORDS[locale]
    message = render_notice(in_locale(second_reminder, locale), "letter")
    plan = letter_from_dict(message.metadata["letter"]).plan
    assert plan is not None
    assert [row[0] for row in plan.rows if paid_word in row[1]] == ["1"]
    assert (remaining_word, Formatter(locale).money(Money(REMAINING, "EUR"))) in plan.totals


def test_an_unpaid_plan_has_no_remaining_line(second_reminder: Notice) -> None:
    untouched = attrs.evolve(second_reminder, extra={**second_reminder.extra, "plan_paid_instalments": ()})
    untouched = attrs.evolve(untouched, extra={k: v for k, v in untouched.extra.items() if k != "plan_remaining"})
    message = render_notice(untouched, "email")
    assert "Pendiente del plan" not in message.text and "(pagada)" not in message.text
    assert f"Total del plan: {money_es('486,00')}" in message.text
