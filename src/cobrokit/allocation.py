"""Allocating a payment within one debt: to fees, interest and principal, in a set order.

When a debtor owes principal, late-payment interest and dunning fees, a partial payment
must be applied to them in some order. The default is **interest → principal → fees**,
the order the interest calculator (:mod:`cobrokit.interest.calculator`) applies payments in,
so a plan's figures and the interest explained on a notice always agree:

* Spanish Civil Code art. 1173: when the debt bears interest, no payment counts as paid
  on account of capital until the interest is covered;
* art. 1174: among debts due, the most onerous to the debtor is paid first — the capital,
  which bears interest, before the fixed recovery compensation and the dunning fees.

Other orders exist: German BGB §367 puts costs first (:data:`COSTS_FIRST`), some
creditors and courts apply payments to the principal first (:data:`PRINCIPAL_FIRST`), and
any order of the three components can be configured (:func:`parse_order`).

**The regime decides.** Every interest regime names its imputation
(:class:`cobrokit.interest.regimes.Imputation`); :data:`IMPUTATION_ORDERS` maps it to an
order of the three components, and ``allocate_payment(…, regime=regime)`` uses it:

* ``interest-first`` → interest → principal → fees (:data:`DEFAULT_ORDER`);
* ``principal-first`` → principal → interest → fees (:data:`PRINCIPAL_FIRST`).

The fees component holds the dunning fees *and* the regime's fixed compensation (both are
costs of recovery).

The result is an explained split (:class:`AllocationSplit`): what each component was owed,
what was applied to it, what remains, and any excess left unapplied. Money is never
created or lost: ``fees + interest + principal + unapplied == payment``.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import attrs

from cobrokit.errors import CurrencyMismatchError, InvalidAmountError, ValidationError
from cobrokit.interest.regimes import Imputation, Regime
from cobrokit.money import Money

__all__ = [
    "COSTS_FIRST",
    "DEFAULT_ORDER",
    "IMPUTATION_ORDERS",
    "PRINCIPAL_FIRST",
    "AllocationSplit",
    "AllocationStep",
    "Component",
    "DebtComponents",
    "allocate_payment",
    "format_order",
    "order_for_imputation",
    "order_for_regime",
    "parse_order",
]


class Component(enum.StrEnum):
    """A part of a debt that a payment can be applied to."""

    FEES = "fees"
    """Dunning fees and recovery compensation (costs)."""
    INTEREST = "interest"
    """Late-payment interest."""
    PRINCIPAL = "principal"
    """The invoices' open principal (capital)."""


DEFAULT_ORDER: tuple[Component, ...] = (Component.INTEREST, Component.PRINCIPAL, Component.FEES)
"""Interest, then capital, then costs (Spanish CC arts. 1173 and 1174; the interest calculator's order)."""

COSTS_FIRST: tuple[Component, ...] = (Component.FEES, Component.INTEREST, Component.PRINCIPAL)
"""Costs, then interest, then capital (German BGB §367)."""

PRINCIPAL_FIRST: tuple[Component, ...] = (Component.PRINCIPAL, Component.INTEREST, Component.FEES)
"""Capital first, then interest, then costs."""

IMPUTATION_ORDERS: Mapping[Imputation, tuple[Component, ...]] = MappingProxyType(
    {
        Imputation.INTEREST_FIRST: DEFAULT_ORDER,
        Imputation.PRINCIPAL_FIRST: PRINCIPAL_FIRST,
    }
)
"""The allocation order for each regime imputation (see the module docstring)."""


def order_for_imputation(imputation: Imputation | str) -> tuple[Component, ...]:
    """The allocation order for a regime's *imputation* (``"interest-first"``…).

    >>> order_for_imputation("principal-first") == PRINCIPAL_FIRST
    True

    Raises:
        ValidationError: an imputation with no order in :data:`IMPUTATION_ORDERS`.
    """
    try:
        key = imputation if isinstance(imputation, Imputation) else Imputation(str(imputation).strip().lower())
        return IMPUTATION_ORDERS[key]
    except (KeyError, ValueError):
        known = ", ".join(i.value for i in IMPUTATION_ORDERS)
        raise ValidationError("allocation", "imputation", f"{imputation!r} is not one of {known}") from None


def order_for_regime(regime: Regime) -> tuple[Component, ...]:
    """The allocation order the interest *regime* prescribes (its ``imputation``)."""
    return order_for_imputation(regime.imputation)


def format_order(order: Sequence[Component]) -> str:
    """An order as ``"interest,principal,fees"`` (what :func:`parse_order` reads back)."""
    return ",".join(Component(c).value for c in order)


def parse_order(
    value: str | Iterable[str], *, record: str = "allocation", field: str = "order"
) -> tuple[Component, ...]:
    """Parse an allocation order such as ``"interest,principal,fees"`` or ``"principal-first"``.

    Accepts a comma-separated string, a sequence of names, or the shorthands ``"default"``
    and ``"interest-first"`` (:data:`DEFAULT_ORDER`), ``"costs-first"`` and ``"fees-first"``
    (:data:`COSTS_FIRST`) and ``"principal-first"`` (:data:`PRINCIPAL_FIRST`). Each of the
    three components must appear exactly once.

    Raises:
        ValidationError: naming *record* and *field* for an unknown, missing or repeated component.
    """
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("default", "interest-first"):
            return DEFAULT_ORDER
        if text in ("costs-first", "fees-first"):
            return COSTS_FIRST
        if text == "principal-first":
            return PRINCIPAL_FIRST
        names = [part.strip() for part in text.split(",") if part.strip()]
    else:
        names = [str(part).strip().lower() for part in value]
    order: list[Component] = []
    for name in names:
        try:
            component = Component(name)
        except ValueError:
            raise ValidationError(
                record, field, f"{name!r} is not a debt component (use fees, interest, principal)"
            ) from None
        if component in order:
            raise ValidationError(record, field, f"{name!r} appears twice")
        order.append(component)
    missing = [c.value for c in Component if c not in order]
    if missing:
        raise ValidationError(record, field, f"missing {', '.join(missing)}; list all three components")
    return tuple(order)


def _check_owed(record: str) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    def check(instance: object, attribute: attrs.Attribute[Money], value: object) -> None:
        if not isinstance(value, Money):
            raise InvalidAmountError(record, attribute.name, f"{value!r} is not Money")
        if value.amount < 0:
            raise InvalidAmountError(record, attribute.name, f"must not be negative, got {value}")
        if value != value.rounded():
            raise InvalidAmountError(
                record, attribute.name, f"{value.amount} is finer than the minor unit of {value.currency}"
            )

    return check


@attrs.frozen(slots=True)
class DebtComponents:
    """What a debt is made of at one moment: fees, interest and principal, one currency."""

    principal: Money = attrs.field(validator=_check_owed("debt"))
    interest: Money = attrs.field(validator=_check_owed("debt"))
    fees: Money = attrs.field(validator=_check_owed("debt"))

    def __attrs_post_init__(self) -> None:
        currencies = {self.principal.currency, self.interest.currency, self.fees.currency}
        if len(currencies) != 1:
            raise CurrencyMismatchError("debt", "currency", f"components in several currencies: {sorted(currencies)}")

    @classmethod
    def of(cls, principal: Money, *, interest: Money | None = None, fees: Money | None = None) -> DebtComponents:
        """Build from a principal with optional interest and fees (zero when omitted)."""
        zero = Money.zero(principal.currency)
        return cls(principal=principal, interest=interest or zero, fees=fees or zero)

    @property
    def currency(self) -> str:
        """The debt's currency."""
        return self.principal.currency

    @property
    def total(self) -> Money:
        """Fees + interest + principal."""
        return self.fees + self.interest + self.principal

    def get(self, component: Component) -> Money:
        """The amount owed for one component."""
        return {
            Component.FEES: self.fees,
            Component.INTEREST: self.interest,
            Component.PRINCIPAL: self.principal,
        }[component]


@attrs.frozen(slots=True)
class AllocationStep:
    """One line of the explanation: a component, what it owed, what the payment covered."""

    component: Component
    owed: Money
    applied: Money

    @property
    def remaining(self) -> Money:
        """What the component still owes after this payment."""
        return self.owed - self.applied

    def explain(self) -> str:
        """One human line, e.g. ``"interest: EUR 12.30 owed, EUR 12.30 applied, EUR 0.00 left"``."""
        return f"{self.component.value}: {self.owed} owed, {self.applied} applied, {self.remaining} left"


@attrs.frozen(slots=True)
class AllocationSplit:
    """How one payment was split within a debt, in application order."""

    payment: Money
    order: tuple[Component, ...]
    steps: tuple[AllocationStep, ...]
    unapplied: Money
    """Excess over the whole debt (an overpayment, to refund or keep on account)."""

    def applied_to(self, component: Component) -> Money:
        """The part of the payment applied to *component*."""
        for step in self.steps:
            if step.component is component:
                return step.applied
        return Money.zero(self.payment.currency)  # pragma: no cover - every component has a step

    @property
    def fees(self) -> Money:
        """Applied to fees."""
        return self.applied_to(Component.FEES)

    @property
    def interest(self) -> Money:
        """Applied to interest."""
        return self.applied_to(Component.INTEREST)

    @property
    def principal(self) -> Money:
        """Applied to principal."""
        return self.applied_to(Component.PRINCIPAL)

    @property
    def remaining(self) -> DebtComponents:
        """What the debt still owes after the payment."""
        by = {step.component: step.remaining for step in self.steps}
        return DebtComponents(
            principal=by[Component.PRINCIPAL], interest=by[Component.INTEREST], fees=by[Component.FEES]
        )

    def explain(self) -> list[str]:
        """The split as human lines, one per component in order, plus any unapplied excess."""
        lines = [f"payment {self.payment} applied in order {' → '.join(c.value for c in self.order)}"]
        lines.extend(step.explain() for step in self.steps)
        if not self.unapplied.is_zero():
            lines.append(f"unapplied (overpayment): {self.unapplied}")
        return lines


def allocate_payment(
    payment: Money,
    owed: DebtComponents,
    order: Sequence[Component] | None = None,
    *,
    regime: Regime | None = None,
) -> AllocationSplit:
    """Split *payment* across the components of *owed* in *order*.

    Each component in turn takes as much as it owes, until the payment is used up. What
    is left after every component is covered is returned as ``unapplied``.

    The order is *order* when given, else the one *regime*'s imputation prescribes
    (:func:`order_for_regime`), else :data:`DEFAULT_ORDER`. Giving both is an error.

    >>> eur = lambda s: Money(s, "EUR")
    >>> split = allocate_payment(eur("50"), DebtComponents(eur("100"), eur("12.30"), eur("40")))
    >>> split.interest, split.principal, split.fees
    (Money('12.30', 'EUR'), Money('37.70', 'EUR'), Money('0.00', 'EUR'))

    Raises:
        InvalidAmountError: a negative payment or one finer than the minor unit.
        CurrencyMismatchError: payment and debt in different currencies.
        ValidationError: an order that does not list each component once, or both
            *order* and *regime*.
    """
    if order is not None and regime is not None:
        raise ValidationError("allocation", "order", "give an order or a regime, not both")
    if order is None:
        order = order_for_regime(regime) if regime is not None else DEFAULT_ORDER
    if not isinstance(payment, Money):
        raise InvalidAmountError("allocation", "payment", f"{payment!r} is not Money")
    if payment.amount < 0:
        raise InvalidAmountError("allocation", "payment", f"must not be negative, got {payment}")
    if payment != payment.rounded():
        raise InvalidAmountError("allocation", "payment", f"{payment.amount} is finer than the minor unit")
    if payment.currency != owed.currency:
        raise CurrencyMismatchError(
            "allocation", "payment", f"payment in {payment.currency} for a debt in {owed.currency}"
        )
    checked = parse_order([c.value if isinstance(c, Component) else str(c) for c in order])
    left = payment
    steps: list[AllocationStep] = []
    for component in checked:
        due = owed.get(component)
        applied = due if left >= due else left
        steps.append(AllocationStep(component, due, applied))
        left = left - applied
    return AllocationSplit(payment=payment, order=checked, steps=tuple(steps), unapplied=left)
