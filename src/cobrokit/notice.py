"""What a notice says: the figures the ladder decided to communicate, before rendering.

A :class:`Notice` is produced by the dunning run for one debtor, one stage and one
currency. It carries everything a template needs (the debtor, the creditor, the invoices,
interest with its explanation, fees, the firm date, an optional plan offer and a pay-now
link) and nothing about *how* it is sent. Templates turn it into a
:class:`cobrokit.channel.Message` for one channel.

Pure: no I/O, no clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from cobrokit.model import Address, Debtor
from cobrokit.money import Money

__all__ = [
    "Creditor",
    "InterestLine",
    "InterestSummary",
    "Notice",
    "NoticeLine",
    "PlanOffer",
    "PlanOfferInstalment",
]


@attrs.frozen(slots=True)
class Creditor:
    """The business chasing the debt (who signs the notices)."""

    name: str = "Your Company"
    tax_id: str = ""
    address: Address = attrs.field(factory=Address)
    email: str = ""
    phone: str = ""
    bank_account: str = ""
    """Where to pay (IBAN or account details), printed on notices."""
    signatory: str = ""
    """Person who signs letters (name and role)."""
    website: str = ""


@attrs.frozen(slots=True)
class NoticeLine:
    """One invoice listed in a notice."""

    invoice_id: str
    number: str
    issue_date: dt.date
    due_date: dt.date
    days_overdue: int
    """``as_of - due_date``; negative before the due date."""
    amount: Money
    """The invoice total."""
    open: Money
    """What remains unpaid of its principal."""
    source: str = ""
    """Where the invoice came from (``Invoice.source``: ``"sqlite"``, ``"stripe"``…); a backend
    plugin attaches copies of its own invoices only."""


@attrs.frozen(slots=True)
class InterestLine:
    """One segment of an interest computation ("from 16 May to 30 June at 12.50 %")."""

    start: dt.date
    end: dt.date
    days: int
    annual_rate: Decimal
    """Percent per year, e.g. ``Decimal("12.50")``."""
    base: Money
    interest: Money


@attrs.frozen(slots=True)
class InterestSummary:
    """Late-payment interest and compensation for a notice, with its explanation."""

    regime: str
    """Regime name (``"es-commercial"``)."""
    interest: Money
    """Interest outstanding as of the notice date."""
    compensation: Money
    """Fixed recovery compensation (EUR 40 per invoice under Ley 3/2004…)."""
    day_count: str = ""
    segments: tuple[InterestLine, ...] = ()
    sources: tuple[str, ...] = ()
    """Legal sources, as cited on letters."""


@attrs.frozen(slots=True)
class PlanOfferInstalment:
    """One instalment of an offered payment plan."""

    due_date: dt.date
    amount: Money
    amount_with_interest: Money | None = None
    """The same instalment if late-payment interest and fees were added (seed 001)."""


@attrs.frozen(slots=True)
class PlanOffer:
    """A payment plan the notice proposes."""

    instalments: tuple[PlanOfferInstalment, ...]
    frequency: str
    """``"week"``, ``"fortnight"`` or ``"month"``."""
    down_payment: Money | None = None
    down_payment_due: dt.date | None = None
    """When the down payment is due (``None`` when there is none, or it is not known)."""
    interest: Money | None = None
    """Interest agreed in the plan over the whole schedule (French amortisation; zero for
    equal instalments); ``None`` when not known."""


@attrs.frozen(slots=True)
class Notice:
    """One notice: one debtor, one ladder stage, one currency, as of one date.

    Attributes:
        key: deterministic idempotency key ``tenant/debtor/stage/cycle/channel`` (set by
            the run for each channel attempt; ``channel`` may be empty before routing).
        stage: the ladder stage id (``"oops"``, ``"ultimatum"``…).
        template: the template name to render (usually the stage id).
        tone: ``"friendly"``, ``"concerned"``, ``"firm"``, ``"formal"`` or ``"grateful"``.
        lines: the overdue (or soon due) invoices the notice covers.
        principal: total open principal of those invoices.
        fees: dunning fees charged so far in this cycle.
        firm_date: the date by which payment is demanded, when the stage sets one.
        action: what happens next if unpaid (for the template), e.g. ``"suspend_service"``.
    """

    key: str
    tenant: str
    debtor: Debtor
    creditor: Creditor
    stage: str
    template: str
    tone: str
    as_of: dt.date
    currency: str
    lines: tuple[NoticeLine, ...]
    principal: Money
    fees: Money
    interest: InterestSummary | None = None
    firm_date: dt.date | None = None
    plan_offer: PlanOffer | None = None
    pay_link: str = ""
    action: str = ""
    extra: Mapping[str, Any] = attrs.field(factory=dict)
    """Values added by plugins (``cobrokit_template_context``) or the stage configuration."""

    @property
    def total_due(self) -> Money:
        """Principal + interest + compensation + fees."""
        total = self.principal + self.fees
        if self.interest is not None:
            total = total + self.interest.interest + self.interest.compensation
        return total

    @property
    def oldest_days_overdue(self) -> int:
        """Days overdue of the oldest invoice in the notice (0 when none)."""
        return max((line.days_overdue for line in self.lines), default=0)
