"""No contact on the debtor's public holidays — checked when the message goes out, not only
when the run decided it (a notice that waits overnight must not go out on Christmas Day)."""

import datetime as dt

import attrs
import pytest

from cobrokit.channel import Message
from cobrokit.dispatch import dispatch
from cobrokit.engine import run_ladder
from cobrokit.ladder.config import default_config
from cobrokit.model import Address, Debtor
from cobrokit.notice import Notice
from cobrokit.plugins import get_plugin_host
from cobrokit.store import journal as jr
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import make_invoice, recorders

CONFIG = default_config()
HOST = get_plugin_host(autoload=False)
# the default ladder's "oops" goes out the day after the due date: due 23 Dec, oops on 24 Dec
DUE = dt.date(2025, 12, 23)
CHRISTMAS_EVE = dt.date(2025, 12, 24)


def utc(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)


def plain_render(notice: Notice, channel: str) -> Message:
    return Message(
        key=notice.key,
        tenant=notice.tenant,
        debtor_id=notice.debtor.id,
        stage=notice.stage,
        channel=channel,
        recipient=notice.debtor.emails[0] if notice.debtor.emails else notice.debtor.name,
        subject=notice.stage,
        text=str(notice.total_due),
    )


def debtor(region: str) -> Debtor:
    return Debtor(
        id="D1",
        name="Talleres Ruiz SL",
        emails=("cuentas@ruiz.example",),
        phones=("+34600000001",),
        address=Address(lines=("Calle Mayor 1",), city="Madrid", postal_code="28013", region=region, country="ES"),
        locale="es_ES",
        timezone="Europe/Madrid",
        country="ES",
    )


def ledger(store: SQLiteStore, region: str = "MD", due: dt.date = DUE) -> SQLiteStore:
    store.save(
        debtors=[debtor(region)], invoices=[make_invoice("F1", "D1", "1210.00", issue="2025-11-01", due=str(due))]
    )
    return store


def deferrals(store: SQLiteStore) -> list[str]:
    return [r.reason for r in jr.iter_journal(store, "default") if r.kind == "deferred" and r.key]


def test_a_notice_left_waiting_on_christmas_eve_is_not_sent_on_christmas_day(store: SQLiteStore) -> None:
    ledger(store)
    chans = recorders()
    run_ladder(store, CHRISTMAS_EVE, config=CONFIG, now=utc(CHRISTMAS_EVE, 21, 30))
    # 21:30 UTC is 22:30 in Madrid (CET, UTC+1): after the 21:00 window end. The next
    # window start would be 25 Dec 08:00 — Christmas Day, a public holiday in Spain — so
    # it waits for 26 Dec 08:00 Madrid = 07:00 UTC (26 Dec is no holiday in Madrid).
    first = dispatch(store, HOST, config=CONFIG, now=utc(CHRISTMAS_EVE, 21, 30), channels=chans, render=plain_render)
    assert first.outcomes == {"waiting": 1}
    [row] = jr.iter_outbox(store, "default")
    assert row.channel == "email" and row.not_before == "2025-12-26T07:00:00+00:00"
    assert deferrals(store) == [
        "outside the contact window in Europe/Madrid; 25 December 2025 is a public holiday in ES-MD; "
        "waits until 2025-12-26T07:00:00+00:00 UTC"
    ]
    christmas = dispatch(
        store, HOST, config=CONFIG, now=utc(dt.date(2025, 12, 25), 9), channels=chans, render=plain_render
    )
    assert christmas.outcomes == {"waiting": 1} and chans["email"].sent == []
    after = dispatch(store, HOST, config=CONFIG, now=utc(dt.date(2025, 12, 26), 7), channels=chans, render=plain_render)
    assert after.outcomes == {"sent": 1} and [m.stage for m in chans["email"].sent] == ["oops"]


def test_a_dispatch_inside_the_window_on_a_holiday_waits_for_the_next_day(store: SQLiteStore) -> None:
    # the run decided on 24 Dec (not a holiday); the dispatcher only ran on 25 Dec at
    # 09:00 UTC = 10:00 Madrid: inside the window, but Christmas Day
    ledger(store)
    chans = recorders()
    run_ladder(store, CHRISTMAS_EVE, config=CONFIG, now=utc(CHRISTMAS_EVE, 10))
    christmas = dispatch(
        store, HOST, config=CONFIG, now=utc(dt.date(2025, 12, 25), 9), channels=chans, render=plain_render
    )
    assert christmas.outcomes == {"waiting": 1} and chans["email"].sent == []
    assert deferrals(store) == [
        "25 December 2025 is a public holiday in ES-MD; waits until 2025-12-26T07:00:00+00:00 UTC"
    ]
    # a second dispatch on the same day does not journal the same wait again
    dispatch(store, HOST, config=CONFIG, now=utc(dt.date(2025, 12, 25), 15), channels=chans, render=plain_render)
    assert len(deferrals(store)) == 1


def test_regional_holidays_count_and_roll_over_consecutive_days(store: SQLiteStore) -> None:
    # Catalonia (region CT): 25 Dec (Christmas) and 26 Dec (Sant Esteve) are both holidays,
    # so from 25 Dec 09:00 UTC the notice waits for 27 Dec 08:00 Madrid = 07:00 UTC.
    ledger(store, region="CT")
    chans = recorders()
    run_ladder(store, CHRISTMAS_EVE, config=CONFIG, now=utc(CHRISTMAS_EVE, 10))
    dispatch(store, HOST, config=CONFIG, now=utc(dt.date(2025, 12, 25), 9), channels=chans, render=plain_render)
    assert deferrals(store) == [
        "25 December 2025, 26 December 2025 are public holidays in ES-CT; waits until 2025-12-27T07:00:00+00:00 UTC"
    ]
    assert dispatch(
        store, HOST, config=CONFIG, now=utc(dt.date(2025, 12, 26), 9), channels=chans, render=plain_render
    ).outcomes == {"waiting": 1}
    assert dispatch(
        store, HOST, config=CONFIG, now=utc(dt.date(2025, 12, 27), 7), channels=chans, render=plain_render
    ).outcomes == {"sent": 1}


def test_the_holiday_is_the_debtors_local_date(store: SQLiteStore) -> None:
    # 24 Dec 23:30 UTC is already 25 Dec 00:30 in Madrid: Christmas Day there
    ledger(store)
    chans = recorders()
    run_ladder(store, CHRISTMAS_EVE, config=CONFIG, now=utc(CHRISTMAS_EVE, 10))
    dispatch(store, HOST, config=CONFIG, now=utc(CHRISTMAS_EVE, 23, 30), channels=chans, render=plain_render)
    assert deferrals(store) == [
        "outside the contact window in Europe/Madrid; 25 December 2025 is a public holiday in ES-MD; "
        "waits until 2025-12-26T07:00:00+00:00 UTC"
    ]


def test_with_the_guardrail_off_a_holiday_is_an_ordinary_day(store: SQLiteStore) -> None:
    ledger(store)
    chans = recorders()
    config = attrs.evolve(CONFIG, guardrails=attrs.evolve(CONFIG.guardrails, no_contact_on_holidays=False))
    run_ladder(store, CHRISTMAS_EVE, config=config, now=utc(CHRISTMAS_EVE, 10))
    result = dispatch(
        store, HOST, config=config, now=utc(dt.date(2025, 12, 25), 9), channels=chans, render=plain_render
    )
    assert result.outcomes == {"sent": 1}


@pytest.mark.parametrize("holidays_on", [True, False])
def test_letters_are_not_windowed(store: SQLiteStore, holidays_on: bool) -> None:
    # due 24 Nov: the ultimatum letter (+30) is decided on 24 Dec; the dispatcher runs on
    # Christmas Day and the letter goes out (the post is not a contact window)
    ledger(store, due=dt.date(2025, 11, 24))
    config = attrs.evolve(CONFIG, guardrails=attrs.evolve(CONFIG.guardrails, no_contact_on_holidays=holidays_on))
    chans = recorders()
    day = dt.date(2025, 11, 17)
    while day < CHRISTMAS_EVE:
        run_ladder(store, day, config=config, now=utc(day, 10))
        dispatch(store, HOST, config=config, now=utc(day, 10), channels=chans, render=plain_render)
        day += dt.timedelta(days=1)
    run_ladder(store, CHRISTMAS_EVE, config=config, now=utc(CHRISTMAS_EVE, 21, 30))
    planned = [r for r in jr.iter_outbox(store, "default") if r.status == "planned"]
    assert [(r.stage, r.channel) for r in planned] == [("ultimatum", "letter")]
    result = dispatch(
        store, HOST, config=config, now=utc(dt.date(2025, 12, 25), 9), channels=chans, render=plain_render
    )
    assert result.outcomes == {"sent": 1} and [m.stage for m in chans["letter"].sent] == ["ultimatum"]
