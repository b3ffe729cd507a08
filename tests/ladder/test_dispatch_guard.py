"""What the dispatcher checks and records when a notice goes out, on a real SQLite file:
a missing statutory rate does not block a notice; a notice never sent carries no fee; a
debtor's flags and invoice disputes set after the decision stop or trim the notice; call
tasks wait for a weekday; status changes commit with their journal lines; an effect no
plugin carried out is ``recorded``; the agency's and the lawyer's case files both exist;
the quiet calendar."""

import datetime as dt
import importlib
import json
import logging
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from cobrokit.builtin.handoff import dossier_path
from cobrokit.calendar import calendar_for, has_holiday_data
from cobrokit.casework import set_dispute, set_hold
from cobrokit.channel import DeliveryStatus, Message
from cobrokit.dispatch import build_notice, dispatch
from cobrokit.engine import run_ladder
from cobrokit.errors import CobrokitError
from cobrokit.interest import get_regime
from cobrokit.interest.errors import MissingRateError
from cobrokit.ladder.config import Config, default_config
from cobrokit.model import Address, Allocation, Debtor, Payment
from cobrokit.money import Money
from cobrokit.notice import Notice
from cobrokit.plugins import get_plugin_host, hookimpl
from cobrokit.plugins.manager import PluginHost
from cobrokit.store import journal as jr
from cobrokit.store.interest import invoice_interest
from cobrokit.store.plans import current_cycle_fees
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import Recorder, make_invoice, recorders

dispatch_module = importlib.import_module("cobrokit.dispatch")  # the module (cobrokit.dispatch is also a function)
CONFIG = default_config()
HOST = get_plugin_host(autoload=False)
DUE = dt.date(2026, 3, 2)  # a Monday; every figure of the first half of 2026 has a published rate


def utc(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=dt.UTC)


def plain_render(notice: Notice, channel: str) -> Message:
    return Message(
        key=notice.key,
        tenant=notice.tenant,
        debtor_id=notice.debtor.id,
        stage=notice.stage,
        channel=channel,
        recipient=notice.debtor.emails[0],
        subject=f"{notice.stage} {notice.total_due}",
        text=str(notice.total_due),
    )


def ledger(store: SQLiteStore, due: dt.date = DUE, *amounts: str) -> SQLiteStore:
    """One Spanish debtor in Madrid (region MD) with invoices F1, F2… due on *due*."""
    debtor = Debtor(
        id="D1",
        name="Talleres Ruiz SL",
        emails=("cuentas@ruiz.example",),
        phones=("+34600000001",),
        address=Address(lines=("Calle Mayor 1",), city="Madrid", postal_code="28013", region="MD", country="ES"),
        locale="es_ES",
        timezone="Europe/Madrid",
        country="ES",
    )
    issue = (due - dt.timedelta(days=30)).isoformat()
    invoices = [
        make_invoice(f"F{n}", "D1", amount, issue=issue, due=due.isoformat())
        for n, amount in enumerate(amounts or ("1210.00",), start=1)
    ]
    store.save(debtors=[debtor], invoices=invoices)
    return store


def days(due: dt.date, first: int, last: int) -> list[dt.date]:
    return [due + dt.timedelta(days=n) for n in range(first, last + 1)]


def run_and_send(
    store: SQLiteStore,
    dates: list[dt.date],
    *,
    config: Config = CONFIG,
    host: PluginHost = HOST,
    chans: dict[str, Recorder] | None = None,
    render: Any = plain_render,
) -> dict[str, Recorder]:
    """Run the ladder and dispatch once a day at 10:00 UTC (11:00 or 12:00 in Madrid)."""
    chans = chans if chans is not None else recorders()
    for day in dates:
        run_ladder(store, day, config=config, now=utc(day))
        dispatch(store, host, config=config, now=utc(day), channels=chans, render=render)  # type: ignore[arg-type]
    return chans


def journal(store: SQLiteStore, kind: str) -> list[jr.JournalRow]:
    return [r for r in jr.iter_journal(store, "default") if r.kind == kind]


def outbox(store: SQLiteStore, stage: str, channel: str) -> jr.OutboxRow:
    (row,) = [r for r in jr.iter_outbox(store, "default") if r.stage == stage and r.channel == channel]
    return row


def pay(store: SQLiteStore, day: dt.date, amount: str, invoice: str = "F1") -> None:
    store.save(
        payments=[
            Payment(
                id=f"P-{day}-{invoice}",
                debtor_id="D1",
                date=day,
                amount=Money(amount, "EUR"),
                allocations=(Allocation(invoice, Money(amount, "EUR")),),
            )
        ]
    )


# -- 1. a missing statutory rate leaves the interest out; the notice goes out ---------------------

H2_DUE = dt.date(2026, 6, 15)
"""Interest from 16 June 2026 runs into 2026-H2, whose Spanish rate the tables mark unverified."""


def test_a_missing_rate_leaves_the_interest_out_and_the_notice_goes_out(store: SQLiteStore) -> None:
    ledger(store, H2_DUE)
    chans = run_and_send(store, days(H2_DUE, -7, 30), render=None)  # the real templates
    # penalty warning at +22 (7 July 2026), ultimatum letter at +30 (15 July 2026): both went out
    assert outbox(store, "penalty_warning", "email").status == "sent"
    assert outbox(store, "ultimatum", "letter").status == "sent"
    assert [m.stage for m in chans["letter"].sent] == ["ultimatum"]
    assert not [r for r in jr.iter_outbox(store, "default") if r.status == "render_failed"]
    # the letter asks for the principal, the stage's fee and the fixed compensation (it needs
    # no rate), without interest: 1,210.00 open + 15.00 ultimatum fee + 40.00 = 1,265.00
    (letter,) = chans["letter"].sent
    assert "pago de 1.265,00\xa0€" in letter.text  # amounts are formatted with a no-break space
    # the journal says why, with the interest engine's own message (how to supply the rate)
    invoice = store.get_invoice("default", "F1")
    assert invoice is not None
    expected = {}
    for stage in ("penalty_warning", "ultimatum"):
        as_of = dt.date.fromisoformat(outbox(store, stage, "email" if stage == "penalty_warning" else "letter").as_of)
        with pytest.raises(MissingRateError) as missing:
            invoice_interest(store, get_regime("es-commercial"), invoice, as_of)
        expected[stage] = str(missing.value)
    omitted = journal(store, "interest_omitted")
    assert [(r.stage, r.reason) for r in omitted] == list(expected.items())
    assert "2026-H2" in omitted[0].reason and "in cobrokit.toml" in omitted[0].reason
    assert {e.status for e in jr.journal_entries(store, "default") if e.kind == "interest_omitted"} == {"omitted"}


def test_only_the_interest_is_left_out_the_compensation_stays(store: SQLiteStore) -> None:
    ledger(store, H2_DUE)
    for day in days(H2_DUE, -7, 30):
        run_ladder(store, day, config=CONFIG, now=utc(day))
    row = outbox(store, "ultimatum", "letter")
    omitted: list[str] = []
    without = build_notice(store, row, CONFIG, omitted=omitted)
    assert without.interest is not None and len(omitted) == 1 and "2026-H2" in omitted[0]
    assert without.interest.interest.is_zero() and without.interest.segments == ()
    assert without.interest.compensation == Money("40.00", "EUR")  # EUR 40 per invoice, Ley 3/2004 art. 8
    # with the rate supplied in the configuration, the same notice carries interest
    rates = {"es-commercial": {"2026-H2": Decimal("10.40")}}
    supplied = attrs.evolve(CONFIG, interest_rates=rates)
    nothing: list[str] = []
    full = build_notice(store, row, supplied, omitted=nothing)
    assert full.interest is not None and full.interest.interest.amount > 0 and nothing == []
    # principal and fees are the same either way
    assert (without.principal, without.fees) == (full.principal, full.fees)
    assert (without.principal, without.fees) == (Money("1210.00", "EUR"), Money("15.00", "EUR"))


def test_other_interest_errors_still_fail_the_render(store: SQLiteStore) -> None:
    ledger(store, H2_DUE)
    run_and_send(store, days(H2_DUE, -7, 29))
    day = H2_DUE + dt.timedelta(days=30)
    run_ladder(store, day, config=CONFIG, now=utc(day))
    row = outbox(store, "ultimatum", "letter")
    with store.transaction() as conn:  # a regime that is not installed (a plugin removed since the decision)
        payload = {**row.payload_data, "interest_regime": "xx-removed"}
        conn.execute("UPDATE outbox SET payload = ? WHERE key = ?", (json.dumps(payload), row.key))
    with pytest.raises(CobrokitError, match="'xx-removed' is not installed"):
        build_notice(store, outbox(store, "ultimatum", "letter"), CONFIG, omitted=[])
    result = dispatch(store, HOST, config=CONFIG, now=utc(day), channels=recorders(), render=plain_render)
    assert result.outcomes == {"render_failed": 1}
    assert outbox(store, "ultimatum", "letter").status == "render_failed"
    assert [r.stage for r in journal(store, "interest_omitted")] == ["penalty_warning"]


# -- 2. a notice not sent carries no fee -----------------------------------------------------------


def _until_the_ultimatum_is_decided(store: SQLiteStore) -> tuple[dt.date, dt.datetime]:
    run_and_send(store, days(DUE, -7, 29))
    day = DUE + dt.timedelta(days=30)
    run_ladder(store, day, config=CONFIG, now=utc(day))  # the ultimatum and its EUR 15.00 fee
    assert current_cycle_fees(store, "default", "D1", "EUR", day) == Money("15.00", "EUR")
    return day, utc(day)


def broken(notice: Notice, channel: str) -> Message:
    raise CobrokitError(f"template {notice.stage}/es/{channel}: 'total' is undefined")


def test_a_notice_that_fails_to_render_voids_its_fee(store: SQLiteStore) -> None:
    ledger(store)
    day, now = _until_the_ultimatum_is_decided(store)
    result = dispatch(store, HOST, config=CONFIG, now=now, channels=recorders(), render=broken)
    assert result.outcomes == {"render_failed": 1}
    assert outbox(store, "ultimatum", "letter").status == "render_failed"
    assert current_cycle_fees(store, "default", "D1", "EUR", day) == Money("0.00", "EUR")
    assert [
        (r.kind, r.stage) for r in jr.iter_journal(store, "default") if r.kind in ("render_failed", "fee_voided")
    ] == [
        ("render_failed", "ultimatum"),
        ("fee_voided", "ultimatum"),
    ]
    fee = [e for e in jr.journal_entries(store, "default") if e.kind == "fee"]
    assert [(e.stage, e.status) for e in fee] == [("ultimatum", "voided")]


def test_the_render_failure_and_the_voided_fee_commit_together(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger(store)
    day, now = _until_the_ultimatum_is_decided(store)
    real = dispatch_module._journal

    def dies_on_fee(store: SQLiteStore, row: jr.OutboxRow, kind: str, *args: Any, **kwargs: Any) -> None:
        if kind == "fee_voided":
            raise RuntimeError("killed between two writes")
        real(store, row, kind, *args, **kwargs)

    monkeypatch.setattr(dispatch_module, "_journal", dies_on_fee)
    with pytest.raises(RuntimeError):
        dispatch(store, HOST, config=CONFIG, now=now, channels=recorders(), render=broken)
    # nothing of it is recorded: the row is still planned, the fee still owed, no journal line
    assert outbox(store, "ultimatum", "letter").status == "planned"
    assert current_cycle_fees(store, "default", "D1", "EUR", day) == Money("15.00", "EUR")
    assert journal(store, "render_failed") == []


def test_a_notice_that_may_have_gone_out_keeps_its_fee(store: SQLiteStore) -> None:
    ledger(store)
    day, now = _until_the_ultimatum_is_decided(store)
    with store.transaction() as conn:  # a kill -9 while the letter was being sent
        conn.execute("UPDATE outbox SET status = 'sending', attempts = 1 WHERE stage = 'ultimatum'")
    result = dispatch(store, HOST, config=CONFIG, now=now, channels=recorders(), render=broken)
    assert result.outcomes == {"render_failed": 1}
    # the first attempt may have reached the debtor: the fee stays
    assert current_cycle_fees(store, "default", "D1", "EUR", day) == Money("15.00", "EUR")
    assert journal(store, "fee_voided") == []


# -- 3. the debtor's flags and the invoices' disputes, as they are at send time --------------------


@pytest.mark.parametrize(
    ("flag", "why"),
    [
        ("cease_contact", "the debtor asked not to be contacted (cease_contact)"),
        ("insolvent", "the debtor is insolvent (insolvency proceedings): individual collection must stop"),
        ("hold", "the debtor is on hold"),
    ],
)
def test_a_flag_set_after_the_decision_refuses_the_notice(store: SQLiteStore, flag: str, why: str) -> None:
    ledger(store)
    chans = recorders()
    day = DUE + dt.timedelta(days=1)
    run_ladder(store, day, config=CONFIG, now=utc(day, 6))  # "oops" decided early in the morning
    store.set_flag("debtor", "default", "D1", flag, True)  # the client calls before it goes out
    result = dispatch(store, HOST, config=CONFIG, now=utc(day), channels=chans, render=plain_render)
    assert result.outcomes == {"refused": 1}
    assert all(c.sent == [] for c in chans.values())
    row = outbox(store, "oops", "email")
    assert (row.status, row.detail) == ("refused", why)
    (refused,) = journal(store, "refused")
    assert (refused.stage, refused.key, refused.reason) == ("oops", row.key, why)
    # refused rows are never retried, and the ladder itself pauses on its next run
    assert dispatch(store, HOST, config=CONFIG, now=utc(day, 12), channels=chans, render=plain_render).outcomes == {}
    later = DUE + dt.timedelta(days=16)
    assert run_ladder(store, later, config=CONFIG, now=utc(later)).planned == ()


def _thank_you_decided(store: SQLiteStore) -> dt.date:
    run_and_send(store, days(DUE, -7, 1))
    pay(store, DUE + dt.timedelta(days=2), "1210.00")
    for day in days(DUE, 2, 10):
        run_ladder(store, day, config=CONFIG, now=utc(day, 6))
        if any(r.stage == "thank_you" for r in jr.iter_outbox(store, "default")):
            return day
    raise AssertionError("no thank-you was decided")


def test_a_thank_you_still_goes_to_a_debtor_on_hold(store: SQLiteStore) -> None:
    ledger(store)
    day = _thank_you_decided(store)
    store.set_flag("debtor", "default", "D1", "hold", True)
    chans = recorders()
    result = dispatch(store, HOST, config=CONFIG, now=utc(day), channels=chans, render=plain_render)
    assert result.outcomes == {"sent": 1} and [m.stage for m in chans["email"].sent] == ["thank_you"]


@pytest.mark.parametrize("flag", ["cease_contact", "insolvent"])
def test_no_thank_you_to_a_debtor_who_may_not_be_contacted(store: SQLiteStore, flag: str) -> None:
    ledger(store)
    day = _thank_you_decided(store)
    store.set_flag("debtor", "default", "D1", flag, True)
    chans = recorders()
    result = dispatch(store, HOST, config=CONFIG, now=utc(day), channels=chans, render=plain_render)
    assert result.outcomes == {"refused": 1} and chans["email"].sent == []
    assert outbox(store, "thank_you", "email").status == "refused"


def collecting() -> tuple[list[Notice], Any]:
    seen: list[Notice] = []

    def render(notice: Notice, channel: str) -> Message:
        seen.append(notice)
        return plain_render(notice, channel)

    return seen, render


def test_an_invoice_disputed_after_the_decision_is_left_out(store: SQLiteStore) -> None:
    ledger(store, DUE, "1210.00", "300.00")
    day = DUE + dt.timedelta(days=1)
    run_ladder(store, day, config=CONFIG, now=utc(day, 6))
    assert [i for i, _ in outbox(store, "oops", "email").payload_data["invoices"]] == ["F1", "F2"]
    set_dispute(store, "F2", True, reason="goods arrived damaged", on=day, now=utc(day, 7))
    seen, render = collecting()
    chans = recorders()
    assert dispatch(store, HOST, config=CONFIG, now=utc(day), channels=chans, render=render).outcomes == {"sent": 1}
    (notice,) = seen
    # only F1 is asked for: 1,210.00 (F2's 300.00 is disputed)
    assert [line.invoice_id for line in notice.lines] == ["F1"]
    assert notice.principal == Money("1210.00", "EUR")
    (left,) = journal(store, "invoices_left_out")
    assert left.reason == "invoice F2 disputed: left out of the notice"
    assert json.loads(left.detail) == {"invoices": ["F2"]}


def test_an_invoice_put_on_hold_is_left_out_and_none_left_refuses(store: SQLiteStore) -> None:
    ledger(store, DUE, "1210.00", "300.00")
    day = DUE + dt.timedelta(days=1)
    run_ladder(store, day, config=CONFIG, now=utc(day, 6))
    set_hold(store, invoice_id="F1", hold=True, reason="credit note pending", on=day, now=utc(day, 7))
    set_dispute(store, "F2", True, reason="never delivered", on=day, now=utc(day, 7))
    chans = recorders()
    result = dispatch(store, HOST, config=CONFIG, now=utc(day), channels=chans, render=plain_render)
    assert result.outcomes == {"refused": 1} and chans["email"].sent == []
    why = "every invoice of the notice is now disputed or on hold (F1 on hold, F2 disputed)"
    assert outbox(store, "oops", "email").detail == why
    assert [r.reason for r in journal(store, "refused")] == [why]


def test_a_refused_notice_carries_no_fee(store: SQLiteStore) -> None:
    ledger(store)
    day, now = _until_the_ultimatum_is_decided(store)
    store.set_flag("debtor", "default", "D1", "insolvent", True)
    result = dispatch(store, HOST, config=CONFIG, now=now, channels=recorders(), render=plain_render)
    assert result.outcomes == {"refused": 1}
    assert current_cycle_fees(store, "default", "D1", "EUR", day) == Money("0.00", "EUR")
    assert [r.reason for r in journal(store, "fee_voided")] == ["the notice was refused: its fee is not charged"]


# -- 4. no calls on weekends -----------------------------------------------------------------------


def test_a_call_task_decided_on_a_saturday_waits_for_monday(store: SQLiteStore) -> None:
    due = dt.date(2026, 3, 6)  # a Friday: "what's wrong?" (+15, a call first) falls on Saturday 21 March
    ledger(store, due)
    saturday = due + dt.timedelta(days=15)
    assert saturday.weekday() == 5
    run_ladder(store, saturday, config=CONFIG, now=utc(saturday))
    row = outbox(store, "whats_wrong", "call")
    chans = recorders()
    # 10:00 UTC is 11:00 in Madrid (CET): inside the window, but a Saturday. Monday 23 March
    # 08:00 in Madrid is 07:00 UTC (summer time starts on 29 March)
    assert dispatch(store, HOST, config=CONFIG, now=utc(saturday), channels=chans, render=plain_render).outcomes == {
        "waiting": 1
    }
    assert outbox(store, "whats_wrong", "call").not_before == "2026-03-23T07:00:00+00:00"
    assert [r.reason for r in journal(store, "deferred") if r.key == row.key] == [
        "Saturday 21 March 2026, Sunday 22 March 2026: no calls on weekends; waits until 2026-03-23T07:00:00+00:00 UTC"
    ]
    sunday = saturday + dt.timedelta(days=1)
    assert dispatch(store, HOST, config=CONFIG, now=utc(sunday), channels=chans, render=plain_render).outcomes == {
        "waiting": 1
    }
    monday = dt.datetime(2026, 3, 23, 7, tzinfo=dt.UTC)
    assert dispatch(store, HOST, config=CONFIG, now=monday, channels=chans, render=plain_render).outcomes == {"sent": 1}
    assert [m.stage for m in chans["call"].sent] == ["whats_wrong"]


def test_a_call_waits_over_holidays_and_the_weekend_after_them(store: SQLiteStore) -> None:
    due = dt.date(2026, 3, 17)  # "what's wrong?" on Wednesday 1 April 2026
    ledger(store, due)
    wednesday = due + dt.timedelta(days=15)
    run_ladder(store, wednesday, config=CONFIG, now=utc(wednesday))
    chans = recorders()
    # 19:30 UTC is 21:30 in Madrid (CEST, UTC+2): after the window. Thursday 2 and Friday 3
    # April are Holy Thursday and Good Friday in Madrid, then the weekend: Monday 6 April
    # 08:00 in Madrid = 06:00 UTC
    late = utc(wednesday, 19, 30)
    assert dispatch(store, HOST, config=CONFIG, now=late, channels=chans, render=plain_render).outcomes == {
        "waiting": 1
    }
    assert [r.reason for r in journal(store, "deferred") if r.key] == [
        "outside the contact window in Europe/Madrid; 2 April 2026, 3 April 2026 are public holidays in ES-MD; "
        "Saturday 4 April 2026, Sunday 5 April 2026: no calls on weekends; waits until 2026-04-06T06:00:00+00:00 UTC"
    ]


def test_emails_and_letters_still_go_out_on_weekends(store: SQLiteStore) -> None:
    due = dt.date(2026, 3, 20)  # a Friday: "oops" (+1, an email) on Saturday 21 March
    ledger(store, due)
    saturday = due + dt.timedelta(days=1)
    chans = run_and_send(store, [saturday])
    assert [m.stage for m in chans["email"].sent] == ["oops"]
    assert journal(store, "deferred") == []


# -- 5. a status change commits with its journal lines ---------------------------------------------


def test_a_permanent_failure_and_its_fallback_commit_together(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger(store)
    chans = recorders()
    chans["email"] = Recorder("email", DeliveryStatus.FAILED_PERMANENT)
    day = DUE + dt.timedelta(days=1)
    run_ladder(store, day, config=CONFIG, now=utc(day))

    def no_room(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("killed while planning the fallback")

    monkeypatch.setattr(dispatch_module, "_plan_fallback", no_room)
    with pytest.raises(RuntimeError):
        dispatch(store, HOST, config=CONFIG, now=utc(day), channels=chans, render=plain_render)
    # as after a crash while sending: no half-recorded failure
    assert [(r.channel, r.status) for r in jr.iter_outbox(store, "default")] == [("email", "sending")]
    assert journal(store, "delivery_failed") == []
    monkeypatch.undo()
    dispatch(store, HOST, config=CONFIG, now=utc(day, 11), channels=chans, render=plain_render)
    assert {r.channel: r.status for r in jr.iter_outbox(store, "default")} == {
        "email": "failed_permanent",
        "sms": "planned",
    }
    assert [r.kind for r in jr.iter_journal(store, "default") if r.kind in ("delivery_failed", "fallback")] == [
        "delivery_failed",
        "fallback",
    ]


def test_sent_and_delivered_commit_together(store: SQLiteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger(store)
    chans = recorders()
    day = DUE + dt.timedelta(days=1)
    run_ladder(store, day, config=CONFIG, now=utc(day))
    real = dispatch_module._journal

    def dies_on_delivered(store: SQLiteStore, row: jr.OutboxRow, kind: str, *args: Any, **kwargs: Any) -> None:
        if kind == "delivered":
            raise RuntimeError("killed between two writes")
        real(store, row, kind, *args, **kwargs)

    monkeypatch.setattr(dispatch_module, "_journal", dies_on_delivered)
    with pytest.raises(RuntimeError):
        dispatch(store, HOST, config=CONFIG, now=utc(day), channels=chans, render=plain_render)
    assert outbox(store, "oops", "email").status == "sending"  # not "sent" without its journal line
    monkeypatch.undo()
    assert dispatch(store, HOST, config=CONFIG, now=utc(day, 11), channels=chans, render=plain_render).outcomes == {
        "sent": 1
    }
    # sent again with the same idempotency key (the provider drops the repeat), recorded once
    assert [m.key for m in chans["email"].sent] == ["default/D1/oops/EUR1/email"] * 2
    assert len(journal(store, "delivered")) == 1


# -- 6. an effect nobody carried out is "recorded", not "sent" -------------------------------------


class ServiceOwner:
    @hookimpl
    def cobrokit_suspend_service(self, tenant, debtor_id, stage, cycle, payload, store, config, host):  # type: ignore[no-untyped-def]
        return f"service of {debtor_id} suspended"


def test_an_effect_no_plugin_carried_out_is_recorded(store: SQLiteStore) -> None:
    ledger(store)
    run_and_send(store, days(DUE, -7, 45))
    (row,) = [r for r in jr.iter_outbox(store, "default") if r.kind == "suspend_service"]
    assert (row.status, row.detail) == ("recorded", "no plugin carried out suspend_service; recorded only")
    (line,) = journal(store, "suspend_service")
    assert line.reason == "no plugin carried out suspend_service; recorded only"
    assert json.loads(line.detail) == {"status": "recorded"}


def test_an_effect_a_plugin_carried_out_is_sent(store: SQLiteStore) -> None:
    ledger(store)
    host = get_plugin_host(autoload=False, plugins=[("service", ServiceOwner())])
    run_and_send(store, days(DUE, -7, 44), host=host)
    day = DUE + dt.timedelta(days=45)
    run_ladder(store, day, config=CONFIG, now=utc(day))
    result = dispatch(store, host, config=CONFIG, now=utc(day), channels=recorders(), render=plain_render)
    assert result.outcomes["sent"] >= 1 and "recorded" not in result.outcomes
    (row,) = [r for r in jr.iter_outbox(store, "default") if r.kind == "suspend_service"]
    assert (row.status, row.detail) == ("sent", "service of D1 suspended")


# -- 7. the agency's and the lawyer's case files ---------------------------------------------------


def test_the_agency_and_the_lawyer_each_get_their_case_file(store: SQLiteStore, tmp_path: Path) -> None:
    ledger(store)
    folder = tmp_path / "dossiers"
    config = attrs.evolve(CONFIG, channels={**CONFIG.channels, "handoff": {"folder": str(folder)}})
    # the agency at +60 and the lawyer at +90, each moved by holidays and the minimum gap
    run_and_send(store, days(DUE, -7, 93), config=config)
    handoffs = {r.stage: r for r in jr.iter_outbox(store, "default") if r.kind == "handoff"}
    assert sorted(handoffs) == ["handoff", "legal"]
    agency = dossier_path(folder, "default", "D1", "EUR1", "agency")
    lawyer = dossier_path(folder, "default", "D1", "EUR1", "legal")
    assert agency.name.startswith("default_D1_EUR1_agency-") and agency.suffix == ".zip"
    assert lawyer.name.startswith("default_D1_EUR1_legal-") and lawyer.suffix == ".zip"
    assert sorted(p.name for p in folder.iterdir()) == [agency.name, lawyer.name]
    for path, stage in ((agency, "handoff"), (lawyer, "legal")):
        assert handoffs[stage].detail == f"case file written to {path}"
        with zipfile.ZipFile(path) as archive:
            case = json.loads(archive.read("case.json"))
        assert case["as_of"] == handoffs[stage].as_of  # each file as of its own hand-off


def test_a_handoff_without_a_target_is_named_by_its_stage(tmp_path: Path) -> None:
    path = dossier_path(tmp_path, "t", "D9", "EUR2", "handoff", as_zip=False)
    assert path.name.startswith("t_D9_EUR2_handoff-") and path.suffix == ""


# -- 8. the quiet calendar -------------------------------------------------------------------------


def test_the_quiet_calendar_does_not_log(caplog: pytest.LogCaptureFixture) -> None:
    new_year = dt.date(2026, 1, 1)
    with caplog.at_level(logging.WARNING, logger="cobrokit.calendar"):
        assert calendar_for("QQ", warn=False).is_holiday(new_year) is False
        assert caplog.records == []
        assert has_holiday_data("QQ") is False and has_holiday_data("ES") is True
        assert calendar_for("QQ").is_holiday(new_year) is False  # the default form warns, once per country
        assert calendar_for("QQ").is_holiday(new_year.replace(year=2027)) is False
    assert [r.getMessage() for r in caplog.records] == [
        "no public-holiday data for country 'QQ'; only weekends are skipped"
    ]
    # both forms give the same dates: Holy Thursday 2026 is a holiday in Madrid
    assert calendar_for("ES", "MD", warn=False).is_holiday(dt.date(2026, 4, 2))
    assert calendar_for("ES", "MD").is_holiday(dt.date(2026, 4, 2))
