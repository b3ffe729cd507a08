"""Delivery: carry out what the run planned, through channels and plugins — once.

The dispatcher takes outbox rows that are due, and for each one:

0. checks the notice is not out of date (only rows that cannot have gone out: ``planned``,
   ``failed_retryable``): a notice whose debtor and cycle have a notice planned on a later
   business date (a later step: the dispatcher did not run for days) is marked
   ``superseded`` ("a later step replaces it") — only the latest step goes; a reminder
   before the due date (cycle ``…-pre-<due date>``) whose due date has passed in the
   debtor's time zone is ``superseded`` too. A confirmation of an agreed plan and a
   thank-you are never replaced so;
1. checks the contact window in the debtor's time zone (outside it, the row waits) and,
   with ``guardrails.no_contact_on_holidays``, the public holidays of the debtor's country
   and region on the day it would go out (on a holiday, the row waits for the window start
   of the next day that is not one); call tasks never fall on a Saturday or Sunday in the
   debtor's zone (they wait for the next weekday's window start) — for windowed channels
   (email, SMS, WhatsApp, calls); letters and service actions are not windowed. Each wait
   is journaled ``deferred`` with its reason;
2. checks the contact is still allowed, as the store says now: a debtor flagged
   ``cease_contact``, ``insolvent`` or ``hold`` since the decision gets no notice (a
   thank-you still goes to a debtor on hold) — the row is marked ``refused`` with the
   reason and journaled ``refused`` (the ladder pauses on its next run). Invoices disputed
   or put on hold since the decision are left out of the notice (journaled
   ``invoices_left_out`` when it is sent); when none is left, the notice is ``refused``;
3. checks it is still wanted: a notice whose invoices were paid after the decision is
   marked ``superseded`` and not sent (chasing a client who already paid is the worst
   failure of a dunning tool); and that no other notice went to the same debtor in this
   dispatch call — at most one does, the others stay due for the next call (journaled
   ``deferred``, "one contact a day", once per row);
4. builds the :class:`~cobrokit.notice.Notice` from the decision's payload and the store
   (interest with its explanation, fees, plan offer — or, for a missed plan instalment,
   the agreed plan and its grace date — pay-now link) and renders it; a notice that cannot
   be rendered is marked ``render_failed`` with the reason and never sent. A statutory rate
   that is not published (:class:`~cobrokit.interest.errors.MissingRateError`) does not
   block the notice: it goes out without the interest (principal and fees are right), claiming
   the regime's fixed compensation alone (it depends on no rate: EUR 40 per invoice under
   Ley 3/2004 art. 8) with a line saying the interest will be claimed once the rate is
   published, and ``interest_omitted`` is journaled with the message saying how to supply
   the rate; a currency the interest cannot be computed in leaves the whole section out. A regime whose fixed
   compensation is in another currency than the debt (Ley 3/2004's EUR 40 on a USD
   invoice, the UK's GBP sums on a EUR one) gives the interest without the compensation,
   journaled ``compensation_omitted``. The message is dated at the dispatch moment (``metadata["sent_at"]``, in the
   debtor's time zone);
5. marks the row ``sending`` (committed), sends with the row's idempotency key, then marks
   it ``sent`` with the provider's id, or ``failed_retryable`` (tried again later with
   backoff), or ``failed_permanent`` — and then the next channel of the stage is planned.
   Each status change commits together with its journal lines (and the fallback row);
6. once the notice is ``sent``, writes back to the debtor's accounting backend when one is
   configured (:mod:`cobrokit.writeback`): a note on the customer record saying what was
   sent, and the stage's fee posted as a charge — each only if the backend declares it,
   once (journaled as ``backend_note`` / ``backend_charge``, checked before writing again,
   with a deterministic idempotency key). A failed write-back is journaled
   (``backend_note_failed`` / ``backend_charge_failed``) and never un-sends the notice.

A fee is owed only for a notice that went out: when a stage's notice is ``superseded``,
``refused`` or ``render_failed`` (and no notice of that stage went out before), the stage's
fee is voided in the same transaction and ``fee_voided`` is journaled.

Effects (suspend or restore the service, hand-offs, creditor warnings) go to the plugins'
hooks: the row is ``sent`` with what the plugins report, or ``recorded`` when no plugin
carried it out (nobody acted: it is only in the journal, with that reason).

A crash between 5's two commits leaves the row ``sending``. On the next dispatch a channel
that honours idempotency keys gets the same key again (the provider drops the duplicate).
A channel that cannot deduplicate cannot tell whether the message went out, so the row is
first marked ``unknown`` (journaled ``delivery_unknown`` with the reason), and then
``run.on_unknown`` decides: ``resend`` (the default: journaled
``delivery_retry_after_crash`` and sent again — at most one duplicate per crash; the row
stays ``unknown`` until the resend settles it, and a crash before that resend is picked
up by the next dispatch) or ``hold`` (the row stays ``unknown`` for a person to check).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import Counter
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

import attrs

from cobrokit.calendar import calendar_for
from cobrokit.channel import Attachment, Channel, DeliveryReceipt, DeliveryStatus, Message
from cobrokit.engine import WINDOWED_CHANNELS, outbox_key, stage_of, zone_of
from cobrokit.errors import CobrokitError, CurrencyMismatchError
from cobrokit.interest.compensation import NoCompensation
from cobrokit.interest.errors import MissingRateError
from cobrokit.ladder.config import Config
from cobrokit.model import DEFAULT_TENANT, Invoice
from cobrokit.money import Money
from cobrokit.notice import InterestLine, InterestSummary, Notice, NoticeLine
from cobrokit.plugins.manager import PluginHost
from cobrokit.store import journal as jr
from cobrokit.store.interest import invoice_interest
from cobrokit.store.lock import exclusive
from cobrokit.store.sqlite import SQLiteStore
from cobrokit.writeback import WriteBack

if TYPE_CHECKING:
    from cobrokit.interest.regimes import Regime
    from cobrokit.model import Debtor
    from cobrokit.plans import PaymentPlan

__all__ = ["DispatchResult", "build_notice", "cycle_history", "dispatch", "record_receipt"]

log = logging.getLogger(__name__)

PENDING = ("planned", "failed_retryable", "sending")
RESEND_PENDING = "crashed while sending; resend pending (run.on_unknown = resend)"
"""The ``detail`` of an ``unknown`` row the dispatcher will send again (``run.on_unknown =
"resend"``): such rows are due like ``planned`` ones, so a crash between marking the row
``unknown`` and resending it loses nothing."""
HELD = "crashed while sending; held for review (run.on_unknown = hold)"
MAX_ATTEMPTS = 6
INTERNAL = frozenset({"service", "creditor"})


@attrs.frozen(slots=True)
class DispatchResult:
    """What a dispatch did, by outcome."""

    outcomes: Counter[str]
    keys: tuple[tuple[str, str], ...]
    """(key, final status) of every row handled."""

    def summary(self) -> str:
        """One line for the terminal."""
        parts = ", ".join(f"{k} {n}" for k, n in sorted(self.outcomes.items()))
        return f"dispatch: {parts or 'nothing to do'}"


def _interest(
    store: SQLiteStore,
    regime_name: str,
    invoices: list[Invoice],
    as_of: dt.date,
    config: Config,
    host: PluginHost | None,
    compensation_omitted: list[str] | None = None,
) -> InterestSummary | None:
    """The interest section of a notice over *invoices*, or ``None`` when none is late.

    A regime whose fixed compensation is set in another currency than the debt's (EUR 40
    under Ley 3/2004 for a USD debt, the UK's GBP sums for a EUR debt) cannot compensate in
    the debt's currency: the interest is computed without the compensation (its legal
    source is not cited) and *compensation_omitted* receives the reason, once.

    Raises:
        MissingRateError: a period with no published rate.
        CobrokitError: the regime is not installed; anything else the computation raises.
    """
    regimes: dict[str, Any]
    if host is not None:
        regimes = host.regimes()
    else:
        from cobrokit.interest import builtin_regimes

        regimes = dict(builtin_regimes())
    regime = regimes.get(regime_name)
    if regime is None:
        raise CobrokitError(f"interest regime {regime_name!r} is not installed (known: {', '.join(sorted(regimes))})")
    extra = dict(config.rates_for(regime_name))
    interest = compensation = None
    segments: list[InterestLine] = []
    sources: list[str] = []
    day_count = ""
    bare: Regime | None = None  # the regime without its fixed compensation, once needed
    for invoice in invoices:
        try:
            result = invoice_interest(store, bare or regime, invoice, as_of, extra_rates=extra)
        except CurrencyMismatchError as exc:
            if exc.field != "compensation" or bare is not None or not attrs.has(type(regime)):
                raise  # not the compensation's currency (or no way to leave it out): no interest section
            # the regime sets its fixed compensation in another currency (EUR 40, GBP 40/70/100):
            # the interest is still owed and computable; only the compensation is left out
            bare = attrs.evolve(regime, compensation=NoCompensation())
            if compensation_omitted is not None:
                why = exc.reason.removesuffix(" (convert the debt or compute without compensation)")
                compensation_omitted.append(f"{why}: the notice shows the interest without the fixed compensation")
            result = invoice_interest(store, bare, invoice, as_of, extra_rates=extra)
        if result is None:
            continue
        summary = result.to_summary()
        interest = summary.interest if interest is None else interest + summary.interest
        compensation = summary.compensation if compensation is None else compensation + summary.compensation
        segments.extend(summary.segments)
        for source in summary.sources:
            if source not in sources:
                sources.append(source)
        day_count = summary.day_count
    if bare is not None:  # the compensation is not claimed: its legal source is not cited
        cited = regime.compensation.source
        if cited:
            sources = [source for source in sources if not source.startswith(cited)]
    if interest is None or compensation is None:
        return None
    return InterestSummary(
        regime=regime_name,
        interest=interest,
        compensation=compensation,
        day_count=day_count,
        segments=tuple(segments),
        sources=tuple(sources),
    )


def build_notice(
    store: SQLiteStore,
    row: jr.OutboxRow,
    config: Config,
    host: PluginHost | None = None,
    *,
    leave_out: Collection[str] = (),
    omitted: list[str] | None = None,
    compensation_omitted: list[str] | None = None,
) -> Notice:
    """Rebuild the notice an outbox row stands for, from its payload and the store.

    A statutory rate the tables lack (:class:`~cobrokit.interest.errors.MissingRateError`)
    leaves the interest out: the interest section holds the regime's fixed compensation
    alone (zero interest, no segments; ``None`` when no compensation is owed) and ``extra``
    gets ``interest_pending_from`` (the first day without a published rate). A currency the
    regime cannot compute in leaves the section out (``interest=None``). A regime whose fixed
    compensation is in another currency than the debt (EUR 40 for a USD debt, GBP sums
    for a EUR debt) gets the interest without the compensation. Any other error propagates.

    The notice's ``extra`` carries, besides the cycle and channel, the cycle's history
    (:func:`cycle_history`: ``reminders_sent``, ``stages_sent``, ``paid_in_cycle``,
    ``promise_in_cycle``), so texts claim only reminders, silence or a formal demand that
    happened, and:

    * for a hand-off (``handoff`` and ``legal`` stages, or any stage whose action is
      ``handoff``): ``agency_name``, ``agency_contact``, ``lawyer_name`` and
      ``lawyer_contact`` from ``[channels.handoff]``, those that are set
      (:func:`cobrokit.builtin.handoff.handoff_contacts`);
    * for a thank-you: as the notice's lines, the invoices of the paid cycle (settled ones
      show ``open`` zero), and ``payment_amount``: the debtor's latest payment in the
      currency on or before the notice date and after the cycle's first due date (all
      payments of that day together), when there is one.

    Args:
        leave_out: ids of invoices not to list (the dispatcher passes those disputed or on
            hold when the notice goes out).
        omitted: when given, receives the reason of each section left out (the missing
            rate's message, which says how to supply it).
        compensation_omitted: when given, receives the reason the fixed compensation was
            left out of the interest section (a currency the regime cannot compensate in).

    Raises:
        ConfigError: ``[channels.handoff]`` holds an unknown or malformed setting (hand-offs).
    """
    payload = row.payload_data
    as_of = dt.date.fromisoformat(row.as_of)
    debtor = store.get_debtor(row.tenant, row.debtor_id)
    if debtor is None:
        raise CobrokitError(f"debtor {row.debtor_id} no longer exists")
    lines = []
    invoices = []
    stage = stage_of(row.stage)
    listed = [(str(i), int(m)) for i, m in payload.get("invoices", [])]
    if stage == "thank_you" and not listed:  # a thank-you names the invoices of the cycle it closes
        listed = _cycle_invoices(store, row, as_of)
    for invoice_id, open_minor in listed:
        invoice = store.get_invoice(row.tenant, invoice_id)
        if invoice is None or invoice.id in leave_out:
            continue
        invoices.append(invoice)
        lines.append(
            NoticeLine(
                invoice_id=invoice.id,
                number=invoice.number or invoice.id,
                issue_date=invoice.issue_date,
                due_date=invoice.due_date,
                days_overdue=(as_of - invoice.due_date).days,
                amount=invoice.amount,
                open=Money.from_minor(int(open_minor), invoice.currency),
                source=invoice.source,
            )
        )
    currency = row.currency
    principal = Money.total((line.open for line in lines), currency)
    if payload.get("amount_minor") and not lines:  # instalment reminders carry their own amount
        principal = Money.from_minor(int(payload["amount_minor"]), currency)
    fee_minor = store.conn.execute(
        "SELECT COALESCE(SUM(amount_minor), 0) FROM fee "
        "WHERE tenant = ? AND debtor_id = ? AND cycle = ? AND as_of <= ? AND voided_on = ''",
        (row.tenant, row.debtor_id, row.cycle, row.as_of),
    ).fetchone()[0]
    interest = None
    interest_pending: dt.date | None = None
    if payload.get("interest_regime") and invoices:
        try:
            interest = _interest(store, payload["interest_regime"], invoices, as_of, config, host, compensation_omitted)
        except MissingRateError as exc:  # no published rate: the fixed compensation alone is claimed
            if omitted is not None:
                omitted.append(str(exc))
            interest = _compensation_only(store, payload["interest_regime"], invoices, as_of, host, exc)
            interest_pending = exc.start
        except CurrencyMismatchError as exc:  # the regime cannot compute in this currency at all
            if omitted is not None:
                omitted.append(f"{exc}: the notice goes out without the interest section")
    plan_offer = None
    extra: dict[str, Any] = {
        "cycle": row.cycle,
        "channel": row.channel,
        "attach_statement": bool(payload.get("attach_statement")),
        "next_actions": tuple(payload.get("next_actions", ())),
        "service_restored": bool(payload.get("service_restored")),
    }
    if payload.get("instalment") is not None:  # a plan notice names the instalment it is about
        extra["instalment"] = int(payload["instalment"])
    extra.update(cycle_history(store, row, as_of))
    if interest_pending is not None:  # the interest waits for a statutory rate not yet published
        extra["interest_pending_from"] = interest_pending
    if stage == "thank_you":
        since = min((line.due_date for line in lines), default=None)
        paid = _latest_payment(store, row, as_of, since)
        if paid is not None:
            extra["payment_amount"] = paid
    if stage == "thank_you" and config.plans.reward_percent is not None:
        reward = _reward(store, row, as_of, config)
        if reward is not None:
            extra["reward"] = reward
    if stage in HANDOFF_STAGES or payload.get("action") == "handoff":
        from cobrokit.builtin.handoff import handoff_contacts

        extra.update(handoff_contacts(config))
    if payload.get("plan_id"):  # a notice about an agreed plan shows that plan
        plan, plan_offer, lines, principal = _agreed_plan(store, row, payload["plan_id"], as_of, lines, principal)
        if plan is not None:
            extra.update(_plan_progress(store, plan, as_of))
        if plan is not None and payload.get("missed_since"):
            # a missed instalment: the plan's grace days after its due date (plans.evaluate_plan)
            missed_since = dt.date.fromisoformat(payload["missed_since"])
            extra["grace_until"] = (missed_since + dt.timedelta(days=plan.terms.grace_days)).isoformat()
    if payload.get("offer_plan") and principal.amount > 0:
        plan_offer = _plan_offer(
            principal, as_of, config, debtor.country, interest, Money.from_minor(fee_minor, currency)
        )
    firm = payload.get("firm_date")
    return Notice(
        key=row.key,
        tenant=row.tenant,
        debtor=debtor,
        creditor=config.creditor,
        stage=stage,
        template=payload.get("template", stage),
        tone=payload.get("tone", "friendly"),
        as_of=as_of,
        currency=currency,
        lines=tuple(lines),
        principal=principal,
        fees=Money.from_minor(int(fee_minor), currency),
        interest=interest,
        firm_date=dt.date.fromisoformat(firm) if firm else None,
        plan_offer=plan_offer,
        action=payload.get("action", ""),
        extra=extra,
    )


NOT_REMINDERS = frozenset({"oops", "thank_you", "plan_confirmation"})
"""Stages whose notices are not reminders (an apology, a thank-you, a plan's confirmation)."""
UNWRITTEN = INTERNAL | {"call"}
"""Channels that put nothing in writing to the debtor (a call task, service and creditor actions)."""


def cycle_history(store: SQLiteStore, row: jr.OutboxRow, as_of: dt.date) -> dict[str, Any]:
    """What already happened in the debtor's current cycle, so a notice claims only what is true.

    The cycle starts with its first notice (the earliest ``as_of`` of an outbox notice of
    *row*'s debtor and cycle). Returns, for the notice's ``extra``:

    * ``reminders_sent``: how many earlier stages of the cycle went out in writing (status
      ``sent`` or ``delivered``, on a channel other than a call task or an internal action;
      apologies, thank-yous and plan confirmations are not reminders; the stages of
      *row* itself do not count);
    * ``stages_sent``: those stages' ids, in the order they went out (``"ultimatum"`` in it
      means a formal demand went out);
    * ``paid_in_cycle``: the payments in the notice's currency dated from the cycle's start
      through *as_of*, as :class:`~cobrokit.money.Money` (``None`` when there was none);
    * ``promise_in_cycle``: the latest promise to pay in the currency recorded in the cycle
      (``promised_date``, ``amount``, ``recorded_on`` and ``kept``: the payments since it
      was recorded reach its amount), or ``None``.
    """
    tenant, debtor_id = row.tenant, row.debtor_id
    first = store.conn.execute(
        "SELECT MIN(as_of) FROM outbox WHERE tenant = ? AND debtor_id = ? AND cycle = ? AND kind = 'notice'",
        (tenant, debtor_id, row.cycle),
    ).fetchone()[0]
    start = min(dt.date.fromisoformat(first), as_of) if first else as_of
    stages: list[str] = []
    found = store.conn.execute(
        "SELECT stage, channel FROM outbox WHERE tenant = ? AND debtor_id = ? AND cycle = ? AND kind = 'notice' "
        "AND status IN ('sent', 'delivered') AND as_of <= ? AND key != ? ORDER BY as_of, updated_at, key",
        (tenant, debtor_id, row.cycle, row.as_of, row.key),
    )
    current = stage_of(row.stage)
    for stage_key, channel in found:
        stage = stage_of(stage_key)
        if channel in UNWRITTEN or stage in NOT_REMINDERS or stage == current or stage in stages:
            continue
        stages.append(stage)

    def paid_since(day: dt.date) -> int:
        return int(
            store.conn.execute(
                "SELECT COALESCE(SUM(amount_minor), 0) FROM payment WHERE tenant = ? AND debtor_id = ? "
                "AND currency = ? AND date >= ? AND date <= ?",
                (tenant, debtor_id, row.currency, day.isoformat(), as_of.isoformat()),
            ).fetchone()[0]
        )

    paid_minor = paid_since(start)
    promise = None
    latest = store.conn.execute(
        "SELECT promised_date, amount_minor, created_on FROM promise WHERE tenant = ? AND debtor_id = ? "
        "AND currency = ? AND created_on >= ? AND created_on <= ? ORDER BY created_on DESC, promised_date DESC, id "
        "LIMIT 1",
        (tenant, debtor_id, row.currency, start.isoformat(), as_of.isoformat()),
    ).fetchone()
    if latest is not None:
        recorded_on = dt.date.fromisoformat(latest[2])
        promise = {
            "promised_date": dt.date.fromisoformat(latest[0]),
            "amount": Money.from_minor(int(latest[1]), row.currency),
            "recorded_on": recorded_on,
            "kept": paid_since(recorded_on) >= int(latest[1]),
        }
    return {
        "reminders_sent": len(stages),
        "stages_sent": stages,
        "paid_in_cycle": Money.from_minor(paid_minor, row.currency) if paid_minor else None,
        "promise_in_cycle": promise,
    }


def _compensation_only(
    store: SQLiteStore,
    regime_name: str,
    invoices: list[Invoice],
    as_of: dt.date,
    host: PluginHost | None,
    missing: MissingRateError,
) -> InterestSummary | None:
    """The interest section when a statutory rate is missing: the regime's fixed compensation alone.

    The compensation (EUR 40 per invoice under Ley 3/2004 art. 8) depends on no rate: it is
    computed as the debtor statement does (:func:`cobrokit.reports.statement.compensation_alone`),
    with no interest and no interest segments; the legal source cited is the compensation's.
    ``None`` when the regime is not installed or nothing is owed as compensation.
    """
    from cobrokit.reports.statement import compensation_alone

    regimes: dict[str, Any]
    if host is not None:
        regimes = host.regimes()
    else:
        from cobrokit.interest import builtin_regimes

        regimes = dict(builtin_regimes())
    regime = regimes.get(regime_name)
    if regime is None:
        return None
    currency = invoices[0].currency
    credit_notes = [n for n in store.iter_credit_notes(invoices[0].tenant, invoices[0].debtor_id) if n.date <= as_of]
    minor = sum(compensation_alone(store, regime, invoice, as_of, credit_notes) for invoice in invoices)
    if not minor:
        return None
    source = str(getattr(regime.compensation, "source", "") or "")
    log.info("notice: interest pending a statutory rate (%s); fixed compensation claimed alone", missing.start)
    return InterestSummary(
        regime=regime_name,
        interest=Money.zero(currency),
        compensation=Money.from_minor(minor, currency),
        day_count="",
        segments=(),
        sources=(source,) if source else (),
    )


HANDOFF_STAGES = frozenset({"handoff", "legal"})
"""Stages whose notices tell the debtor who the debt was passed to (``[channels.handoff]``)."""


def _cycle_invoices(store: SQLiteStore, row: jr.OutboxRow, as_of: dt.date) -> list[tuple[str, int]]:
    """``(invoice id, open minor units on as_of)`` of the invoices the notices of *row*'s cycle listed."""
    ids: list[str] = []
    found = store.conn.execute(
        "SELECT payload FROM outbox WHERE tenant = ? AND debtor_id = ? AND cycle = ? AND kind = 'notice' "
        "ORDER BY as_of, created_at, key",
        (row.tenant, row.debtor_id, row.cycle),
    )
    for (text,) in found:
        for invoice_id, _ in json.loads(text).get("invoices", []):
            if str(invoice_id) not in ids:
                ids.append(str(invoice_id))
    if not ids:
        return []
    opens = store.open_amounts(row.tenant, as_of, invoice_ids=ids)
    return [(i, opens[i]) for i in ids if i in opens]


def _latest_payment(store: SQLiteStore, row: jr.OutboxRow, as_of: dt.date, since: dt.date | None) -> Money | None:
    """The debtor's latest payment in *row*'s currency on or before *as_of* (that day's payments
    summed), made after *since* (the paid cycle's first due date): ``None`` when there is none
    (a cycle closed by a credit note thanks for no payment)."""
    found = store.conn.execute(
        "SELECT date, SUM(amount_minor) FROM payment WHERE tenant = ? AND debtor_id = ? AND currency = ? "
        "AND date <= ? AND date > ? GROUP BY date ORDER BY date DESC LIMIT 1",
        (row.tenant, row.debtor_id, row.currency, as_of.isoformat(), since.isoformat() if since else ""),
    ).fetchone()
    return None if found is None else Money.from_minor(int(found[1]), row.currency)


def _agreed_plan(
    store: SQLiteStore, row: jr.OutboxRow, plan_id: str, as_of: dt.date, lines: list[NoticeLine], principal: Money
) -> tuple[PaymentPlan | None, Any, list[NoticeLine], Money]:
    """The agreed plan and its schedule, and (when the notice lists no invoice) the plan's invoices."""
    from cobrokit.plans import to_plan_offer
    from cobrokit.store.plans import PlanRepository

    plan = PlanRepository(store).load_plan(row.tenant, plan_id)
    if plan is None:
        return None, None, lines, principal
    if not lines:
        opens = store.open_amounts(row.tenant, as_of, invoice_ids=list(plan.invoice_ids))
        for invoice_id in plan.invoice_ids:
            invoice = store.get_invoice(row.tenant, invoice_id)
            if invoice is None or not opens.get(invoice_id):
                continue
            lines.append(
                NoticeLine(
                    invoice_id=invoice.id,
                    number=invoice.number or invoice.id,
                    issue_date=invoice.issue_date,
                    due_date=invoice.due_date,
                    days_overdue=(as_of - invoice.due_date).days,
                    amount=invoice.amount,
                    open=Money.from_minor(opens[invoice_id], invoice.currency),
                    source=invoice.source,
                )
            )
        if lines and not payload_amount(row):
            principal = Money.total((line.open for line in lines), row.currency)
    return plan, to_plan_offer(plan), lines, principal


def _plan_progress(store: SQLiteStore, plan: PaymentPlan, as_of: dt.date) -> dict[str, Any]:
    """What the debtor already paid under an agreed *plan*, as of *as_of*, for the notice's ``extra``.

    ``plan_paid_instalments``: the numbers of the instalments fully paid (0 = down payment);
    ``plan_remaining``: the scheduled amount still unpaid (:attr:`cobrokit.plans.PlanStatus.remaining`),
    both from :func:`cobrokit.plans.evaluate_plan` over the debtor's payments in the ledger.
    """
    from cobrokit.plans import InstalmentState
    from cobrokit.store.plans import plan_status

    status = plan_status(store, plan, as_of)
    return {
        "plan_paid_instalments": tuple(i.number for i in status.instalments if i.state is InstalmentState.PAID),
        "plan_remaining": status.remaining,
    }


def payload_amount(row: jr.OutboxRow) -> int:
    """The amount an outbox row's payload carries (an instalment), in minor units, or 0."""
    return int(row.payload_data.get("amount_minor") or 0)


def _reward(store: SQLiteStore, row: jr.OutboxRow, as_of: dt.date, config: Config) -> dict[str, Any] | None:
    """The reward the thank-you of *row*'s paid cycle announces (granted once per cycle), if earned."""
    from cobrokit.settlements import RewardPolicy
    from cobrokit.store.settlements import reward_for_paid_cycle

    assert config.plans.reward_percent is not None
    policy = RewardPolicy(
        percent=config.plans.reward_percent,
        valid_days=config.plans.reward_valid_days,
        min_days_early=config.plans.reward_min_days_early,
    )
    reward = reward_for_paid_cycle(
        store,
        tenant=row.tenant,
        debtor_id=row.debtor_id,
        currency=row.currency,
        cycle=row.cycle,
        as_of=as_of,
        policy=policy,
    )
    if reward is None:
        return None
    return {"code": reward.code, "percent": reward.percent, "amount": None, "valid_until": reward.valid_until}


def _plan_offer(
    principal: Money, as_of: dt.date, config: Config, country: str, interest: InterestSummary | None, fees: Money
) -> Any:
    from cobrokit.plans import Frequency, LateCharges, PlanTerms, plan_offer

    try:
        extra = LateCharges.from_summary(interest, fees)  # interest, compensation and the cycle's fees
        terms = PlanTerms(
            instalments=config.plans.offer_instalments,
            frequency=Frequency(config.plans.offer_every),
            start=as_of + dt.timedelta(days=7),
            grace_days=config.plans.grace_days,
        )
        return plan_offer(principal, terms, calendar=calendar_for(country), late_charges=extra)
    except CobrokitError as exc:  # an offer is a courtesy: never block the notice
        log.warning("no plan offer on notice: %s", exc)
        return None


def _update(store: SQLiteStore, key: str, now: str, **values: Any) -> None:
    assignments = ", ".join(f"{k} = ?" for k in values)
    with store.transaction() as conn:
        conn.execute(
            f"UPDATE outbox SET {assignments}, updated_at = ? WHERE key = ?",
            (*values.values(), now, key),
        )


def _journal(
    store: SQLiteStore,
    row: jr.OutboxRow,
    kind: str,
    reason: str,
    now: str,
    detail: dict[str, Any] | None = None,
) -> None:
    jr.append_journal(
        store,
        [
            (
                row.tenant,
                "",
                row.as_of,
                row.debtor_id,
                kind,
                row.stage,
                row.cycle,
                row.channel,
                row.key,
                reason,
                json.dumps(detail or {}, sort_keys=True),
                now,
            )
        ],
    )


def _plan_fallback(store: SQLiteStore, row: jr.OutboxRow, now: str) -> str:
    rest = [c for c in row.fallback.split(",") if c]
    if not rest:
        return ""
    channel = rest[0]
    key = outbox_key(row.tenant, row.debtor_id, row.stage, row.cycle, channel)
    new = jr.outbox_row(
        run_id=row.run_id,
        key=key,
        tenant=row.tenant,
        debtor_id=row.debtor_id,
        currency=row.currency,
        stage=row.stage,
        cycle=row.cycle,
        channel=channel,
        fallback=rest[1:],
        kind=row.kind,
        as_of=dt.date.fromisoformat(row.as_of),
        not_before=row.not_before if channel in WINDOWED_CHANNELS else "",
        payload=row.payload_data,
        now=now,
    )
    jr.insert_outbox(store, [new])
    return channel


WEEKDAY_ONLY_CHANNELS = frozenset({"call"})
"""Windowed channels that never reach the debtor on a Saturday or Sunday (their local date)."""

HOLIDAY_LOOKAHEAD_DAYS = 31
"""How far the holiday guardrail looks for a day that is not a public holiday (a calendar
with a longer run of holidays is a data error: the row then waits for the day after)."""


def _day_text(day: dt.date) -> str:
    """``25 December 2025`` (for the creditor's journal, in English whatever the locale)."""
    from cobrokit.interest.explain import long_date

    return long_date(day)


def _window_wait(row: jr.OutboxRow, debtor: Debtor | None, config: Config, now: dt.datetime) -> tuple[str, str]:
    """``("", "")`` when *row* may be sent now, else (the UTC time to wait for, why).

    A windowed channel sends only inside the contact window in the debtor's time zone and,
    with ``guardrails.no_contact_on_holidays``, never on a public holiday of the debtor's
    country and region (the debtor's local date): it waits for the window start of the
    next day that is not a holiday. Call tasks (:data:`WEEKDAY_ONLY_CHANNELS`) also never
    fall on a Saturday or Sunday in the debtor's zone: they wait for the window start of
    the next weekday that is not a holiday.
    """
    if row.channel not in WINDOWED_CHANNELS:
        return "", ""
    if row.not_before and now < dt.datetime.fromisoformat(row.not_before):
        return row.not_before, ""
    timezone = debtor.timezone if debtor is not None else "UTC"
    zone = zone_of(timezone)
    local = now.astimezone(zone)
    guard = config.guardrails
    country = debtor.country if debtor is not None else ""
    region = debtor.address.region if debtor is not None else ""
    calendar = calendar_for(country, region) if guard.no_contact_on_holidays and country else None

    weekdays_only = row.channel in WEEKDAY_ONLY_CHANNELS

    def closed(day: dt.date) -> str:
        """Why no contact on *day* ("holiday", "weekend"), or ``""``."""
        if calendar is not None and calendar.is_holiday(day):
            return "holiday"
        if weekdays_only and day.weekday() >= 5:
            return "weekend"
        return ""

    today = local.date()
    in_window = guard.window_start <= local.time() < guard.window_end
    if in_window and not closed(today):
        return "", ""
    day = today if local.time() < guard.window_start else today + dt.timedelta(days=1)
    skipped: list[tuple[dt.date, str]] = [(today, closed(today))] if closed(today) and day != today else []
    for _ in range(HOLIDAY_LOOKAHEAD_DAYS):
        why = closed(day)
        if not why:
            break
        skipped.append((day, why))
        day += dt.timedelta(days=1)
    start = dt.datetime.combine(day, guard.window_start, tzinfo=zone)
    wait = start.astimezone(dt.UTC).isoformat(timespec="seconds")
    where = f"{country}-{region}" if region else country
    reasons = [] if in_window else [f"outside the contact window in {timezone}"]
    holidays = [d for d, why in skipped if why == "holiday"]
    if holidays:
        days = ", ".join(_day_text(d) for d in holidays)
        verb = "is a public holiday" if len(holidays) == 1 else "are public holidays"
        reasons.append(f"{days} {verb} in {where}")
    weekend = [d for d, why in skipped if why == "weekend"]
    if weekend:
        days = ", ".join(f"{d:%A} {_day_text(d)}" for d in weekend)
        reasons.append(f"{days}: no calls on weekends")
    return wait, f"{'; '.join(reasons)}; waits until {wait} UTC"


def dispatch(
    store: SQLiteStore,
    host: PluginHost,
    *,
    config: Config,
    now: dt.datetime,
    tenant: str = DEFAULT_TENANT,
    channels: dict[str, Channel] | None = None,
    render: Callable[[Notice, str], Message] | None = None,
    limit: int | None = None,
    write_back: WriteBack | None = None,
) -> DispatchResult:
    """Deliver due outbox rows of *tenant* (see the module docstring for the rules).

    Args:
        channels: channel objects by name (default: built from the plugin host with the
            settings in ``config.channels``).
        render: ``render(notice, channel) -> Message`` (default: the template renderer,
            with the plugins' template context and pay-now link).
        limit: handle at most this many rows.
        write_back: the backend to write back to after each delivery (default: the
            ``[backend]`` table of *config* when its ``write_back`` is on, the backend built
            by the plugin host on first use; else none, and no backend is called).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    stamp = now.astimezone(dt.UTC).isoformat(timespec="seconds")
    built: dict[str, Channel] = dict(channels or {})
    if render is None:
        render = _default_renderer(host, config, store)
    if write_back is None:
        write_back = WriteBack.from_config(host.backend, config.backend)
    outcomes: Counter[str] = Counter()
    handled: list[tuple[str, str]] = []
    resend = config.run.on_unknown == "resend"
    with exclusive(store.path, "dispatch"):  # one dispatcher per store: no notice is sent twice
        rows = [
            row
            for row in jr.iter_outbox(store, tenant, statuses=(*PENDING, "unknown") if resend else PENDING)
            if row.status != "unknown" or row.detail == RESEND_PENDING  # held rows wait for a person
        ]
        contacted: set[str] = set()  # debtors a notice went to in this call: one contact a day
        for row in rows[: limit if limit is not None else len(rows)]:
            status = _deliver_one(store, host, row, config, now, stamp, built, render, write_back, contacted)
            outcomes[status] += 1
            handled.append((row.key, status))
            if status == "sent" and row.kind == "notice":
                contacted.add(row.debtor_id)
    return DispatchResult(outcomes, tuple(handled))


ATTACHING_CHANNELS = frozenset({"email"})


def notice_attachments(
    host: PluginHost, notice: Notice, channel: str, store: SQLiteStore, config: Config
) -> tuple[Attachment, ...]:
    """The statement PDF (for stages with ``attach_statement``) and the plugins' attachments."""
    if channel not in ATTACHING_CHANNELS:
        return ()
    files: list[Attachment] = []
    if notice.extra.get("attach_statement"):
        from cobrokit.reports.statement import debtor_statement, statement_attachment

        statement = debtor_statement(
            store,
            notice.debtor.id,
            notice.as_of,
            tenant=notice.tenant,
            creditor=config.creditor,
            regime=config.regime_for(notice.debtor.country),
            regimes=host.regimes(),
            extra_rates=config.rates_for(config.regime_for(notice.debtor.country)) or None,
            currency=notice.currency,
        )
        files.append(statement_attachment(statement))
    for answer in host.hook.cobrokit_notice_attachments(notice=notice, channel=channel):
        files.extend(answer or ())
    return tuple(files)


def _default_renderer(host: PluginHost, config: Config, store: SQLiteStore) -> Callable[[Notice, str], Message]:
    from cobrokit.plugins.templating import collect_template_context, payment_link
    from cobrokit.rendering import NoticeRenderer

    renderer = NoticeRenderer(override_dirs=config.template_dirs)

    def render(notice: Notice, channel: str) -> Message:
        return renderer.render(
            notice,
            channel,
            extra_context=collect_template_context(host, notice),
            pay_link=payment_link(host, notice),
            attachments=notice_attachments(host, notice, channel, store, config),
        )

    return render


def _deliver_one(
    store: SQLiteStore,
    host: PluginHost,
    row: jr.OutboxRow,
    config: Config,
    now: dt.datetime,
    stamp: str,
    built: dict[str, Channel],
    render: Callable[[Notice, str], Message],
    write_back: WriteBack | None = None,
    contacted: Collection[str] = (),
) -> str:
    if row.kind == "notice" and row.status in STALE_CHECKED:
        stale = _stale(store, row, now)
        if stale:
            _settle_unsent(store, row, "superseded", stale, stamp, now, detail=stale)
            log.info("notice %s superseded at send time", row.key)
            return "superseded"
    if row.not_before and row.channel not in WINDOWED_CHANNELS and now < dt.datetime.fromisoformat(row.not_before):
        return "waiting"
    if row.status == "sending":
        if row.channel in INTERNAL or _honours_idempotency(host, row, config, built):
            _journal(
                store,
                row,
                "delivery_retry_after_crash",
                "crashed while sending; sending again with the same idempotency key",
                stamp,
            )
        else:
            row = _mark_unknown(store, row, config, stamp)
            if row.detail == HELD:
                return "unknown"

    if row.kind in ("suspend_service", "restore_service", "handoff", "creditor_warning"):
        return _internal(store, host, row, stamp, config)

    debtor = store.get_debtor(row.tenant, row.debtor_id)
    wait, why = _window_wait(row, debtor, config, now)
    if wait:
        if wait != row.not_before:
            with store.transaction():
                _update(store, row.key, stamp, not_before=wait)
                _journal(store, row, "deferred", why, stamp, {"not_before": wait})
        return "waiting"

    payload = row.payload_data
    thank_you = stage_of(row.stage) == "thank_you"
    refusal = _debtor_refusal(debtor, thank_you=thank_you)
    ids = [str(i) for i, _ in payload.get("invoices", [])]
    paused = _paused_invoices(store, row, ids) if not thank_you else {}
    kept = [i for i in ids if i not in paused]
    if not refusal and ids and not kept:
        which = ", ".join(f"{i} {why}" for i, why in paused.items())
        refusal = f"every invoice of the notice is now disputed or on hold ({which})"
    if refusal:
        _settle_unsent(store, row, "refused", refusal, stamp, now)
        log.info("notice %s refused at send time", row.key)
        return "refused"

    if not thank_you and kept:
        still_open = store.open_amounts(row.tenant, now.date(), invoice_ids=kept)
        if not any(still_open.values()):
            _settle_unsent(
                store,
                row,
                "superseded",
                "every invoice in the notice was paid before it was sent",
                stamp,
                now,
                detail="paid before sending",
            )
            return "superseded"

    if row.debtor_id in contacted:  # a notice already went to this debtor in this dispatch
        if row.detail != ONE_CONTACT:
            with store.transaction():
                _update(store, row.key, stamp, detail=ONE_CONTACT)
                _journal(store, row, "deferred", ONE_CONTACT, stamp)
        return "deferred"

    omitted: list[str] = []
    uncompensated: list[str] = []
    try:
        notice = build_notice(
            store, row, config, host, leave_out=paused, omitted=omitted, compensation_omitted=uncompensated
        )
        message = render(notice, row.channel)
    except CobrokitError as exc:
        _settle_unsent(store, row, "render_failed", str(exc), stamp, now)
        log.warning("notice %s not sent: %s", row.key, type(exc).__name__)
        return "render_failed"

    try:
        channel = _channel(host, row, config, built)
    except CobrokitError as exc:
        return _failed(store, row, DeliveryReceipt(DeliveryStatus.FAILED_PERMANENT, detail=str(exc)), stamp)
    # dated at the real send moment, in the debtor's zone (email Date header, call task, letter)
    zone = zone_of(debtor.timezone if debtor is not None else "UTC")
    message = attrs.evolve(
        message, metadata={**message.metadata, "sent_at": now.astimezone(zone).isoformat(timespec="seconds")}
    )
    _update(store, row.key, stamp, status="sending", attempts=row.attempts + 1)
    try:
        receipt = channel.send(message)
    except Exception as exc:  # a channel must not raise, but one that does must not stop the run
        log.exception("channel %s raised while sending", row.channel)
        receipt = DeliveryReceipt(DeliveryStatus.FAILED_RETRYABLE, detail=f"{type(exc).__name__}: {exc}")
    if receipt.ok:
        with store.transaction():  # the status and what the journal says of the notice commit together
            _update(store, row.key, stamp, status="sent", provider_id=receipt.provider_id, detail=receipt.detail)
            _journal(
                store,
                row,
                "delivered",
                receipt.detail,
                stamp,
                {"provider_id": receipt.provider_id, "subject": message.subject, "recipient_kind": row.channel},
            )
            if paused:
                left_out = "; ".join(f"invoice {i} {why}" for i, why in paused.items())
                reason = f"{left_out}: left out of the notice"
                _journal(store, row, "invoices_left_out", reason, stamp, {"invoices": [*paused]})
            for reason in omitted:  # the message says how to supply the missing rate
                _journal(store, row, "interest_omitted", reason, stamp)
            for reason in uncompensated:  # a currency the regime's fixed compensation is not in
                _journal(store, row, "compensation_omitted", reason, stamp)
        if write_back is not None:
            try:
                _write_back(store, row, notice, stamp, write_back)
            except Exception:  # the notice is sent: nothing after it may undo or block that
                log.exception("write-back after notice %s failed", row.key)
        host.hook.cobrokit_notice_sent(message=message, receipt=receipt)
        return "sent"
    return _failed(store, row._replace(attempts=row.attempts + 1), receipt, stamp, host, message)


STALE_CHECKED = ("planned", "failed_retryable")
"""Statuses of a notice the dispatcher may still find stale (one that may have gone out is never)."""

ONE_CONTACT = "one contact a day: another notice went to this debtor in this dispatch; waits for the next one"

_LATER_STEP_SQL = """
SELECT stage, as_of FROM outbox
 WHERE tenant = ? AND debtor_id = ? AND as_of > ? AND cycle = ? AND kind = 'notice'
   AND status NOT IN ('render_failed', 'failed_permanent')
 ORDER BY as_of DESC LIMIT 1
"""

NEVER_REPLACED = frozenset({"plan_confirmation", "thank_you"})
"""Stages whose notice no later step replaces (a confirmation of an agreed plan, a thank-you)."""


def _stale(store: SQLiteStore, row: jr.OutboxRow, now: dt.datetime) -> str:
    """Why the notice *row* is out of date at send time, or ``""``.

    * A later step of the same debtor and cycle was planned (a notice row planned on a
      later business date): only the latest step goes — after days without a dispatch the
      debtor gets the ultimatum, not the pile of reminders before it.
    * A reminder before the due date (cycle ``…-pre-<due date>``) whose due date has passed
      (the debtor's date): "due on 2 March" is not sent on 3 March.
    """
    if "-pre-" in row.cycle:
        try:
            due = dt.date.fromisoformat(row.cycle.rsplit("-pre-", 1)[1])
        except ValueError:
            due = None
        if due is not None:
            debtor = store.get_debtor(row.tenant, row.debtor_id)
            today = now.astimezone(zone_of(debtor.timezone if debtor is not None else "UTC")).date()
            if today > due:
                return f"the due date passed before it went out (due on {_day_text(due)})"
    if stage_of(row.stage) in NEVER_REPLACED:
        return ""
    later = store.conn.execute(_LATER_STEP_SQL, (row.tenant, row.debtor_id, row.as_of, row.cycle)).fetchone()
    if later is not None:
        return f"a later step replaces it ({later[0]} planned on {later[1]})"
    return ""


def _debtor_refusal(debtor: Debtor | None, *, thank_you: bool) -> str:
    """Why the debtor may not be contacted now (their flags as stored), or ``""``.

    ``cease_contact`` and ``insolvent`` stop every notice; ``hold`` (a manual pause) stops
    the dunning notices but not a thank-you.
    """
    if debtor is None:
        return ""  # build_notice reports the missing debtor (render_failed)
    if debtor.insolvent:
        return "the debtor is insolvent (insolvency proceedings): individual collection must stop"
    if debtor.cease_contact:
        return "the debtor asked not to be contacted (cease_contact)"
    if debtor.hold and not thank_you:
        return "the debtor is on hold"
    return ""


def _paused_invoices(store: SQLiteStore, row: jr.OutboxRow, ids: list[str]) -> dict[str, str]:
    """``{invoice id: why}`` of the notice's invoices that are now disputed or on hold."""
    paused: dict[str, str] = {}
    for invoice_id in ids:
        invoice = store.get_invoice(row.tenant, invoice_id)
        if invoice is None:
            continue
        if invoice.disputed:
            paused[invoice_id] = "disputed"
        elif invoice.hold:
            paused[invoice_id] = "on hold"
    return paused


_UNSENT_WORDS = {"superseded": "superseded", "refused": "refused", "render_failed": "not rendered"}

FEE_BEARING_STATUSES = ("sent", "delivered", "sending", "unknown")
"""Statuses of a notice that went out (or may have): its stage's fee stays owed."""

_WENT_OUT_SQL = f"""
SELECT 1 FROM outbox WHERE tenant = :tenant AND debtor_id = :debtor AND stage = :stage AND cycle = :cycle
   AND kind = 'notice' AND status IN ({", ".join(f"'{s}'" for s in FEE_BEARING_STATUSES)})
UNION ALL
SELECT 1 FROM journal WHERE tenant = :tenant AND debtor_id = :debtor AND stage = :stage AND cycle = :cycle
   AND kind = 'delivered'
LIMIT 1
"""


def _settle_unsent(
    store: SQLiteStore,
    row: jr.OutboxRow,
    status: str,
    reason: str,
    stamp: str,
    now: dt.datetime,
    *,
    detail: str = "",
) -> None:
    """Mark *row* as never sent (``refused``, ``superseded``, ``render_failed``), journal it
    under the same name, and void its stage's fee — all in one transaction.

    A fee for a notice that did not go out is not owed. It stays when a notice of the same
    stage and cycle went out, or may have (another channel, or this row after a crash while
    sending), and a repeat of a stage (``ultimatum#2``) never voids it: the fee is the first
    notice's.
    """
    with store.transaction() as conn:
        voidable = row.stage == stage_of(row.stage) and not _stage_went_out(store, row)
        _update(store, row.key, stamp, status=status, detail=(detail or reason)[:500])
        _journal(store, row, status, reason, stamp)
        if not voidable:
            return
        voided = conn.execute(
            "UPDATE fee SET voided_on = ? WHERE tenant = ? AND debtor_id = ? AND stage = ? AND cycle = ? "
            "AND voided_on = ''",
            (now.date().isoformat(), row.tenant, row.debtor_id, stage_of(row.stage), row.cycle),
        ).rowcount
        if voided:
            why = _UNSENT_WORDS.get(status, status)
            _journal(store, row, "fee_voided", f"the notice was {why}: its fee is not charged", stamp)


def _stage_went_out(store: SQLiteStore, row: jr.OutboxRow) -> bool:
    """True when a notice of *row*'s stage and cycle was delivered, or may have been."""
    found = store.conn.execute(
        _WENT_OUT_SQL, {"tenant": row.tenant, "debtor": row.debtor_id, "stage": row.stage, "cycle": row.cycle}
    ).fetchone()
    return found is not None


def _channel(host: PluginHost, row: jr.OutboxRow, config: Config, built: dict[str, Channel]) -> Channel:
    """The channel object for *row* (built once per dispatch from the plugin host)."""
    channel = built.get(row.channel)
    if channel is None:
        channel = host.channel(row.channel, config.channels.get(row.channel, {}))
        built[row.channel] = channel
    return channel


def _honours_idempotency(host: PluginHost, row: jr.OutboxRow, config: Config, built: dict[str, Channel]) -> bool:
    """True when *row*'s channel passes idempotency keys to a provider that drops repeats."""
    try:
        channel = _channel(host, row, config, built)
    except CobrokitError:  # cannot be built: nothing vouches for it (the send fails later)
        return False
    return bool(getattr(channel, "honours_idempotency", False))


def _mark_unknown(store: SQLiteStore, row: jr.OutboxRow, config: Config, stamp: str) -> jr.OutboxRow:
    """A crash hit while *row* was sending on a channel that cannot deduplicate: mark it ``unknown``.

    The status change and its journal lines commit together. With ``run.on_unknown =
    "resend"`` the row is marked for resending (:data:`RESEND_PENDING`, picked up again by
    the next dispatch if this one dies first) and journaled ``delivery_retry_after_crash``;
    with ``"hold"`` it stays ``unknown`` (:data:`HELD`). Returns the row as updated.
    """
    hold = config.run.on_unknown == "hold"
    detail = HELD if hold else RESEND_PENDING
    with store.transaction():
        _update(store, row.key, stamp, status="unknown", detail=detail)
        _journal(
            store,
            row,
            "delivery_unknown",
            f"crashed while sending on {row.channel}, which cannot deduplicate: the message may or may not "
            + ("have gone out; not resent (run.on_unknown = hold)" if hold else "have gone out"),
            stamp,
        )
        if not hold:
            _journal(
                store,
                row,
                "delivery_retry_after_crash",
                "sending again (run.on_unknown = resend): at most one duplicate per crash",
                stamp,
            )
    return row._replace(status="unknown", detail=detail)


def _fee_of(store: SQLiteStore, row: jr.OutboxRow) -> tuple[str, Money] | None:
    """``(key, amount)`` of the fee the run charged for *row*'s stage and cycle, if any."""
    found = store.conn.execute(
        "SELECT key, currency, amount_minor FROM fee "
        "WHERE tenant = ? AND debtor_id = ? AND stage = ? AND cycle = ? AND voided_on = ''",
        (row.tenant, row.debtor_id, stage_of(row.stage), row.cycle),
    ).fetchone()
    return None if found is None else (found[0], Money.from_minor(int(found[2]), found[1]))


def _owned_invoices(store: SQLiteStore, row: jr.OutboxRow, source: str) -> frozenset[str]:
    """Ids of the debtor's invoices that came from the backend named *source*."""
    rows = store.conn.execute(
        "SELECT id FROM invoice WHERE tenant = ? AND debtor_id = ? AND source = ?",
        (row.tenant, row.debtor_id, source),
    )
    return frozenset(r[0] for r in rows)


def _written(store: SQLiteStore, row: jr.OutboxRow, kind: str, key: str) -> bool:
    """True when the journal records the write-back *kind* with *key* as done."""
    found = store.conn.execute(
        "SELECT 1 FROM journal WHERE tenant = ? AND debtor_id = ? AND kind = ? AND key = ? LIMIT 1",
        (row.tenant, row.debtor_id, kind, key),
    ).fetchone()
    return found is not None


def _write_back(store: SQLiteStore, row: jr.OutboxRow, notice: Notice, stamp: str, write_back: WriteBack) -> None:
    """After *row* was delivered: note it on the debtor's backend record, post its stage's fee.

    Each write-back only if wanted and declared by the backend, and once: the journal is
    checked first, and the backend gets a deterministic idempotency key (a crash between its
    call and the journal line makes the provider drop the repeat). A failure is journaled.
    """
    fee = _fee_of(store, row)
    sent_on = dt.date.fromisoformat(stamp[:10])
    try:
        source = write_back.backend_name()
        calls = write_back.plan(
            notice, channel=row.channel, sent_on=sent_on, owned=_owned_invoices(store, row, source), fee=fee
        )
    except Exception as exc:  # the backend could not be built or asked what it supports
        reason = f"the backend is not available: {type(exc).__name__}: {exc}"
        for kind, key in write_back.keys(row.key, fee[0] if fee else None):
            if not _written(store, row, kind, key):
                _journal(store, row._replace(key=key), f"{kind}_failed", reason, stamp)
        log.warning("write-back after notice %s skipped: %s", row.key, type(exc).__name__)
        return
    for call in calls:
        if _written(store, row, call.kind, call.key):
            continue
        detail = {"backend": source, **call.detail}
        try:
            done = write_back.perform(call)
        except Exception as exc:  # a backend must not stop the dispatch, nor un-send the notice
            _journal(
                store, row._replace(key=call.key), f"{call.kind}_failed", f"{type(exc).__name__}: {exc}", stamp, detail
            )
            log.warning("%s for notice %s failed: %s", call.kind, row.key, type(exc).__name__)
            continue
        _journal(store, row._replace(key=call.key), call.kind, done, stamp, detail)


def _failed(
    store: SQLiteStore,
    row: jr.OutboxRow,
    receipt: DeliveryReceipt,
    stamp: str,
    host: PluginHost | None = None,
    message: Message | None = None,
) -> str:
    """Record a failed delivery: retry later, or mark it permanent and plan the next channel.

    The status change, its journal lines and the fallback row commit in one transaction
    (a crash leaves either none of them or all); plugins hear of it afterwards.
    """
    if receipt.status is DeliveryStatus.FAILED_RETRYABLE and row.attempts < MAX_ATTEMPTS:
        wait = dt.datetime.fromisoformat(stamp) + dt.timedelta(minutes=5 * 2**row.attempts)
        with store.transaction():
            _update(
                store,
                row.key,
                stamp,
                status="failed_retryable",
                detail=receipt.detail[:500],
                not_before=wait.isoformat(timespec="seconds"),
            )
            _journal(store, row, "delivery_failed", f"retryable: {receipt.detail}", stamp)
        return "failed_retryable"
    with store.transaction():
        _update(store, row.key, stamp, status="failed_permanent", detail=receipt.detail[:500])
        _journal(store, row, "delivery_failed", f"permanent: {receipt.detail}", stamp)
        nxt = _plan_fallback(store, row, stamp)
        if nxt:
            _journal(store, row, "fallback", f"falling back to channel {nxt}", stamp)
    if host is not None and message is not None:
        host.hook.cobrokit_delivery_failed(message=message, receipt=receipt)
    return "failed_permanent"


def _internal(store: SQLiteStore, host: PluginHost, row: jr.OutboxRow, stamp: str, config: Config) -> str:
    """Service suspension/restoration, hand-offs and creditor warnings go to plugins.

    The row is ``sent`` with what the plugins did, or ``recorded`` when no plugin carried
    the effect out (journaled with that reason).
    """
    payload = row.payload_data
    hook = {
        "suspend_service": host.hook.cobrokit_suspend_service,
        "restore_service": host.hook.cobrokit_restore_service,
        "handoff": host.hook.cobrokit_handoff,
        "creditor_warning": host.hook.cobrokit_creditor_alert,
    }[row.kind]
    _update(store, row.key, stamp, status="sending", attempts=row.attempts + 1)
    try:
        results = hook(
            tenant=row.tenant,
            debtor_id=row.debtor_id,
            stage=stage_of(row.stage),
            cycle=row.cycle,
            payload=payload,
            store=store,
            config=config,
            host=host,
        )
    except Exception as exc:
        log.exception("plugin failed on %s", row.kind)
        return _failed(
            store,
            row._replace(attempts=row.attempts + 1),
            DeliveryReceipt(DeliveryStatus.FAILED_RETRYABLE, detail=f"{type(exc).__name__}: {exc}"),
            stamp,
        )
    done = [str(r) for r in results or [] if r]
    status = "sent" if done else "recorded"  # recorded: nobody acted, it is only in the journal
    detail = "; ".join(done) if done else f"no plugin carried out {row.kind}; recorded only"
    with store.transaction():
        _update(store, row.key, stamp, status=status, detail=detail[:500])
        _journal(store, row, row.kind, detail, stamp, {"status": status})
    return status


def record_receipt(
    store: SQLiteStore, receipt: DeliveryReceipt, *, now: dt.datetime, tenant: str = DEFAULT_TENANT
) -> str:
    """Apply a provider's status callback to the notice it concerns; returns the outbox key.

    Verify the callback's signature first (``cobrokit.signing`` and each channel plugin's
    ``verified_*`` helpers): only a verified receipt may change anything. The row is found by
    the provider's message id. ``delivered`` confirms it; a permanent failure (an
    undeliverable number…) marks it failed and plans the stage's next channel; a retryable
    one is journaled.

    Raises:
        UnknownReferenceError: no notice was sent with that provider id.
    """
    from cobrokit.errors import UnknownReferenceError

    found = store.conn.execute(
        f"SELECT {', '.join(jr.OUTBOX_COLUMNS)} FROM outbox WHERE tenant = ? AND provider_id = ?",
        (tenant, receipt.provider_id),
    ).fetchone()
    if not receipt.provider_id or found is None:
        raise UnknownReferenceError(
            "delivery receipt", "provider_id", f"no notice was sent with provider id {receipt.provider_id!r}"
        )
    row = jr.OutboxRow(*found)
    stamp = now.astimezone(dt.UTC).isoformat(timespec="seconds")
    if receipt.status is DeliveryStatus.DELIVERED:
        with store.transaction():
            _update(store, row.key, stamp, status="delivered", detail=receipt.detail[:500] or "delivered")
            _journal(
                store,
                row,
                "delivery_confirmed",
                receipt.detail or "the provider confirmed delivery",
                stamp,
                {"provider_id": receipt.provider_id},
            )
    elif receipt.status is DeliveryStatus.FAILED_PERMANENT:
        _failed(store, row, receipt, stamp)
    elif receipt.status is DeliveryStatus.FAILED_RETRYABLE:
        _journal(
            store,
            row,
            "delivery_failed",
            f"provider reports a temporary failure: {receipt.detail}",
            stamp,
            {"provider_id": receipt.provider_id},
        )
    return row.key
