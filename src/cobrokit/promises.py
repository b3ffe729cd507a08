"""Promises to pay (*promesas de pago*) as first-class objects.

When a client says "I'll pay EUR 500 on Friday", the ladder should stop chasing until then
(plus a few grace days for the money to arrive), thank them if they keep their word, and
escalate — and record it — if they do not.

* :class:`Promise` — who promised what amount for which date, through which channel.
* :func:`evaluate_promise` — as of a date and given the debtor's payments: ``pending``
  (the ladder pauses until ``promised_date + grace``), ``kept`` or ``broken`` (and when).
* :func:`ladder_pause` — for the ladder: the date until which a debtor's pending promises
  pause reminders, if any.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from typing import Any

import attrs

from cobrokit.errors import DateOrderError, InvalidAmountError, ValidationError
from cobrokit.model import DEFAULT_TENANT, Payment
from cobrokit.money import Money

__all__ = [
    "DEFAULT_PROMISE_GRACE_DAYS",
    "Promise",
    "PromiseState",
    "PromiseStatus",
    "evaluate_promise",
    "ladder_pause",
    "make_promise",
    "promise_as_json",
]

DEFAULT_PROMISE_GRACE_DAYS = 2
"""Calendar days after the promised date during which the payment may still arrive."""


def _nonempty(instance: Promise, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("promise", attribute.name, "must not be empty")


def _positive_money(instance: Promise, attribute: attrs.Attribute[Money], value: object) -> None:
    record = f"promise {instance.id}"
    if not isinstance(value, Money):
        raise InvalidAmountError(record, attribute.name, f"{value!r} is not Money")
    if value.amount <= 0:
        raise InvalidAmountError(record, attribute.name, f"must be positive, got {value}")
    if value != value.rounded():
        raise InvalidAmountError(
            record, attribute.name, f"{value.amount} has more decimals than {value.currency} allows"
        )


def _date(instance: Promise, attribute: attrs.Attribute[dt.date], value: object) -> None:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValidationError(f"promise {instance.id}", attribute.name, f"{value!r} is not a date")


@attrs.frozen(slots=True)
class Promise:
    """A debtor's promise to pay *amount* by *promised_date*, recorded on *created_on*."""

    id: str = attrs.field(validator=_nonempty)
    tenant: str
    debtor_id: str = attrs.field(validator=_nonempty)
    promised_date: dt.date = attrs.field(validator=_date)
    amount: Money = attrs.field(validator=_positive_money)
    created_on: dt.date = attrs.field(validator=_date)
    channel: str = ""
    """Where the promise was made (``"phone"``, ``"email"``, ``"visit"``…), when known."""
    note: str = ""

    def __attrs_post_init__(self) -> None:
        if self.promised_date < self.created_on:
            raise DateOrderError(
                self.record,
                "promised_date",
                f"{self.promised_date.isoformat()} is before the day the promise was made "
                f"({self.created_on.isoformat()})",
            )

    @property
    def record(self) -> str:
        """How errors name this promise."""
        return f"promise {self.id}"


def make_promise(
    *,
    promise_id: str,
    debtor_id: str,
    promised_date: dt.date,
    amount: Money,
    today: dt.date,
    tenant: str = DEFAULT_TENANT,
    channel: str = "",
    note: str = "",
) -> Promise:
    """Record a promise made *today*; the promised date may not be in the past.

    Raises:
        DateOrderError: *promised_date* before *today*.
        InvalidAmountError: an amount that is not positive.
    """
    if isinstance(promised_date, dt.date) and not isinstance(promised_date, dt.datetime) and promised_date < today:
        raise DateOrderError(
            f"promise {promise_id}",
            "promised_date",
            f"{promised_date.isoformat()} is in the past (today is {today.isoformat()})",
        )
    return Promise(
        id=promise_id,
        tenant=tenant,
        debtor_id=debtor_id,
        promised_date=promised_date,
        amount=amount,
        created_on=today,
        channel=channel.strip(),
        note=note.strip(),
    )


class PromiseState(enum.StrEnum):
    """Where a promise stands."""

    PENDING = "pending"
    """Not yet kept, and the promised date plus grace has not passed: the ladder pauses."""
    KEPT = "kept"
    """The promised amount arrived by the promised date plus grace."""
    BROKEN = "broken"
    """The promised date plus grace passed without the full amount: the ladder escalates."""


@attrs.frozen(slots=True)
class PromiseStatus:
    """A promise evaluated as of a date."""

    promise: Promise
    as_of: dt.date
    state: PromiseState
    paid: Money
    """Paid towards the promise (from the day it was made to the end of its grace, up to ``as_of``)."""
    pause_until: dt.date
    """The last day the ladder pauses for this promise (promised date + grace)."""
    kept_on: dt.date | None = None
    broken_on: dt.date | None = None
    """The first day the promise counts as broken (the day after ``pause_until``)."""

    @property
    def shortfall(self) -> Money:
        """What is missing to keep the promise (zero when kept)."""
        rest = self.promise.amount - self.paid
        return rest if rest.amount > 0 else Money.zero(rest.currency)

    @property
    def pauses_ladder(self) -> bool:
        """True while the promise is pending."""
        return self.state is PromiseState.PENDING


def evaluate_promise(
    promise: Promise,
    payments: Iterable[Payment],
    as_of: dt.date,
    *,
    grace_days: int = DEFAULT_PROMISE_GRACE_DAYS,
) -> PromiseStatus:
    """Evaluate *promise* as of *as_of* against the debtor's *payments*.

    Payments by the same tenant and debtor, in the promise's currency, dated from the day
    the promise was made (a payment made the same day counts) up to the promised date
    plus *grace_days* — and not after *as_of* — count towards it, whatever invoices they
    were allocated to.
    """
    if grace_days < 0:
        raise ValidationError(promise.record, "grace_days", f"must not be negative, got {grace_days}")
    currency = promise.amount.currency
    pause_until = promise.promised_date + dt.timedelta(days=grace_days)
    last = min(pause_until, as_of)
    counted = sorted(
        (
            p
            for p in payments
            if p.tenant == promise.tenant
            and p.debtor_id == promise.debtor_id
            and p.amount.currency == currency
            and promise.created_on <= p.date <= last
        ),
        key=lambda p: (p.date, p.id),
    )
    running = Money.zero(currency)
    for payment in counted:
        running = running + payment.amount
        if running >= promise.amount:
            return PromiseStatus(promise, as_of, PromiseState.KEPT, running, pause_until, kept_on=payment.date)
    if as_of > pause_until:
        return PromiseStatus(
            promise,
            as_of,
            PromiseState.BROKEN,
            running,
            pause_until,
            broken_on=pause_until + dt.timedelta(days=1),
        )
    return PromiseStatus(promise, as_of, PromiseState.PENDING, running, pause_until)


def ladder_pause(
    promises: Iterable[Promise],
    payments: Iterable[Payment],
    as_of: dt.date,
    *,
    grace_days: int = DEFAULT_PROMISE_GRACE_DAYS,
) -> dt.date | None:
    """The last day a debtor's pending promises pause the ladder, or ``None`` when none is pending."""
    paid = list(payments)
    pending = [
        status.pause_until
        for status in (evaluate_promise(p, paid, as_of, grace_days=grace_days) for p in promises)
        if status.pauses_ladder
    ]
    return max(pending) if pending else None


def promise_as_json(promise: Promise, status: PromiseStatus | None = None) -> dict[str, Any]:
    """The promise (and its evaluation, when given) as a JSON-ready mapping."""
    data: dict[str, Any] = {
        "promise_id": promise.id,
        "tenant": promise.tenant,
        "debtor_id": promise.debtor_id,
        "promised_date": promise.promised_date.isoformat(),
        "amount": promise.amount.format_amount(),
        "currency": promise.amount.currency,
        "created_on": promise.created_on.isoformat(),
        "channel": promise.channel,
        "note": promise.note,
    }
    if status is not None:
        data.update(
            as_of=status.as_of.isoformat(),
            state=status.state.value,
            paid=status.paid.format_amount(),
            shortfall=status.shortfall.format_amount(),
            pause_until=status.pause_until.isoformat(),
            kept_on=status.kept_on.isoformat() if status.kept_on else None,
            broken_on=status.broken_on.isoformat() if status.broken_on else None,
        )
    return data
