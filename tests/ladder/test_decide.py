"""The ladder's pure decision, on dated scenarios.

Default ladder (cobrokit/ladder/default.toml): courtesy -7, oops +1, whats_wrong +15,
penalty_warning +22, ultimatum +30 (fee EUR 15), suspension +45, handoff +60; first contact
at most whats_wrong; min gap 3 days; caps call 7/7d, email 3/7d, sms 2/7d.
"""

import datetime as dt
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobrokit.ladder.config import default_config
from cobrokit.ladder.decide import (
    LIMITATION_CHECKED,
    REASONS,
    LadderState,
    OpenInvoice,
    PlanView,
    Position,
    PromiseView,
    decide,
    status_code,
)

CONFIG = default_config()
LADDER = CONFIG.ladders[0]
DUE = dt.date(2026, 3, 2)  # a Monday


def inv(invoice_id: str = "F1", due: dt.date = DUE, open_minor: int = 100_000, **kw: bool) -> OpenInvoice:
    return OpenInvoice(invoice_id, due - dt.timedelta(days=30), due, open_minor, open_minor, **kw)


def pos(*items: OpenInvoice, state: LadderState | None = None, **kw: object) -> Position:
    return Position("t", "D1", "EUR", list(items), state, **kw)  # type: ignore[arg-type]


def day(offset: int) -> dt.date:
    return DUE + dt.timedelta(days=offset)


def notices(decision):  # type: ignore[no-untyped-def]
    """(stage, first channel) of each notice; the rest of the channels are the fallbacks."""
    return [(a.stage, a.channels[0]) for a in decision.actions if a.kind == "notice"]


def run_days(position: Position, start: int, end: int, config=CONFIG, ladder=LADDER):  # type: ignore[no-untyped-def]
    """Decide every day from start to end (offsets from DUE), carrying the state; return sent stages by day."""
    state = position.state
    sent = {}
    for offset in range(start, end + 1):
        decision = decide(position._replace(state=state), ladder, config, day(offset))
        state = decision.state
        for stage, _ in notices(decision):
            sent[offset] = stage
    return sent, state


def test_full_ladder_day_by_day_follows_the_offsets() -> None:
    sent, state = run_days(pos(inv()), -10, 70)
    assert sent == {
        -7: "courtesy",
        1: "oops",
        15: "whats_wrong",
        22: "penalty_warning",
        30: "ultimatum",
        45: "suspension",
        60: "handoff",
    }
    assert state.stage == "handoff" and state.suspended


def test_one_notice_per_step_even_if_decided_twice_the_same_day() -> None:
    first = decide(pos(inv()), LADDER, CONFIG, day(1))
    again = decide(pos(inv(), state=first.state), LADDER, CONFIG, day(1))
    assert notices(first) == [("oops", "email")]
    assert notices(again) == []


def test_oldest_overdue_invoice_sets_the_step_and_all_go_in_one_notice() -> None:
    old, recent = inv("OLD", due=day(-16)), inv("NEW", due=day(-2))
    decision = decide(pos(recent, old), LADDER, CONFIG, day(0))
    (action,) = [a for a in decision.actions if a.kind == "notice"]
    assert action.stage == "whats_wrong"
    assert action.invoice_ids == ("OLD", "NEW")  # oldest first


def test_disputed_and_held_invoices_drop_out_and_the_rest_go_on() -> None:
    decision = decide(pos(inv("A", disputed=True), inv("B", hold=True), inv("C")), LADDER, CONFIG, day(1))
    (action,) = [a for a in decision.actions if a.kind == "notice"]
    assert action.invoice_ids == ("C",)
    paused = decide(pos(inv("A", disputed=True)), LADDER, CONFIG, day(1))
    assert notices(paused) == []
    assert paused.journal[0].reason == "paused: every overdue invoice is disputed or on hold"
    assert paused.journal[0].code == status_code(paused.state.status) == "disputed_or_held"


def test_a_new_invoice_joins_the_current_level() -> None:
    _, state = run_days(pos(inv("A")), -10, 15)
    assert state.stage == "whats_wrong"
    later = decide(pos(inv("A"), inv("B", due=day(20)), state=state), LADDER, CONFIG, day(22))
    (action,) = [a for a in later.actions if a.kind == "notice"]
    assert action.stage == "penalty_warning" and action.invoice_ids == ("A", "B")


def test_first_contact_on_an_old_debt_is_capped_and_later_steps_keep_their_spacing() -> None:
    # imported 70 days overdue: not a hand-off letter out of the blue
    sent, _ = run_days(pos(inv()), 70, 110)
    # whats_wrong (offset 15) at 70 (Mon 11 May 2026), pay by +5 = Sat 16 May, rolled to Mon 18 May
    # = day 77; penalty_warning (+7 later) would fall on that pay-by date: it waits a day, 78;
    # then each step keeps its distance: ultimatum (+8) at 86, suspension (+15) at 101
    assert sent == {70: "whats_wrong", 78: "penalty_warning", 86: "ultimatum", 101: "suspension"}
    decision = decide(pos(inv()), LADDER, CONFIG, day(70))
    assert [e.stage for e in decision.journal if e.kind == "skipped"] == ["oops"]


def test_catch_up_replay_sends_missed_steps_one_by_one() -> None:
    config = attrs.evolve(CONFIG, run=attrs.evolve(CONFIG.run, catch_up="replay"))
    sent, _ = run_days(pos(inv()), 20, 45, config)
    # oops (offset 1) at 20, then whats_wrong (offset 15) keeps its distance of 14 days: 34,
    # then penalty_warning (offset 22) 7 days later: 41
    assert sent == {20: "oops", 34: "whats_wrong", 41: "penalty_warning"}


def test_catch_up_skip_waits_for_the_next_step() -> None:
    config = attrs.evolve(CONFIG, run=attrs.evolve(CONFIG.run, catch_up="skip", first_contact_max="handoff"))
    decision = decide(pos(inv()), LADDER, config, day(20))  # whats_wrong was due at 15: window of 2 days passed
    assert notices(decision) == []
    assert any("catch-up policy 'skip'" in e.reason and e.code == "catch_up" for e in decision.journal)
    sent, _ = run_days(pos(inv(), state=decision.state), 21, 23, config)
    assert sent == {22: "penalty_warning"}


def test_paid_in_full_thanks_the_client_restores_service_and_closes_the_cycle() -> None:
    _, state = run_days(pos(inv()), -10, 50)
    assert state.suspended
    paid = decide(pos(state=state), LADDER, CONFIG, day(51))
    assert [a.kind for a in paid.actions] == ["notice", "restore_service"]
    assert paid.actions[0].stage == "thank_you"
    assert paid.state.cycle == state.cycle + 1 and paid.state.stage_index == -1 and not paid.state.suspended
    assert decide(pos(state=paid.state), LADDER, CONFIG, day(52)).actions == ()


@pytest.mark.parametrize(
    ("flags", "reason", "code"),
    [
        ({"insolvent": True}, "stopped: insolvency", "insolvency"),
        ({"cease_contact": True}, "stopped: the debtor asked not to be contacted", "cease_contact"),
        ({"hold": True}, "paused: manual hold", "debtor_hold"),
    ],
)
def test_stops_and_pauses_are_journaled_once(flags: dict[str, bool], reason: str, code: str) -> None:
    first = decide(pos(inv(), **flags), LADDER, CONFIG, day(1))
    assert notices(first) == []
    assert first.journal[0].reason.startswith(reason)
    assert first.journal[0].code == status_code(first.state.status) == code
    assert code in REASONS
    second = decide(pos(inv(), state=first.state, **flags), LADDER, CONFIG, day(2))
    assert second.journal == ()  # unchanged status: nothing new to journal
    resumed = decide(pos(inv(), state=second.state), LADDER, CONFIG, day(3))
    assert resumed.journal[0].kind == "resumed" and notices(resumed) == [("oops", "email")]


def test_promise_pauses_until_its_date_and_a_broken_one_escalates_once() -> None:
    _, state = run_days(pos(inv()), -10, 15)  # whats_wrong sent at +15
    pending = PromiseView("PR1", day(25), 100_000, "pending")
    paused = decide(pos(inv(), state=state, promise=pending), LADDER, CONFIG, day(23))
    assert notices(paused) == [] and "promise to pay by" in paused.journal[0].reason
    assert status_code(paused.state.status) == "promise_pending"
    broken = PromiseView("PR1", day(25), 100_000, "broken")
    escalated = decide(pos(inv(), state=paused.state, promise=broken), LADDER, CONFIG, day(28))
    assert [e.kind for e in escalated.journal] == ["promise_broken", "resumed"]
    assert notices(escalated)[0][0] == "penalty_warning"
    again = decide(pos(inv(), state=escalated.state, promise=broken), LADDER, CONFIG, day(29))
    assert not any(e.kind == "promise_broken" for e in again.journal)


def test_plan_in_good_standing_follows_instalments_not_invoices() -> None:
    plan = PlanView("PL1", "active", next_due=day(40), next_amount_minor=33_334, next_number=1)
    confirm = decide(pos(inv(), plan=plan), LADDER, CONFIG, day(34))
    assert notices(confirm) == [("plan_confirmation", "email")]  # once, when the plan starts
    far = decide(pos(inv(), plan=plan, state=confirm.state), LADDER, CONFIG, day(35))
    assert notices(far) == []  # the invoice is 35 days overdue, but the plan rules
    remind = decide(pos(inv(), plan=plan, state=far.state), LADDER, CONFIG, day(37))  # 3 days before
    assert notices(remind) == [("instalment_reminder#1", "email")]
    missed = PlanView("PL1", "active", next_due=day(40), next_number=1, missed_since=day(40), missed_number=1)
    oops = decide(pos(inv(), plan=missed, state=remind.state), LADDER, CONFIG, day(42))
    assert notices(oops) == [("plan_missed#1", "email")]


def test_plan_breach_resumes_the_ladder_at_the_configured_step() -> None:
    breached = PlanView("PL1", "breached", missed_number=2)
    decision = decide(pos(inv(), plan=breached), LADDER, CONFIG, day(50))
    assert decision.journal[0].kind == "plan_breached"
    assert notices(decision) == [("plan_breach", "email")]
    # the ladder resumes at penalty_warning, keeping its distance (22 - 15 = 7 days) from the breach notice
    sent, _ = run_days(pos(inv(), plan=breached, state=decision.state), 51, 58)
    assert sent == {57: "penalty_warning"}


def test_minimum_gap_and_public_holidays_defer() -> None:
    recent = decide(pos(inv(), recent_contacts=[(day(0), "email")]), LADDER, CONFIG, day(1))
    assert notices(recent) == [] and "minimum gap is 3 days" in recent.journal[0].reason
    assert (recent.journal[0].kind, recent.journal[0].stage, recent.journal[0].code) == (
        "deferred",
        "oops",
        "contact_gap",
    )
    # 8 December is a national holiday in Spain (Inmaculada Concepción)
    due = dt.date(2026, 12, 7)
    holiday = decide(pos(inv(due=due), country="ES"), LADDER, CONFIG, dt.date(2026, 12, 8))
    assert notices(holiday) == [] and "public holiday in ES" in holiday.journal[0].reason
    assert holiday.journal[0].code == "holiday"
    next_day = decide(pos(inv(due=due), country="ES", state=holiday.state), LADDER, CONFIG, dt.date(2026, 12, 9))
    assert notices(next_day) == [("oops", "email")]


def test_channel_caps_and_missing_contact_points_fall_through_to_the_next_channel() -> None:
    capped = [(day(-4 + i), "email") for i in range(3)]  # 3 emails in the last 7 days, last one 3 days ago
    decision = decide(pos(inv(), recent_contacts=capped), LADDER, CONFIG, day(1))
    assert notices(decision) == [("oops", "sms")]  # email cap of 3 in 7 days reached: next channel
    everything = [*capped, (day(-4), "sms"), (day(-3), "sms")]
    decision = decide(pos(inv(), recent_contacts=everything), LADDER, CONFIG, day(1))
    assert notices(decision) == []
    assert "email: cap of 3 in 7 days reached; sms: cap of 2 in 7 days reached" in decision.journal[0].reason
    assert decision.journal[0].code == "channel_cap"
    no_phone = decide(pos(inv(), contact_points=frozenset({"email"})), LADDER, CONFIG, day(15))
    assert notices(no_phone) == [("whats_wrong", "email")]  # call needs a phone


def test_unreachable_on_every_channel_of_a_stage_is_skipped_with_a_reason() -> None:
    _, state = run_days(pos(inv()), -10, 22)
    decision = decide(pos(inv(), state=state, contact_points=frozenset({"email"})), LADDER, CONFIG, day(30))
    assert notices(decision) == []
    assert decision.journal[0].reason == "skipped: no usable channel (letter: no address)"
    assert decision.journal[0].code == "no_channel"


def test_minimum_balance_condition_skips_the_stage() -> None:
    _, state = run_days(pos(inv(open_minor=2_000)), -10, 44)
    decision = decide(pos(inv(open_minor=2_000), state=state), LADDER, CONFIG, day(45))
    assert notices(decision) == []
    assert "below the stage minimum of EUR 50.00" in decision.journal[0].reason
    assert decision.journal[0].code == "stage_condition"


def test_fee_is_planned_with_its_stage() -> None:
    _, state = run_days(pos(inv()), -10, 29)
    decision = decide(pos(inv(), state=state), LADDER, CONFIG, day(30))
    fees = [a for a in decision.actions if a.kind == "fee"]
    assert [(f.stage, f.amount_minor) for f in fees] == [("ultimatum", 1500)]


def test_repeat_interval_is_capped() -> None:
    stages = list(LADDER.stages)
    stages[2] = attrs.evolve(stages[2], repeat_every=2, repeat_max=2)  # whats_wrong
    ladder = attrs.evolve(LADDER, stages=tuple(stages[:3]))
    config = attrs.evolve(CONFIG, guardrails=attrs.evolve(CONFIG.guardrails, min_gap_days=0))
    state = None
    sent = []
    for offset in range(15, 30):
        decision = decide(pos(inv(), state=state), ladder, config, day(offset))
        state = decision.state
        sent += [(offset, s) for s, _ in notices(decision)]
    assert sent == [(15, "whats_wrong"), (17, "whats_wrong#1"), (19, "whats_wrong#2")]


def test_limitation_warning_goes_to_the_creditor_instead_of_a_notice() -> None:
    _, state = run_days(pos(inv()), -10, 1)  # "oops" sent at +1
    near = pos(inv(), state=state, limitation_date=day(100))
    decision = decide(near, LADDER, CONFIG, day(15))  # 85 days left (warning window: 90)
    assert notices(decision) == []  # no "what's wrong?": the creditor decides
    (warning,) = [a for a in decision.actions if a.kind == "creditor_warning"]
    assert warning.firm_date == day(100) and warning.channels == ("creditor",)
    assert "becomes time-barred on" in dict(warning.detail)["reason"]
    assert decision.journal[0].kind == "paused" and decision.journal[0].code == "limitation"
    assert status_code(decision.state.status) == "limitation"
    again = decide(near._replace(state=decision.state), LADDER, CONFIG, day(16))
    assert notices(again) == [] and again.journal == ()  # journaled once; the warning's key dedups it
    passed = decide(near._replace(state=decision.state), LADDER, CONFIG, day(120))
    assert notices(passed) == [] and "became time-barred" in passed.state.status
    # the creditor checked that the claim is alive (interrupted by a formal demand): tag the debtor
    checked = near._replace(state=decision.state, tags=frozenset({LIMITATION_CHECKED}))
    resumed = decide(checked, LADDER, CONFIG, day(16))
    assert notices(resumed) == [("whats_wrong", "call")] and resumed.journal[0].kind == "resumed"
    far = decide(pos(inv(), state=state, limitation_date=day(200)), LADDER, CONFIG, day(15))
    assert notices(far) == [("whats_wrong", "call")]  # 185 days left: the ladder goes on


@given(
    offsets=st.lists(st.integers(min_value=-40, max_value=120), min_size=1, max_size=4),
    run_day=st.integers(min_value=-10, max_value=150),
)
def test_decision_is_pure_and_sends_at_most_one_notice(offsets: list[int], run_day: int) -> None:
    items = [inv(f"F{i}", due=day(o)) for i, o in enumerate(offsets)]
    a = decide(pos(*items), LADDER, CONFIG, day(run_day))
    b = decide(pos(*items), LADDER, CONFIG, day(run_day))
    assert a == b
    assert len([x for x in a.actions if x.kind == "notice"]) <= 1


def test_a_stage_inserted_in_the_config_does_not_shift_a_stored_state() -> None:
    _, state = run_days(pos(inv()), -10, 22)
    assert (state.stage, state.stage_index) == ("penalty_warning", 2)
    stages = list(LADDER.stages)
    extra = attrs.evolve(stages[2], id="second_call", offset=18)
    ladder = attrs.evolve(LADDER, stages=(*stages[:3], extra, *stages[3:]))
    decision = decide(pos(inv(), state=state), ladder, CONFIG, day(23))
    assert decision.state.stage_index == ladder.index("penalty_warning") == 3
    assert notices(decision) == []  # no step re-sent because an index moved


def test_repeats_do_not_push_the_next_steps_back() -> None:
    stages = list(LADDER.stages)
    stages[2] = attrs.evolve(stages[2], repeat_every=3, repeat_max=2)  # whats_wrong at +15, again at +18, +21
    ladder = attrs.evolve(LADDER, stages=tuple(stages))
    config = attrs.evolve(CONFIG, guardrails=attrs.evolve(CONFIG.guardrails, min_gap_days=0))
    state = None
    sent = {}
    for offset in range(-10, 35):
        decision = decide(pos(inv(), state=state), ladder, config, day(offset))
        state = decision.state
        for stage, _ in notices(decision):
            sent[offset] = stage
    assert sent == {
        -7: "courtesy",
        1: "oops",
        15: "whats_wrong",
        18: "whats_wrong#1",
        21: "whats_wrong#2",
        22: "penalty_warning",  # on its own offset, not 7 days after the last repeat
        30: "ultimatum",
    }


def test_every_reminder_before_the_due_date_with_its_conditions() -> None:
    stages = list(LADDER.stages)
    early = attrs.evolve(stages[0], id="early", offset=-14)
    late = attrs.evolve(stages[0], min_balance={"EUR": Decimal("500.00")})  # courtesy at -7, only from EUR 500
    ladder = attrs.evolve(LADDER, stages=(early, late, *stages[1:]))
    big, small = pos(inv(open_minor=100_000)), pos(inv(open_minor=20_000))
    sent, state = run_days(big, -20, -1, ladder=ladder)
    assert sent == {-14: "early", -7: "courtesy"}
    sent, state = run_days(small, -20, -1, ladder=ladder)
    assert sent == {-14: "early"}  # EUR 200.00: below the courtesy reminder's minimum
    skipped = decide(small._replace(state=state), ladder, CONFIG, day(-7))
    assert skipped.journal == () and notices(skipped) == []  # skipped once, on its day, not again
    # an old-style state (a bare due date) means every reminder before it was taken
    legacy = LadderState(ladder.name, pre_due=DUE.isoformat())
    assert notices(decide(big._replace(state=legacy), ladder, CONFIG, day(-7))) == []


def test_reminders_before_the_due_date_are_keyed_by_currency() -> None:
    eur = decide(pos(inv()), LADDER, CONFIG, day(-7))
    usd = decide(pos(inv())._replace(currency="USD"), LADDER, CONFIG, day(-7))
    (a,), (b,) = eur.actions, usd.actions
    assert (a.stage, b.stage) == ("courtesy", "courtesy") and a.cycle != b.cycle  # two notices, two keys
    assert (a.cycle, b.cycle) == (f"EUR-pre-{DUE.isoformat()}", f"USD-pre-{DUE.isoformat()}")


@pytest.mark.parametrize(
    ("flags", "channel"),
    [
        ({}, "email"),
        ({"cease_contact": True}, None),
        ({"insolvent": True}, None),
        ({"contact_points": frozenset()}, None),
    ],
)
def test_paid_closes_the_cycle_and_thanks_only_who_may_be_contacted(flags: dict, channel: str | None) -> None:  # type: ignore[type-arg]
    _, state = run_days(pos(inv()), -10, 2)
    decision = decide(pos(inv(open_minor=0), state=state, **flags), LADDER, CONFIG, day(3))
    assert decision.state.cycle == 2 and decision.journal[0].kind == "cycle_closed"
    thanks = [a.channels[0] for a in decision.actions if a.kind == "notice"]
    assert thanks == ([channel] if channel else [])
    if channel is None:
        assert "no thank-you" in decision.journal[0].reason


def test_a_renegotiated_plan_is_confirmed_and_followed_anew() -> None:
    v1 = PlanView("PL1", "active", next_due=day(40), next_amount_minor=33_334, next_number=1)
    first = decide(pos(inv(), plan=v1), LADDER, CONFIG, day(20))
    assert notices(first) == [("plan_confirmation", "email")] and first.actions[0].cycle == "plan-PL1"
    reminded = decide(pos(inv(), plan=v1, state=first.state), LADDER, CONFIG, day(37))
    assert notices(reminded) == [("instalment_reminder#1", "email")]
    v2 = PlanView("PL1", "active", next_due=day(50), next_amount_minor=20_000, next_number=1, version=2)
    again = decide(pos(inv(), plan=v2, state=reminded.state), LADDER, CONFIG, day(38))
    assert notices(again) == [("plan_confirmation", "email")] and again.actions[0].cycle == "plan-PL1v2"
    later = decide(pos(inv(), plan=v2, state=again.state), LADDER, CONFIG, day(47))
    assert notices(later) == [("instalment_reminder#1", "email")]  # instalment 1 of the new version
    assert later.actions[0].cycle == "plan-PL1v2"


def test_a_stopped_debtor_who_owes_nothing_is_neither_counted_nor_journaled() -> None:
    stopped = decide(pos(inv(), insolvent=True), LADDER, CONFIG, day(1))
    assert status_code(stopped.state.status) == "insolvency"
    paid = decide(pos(state=stopped.state, insolvent=True), LADDER, CONFIG, day(2))  # nothing owed any more
    assert paid.state.status == "" and paid.journal == () and paid.actions == ()
    again = decide(pos(state=paid.state, insolvent=True), LADDER, CONFIG, day(3))
    assert again.journal == () and again.state.status == ""


def test_kept_promises_plans_followed_and_every_missed_step_are_journaled() -> None:
    _, state = run_days(pos(inv()), -10, 15)
    kept = PromiseView("PR1", day(25), 100_000, "kept")
    first = decide(pos(inv(open_minor=0), state=state, promise=kept), LADDER, CONFIG, day(20))
    assert [e.kind for e in first.journal] == ["promise_kept", "cycle_closed"]
    plan = PlanView("PL1", "active", next_due=day(40), next_amount_minor=33_334, next_number=1)
    followed = decide(pos(inv(), plan=plan, state=state), LADDER, CONFIG, day(20))
    assert [e.kind for e in followed.journal] == ["plan_followed"]
    again = decide(pos(inv(), plan=plan, state=followed.state), LADDER, CONFIG, day(21))
    assert again.journal == ()
    skip = attrs.evolve(CONFIG, run=attrs.evolve(CONFIG.run, catch_up="skip", first_contact_max="handoff"))
    late = decide(pos(inv()), LADDER, skip, day(20))  # oops (1) and whats_wrong (15) both missed
    assert [(e.stage, e.code) for e in late.journal] == [("oops", "catch_up"), ("whats_wrong", "catch_up")]


def test_the_next_step_waits_for_the_last_pay_by_date() -> None:
    stages = list(LADDER.stages)
    stages[3] = attrs.evolve(stages[3], firm_date_days=10)  # penalty warning at +22: pay by +32
    ladder = attrs.evolve(LADDER, stages=tuple(stages))
    sent, _ = run_days(pos(inv()), -10, 40, ladder=ladder)
    # the ultimatum (+30) waits until the day after the penalty warning's firm date, 2 Mar + 32 = 3 Apr (a Friday)
    assert day(32) == dt.date(2026, 4, 3)
    assert {d: s for d, s in sent.items() if d > 20} == {22: "penalty_warning", 33: "ultimatum"}


def test_the_thank_you_after_a_suspension_says_the_service_is_back() -> None:
    _, state = run_days(pos(inv()), -10, 50)  # suspended at +45
    assert state.suspended
    decision = decide(pos(inv(open_minor=0), state=state), LADDER, CONFIG, day(51))
    thanks = next(a for a in decision.actions if a.kind == "notice")
    assert dict(thanks.detail) == {"service_restored": True}
    assert [a.kind for a in decision.actions] == ["notice", "restore_service"]
