"""Promises to pay and payment plans, as the ladder sees them on a given date.

The ladder's decision is pure and takes compact views (:class:`PromiseView`,
:class:`PlanView`); this module builds them from the store, evaluating each debtor's
latest promise and current plan against the payments recorded up to the run date.
Only debtors with a promise or a plan are read, so the cost follows their number, not the
portfolio's size.
"""

from __future__ import annotations

import datetime as dt

from cobrokit.ladder.decide import PlanView, PromiseView
from cobrokit.plans import InstalmentState, PaymentPlan, PlanState, evaluate_plan
from cobrokit.promises import Promise, PromiseState, evaluate_promise
from cobrokit.store.plans import PlanRepository
from cobrokit.store.sqlite import SQLiteStore

__all__ = ["load_plan_views", "load_promise_views"]


def load_promise_views(store: SQLiteStore, tenant: str, as_of: dt.date, *, grace_days: int) -> dict[str, PromiseView]:
    """The latest promise (made on or before *as_of*) of every debtor that has one."""
    latest: dict[str, Promise] = {}
    repo = PlanRepository(store)
    for promise in repo.iter_promises(tenant):
        if promise.created_on > as_of:
            continue
        current = latest.get(promise.debtor_id)
        if current is None or (promise.created_on, promise.id) >= (current.created_on, current.id):
            latest[promise.debtor_id] = promise
    views: dict[str, PromiseView] = {}
    for debtor_id, promise in latest.items():
        payments = list(store.iter_payments(tenant, debtor_id))
        status = evaluate_promise(promise, payments, as_of, grace_days=grace_days)
        state = {PromiseState.PENDING: "pending", PromiseState.KEPT: "kept", PromiseState.BROKEN: "broken"}[
            status.state
        ]
        views[debtor_id] = PromiseView(promise.id, promise.promised_date, promise.amount.to_minor(), state)
    return views


def load_plan_views(store: SQLiteStore, tenant: str, as_of: dt.date) -> dict[str, PlanView]:
    """The current plan of every debtor with an accepted, active, breached or completed plan.

    Each plan's own grace days (set when it was made) decide when a missed instalment
    becomes a breach. The view carries the plan's version, so that a renegotiated plan (v2)
    is confirmed and followed anew.
    """
    repo = PlanRepository(store)
    newest: dict[tuple[str, str], PaymentPlan] = {}
    for plan in repo.iter_plans(tenant, states=("accepted", "active", "breached", "completed")):
        if plan.created_on > as_of:
            continue
        key = (plan.debtor_id, plan.id)
        current = newest.get(key)
        if current is None or plan.version > current.version:
            newest[key] = plan
    views: dict[str, PlanView] = {}
    for (debtor_id, _), plan in sorted(newest.items(), key=lambda kv: (kv[0][0], kv[1].created_on)):
        payments = list(store.iter_payments(tenant, debtor_id))
        status = evaluate_plan(plan, payments, as_of)
        if status.state is PlanState.COMPLETED:
            views[debtor_id] = PlanView(plan.id, "completed", version=plan.version)
            continue
        if status.state is PlanState.BREACHED:
            views[debtor_id] = PlanView(
                plan.id, "breached", missed_number=status.breach_instalment or 0, version=plan.version
            )
            continue
        if not status.in_good_standing:
            continue
        missed = status.first_missed
        upcoming = status.next_instalment
        views[debtor_id] = PlanView(
            plan_id=plan.id,
            state="active",
            next_due=upcoming.due_date if upcoming else None,
            next_amount_minor=upcoming.outstanding.to_minor() if upcoming else 0,
            next_number=upcoming.number if upcoming else 0,
            missed_since=missed.due_date
            if missed is not None and missed.state is InstalmentState.MISSED_IN_GRACE
            else None,
            missed_number=missed.number if missed is not None else 0,
            missed_amount_minor=missed.outstanding.to_minor() if missed is not None else 0,
            version=plan.version,
        )
    return views
