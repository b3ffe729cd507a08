"""Plan lifecycle and evaluation against payments: breach, grace, completion, renegotiation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cobrokit.model import Allocation, Payment, PaymentMethod
from cobrokit.money import Money
from cobrokit.plans import (
    DownPayment,
    InstalmentState,
    Method,
    PaymentPlan,
    PlanCueKind,
    PlanDebt,
    PlanState,
    PlanStateError,
    PlanTerms,
    accept,
    apply_status,
    cancel,
    evaluate_plan,
    plan_cues,
    propose_plan,
    renegotiate,
    transition,
)
from cobrokit.settlements import in_kind_payment

TODAY = dt.date(2025, 3, 1)
START = dt.date(2025, 3, 3)  # a Monday; no calendar is used, so no rolling


def eur(text: str) -> Money:
    return Money(text, "EUR")


def plan_of(balance: str = "300.00", n: int = 3, every: str = "month", grace: int = 5, **kw: object) -> PaymentPlan:
    """A proposed plan: 300.00 in 3 monthly instalments of 100.00 on 3 Mar, 3 Apr, 3 May 2025."""
    return propose_plan(
        plan_id="PLAN-1",
        debtor_id="D1",
        debts=[PlanDebt("I1", eur(balance))],
        today=TODAY,
        terms=PlanTerms(instalments=n, frequency=every, start=START, grace_days=grace, **kw),  # type: ignore[arg-type]
    )


def accepted(**kw: object) -> PaymentPlan:
    return accept(plan_of(**kw), TODAY)  # type: ignore[arg-type]


def pay(day: dt.date, amount: str, ident: str = "", **kw: object) -> Payment:
    return Payment(id=ident or f"P-{day.isoformat()}-{amount}", debtor_id="D1", date=day, amount=eur(amount), **kw)  # type: ignore[arg-type]


# -- breach and grace ---------------------------------------------------------------------


def test_missed_within_grace_is_not_a_breach() -> None:
    plan = accepted()
    # due 3 Mar, grace 5 days → the last day to pay is 8 Mar
    status = evaluate_plan(plan, [], dt.date(2025, 3, 8))
    assert status.state is PlanState.ACTIVE
    assert status.instalments[0].state is InstalmentState.MISSED_IN_GRACE
    assert status.breached_on is None
    assert status.in_good_standing


def test_missed_beyond_grace_is_a_breach_from_the_next_day() -> None:
    plan = accepted()
    status = evaluate_plan(plan, [], dt.date(2025, 3, 9))
    assert status.state is PlanState.BREACHED
    assert status.breached_on == dt.date(2025, 3, 9)
    assert status.breach_instalment == 1
    assert status.instalments[0].state is InstalmentState.MISSED
    assert not status.in_good_standing


def test_paying_on_the_last_grace_day_avoids_the_breach() -> None:
    plan = accepted()
    status = evaluate_plan(plan, [pay(dt.date(2025, 3, 8), "100.00")], dt.date(2025, 3, 20))
    assert status.state is PlanState.ACTIVE
    assert status.instalments[0].state is InstalmentState.PAID
    assert status.instalments[0].paid_on == dt.date(2025, 3, 8)
    assert status.next_due_date == dt.date(2025, 4, 3)


def test_a_partial_payment_does_not_cure_a_miss() -> None:
    plan = accepted()
    payments = [pay(dt.date(2025, 3, 3), "60.00")]
    before = evaluate_plan(plan, payments, dt.date(2025, 3, 3))
    assert before.instalments[0].state is InstalmentState.PARTIALLY_PAID
    assert before.instalments[0].outstanding == eur("40.00")
    late = evaluate_plan(plan, payments, dt.date(2025, 3, 9))
    assert late.state is PlanState.BREACHED
    assert late.instalments[0].paid == eur("60.00")


def test_breach_stays_after_a_late_catch_up_but_full_payment_completes() -> None:
    plan = accepted()
    late = [pay(dt.date(2025, 3, 15), "100.00")]
    status = evaluate_plan(plan, late, dt.date(2025, 3, 20))
    assert status.state is PlanState.BREACHED
    assert status.breached_on == dt.date(2025, 3, 9)
    everything = [pay(dt.date(2025, 3, 15), "300.00")]
    status = evaluate_plan(plan, everything, dt.date(2025, 3, 20))
    assert status.state is PlanState.COMPLETED
    assert status.completed_on == dt.date(2025, 3, 15)


def test_payments_fill_instalments_in_order_and_overpayment_is_reported() -> None:
    plan = accepted()
    # 250.00 → instalment 1 (100.00) and 2 (100.00) paid, 3 gets 50.00
    status = evaluate_plan(plan, [pay(dt.date(2025, 3, 3), "250.00")], dt.date(2025, 3, 4))
    assert [s.paid for s in status.instalments] == [eur("100.00"), eur("100.00"), eur("50.00")]
    assert [s.state for s in status.instalments] == [
        InstalmentState.PAID,
        InstalmentState.PAID,
        InstalmentState.PARTIALLY_PAID,
    ]
    assert status.remaining == eur("50.00")
    over = evaluate_plan(plan, [pay(dt.date(2025, 3, 3), "310.00")], dt.date(2025, 3, 4))
    assert over.state is PlanState.COMPLETED
    assert over.overpaid == eur("10.00")


def test_instalment_states_before_and_on_the_due_date() -> None:
    plan = accepted()
    early = evaluate_plan(plan, [], dt.date(2025, 3, 2))
    assert early.state is PlanState.ACCEPTED  # nothing due or paid yet
    assert early.instalments[0].state is InstalmentState.UPCOMING
    on_day = evaluate_plan(plan, [], START)
    assert on_day.state is PlanState.ACTIVE
    assert on_day.activated_on == START
    assert on_day.instalments[0].state is InstalmentState.DUE


def test_only_the_debtors_payments_after_the_proposal_for_plan_invoices_count() -> None:
    plan = accepted()
    counted = evaluate_plan(
        plan,
        [
            pay(TODAY, "100.00", "before"),  # same day as the proposal: already in the balance
            Payment(id="other", debtor_id="D2", date=START, amount=eur("100.00")),
            Payment(id="usd", debtor_id="D1", date=START, amount=Money("100.00", "USD")),
            Payment(
                id="elsewhere",
                debtor_id="D1",
                date=START,
                amount=eur("100.00"),
                allocations=(Allocation("I9", eur("70.00")),),
            ),  # 30.00 on account counts
            Payment(
                id="plan",
                debtor_id="D1",
                date=START,
                amount=eur("20.00"),
                allocations=(Allocation("I1", eur("20.00")),),
            ),
        ],
        START,
    )
    assert counted.paid == eur("50.00")


def test_in_kind_payment_counts_towards_the_plan() -> None:
    plan = accepted()
    barter = in_kind_payment(
        payment_id="K1",
        debtor_id="D1",
        date=START,
        agreed_value=eur("100.00"),
        description="catering for the staff dinner",
    )
    assert barter.method is PaymentMethod.IN_KIND
    status = evaluate_plan(plan, [barter], dt.date(2025, 3, 20))
    assert status.instalments[0].state is InstalmentState.PAID


def test_remaining_principal_covers_plan_interest_first() -> None:
    plan = accepted(balance="900.00", n=6, annual_rate="6", method=Method.FRENCH)
    # instalment 1 is 152.63 = 4.50 interest + 148.13 principal; paying 10.00 covers
    # the 4.50 interest and 5.50 of principal → 900.00 − 5.50 = 894.50 principal left
    status = evaluate_plan(plan, [pay(START, "10.00")], START)
    assert status.remaining_principal == eur("894.50")


# -- properties ---------------------------------------------------------------------------


@settings(deadline=None, max_examples=60)
@given(
    st.integers(1, 10**7),
    st.integers(1, 24),
    st.sampled_from(["week", "fortnight", "month"]),
    st.booleans(),
    st.integers(0, 20),
)
def test_a_fully_paid_plan_completes(balance_minor: int, n: int, every: str, french: bool, grace: int) -> None:
    assume(balance_minor >= n)
    plan = accept(
        propose_plan(
            plan_id="PLAN-1",
            debtor_id="D1",
            debts=[PlanDebt("I1", Money.from_minor(balance_minor, "EUR"))],
            today=TODAY,
            terms=PlanTerms(
                instalments=n,
                frequency=every,
                start=START,
                grace_days=grace,
                annual_rate=Decimal("7.5") if french else Decimal(0),
                method=Method.FRENCH if french else Method.EQUAL,
            ),
        ),
        TODAY,
    )
    payments = [pay(i.due_date, i.amount.format_amount(), f"P{i.number}") for i in plan.instalments]
    last = plan.instalments[-1].due_date
    status = evaluate_plan(plan, payments, last)
    assert status.state is PlanState.COMPLETED
    assert status.completed_on == last
    assert status.remaining.is_zero() and status.remaining_principal.is_zero()
    assert status.breached_on is None
    assert all(s.state is InstalmentState.PAID for s in status.instalments)


@settings(deadline=None, max_examples=60)
@given(st.lists(st.tuples(st.integers(0, 120), st.integers(1, 30000)), max_size=8), st.integers(0, 150))
def test_evaluation_never_creates_or_loses_money(raw: list[tuple[int, int]], day: int) -> None:
    plan = accepted()
    payments = [
        pay(TODAY + dt.timedelta(days=1 + offset), Money.from_minor(cents, "EUR").format_amount(), f"P{k}")
        for k, (offset, cents) in enumerate(raw)
    ]
    as_of = TODAY + dt.timedelta(days=day)
    status = evaluate_plan(plan, payments, as_of)
    received = Money.total((p.amount for p in payments if p.date <= as_of), "EUR")
    applied = Money.total((s.paid for s in status.instalments), "EUR")
    assert applied + status.overpaid == received
    assert applied + status.remaining == plan.total
    assert all(s.paid + s.outstanding == s.instalment.amount for s in status.instalments)


# -- lifecycle ----------------------------------------------------------------------------


def test_state_machine_happy_path_with_history() -> None:
    plan = accepted()
    assert [e.kind for e in plan.events] == ["proposed", "accepted"]
    status = evaluate_plan(
        plan,
        [pay(d, "100.00", str(d)) for d in (START, dt.date(2025, 4, 3), dt.date(2025, 5, 5))],
        dt.date(2025, 5, 6),
    )
    done = apply_status(plan, status)
    assert done.state is PlanState.COMPLETED
    assert [(e.kind, e.on) for e in done.events[2:]] == [
        ("activated", START),
        ("completed", dt.date(2025, 5, 5)),
    ]
    assert apply_status(done, evaluate_plan(done, [], dt.date(2025, 6, 1))).events == done.events


def test_apply_status_records_a_breach_on_its_date() -> None:
    plan = accepted()
    breached = apply_status(plan, evaluate_plan(plan, [], dt.date(2025, 4, 1)))
    assert breached.state is PlanState.BREACHED
    assert breached.event_date("breached") == dt.date(2025, 3, 9)
    # the stored breach holds even when a back-dated payment later shows up
    again = evaluate_plan(breached, [pay(dt.date(2025, 3, 4), "100.00")], dt.date(2025, 3, 20))
    assert again.state is PlanState.BREACHED


def test_invalid_transitions_are_refused() -> None:
    plan = plan_of()
    gone = cancel(plan, TODAY, reason="client withdrew")
    assert gone.state is PlanState.CANCELLED
    with pytest.raises(PlanStateError) as err:
        accept(gone, TODAY)
    assert err.value.field == "state"
    with pytest.raises(PlanStateError):
        transition(plan, PlanState.COMPLETED, TODAY)
    with pytest.raises(PlanStateError):
        accept(plan, TODAY - dt.timedelta(days=1))  # before the proposal


def test_a_lapsed_proposal_cannot_be_accepted() -> None:
    plan = plan_of()
    # first payment due 3 Mar with 5 grace days: accepting on 9 Mar is too late
    with pytest.raises(PlanStateError) as err:
        accept(plan, dt.date(2025, 3, 9))
    assert "lapsed" in err.value.reason
    assert accept(plan, dt.date(2025, 3, 8)).state is PlanState.ACCEPTED


def test_proposed_and_cancelled_plans_are_never_breached() -> None:
    assert evaluate_plan(plan_of(), [], dt.date(2025, 6, 1)).state is PlanState.PROPOSED
    gone = cancel(accepted(), dt.date(2025, 3, 2))
    assert evaluate_plan(gone, [], dt.date(2025, 6, 1)).breached_on is None


def test_renegotiation_creates_a_linked_version_and_keeps_the_old() -> None:
    plan = apply_status(accepted(), evaluate_plan(accepted(), [], dt.date(2025, 3, 20)))
    assert plan.state is PlanState.BREACHED
    old, new = renegotiate(
        plan,
        debts=[PlanDebt("I1", eur("300.00"))],
        today=dt.date(2025, 3, 20),
        terms=PlanTerms(
            instalments=6,
            frequency="month",
            start=dt.date(2025, 4, 1),
            down_payment=DownPayment.of_amount(eur("30.00")),
        ),
    )
    assert old.state is PlanState.RENEGOTIATED
    assert old.events[: len(plan.events)] == plan.events
    assert old.events[-1].note == "replaced by version 2"
    assert (new.id, new.version, new.previous_version) == ("PLAN-1", 2, 1)
    assert new.state is PlanState.PROPOSED
    assert new.created_on == dt.date(2025, 3, 20)
    assert len(new.instalments) == 7
    with pytest.raises(PlanStateError):
        renegotiate(old, debts=new.debts, terms=new.terms, today=dt.date(2025, 3, 20))


# -- cues for the ladder ------------------------------------------------------------------


def test_cues_follow_the_instalments() -> None:
    plan = accepted()
    kinds = lambda day: [(c.kind, c.instalment) for c in plan_cues(plan, evaluate_plan(plan, [], day))]  # noqa: E731
    assert kinds(dt.date(2025, 2, 27)) == []  # before the acceptance (1 Mar) nothing is due
    # reminder from 3 days before (28 Feb) up to the due date
    assert kinds(dt.date(2025, 3, 1)) == [(PlanCueKind.CONFIRMATION, None), (PlanCueKind.REMINDER, 1)]
    # "oops" the day after a miss, within grace
    assert kinds(dt.date(2025, 3, 4)) == [(PlanCueKind.CONFIRMATION, None), (PlanCueKind.MISSED, 1)]
    breach = plan_cues(plan, evaluate_plan(plan, [], dt.date(2025, 3, 9)))
    assert [(c.kind, c.on, c.amount) for c in breach] == [(PlanCueKind.BREACH, dt.date(2025, 3, 9), eur("300.00"))]
    assert breach[0].cycle == "plan:PLAN-1:v1:plan_breach:1"
