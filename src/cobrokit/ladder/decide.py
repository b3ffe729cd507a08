"""The ladder's decision: for one debtor and currency, as of one date, what happens next.

:func:`decide` is a pure function of its inputs — a :class:`Position` (what is owed, the
debtor's flags, where they stand on the ladder, promises and plans, recent contacts), the
ladder, the configuration and the date. It reads no clock and does no I/O, so the same
inputs always give the same :class:`Decision`, which is what makes runs repeatable,
previewable (``--dry-run``, ``simulate``) and testable.

Rules, in order:

1. **Paid**: when nothing is overdue any more in an active cycle, thank the client, restore
   a suspended service, and close the cycle.
2. **Stops and pauses** (journaled when they change): insolvency and cease-contact stop
   contact; a manual hold pauses; overdue invoices that are all disputed or on hold pause;
   a pending promise to pay pauses until its date plus grace; a broken one is logged once
   and escalates one step.
3. **Payment plans** in good standing replace the invoice due dates: a reminder before
   each instalment, an "oops" after a miss; a breach is logged once and resumes the
   ladder at the configured stage.
4. **Before the due date**: the courtesy reminder for the soonest due invoice.
5. **After it**: the oldest overdue invoice sets the step; all overdue invoices (except
   disputed or held ones) go in one notice. A cycle's first contact never goes beyond
   ``run.first_contact_max`` (an old debt just imported is not greeted with a hand-off),
   and after a late start each step keeps its distance from the previous one. The
   catch-up policy decides what to do with steps missed during downtime; stage
   conditions, the minimum contact gap, channel caps and public holidays can skip or
   defer a step, always with a journaled reason.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import operator
from collections.abc import Sequence
from typing import Any, NamedTuple

from cobrokit.calendar import calendar_for
from cobrokit.interest.limitation import add_years
from cobrokit.ladder.config import Config, Ladder, Stage
from cobrokit.money import Money

__all__ = [
    "REASONS",
    "Action",
    "Decision",
    "Entry",
    "LadderState",
    "OpenInvoice",
    "PlanView",
    "Position",
    "PromiseView",
    "decide",
    "new_state",
    "status_code",
]


class OpenInvoice(NamedTuple):
    """An invoice as the decision sees it (amounts in minor units)."""

    invoice_id: str
    issue: dt.date
    due: dt.date
    amount_minor: int
    open_minor: int
    disputed: bool = False
    hold: bool = False


class PromiseView(NamedTuple):
    """The debtor's latest promise to pay, already evaluated against payments."""

    promise_id: str
    date: dt.date
    amount_minor: int
    state: str  # "pending", "kept" or "broken"


class PlanView(NamedTuple):
    """The debtor's current payment plan, already evaluated against payments."""

    plan_id: str
    state: str  # "active", "breached" or "completed"
    next_due: dt.date | None = None
    next_amount_minor: int = 0
    next_number: int = 0
    missed_since: dt.date | None = None
    missed_number: int = 0
    missed_amount_minor: int = 0
    """What is still owed on the missed instalment (minor units)."""
    version: int = 1
    """The plan's version (a renegotiation makes a new one, confirmed and followed anew)."""

    @property
    def key(self) -> str:
        """How the ladder names this version in keys and markers (``PLAN-00001``, ``PLAN-00001v2``)."""
        return self.plan_id if self.version == 1 else f"{self.plan_id}v{self.version}"


class LadderState(NamedTuple):
    """Where a debtor stands on the ladder (per currency); stored between runs."""

    ladder: str
    cycle: int = 1
    stage: str = ""
    stage_index: int = -1
    stage_date: dt.date | None = None
    repeats: int = 0
    last_contact: dt.date | None = None
    sent: frozenset[str] = frozenset()
    pre_due: str = ""
    suspended: bool = False
    promise_seen: str = ""
    status: str = ""
    plan_seen: str = ""


@functools.lru_cache(maxsize=64)
def new_state(ladder: str) -> LadderState:
    """The state of a debtor never seen before (immutable, so shared)."""
    return LadderState(ladder=ladder)


class Position(NamedTuple):
    """Everything the decision needs about one debtor in one currency."""

    tenant: str
    debtor_id: str
    currency: str
    items: Sequence[OpenInvoice]
    state: LadderState | None = None
    tags: frozenset[str] = frozenset()
    country: str = ""
    region: str = ""
    cease_contact: bool = False
    insolvent: bool = False
    hold: bool = False
    contact_points: frozenset[str] = frozenset({"email", "phone", "address"})
    """What the debtor can be reached at: ``email``, ``phone``, ``address``."""
    promise: PromiseView | None = None
    plan: PlanView | None = None
    risk: int | None = None
    recent_contacts: Sequence[tuple[dt.date, str]] = ()
    """(date, channel) of recent contacts with this debtor, for caps and gaps."""
    limitation_date: dt.date | None = None
    hardship: bool = False
    """The debtor recently said they cannot pay because of cash-flow hardship: notices offer a plan."""
    limitation_years: int = 0
    """The limitation period of the debtor's country (0: unknown); with it each invoice gets its
    own limitation date, and only those near it are set aside."""
    credit_minor: int = 0
    """Paid on account in this currency and not yet allocated to an invoice (minor units)."""


class Action(NamedTuple):
    """Something to carry out: a notice, a fee, a service suspension, a hand-off, a warning."""

    kind: str  # notice | fee | suspend_service | restore_service | handoff | creditor_warning
    stage: str
    cycle: str
    channels: tuple[str, ...] = ()
    invoice_ids: tuple[str, ...] = ()
    firm_date: dt.date | None = None
    amount_minor: int = 0
    detail: tuple[tuple[str, Any], ...] = ()


class Entry(NamedTuple):
    """A journal line: what was decided or not, and why."""

    kind: str
    stage: str
    reason: str
    code: str = ""
    """A stable reason code for counting (``catch_up``, ``contact_gap``, ``no_channel``…; see :data:`REASONS`)."""


REASONS = {
    "insolvency": "stopped: insolvency proceedings",
    "cease_contact": "stopped: the debtor asked not to be contacted",
    "debtor_hold": "paused: manual hold on the debtor",
    "disputed_or_held": "paused: every overdue invoice is disputed or on hold",
    "promise_pending": "paused: a promise to pay is pending",
    "catch_up": "a missed step was not sent (catch-up policy)",
    "stage_condition": "a stage condition (minimum balance, tags, risk score) was not met",
    "no_channel": "no channel of the stage can reach the debtor",
    "channel_cap": "every reachable channel is at its frequency cap",
    "contact_gap": "deferred: the minimum gap since the last contact",
    "holiday": "deferred: a public holiday in the debtor's country",
    "unapplied_credit": "paused: a payment on account covers the overdue balance (to be allocated)",
    "limitation": "paused: the debt nears or passed its limitation date; the creditor decides",
}
"""Reason codes of skipped, deferred, paused and stopped steps, with what they mean."""

_STATUS_INSOLVENT = "stopped: insolvency proceedings, individual collection must stop"
_STATUS_CEASE = "stopped: the debtor asked not to be contacted (cease-contact)"
_STATUS_HOLD = "paused: manual hold on the debtor"
_STATUS_DISPUTED = "paused: every overdue invoice is disputed or on hold"
_STATUS_CREDIT = "paused: a payment on account covers the overdue balance; allocate it to the invoices"
_STATUS_CODES = {
    _STATUS_INSOLVENT: "insolvency",
    _STATUS_CEASE: "cease_contact",
    _STATUS_HOLD: "debtor_hold",
    _STATUS_DISPUTED: "disputed_or_held",
    _STATUS_CREDIT: "unapplied_credit",
}


LIMITATION_CHECKED = "limitation-checked"
"""The debtor tag that lets the ladder go on past a limitation warning (the creditor checked
that the claim is still alive, e.g. interrupted by a formal demand)."""


def status_code(status: str) -> str:
    """The reason code of a ladder state's pause or stop (``""`` when the debtor is active)."""
    if not status:
        return ""
    code = _STATUS_CODES.get(status)
    if code is not None:
        return code
    if status.startswith("paused: promise"):
        return "promise_pending"
    return "limitation" if status.startswith("paused: limitation") else status.split(":", 1)[0]


class Decision(NamedTuple):
    """The outcome of :func:`decide`."""

    state: LadderState
    actions: tuple[Action, ...]
    journal: tuple[Entry, ...]


_BY_DUE = operator.itemgetter(2, 0)  # (due, invoice_id) of an OpenInvoice
_INVOICE_ID = operator.itemgetter(0)
_OPEN_MINOR = operator.itemgetter(4)
_new = tuple.__new__
_HARDSHIP_OFFER = (("offer_plan", True), ("hardship", True))

# channel -> contact point it needs
CHANNEL_NEEDS = {
    "email": "email",
    "sms": "phone",
    "whatsapp": "phone",
    "call": "phone",
    "letter": "address",
}


@functools.lru_cache(maxsize=65536)
def _trigger(due: dt.date, offset: int, business: bool, country: str, region: str) -> dt.date:
    if business:
        return calendar_for(country, region, warn=False).add_business_days(due, offset)
    return due + dt.timedelta(days=offset)


def _cycle_id(currency: str, cycle: int) -> str:
    return f"{currency}{cycle}"


@functools.lru_cache(maxsize=4096)
def _holiday(country: str, region: str, day: dt.date) -> bool:
    return calendar_for(country, region, warn=False).is_holiday(day)


@functools.lru_cache(maxsize=4096)
def _firm_date(as_of: dt.date, days: int, country: str, region: str) -> dt.date | None:
    if not days:
        return None
    return calendar_for(country, region, warn=False).roll_forward(as_of + dt.timedelta(days=days))


def _first_contact_cap(ladder: Ladder, config: Config) -> int:
    """For a ladder without the ``first_contact_max`` stage: its last stage no later than that stage's offset."""
    offsets = [st.offset for other in config.ladders for st in other.post_due if st.id == config.run.first_contact_max]
    if not offsets:
        return -1
    return bisect.bisect_right(ladder.post_offsets, offsets[0]) - 1


def _limitation_dates(pos: Position, overdue: Sequence[OpenInvoice]) -> list[tuple[OpenInvoice, dt.date]]:
    """Each overdue invoice with its limitation date, oldest first (only the oldest's is known
    when the position carries a date and no period)."""
    ordered = sorted(overdue, key=_BY_DUE)
    if pos.limitation_years:
        return [(i, add_years(i[2], pos.limitation_years)) for i in ordered]
    assert pos.limitation_date is not None
    return [(ordered[0], pos.limitation_date)]


def _kept(promise: PromiseView, stage: str) -> Entry:
    return Entry("promise_kept", stage, f"promise {promise.promise_id} to pay by {promise.date.isoformat()} was kept")


def _pre_due_done(marker: str, due_text: str, ladder: Ladder) -> int:
    """Index of the last reminder before *due_text* already taken (-1: none).

    The state keeps ``"<due date>|<stage id>"``; a bare date (older states) means all of them.
    """
    if not marker.startswith(due_text):
        return -1
    if "|" not in marker:
        return len(ladder.pre_due) - 1
    stage_id = marker.split("|", 1)[1]
    return next((i for i, st in enumerate(ladder.pre_due) if st.id == stage_id), len(ladder.pre_due) - 1)


@functools.lru_cache(maxsize=1024)
def _reachable(wanted: tuple[str, ...], points: frozenset[str]) -> tuple[tuple[str, ...], str]:
    usable = tuple(c for c in wanted if CHANNEL_NEEDS.get(c) is None or CHANNEL_NEEDS[c] in points)
    why = "; ".join(f"{c}: no {CHANNEL_NEEDS[c]}" for c in wanted if c not in usable)
    return usable, why


def _channels(pos: Position, wanted: Sequence[str], config: Config, as_of: dt.date) -> tuple[tuple[str, ...], str]:
    """Channels the debtor can be reached on and whose caps allow a contact today."""
    if not pos.recent_contacts:  # no caps can bind: the answer depends only on the contact points
        return _reachable(tuple(wanted), pos.contact_points)
    usable = []
    reasons = []
    for channel in wanted:
        need = CHANNEL_NEEDS.get(channel)
        if need is not None and need not in pos.contact_points:
            reasons.append(f"{channel}: no {need}")
            continue
        cap = config.guardrails.caps.get(channel)
        if cap is not None:
            limit, days = cap
            since = as_of - dt.timedelta(days=days)
            used = sum(1 for day, ch in pos.recent_contacts if ch == channel and day > since)
            if used >= limit:
                reasons.append(f"{channel}: cap of {limit} in {days} days reached")
                continue
        usable.append(channel)
    return tuple(usable), "; ".join(reasons)


def _gap_blocks(pos: Position, state: LadderState, config: Config, as_of: dt.date) -> Entry | None:
    """Why no contact can happen today (minimum gap, public holiday), as a ``deferred`` entry for *stage*."""
    gap = config.guardrails.min_gap_days
    last = state.last_contact
    for day, _ in pos.recent_contacts:
        if last is None or day > last:
            last = day
    if gap and last is not None and (as_of - last).days < gap:
        return Entry(
            "deferred", "", f"deferred: last contact on {last.isoformat()}, minimum gap is {gap} days", "contact_gap"
        )
    if config.guardrails.no_contact_on_holidays and pos.country and _holiday(pos.country, pos.region, as_of):
        return Entry("deferred", "", f"deferred: {as_of.isoformat()} is a public holiday in {pos.country}", "holiday")
    return None


def _conditions(stage: Stage, pos: Position, open_minor: int) -> str:
    minimum = stage.min_balance.get(pos.currency)
    if minimum is not None and Money.from_minor(open_minor, pos.currency).amount < minimum:
        return f"skipped: balance below the stage minimum of {pos.currency} {minimum}"
    if stage.tags_any and not (stage.tags_any & pos.tags):
        return f"skipped: debtor has none of the tags {sorted(stage.tags_any)}"
    if stage.tags_none & pos.tags:
        return f"skipped: debtor has an excluded tag {sorted(stage.tags_none & pos.tags)}"
    if stage.max_risk is not None and pos.risk is not None and pos.risk > stage.max_risk:
        return f"skipped: risk score {pos.risk} above {stage.max_risk}"
    return ""


def decide(pos: Position, ladder: Ladder, config: Config, as_of: dt.date) -> Decision:
    """Decide the next step for one debtor and currency as of *as_of*. Pure."""
    state = pos.state or new_state(ladder.name)
    if state.stage_index >= 0 and (
        state.stage_index >= len(ladder.post_due) or ladder.post_due[state.stage_index].id != state.stage
    ):  # the ladder's stages changed since the state was stored: find the stage by its id
        state = state._replace(stage_index=ladder.index(state.stage))
    if state.ladder != ladder.name:  # the debtor moved to another ladder: keep the cycle, restart the steps
        state = state._replace(ladder=ladder.name, stage="", stage_index=-1, sent=frozenset(), repeats=0)
    journal: list[Entry] = []
    actions: list[Action] = []
    cycle = f"{pos.currency}{state.cycle}"  # _cycle_id(), inlined

    # the hot path of a run: OpenInvoice fields by index (2: due, 4: open_minor, 5: disputed, 6: hold)
    overdue_all = [i for i in pos.items if i[2] < as_of and i[4] > 0]
    overdue = [i for i in overdue_all if not (i[5] or i[6])]

    # 1. paid: close the cycle with thanks
    if state.stage_index >= 0 and not overdue_all:
        closed = f"overdue balance paid; cycle {cycle} closed"
        if pos.insolvent or pos.cease_contact:  # paid, but no contact: the cycle closes quietly
            closed += "; no thank-you (the debtor is not to be contacted)"
        else:
            thanks, why = _channels(pos, ladder.thank_you_channels, config, as_of)
            if thanks:
                restored = (("service_restored", True),) if state.suspended else ()
                actions.append(Action("notice", "thank_you", cycle, thanks, detail=restored))
            else:
                closed += f"; no thank-you ({why})"
        if state.suspended:
            actions.append(Action("restore_service", "thank_you", cycle))
        promise_seen = state.promise_seen
        if pos.promise is not None and pos.promise.state == "kept" and promise_seen != pos.promise.promise_id:
            journal.append(_kept(pos.promise, state.stage))
            promise_seen = pos.promise.promise_id
        journal.append(Entry("cycle_closed", state.stage, closed))
        fresh = LadderState(
            ladder=ladder.name,
            cycle=state.cycle + 1,
            last_contact=state.last_contact,
            pre_due=state.pre_due,
            promise_seen=promise_seen,
            plan_seen=state.plan_seen,
        )
        return Decision(fresh, tuple(actions), tuple(journal))

    # 2. stops and pauses
    status = ""
    if not pos.items:  # nothing owed: nothing to stop or pause (and nothing to count as skipped)
        pass
    elif pos.insolvent:
        status = _STATUS_INSOLVENT
    elif pos.cease_contact:
        status = _STATUS_CEASE
    elif pos.hold:
        status = _STATUS_HOLD
    elif overdue_all and not overdue:
        status = _STATUS_DISPUTED
    elif pos.credit_minor and overdue and pos.credit_minor >= sum(map(_OPEN_MINOR, overdue)):
        status = _STATUS_CREDIT
    escalate = False
    promise_seen = state.promise_seen
    if not status and pos.promise is not None:
        if pos.promise.state == "pending":
            status = f"paused: promise to pay by {pos.promise.date.isoformat()}"
        elif pos.promise.state == "broken" and promise_seen != pos.promise.promise_id:
            journal.append(
                Entry(
                    "promise_broken",
                    state.stage,
                    f"promise {pos.promise.promise_id} to pay by {pos.promise.date.isoformat()} was broken",
                )
            )
            promise_seen = pos.promise.promise_id
            escalate = bool(overdue)
        elif pos.promise.state == "kept" and promise_seen != pos.promise.promise_id:
            journal.append(_kept(pos.promise, state.stage))
            promise_seen = pos.promise.promise_id
    # limitation: an invoice near (or past) its limitation date is the creditor's decision, not
    # the ladder's: it leaves the notices (a warning goes to the creditor); the rest go on
    if (
        not status
        and pos.limitation_date is not None
        and overdue_all
        and (pos.limitation_date - as_of).days <= config.run.limitation_warning_days  # the oldest: a quick test
        and LIMITATION_CHECKED not in pos.tags
    ):
        window = config.run.limitation_warning_days
        near = [(i, when) for i, when in _limitation_dates(pos, overdue_all) if (when - as_of).days <= window]
        for item, when in near:
            left = (when - as_of).days
            told = (
                f"becomes time-barred on {when.isoformat()} (in {left} days)"
                if left >= 0
                else f"became time-barred on {when.isoformat()} ({-left} days ago) unless it was interrupted"
            )
            actions.append(
                Action(
                    "creditor_warning",
                    "limitation",
                    f"limit-{item.invoice_id}",
                    ("creditor",),
                    (item.invoice_id,),
                    when,
                    detail=(
                        (
                            "reason",
                            f"invoice {item.invoice_id} {told}: decide whether to interrupt it (a formal "
                            "demand, a claim in court) or let it go; it is left out of reminders until you "
                            f"tag the debtor {LIMITATION_CHECKED!r}",
                        ),
                    ),
                )
            )
        if len(near) == len(overdue_all):
            item, when = near[0]
            verb = "becomes" if when >= as_of else "became"
            status = f"paused: limitation — invoice {item.invoice_id} {verb} time-barred on {when.isoformat()}"
        elif near:
            left_out = {item.invoice_id for item, _ in near}
            overdue = [i for i in overdue if i.invoice_id not in left_out]
            if not overdue:
                status = _STATUS_DISPUTED
    if status != state.status and pos.items:  # owing nothing any more ends a pause quietly
        kind = "resumed" if not status else status.split(":", 1)[0]
        journal.append(Entry(kind, state.stage, status or f"resumed after: {state.status}", status_code(status)))
    if status != state.status or promise_seen != state.promise_seen:
        state = state._replace(status=status, promise_seen=promise_seen)

    if status:
        return Decision(state, tuple(actions), tuple(journal))

    # 3. payment plans
    resume_at = -1
    if pos.plan is not None:
        plan = pos.plan
        if plan.state == "active":
            return _follow_plan(pos, plan, state, ladder, config, as_of, actions, journal)
        if plan.state == "breached" and state.plan_seen != plan.key:
            journal.append(
                Entry(
                    "plan_breached",
                    state.stage,
                    f"payment plan {plan.plan_id} breached; ladder resumes at {config.plans.breach_resume}",
                )
            )
            resume_at = ladder.index(config.plans.breach_resume)
            channels, why = _channels(pos, ("email", "letter"), config, as_of)
            if channels:
                actions.append(
                    Action(
                        "notice",
                        "plan_breach",
                        f"plan-{plan.key}",
                        channels,
                        tuple(i.invoice_id for i in overdue),
                        detail=(
                            ("template", "plan_breach"),
                            ("instalment", plan.missed_number),
                            ("plan_id", plan.plan_id),
                        ),
                    )
                )
            else:
                journal.append(Entry("skipped", "plan_breach", f"no usable channel ({why})", "no_channel"))
            # the resumed ladder keeps its spacing from today's breach notice
            state = state._replace(
                plan_seen=plan.key,
                stage_index=max(state.stage_index, resume_at - 1),
                stage=ladder.post_due[max(resume_at - 1, 0)].id,
                stage_date=as_of,
                last_contact=as_of if channels else state.last_contact,
            )
            return Decision(state, tuple(actions), tuple(journal))

    # 4. before the due date
    if not overdue:
        upcoming = [i for i in pos.items if i.open_minor > 0 and i.due >= as_of and not i.disputed and not i.hold]
        if upcoming and ladder.pre_due:
            soonest = min(i.due for i in upcoming)
            due_text = soonest.isoformat()
            done = _pre_due_done(state.pre_due, due_text, ladder)
            stage = None  # the latest reminder before the due date whose day has come
            for index, candidate in enumerate(ladder.pre_due):
                if as_of >= _trigger(soonest, candidate.offset, candidate.business_days, pos.country, pos.region):
                    stage = candidate if index > done else None
            if stage is not None:
                marker = f"{due_text}|{stage.id}"
                invoice_ids = tuple(sorted(i.invoice_id for i in upcoming if i.due == soonest))
                amount = sum(i.open_minor for i in upcoming if i.due == soonest)
                why_not = _conditions(stage, pos, amount) if stage.has_conditions else ""
                blocked = _gap_blocks(pos, state, config, as_of)
                channels, why = _channels(pos, stage.channels, config, as_of)
                if why_not:
                    journal.append(Entry("skipped", stage.id, why_not, "stage_condition"))
                    state = state._replace(pre_due=marker)
                elif blocked is not None:
                    journal.append(blocked._replace(stage=stage.id))
                elif not channels:
                    journal.append(Entry("skipped", stage.id, f"no usable channel ({why})", "no_channel"))
                    state = state._replace(pre_due=marker)
                else:
                    pre_cycle = f"{pos.currency}-pre-{due_text}"
                    actions.append(Action("notice", stage.id, pre_cycle, channels, invoice_ids))
                    state = state._replace(pre_due=marker, last_contact=as_of)
        return Decision(state, tuple(actions), tuple(journal))

    # 5. after the due date
    post = ladder.post_due
    ordered = sorted(overdue, key=_BY_DUE) if len(overdue) > 1 else overdue
    oldest = ordered[0]
    if ladder.calendar_days_only:
        target = bisect.bisect_right(ladder.post_offsets, (as_of - oldest.due).days) - 1
    else:
        target = -1
        for index, stage in enumerate(post):
            if as_of >= _trigger(oldest.due, stage.offset, stage.business_days, pos.country, pos.region):
                target = index
    if state.stage_index < 0:
        # a first contact in a cycle never starts with a firm step (an old debt just imported)
        cap = ladder.index(config.run.first_contact_max)
        if cap < 0 and config.run.first_contact_max:
            cap = _first_contact_cap(ladder, config)
        if 0 <= cap < target:
            target = cap
    elif state.stage_date is not None:
        # keep the ladder's spacing after a late start: each step waits its distance from the last
        base = post[state.stage_index].offset
        while target > state.stage_index and (as_of - state.stage_date).days < post[target].offset - base:
            target -= 1
        # and never before the pay-by date the last step gave has passed
        given = post[state.stage_index].firm_date_days
        if target > state.stage_index and given:
            pay_by = _firm_date(state.stage_date, given, pos.country, pos.region)
            if pay_by is not None and as_of <= pay_by:
                target = state.stage_index
    if escalate:
        target = max(target, min(state.stage_index + 1, len(post) - 1))
    if resume_at >= 0:
        target = max(target, resume_at)
    if target < 0:
        return Decision(state, tuple(actions), tuple(journal))

    sent = state.sent
    chosen: int | None = None
    repeat = 0
    if target <= state.stage_index or post[target].id in sent:
        # already at the target: insistent follow-up if the stage repeats
        current = post[state.stage_index] if state.stage_index >= 0 else post[target]
        if (
            current.repeat_every
            and state.repeats < current.repeat_max
            and state.stage_date is not None
            # repeats are counted from the day the step was taken, which also keeps the next
            # step's distance: the Nth repeat is due N * repeat_every days after the step
            and (as_of - state.stage_date).days >= current.repeat_every * (state.repeats + 1)
        ):
            chosen, repeat = post.index(current), state.repeats + 1
    else:
        candidates = [i for i in range(state.stage_index + 1, target + 1) if post[i].id not in sent]
        policy = config.run.catch_up
        if policy == "replay":
            chosen = candidates[0]
        elif policy == "skip":
            reached = _trigger(oldest.due, post[target].offset, post[target].business_days, pos.country, pos.region)
            if (as_of - reached).days <= config.run.catch_up_window_days:
                chosen = target
            else:
                for missed in candidates:  # the target and every step missed before it
                    journal.append(
                        Entry(
                            "skipped",
                            post[missed].id,
                            f"catch-up policy 'skip': step was due on {reached.isoformat()}"
                            if missed == target
                            else "catch-up policy 'skip': missed step not sent",
                            "catch_up",
                        )
                    )
                    sent = sent | {post[missed].id}
                state = state._replace(sent=sent, stage_index=target, stage=post[target].id)
        else:
            chosen = target
        if chosen is not None:
            for missed in candidates:
                if missed < chosen:
                    reason = f"catch-up policy '{policy}': missed step not sent"
                    journal.append(_new(Entry, ("skipped", post[missed].id, reason, "catch_up")))
                    sent = sent | {post[missed].id}
    if chosen is None:
        return Decision(state._replace(sent=sent), tuple(actions), tuple(journal))

    stage = post[chosen]
    open_minor = sum(map(_OPEN_MINOR, overdue)) if stage.has_conditions or stage.fee is not None else 0
    why_not = _conditions(stage, pos, open_minor) if stage.has_conditions else ""
    if why_not:
        journal.append(Entry("skipped", stage.id, why_not, "stage_condition"))
        state = state._replace(
            sent=sent | {stage.id},
            stage_index=max(state.stage_index, chosen),
            stage=stage.id if chosen >= state.stage_index else state.stage,
        )
        return Decision(state, tuple(actions), tuple(journal))
    channels, why = _channels(pos, stage.channels, config, as_of)
    if not channels and all(CHANNEL_NEEDS.get(c, "") not in pos.contact_points for c in stage.channels):
        # the debtor cannot be reached on any of this stage's channels: waiting will not help
        journal.append(Entry("skipped", stage.id, f"skipped: no usable channel ({why})", "no_channel"))
        state = state._replace(
            sent=sent | {stage.id},
            stage_index=max(state.stage_index, chosen),
            stage=stage.id if chosen >= state.stage_index else state.stage,
        )
        return Decision(state, tuple(actions), tuple(journal))
    blocked = _gap_blocks(pos, state, config, as_of)
    if blocked is None and not channels:
        blocked = Entry("deferred", "", f"deferred: no usable channel today ({why})", "channel_cap")
    if blocked is not None:
        journal.append(blocked._replace(stage=stage.id))
        return Decision(state._replace(sent=sent), tuple(actions), tuple(journal))

    stage_key = stage.id if not repeat else f"{stage.id}#{repeat}"
    invoice_ids = tuple(map(_INVOICE_ID, ordered))
    firm = _firm_date(as_of, stage.firm_date_days, pos.country, pos.region)
    # the hot path of a run: tuples built directly (same fields, in order)
    actions.append(
        _new(
            Action,
            (
                "notice",
                stage_key,
                cycle,
                channels,
                invoice_ids,
                firm,
                0,
                (("days_overdue", (as_of - oldest.due).days), *_HARDSHIP_OFFER)
                if pos.hardship and not stage.offer_plan
                else (("days_overdue", (as_of - oldest.due).days),),
            ),
        )
    )
    if stage.fee is not None and not repeat:
        fee = stage.fee.amount(Money.from_minor(open_minor, pos.currency))
        if not fee.is_zero():
            actions.append(Action("fee", stage.id, cycle, amount_minor=fee.to_minor()))
    suspended = state.suspended
    if stage.action == "suspend_service" and not suspended and not repeat:
        actions.append(Action("suspend_service", stage.id, cycle, invoice_ids=invoice_ids))
        suspended = True
    if stage.action == "handoff" and not repeat:
        actions.append(Action("handoff", stage.id, cycle, invoice_ids=invoice_ids))
    state = _new(
        LadderState,
        (
            state.ladder,
            state.cycle,
            stage.id,
            chosen,
            as_of if not repeat else state.stage_date,  # the step's own date, not the repeat's
            repeat,
            as_of,
            sent | {stage.id},
            state.pre_due,
            suspended,
            state.promise_seen,
            state.status,
            state.plan_seen,
        ),
    )
    return _new(Decision, (state, tuple(actions), tuple(journal)))


def _follow_plan(
    pos: Position,
    plan: PlanView,
    state: LadderState,
    ladder: Ladder,
    config: Config,
    as_of: dt.date,
    actions: list[Action],
    journal: list[Entry],
) -> Decision:
    """While a plan is honoured the ladder follows the instalment dates, not the invoices."""
    if state.suspended:  # an accepted plan restores the service
        actions.append(Action("restore_service", "plan", _cycle_id(pos.currency, state.cycle)))
        state = state._replace(suspended=False)
    plan_cycle = f"plan-{plan.key}"
    confirmed = f"plan_confirmation@{plan.key}"
    if confirmed not in state.sent:
        journal.append(
            Entry("plan_followed", "plan", f"payment plan {plan.key} accepted: the ladder follows its instalments")
        )
        channels, why = _channels(pos, ("email", "letter"), config, as_of)
        if channels:
            actions.append(
                Action(
                    "notice",
                    "plan_confirmation",
                    plan_cycle,
                    channels,
                    detail=(("template", "plan_confirmation"), ("plan_id", plan.plan_id)),
                )
            )
        else:
            journal.append(Entry("skipped", "plan_confirmation", f"no usable channel ({why})", "no_channel"))
        return Decision(
            state._replace(sent=state.sent | {confirmed}, last_contact=as_of if channels else state.last_contact),
            tuple(actions),
            tuple(journal),
        )
    if plan.missed_since is not None:
        stage_key = f"plan_missed#{plan.missed_number}"
        marker = f"{stage_key}@{plan.key}"
        if marker not in state.sent:
            channels, why = _channels(pos, ("email", "sms"), config, as_of)
            blocked = _gap_blocks(pos, state._replace(last_contact=None), config, as_of)
            if blocked is not None:
                journal.append(blocked._replace(stage="plan_missed"))
            elif not channels:
                journal.append(Entry("deferred", "plan_missed", f"no usable channel ({why})", "no_channel"))
            else:
                actions.append(
                    Action(
                        "notice",
                        stage_key,
                        plan_cycle,
                        channels,
                        firm_date=plan.missed_since,
                        amount_minor=plan.missed_amount_minor,
                        detail=(
                            ("template", "instalment_missed"),
                            ("plan_id", plan.plan_id),
                            ("instalment", plan.missed_number),
                            ("missed_since", plan.missed_since.isoformat()),
                        ),
                    )
                )
                state = state._replace(sent=state.sent | {marker}, last_contact=as_of)
        return Decision(state, tuple(actions), tuple(journal))
    if plan.next_due is not None:
        remind_on = plan.next_due - dt.timedelta(days=config.plans.reminder_days)
        stage_key = f"instalment_reminder#{plan.next_number}"
        marker = f"{stage_key}@{plan.key}"
        if remind_on <= as_of <= plan.next_due and marker not in state.sent:
            channels, why = _channels(pos, ("email", "sms"), config, as_of)
            if channels:
                actions.append(
                    Action(
                        "notice",
                        stage_key,
                        plan_cycle,
                        channels,
                        firm_date=plan.next_due,
                        amount_minor=plan.next_amount_minor,
                        detail=(
                            ("template", "instalment_reminder"),
                            ("plan_id", plan.plan_id),
                            ("instalment", plan.next_number),
                        ),
                    )
                )
                state = state._replace(sent=state.sent | {marker}, last_contact=as_of)
            else:
                journal.append(Entry("deferred", "instalment_reminder", f"no usable channel ({why})", "no_channel"))
    return Decision(state, tuple(actions), tuple(journal))
