"""Payment plans (*planes de pago*): proposal, lifecycle, and evaluation against payments.

The seeds ask the creditor to find out why the client cannot pay and to offer terms the
client can meet. A plan spreads what a debtor owes over N instalments, weekly, fortnightly
or monthly, with an optional down payment, either in equal instalments or with French
amortisation at a plan interest rate.

* :func:`propose_plan` builds a :class:`PaymentPlan` in state ``proposed`` from the open
  debts and the :class:`PlanTerms`; bad input raises a typed error naming the field.
* The lifecycle is a pure state machine: ``proposed → accepted → active → completed``, or
  ``breached`` when an instalment stays unpaid beyond its grace days; ``cancelled``; a
  renegotiation (:func:`renegotiate`) marks the old version ``renegotiated`` and creates
  the next version, linked to it. Every transition is kept in :attr:`PaymentPlan.events`.
* :func:`evaluate_plan` evaluates a plan against payments as of a date: the state of each
  instalment, the next instalment, what remains, whether (and since when) it is breached,
  and whether it is completed. Payments go to instalments in order.
* :func:`plan_cues` tells the ladder which plan notices are due (confirmation, a reminder
  before each instalment, "oops" after a miss, breach, thanks on completion).

Pure: no I/O, no clock. Every date comes from the caller (``today``, ``as_of``).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

import attrs
from dateutil.rrule import MONTHLY, WEEKLY, rrule

from cobrokit.allocation import (
    DEFAULT_ORDER,
    AllocationSplit,
    Component,
    DebtComponents,
    allocate_payment,
    parse_order,
)
from cobrokit.calendar import BusinessCalendar
from cobrokit.errors import (
    CurrencyMismatchError,
    DateOrderError,
    InvalidAmountError,
    ValidationError,
)
from cobrokit.model import DEFAULT_TENANT, Payment
from cobrokit.money import Money, parse_amount, to_decimal
from cobrokit.notice import InterestSummary, PlanOffer, PlanOfferInstalment

__all__ = [
    "DEFAULT_GRACE_DAYS",
    "DEFAULT_REMINDER_DAYS",
    "MAX_INSTALMENTS",
    "DownPayment",
    "Frequency",
    "Instalment",
    "InstalmentKind",
    "InstalmentState",
    "InstalmentStatus",
    "LateCharges",
    "Method",
    "PaymentPlan",
    "PlanCue",
    "PlanCueKind",
    "PlanDebt",
    "PlanEvent",
    "PlanState",
    "PlanStateError",
    "PlanStatus",
    "PlanTerms",
    "Receipt",
    "accept",
    "apply_status",
    "build_schedule",
    "cancel",
    "describe_terms",
    "evaluate_plan",
    "instalment_dates",
    "late_charges_as_json",
    "plan_as_json",
    "plan_cues",
    "plan_offer",
    "plan_receipts",
    "propose_plan",
    "renegotiate",
    "status_as_json",
    "to_plan_offer",
    "transition",
]

DEFAULT_GRACE_DAYS = 5
"""Calendar days after an instalment's due date before a miss becomes a breach."""

DEFAULT_REMINDER_DAYS = 3
"""Calendar days before an instalment's due date when its reminder becomes due."""

MAX_INSTALMENTS = 360
"""Upper bound on the number of instalments (30 years of monthly payments)."""

_HUNDRED = Decimal(100)


class Frequency(enum.StrEnum):
    """How often instalments fall due."""

    WEEK = "week"
    FORTNIGHT = "fortnight"
    MONTH = "month"

    @property
    def periods_per_year(self) -> int:
        """Instalment periods in a year (52, 26 or 12), used to turn an annual rate into a periodic one."""
        return {"week": 52, "fortnight": 26, "month": 12}[self.value]


class Method(enum.StrEnum):
    """How the balance is spread over the instalments."""

    EQUAL = "equal"
    """Equal instalments of principal, no plan interest."""
    FRENCH = "french"
    """French amortisation: a constant instalment covering interest on the outstanding
    balance at the plan rate plus a growing part of principal."""


class InstalmentKind(enum.StrEnum):
    """A down payment (number 0) or a regular instalment (numbers 1..N)."""

    DOWN_PAYMENT = "down_payment"
    INSTALMENT = "instalment"


class PlanState(enum.StrEnum):
    """Lifecycle states of a plan version."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    ACTIVE = "active"
    COMPLETED = "completed"
    BREACHED = "breached"
    CANCELLED = "cancelled"
    RENEGOTIATED = "renegotiated"
    """Replaced by a newer version (the history is kept)."""


_ALLOWED: dict[PlanState, frozenset[PlanState]] = {
    PlanState.PROPOSED: frozenset({PlanState.ACCEPTED, PlanState.CANCELLED, PlanState.RENEGOTIATED}),
    PlanState.ACCEPTED: frozenset(
        {
            PlanState.ACTIVE,
            PlanState.BREACHED,
            PlanState.COMPLETED,
            PlanState.CANCELLED,
            PlanState.RENEGOTIATED,
        }
    ),
    PlanState.ACTIVE: frozenset(
        {
            PlanState.COMPLETED,
            PlanState.BREACHED,
            PlanState.CANCELLED,
            PlanState.RENEGOTIATED,
        }
    ),
    PlanState.BREACHED: frozenset({PlanState.COMPLETED, PlanState.CANCELLED, PlanState.RENEGOTIATED}),
    PlanState.COMPLETED: frozenset(),
    PlanState.CANCELLED: frozenset(),
    PlanState.RENEGOTIATED: frozenset(),
}

_LIVE = frozenset({PlanState.ACCEPTED, PlanState.ACTIVE, PlanState.BREACHED, PlanState.COMPLETED})
"""States in which the debtor has agreed the plan, so instalments bind."""


class PlanStateError(ValidationError):
    """A lifecycle transition that the state machine does not allow (accepting a cancelled plan…)."""


# -- value objects ------------------------------------------------------------------------


def _to_decimal_field(value: object) -> Decimal:
    return to_decimal(value, record="plan", field="annual_rate")


def _optional_decimal(value: object) -> Decimal | None:
    return None if value is None else to_decimal(value, record="plan", field="down_payment")


@attrs.frozen(slots=True)
class DownPayment:
    """A down payment given as a fixed amount or as a percentage of the balance.

    Exactly one of ``amount`` and ``percent`` is set. Build one with :meth:`parse`
    (``"150.00"`` or ``"10%"``), :meth:`of_amount` or :meth:`of_percent`.
    """

    amount: Money | None = None
    percent: Decimal | None = attrs.field(default=None, converter=_optional_decimal)

    def __attrs_post_init__(self) -> None:
        if (self.amount is None) == (self.percent is None):
            raise ValidationError("plan", "down_payment", "give either an amount or a percentage")
        if self.amount is not None:
            if self.amount.amount <= 0:
                raise InvalidAmountError("plan", "down_payment", f"must be positive, got {self.amount}")
            if self.amount != self.amount.rounded():
                raise InvalidAmountError(
                    "plan",
                    "down_payment",
                    f"{self.amount.amount} has more decimals than {self.amount.currency} allows",
                )
        if self.percent is not None and not Decimal(0) < self.percent < _HUNDRED:
            raise InvalidAmountError(
                "plan", "down_payment", f"percentage must be between 0 and 100, got {self.percent}"
            )

    @classmethod
    def of_amount(cls, amount: Money) -> DownPayment:
        """A fixed down payment."""
        return cls(amount=amount)

    @classmethod
    def of_percent(cls, percent: object) -> DownPayment:
        """A down payment of *percent* % of the balance (``"10"`` for 10 %)."""
        return cls(percent=to_decimal(percent, record="plan", field="down_payment"))

    @classmethod
    def parse(cls, text: str, currency: str) -> DownPayment:
        """Parse ``"150.00"`` (an amount in *currency*) or ``"10%"`` (a percentage of the balance).

        Raises:
            InvalidAmountError: naming the ``down_payment`` field.
        """
        value = text.strip()
        if value.endswith("%"):
            return cls.of_percent(value[:-1].strip())
        return cls.of_amount(Money(parse_amount(value, currency, record="plan", field="down_payment"), currency))

    def resolve(self, balance: Money) -> Money:
        """The down payment for *balance*: the amount, or the percentage rounded half-up."""
        if self.amount is not None:
            if self.amount.currency != balance.currency:
                raise CurrencyMismatchError(
                    "plan",
                    "down_payment",
                    f"down payment in {self.amount.currency}, balance in {balance.currency}",
                )
            return self.amount
        assert self.percent is not None
        return Money(balance.amount * self.percent / _HUNDRED, balance.currency).rounded()

    def describe(self) -> str:
        """``"10%"`` or ``"EUR 150.00"``."""
        return f"{self.percent.normalize():f}%" if self.percent is not None else str(self.amount)


@attrs.frozen(slots=True)
class PlanTerms:
    """What the creditor offers: how many instalments, how often, from when, at what rate.

    Attributes:
        instalments: number of regular instalments (1..:data:`MAX_INSTALMENTS`).
        frequency: week, fortnight or month.
        start: when the first payment falls due (the down payment if there is one, else
            the first instalment; with a down payment the first instalment follows one
            period later). Dates are rolled forward to business days when a calendar is given.
        down_payment: optional down payment.
        annual_rate: plan interest, percent per year (``Decimal("6")`` = 6 %); French only.
        method: equal instalments or French amortisation.
        grace_days: calendar days after a due date before a miss breaches the plan.
    """

    instalments: int
    frequency: Frequency = attrs.field(converter=Frequency)
    start: dt.date
    down_payment: DownPayment | None = None
    annual_rate: Decimal = attrs.field(default=Decimal(0), converter=_to_decimal_field)
    method: Method = attrs.field(default=Method.EQUAL, converter=Method)
    grace_days: int = DEFAULT_GRACE_DAYS

    @property
    def periodic_rate(self) -> Decimal:
        """The rate per instalment period as a fraction (6 % a year, monthly → 0.005)."""
        return self.annual_rate / _HUNDRED / self.frequency.periods_per_year


@attrs.frozen(slots=True)
class PlanDebt:
    """One invoice a plan covers, with its open principal when the plan was made."""

    invoice_id: str
    open: Money
    disputed: bool = False


def _charge_part(instance: object, attribute: attrs.Attribute[Money], value: object) -> None:
    if not isinstance(value, Money):
        raise InvalidAmountError("late charges", attribute.name, f"{value!r} is not Money")
    if value.amount < 0:
        raise InvalidAmountError("late charges", attribute.name, f"must not be negative, got {value}")
    if value != value.rounded():
        raise InvalidAmountError("late charges", attribute.name, f"{value.amount} is finer than the minor unit")


def _order(value: object) -> tuple[Component, ...]:
    if isinstance(value, str | Iterable):
        return parse_order(value, record="late charges", field="order")
    raise ValidationError("late charges", "order", f"{value!r} is not an allocation order")


@attrs.frozen(slots=True)
class LateCharges:
    """What the debtor owes on top of the principal for paying late, itemised.

    Shown next to a plan's instalments ("with late charges": the cost of waiting) and
    used when a plan is evaluated with its charges claimed (:attr:`PlanStatus.with_charges`).

    Attributes:
        interest: late-payment interest outstanding (the interest engine).
        compensation: the regime's fixed compensation per late invoice (EUR 40 under
            Ley 3/2004 art. 8…).
        fees: dunning fees the ladder charged in the debtor's current cycle.
        regime: the interest regime the figures come from (``""``: none, fees only).
        order: how a payment is applied within the debt — the regime's imputation
            (:func:`cobrokit.allocation.order_for_regime`); fees here means fees plus
            compensation.
    """

    interest: Money = attrs.field(validator=_charge_part)
    compensation: Money = attrs.field(validator=_charge_part)
    fees: Money = attrs.field(validator=_charge_part)
    regime: str = ""
    order: tuple[Component, ...] = attrs.field(default=DEFAULT_ORDER, converter=_order)

    def __attrs_post_init__(self) -> None:
        codes = {self.interest.currency, self.compensation.currency, self.fees.currency}
        if len(codes) != 1:
            raise CurrencyMismatchError("late charges", "currency", f"parts in several currencies: {sorted(codes)}")

    @classmethod
    def zero(cls, currency: str, *, regime: str = "", order: Sequence[Component] = DEFAULT_ORDER) -> LateCharges:
        """No charges (a regime that gives none on these invoices, and no fees)."""
        nothing = Money.zero(currency)
        return cls(nothing, nothing, nothing, regime, tuple(order))

    @classmethod
    def from_summary(
        cls, interest: InterestSummary | None, fees: Money, *, order: Sequence[Component] = DEFAULT_ORDER
    ) -> LateCharges | None:
        """Late charges from a notice's :class:`~cobrokit.notice.InterestSummary` and its fees.

        ``None`` when there is no interest summary and no fee: nothing to show. Each part is
        rounded half-up to the minor unit.

        Raises:
            CurrencyMismatchError: interest and fees in different currencies.
        """
        if interest is None and fees.is_zero():
            return None
        zero = Money.zero(fees.currency)
        return cls(
            interest=interest.interest.rounded() if interest is not None else zero,
            compensation=interest.compensation.rounded() if interest is not None else zero,
            fees=fees.rounded(),
            regime=interest.regime if interest is not None else "",
            order=tuple(order),
        )

    @property
    def currency(self) -> str:
        """The currency of every part."""
        return self.fees.currency

    @property
    def total(self) -> Money:
        """Interest + compensation + fees."""
        return self.interest + self.compensation + self.fees

    def debt(self, principal: Money, *, plan_interest: Money | None = None) -> DebtComponents:
        """The whole debt with these charges claimed: fees (fees + compensation), interest
        (late-payment interest + *plan_interest*) and *principal*."""
        extra = plan_interest if plan_interest is not None else Money.zero(self.currency)
        return DebtComponents(principal=principal, interest=self.interest + extra, fees=self.fees + self.compensation)


def _charges_total(late_charges: Money | LateCharges | None) -> Money | None:
    return late_charges.total if isinstance(late_charges, LateCharges) else late_charges


@attrs.frozen(slots=True)
class Instalment:
    """One scheduled payment of a plan.

    ``amount == principal + interest``; ``amount_with_charges`` is what the same instalment
    would be if the late-payment interest and fees were claimed too (seed 001: show the
    client the cost of waiting), when those charges were given to the proposal.
    """

    number: int
    """0 for the down payment, 1..N for regular instalments."""
    kind: InstalmentKind
    due_date: dt.date
    amount: Money
    principal: Money
    interest: Money
    amount_with_charges: Money | None = None


@attrs.frozen(slots=True)
class PlanEvent:
    """One entry of a plan's history."""

    on: dt.date
    kind: str
    """``proposed``, ``accepted``, ``activated``, ``completed``, ``breached``, ``cancelled`` or
    ``renegotiated``."""
    from_state: PlanState | None
    to_state: PlanState
    note: str = ""


@attrs.frozen(slots=True)
class PaymentPlan:
    """One version of a payment plan for one debtor, in one currency.

    Versions of the same plan share ``id``; ``version`` counts from 1 and
    ``previous_version`` links a renegotiated version to the one it replaced.
    ``created_on`` is the date the plan was proposed and the date its balance is as of:
    only payments dated after it count towards the plan.
    """

    id: str
    tenant: str
    debtor_id: str
    version: int
    created_on: dt.date
    currency: str
    debts: tuple[PlanDebt, ...]
    terms: PlanTerms
    instalments: tuple[Instalment, ...]
    state: PlanState = attrs.field(default=PlanState.PROPOSED, converter=PlanState)
    previous_version: int | None = None
    late_charges: Money | None = None
    """Late-payment interest, compensation and fees as of ``created_on`` (shown, not scheduled)."""
    events: tuple[PlanEvent, ...] = ()
    charges: LateCharges | None = None
    """:attr:`late_charges` itemised, with the regime's allocation order (``None`` for plans
    proposed without charges, or saved before the breakdown was kept)."""

    @property
    def record(self) -> str:
        """How errors name this plan (``"plan PLAN-00001 v2"``)."""
        return f"plan {self.id} v{self.version}"

    @property
    def balance(self) -> Money:
        """The principal the plan covers (sum of the debts' open amounts)."""
        return Money.total((d.open for d in self.debts), self.currency)

    @property
    def total(self) -> Money:
        """Sum of every instalment (principal + plan interest)."""
        return Money.total((i.amount for i in self.instalments), self.currency)

    @property
    def plan_interest(self) -> Money:
        """The plan interest over the whole schedule (zero for equal instalments)."""
        return Money.total((i.interest for i in self.instalments), self.currency)

    @property
    def invoice_ids(self) -> tuple[str, ...]:
        """The invoices the plan covers."""
        return tuple(d.invoice_id for d in self.debts)

    @property
    def down_payment(self) -> Instalment | None:
        """The down payment instalment, if any."""
        first = self.instalments[0] if self.instalments else None
        return first if first is not None and first.kind is InstalmentKind.DOWN_PAYMENT else None

    def event_date(self, kind: str) -> dt.date | None:
        """The date of the last event of *kind* (``"accepted"``…), or ``None``."""
        for event in reversed(self.events):
            if event.kind == kind:
                return event.on
        return None


# -- schedules ----------------------------------------------------------------------------


def instalment_dates(
    start: dt.date,
    count: int,
    frequency: Frequency | str,
    calendar: BusinessCalendar | None = None,
) -> tuple[dt.date, ...]:
    """*count* due dates from *start*, one per period, rolled forward to business days.

    Monthly dates keep the day of the month of *start*; in a shorter month they fall on
    its last day (31 Jan → 28/29 Feb → 31 Mar). Rolling never reorders dates: if a rolled
    date would not come after the previous one, it moves to the next business day after it,
    so the result always strictly increases.
    """
    freq = Frequency(frequency)
    if count < 1:
        return ()
    begin = dt.datetime(start.year, start.month, start.day)  # noqa: DTZ001 - a naive calendar date
    if freq is Frequency.MONTH:
        rule = rrule(MONTHLY, dtstart=begin, count=count, bymonthday=(start.day, -1), bysetpos=1)
    else:
        rule = rrule(WEEKLY, dtstart=begin, count=count, interval=1 if freq is Frequency.WEEK else 2)
    dates: list[dt.date] = []
    for moment in rule:
        day = moment.date()
        if calendar is not None:
            day = calendar.roll_forward(day)
            if dates and day <= dates[-1]:
                day = calendar.add_business_days(dates[-1], 1)
        dates.append(day)
    return tuple(dates)


def _minor(money: Money) -> int:
    return money.to_minor()


def _split(principal_minor: int, terms: PlanTerms) -> list[tuple[int, int]]:
    """Split *principal_minor* into ``(principal, interest)`` pairs, one per instalment.

    Equal: each instalment is the balance divided by N rounded down to the minor unit; the
    last takes the remaining cents. French: the constant instalment
    ``A = P·r / (1 − (1 + r)^−N)`` rounded down; each period's interest is the outstanding
    principal × r rounded half-up; the last instalment pays the remaining principal and its
    interest, so the principal parts sum to the balance exactly. On tiny balances a part is
    capped so that every later instalment keeps at least one minor unit of principal.
    """
    n = terms.instalments
    if terms.method is Method.EQUAL or terms.annual_rate == 0:
        each = principal_minor // n
        return [(each, 0)] * (n - 1) + [(principal_minor - each * (n - 1), 0)]
    rate = terms.periodic_rate
    payment = (Decimal(principal_minor) * rate / (1 - (1 + rate) ** -n)).to_integral_value(ROUND_DOWN)
    remaining = principal_minor
    parts: list[tuple[int, int]] = []
    for index in range(n):
        interest = int((Decimal(remaining) * rate).to_integral_value(ROUND_HALF_UP))
        later = n - 1 - index  # instalments after this one; each keeps at least one minor unit
        principal = remaining if later == 0 else max(0, min(remaining - later, int(payment) - interest))
        parts.append((principal, interest))
        remaining -= principal
    return parts


def _validate_terms(terms: PlanTerms, record: str, today: dt.date) -> None:
    if isinstance(terms.instalments, bool) or not isinstance(terms.instalments, int):
        raise ValidationError(record, "instalments", f"{terms.instalments!r} is not a whole number")
    if terms.instalments < 1:
        raise ValidationError(record, "instalments", f"must be at least 1, got {terms.instalments}")
    if terms.instalments > MAX_INSTALMENTS:
        raise ValidationError(record, "instalments", f"at most {MAX_INSTALMENTS}, got {terms.instalments}")
    if isinstance(terms.start, dt.datetime) or not isinstance(terms.start, dt.date):
        raise ValidationError(record, "start", f"{terms.start!r} is not a date")
    if terms.start < today:
        raise DateOrderError(
            record, "start", f"{terms.start.isoformat()} is in the past (today is {today.isoformat()})"
        )
    if terms.annual_rate < 0 or terms.annual_rate >= _HUNDRED:
        raise InvalidAmountError(record, "rate", f"must be at least 0 and below 100 %, got {terms.annual_rate}")
    if terms.method is Method.EQUAL and terms.annual_rate != 0:
        raise ValidationError(record, "rate", "equal instalments carry no plan interest; use the french method")
    if isinstance(terms.grace_days, bool) or not isinstance(terms.grace_days, int) or terms.grace_days < 0:
        raise ValidationError(record, "grace_days", f"must be a whole number ≥ 0, got {terms.grace_days!r}")


def build_schedule(
    balance: Money,
    terms: PlanTerms,
    *,
    calendar: BusinessCalendar | None = None,
    late_charges: Money | LateCharges | None = None,
    record: str = "plan",
) -> tuple[Instalment, ...]:
    """The instalments that spread *balance* according to *terms* (down payment first).

    The principal parts always sum to *balance* to the cent; no part is negative; due
    dates strictly increase. With *late_charges* (a total, or :class:`LateCharges` itemised),
    each instalment also gets ``amount_with_charges``: the same terms applied to
    ``balance + late_charges``.

    Raises:
        InvalidAmountError: a balance that is not positive, or too small to give every
            instalment at least one minor unit; a down payment not below the balance.
        CurrencyMismatchError: a down payment or late charges in another currency.
    """
    late_charges = _charges_total(late_charges)
    if balance.amount <= 0:
        raise InvalidAmountError(record, "balance", f"nothing to plan: the balance is {balance}")
    if balance != balance.rounded():
        raise InvalidAmountError(record, "balance", f"{balance.amount} is finer than the minor unit")
    down = terms.down_payment.resolve(balance) if terms.down_payment is not None else None
    if down is not None and down >= balance:
        raise InvalidAmountError(
            record,
            "down_payment",
            f"{down} is not below the balance {balance}; nothing would be left to plan",
        )
    if down is not None and down.is_zero():
        down = None
    financed = balance - down if down is not None else balance
    if _minor(financed) < terms.instalments:
        raise InvalidAmountError(
            record,
            "instalments",
            f"{terms.instalments} instalments cannot share {financed}: each must be at least one minor unit",
        )
    dates = instalment_dates(terms.start, terms.instalments + (1 if down is not None else 0), terms.frequency, calendar)
    parts = _split(_minor(financed), terms)
    currency = balance.currency
    amounts_with: list[Money | None] = [None] * (len(parts) + (1 if down is not None else 0))
    if late_charges is not None:
        if late_charges.currency != currency:
            raise CurrencyMismatchError(
                record, "late_charges", f"late charges in {late_charges.currency}, balance in {currency}"
            )
        if late_charges.amount < 0:
            raise InvalidAmountError(record, "late_charges", f"must not be negative, got {late_charges}")
        with_charges = build_schedule(balance + late_charges.rounded(), terms, calendar=calendar, record=record)
        amounts_with = [i.amount for i in with_charges]
    zero = Money.zero(currency)
    result: list[Instalment] = []
    offset = 0
    if down is not None:
        result.append(Instalment(0, InstalmentKind.DOWN_PAYMENT, dates[0], down, down, zero, amounts_with[0]))
        offset = 1
    for number, (principal, interest) in enumerate(parts, start=1):
        p = Money.from_minor(principal, currency)
        i = Money.from_minor(interest, currency)
        result.append(
            Instalment(
                number,
                InstalmentKind.INSTALMENT,
                dates[number - 1 + offset],
                p + i,
                p,
                i,
                amounts_with[number - 1 + offset],
            )
        )
    return tuple(result)


def _check_debts(debts: Sequence[PlanDebt], record: str) -> str:
    if not debts:
        raise ValidationError(record, "invoices", "a plan must cover at least one open invoice")
    seen: set[str] = set()
    for debt in debts:
        if debt.disputed:
            raise ValidationError(
                f"invoice {debt.invoice_id}",
                "disputed",
                "is disputed; resolve the dispute before offering a payment plan on it",
            )
        if debt.invoice_id in seen:
            raise ValidationError(record, "invoices", f"invoice {debt.invoice_id} is listed twice")
        seen.add(debt.invoice_id)
        if debt.open.amount <= 0:
            raise InvalidAmountError(f"invoice {debt.invoice_id}", "open", "has nothing open to plan")
    currencies = sorted({d.open.currency for d in debts})
    if len(currencies) != 1:
        raise CurrencyMismatchError(
            record,
            "currency",
            f"the invoices are in several currencies ({', '.join(currencies)}); plan one at a time",
        )
    return currencies[0]


def propose_plan(
    *,
    plan_id: str,
    debtor_id: str,
    debts: Sequence[PlanDebt],
    terms: PlanTerms,
    today: dt.date,
    tenant: str = DEFAULT_TENANT,
    calendar: BusinessCalendar | None = None,
    late_charges: Money | LateCharges | None = None,
    version: int = 1,
    previous_version: int | None = None,
    note: str = "",
) -> PaymentPlan:
    """Propose a plan covering *debts* on *terms*, as of *today*.

    Args:
        plan_id: the plan's id (the store assigns one; versions share it).
        debtor_id: whose debts these are.
        debts: the invoices covered and their open principal as of *today*.
        terms: instalments, frequency, start, down payment, rate, method, grace.
        today: the date of the proposal; the start may not be before it.
        calendar: when given, due dates roll forward to its business days.
        late_charges: late-payment interest + compensation + fees as of *today*, to show
            each instalment with and without them — a total, or :class:`LateCharges`
            itemised (kept as :attr:`PaymentPlan.charges`).

    Raises:
        ValidationError: (or a subclass) naming the field — zero or too many instalments,
            a down payment at or above the balance, a start in the past, a disputed
            invoice, invoices in several currencies, a negative rate. Nothing is created.
    """
    record = f"plan {plan_id}"
    _validate_terms(terms, record, today)
    currency = _check_debts(debts, record)
    balance = Money.total((d.open for d in debts), currency)
    schedule = build_schedule(balance, terms, calendar=calendar, late_charges=late_charges, record=record)
    text = note or (f"renegotiation of version {previous_version}" if previous_version is not None else "")
    total = _charges_total(late_charges)
    return PaymentPlan(
        id=plan_id,
        tenant=tenant,
        debtor_id=debtor_id,
        version=version,
        created_on=today,
        currency=currency,
        debts=tuple(debts),
        terms=terms,
        instalments=schedule,
        state=PlanState.PROPOSED,
        previous_version=previous_version,
        late_charges=total.rounded() if total is not None else None,
        events=(PlanEvent(today, "proposed", None, PlanState.PROPOSED, text),),
        charges=late_charges if isinstance(late_charges, LateCharges) else None,
    )


def plan_offer(
    balance: Money,
    terms: PlanTerms,
    *,
    calendar: BusinessCalendar | None = None,
    late_charges: Money | LateCharges | None = None,
) -> PlanOffer:
    """A :class:`~cobrokit.notice.PlanOffer` for a notice, without creating a plan.

    The ladder uses it to show "what the instalments would be under a plan" (penalty
    warning stage). Start-date checks are the caller's: nothing is validated against a clock.
    """
    schedule = build_schedule(balance, terms, calendar=calendar, late_charges=late_charges)
    return _offer(schedule, terms.frequency)


def to_plan_offer(plan: PaymentPlan) -> PlanOffer:
    """The plan as a :class:`~cobrokit.notice.PlanOffer` to put on a notice (plan confirmation…)."""
    return _offer(plan.instalments, plan.terms.frequency)


def _offer(schedule: Sequence[Instalment], frequency: Frequency) -> PlanOffer:
    down = next((i for i in schedule if i.kind is InstalmentKind.DOWN_PAYMENT), None)
    return PlanOffer(
        instalments=tuple(
            PlanOfferInstalment(i.due_date, i.amount, i.amount_with_charges)
            for i in schedule
            if i.kind is InstalmentKind.INSTALMENT
        ),
        frequency=frequency.value,
        down_payment=down.amount if down is not None else None,
        down_payment_due=down.due_date if down is not None else None,
        interest=Money.total((i.interest for i in schedule), schedule[0].amount.currency) if schedule else None,
    )


# -- lifecycle ----------------------------------------------------------------------------


def transition(plan: PaymentPlan, to: PlanState | str, on: dt.date, *, kind: str = "", note: str = "") -> PaymentPlan:
    """Move *plan* to state *to* on date *on*, recording an event.

    Raises:
        PlanStateError: the state machine does not allow the move, or *on* is before the
            plan's last event.
    """
    target = PlanState(to)
    if target not in _ALLOWED[plan.state]:
        raise PlanStateError(plan.record, "state", f"cannot go from {plan.state.value} to {target.value}")
    last = plan.events[-1].on if plan.events else plan.created_on
    if on < last:
        raise PlanStateError(
            plan.record, "date", f"{on.isoformat()} is before the plan's last event ({last.isoformat()})"
        )
    event = PlanEvent(on, kind or _EVENT_KIND[target], plan.state, target, note)
    return attrs.evolve(plan, state=target, events=(*plan.events, event))


_EVENT_KIND = {
    PlanState.PROPOSED: "proposed",
    PlanState.ACCEPTED: "accepted",
    PlanState.ACTIVE: "activated",
    PlanState.COMPLETED: "completed",
    PlanState.BREACHED: "breached",
    PlanState.CANCELLED: "cancelled",
    PlanState.RENEGOTIATED: "renegotiated",
}


def accept(plan: PaymentPlan, on: dt.date, *, note: str = "") -> PaymentPlan:
    """The debtor accepted the proposal on *on*.

    Raises:
        PlanStateError: the plan is not ``proposed``, or the proposal has lapsed — its
            first payment fell due more than ``grace_days`` before *on* (renegotiate instead).
    """
    if plan.state is not PlanState.PROPOSED:
        raise PlanStateError(
            plan.record, "state", f"only a proposed plan can be accepted; this one is {plan.state.value}"
        )
    first = plan.instalments[0].due_date
    if on > first + dt.timedelta(days=plan.terms.grace_days):
        raise PlanStateError(
            plan.record,
            "date",
            f"the proposal lapsed: its first payment was due on {first.isoformat()}; renegotiate the plan",
        )
    return transition(plan, PlanState.ACCEPTED, on, note=note)


def cancel(plan: PaymentPlan, on: dt.date, *, reason: str = "") -> PaymentPlan:
    """Cancel the plan on *on* (e.g. the creditor withdrew it, or the debt was settled otherwise).

    Raises:
        PlanStateError: the plan is already completed, cancelled or renegotiated.
    """
    return transition(plan, PlanState.CANCELLED, on, note=reason)


def renegotiate(
    plan: PaymentPlan,
    *,
    debts: Sequence[PlanDebt],
    terms: PlanTerms,
    today: dt.date,
    calendar: BusinessCalendar | None = None,
    late_charges: Money | LateCharges | None = None,
    note: str = "",
) -> tuple[PaymentPlan, PaymentPlan]:
    """Replace *plan* with a new version on new *terms*; returns ``(old, new)``.

    The old version moves to ``renegotiated`` (its history kept) and the new version — same
    id, ``version + 1``, ``previous_version`` pointing back — starts ``proposed`` and
    covers *debts* (normally what is still open of the old plan's invoices as of *today*).

    Raises:
        PlanStateError: the old version cannot be renegotiated (completed, cancelled or
            already renegotiated).
        ValidationError: bad new terms, as for :func:`propose_plan`.
    """
    if PlanState.RENEGOTIATED not in _ALLOWED[plan.state]:
        raise PlanStateError(plan.record, "state", f"a {plan.state.value} plan cannot be renegotiated")
    new = propose_plan(
        plan_id=plan.id,
        tenant=plan.tenant,
        debtor_id=plan.debtor_id,
        debts=debts,
        terms=terms,
        today=today,
        calendar=calendar,
        late_charges=late_charges,
        version=plan.version + 1,
        previous_version=plan.version,
        note=note,
    )
    old = transition(plan, PlanState.RENEGOTIATED, today, note=f"replaced by version {new.version}")
    return old, new


# -- evaluation ---------------------------------------------------------------------------


class InstalmentState(enum.StrEnum):
    """Where one instalment stands as of a date."""

    PAID = "paid"
    UPCOMING = "upcoming"
    """Due later, nothing paid yet."""
    DUE = "due"
    """Due today, nothing paid yet."""
    PARTIALLY_PAID = "partially_paid"
    """Not yet late, part paid."""
    MISSED_IN_GRACE = "missed_in_grace"
    """Past its due date but within the grace days (the "oops" moment)."""
    MISSED = "missed"
    """Unpaid beyond the grace days: the plan is breached."""


@attrs.frozen(slots=True)
class Receipt:
    """A payment, or the part of one, that counts towards a plan."""

    payment_id: str
    date: dt.date
    amount: Money


@attrs.frozen(slots=True)
class InstalmentStatus:
    """One instalment as of a date."""

    instalment: Instalment
    state: InstalmentState
    paid: Money
    outstanding: Money
    paid_on: dt.date | None
    """When the instalment became fully paid."""
    grace_until: dt.date
    """The last day it may be paid without breaching the plan."""

    @property
    def number(self) -> int:
        """The instalment number (0 = down payment)."""
        return self.instalment.number

    @property
    def due_date(self) -> dt.date:
        """The instalment's due date."""
        return self.instalment.due_date


@attrs.frozen(slots=True)
class PlanStatus:
    """A plan evaluated against payments as of a date (see :func:`evaluate_plan`)."""

    plan_id: str
    version: int
    as_of: dt.date
    state: PlanState
    """The effective state: stored state advanced by what the payments and dates say."""
    instalments: tuple[InstalmentStatus, ...]
    paid: Money
    """Receipts counted towards the plan (dated after ``created_on``, up to ``as_of``)."""
    remaining: Money
    """Scheduled amount still unpaid (principal + plan interest)."""
    remaining_principal: Money
    """Principal still unpaid; payments cover each instalment's interest before its principal."""
    overpaid: Money
    """Receipts beyond the plan total."""
    activated_on: dt.date | None
    breached_on: dt.date | None
    """The first day of the breach (the day after the missed instalment's grace ended)."""
    breach_instalment: int | None
    completed_on: dt.date | None
    with_charges: AllocationSplit | None = None
    """For a plan with itemised :attr:`PaymentPlan.charges`: every receipt applied, in the
    regime's order, to the debt with its late charges claimed — fees (fees + compensation),
    interest (late-payment interest + the plan interest of the "with late charges"
    schedule) and principal. What a breach leaves owing if the creditor claims the charges
    (``with_charges.remaining``)."""

    @property
    def breached(self) -> bool:
        """True when the plan is breached as of ``as_of``."""
        return self.state is PlanState.BREACHED

    @property
    def completed(self) -> bool:
        """True when the plan is fully paid."""
        return self.state is PlanState.COMPLETED

    @property
    def in_good_standing(self) -> bool:
        """Accepted or active and not breached: the ladder follows the instalment dates."""
        return self.state in (PlanState.ACCEPTED, PlanState.ACTIVE)

    @property
    def next_instalment(self) -> InstalmentStatus | None:
        """The first instalment not fully paid, or ``None``."""
        return next((s for s in self.instalments if s.state is not InstalmentState.PAID), None)

    @property
    def next_due_date(self) -> dt.date | None:
        """The due date of :attr:`next_instalment`."""
        upcoming = self.next_instalment
        return upcoming.due_date if upcoming else None

    @property
    def first_missed(self) -> InstalmentStatus | None:
        """The first instalment past its due date and unpaid (in grace or beyond), or ``None``."""
        late = (InstalmentState.MISSED_IN_GRACE, InstalmentState.MISSED)
        return next((s for s in self.instalments if s.state in late), None)


def plan_receipts(plan: PaymentPlan, payments: Iterable[Payment], as_of: dt.date) -> tuple[Receipt, ...]:
    """The payments (or parts of them) that count towards *plan* as of *as_of*, by date.

    A payment counts when it is the plan debtor's (same tenant), in the plan currency,
    dated after ``plan.created_on`` (earlier payments are already reflected in the plan
    balance) and on or before *as_of*. Of a payment allocated to invoices, only the parts
    allocated to the plan's invoices and the unallocated part (on account) count.
    """
    covered = set(plan.invoice_ids)
    receipts: list[Receipt] = []
    for payment in payments:
        if (
            payment.tenant != plan.tenant
            or payment.debtor_id != plan.debtor_id
            or payment.amount.currency != plan.currency
        ):
            continue
        if not plan.created_on < payment.date <= as_of:
            continue
        if payment.allocations:
            counted = payment.on_account + Money.total(
                (a.amount for a in payment.allocations if a.invoice_id in covered), plan.currency
            )
        else:
            counted = payment.amount
        if counted.amount > 0:
            receipts.append(Receipt(payment.id, payment.date, counted))
    receipts.sort(key=lambda r: (r.date, r.payment_id))
    return tuple(receipts)


def evaluate_plan(
    plan: PaymentPlan,
    payments: Iterable[Payment] | Iterable[Receipt],
    as_of: dt.date,
    *,
    order: Sequence[Component] | None = None,
) -> PlanStatus:
    """Evaluate *plan* against *payments* as of *as_of*.

    Payments fill the instalments in order (the down payment first). Within an instalment
    the part paid is applied with :func:`~cobrokit.allocation.allocate_payment` in *order*
    — by default the order of the plan's regime (``plan.charges.order``), else
    interest → principal → fees — so the plan interest is covered before the principal
    under an interest-first regime (CC art. 1173) and after it under a principal-first one.
    When the plan carries itemised charges, :attr:`PlanStatus.with_charges` applies the
    receipts to the debt with those charges claimed, in the same order. An instalment
    unpaid more than ``grace_days`` after its due date breaches the plan from the next
    day on; a breach stays even if the debtor later catches up (renegotiate to cure it),
    but a plan paid in full is ``completed``. A proposed, cancelled or renegotiated plan
    keeps its state; its instalment figures are still computed.

    *payments* may be :class:`~cobrokit.model.Payment` objects (filtered by
    :func:`plan_receipts`) or :class:`Receipt` objects already filtered by the caller.
    """
    items = list(payments)
    if all(isinstance(item, Receipt) for item in items):
        receipts = sorted(
            (r for r in items if isinstance(r, Receipt) and r.date <= as_of),
            key=lambda r: (r.date, r.payment_id),
        )
    else:
        receipts = list(plan_receipts(plan, (p for p in items if isinstance(p, Payment)), as_of))
    currency = plan.currency
    zero = Money.zero(currency)

    def received_by(day: dt.date) -> Money:
        return Money.total((r.amount for r in receipts if r.date <= day), currency)

    def reached_on(target: Money) -> dt.date | None:
        running = zero
        for r in receipts:
            running = running + r.amount
            if running >= target:
                return r.date
        return None

    total_paid = Money.total((r.amount for r in receipts), currency)
    within = tuple(order) if order is not None else (plan.charges.order if plan.charges is not None else DEFAULT_ORDER)
    grace = dt.timedelta(days=plan.terms.grace_days)
    statuses: list[InstalmentStatus] = []
    cumulative = zero
    remaining_principal = zero
    breached_on: dt.date | None = None
    breach_instalment: int | None = None
    for inst in plan.instalments:
        before = cumulative
        cumulative = cumulative + inst.amount
        paid = min(max(total_paid - before, zero), inst.amount)
        outstanding = inst.amount - paid
        split = allocate_payment(paid, DebtComponents.of(inst.principal, interest=inst.interest), within)
        remaining_principal = remaining_principal + split.remaining.principal
        grace_until = inst.due_date + grace
        paid_on = reached_on(cumulative) if outstanding.is_zero() else None
        if outstanding.is_zero():
            state = InstalmentState.PAID
        elif as_of > grace_until:
            state = InstalmentState.MISSED
        elif as_of > inst.due_date:
            state = InstalmentState.MISSED_IN_GRACE
        elif not paid.is_zero():
            state = InstalmentState.PARTIALLY_PAID
        elif as_of == inst.due_date:
            state = InstalmentState.DUE
        else:
            state = InstalmentState.UPCOMING
        if breached_on is None and as_of > grace_until and received_by(grace_until) < cumulative:
            breached_on = grace_until + dt.timedelta(days=1)
            breach_instalment = inst.number
        statuses.append(InstalmentStatus(inst, state, paid, outstanding, paid_on, grace_until))

    remaining = max(plan.total - total_paid, zero)
    overpaid = max(total_paid - plan.total, zero)
    completed_on = reached_on(plan.total) if remaining.is_zero() else None
    first_due = plan.instalments[0].due_date
    first_receipt = receipts[0].date if receipts else None
    starts = [d for d in (first_due, first_receipt) if d is not None and d <= as_of]
    activated_on = min(starts) if starts else None
    accepted_on = plan.event_date("accepted")
    if activated_on is not None and accepted_on is not None:
        activated_on = max(activated_on, accepted_on)
    if activated_on is not None and activated_on > as_of:  # accepted after as_of: not active yet
        activated_on = None

    with_charges = None
    if plan.charges is not None and all(i.amount_with_charges is not None for i in plan.instalments):
        total_with = Money.total((i.amount_with_charges or zero for i in plan.instalments), currency)
        plan_interest_with = max(total_with - plan.balance - plan.charges.total, zero)
        debt = plan.charges.debt(plan.balance, plan_interest=plan_interest_with)
        with_charges = allocate_payment(total_paid, debt, within)

    if plan.state in _LIVE:
        if completed_on is not None:
            state_now = PlanState.COMPLETED
        elif breached_on is not None or plan.state is PlanState.BREACHED:
            state_now = PlanState.BREACHED
            if breached_on is None:
                breached_on = plan.event_date("breached")
        elif activated_on is not None:
            state_now = PlanState.ACTIVE
        else:
            state_now = PlanState.ACCEPTED
    else:
        state_now = plan.state
        breached_on = breach_instalment = None
    return PlanStatus(
        plan_id=plan.id,
        version=plan.version,
        as_of=as_of,
        state=state_now,
        instalments=tuple(statuses),
        paid=total_paid,
        remaining=remaining,
        remaining_principal=remaining_principal,
        overpaid=overpaid,
        activated_on=activated_on if plan.state in _LIVE else None,
        breached_on=breached_on,
        breach_instalment=breach_instalment,
        completed_on=completed_on if plan.state in _LIVE else None,
        with_charges=with_charges,
    )


def apply_status(plan: PaymentPlan, status: PlanStatus, *, note: str = "") -> PaymentPlan:
    """Record in *plan* the transitions that *status* shows happened (activated, breached, completed).

    Each transition is dated when it happened (``activated_on``, ``breached_on``,
    ``completed_on``), in date order, with *note* in its event. Returns *plan* unchanged
    when nothing happened.
    """
    if status.plan_id != plan.id or status.version != plan.version:
        raise ValidationError(plan.record, "status", f"status is for plan {status.plan_id} v{status.version}")
    steps: list[tuple[dt.date, PlanState]] = []
    if status.activated_on is not None and plan.state is PlanState.ACCEPTED:
        steps.append((status.activated_on, PlanState.ACTIVE))
    if status.state is PlanState.BREACHED and status.breached_on is not None and plan.state is not PlanState.BREACHED:
        steps.append((status.breached_on, PlanState.BREACHED))
    if status.state is PlanState.COMPLETED and status.completed_on is not None:
        steps.append((status.completed_on, PlanState.COMPLETED))
    order = {PlanState.ACTIVE: 0, PlanState.BREACHED: 1, PlanState.COMPLETED: 2}
    steps.sort(key=lambda s: (s[0], order[s[1]]))
    for on, target in steps:
        if target is plan.state or target not in _ALLOWED[plan.state]:
            continue
        last = plan.events[-1].on if plan.events else plan.created_on
        plan = transition(plan, target, max(on, last), note=note)
    return plan


# -- cues for the ladder ------------------------------------------------------------------


class PlanCueKind(enum.StrEnum):
    """Plan notices the ladder sends (the values are the suggested template names)."""

    CONFIRMATION = "plan_confirmation"
    """Once, when the plan is accepted: the schedule and how to pay."""
    REMINDER = "instalment_reminder"
    """Before each instalment (``remind_days`` ahead) while it is unpaid."""
    MISSED = "instalment_missed"
    """The "oops" after a missed instalment, while within its grace days."""
    BREACH = "plan_breach"
    """The plan was breached: the ladder resumes with the remaining balance."""
    COMPLETED = "plan_completed"
    """Thanks: the plan is fully paid."""


@attrs.frozen(slots=True)
class PlanCue:
    """A plan notice due as of a date, with a stable cycle id for idempotency keys."""

    kind: PlanCueKind
    plan_id: str
    version: int
    on: dt.date
    """When the cue became due."""
    instalment: int | None = None
    due_date: dt.date | None = None
    amount: Money | None = None
    """What the notice asks for: the instalment's outstanding amount, or the remaining balance."""

    @property
    def cycle(self) -> str:
        """Deterministic cycle id, e.g. ``"plan:PLAN-00001:v1:instalment_reminder:3"``."""
        suffix = "" if self.instalment is None else f":{self.instalment}"
        return f"plan:{self.plan_id}:v{self.version}:{self.kind.value}{suffix}"


def plan_cues(
    plan: PaymentPlan, status: PlanStatus, *, remind_days: int = DEFAULT_REMINDER_DAYS
) -> tuple[PlanCue, ...]:
    """The plan notices due as of ``status.as_of``.

    * ``plan_confirmation`` from acceptance while the plan is in good standing;
    * ``instalment_reminder`` from *remind_days* before an unpaid instalment up to its due date;
    * ``instalment_missed`` ("oops") while an unpaid instalment is within its grace days;
    * ``plan_breach`` once breached; ``plan_completed`` once fully paid.

    A cue stays in the result as long as it is relevant, so the caller deduplicates with
    :attr:`PlanCue.cycle` (one notice per cycle) — which also gives catch-up after downtime.
    """
    as_of = status.as_of
    cues: list[PlanCue] = []
    if status.state is PlanState.COMPLETED and status.completed_on is not None:
        return (PlanCue(PlanCueKind.COMPLETED, plan.id, plan.version, status.completed_on),)
    if status.state is PlanState.BREACHED and status.breached_on is not None:
        return (
            PlanCue(
                PlanCueKind.BREACH,
                plan.id,
                plan.version,
                status.breached_on,
                instalment=status.breach_instalment,
                amount=status.remaining,
            ),
        )
    if not status.in_good_standing:
        return ()
    accepted_on = plan.event_date("accepted")
    if accepted_on is not None and accepted_on <= as_of:
        cues.append(PlanCue(PlanCueKind.CONFIRMATION, plan.id, plan.version, accepted_on, amount=plan.total))
    for item in status.instalments:
        if item.state is InstalmentState.PAID:
            continue
        due = item.due_date
        remind_on = due - dt.timedelta(days=remind_days)
        if remind_on <= as_of <= due:
            cues.append(
                PlanCue(PlanCueKind.REMINDER, plan.id, plan.version, remind_on, item.number, due, item.outstanding)
            )
        elif item.state is InstalmentState.MISSED_IN_GRACE:
            cues.append(
                PlanCue(
                    PlanCueKind.MISSED,
                    plan.id,
                    plan.version,
                    due + dt.timedelta(days=1),
                    item.number,
                    due,
                    item.outstanding,
                )
            )
    return tuple(cues)


def describe_terms(terms: PlanTerms) -> dict[str, Any]:
    """The terms as a JSON-ready mapping (rates and percentages as strings)."""
    return {
        "instalments": terms.instalments,
        "every": terms.frequency.value,
        "start": terms.start.isoformat(),
        "down_payment": terms.down_payment.describe() if terms.down_payment else None,
        "rate": f"{terms.annual_rate.normalize():f}",
        "method": terms.method.value,
        "grace_days": terms.grace_days,
    }


# -- JSON ---------------------------------------------------------------------------------


def _amount(money: Money | None) -> str | None:
    return None if money is None else money.format_amount()


def late_charges_as_json(charges: LateCharges | None) -> dict[str, Any] | None:
    """Itemised late charges as a JSON-ready mapping (amounts as strings), or ``None``."""
    if charges is None:
        return None
    return {
        "regime": charges.regime,
        "interest": charges.interest.format_amount(),
        "compensation": charges.compensation.format_amount(),
        "fees": charges.fees.format_amount(),
        "total": charges.total.format_amount(),
        "allocation_order": [c.value for c in charges.order],
    }


def _split_as_json(split: AllocationSplit | None) -> dict[str, Any] | None:
    if split is None:
        return None
    return {
        "order": [c.value for c in split.order],
        "applied": {step.component.value: step.applied.format_amount() for step in split.steps},
        "remaining": {step.component.value: step.remaining.format_amount() for step in split.steps},
        "unapplied": split.unapplied.format_amount(),
    }


def plan_as_json(plan: PaymentPlan) -> dict[str, Any]:
    """The plan as a JSON-ready mapping; amounts are strings with the currency's decimals."""
    return {
        "plan_id": plan.id,
        "version": plan.version,
        "previous_version": plan.previous_version,
        "tenant": plan.tenant,
        "debtor_id": plan.debtor_id,
        "currency": plan.currency,
        "state": plan.state.value,
        "created_on": plan.created_on.isoformat(),
        "terms": describe_terms(plan.terms),
        "balance": plan.balance.format_amount(),
        "total": plan.total.format_amount(),
        "plan_interest": plan.plan_interest.format_amount(),
        "late_charges": _amount(plan.late_charges),
        "late_charges_detail": late_charges_as_json(plan.charges),
        "invoices": [{"invoice_id": d.invoice_id, "open": d.open.format_amount()} for d in plan.debts],
        "instalments": [
            {
                "number": i.number,
                "kind": i.kind.value,
                "due_date": i.due_date.isoformat(),
                "amount": i.amount.format_amount(),
                "principal": i.principal.format_amount(),
                "interest": i.interest.format_amount(),
                "amount_with_charges": _amount(i.amount_with_charges),
            }
            for i in plan.instalments
        ],
        "events": [
            {
                "on": e.on.isoformat(),
                "kind": e.kind,
                "from": e.from_state.value if e.from_state else None,
                "to": e.to_state.value,
                "note": e.note,
            }
            for e in plan.events
        ],
    }


def status_as_json(status: PlanStatus) -> dict[str, Any]:
    """The evaluation as a JSON-ready mapping; amounts are strings with the currency's decimals."""
    upcoming = status.next_instalment
    return {
        "as_of": status.as_of.isoformat(),
        "state": status.state.value,
        "in_good_standing": status.in_good_standing,
        "paid": status.paid.format_amount(),
        "remaining": status.remaining.format_amount(),
        "remaining_principal": status.remaining_principal.format_amount(),
        "overpaid": status.overpaid.format_amount(),
        "next_instalment": None if upcoming is None else upcoming.number,
        "next_due_date": None if upcoming is None else upcoming.due_date.isoformat(),
        "activated_on": status.activated_on.isoformat() if status.activated_on else None,
        "breached": status.breached,
        "breached_on": status.breached_on.isoformat() if status.breached_on else None,
        "breach_instalment": status.breach_instalment,
        "completed_on": status.completed_on.isoformat() if status.completed_on else None,
        "with_charges": _split_as_json(status.with_charges),
        "instalments": [
            {
                "number": s.number,
                "due_date": s.due_date.isoformat(),
                "state": s.state.value,
                "paid": s.paid.format_amount(),
                "outstanding": s.outstanding.format_amount(),
                "paid_on": s.paid_on.isoformat() if s.paid_on else None,
                "grace_until": s.grace_until.isoformat(),
            }
            for s in status.instalments
        ],
    }
