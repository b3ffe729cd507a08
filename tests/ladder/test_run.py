"""The dunning run on a real SQLite file: decide, record once, deliver, supersede."""

import datetime as dt
import json
from pathlib import Path

import pytest

from cobrokit.casework import record_contact, set_dispute
from cobrokit.channel import DeliveryReceipt, DeliveryStatus, Message
from cobrokit.dispatch import dispatch
from cobrokit.engine import run_ladder
from cobrokit.errors import ValidationError
from cobrokit.ladder.config import default_config
from cobrokit.model import Address, Allocation, Debtor, Payment
from cobrokit.money import Money
from cobrokit.notice import Notice
from cobrokit.plugins import get_plugin_host
from cobrokit.store import journal as jr
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import Recorder, make_invoice, recorders

CONFIG = default_config()
DUE = dt.date(2026, 3, 2)


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
    store.save(
        debtors=[debtor],
        invoices=[make_invoice("F1", "D1", "1210.00", issue="2026-01-31", due=DUE.isoformat())],
    )
    return store


def test_rerunning_the_same_date_plans_and_charges_nothing_new(ledger: SQLiteStore) -> None:
    day, now = at(30)
    first = run_ladder(ledger, day, config=CONFIG, now=now)
    assert [a.stage for a in first.planned if a.kind == "notice"] == ["whats_wrong"]
    second = run_ladder(ledger, day, config=CONFIG, now=now)
    assert second.new_outbox_rows == 0 and second.planned == ()
    assert ledger.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 1


def test_fee_is_charged_once_per_stage_and_cycle_whatever_the_run_frequency(ledger: SQLiteStore) -> None:
    for offset in range(-10, 40):
        day, now = at(offset)
        for _ in range(3):  # three runs a day
            run_ladder(ledger, day, config=CONFIG, now=now)
    fees = ledger.conn.execute("SELECT stage, cycle, amount_minor FROM fee").fetchall()
    assert fees == [("ultimatum", "EUR1", 1500)]


def test_dry_run_writes_nothing(ledger: SQLiteStore) -> None:
    day, now = at(1)
    result = run_ladder(ledger, day, config=CONFIG, now=now, dry_run=True)
    assert [a.stage for a in result.planned] == ["oops"]
    for table in ("outbox", "journal", "ladder_state", "fee"):
        assert ledger.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0


def test_freshness_guard_pauses_reminders(ledger: SQLiteStore) -> None:
    day, now = at(1)
    ledger.record_sync("default", "sqlite", now - dt.timedelta(hours=48))
    result = run_ladder(ledger, day, config=CONFIG, now=now)
    assert "last synced" in result.paused_reason and result.planned == ()
    assert [r.kind for r in jr.iter_journal(ledger, "default")] == ["paused"]
    ledger.record_sync("default", "sqlite", now - dt.timedelta(hours=1))
    assert run_ladder(ledger, day, config=CONFIG, now=now).planned


def test_dispatch_delivers_once_and_a_paid_notice_is_superseded(ledger: SQLiteStore) -> None:
    host = get_plugin_host(autoload=False)
    chans = recorders()
    day, now = at(1)
    run_ladder(ledger, day, config=CONFIG, now=now)
    result = dispatch(ledger, host, config=CONFIG, now=now, channels=chans, render=plain_render)
    assert result.outcomes == {"sent": 1}
    assert len(chans["email"].sent) == 1 and chans["email"].sent[0].key == "default/D1/oops/EUR1/email"
    assert dispatch(ledger, host, config=CONFIG, now=now, channels=chans, render=plain_render).outcomes == {}
    # next step planned, then the client pays before it goes out
    day, now = at(15)
    run_ladder(ledger, day, config=CONFIG, now=now)
    ledger.save(
        payments=[
            Payment(
                id="P1",
                debtor_id="D1",
                date=day,
                amount=Money("1210.00", "EUR"),
                allocations=(Allocation("F1", Money("1210.00", "EUR")),),
            )
        ]
    )
    result = dispatch(ledger, host, config=CONFIG, now=now, channels=chans, render=plain_render)
    assert result.outcomes == {"superseded": 1}
    assert len(chans["call"].sent) == 0
    # and the next run thanks them
    day, now = at(16)
    planned = run_ladder(ledger, day, config=CONFIG, now=now).planned
    assert [a.stage for a in planned] == ["thank_you"]


def test_contact_window_in_the_debtors_time_zone(ledger: SQLiteStore) -> None:
    host = get_plugin_host(autoload=False)
    chans = recorders()
    day, _ = at(1)
    run_ladder(ledger, day, config=CONFIG, now=at(1, 5)[1])
    # 05:00 UTC is 06:00 in Madrid: before the 08:00 window
    assert dispatch(ledger, host, config=CONFIG, now=at(1, 5)[1], channels=chans, render=plain_render).outcomes == {
        "waiting": 1
    }
    assert dispatch(ledger, host, config=CONFIG, now=at(1, 7)[1], channels=chans, render=plain_render).outcomes == {
        "sent": 1
    }


def test_render_failure_is_recorded_and_nothing_is_sent(ledger: SQLiteStore) -> None:
    from cobrokit.errors import CobrokitError

    def broken(notice: Notice, channel: str) -> Message:
        raise CobrokitError("template oops/es/email: 'total' is undefined")

    chans = recorders()
    day, now = at(1)
    run_ladder(ledger, day, config=CONFIG, now=now)
    result = dispatch(ledger, get_plugin_host(autoload=False), config=CONFIG, now=now, channels=chans, render=broken)
    assert result.outcomes == {"render_failed": 1} and chans["email"].sent == []
    row = next(jr.iter_outbox(ledger, "default"))
    assert row.status == "render_failed" and "undefined" in row.detail
    assert [r.kind for r in jr.iter_journal(ledger, "default")][-1] == "render_failed"


def test_permanent_failure_falls_back_to_the_next_channel(ledger: SQLiteStore) -> None:
    chans = recorders()
    chans["email"] = Recorder("email", DeliveryStatus.FAILED_PERMANENT)
    host = get_plugin_host(autoload=False)
    day, now = at(1)
    run_ladder(ledger, day, config=CONFIG, now=now)
    dispatch(ledger, host, config=CONFIG, now=now, channels=chans, render=plain_render)
    dispatch(ledger, host, config=CONFIG, now=now, channels=chans, render=plain_render)
    statuses = {r.channel: r.status for r in jr.iter_outbox(ledger, "default")}
    assert statuses == {"email": "failed_permanent", "sms": "sent"}
    assert len(chans["sms"].sent) == 1


def test_retryable_failure_is_retried_later_with_backoff(ledger: SQLiteStore) -> None:
    chans = recorders()
    chans["email"] = Recorder("email", DeliveryStatus.FAILED_RETRYABLE)
    host = get_plugin_host(autoload=False)
    day, now = at(1)
    run_ladder(ledger, day, config=CONFIG, now=now)
    assert dispatch(ledger, host, config=CONFIG, now=now, channels=chans, render=plain_render).outcomes == {
        "failed_retryable": 1
    }
    # too early: waits for the backoff
    assert dispatch(
        ledger, host, config=CONFIG, now=now + dt.timedelta(minutes=1), channels=chans, render=plain_render
    ).outcomes == {"waiting": 1}
    chans["email"].status = DeliveryStatus.SENT
    assert dispatch(
        ledger, host, config=CONFIG, now=now + dt.timedelta(hours=1), channels=chans, render=plain_render
    ).outcomes == {"sent": 1}


def test_crash_while_sending_resends_with_the_same_key_or_holds(ledger: SQLiteStore) -> None:
    host = get_plugin_host(autoload=False)
    day, now = at(1)
    run_ladder(ledger, day, config=CONFIG, now=now)
    with ledger.transaction() as conn:  # what a kill -9 between the two commits leaves behind
        conn.execute("UPDATE outbox SET status = 'sending', attempts = 1")
    chans = recorders()
    chans["email"].honours_idempotency = False
    import attrs

    hold = attrs.evolve(CONFIG, run=attrs.evolve(CONFIG.run, on_unknown="hold"))
    assert dispatch(ledger, host, config=hold, now=now, channels=chans, render=plain_render).outcomes == {"unknown": 1}
    assert chans["email"].sent == []
    with ledger.transaction() as conn:
        conn.execute("UPDATE outbox SET status = 'sending'")
    assert dispatch(ledger, host, config=CONFIG, now=now, channels=chans, render=plain_render).outcomes == {"sent": 1}
    assert [m.key for m in chans["email"].sent] == ["default/D1/oops/EUR1/email"]


def test_contact_outcomes_steer_the_ladder(ledger: SQLiteStore) -> None:
    day, now = at(16)
    with pytest.raises(ValidationError, match="needs the invoice"):
        record_contact(ledger, debtor_id="D1", on=day, outcome="dispute", now=now)
    result = record_contact(
        ledger,
        debtor_id="D1",
        on=day,
        outcome="promise",
        now=now,
        promise_date=day + dt.timedelta(days=5),
        promise_amount=Money("1210.00", "EUR"),
    )
    assert result.promise_id
    planned = run_ladder(ledger, day, config=CONFIG, now=now).planned
    assert planned == ()  # paused by the promise
    reasons = [r.reason for r in jr.iter_journal(ledger, "default", debtor_id="D1")]
    assert any(r.startswith("paused: promise to pay by") for r in reasons)
    # broken promise: 5 days + 2 grace, then escalation
    day, now = at(24)
    planned = run_ladder(ledger, day, config=CONFIG, now=now).planned
    kinds = [r.kind for r in jr.iter_journal(ledger, "default", debtor_id="D1")]
    assert "promise_broken" in kinds and [a.stage for a in planned if a.kind == "notice"] == ["whats_wrong"]


def test_disputed_invoice_pauses_and_is_journaled(ledger: SQLiteStore) -> None:
    day, now = at(2)
    set_dispute(ledger, "F1", True, reason="goods arrived damaged", on=day, now=now)
    assert run_ladder(ledger, day, config=CONFIG, now=now).planned == ()
    journal = [(r.kind, r.reason) for r in jr.iter_journal(ledger, "default")]
    assert ("dispute_opened", "invoice F1: goods arrived damaged") in journal
    assert any(k == "paused" for k, _ in journal)


def test_outbox_payload_carries_the_decided_figures(ledger: SQLiteStore) -> None:
    day, now = at(22)
    run_ladder(ledger, day, config=CONFIG, now=now)
    row = next(jr.iter_outbox(ledger, "default"))
    payload = json.loads(row.payload)
    assert payload["invoices"] == [["F1", 121000]]
    # first contact is capped at whats_wrong (firm date +5 days): 24 Mar + 5 = Sunday 29 Mar 2026,
    # rolled to the next business day, Monday 30 Mar (before the penalty warning's day)
    assert payload["stage" if "stage" in payload else "template"] == "whats_wrong"
    assert payload["firm_date"] == "2026-03-30"


def test_runs_need_a_file_store(tmp_path: Path) -> None:
    from cobrokit.errors import StoreError

    memory = SQLiteStore.open(":memory:")
    with pytest.raises(StoreError, match="needs a store in a file"):
        run_ladder(memory, DUE, config=CONFIG, now=at(0)[1])


def test_call_outcomes_file_feeds_the_contact_log(ledger: SQLiteStore, tmp_path: Path) -> None:
    from cobrokit.casework import import_call_outcomes

    path = tmp_path / "outcomes.csv"
    path.write_text(
        "debtor_id,date,outcome,reason,promise_date,promise_amount,note\n"
        "D1,2026-03-17,promise,promise,2026-03-24,1210.00,will pay after the client pays them\n",
        encoding="utf-8",
    )
    _day, now = at(15)
    results = import_call_outcomes(ledger, path, now=now)
    assert results[0].promise_id and "ladder paused until 2026-03-24" in results[0].effects[0]
    assert ledger.conn.execute("SELECT outcome, reason FROM contact").fetchall() == [("promise", "promise")]


def test_client_saying_they_paid_holds_those_invoices_not_the_next_ones(ledger: SQLiteStore) -> None:
    for offset in range(-7, 16):  # courtesy, oops, what's wrong
        run_ladder(ledger, at(offset)[0], config=CONFIG, now=at(offset)[1])
    day, now = at(16)
    result = record_contact(ledger, debtor_id="D1", on=day, outcome="paid", now=now, note="paid by transfer yesterday")
    assert result.effects == ("invoice(s) F1 on hold until the payment is checked",)
    assert run_ladder(ledger, day, config=CONFIG, now=now).planned == ()
    # the payment arrives: F1 is paid, the cycle closes with thanks
    ledger.save(
        payments=[
            Payment(
                id="P1",
                debtor_id="D1",
                date=at(18)[0],
                amount=Money("1210.00", "EUR"),
                allocations=(Allocation("F1", Money("1210.00", "EUR")),),
            )
        ]
    )
    day, now = at(19)
    assert [a.stage for a in run_ladder(ledger, day, config=CONFIG, now=now).planned] == ["thank_you"]
    # a new invoice is chased as usual: nothing holds the debtor
    ledger.save(invoices=[make_invoice("F2", "D1", "200.00", issue="2026-03-20", due="2026-04-20")])
    planned = [run_ladder(ledger, d, config=CONFIG, now=n).planned for d, n in (at(42), at(50))]
    assert [[a.stage for a in p] for p in planned] == [["courtesy"], ["oops"]]


def test_stage_risk_condition_uses_the_payment_behaviour_score(ledger: SQLiteStore) -> None:
    """A stage with max_risk is skipped for debtors whose history makes them riskier."""
    import attrs

    from cobrokit.store.credit import risk_scores

    stages = list(CONFIG.ladders[0].stages)
    stages[1] = attrs.evolve(stages[1], max_risk=-1)  # oops: nobody with a known score qualifies
    config = attrs.evolve(CONFIG, ladders=(attrs.evolve(CONFIG.ladders[0], stages=tuple(stages)),))
    # give D1 a history: an old invoice paid 40 days late
    ledger.save(invoices=[make_invoice("OLD", "D1", "100.00", issue="2025-06-01", due="2025-07-01")])
    ledger.save(
        payments=[
            Payment(
                id="P0",
                debtor_id="D1",
                date=dt.date(2025, 8, 10),
                amount=Money("100.00", "EUR"),
                allocations=(Allocation("OLD", Money("100.00", "EUR")),),
            )
        ]
    )
    day, now = at(1)
    assert "D1" in risk_scores(ledger, "default", day)
    run_ladder(ledger, day, config=config, now=now)
    reasons = [r.reason for r in jr.iter_journal(ledger, "default")]
    assert any(r.startswith("skipped: risk score") for r in reasons)


def test_status_callbacks_confirm_or_fail_over(ledger: SQLiteStore) -> None:
    from cobrokit.dispatch import record_receipt
    from cobrokit.errors import UnknownReferenceError

    host = get_plugin_host(autoload=False)
    chans = recorders()
    day, now = at(1)
    run_ladder(ledger, day, config=CONFIG, now=now)
    dispatch(ledger, host, config=CONFIG, now=now, channels=chans, render=plain_render)  # email-1
    key = record_receipt(ledger, DeliveryReceipt(DeliveryStatus.FAILED_PERMANENT, "email-1", "bounced"), now=now)
    assert key == "default/D1/oops/EUR1/email"
    statuses = {r.channel: r.status for r in jr.iter_outbox(ledger, "default")}
    assert statuses == {"email": "failed_permanent", "sms": "planned"}  # the stage's next channel takes over
    dispatch(ledger, host, config=CONFIG, now=now, channels=chans, render=plain_render)
    record_receipt(ledger, DeliveryReceipt(DeliveryStatus.DELIVERED, "sms-1"), now=now)
    assert {r.channel: r.status for r in jr.iter_outbox(ledger, "default")}["sms"] == "delivered"
    with pytest.raises(UnknownReferenceError, match="no notice was sent with provider id 'forged'"):
        record_receipt(ledger, DeliveryReceipt(DeliveryStatus.DELIVERED, "forged"), now=now)


def test_penalty_warning_email_carries_the_statement_and_plugin_attachments(ledger: SQLiteStore) -> None:
    from pypdf import PdfReader

    from cobrokit.channel import Attachment
    from cobrokit.plugins import hookimpl

    class InvoiceCopies:
        @hookimpl
        def cobrokit_notice_attachments(self, notice, channel):  # type: ignore[no-untyped-def]
            return [Attachment(f"{line.number}.pdf", "application/pdf", b"%PDF-1.4 copy") for line in notice.lines]

    host = get_plugin_host(autoload=False, plugins=[("copies", InvoiceCopies())])
    chans = recorders()
    for offset in range(-7, 23):
        day, now = at(offset)
        run_ladder(ledger, day, config=CONFIG, now=now)
        dispatch(ledger, host, config=CONFIG, now=now, channels=chans)  # the real templates
    warning = next(m for m in chans["email"].sent if m.stage == "penalty_warning")
    names = [a.filename for a in warning.attachments]
    assert names == ["extracto-D1-2026-03-24.pdf", "F1.pdf"]
    import io

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(warning.attachments[0].data)).pages)
    assert "Talleres Ruiz SL" in text and "1.210,00" in text
    oops = next(m for m in chans["email"].sent if m.stage == "oops")
    assert [a.filename for a in oops.attachments] == ["F1.pdf"]  # no statement on a friendly reminder


def test_agreed_plan_notices_show_the_plan(ledger: SQLiteStore) -> None:
    from cobrokit.plans import Frequency, PlanTerms
    from cobrokit.store.plans import accept_plan, propose_for_debtor

    host = get_plugin_host(autoload=False)
    chans = recorders()
    day, _ = at(16)
    terms = PlanTerms(instalments=3, frequency=Frequency.MONTH, start=dt.date(2026, 3, 25))
    plan = propose_for_debtor(ledger, tenant="default", debtor_id="D1", terms=terms, today=day)
    accept_plan(ledger, tenant="default", plan_id=plan.id, on=day)
    for offset in range(16, 24):
        day, now = at(offset)
        run_ladder(ledger, day, config=CONFIG, now=now)
        dispatch(ledger, host, config=CONFIG, now=now, channels=chans)
    stages = [m.stage for m in chans["email"].sent]
    assert stages == ["plan_confirmation", "instalment_reminder"]
    confirmation, reminder = chans["email"].sent
    # 1,210.00 in 3 monthly instalments: 403.33, 403.33, 403.34
    assert "1.210,00" in confirmation.text and "403,33" in confirmation.text and "403,34" in confirmation.text
    assert "403,33" in reminder.text


def test_one_dispatcher_and_one_run_at_a_time(ledger: SQLiteStore) -> None:
    from cobrokit.errors import StoreError
    from cobrokit.store.lock import exclusive

    day, now = at(1)
    with exclusive(ledger.path, "dispatch"), pytest.raises(StoreError, match="another cobrokit dispatch is running"):
        dispatch(
            ledger, get_plugin_host(autoload=False), config=CONFIG, now=now, channels=recorders(), render=plain_render
        )
    with exclusive(ledger.path, "run"):
        with pytest.raises(StoreError, match=r"another cobrokit run is running on .* \(pid \d+\)"):
            run_ladder(ledger, day, config=CONFIG, now=now)
        assert run_ladder(ledger, day, config=CONFIG, now=now, dry_run=True).planned  # a preview needs no lock
    assert run_ladder(ledger, day, config=CONFIG, now=now).planned  # released


def test_a_failing_decision_is_journaled_and_the_run_goes_on(
    ledger: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cobrokit import engine

    ledger.save(
        debtors=[Debtor(id="D2", name="Otra SL", emails=("a@b.example",), country="ES")],
        invoices=[make_invoice("F2", "D2", "300.00", due=DUE.isoformat())],
    )
    real = engine.decide

    def flaky(pos, ladder, config, as_of):  # type: ignore[no-untyped-def]
        if pos.debtor_id == "D1":
            raise ValueError("stage fee in an unknown currency")
        return real(pos, ladder, config, as_of)

    monkeypatch.setattr(engine, "decide", flaky)
    day, now = at(1)
    result = run_ladder(ledger, day, config=CONFIG, now=now)
    assert result.errors == 1 and result.to_json()["errors"] == 1
    assert [(a.debtor_id, a.stage) for a in result.planned] == [("D2", "oops")]
    (error,) = [e for e in jr.journal_entries(ledger, "default") if e.kind == "error"]
    assert (error.debtor_id, error.status) == ("D1", "error")
    assert error.reason == "ValueError: stage fee in an unknown currency"
    assert jr.read_state(ledger, "default", "D1", "EUR") is None  # nothing recorded: the next run decides again
    monkeypatch.setattr(engine, "decide", real)
    again = run_ladder(ledger, day, config=CONFIG, now=now)
    assert again.errors == 0 and [(a.debtor_id, a.stage) for a in again.planned] == [("D1", "oops")]


def test_run_counts_what_it_evaluated_sent_and_skipped(ledger: SQLiteStore) -> None:
    ledger.save(
        debtors=[Debtor(id="D2", name="Otra SL", emails=("a@b.example",), country="ES")],
        invoices=[make_invoice("F2", "D2", "300.00", due=DUE.isoformat())],
    )
    set_dispute(ledger, "F2", True, reason="never delivered", on=DUE, now=at(0)[1])
    day, now = at(20)
    result = run_ladder(ledger, day, config=CONFIG, now=now)
    figures = result.to_json()
    assert (figures["debtors_evaluated"], figures["invoices_evaluated"], figures["notices"]) == (2, 2, 1)
    assert figures["by_stage"] == {"whats_wrong": 1} and figures["by_channel"] == {"call": 1}
    # D1's "oops" was missed (first contact at +20); D2's only invoice is disputed
    assert figures["skipped"] == {"catch_up": 1, "disputed_or_held": 1}
    later = run_ladder(ledger, at(21)[0], config=CONFIG, now=at(21)[1])
    assert later.skipped == {"disputed_or_held": 1}  # a pause counts every day it lasts, journaled once
    assert later.journal == {}


def test_a_run_ends_with_its_own_durable_journal_line(ledger: SQLiteStore) -> None:
    day, now = at(1)
    assert ledger.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL: the store's setting
    result = run_ladder(ledger, day, config=CONFIG, now=now, batch_size=1)
    (line,) = [e for e in jr.journal_entries(ledger, "default") if e.kind == "run_finished"]
    assert (line.run_id, line.as_of, line.status) == (result.run_id, day.isoformat(), "finished")
    assert line.reason == "1 debtor(s), 1 open invoice(s), 1 notice(s), 0 error(s)"
    # batches commit without waiting for the disk; the store is back to FULL for the final commit and after
    assert ledger.conn.execute("PRAGMA synchronous").fetchone()[0] == 2
    run_ladder(ledger, day, config=CONFIG, now=now, dry_run=True)
    assert len([e for e in jr.journal_entries(ledger, "default") if e.kind == "run_finished"]) == 1


def test_plan_offer_on_a_notice_adds_interest_compensation_and_the_cycles_fees(ledger: SQLiteStore) -> None:
    from cobrokit.dispatch import build_notice

    for offset in range(-7, 23):
        day, now = at(offset)
        run_ladder(ledger, day, config=CONFIG, now=now)
    row = next(r for r in jr.iter_outbox(ledger, "default", debtor_id="D1") if r.stage == "penalty_warning")
    before = build_notice(ledger, row, CONFIG)
    assert before.plan_offer is not None and before.interest is not None
    charges = before.interest.interest.rounded() + before.interest.compensation.rounded()
    offered = Money.total((i.amount for i in before.plan_offer.instalments), "EUR")
    with_charges = Money.total((i.amount_with_interest for i in before.plan_offer.instalments), "EUR")  # type: ignore[misc]
    assert offered == Money("1210.00", "EUR") and with_charges == offered + charges
    with ledger.transaction() as conn:  # a fee charged earlier in the same cycle
        conn.execute(
            "INSERT INTO fee (key, tenant, debtor_id, stage, cycle, currency, amount_minor, as_of) "
            "VALUES ('default/D1/x/EUR1/fee', 'default', 'D1', 'x', 'EUR1', 'EUR', 1500, ?)",
            (row.as_of,),
        )
    after = build_notice(ledger, row, CONFIG)
    assert after.plan_offer is not None
    total = Money.total((i.amount_with_interest for i in after.plan_offer.instalments), "EUR")  # type: ignore[misc]
    assert total == with_charges + Money("15.00", "EUR")


def test_the_run_saves_where_each_payment_plan_stands(ledger: SQLiteStore) -> None:
    from cobrokit.plans import Frequency, PlanTerms
    from cobrokit.store.plans import accept_plan, propose_for_debtor

    day, _ = at(16)
    terms = PlanTerms(instalments=3, frequency=Frequency.MONTH, start=dt.date(2026, 3, 25), grace_days=5)
    plan = propose_for_debtor(ledger, tenant="default", debtor_id="D1", terms=terms, today=day)
    accept_plan(ledger, tenant="default", plan_id=plan.id, on=day)

    def history() -> list[tuple[str, str]]:
        return ledger.conn.execute(
            "SELECT kind, to_state FROM plan_event WHERE plan_id = ? ORDER BY seq", (plan.id,)
        ).fetchall()

    day, now = at(20)
    run_ladder(ledger, day, config=CONFIG, now=now, dry_run=True)
    assert history() == [("proposed", "proposed"), ("accepted", "accepted")]  # a preview saves nothing
    for offset in (24, 40):  # the first instalment (25 March) is never paid: breached after 5 days' grace
        day, now = at(offset)
        run_ladder(ledger, day, config=CONFIG, now=now)
        run_ladder(ledger, day, config=CONFIG, now=now)  # twice a day changes nothing
    assert history() == [
        ("proposed", "proposed"),
        ("accepted", "accepted"),
        ("activated", "active"),
        ("breached", "breached"),
    ]


def test_the_minimum_gap_holds_across_a_debtors_currencies(ledger: SQLiteStore) -> None:
    ledger.save(invoices=[make_invoice("F2", "D1", "500.00", due=DUE.isoformat(), currency="USD")])
    day, now = at(1)
    first = run_ladder(ledger, day, config=CONFIG, now=now)
    assert [(a.currency, a.stage) for a in first.planned] == [("EUR", "oops")]  # one contact a day, not two
    assert first.skipped == {"contact_gap": 1}
    (deferred,) = [e for e in jr.journal_entries(ledger, "default") if e.kind == "deferred"]
    assert deferred.cycle == "USD1" and "minimum gap is 3 days" in deferred.reason
    later = [run_ladder(ledger, d, config=CONFIG, now=n).planned for d, n in (at(2), at(3), at(4))]
    assert [[(a.currency, a.stage) for a in p] for p in later] == [[], [], [("USD", "oops")]]


def test_a_logged_call_counts_as_a_contact_for_the_gap_but_a_missed_one_does_not(ledger: SQLiteStore) -> None:
    record_contact(ledger, debtor_id="D1", on=DUE, outcome="no_answer", now=at(0)[1])
    day, now = at(1)
    assert [a.stage for a in run_ladder(ledger, day, config=CONFIG, now=now, dry_run=True).planned] == ["oops"]
    record_contact(ledger, debtor_id="D1", on=DUE, outcome="answered", reason="forgot", now=at(0)[1])
    blocked = run_ladder(ledger, day, config=CONFIG, now=now)
    assert blocked.planned == () and blocked.skipped == {"contact_gap": 1}
    assert [a.stage for a in run_ladder(ledger, at(3)[0], config=CONFIG, now=at(3)[1]).planned] == ["oops"]


def test_reported_hardship_makes_the_next_notices_offer_a_plan(ledger: SQLiteStore) -> None:
    from cobrokit.dispatch import build_notice

    for offset in range(-7, 2):
        day, now = at(offset)
        run_ladder(ledger, day, config=CONFIG, now=now)  # courtesy, oops
    record_contact(ledger, debtor_id="D1", on=at(5)[0], outcome="answered", reason="hardship", now=at(5)[1])
    for offset in range(2, 31):
        day, now = at(offset)
        run_ladder(ledger, day, config=CONFIG, now=now)
    rows = {r.stage: r for r in jr.iter_outbox(ledger, "default", debtor_id="D1")}
    assert rows["oops"].payload_data.get("offer_plan") is None  # before the client spoke
    assert rows["whats_wrong"].payload_data["offer_plan"] is True  # the stage offers one anyway
    assert rows["ultimatum"].payload_data["offer_plan"] is True  # it offers none by default: hardship does
    assert rows["ultimatum"].payload_data["hardship"] is True
    notice = build_notice(ledger, rows["ultimatum"], CONFIG)
    assert notice.plan_offer is not None and len(notice.plan_offer.instalments) == CONFIG.plans.offer_instalments


def test_freshness_guard_checks_the_configured_backend_and_one_never_synced(ledger: SQLiteStore) -> None:
    import attrs

    from cobrokit.ladder.config import BackendPolicy

    day, now = at(1)
    xero = attrs.evolve(CONFIG, backend=BackendPolicy(name="xero"))
    never = run_ladder(ledger, day, config=xero, now=now)
    assert "'xero' were never synced" in never.paused_reason and "cobrokit sync --backend xero" in never.paused_reason
    ledger.record_sync("default", "xero", now - dt.timedelta(hours=50))
    stale = run_ladder(ledger, day, config=xero, now=now)
    assert "last synced" in stale.paused_reason and "50 h ago" in stale.paused_reason
    ledger.record_sync("default", "xero", now - dt.timedelta(hours=2))
    assert [a.stage for a in run_ladder(ledger, day, config=xero, now=now).planned] == ["oops"]
    # the embedded store needs no sync: what was imported is what it knows
    assert run_ladder(ledger, at(2)[0], config=CONFIG, now=at(2)[1]).paused_reason == ""


def test_a_fee_for_a_demand_that_never_went_out_is_voided(ledger: SQLiteStore) -> None:
    from cobrokit.reports.statement import debtor_statement
    from cobrokit.store.plans import current_cycle_fees

    host = get_plugin_host(autoload=False)
    chans = recorders()
    for offset in range(-7, 30):  # every step up to the penalty warning is sent
        day, now = at(offset)
        run_ladder(ledger, day, config=CONFIG, now=now)
        dispatch(ledger, host, config=CONFIG, now=now, channels=chans, render=plain_render)
    day, now = at(30)
    run_ladder(ledger, day, config=CONFIG, now=now)  # the ultimatum and its EUR 15.00 fee are decided
    assert current_cycle_fees(ledger, "default", "D1", "EUR", day) == Money("15.00", "EUR")
    ledger.save(  # the client pays in part the same morning: the ultimatum still goes out
        payments=[
            Payment(
                id="P1",
                debtor_id="D1",
                date=day,
                amount=Money("10.00", "EUR"),
                allocations=(Allocation("F1", Money("10.00", "EUR")),),
            )
        ]
    )
    assert dispatch(ledger, host, config=CONFIG, now=now, channels=chans, render=plain_render).outcomes == {"sent": 1}
    assert current_cycle_fees(ledger, "default", "D1", "EUR", day) == Money("15.00", "EUR")  # owed: it was sent

    # a second debtor pays everything before their ultimatum goes out: no fee
    ledger.save(
        debtors=[
            Debtor(
                id="D2",
                name="Otra SL",
                emails=("a@b.example",),
                country="ES",
                address=Address(lines=("Calle 2",), city="Madrid", postal_code="28001", country="ES"),
            )
        ],
        invoices=[make_invoice("F2", "D2", "300.00", due=DUE.isoformat())],
    )
    for offset in range(1, 31):
        day, now = at(offset)
        run_ladder(ledger, day, config=CONFIG, now=now)
        if offset < 30:
            dispatch(ledger, host, config=CONFIG, now=now, channels=chans, render=plain_render)
    ledger.save(
        payments=[
            Payment(
                id="P2",
                debtor_id="D2",
                date=day,
                amount=Money("300.00", "EUR"),
                allocations=(Allocation("F2", Money("300.00", "EUR")),),
            )
        ]
    )
    assert dispatch(ledger, host, config=CONFIG, now=now, channels=chans, render=plain_render).outcomes == {
        "superseded": 1
    }
    assert current_cycle_fees(ledger, "default", "D2", "EUR", day) == Money("0.00", "EUR")
    entries = [(e.kind, e.status) for e in jr.journal_entries(ledger, "default", debtor_id="D2") if "fee" in e.kind]
    assert entries == [("fee", "voided"), ("fee_voided", "voided")]
    (eur,) = debtor_statement(ledger, "D2", day).currencies
    assert eur.fees_minor == 0  # the statement does not ask for it either
    (sent,) = debtor_statement(ledger, "D1", day).currencies
    assert sent.fees_minor == 1500
    run_ladder(ledger, day, config=CONFIG, now=now)  # the same day again: no new fee
    assert ledger.conn.execute("SELECT COUNT(*) FROM fee WHERE debtor_id = 'D2'").fetchone()[0] == 1


def test_a_promise_given_with_a_reason_is_kept_as_a_promise(ledger: SQLiteStore) -> None:
    day, now = at(16)
    result = record_contact(
        ledger,
        debtor_id="D1",
        on=day,
        outcome="promise",
        reason="hardship",
        now=now,
        promise_date=day + dt.timedelta(days=5),
        promise_amount=Money("600.00", "EUR"),
    )
    assert result.promise_id  # the promise is recorded…
    assert any("payment plan" in effect for effect in result.effects)  # …and the hardship steers the offer too
    assert run_ladder(ledger, day, config=CONFIG, now=now).skipped == {"promise_pending": 1}
    paid = record_contact(ledger, debtor_id="D1", on=day, outcome="paid", reason="forgot", now=now)
    assert any("on hold" in effect for effect in paid.effects)


def test_an_honoured_settlement_closes_the_debt_in_the_run(ledger: SQLiteStore) -> None:
    from cobrokit.store.plans import offer_settlement

    for offset in range(-7, 17):
        day, now = at(offset)
        run_ladder(ledger, day, config=CONFIG, now=now)
    # 10 % off for paying 1,089.00 of 1,210.00 by +25
    settlement = offer_settlement(
        ledger, tenant="default", debtor_id="D1", today=at(17)[0], pay_by=at(25)[0], floor="80%", discount_percent="10"
    )
    assert settlement.amount == Money("1089.00", "EUR")
    ledger.save(
        payments=[
            Payment(
                id="P1",
                debtor_id="D1",
                date=at(20)[0],
                amount=Money("1089.00", "EUR"),
                allocations=(Allocation("F1", Money("1089.00", "EUR")),),
            )
        ]
    )
    day, now = at(21)
    result = run_ladder(ledger, day, config=CONFIG, now=now)
    assert [a.stage for a in result.planned if a.kind == "notice"] == ["thank_you"]  # nothing left to chase
    assert ledger.open_amounts("default", day, invoice_ids=["F1"]) == {"F1": 0}


def test_paying_before_a_promised_date_earns_the_configured_reward(ledger: SQLiteStore) -> None:
    from decimal import Decimal

    import attrs

    from cobrokit.dispatch import build_notice

    rewarding = attrs.evolve(CONFIG, plans=attrs.evolve(CONFIG.plans, reward_percent=Decimal("5")))
    for offset in range(-7, 16):
        day, now = at(offset)
        run_ladder(ledger, day, config=rewarding, now=now)
    day, now = at(16)
    record_contact(
        ledger,
        debtor_id="D1",
        on=day,
        outcome="promise",
        now=now,
        promise_date=at(30)[0],
        promise_amount=Money("1210.00", "EUR"),
    )
    ledger.save(
        payments=[
            Payment(
                id="P1",
                debtor_id="D1",
                date=at(20)[0],
                amount=Money("1210.00", "EUR"),
                allocations=(Allocation("F1", Money("1210.00", "EUR")),),
            )
        ]
    )
    day, now = at(21)
    run_ladder(ledger, day, config=rewarding, now=now)
    row = next(r for r in jr.iter_outbox(ledger, "default", debtor_id="D1") if r.stage == "thank_you")
    reward = build_notice(ledger, row, rewarding).extra["reward"]
    assert reward["percent"] == Decimal("5") and reward["code"]
    again = build_notice(ledger, row, rewarding).extra["reward"]
    assert again["code"] == reward["code"]  # granted once per paid cycle
    assert "reward" not in build_notice(ledger, row, CONFIG).extra  # rewards are off by default


def test_a_payment_on_account_that_covers_the_debt_pauses_the_ladder(ledger: SQLiteStore) -> None:
    # the client paid, but the bank transfer was not matched to the invoice yet (no allocation)
    ledger.save(payments=[Payment(id="P1", debtor_id="D1", date=at(0)[0], amount=Money("1210.00", "EUR"))])
    day, now = at(1)
    result = run_ladder(ledger, day, config=CONFIG, now=now)
    assert result.planned == () and result.skipped == {"unapplied_credit": 1}
    (paused,) = [e for e in jr.journal_entries(ledger, "default") if e.kind == "paused"]
    assert "payment on account covers the overdue balance" in paused.reason
    # a smaller payment on account does not: the ladder goes on
    ledger.save(debtors=[Debtor(id="D2", name="Otra SL", emails=("a@b.example",), country="ES")])
    ledger.save(
        invoices=[make_invoice("F2", "D2", "300.00", due=DUE.isoformat())],
        payments=[Payment(id="P2", debtor_id="D2", date=at(0)[0], amount=Money("100.00", "EUR"))],
    )
    assert [a.debtor_id for a in run_ladder(ledger, day, config=CONFIG, now=now).planned] == ["D2"]
