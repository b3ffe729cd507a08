"""What the dispatcher puts on a message: the real send moment, and for a missed plan
instalment, the last day of the plan's grace period."""

import datetime as dt
import email
import email.policy
import email.utils
import zoneinfo
from pathlib import Path

import attrs
import pytest

from cobrokit.dispatch import dispatch
from cobrokit.engine import run_ladder
from cobrokit.ladder.config import Config, default_config
from cobrokit.model import Address, Allocation, Debtor, Payment
from cobrokit.money import Money
from cobrokit.plugins import get_plugin_host
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import make_invoice, recorders

HOST = get_plugin_host(autoload=False)
DUE = dt.date(2026, 3, 2)
MADRID = zoneinfo.ZoneInfo("Europe/Madrid")


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
    store.save(debtors=[debtor], invoices=[make_invoice("F1", "D1", "1210.00", issue="2026-01-31", due=str(DUE))])
    return store


def folder_email(tmp_path: Path) -> Config:
    config = default_config()
    settings = {"transport": "folder", "folder": str(tmp_path), "from_address": "Cobros <cobros@acme.example>"}
    return attrs.evolve(config, channels={**config.channels, "email": settings})


def test_the_email_date_header_is_the_dispatch_moment(ledger: SQLiteStore, tmp_path: Path) -> None:
    config = folder_email(tmp_path)
    oops_day = DUE + dt.timedelta(days=1)
    run_ladder(ledger, oops_day, config=config, now=dt.datetime.combine(oops_day, dt.time(6), tzinfo=dt.UTC))
    # sent at 15:47:12 UTC, not at the notice date's 08:00 in Madrid
    sent_at = dt.datetime(2026, 3, 3, 15, 47, 12, tzinfo=dt.UTC)
    assert dispatch(ledger, HOST, config=config, now=sent_at).outcomes == {"sent": 1}
    [path] = tmp_path.glob("*.eml")
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    date = email.utils.parsedate_to_datetime(str(parsed["Date"]))
    assert date == sent_at
    # written in the debtor's zone: 3 March 2026 is CET, UTC+1 → 16:47:12 +0100
    assert parsed["Date"] == "Tue, 03 Mar 2026 16:47:12 +0100"


def test_a_message_sent_the_day_after_its_decision_carries_the_day_it_went_out(ledger: SQLiteStore) -> None:
    config = default_config()
    chans = recorders()
    oops_day = DUE + dt.timedelta(days=1)
    run_ladder(ledger, oops_day, config=config, now=dt.datetime.combine(oops_day, dt.time(6), tzinfo=dt.UTC))
    later = dt.datetime(2026, 3, 4, 9, 5, tzinfo=dt.UTC)  # the dispatcher was down for a day
    dispatch(ledger, HOST, config=config, now=later, channels=chans)  # the real templates
    [message] = chans["email"].sent
    assert message.metadata["as_of"] == "2026-03-03"  # the notice's business date is unchanged
    assert dt.datetime.fromisoformat(message.metadata["sent_at"]) == later
    assert message.metadata["sent_at"] == "2026-03-04T10:05:00+01:00"  # 09:05 UTC in Madrid (CET)


@pytest.mark.parametrize(("grace_days", "grace_text"), [(5, "30 de marzo de 2026"), (10, "4 de abril de 2026")])
def test_a_missed_instalment_notice_names_the_plans_grace_date(
    ledger: SQLiteStore, grace_days: int, grace_text: str
) -> None:
    from cobrokit.plans import Frequency, PlanTerms
    from cobrokit.store.plans import accept_plan, propose_for_debtor

    config = default_config()  # its [plans] grace_days (5) is for offers; an agreed plan keeps its own
    chans = recorders()
    accepted_on = DUE + dt.timedelta(days=16)
    terms = PlanTerms(instalments=3, frequency=Frequency.MONTH, start=dt.date(2026, 3, 25), grace_days=grace_days)
    plan = propose_for_debtor(ledger, tenant="default", debtor_id="D1", terms=terms, today=accepted_on)
    accept_plan(ledger, tenant="default", plan_id=plan.id, on=accepted_on)
    ledger.save(  # 100.00 of the first instalment (403.33) arrives: the rest is missed
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
    while day <= dt.date(2026, 3, 29):
        now = dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)
        run_ladder(ledger, day, config=config, now=now)
        dispatch(ledger, HOST, config=config, now=now, channels=chans)
        day += dt.timedelta(days=1)
    [missed] = [m for m in chans["email"].sent if m.stage == "plan_missed"]
    # instalment 1 was due on 25 March 2026; + grace_days: 25 Mar + 5 = 30 Mar, 25 Mar + 10 = 4 Apr
    assert f"a más tardar el {grace_text}" in missed.text
    assert "dentro del plazo de gracia previsto en el plan" not in missed.text
