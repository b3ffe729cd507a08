"""Fixed recovery compensation per late invoice, kept apart from interest.

* Directive 2011/7/EU art. 6 and Spain's Ley 3/2004 art. 8: a fixed **EUR 40** per
  late invoice (STS 612/2021: per invoice, not per claim), due without a reminder once
  late-payment interest becomes payable.
* UK Late Payment of Commercial Debts (Interest) Act 1998 s.5A: **GBP 40** for a debt
  below 1,000, **GBP 70** from 1,000 to below 10,000, **GBP 100** from 10,000.

The sum is not interest: it bears no interest and a partial payment is imputed to it only
after interest and principal (see :mod:`cobrokit.interest.calculator`).

Pure: no I/O, no clock.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import attrs

from cobrokit.errors import CurrencyMismatchError
from cobrokit.money import Money

__all__ = [
    "UK_FIXED_SUMS",
    "CompensationRule",
    "FixedCompensation",
    "NoCompensation",
    "TieredCompensation",
]


@runtime_checkable
class CompensationRule(Protocol):
    """Computes the fixed compensation owed for one late invoice of a given amount."""

    @property
    def source(self) -> str:
        """The legal source of the compensation, as cited on letters."""
        ...

    def amount_for(self, debt: Money) -> Money:
        """The compensation for a late invoice whose debt is *debt* (zero if none)."""
        ...


@attrs.frozen(slots=True)
class NoCompensation:
    """No fixed compensation (Mexico, Colombia, Spanish civil debts, contracts)."""

    source: str = ""

    def amount_for(self, debt: Money) -> Money:
        """Always zero in the debt's currency."""
        return Money.zero(debt.currency)


def _same_currency(rule: str, fixed: Money, debt: Money) -> None:
    if fixed.currency != debt.currency:
        raise CurrencyMismatchError(
            "interest",
            "compensation",
            f"{rule} sets the fixed compensation in {fixed.currency}; the debt is in {debt.currency} "
            f"(convert the debt or compute without compensation)",
        )


@attrs.frozen(slots=True)
class FixedCompensation:
    """The same fixed sum for every late invoice (EUR 40 under Directive 2011/7/EU art. 6)."""

    amount: Money
    source: str = ""

    def amount_for(self, debt: Money) -> Money:
        """:attr:`amount`; the debt must be in the same currency."""
        _same_currency(self.source or "this regime", self.amount, debt)
        return self.amount


@attrs.frozen(slots=True)
class TieredCompensation:
    """A fixed sum chosen by the size of the debt.

    Attributes:
        tiers: ``(threshold, amount)`` pairs in ascending threshold order: a debt of at
            least *threshold* gets *amount* (the last matching tier wins). The first
            threshold is normally zero.
    """

    tiers: tuple[tuple[Money, Money], ...]
    source: str = ""

    def amount_for(self, debt: Money) -> Money:
        """The amount of the highest tier whose threshold the debt reaches."""
        result = Money.zero(debt.currency)
        for threshold, amount in self.tiers:
            _same_currency(self.source or "this regime", threshold, debt)
            if debt >= threshold:
                result = amount
        return result


UK_FIXED_SUMS = TieredCompensation(
    tiers=(
        (Money("0", "GBP"), Money("40", "GBP")),
        (Money("1000", "GBP"), Money("70", "GBP")),
        (Money("10000", "GBP"), Money("100", "GBP")),
    ),
    source="Late Payment of Commercial Debts (Interest) Act 1998 s.5A",
)
"""GBP 40 below 1,000; GBP 70 from 1,000 to below 10,000; GBP 100 from 10,000 (s.5A)."""
