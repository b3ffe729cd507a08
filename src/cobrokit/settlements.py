"""Settlements and incentives: quita, early-payment discounts, rewards and payment in kind.

The seeds suggest offering a discount to close a debt (*quita*), rewarding clients who pay
early (a percentage off for prompt payment, or a discount on the next purchase), and —
when a client cannot pay in money — accepting goods or services instead (*trueque*).

* :func:`propose_settlement` — a lump sum, paid by a date, settles the whole balance; the
  creditor sets a floor below which no offer is accepted (:class:`SettlementFloor`),
  and an offer below it raises :class:`SettlementBelowFloorError`. :func:`evaluate_settlement`
  says whether it was honoured (and how much is then written off) or lapsed.
* :class:`EarlyPaymentTerms` — cash-discount terms such as ``2/10 net 30`` (2 % off if
  paid within 10 days of the invoice date, otherwise the full amount within 30 days):
  :meth:`EarlyPaymentTerms.parse`, :func:`early_payment_offer`.
* :class:`Reward` — a discount on the next purchase (code, percent, expiry);
  :func:`reward_for_payment` grants one to a client who paid early enough;
  :func:`reward_as_json` is what a notice shows of it.
* :func:`in_kind_payment` — a settlement in goods or services recorded as a
  :class:`~cobrokit.model.Payment` of method ``in_kind`` with its description and agreed value.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal

import attrs

from cobrokit.errors import (
    CurrencyMismatchError,
    DateOrderError,
    InvalidAmountError,
    ValidationError,
)
from cobrokit.model import DEFAULT_TENANT, Allocation, Payment, PaymentMethod
from cobrokit.money import Money, to_decimal

__all__ = [
    "EarlyPaymentOffer",
    "EarlyPaymentTerms",
    "Reward",
    "RewardPolicy",
    "Settlement",
    "SettlementBelowFloorError",
    "SettlementFloor",
    "SettlementState",
    "SettlementStatus",
    "early_payment_offer",
    "evaluate_settlement",
    "in_kind_payment",
    "propose_settlement",
    "reward_as_json",
    "reward_code",
    "reward_for_payment",
]

_HUNDRED = Decimal(100)


def _percent(value: object, record: str, field: str, *, allow_zero: bool = False) -> Decimal:
    pct = to_decimal(value, record=record, field=field)
    low_ok = pct >= 0 if allow_zero else pct > 0
    if not low_ok or pct >= _HUNDRED:
        raise InvalidAmountError(record, field, f"percentage must be between 0 and 100, got {pct}")
    return pct


def _floor_percent(value: object) -> Decimal | None:
    return None if value is None else to_decimal(value, record="settlement", field="floor")


def _terms_percent(value: object) -> Decimal:
    return to_decimal(value, record="terms", field="percent")


def _reward_percent(value: object) -> Decimal:
    return to_decimal(value, record="reward", field="percent")


def _str_tuple(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


def _check_whole(money: Money, record: str, field: str, *, positive: bool = True) -> None:
    if not isinstance(money, Money):
        raise InvalidAmountError(record, field, f"{money!r} is not Money")
    if positive and money.amount <= 0:
        raise InvalidAmountError(record, field, f"must be positive, got {money}")
    if money != money.rounded():
        raise InvalidAmountError(record, field, f"{money.amount} has more decimals than {money.currency} allows")


# -- quita --------------------------------------------------------------------------------


class SettlementBelowFloorError(InvalidAmountError):
    """A settlement offer below the floor the creditor set."""


@attrs.frozen(slots=True)
class SettlementFloor:
    """The least the creditor accepts to settle: an amount, a percentage of the balance, or both.

    With both, the higher of the two applies.
    """

    minimum: Money | None = None
    percent: Decimal | None = attrs.field(
        default=None,
        converter=_floor_percent,
    )

    def __attrs_post_init__(self) -> None:
        if self.minimum is None and self.percent is None:
            raise ValidationError("settlement", "floor", "give a minimum amount, a percentage, or both")
        if self.minimum is not None:
            _check_whole(self.minimum, "settlement", "floor")
        if self.percent is not None and not Decimal(0) < self.percent <= _HUNDRED:
            raise InvalidAmountError("settlement", "floor", f"percentage must be in (0, 100], got {self.percent}")

    def for_balance(self, balance: Money) -> Money:
        """The floor for *balance* (a percentage is rounded half-up to the minor unit)."""
        candidates: list[Money] = []
        if self.minimum is not None:
            if self.minimum.currency != balance.currency:
                raise CurrencyMismatchError(
                    "settlement", "floor", f"floor in {self.minimum.currency}, balance in {balance.currency}"
                )
            candidates.append(self.minimum)
        if self.percent is not None:
            candidates.append(Money(balance.amount * self.percent / _HUNDRED, balance.currency).rounded())
        return max(candidates, key=lambda m: m.amount)


@attrs.frozen(slots=True)
class Settlement:
    """A quita: pay ``amount`` by ``pay_by`` and the whole ``balance`` is settled.

    ``discount`` (``balance - amount``) is what the creditor writes off when the
    settlement is honoured (e.g. with a credit note).
    """

    id: str
    tenant: str
    debtor_id: str
    balance: Money
    amount: Money
    pay_by: dt.date
    floor: Money
    created_on: dt.date
    invoice_ids: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    note: str = ""

    @property
    def discount(self) -> Money:
        """What is forgiven if the settlement is honoured."""
        return self.balance - self.amount

    @property
    def discount_percent(self) -> Decimal:
        """The discount as a percentage of the balance (2 decimals, half-up)."""
        return (self.discount.amount * _HUNDRED / self.balance.amount).quantize(Decimal("0.01"))

    @property
    def record(self) -> str:
        """How errors name this settlement."""
        return f"settlement {self.id}"


def propose_settlement(
    *,
    settlement_id: str,
    debtor_id: str,
    balance: Money,
    pay_by: dt.date,
    today: dt.date,
    floor: SettlementFloor,
    amount: Money | None = None,
    discount_percent: object = None,
    tenant: str = DEFAULT_TENANT,
    invoice_ids: Sequence[str] = (),
    note: str = "",
) -> Settlement:
    """Offer to settle *balance* for a lump sum paid by *pay_by*.

    Give either the lump *amount* or a *discount_percent* off the balance (the discount is
    rounded half-up to the minor unit and the lump sum is the balance minus it).

    Raises:
        SettlementBelowFloorError: the lump sum is below the creditor's floor.
        InvalidAmountError: a lump sum not below the balance (that is no discount) or not
            positive; a percentage outside (0, 100).
        DateOrderError: *pay_by* before *today*.
        ValidationError: both or neither of *amount* and *discount_percent*.
    """
    record = f"settlement {settlement_id}"
    _check_whole(balance, record, "balance")
    if (amount is None) == (discount_percent is None):
        raise ValidationError(record, "amount", "give either the lump-sum amount or a discount percentage")
    if pay_by < today:
        raise DateOrderError(record, "pay_by", f"{pay_by.isoformat()} is in the past (today is {today.isoformat()})")
    if amount is None:
        pct = _percent(discount_percent, record, "discount_percent")
        discount = Money(balance.amount * pct / _HUNDRED, balance.currency).rounded()
        amount = balance - discount
    _check_whole(amount, record, "amount")
    if amount.currency != balance.currency:
        raise CurrencyMismatchError(record, "amount", f"offer in {amount.currency}, balance in {balance.currency}")
    if amount >= balance:
        raise InvalidAmountError(record, "amount", f"{amount} is not below the balance {balance}: nothing to discount")
    minimum = floor.for_balance(balance)
    if amount < minimum:
        raise SettlementBelowFloorError(
            record,
            "amount",
            f"{amount} is below the floor {minimum} the creditor accepts for a balance of {balance}",
        )
    return Settlement(
        id=settlement_id,
        tenant=tenant,
        debtor_id=debtor_id,
        balance=balance,
        amount=amount,
        pay_by=pay_by,
        floor=minimum,
        created_on=today,
        invoice_ids=tuple(invoice_ids),
        note=note,
    )


class SettlementState(enum.StrEnum):
    """Where a settlement offer stands."""

    OPEN = "open"
    """Not yet paid in full; the deadline has not passed."""
    HONOURED = "honoured"
    """The lump sum arrived by the deadline: the discount is written off."""
    LAPSED = "lapsed"
    """The deadline passed without the lump sum: the full balance is owed again."""


@attrs.frozen(slots=True)
class SettlementStatus:
    """A settlement evaluated against payments as of a date."""

    state: SettlementState
    paid: Money
    """Paid towards the settlement by the deadline (or by ``as_of`` if earlier)."""
    write_off: Money
    """The discount to write off (zero unless honoured)."""
    still_owed: Money
    """What the debtor owes now: the lump sum's rest while open, the balance's rest once lapsed."""
    honoured_on: dt.date | None = None


def evaluate_settlement(settlement: Settlement, payments: Iterable[Payment], as_of: dt.date) -> SettlementStatus:
    """Evaluate *settlement* against the debtor's *payments* as of *as_of*.

    Payments by the settlement's debtor, in its currency, dated from ``created_on`` to
    ``min(pay_by, as_of)`` count (payments after the deadline do not honour it).
    """
    currency = settlement.balance.currency
    last = min(settlement.pay_by, as_of)
    counted = sorted(
        (
            p
            for p in payments
            if p.tenant == settlement.tenant
            and p.debtor_id == settlement.debtor_id
            and p.amount.currency == currency
            and settlement.created_on <= p.date <= last
        ),
        key=lambda p: (p.date, p.id),
    )
    running = Money.zero(currency)
    for payment in counted:
        running = running + payment.amount
        if running >= settlement.amount:
            return SettlementStatus(
                SettlementState.HONOURED, running, settlement.discount, Money.zero(currency), payment.date
            )
    if as_of > settlement.pay_by:
        return SettlementStatus(SettlementState.LAPSED, running, Money.zero(currency), settlement.balance - running)
    return SettlementStatus(SettlementState.OPEN, running, Money.zero(currency), settlement.amount - running)


# -- early-payment discounts --------------------------------------------------------------

_TERMS = re.compile(
    r"^\s*(?P<pct>\d+(?:\.\d+)?)\s*%?\s*/\s*(?P<days>\d+)\s*,?\s*(?:net|n)\s*/?\s*(?P<net>\d+)\s*$",
    re.IGNORECASE,
)


@attrs.frozen(slots=True)
class EarlyPaymentTerms:
    """Cash-discount terms: ``percent`` off if paid within ``discount_days`` of the invoice
    date, otherwise the full amount is due within ``net_days``."""

    percent: Decimal = attrs.field(converter=_terms_percent)
    discount_days: int
    net_days: int

    def __attrs_post_init__(self) -> None:
        _percent(self.percent, "terms", "percent")
        if self.discount_days < 0:
            raise ValidationError("terms", "discount_days", f"must not be negative, got {self.discount_days}")
        if self.net_days <= self.discount_days:
            raise ValidationError(
                "terms",
                "net_days",
                f"{self.net_days} must be after the discount period ({self.discount_days} days)",
            )

    @classmethod
    def parse(cls, text: str) -> EarlyPaymentTerms:
        """Parse ``"2/10 net 30"`` (also ``"2/10 n/30"``, ``"2/10, n30"``, ``"1.5%/15 net 45"``).

        Raises:
            ValidationError: naming the ``terms`` field when the text is not in that notation.
        """
        match = _TERMS.match(text)
        if match is None:
            raise ValidationError("terms", "terms", f"{text!r} is not cash-discount terms like '2/10 net 30'")
        return cls(Decimal(match["pct"]), int(match["days"]), int(match["net"]))

    def __str__(self) -> str:
        return f"{self.percent.normalize():f}/{self.discount_days} net {self.net_days}"


@attrs.frozen(slots=True)
class EarlyPaymentOffer:
    """What *terms* mean for one invoice."""

    terms: EarlyPaymentTerms
    amount: Money
    """The invoice amount."""
    discount: Money
    """The discount for paying by ``discount_deadline`` (rounded half-up)."""
    discount_deadline: dt.date
    net_due_date: dt.date

    @property
    def discounted_amount(self) -> Money:
        """What settles the invoice when paid by the discount deadline."""
        return self.amount - self.discount

    def amount_due_on(self, pay_date: dt.date) -> Money:
        """What settles the invoice if paid on *pay_date*: discounted up to the deadline, full after."""
        return self.discounted_amount if pay_date <= self.discount_deadline else self.amount


def early_payment_offer(terms: EarlyPaymentTerms, amount: Money, issue_date: dt.date) -> EarlyPaymentOffer:
    """The discount, discount deadline and net due date of an invoice under *terms*.

    Days count from the invoice date: under ``2/10 net 30`` an invoice of 1 March may be
    paid with the discount up to and including 11 March and is due in full on 31 March.
    """
    _check_whole(amount, "terms", "amount")
    discount = Money(amount.amount * terms.percent / _HUNDRED, amount.currency).rounded()
    return EarlyPaymentOffer(
        terms=terms,
        amount=amount,
        discount=discount,
        discount_deadline=issue_date + dt.timedelta(days=terms.discount_days),
        net_due_date=issue_date + dt.timedelta(days=terms.net_days),
    )


# -- rewards ------------------------------------------------------------------------------


@attrs.frozen(slots=True)
class Reward:
    """A discount on the next purchase, given to a client who paid well."""

    code: str
    tenant: str
    debtor_id: str
    percent: Decimal = attrs.field(converter=_reward_percent)
    granted_on: dt.date
    expires_on: dt.date
    reason: str = ""

    def __attrs_post_init__(self) -> None:
        if not self.code.strip():
            raise ValidationError("reward", "code", "must not be empty")
        _percent(self.percent, f"reward {self.code}", "percent")
        if self.expires_on < self.granted_on:
            raise DateOrderError(
                f"reward {self.code}",
                "expires_on",
                f"{self.expires_on.isoformat()} is before the grant date {self.granted_on.isoformat()}",
            )

    @property
    def valid_until(self) -> dt.date:
        """The last day the code may be used (the expiry date), as a notice shows it."""
        return self.expires_on

    def is_valid_on(self, day: dt.date) -> bool:
        """True from the grant date up to and including the expiry date."""
        return self.granted_on <= day <= self.expires_on

    def discount_on(self, purchase: Money, day: dt.date) -> Money:
        """The discount on a *purchase* made on *day* (zero once expired), rounded half-up."""
        _check_whole(purchase, f"reward {self.code}", "purchase", positive=False)
        if not self.is_valid_on(day):
            return Money.zero(purchase.currency)
        return Money(purchase.amount * self.percent / _HUNDRED, purchase.currency).rounded()


@attrs.frozen(slots=True)
class RewardPolicy:
    """When a paying client earns a reward: paid at least ``min_days_early`` days before
    the due date earns ``percent`` % off the next purchase, valid ``valid_days`` days."""

    percent: Decimal = attrs.field(converter=_reward_percent)
    valid_days: int = 90
    min_days_early: int = 0
    prefix: str = "THANKS"

    def __attrs_post_init__(self) -> None:
        _percent(self.percent, "reward policy", "percent")
        if self.valid_days < 0:
            raise ValidationError("reward policy", "valid_days", f"must not be negative, got {self.valid_days}")
        if self.min_days_early < 0:
            raise ValidationError("reward policy", "min_days_early", f"must not be negative, got {self.min_days_early}")


def reward_code(prefix: str, tenant: str, debtor_id: str, reference: str) -> str:
    """A deterministic, hard-to-guess reward code, e.g. ``"THANKS-3F9A2C1B"``.

    The same inputs always give the same code, so granting a reward twice for the same
    payment is detectable (idempotent) without storing state here.
    """
    digest = hashlib.sha256(f"{tenant}\x1f{debtor_id}\x1f{reference}".encode()).hexdigest()[:8].upper()
    return f"{prefix}-{digest}"


def reward_for_payment(
    policy: RewardPolicy,
    *,
    tenant: str,
    debtor_id: str,
    reference: str,
    due_date: dt.date,
    paid_on: dt.date,
) -> Reward | None:
    """The reward a payment earns under *policy*, or ``None`` when it was not early enough.

    *reference* identifies what was paid (an invoice id, a plan id) and makes the code.
    """
    if (due_date - paid_on).days < policy.min_days_early:
        return None
    return Reward(
        code=reward_code(policy.prefix, tenant, debtor_id, reference),
        tenant=tenant,
        debtor_id=debtor_id,
        percent=policy.percent,
        granted_on=paid_on,
        expires_on=paid_on + dt.timedelta(days=policy.valid_days),
        reason=f"paid {reference} on {paid_on.isoformat()}, due {due_date.isoformat()}",
    )


def reward_as_json(reward: Reward) -> dict[str, str]:
    """What a notice shows of a reward, JSON-ready: ``code``, ``percent`` (``"5"``),
    ``granted_on`` and ``valid_until`` (ISO dates) and ``reason``."""
    return {
        "code": reward.code,
        "percent": f"{reward.percent.normalize():f}",
        "granted_on": reward.granted_on.isoformat(),
        "valid_until": reward.valid_until.isoformat(),
        "reason": reward.reason,
    }


# -- payment in kind ----------------------------------------------------------------------


def in_kind_payment(
    *,
    payment_id: str,
    debtor_id: str,
    date: dt.date,
    agreed_value: Money,
    description: str,
    tenant: str = DEFAULT_TENANT,
    allocations: Sequence[Allocation] = (),
    external_ref: str = "",
) -> Payment:
    """Record a settlement in goods or services (the seeds' barter) as a payment.

    The payment has method ``in_kind``, the *description* of what was given and the
    *agreed_value* both parties put on it; it then reduces the debt like any payment.

    Raises:
        ValidationError: an empty description (naming ``description``).
        InvalidAmountError: an agreed value that is not positive or finer than the minor unit.
    """
    record = f"payment {payment_id}"
    if not description.strip():
        raise ValidationError(record, "description", "an in-kind payment must describe what was given")
    _check_whole(agreed_value, record, "agreed_value")
    return Payment(
        id=payment_id,
        debtor_id=debtor_id,
        date=date,
        amount=agreed_value,
        tenant=tenant,
        method=PaymentMethod.IN_KIND,
        allocations=tuple(allocations),
        description=description.strip(),
        external_ref=external_ref,
    )
