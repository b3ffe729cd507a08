"""Saved settlements and rewards brought up to date against the ledger.

* :func:`refresh_settlements` — the dunning run calls it before deciding (like
  :func:`cobrokit.store.plans.refresh_plans`): each open *quita* is evaluated against the
  payments; an honoured one writes off the discount with one credit note per settled
  invoice (so the ledger shows nothing open and the ladder closes the cycle with a
  thank-you); a lapsed one leaves the debt whole.
* :func:`reward_for_paid_cycle` — when the ladder thanks a debtor for paying, the reward
  (a discount on the next purchase) the debtor earned by keeping the terms it agreed, saved
  once per debtor and paid cycle.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence

import attrs

from cobrokit.model import CreditNote, Payment
from cobrokit.money import Money
from cobrokit.plans import PlanState
from cobrokit.promises import DEFAULT_PROMISE_GRACE_DAYS, PromiseState, evaluate_promise
from cobrokit.settlements import (
    Reward,
    RewardPolicy,
    Settlement,
    SettlementState,
    evaluate_settlement,
    reward_code,
    reward_for_payment,
)
from cobrokit.store.plans import PlanRepository
from cobrokit.store.sqlite import SQLiteStore

__all__ = [
    "LATE_RECORDING_DAYS",
    "SettlementChange",
    "refresh_settlements",
    "reward_for_paid_cycle",
    "write_off_id",
]

log = logging.getLogger(__name__)

LATE_RECORDING_DAYS = 30
"""How long after its deadline a lapsed settlement is still checked again: a payment dated
by the deadline that reaches the ledger late (a bank delay, a late import) still honours it."""


def write_off_id(settlement_id: str, invoice_id: str) -> str:
    """The id of the credit note writing off *invoice_id*'s part of an honoured settlement
    (``"SETT-00001:INV-7"``)."""
    return f"{settlement_id}:{invoice_id}"


@attrs.frozen(slots=True)
class SettlementChange:
    """One settlement :func:`refresh_settlements` recorded as honoured or lapsed."""

    tenant: str
    settlement_id: str
    debtor_id: str
    on: dt.date
    """When it happened: the day the lump sum was complete, or the first day after the deadline."""
    from_state: SettlementState
    to_state: SettlementState
    paid: Money
    """Paid towards the settlement by the deadline."""
    write_off: Money
    """Written off with credit notes (zero when lapsed)."""
    credit_note_ids: tuple[str, ...] = ()
    still_open: Money | None = None
    """What the ledger still shows open on the settled invoices after the write-off — not zero
    only when money towards the settlement came on account (not allocated to the invoices)."""


def _towards(payments: Iterable[Payment], invoice_ids: Sequence[str]) -> list[Payment]:
    """The part of each payment that went to the settled invoices or on account.

    Money the debtor allocated to other invoices does not pay the settlement. A settlement
    that names no invoice (made through the pure API) counts every payment.
    """
    if not invoice_ids:
        return list(payments)
    settled = set(invoice_ids)
    result: list[Payment] = []
    for payment in payments:
        kept = tuple(a for a in payment.allocations if a.invoice_id in settled)
        if len(kept) == len(payment.allocations):
            result.append(payment)
            continue
        part = payment.on_account + Money.total((a.amount for a in kept), payment.amount.currency)
        if part.amount > 0:
            result.append(attrs.evolve(payment, amount=part, allocations=kept))
    return result


def _write_off_notes(
    store: SQLiteStore, settlement: Settlement, on: dt.date, budget: Money
) -> tuple[list[CreditNote], Money]:
    """Credit notes for what is still open of the settled invoices on *on*, at most *budget* in all.

    Returns the notes and what stays open on those invoices after them.
    """
    currency = settlement.balance.currency
    if not settlement.invoice_ids:
        log.warning("settlement %s names no invoice: nothing written off", settlement.id)
        return [], Money.zero(currency)
    opens = store.open_amounts(settlement.tenant, on, invoice_ids=list(settlement.invoice_ids))
    notes: list[CreditNote] = []
    left = budget.to_minor()
    rest = 0
    for invoice_id in settlement.invoice_ids:
        open_minor = opens.get(invoice_id, 0)
        minor = min(open_minor, left)
        rest += open_minor - minor
        if minor <= 0:
            continue
        left -= minor
        notes.append(
            CreditNote(
                id=write_off_id(settlement.id, invoice_id),
                debtor_id=settlement.debtor_id,
                date=on,
                amount=Money.from_minor(minor, currency),
                tenant=settlement.tenant,
                invoice_id=invoice_id,
                reason=f"settlement {settlement.id} honoured on {on.isoformat()}: discount written off",
            )
        )
    return notes, Money.from_minor(rest, currency)


def refresh_settlements(store: SQLiteStore, tenant: str, as_of: dt.date, *, now: dt.datetime) -> list[SettlementChange]:
    """Record where every open settlement of *tenant* stands as of *as_of*.

    Each open settlement made on or before *as_of* is evaluated against the debtor's payments
    (:func:`~cobrokit.settlements.evaluate_settlement`; only money allocated to the settled
    invoices or paid on account counts):

    * **honoured** (the lump sum arrived by the deadline): recorded as honoured on the day
      the lump sum was complete, and the discount is written off with one credit note per
      settled invoice (id :func:`write_off_id`, dated that day) for what is still open of it,
      at most the discount in all. The ledger (``open_items``, ``open_amounts``) then shows
      nothing open on those invoices, so the ladder closes the cycle with a thank-you.
    * **lapsed** (*as_of* is past the deadline without the lump sum): recorded as lapsed on
      the day after the deadline; the debt stays whole and the ladder goes on.
    * otherwise still open: nothing is recorded (a partial payment keeps it open until the
      deadline).

    A settlement lapsed less than :data:`LATE_RECORDING_DAYS` days ago is evaluated again, so
    a payment dated by the deadline that reached the ledger late still honours it.
    *now* (when the caller noticed) goes in the recorded note.

    Idempotent: a second call records nothing new. With no open settlement it costs one
    indexed query (``settlement_by_state``) and takes no write lock. All the changes of one
    call are saved in one transaction.

    Returns:
        the settlements recorded, by debtor and id (empty when nothing changed).
    """
    day = as_of.isoformat()
    recheck_from = (as_of - dt.timedelta(days=LATE_RECORDING_DAYS)).isoformat()
    rows = store.conn.execute(
        "SELECT debtor_id, id FROM settlement WHERE tenant = ? AND state = 'open' AND created_on <= ? "
        "UNION SELECT debtor_id, id FROM settlement WHERE tenant = ? AND state = 'lapsed' AND pay_by >= ?",
        (tenant, day, tenant, recheck_from),
    ).fetchall()
    if not rows:
        return []
    note = f"evaluated as of {day} (recorded {now.isoformat(timespec='seconds')})"
    repo = PlanRepository(store)
    changes: list[SettlementChange] = []
    payments: dict[str, list[Payment]] = {}
    with store.transaction():
        for debtor_id, settlement_id in sorted(rows):
            settlement = repo.load_settlement(tenant, settlement_id)
            stored = repo.settlement_state(tenant, settlement_id)
            if settlement is None or stored is None:
                continue
            before, closed_on = stored
            if closed_on is not None and closed_on > as_of:
                continue  # recorded by an evaluation of a later date: the past never rewrites it
            if debtor_id not in payments:
                payments[debtor_id] = list(store.iter_payments(tenant, debtor_id))
            status = evaluate_settlement(settlement, _towards(payments[debtor_id], settlement.invoice_ids), as_of)
            zero = Money.zero(settlement.balance.currency)
            if status.state is SettlementState.HONOURED and status.honoured_on is not None:
                on = status.honoured_on
                notes, still_open = _write_off_notes(store, settlement, on, status.write_off)
                store.save(credit_notes=notes)
                repo.record_settlement_state(settlement, SettlementState.HONOURED, on, note=note)
                written = Money.total((n.amount for n in notes), zero.currency)
                if not still_open.is_zero():
                    log.warning(
                        "settlement %s honoured but %s stays open on its invoices: money paid on account "
                        "is not allocated to them",
                        settlement.id,
                        still_open,
                    )
                changes.append(
                    SettlementChange(
                        tenant,
                        settlement.id,
                        debtor_id,
                        on,
                        before,
                        SettlementState.HONOURED,
                        status.paid,
                        written,
                        tuple(n.id for n in notes),
                        still_open,
                    )
                )
            elif status.state is SettlementState.LAPSED and before is SettlementState.OPEN:
                on = settlement.pay_by + dt.timedelta(days=1)
                repo.record_settlement_state(settlement, SettlementState.LAPSED, on, note=note)
                changes.append(
                    SettlementChange(
                        tenant, settlement.id, debtor_id, on, before, SettlementState.LAPSED, status.paid, zero
                    )
                )
    return changes


@attrs.frozen(slots=True)
class _Kept:
    """A commitment the debtor kept: what, its agreed date, when it was fulfilled, when made."""

    what: str
    term: dt.date
    fulfilled: dt.date
    made: dt.date


def _kept_commitments(
    store: SQLiteStore, tenant: str, debtor_id: str, currency: str, as_of: dt.date, payments: Sequence[Payment]
) -> list[_Kept]:
    repo = PlanRepository(store)
    kept: list[_Kept] = []
    for settlement in repo.iter_settlements(tenant, debtor_id, states=("honoured",)):
        stored = repo.settlement_state(tenant, settlement.id)
        closed_on = stored[1] if stored else None
        if settlement.balance.currency == currency and closed_on is not None and closed_on <= as_of:
            kept.append(_Kept(settlement.record, settlement.pay_by, closed_on, settlement.created_on))
    for plan in repo.iter_plans(tenant, debtor_id=debtor_id, states=(PlanState.COMPLETED,)):
        kinds = {e.kind for e in plan.events}
        completed = [e.on for e in plan.events if e.to_state is PlanState.COMPLETED]
        if plan.currency != currency or "breached" in kinds or not completed or not plan.instalments:
            continue
        if completed[-1] <= as_of:
            kept.append(_Kept(plan.record, plan.instalments[-1].due_date, completed[-1], plan.created_on))
    for promise in repo.iter_promises(tenant, debtor_id):
        if promise.amount.currency != currency or promise.created_on > as_of:
            continue
        status = evaluate_promise(promise, payments, as_of, grace_days=DEFAULT_PROMISE_GRACE_DAYS)
        if status.state is PromiseState.KEPT and status.kept_on is not None:
            kept.append(_Kept(promise.record, promise.promised_date, status.kept_on, promise.created_on))
    return kept


def reward_for_paid_cycle(
    store: SQLiteStore,
    *,
    tenant: str,
    debtor_id: str,
    currency: str,
    cycle: str,
    as_of: dt.date,
    policy: RewardPolicy | None,
) -> Reward | None:
    """The reward for the dunning cycle *cycle* (``"EUR3"``) the debtor just paid, saved once.

    Call it when building the thank-you notice of a paid cycle. The debtor earns *policy*'s
    discount on its next purchase when the payment that cleared its balance in *currency*
    (its latest payment on or before *as_of*) kept a term it had agreed — an honoured
    settlement (its deadline), a plan completed without a breach (its last instalment's date)
    or a kept promise (the promised date) — at least ``policy.min_days_early`` days before
    that date (:func:`~cobrokit.settlements.reward_for_payment`). Paying an overdue invoice
    late earns nothing. With several, the most recent commitment counts.

    Idempotent per debtor and cycle: the code derives from tenant, debtor and cycle
    (:func:`~cobrokit.settlements.reward_code`); once granted, every later call returns the
    saved reward, never a second one. Off when *policy* is ``None``.

    Returns:
        the reward (show ``code``, ``percent`` and ``expires_on``; see
        :func:`~cobrokit.settlements.reward_as_json`), or ``None`` when none was earned.
    """
    if policy is None:
        return None
    repo = PlanRepository(store)
    reference = f"cycle {cycle}"
    saved = repo.load_reward(tenant, reward_code(policy.prefix, tenant, debtor_id, reference))
    if saved is not None:
        return saved
    payments = [p for p in store.iter_payments(tenant, debtor_id) if p.amount.currency == currency]
    paid = [p.date for p in payments if p.date <= as_of]
    if not paid:
        return None
    paid_on = max(paid)
    candidates = [
        k for k in _kept_commitments(store, tenant, debtor_id, currency, as_of, payments) if k.fulfilled == paid_on
    ]
    if not candidates:
        return None
    kept = max(candidates, key=lambda k: (k.made, k.term))
    reward = reward_for_payment(
        policy, tenant=tenant, debtor_id=debtor_id, reference=reference, due_date=kept.term, paid_on=paid_on
    )
    if reward is None:
        return None
    reward = attrs.evolve(
        reward,
        reason=f"cycle {cycle} paid on {paid_on.isoformat()}, keeping {kept.what} (agreed for {kept.term.isoformat()})",
    )
    if not repo.save_reward(reward):
        stored = repo.load_reward(tenant, reward.code)
        return stored if stored is not None else reward
    return reward
