"""Dunning fees per ladder stage: fixed or a percentage with a cap, charged once per stage and cycle.

A :class:`DunningFee` says what a stage charges; :func:`fee_amount` computes it (a pure
function, rounded half-up to the minor unit); :func:`fee_key` gives the deterministic
idempotency key ``fee/<tenant>/<debtor>/<stage>/<cycle>``, and :func:`charge_fee` returns
a :class:`FeeCharge` only when that key has not been charged yet. Whatever the run
frequency, the same stage in the same dunning cycle is charged at most once.

Whether a fee may be charged at all is a legal question of its own (Spain: only
documented recovery costs beyond the EUR 40 of Ley 3/2004 art. 8; UK: reasonable costs
beyond the fixed sum); the ladder configuration decides.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from decimal import ROUND_HALF_UP, Decimal

import attrs

from cobrokit.errors import CurrencyMismatchError, InvalidAmountError, ValidationError
from cobrokit.money import Money

__all__ = ["DunningFee", "FeeCharge", "FeeKind", "charge_fee", "fee_amount", "fee_key"]


class FeeKind(enum.Enum):
    """How a fee is computed."""

    FIXED = "fixed"
    PERCENTAGE = "percentage"


def _nonnegative(record: str, field: str, value: Money | None) -> None:
    if value is not None and value.amount < 0:
        raise InvalidAmountError(record, field, f"must not be negative, got {value.amount}")


@attrs.frozen(slots=True)
class DunningFee:
    """The fee one ladder stage charges.

    Attributes:
        stage: the ladder stage id (``"formal-demand"``).
        kind: fixed or percentage.
        amount: the fixed amount (``FIXED``).
        percent: percent of the base (``PERCENTAGE``), e.g. ``Decimal("2.5")``.
        cap: the most a percentage fee may reach (optional).
        minimum: the least a percentage fee charges (optional).
    """

    stage: str
    kind: FeeKind
    amount: Money | None = None
    percent: Decimal | None = None
    cap: Money | None = None
    minimum: Money | None = None

    def __attrs_post_init__(self) -> None:
        record = f"fee for stage {self.stage}"
        if not self.stage.strip():
            raise ValidationError("fee", "stage", "must not be empty")
        if self.kind is FeeKind.FIXED:
            if self.amount is None:
                raise ValidationError(record, "amount", "a fixed fee needs an amount")
            _nonnegative(record, "amount", self.amount)
        else:
            if self.percent is None:
                raise ValidationError(record, "percent", "a percentage fee needs a percent")
            if isinstance(self.percent, float) or not isinstance(self.percent, Decimal):
                raise InvalidAmountError(record, "percent", "use a Decimal percent")
            if self.percent < 0:
                raise InvalidAmountError(record, "percent", f"must not be negative, got {self.percent}")
        _nonnegative(record, "cap", self.cap)
        _nonnegative(record, "minimum", self.minimum)
        if self.cap is not None and self.minimum is not None:
            if self.cap.currency != self.minimum.currency:
                raise CurrencyMismatchError(record, "cap", "cap and minimum are in different currencies")
            if self.minimum > self.cap:
                raise ValidationError(record, "minimum", f"{self.minimum} is above the cap {self.cap}")

    @classmethod
    def fixed(cls, stage: str, amount: Money) -> DunningFee:
        """A fixed fee."""
        return cls(stage, FeeKind.FIXED, amount=amount)

    @classmethod
    def percentage(
        cls, stage: str, percent: Decimal, *, cap: Money | None = None, minimum: Money | None = None
    ) -> DunningFee:
        """A percentage of the base, optionally capped and with a minimum."""
        return cls(stage, FeeKind.PERCENTAGE, percent=percent, cap=cap, minimum=minimum)


def fee_amount(fee: DunningFee, base: Money) -> Money:
    """The fee on *base* (the open principal), rounded half-up to the minor unit.

    A fixed fee ignores *base* but must share its currency; a percentage fee is
    ``base × percent / 100``, raised to the minimum, then limited to the cap.

    Raises:
        CurrencyMismatchError: the fee's amounts are in another currency than *base*.
    """
    record = f"fee for stage {fee.stage}"
    for field, value in (("amount", fee.amount), ("cap", fee.cap), ("minimum", fee.minimum)):
        if value is not None and value.currency != base.currency:
            raise CurrencyMismatchError(record, field, f"{value.currency} fee on a {base.currency} debt")
    if fee.kind is FeeKind.FIXED:
        assert fee.amount is not None  # checked on construction
        return fee.amount.rounded()
    assert fee.percent is not None
    step = Decimal(1).scaleb(-base.decimals)
    amount = (base.amount * fee.percent / 100).quantize(step, rounding=ROUND_HALF_UP)
    result = Money(amount, base.currency)
    if fee.minimum is not None and result < fee.minimum:
        result = fee.minimum.rounded()
    if fee.cap is not None and result > fee.cap:
        result = fee.cap.rounded()
    return result


def _part(value: str | int) -> str:
    return str(value).replace("%", "%25").replace("/", "%2F")


def fee_key(stage: str, cycle: int | str, *, tenant: str = "", debtor: str = "") -> str:
    """The idempotency key of a stage's fee in one dunning cycle.

    ``fee/<tenant>/<debtor>/<stage>/<cycle>``; ``/`` and ``%`` inside parts are
    percent-escaped so two different inputs never give the same key.
    """
    return "/".join(["fee", *(_part(p) for p in (tenant, debtor, stage, cycle))])


@attrs.frozen(slots=True)
class FeeCharge:
    """A fee to post, with the key that makes posting it idempotent."""

    key: str
    stage: str
    cycle: str
    amount: Money


def charge_fee(
    fee: DunningFee,
    base: Money,
    *,
    cycle: int | str,
    already_charged: Collection[str],
    tenant: str = "",
    debtor: str = "",
) -> FeeCharge | None:
    """The charge for *fee* in *cycle*, or ``None`` if its key is in *already_charged*
    (or the fee is zero).

    The caller records ``charge.key`` in the same transaction as the charge.
    """
    key = fee_key(fee.stage, cycle, tenant=tenant, debtor=debtor)
    if key in already_charged:
        return None
    amount = fee_amount(fee, base)
    if amount.is_zero():
        return None
    return FeeCharge(key, fee.stage, str(cycle), amount)
