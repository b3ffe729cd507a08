"""What the dispatcher sends when it finally runs: the latest step only, one contact per
debtor and dispatch, and notices whose interest regime cannot compensate in the debt's
currency — on a real SQLite store, with the real templates where the wording matters."""

import datetime as dt

import attrs
import pytest

from cobrokit.channel import Message
from cobrokit.dispatch import ONE_CONTACT, build_notice, dispatch
from cobrokit.engine import run_ladder
from cobrokit.errors import CurrencyMismatchError
from cobrokit.ladder.config import default_config
from cobrokit.model import Address, Debtor
from cobrokit.notice import Notice
from cobrokit.plugins import get_plugin_host
from cobrokit.store import journal as jr
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import make_invoice, recorders

CONFIG = default_config()
NO_GAP = attrs.evolve(CONFIG, guardrails=attrs.evolve(CONFIG.guardrails, min_gap_days=0))
"""The run's minimum gap between contacts keeps a debtor's currencies apart; without it the
run plans the "oops" of each currency on the same day, and only the dispatcher keeps them apart."""
DUE = dt.date(2026, 3, 2)  # a Monday; no Spanish or English holiday between 23 Feb and 1 Apr 2026


def at(offset: int, hour: int = 10) -> tuple[dt.date, dt.datetime]:
    day = DUE + dt.timedelta(days=offset)
    return day, dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def plain_render(notice: Notice, channel: str) -> Message:
    return Message(
        key=notice.key,
        tenant=notice.tenant,
        debtor_id=notice.debtor.id,
        stage=notice.stage,
        channel=channel,
        recipient=notice.debtor.emails[0] if notice.debtor.emails else "",
        subject=f"{notice.stage} {notice.total_due}",
        text=str(notice.total_due),
    )


def _debtor(country: str, locale: str, timezone: str) -> Debtor:
    return Debtor(
        id="D1",
        name="Talleres Ruiz SL",
        emails=("cuentas@ruiz.example",),
        phones=("+34600000001",),
        address=Address(lines=("Calle Mayor 1",), city="Madrid", postal_code="28013", country=country),
        locale=locale,
        timezone=timezone,
        country=country,
    )


@pytest.fixture
def ledger(store: SQLiteStore) -> SQLiteStore:
    store.save(
        debtors=[_debtor("ES", "es_ES", "Europe/Madrid")],
        invoices=[make_invoice("F1", "D1", "1210.00", issue="2026-01-31", due=DUE.isoformat())],
    )
    return store


def _journal(store: SQLiteStore, kind: str) -> list[jr.JournalRow]:
    return [j for j in jr.iter_journal(store, "default") if j.kind == kind]


def _statuses(store: SQLiteStore) -> dict[str, str]:
    return {row.stage: row.status for row in jr.iter_outbox(store, "default") if row.kind == "notice"}


# -- 2. notices pile up when dispatch has not run ----------------------------------------------


def test_after_a_month_without_dispatch_only_the_latest_step_goes(ledger: SQLiteStore) -> None:
    """The audit's scenario: the ladder ran daily from −8 to +30, the dispatcher never ran.
    One dispatch on +30 sends the ultimatum only: the courtesy ("due on 2 March") is
    superseded because its due date passed, oops / what's wrong / penalty warning because a
    later step of the same cycle replaces them."""
    host = get_plugin_host(autoload=False)
    chans = recorders()
    for offset in range(-8, 31):
        day, now = at(offset)
        run_ladder(ledger, day, config=CONFIG, now=now)
    assert _statuses(ledger) == dict.fromkeys(
        ("courtesy", "oops", "whats_wrong", "penalty_warning", "ultimatum"), "planned"
    )
    result = dispatch(ledger, host, config=CONFIG, now=at(30)[1], channels=chans, render=plain_render)
    assert result.outcomes == {"superseded": 4, "sent": 1}
    sent = [m for chan in chans.values() for m in chan.sent]
    assert [(m.stage, m.channel) for m in sent] == [("ultimatum", "letter")]
    assert _statuses(ledger) == {
        "courtesy": "superseded",
        "oops": "superseded",
        "whats_wrong": "superseded",
        "penalty_warning": "superseded",
        "ultimatum": "sent",
    }
    reasons = {j.stage: j.reason for j in _journal(ledger, "superseded")}
    assert reasons["courtesy"] == "the due date passed before it went out (due on 2 March 2026)"
    for stage in ("oops", "whats_wrong", "penalty_warning"):
        assert reasons[stage] == "a later step replaces it (ultimatum planned on 2026-04-01)"
    # the ultimatum went out: its fee (the only fee of the default ladder, EUR 15) stays owed
    assert ledger.conn.execute("SELECT stage, amount_minor, voided_on FROM fee").fetchall() == [("ultimatum", 1500, "")]
    assert _journal(ledger, "fee_voided") == []


def test_a_superseded_step_with_a_fee_has_its_fee_voided(ledger: SQLiteStore) -> None:
    """The ultimatum (fee EUR 15) planned on +30 and never sent; on +45 the suspension is
    planned and dispatched: the ultimatum is superseded and its fee voided (a fee is owed
    only for a notice that went out)."""
    host = get_plugin_host(autoload=False)
    chans = recorders()
    for offset in range(-8, 30):  # dispatched daily up to +29: the earlier steps went out
        day, now = at(offset)
        run_ladder(ledger, day, config=CONFIG, now=now)
        dispatch(ledger, host, config=CONFIG, now=now, channels=chans, render=plain_render)
    for offset in range(30, 46):  # then the dispatcher stops
        day, now = at(offset)
        run_ladder(ledger, day, config=CONFIG, now=now)
    assert _statuses(ledger)["ultimatum"] == "planned" and _statuses(ledger)["suspension"] == "planned"
    chans = recorders()
    result = dispatch(ledger, host, config=CONFIG, now=at(45)[1], channels=chans, render=plain_render)
    assert [m.stage for m in chans["letter"].sent + chans["email"].sent] == ["suspension"]
    assert result.outcomes["superseded"] == 1
    assert _statuses(ledger)["ultimatum"] == "superseded"
    [voided] = _journal(ledger, "fee_voided")
    assert voided.stage == "ultimatum" and "superseded" in voided.reason
    [(voided_on,)] = ledger.conn.execute("SELECT voided_on FROM fee WHERE stage = 'ultimatum'").fetchall()
    assert voided_on == at(45)[0].isoformat()


@pytest.mark.parametrize(
    ("now", "outcome"),
    [
        (dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC), "sent"),  # on the due date: "due today" still goes
        # 2 March 23:30 UTC is 3 March 00:30 in Madrid: the debtor's date is past the due date
        (dt.datetime(2026, 3, 2, 23, 30, tzinfo=dt.UTC), "superseded"),
    ],
)
def test_a_reminder_before_the_due_date_goes_until_the_due_date(
    ledger: SQLiteStore, now: dt.datetime, outcome: str
) -> None:
    """The courtesy reminder is planned on −7 ("due on 2 March"); the dispatcher next runs on
    the due date: during it the reminder goes, once the debtor's day is over it does not."""
    host = get_plugin_host(autoload=False)
    run_ladder(ledger, at(-7)[0], config=CONFIG, now=at(-7)[1])
    [row] = jr.iter_outbox(ledger, "default")
    assert row.cycle == "EUR-pre-2026-03-02"
    chans = recorders()
    # 23:30 UTC is outside the contact window too: a row that is not stale would wait ("waiting")
    result = dispatch(ledger, host, config=CONFIG, now=now, channels=chans, render=plain_render)
    assert result.outcomes == {outcome: 1}
    assert len(chans["email"].sent) == (1 if outcome == "sent" else 0)
    if outcome == "superseded":
        [journaled] = _journal(ledger, "superseded")
        assert journaled.reason == "the due date passed before it went out (due on 2 March 2026)"


def test_one_notice_per_debtor_per_dispatch(store: SQLiteStore) -> None:
    """A debtor owing in EUR and in USD gets the "oops" of both currencies planned on the same
    day (no minimum gap in the run): one dispatch sends one of them; the other is deferred ("one contact a day",
    journaled once) and goes with the next dispatch."""
    host = get_plugin_host(autoload=False)
    store.save(
        debtors=[_debtor("ES", "es_ES", "Europe/Madrid")],
        invoices=[
            make_invoice("F1", "D1", "100.00", issue="2026-01-31", due=DUE.isoformat()),
            make_invoice("U1", "D1", "100.00", currency="USD", issue="2026-01-31", due=DUE.isoformat()),
        ],
    )
    run_ladder(store, at(1)[0], config=NO_GAP, now=at(1)[1])
    planned = [r for r in jr.iter_outbox(store, "default") if r.kind == "notice"]
    assert sorted(r.cycle for r in planned) == ["EUR1", "USD1"]
    chans = recorders()
    first = dispatch(store, host, config=CONFIG, now=at(1)[1], channels=chans, render=plain_render)
    assert first.outcomes == {"sent": 1, "deferred": 1}
    [(deferred_key, _)] = [(k, s) for k, s in first.keys if s == "deferred"]
    again = dispatch(store, host, config=CONFIG, now=at(1, 11)[1], channels=chans, render=plain_render)
    assert again.keys == ((deferred_key, "sent"),)
    assert len(chans["email"].sent) == 2
    [journaled] = _journal(store, "deferred")
    assert journaled.key == deferred_key and journaled.reason == ONE_CONTACT


def test_a_deferred_notice_is_journaled_once_however_many_dispatches(store: SQLiteStore) -> None:
    """While the debtor keeps getting one notice per dispatch, a waiting row is journaled
    ``deferred`` once, not on every dispatch."""
    host = get_plugin_host(autoload=False)
    store.save(
        debtors=[_debtor("ES", "es_ES", "Europe/Madrid")],
        invoices=[
            make_invoice("F1", "D1", "100.00", issue="2026-01-31", due=DUE.isoformat()),
            make_invoice("U1", "D1", "100.00", currency="USD", issue="2026-01-31", due=DUE.isoformat()),
            make_invoice("G1", "D1", "100.00", currency="GBP", issue="2026-01-31", due=DUE.isoformat()),
        ],
    )
    run_ladder(store, at(1)[0], config=NO_GAP, now=at(1)[1])
    chans = recorders()
    outcomes = [
        dispatch(store, host, config=CONFIG, now=at(1, hour)[1], channels=chans, render=plain_render).outcomes
        for hour in (10, 11, 12)
    ]
    assert outcomes == [{"sent": 1, "deferred": 2}, {"sent": 1, "deferred": 1}, {"sent": 1}]
    deferred = _journal(store, "deferred")
    assert sorted(j.cycle for j in deferred) == ["GBP1", "USD1"]  # the third row once, not twice


# -- 1. a currency the regime cannot compensate in ---------------------------------------------


@pytest.mark.parametrize(
    ("country", "locale", "timezone", "currency", "interest", "total"),
    [
        # es-commercial, 2026-H1 rate 10.15 %, ACT/ACT: 1210 × 10.15 % × 30 / 365 = 10.0944… → 10.09;
        # the fixed EUR 40 of Ley 3/2004 art. 8 cannot be claimed on a USD debt; the ultimatum's
        # fee is in EUR, so none is charged on the USD cycle: 1210 + 10.09 = 1220.09
        ("ES", "es_ES", "Europe/Madrid", "USD", "10,09\xa0US$", "1.220,09\xa0US$"),
        # uk-late-payment, base rate 3.75 + 8 = 11.75 % fixed, ACT/365: 1210 × 11.75 % × 30 / 365
        # = 11.6856… → 11.69; GBP 40 cannot be claimed on a EUR debt; fee EUR 15: 1210 + 11.69 + 15
        ("GB", "en_GB", "Europe/London", "EUR", "€11.69", "€1,236.69"),
    ],
)
def test_a_debt_in_another_currency_than_the_compensation_gets_its_notices_with_interest(
    store: SQLiteStore, country: str, locale: str, timezone: str, currency: str, interest: str, total: str
) -> None:
    """Run daily −8 … +30 with the dispatcher and the real templates: the penalty warning and
    the ultimatum go out with the interest and without the fixed compensation (journaled
    ``compensation_omitted``), never ``render_failed``."""
    host = get_plugin_host(autoload=False)
    store.save(
        debtors=[_debtor(country, locale, timezone)],
        invoices=[make_invoice("F1", "D1", "1210.00", currency=currency, issue="2026-01-31", due=DUE.isoformat())],
    )
    chans = recorders()
    for offset in range(-8, 31):
        day, now = at(offset)
        run_ladder(store, day, config=CONFIG, now=now)
        dispatch(store, host, config=CONFIG, now=now, channels=chans)
    statuses = _statuses(store)
    assert statuses["penalty_warning"] == "sent" and statuses["ultimatum"] == "sent"
    assert _journal(store, "render_failed") == []
    [ultimatum] = chans["letter"].sent
    assert ultimatum.stage == "ultimatum"
    assert interest in ultimatum.text and total in ultimatum.text
    compensation_words = ("Indemnización", "indemnización") if locale.startswith("es") else ("compensation",)
    assert not any(word in ultimatum.text for word in compensation_words)  # neither claimed nor cited
    assert ultimatum.metadata["figures"]["compensation"] == {"amount": "0.00", "currency": currency}
    omitted = _journal(store, "compensation_omitted")
    assert [j.stage for j in omitted] == ["penalty_warning", "ultimatum"]
    assert all(f"the debt is in {currency}" in j.reason for j in omitted)
    assert _journal(store, "interest_omitted") == []


def test_a_currency_the_interest_cannot_be_computed_in_leaves_the_section_out(
    ledger: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any other currency error of the interest computation leaves the interest section out,
    like a missing rate (``interest_omitted`` with the reason): principal and fees go out."""
    for offset in range(-8, 23):
        day, now = at(offset)
        run_ladder(ledger, day, config=CONFIG, now=now)
    [row] = [r for r in jr.iter_outbox(ledger, "default") if r.stage == "penalty_warning"]

    def refuse(*args: object, **kwargs: object) -> None:
        raise CurrencyMismatchError("interest", "principal", "a regime for EUR debts only")

    monkeypatch.setattr("cobrokit.dispatch.invoice_interest", refuse)
    omitted: list[str] = []
    notice = build_notice(ledger, row, CONFIG, omitted=omitted)
    assert notice.interest is None and str(notice.principal.amount) == "1210.00"
    assert omitted == [
        "interest: principal: a regime for EUR debts only: the notice goes out without the interest section"
    ]
