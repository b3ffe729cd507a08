"""Casework: the contact log, disputes and holds — what people record between runs.

A call or a visit ends with an *outcome* and often a *reason* the client gives for not
paying. The reason steers the ladder (seed advice: ask why before escalating):

=================  ==============================================================
reason             effect
=================  ==============================================================
``forgot``         nothing special; the ladder goes on (the client will pay)
``invoice_error``  the invoice is put on hold and flagged for correction
``hardship``       journaled; the next notices offer a payment plan
``dispute``        the invoice is marked disputed and drops out of notices
``refuses``        journaled for the case file
``promise``        a promise to pay is recorded and pauses the ladder until its date
``not_received``   like ``invoice_error``: the invoice is held until it is resent
=================  ==============================================================

An outcome of ``paid`` (the client says they already paid) puts the invoices concerned (the
one named, else every open one) on hold until someone checks the bank: chasing a client who
paid is the worst failure of dunning. New invoices are not held; once the payment arrives
the held ones are simply paid.

Every change is journaled with its reason, so the case file shows who decided what.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import attrs

from cobrokit.errors import UnknownReferenceError, ValidationError
from cobrokit.model import DEFAULT_TENANT
from cobrokit.money import Money
from cobrokit.store import journal as jr
from cobrokit.store.sqlite import SQLiteStore

__all__ = [
    "OUTCOMES",
    "REASONS",
    "ContactResult",
    "import_call_outcomes",
    "record_contact",
    "set_dispute",
    "set_hold",
]

OUTCOMES = (
    "answered",
    "no_answer",
    "voicemail",
    "busy",
    "wrong_number",
    "promise",
    "refused",
    "dispute",
    "paid",
    "callback",
    "visit",
    "email_reply",
)
REASONS = (
    "",
    "forgot",
    "invoice_error",
    "not_received",
    "hardship",
    "dispute",
    "refuses",
    "promise",
    "other",
)


@attrs.frozen(slots=True)
class ContactResult:
    """What recording a contact did."""

    contact_seq: int
    effects: tuple[str, ...]
    promise_id: str = ""


def _journal(
    store: SQLiteStore,
    tenant: str,
    day: dt.date,
    debtor_id: str,
    kind: str,
    reason: str,
    now: dt.datetime,
    detail: dict[str, Any] | None = None,
    key: str = "",
) -> None:
    jr.append_journal(
        store,
        [
            (
                tenant,
                "",
                day.isoformat(),
                debtor_id,
                kind,
                "",
                "",
                "",
                key,
                reason,
                json.dumps(detail or {}, sort_keys=True),
                now.astimezone(dt.UTC).isoformat(),
            )
        ],
    )


def set_dispute(
    store: SQLiteStore,
    invoice_id: str,
    disputed: bool,
    *,
    reason: str,
    on: dt.date,
    now: dt.datetime,
    tenant: str = DEFAULT_TENANT,
) -> None:
    """Open (``disputed=True``) or close a dispute on an invoice, with a reason.

    A disputed invoice drops out of notices; the debtor's other invoices go on.
    """
    invoice = store.get_invoice(tenant, invoice_id)
    if invoice is None:
        raise UnknownReferenceError(f"invoice {invoice_id}", "invoice_id", "no such invoice")
    if disputed and not reason.strip():
        raise ValidationError(f"invoice {invoice_id}", "reason", "say why the invoice is disputed")
    store.set_flag("invoice", tenant, invoice_id, "disputed", disputed)
    _journal(
        store,
        tenant,
        on,
        invoice.debtor_id,
        "dispute_opened" if disputed else "dispute_closed",
        f"invoice {invoice_id}: {reason}".strip(": "),
        now,
        {"invoice_id": invoice_id},
    )


def set_hold(
    store: SQLiteStore,
    *,
    debtor_id: str = "",
    invoice_id: str = "",
    hold: bool,
    reason: str,
    on: dt.date,
    now: dt.datetime,
    tenant: str = DEFAULT_TENANT,
) -> None:
    """Put a debtor or one invoice on manual hold (or release it), with a reason."""
    if bool(debtor_id) == bool(invoice_id):
        raise ValidationError("hold", "debtor_id", "give either a debtor or an invoice")
    if invoice_id:
        invoice = store.get_invoice(tenant, invoice_id)
        if invoice is None:
            raise UnknownReferenceError(f"invoice {invoice_id}", "invoice_id", "no such invoice")
        store.set_flag("invoice", tenant, invoice_id, "hold", hold)
        debtor_id = invoice.debtor_id
    else:
        store.set_flag("debtor", tenant, debtor_id, "hold", hold)
    what = f"invoice {invoice_id}" if invoice_id else "debtor"
    _journal(
        store,
        tenant,
        on,
        debtor_id,
        "hold_set" if hold else "hold_released",
        f"{what}: {reason}",
        now,
        {"invoice_id": invoice_id},
    )


def record_contact(
    store: SQLiteStore,
    *,
    debtor_id: str,
    on: dt.date,
    outcome: str,
    now: dt.datetime,
    reason: str = "",
    channel: str = "call",
    invoice_id: str = "",
    note: str = "",
    promise_date: dt.date | None = None,
    promise_amount: Money | None = None,
    tenant: str = DEFAULT_TENANT,
) -> ContactResult:
    """Record a contact outcome and apply what the client's reason implies.

    Raises:
        ValidationError: unknown outcome or reason; a dispute or invoice error without an
            invoice; a promise without date and amount. Nothing is recorded then.
    """
    record = f"contact with debtor {debtor_id}"
    if store.get_debtor(tenant, debtor_id) is None:
        raise UnknownReferenceError(record, "debtor_id", f"unknown debtor {debtor_id!r}")
    if outcome not in OUTCOMES:
        raise ValidationError(record, "outcome", f"{outcome!r} is not one of {', '.join(OUTCOMES)}")
    if reason not in REASONS:
        raise ValidationError(record, "reason", f"{reason!r} is not one of {', '.join(r for r in REASONS if r)}")
    if outcome == "promise" and not reason:
        reason = "promise"
    if outcome == "dispute" and not reason:
        reason = "dispute"
    if reason in ("dispute", "invoice_error", "not_received") and not invoice_id:
        raise ValidationError(record, "invoice_id", f"a {reason.replace('_', ' ')} needs the invoice it concerns")
    if invoice_id:
        invoice = store.get_invoice(tenant, invoice_id)
        if invoice is None or invoice.debtor_id != debtor_id:
            raise UnknownReferenceError(record, "invoice_id", f"debtor {debtor_id} has no invoice {invoice_id!r}")
    promised = outcome == "promise" or reason == "promise"
    if promised and (promise_date is None or promise_amount is None):
        raise ValidationError(record, "promise_date", "a promise needs a date and an amount")

    promise = None
    if promised:
        from cobrokit.promises import make_promise
        from cobrokit.store.plans import PlanRepository

        assert promise_date is not None and promise_amount is not None
        promise = make_promise(  # validated before anything is written
            promise_id=PlanRepository(store).next_promise_id(tenant),
            debtor_id=debtor_id,
            promised_date=promise_date,
            amount=promise_amount,
            today=on,
            channel=channel,
            note=note,
            tenant=tenant,
        )
    with store.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO contact (tenant, debtor_id, date, channel, outcome, reason, invoice_id, note, recorded_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                tenant,
                debtor_id,
                on.isoformat(),
                channel,
                outcome,
                reason,
                invoice_id,
                note,
                now.astimezone(dt.UTC).isoformat(),
            ),
        )
        seq = int(cur.lastrowid or 0)
    _journal(
        store,
        tenant,
        on,
        debtor_id,
        "contact",
        f"{channel}: {outcome}" + (f" ({reason})" if reason else ""),
        now,
        {"contact_seq": seq, "invoice_id": invoice_id},
    )
    effects: list[str] = []
    promise_id = ""
    if reason in ("invoice_error", "not_received"):
        why = (
            "invoice error reported by the client; correct it"
            if reason == "invoice_error"
            else "the client says the invoice never arrived; send it again"
        )
        set_hold(store, invoice_id=invoice_id, hold=True, reason=why, on=on, now=now, tenant=tenant)
        effects.append(f"invoice {invoice_id} on hold: {why}")
    elif reason == "dispute":
        set_dispute(store, invoice_id, True, reason=note or "disputed by the client", on=on, now=now, tenant=tenant)
        effects.append(f"invoice {invoice_id} disputed")
    elif reason == "hardship":
        _journal(
            store,
            tenant,
            on,
            debtor_id,
            "hardship",
            "client reports cash-flow hardship: offer a payment plan",
            now,
        )
        effects.append("offer a payment plan (cobrokit plan propose)")
    # the outcome's own effect, whatever reason came with it
    if outcome == "paid":
        # the invoices they say they paid wait until someone checks the bank; a new invoice
        # (or one they did not mention) goes on, and once the payment arrives there is nothing to hold
        claimed = (
            [invoice_id]
            if invoice_id
            else [item.invoice_id for item in store.open_items(tenant, on, debtor_id=debtor_id) if item.open_minor > 0]
        )
        for held in claimed:
            set_hold(
                store,
                invoice_id=held,
                hold=True,
                on=on,
                now=now,
                tenant=tenant,
                reason="the client says they already paid it; check the bank and release the hold",
            )
        effects.append(
            f"invoice(s) {', '.join(claimed)} on hold until the payment is checked"
            if claimed
            else "nothing open to hold"
        )
    elif promise is not None:
        from cobrokit.store.plans import PlanRepository

        PlanRepository(store).save_promise(promise)
        promise_id = promise.id
        _journal(
            store,
            tenant,
            on,
            debtor_id,
            "promise",
            f"promise to pay {promise.amount} by {promise.promised_date.isoformat()}",
            now,
            {"promise_id": promise.id},
        )
        effects.append(
            f"promise {promise.id} recorded; ladder paused until {promise.promised_date.isoformat()} plus grace"
        )
    return ContactResult(seq, tuple(effects), promise_id)


def import_call_outcomes(
    store: SQLiteStore,
    path: Path,
    *,
    now: dt.datetime,
    tenant: str = DEFAULT_TENANT,
    default_currency: str = "EUR",
) -> list[ContactResult]:
    """Bring a call list's outcomes (CSV, see :func:`cobrokit.calls.read_call_outcomes`) into the contact log.

    The file is validated whole first (a bad row imports nothing); then each outcome is
    recorded with :func:`record_contact`, which applies what its reason implies.
    """
    from cobrokit.calls import read_call_outcomes

    with path.open(encoding="utf-8-sig", newline="") as handle:
        outcomes = read_call_outcomes(handle, source=path.name, default_currency=default_currency)
    results = []
    with store.transaction():  # one bad outcome (an unknown debtor…) records none of them
        for outcome in outcomes:
            results.append(
                record_contact(
                    store,
                    debtor_id=outcome.debtor_id,
                    on=outcome.date,
                    outcome=outcome.outcome.value,
                    reason=outcome.reason.value if outcome.reason is not None else "",
                    channel="call",
                    note=outcome.note,
                    promise_date=outcome.promise_date,
                    promise_amount=outcome.promise_amount,
                    now=now,
                    tenant=tenant,
                    invoice_id=_oldest_open(store, tenant, outcome.debtor_id, outcome.date)
                    if outcome.reason is not None
                    and outcome.reason.value in ("dispute", "invoice_error", "not_received")
                    else "",
                )
            )
    return results


def _oldest_open(store: SQLiteStore, tenant: str, debtor_id: str, day: dt.date) -> str:
    """The debtor's oldest open invoice (what a call about a dispute concerns when no invoice is named)."""
    return next((i.invoice_id for i in store.open_items(tenant, day, debtor_id=debtor_id) if i.open_minor > 0), "")


# -- debtor flags and tags (appended) ------------------------------------------------------

DEBTOR_FLAGS = ("cease_contact", "insolvent")
"""The debtor flags people set: both stop the ladder (no notice at all) while they are on."""


def set_flag(
    store: SQLiteStore,
    debtor_id: str,
    flag: str,
    value: bool,
    *,
    reason: str,
    on: dt.date,
    now: dt.datetime,
    tenant: str = DEFAULT_TENANT,
) -> None:
    """Turn a debtor's ``cease_contact`` or ``insolvent`` flag on (``value=True``) or off, with a reason.

    While either flag is on the ladder stops for the debtor: no notice, not even a thank-you.
    The change and its reason are journaled (``cease_contact_set``, ``insolvent_cleared``…)
    in the same transaction.

    Raises:
        UnknownReferenceError: no such debtor.
        ValidationError: *flag* is not one of :data:`DEBTOR_FLAGS`; a blank *reason*; the
            flag is already in that state (nothing to do). Nothing is written then.
    """
    record = f"debtor {debtor_id}"
    if flag not in DEBTOR_FLAGS:
        raise ValidationError(record, "flag", f"{flag!r} is not one of {', '.join(DEBTOR_FLAGS)}")
    if not reason.strip():
        raise ValidationError(record, "reason", f"say why {flag} is turned {'on' if value else 'off'}")
    debtor = store.get_debtor(tenant, debtor_id)
    if debtor is None:
        raise UnknownReferenceError(record, "debtor_id", f"unknown debtor {debtor_id!r}")
    if bool(getattr(debtor, flag)) == value:
        state = "already set" if value else "not set"
        raise ValidationError(record, flag, f"{flag} is {state}; nothing to do")
    with store.transaction():
        store.set_flag("debtor", tenant, debtor_id, flag, value)
        _journal(
            store,
            tenant,
            on,
            debtor_id,
            f"{flag}_set" if value else f"{flag}_cleared",
            f"{flag}: {reason.strip()}",
            now,
            {"flag": flag, "value": value},
        )


def set_tags(
    store: SQLiteStore,
    debtor_id: str,
    *,
    add: tuple[str, ...] | list[str] | frozenset[str] = (),
    remove: tuple[str, ...] | list[str] | frozenset[str] = (),
    reason: str = "",
    on: dt.date,
    now: dt.datetime,
    tenant: str = DEFAULT_TENANT,
) -> frozenset[str]:
    """Add and remove a debtor's tags; returns the debtor's tags afterwards.

    Tags choose the debtor's ladder and stage conditions (``tags_any``/``tags_none``), and
    ``limitation-checked`` lets the ladder go on past a limitation pause. Only the tags that
    change are applied and journaled (``tags_changed``, with the reason), in one transaction.

    Raises:
        UnknownReferenceError: no such debtor.
        ValidationError: a blank tag; a tag both added and removed; no change at all (every
            added tag is already there and every removed one absent). Nothing is written then.
    """
    record = f"debtor {debtor_id}"
    wanted = {tag.strip() for tag in add}
    unwanted = {tag.strip() for tag in remove}
    if "" in wanted:
        raise ValidationError(record, "add", "a tag cannot be blank")
    if "" in unwanted:
        raise ValidationError(record, "remove", "a tag cannot be blank")
    if wanted & unwanted:
        raise ValidationError(record, "tags", f"{', '.join(sorted(wanted & unwanted))} both added and removed")
    debtor = store.get_debtor(tenant, debtor_id)
    if debtor is None:
        raise UnknownReferenceError(record, "debtor_id", f"unknown debtor {debtor_id!r}")
    added = sorted(wanted - debtor.tags)
    removed = sorted(unwanted & debtor.tags)
    if not added and not removed:
        if not wanted and not unwanted:
            raise ValidationError(record, "tags", "give a tag to add or remove; nothing to do")
        had = f"already has {', '.join(sorted(wanted))}" if wanted else ""
        lacked = f"has no {', '.join(sorted(unwanted))}" if unwanted else ""
        state = " and ".join(part for part in (had, lacked) if part)
        raise ValidationError(record, "tags", f"the debtor {state}; nothing to do")
    tags = (debtor.tags | set(added)) - set(removed)
    change = "; ".join(
        part
        for part in (
            f"added {', '.join(added)}" if added else "",
            f"removed {', '.join(removed)}" if removed else "",
        )
        if part
    )
    with store.transaction() as conn:
        conn.execute(
            "UPDATE debtor SET tags = ? WHERE tenant = ? AND id = ?",
            (json.dumps(sorted(tags)), tenant, debtor_id),
        )
        _journal(
            store,
            tenant,
            on,
            debtor_id,
            "tags_changed",
            f"{change}: {reason.strip()}" if reason.strip() else change,
            now,
            {"added": added, "removed": removed},
        )
    return frozenset(tags)


__all__ += ["DEBTOR_FLAGS", "set_flag", "set_tags"]
