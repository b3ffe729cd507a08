"""Credit decisions (prevention): know the client before giving credit.

Two pure steps, both explained so a person can check them:

1. :func:`score_history` turns a debtor's :class:`PaymentHistory` into a **payment-behaviour
   score** from 0 (worst) to 100 (best). It starts at 100 and deducts points, factor by
   factor, each with a cap (:class:`ScoreWeights`):

   ==================  ========================================================  ===========
   factor              measure                                                   default
   ==================  ========================================================  ===========
   days beyond terms   days late weighted by amount (paid pieces at their         0.5 / day,
                       payment date, open amounts as of today)                   max 45
   broken promises     promises to pay not kept by the promised date + grace     10 each, 25
   disputes            invoices disputed (journal or flag)                       5 each, 15
   plan breaches       payment plans breached                                    15 each, 30
   ==================  ========================================================  ===========

   A debtor with no invoice due in the look-back window and no promise, dispute or plan
   has **no score** (``None``): a new client, decided by the new-client limit.

2. :func:`decide_credit` answers "should we take this order on credit?" for an amount:
   ``allow``, ``deposit`` (with the deposit to ask for) or ``refuse``, with every reason
   and every limit applied (:class:`CreditPolicy`, configurable, see :func:`parse_policy`).
   Outside data — a credit bureau's score, limit and flags — comes in as
   :class:`ExternalCredit` objects (plugins provide them through the
   ``cobrokit_credit_data`` hook).

The ladder uses the score as a **risk** (``100 - score``) in stage conditions
(``max_risk``): see :func:`cobrokit.store.credit.risk_scores`.

Pure: no I/O, no clock, no floats.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import attrs

from cobrokit.errors import ConfigError, InvalidAmountError, ValidationError
from cobrokit.money import Money, to_decimal

__all__ = [
    "AppliedLimit",
    "CreditDecision",
    "CreditOutcome",
    "CreditPolicy",
    "CreditScore",
    "CurrencyLateness",
    "ExternalCredit",
    "PaymentHistory",
    "ScoreFactor",
    "ScoreWeights",
    "combined_score",
    "decide_credit",
    "parse_policy",
    "risk_from_score",
    "score_history",
]

_TENTH = Decimal("0.1")


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# -- the history -----------------------------------------------------------------------------


@attrs.frozen(slots=True)
class CurrencyLateness:
    """How late a debtor paid in one currency (amounts in minor units).

    Attributes:
        currency: ISO 4217 code.
        invoices: invoices counted (due in the look-back window, or still open).
        weight_minor: the money that fell due: the paid pieces plus what is still open
            (disputed open amounts left out).
        weighted_days_minor: Σ amount × days beyond terms: each paid piece by the days
            between the due date and its payment, each open amount by its days overdue.
    """

    currency: str
    invoices: int
    weight_minor: int
    weighted_days_minor: int

    @property
    def days(self) -> Decimal:
        """Days beyond terms, weighted by amount, to 0.1 day (0 when nothing fell due)."""
        if self.weight_minor <= 0:
            return Decimal(0)
        return (Decimal(self.weighted_days_minor) / Decimal(self.weight_minor)).quantize(_TENTH, rounding=ROUND_HALF_UP)


@attrs.frozen(slots=True)
class PaymentHistory:
    """What a debtor did, as of a date, over a look-back window.

    Attributes:
        debtor_id: the debtor.
        as_of: the date of the assessment.
        since: the first day of the look-back window (invoices due before it count only
            while still open; promises and disputes before it do not count).
        lateness: per currency (see :class:`CurrencyLateness`).
        promises_kept, promises_broken: promises to pay by outcome (pending ones left out).
        disputes: invoices disputed.
        plan_breaches: payment plans breached.
        insolvent: the debtor is flagged insolvent.
        oldest_days_overdue: days overdue of the oldest open, undisputed invoice (0 if none).
        open_minor: the open balance per currency (every invoice issued, due or not).
    """

    debtor_id: str
    as_of: dt.date
    since: dt.date
    lateness: tuple[CurrencyLateness, ...] = ()
    promises_kept: int = 0
    promises_broken: int = 0
    disputes: int = 0
    plan_breaches: int = 0
    insolvent: bool = False
    oldest_days_overdue: int = 0
    open_minor: Mapping[str, int] = attrs.field(factory=dict)

    @property
    def has_history(self) -> bool:
        """True when anything fell due, or a promise, dispute or plan breach is on record."""
        return bool(
            any(item.invoices for item in self.lateness)
            or self.promises_kept
            or self.promises_broken
            or self.disputes
            or self.plan_breaches
        )

    def open_balance(self, currency: str) -> Money:
        """The open balance in *currency* (zero when none)."""
        return Money.from_minor(int(self.open_minor.get(currency, 0)), currency)


# -- the score --------------------------------------------------------------------------------


def _non_negative(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or value < 0:
        raise ValidationError("score weights", attribute.name, f"must not be negative, got {value!r}")


@attrs.frozen(slots=True)
class ScoreWeights:
    """Points deducted from 100 per factor, and the cap of each factor."""

    points_per_late_day: Decimal = attrs.field(default=Decimal("0.5"), validator=_non_negative)
    late_cap: int = attrs.field(default=45, validator=_non_negative)
    per_broken_promise: int = attrs.field(default=10, validator=_non_negative)
    broken_promise_cap: int = attrs.field(default=25, validator=_non_negative)
    per_dispute: int = attrs.field(default=5, validator=_non_negative)
    dispute_cap: int = attrs.field(default=15, validator=_non_negative)
    per_plan_breach: int = attrs.field(default=15, validator=_non_negative)
    plan_breach_cap: int = attrs.field(default=30, validator=_non_negative)


@attrs.frozen(slots=True)
class ScoreFactor:
    """One factor of the score: what was measured and how many points it cost."""

    name: str
    """``days_beyond_terms``, ``broken_promises``, ``disputes`` or ``plan_breaches``."""
    measure: str
    points: int
    """Points deducted (0 … cap)."""
    cap: int
    explanation: str

    def to_json(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return {
            "name": self.name,
            "measure": self.measure,
            "points": self.points,
            "cap": self.cap,
            "explanation": self.explanation,
        }


@attrs.frozen(slots=True)
class CreditScore:
    """A debtor's payment-behaviour score (``None`` without history), explained."""

    debtor_id: str
    as_of: dt.date
    score: int | None
    factors: tuple[ScoreFactor, ...]
    history: PaymentHistory

    @property
    def risk(self) -> int | None:
        """``100 - score``: what the ladder's ``max_risk`` conditions compare with."""
        return risk_from_score(self.score)

    def explain(self) -> list[str]:
        """One line per factor, then the result."""
        if self.score is None:
            return [f"no payment history since {self.history.since.isoformat()}: no score (a new client)"]
        lines = ["start at 100"] + [f.explanation for f in self.factors]
        lines.append(f"score {self.score} / 100 (risk {self.risk})")
        return lines

    def to_json(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return {
            "debtor_id": self.debtor_id,
            "as_of": self.as_of.isoformat(),
            "since": self.history.since.isoformat(),
            "score": self.score,
            "risk": self.risk,
            "factors": [f.to_json() for f in self.factors],
        }


def risk_from_score(score: int | None) -> int | None:
    """The ladder's risk for a score: ``100 - score`` (``None`` stays ``None``)."""
    return None if score is None else 100 - score


def _lateness_days(lateness: Sequence[CurrencyLateness]) -> tuple[Decimal, str]:
    counted = [item for item in lateness if item.weight_minor > 0]
    if not counted:
        return Decimal(0), "nothing fell due"
    invoices = sum(item.invoices for item in counted)
    if len(counted) == 1:
        days = counted[0].days
    else:  # amounts in different currencies do not add up: average the currencies by invoice count
        total = sum((item.days * item.invoices for item in counted), Decimal(0))
        days = (total / Decimal(invoices)).quantize(_TENTH, rounding=ROUND_HALF_UP)
    parts = ", ".join(f"{item.currency} {item.days} days over {item.invoices} invoice(s)" for item in counted)
    return days, parts


def _capped(count: int, each: int, cap: int) -> int:
    return min(cap, count * each)


def score_history(history: PaymentHistory, weights: ScoreWeights | None = None) -> CreditScore:
    """The payment-behaviour score of *history* (see the module docstring). Pure."""
    w = weights or ScoreWeights()
    if not history.has_history:
        return CreditScore(history.debtor_id, history.as_of, None, (), history)
    days, detail = _lateness_days(history.lateness)
    late_points = min(w.late_cap, _round(days * w.points_per_late_day))
    promise_points = _capped(history.promises_broken, w.per_broken_promise, w.broken_promise_cap)
    dispute_points = _capped(history.disputes, w.per_dispute, w.dispute_cap)
    breach_points = _capped(history.plan_breaches, w.per_plan_breach, w.plan_breach_cap)
    factors = [
        ScoreFactor(
            "days_beyond_terms",
            f"{days} days ({detail})",
            late_points,
            w.late_cap,
            f"{days} days beyond terms on average, weighted by amount — amounts paid by how late they were "
            f"paid (0 when on time), amounts still open (undisputed) by their days overdue on "
            f"{history.as_of.isoformat()} ({detail}): "
            f"-{late_points} (at {w.points_per_late_day} a day, at most {w.late_cap})",
        ),
        ScoreFactor(
            "broken_promises",
            f"{history.promises_broken} broken, {history.promises_kept} kept",
            promise_points,
            w.broken_promise_cap,
            f"{history.promises_broken} broken promise(s) to pay ({history.promises_kept} kept): "
            f"-{promise_points} ({w.per_broken_promise} each, at most {w.broken_promise_cap})",
        ),
        ScoreFactor(
            "disputes",
            f"{history.disputes} disputed invoice(s)",
            dispute_points,
            w.dispute_cap,
            f"{history.disputes} disputed invoice(s): -{dispute_points} "
            f"({w.per_dispute} each, at most {w.dispute_cap})",
        ),
        ScoreFactor(
            "plan_breaches",
            f"{history.plan_breaches} breached plan(s)",
            breach_points,
            w.plan_breach_cap,
            f"{history.plan_breaches} payment plan(s) breached: -{breach_points} "
            f"({w.per_plan_breach} each, at most {w.plan_breach_cap})",
        ),
    ]
    score = max(0, 100 - sum(f.points for f in factors))
    return CreditScore(history.debtor_id, history.as_of, score, tuple(factors), history)


# -- outside data ------------------------------------------------------------------------------


def _score_range(instance: ExternalCredit, attribute: attrs.Attribute[int | None], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise ValidationError(f"credit data from {instance.source}", "score", f"must be 0-100, got {value!r}")


def _flags(value: Iterable[str]) -> frozenset[str]:
    return frozenset(str(v).strip().lower() for v in value if str(v).strip())


@attrs.frozen(slots=True)
class ExternalCredit:
    """Credit data from outside (a credit bureau, a trade-credit insurer), via a plugin.

    Attributes:
        source: who says so (``"acme-bureau"``); shown in the decision's reasons.
        score: the source's score normalised to 0 (worst) – 100 (best), if it has one.
        limit: the credit limit it recommends (compared in its own currency only).
        flags: adverse events, lower case (``"insolvency"``, ``"court_judgment"``…); the
            policy's ``refuse_flags`` refuse credit.
        note: free text shown with the decision.
        fetched_on: when the data was obtained.
    """

    source: str
    score: int | None = attrs.field(default=None, validator=_score_range)
    limit: Money | None = None
    flags: frozenset[str] = attrs.field(default=frozenset(), converter=_flags)
    note: str = ""
    fetched_on: dt.date | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-ready mapping (amounts as strings)."""
        return {
            "source": self.source,
            "score": self.score,
            "limit": None if self.limit is None else self.limit.format_amount(),
            "limit_currency": None if self.limit is None else self.limit.currency,
            "flags": sorted(self.flags),
            "note": self.note,
            "fetched_on": self.fetched_on.isoformat() if self.fetched_on else None,
        }


# -- the policy ---------------------------------------------------------------------------------


def _percent(instance: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if not Decimal(0) <= value <= Decimal(100):
        raise ValidationError("credit policy", attribute.name, f"must be between 0 and 100, got {value}")


def _threshold(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 101:
        raise ValidationError("credit policy", attribute.name, f"must be between 0 and 101, got {value!r}")


def _amounts(value: Mapping[str, object]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for code, amount in value.items():
        money = Money(to_decimal(amount, record="credit policy", field=str(code)), str(code).upper())
        if money.amount < 0:
            raise InvalidAmountError("credit policy", str(code), "a limit must not be negative")
        out[money.currency] = money.amount
    return out


@attrs.frozen(slots=True)
class CreditPolicy:
    """How credit is decided. Every value is configurable (:func:`parse_policy`).

    Attributes:
        refuse_below: a score below this refuses credit.
        deposit_below: a score below this (and not refused) asks for a deposit.
        deposit_percent: the deposit asked for, in percent of the order.
        limits: maximum exposure per currency (open balance + the new order); the part
            of an order above it must be paid up front.
        new_client_limits: per currency, the order a client without history may take on
            credit; above it, the rest is a deposit. Without one, a new client pays
            ``deposit_percent``.
        max_days_overdue: credit is refused while an undisputed invoice is overdue by
            more than this many days (``None``: no such rule).
        refuse_flags: outside flags that refuse credit.
        bureau_weight: percent weight of an outside score when both scores exist.
        lookback_days: how far back the history goes (open invoices always count).
        promise_grace_days: days after a promised date before a promise counts as broken.
        weights: the score's points and caps.
    """

    refuse_below: int = attrs.field(default=40, validator=_threshold)
    deposit_below: int = attrs.field(default=70, validator=_threshold)
    deposit_percent: Decimal = attrs.field(default=Decimal(30), converter=to_decimal, validator=_percent)
    limits: Mapping[str, Decimal] = attrs.field(factory=dict, converter=_amounts)
    new_client_limits: Mapping[str, Decimal] = attrs.field(factory=dict, converter=_amounts)
    max_days_overdue: int | None = 60
    refuse_flags: frozenset[str] = attrs.field(
        default=frozenset({"insolvency", "bankruptcy", "court_judgment"}), converter=_flags
    )
    bureau_weight: Decimal = attrs.field(default=Decimal(50), converter=to_decimal, validator=_percent)
    lookback_days: int = 730
    promise_grace_days: int = 2
    weights: ScoreWeights = attrs.field(factory=ScoreWeights)

    def __attrs_post_init__(self) -> None:
        if self.deposit_below < self.refuse_below:
            raise ValidationError(
                "credit policy",
                "deposit_below",
                f"{self.deposit_below} is below refuse_below {self.refuse_below}",
            )
        if self.lookback_days <= 0:
            raise ValidationError("credit policy", "lookback_days", "must be positive")
        if self.max_days_overdue is not None and self.max_days_overdue < 0:
            raise ValidationError("credit policy", "max_days_overdue", "must not be negative")
        if self.promise_grace_days < 0:
            raise ValidationError("credit policy", "promise_grace_days", "must not be negative")


_POLICY_KEYS = {
    "refuse_below",
    "deposit_below",
    "deposit_percent",
    "limits",
    "new_client_limits",
    "max_days_overdue",
    "refuse_flags",
    "bureau_weight",
    "lookback_days",
    "promise_grace_days",
    "weights",
}
_WEIGHT_KEYS = {f.name for f in attrs.fields(ScoreWeights)}


def parse_policy(data: Mapping[str, Any], *, source: str = "credit policy") -> CreditPolicy:
    """A :class:`CreditPolicy` from a parsed TOML mapping (its ``[credit]`` table if present).

    Amounts and percentages are strings (``"10000.00"``, ``"30"``) or integers; a
    ``max_days_overdue`` of ``-1`` switches that rule off.

    Raises:
        ConfigError: an unknown key or a bad value, naming the file and the key.
    """
    table = data.get("credit", data)
    if not isinstance(table, Mapping):
        raise ConfigError(f"{source}: credit: expected a table")
    unknown = sorted(set(table) - _POLICY_KEYS)
    if unknown:
        raise ConfigError(
            f"{source}: credit: unknown key(s): {', '.join(unknown)}; known: {', '.join(sorted(_POLICY_KEYS))}"
        )
    weights_table = table.get("weights", {})
    if not isinstance(weights_table, Mapping):
        raise ConfigError(f"{source}: credit.weights: expected a table")
    unknown = sorted(set(weights_table) - _WEIGHT_KEYS)
    if unknown:
        raise ConfigError(f"{source}: credit.weights: unknown key(s): {', '.join(unknown)}")
    try:
        weight_values: dict[str, Any] = {
            key: (
                to_decimal(value, record=source, field=f"credit.weights.{key}")
                if key == "points_per_late_day"
                else _int(value, f"credit.weights.{key}", source)
            )
            for key, value in weights_table.items()
        }
        weights = ScoreWeights(**weight_values)
        kwargs: dict[str, Any] = {}
        for key, value in table.items():
            if key == "weights":
                continue
            if key in ("refuse_below", "deposit_below", "lookback_days", "promise_grace_days"):
                kwargs[key] = _int(value, f"credit.{key}", source)
            elif key == "max_days_overdue":
                days = _int(value, f"credit.{key}", source)
                kwargs[key] = None if days < 0 else days
            elif key in ("limits", "new_client_limits"):
                if not isinstance(value, Mapping):
                    raise ConfigError(f"{source}: credit.{key}: expected a table of currency = amount")
                kwargs[key] = value
            elif key == "refuse_flags":
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise ConfigError(f"{source}: credit.refuse_flags: expected a list of strings")
                kwargs[key] = value
            else:
                kwargs[key] = value
        return CreditPolicy(weights=weights, **kwargs)
    except ValidationError as exc:
        raise ConfigError(f"{source}: credit.{exc.field}: {exc.reason}") from None


def _int(value: object, where: str, source: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{source}: {where}: expected an integer, got {value!r}")
    return value


# -- the decision ----------------------------------------------------------------------------------


class CreditOutcome(enum.StrEnum):
    """What to do with the order."""

    ALLOW = "allow"
    DEPOSIT = "deposit"
    """Take the order if the deposit is paid up front."""
    REFUSE = "refuse"


@attrs.frozen(slots=True)
class AppliedLimit:
    """A rule or limit the decision applied, with where it came from."""

    name: str
    value: str
    source: str

    def to_json(self) -> dict[str, str]:
        """JSON-ready mapping."""
        return {"name": self.name, "value": self.value, "source": self.source}


@attrs.frozen(slots=True)
class CreditDecision:
    """The answer for one order: allow, deposit or refuse, with reasons and limits."""

    debtor_id: str
    as_of: dt.date
    outcome: CreditOutcome
    order: Money
    deposit: Money
    """What to ask for up front (zero unless the outcome is ``deposit``)."""
    exposure: Money
    """Open balance in the order's currency plus the order."""
    score: CreditScore
    combined_score: int | None
    """The score the thresholds were compared with (internal and outside scores blended)."""
    reasons: tuple[str, ...]
    limits: tuple[AppliedLimit, ...]
    external: tuple[ExternalCredit, ...] = ()

    def explain(self) -> list[str]:
        """The decision in a few lines (for the terminal)."""
        head = {
            CreditOutcome.ALLOW: f"ALLOW the order of {self.order}",
            CreditOutcome.DEPOSIT: f"REQUIRE A DEPOSIT of {self.deposit} on the order of {self.order}",
            CreditOutcome.REFUSE: f"REFUSE credit for the order of {self.order}",
        }[self.outcome]
        lines = [head, "", "Reasons:"] + [f"  - {r}" for r in self.reasons]
        lines += ["", "Score:"] + [f"  {line}" for line in self.score.explain()]
        if self.external:
            lines += ["", "Outside data:"]
            for ext in self.external:
                parts = [f"score {ext.score}" if ext.score is not None else "no score"]
                if ext.limit is not None:
                    parts.append(f"limit {ext.limit}")
                if ext.flags:
                    parts.append("flags " + ", ".join(sorted(ext.flags)))
                lines.append(f"  {ext.source}: " + "; ".join(parts) + (f" ({ext.note})" if ext.note else ""))
        lines += ["", "Limits applied:"]
        lines += [f"  {lim.name}: {lim.value} ({lim.source})" for lim in self.limits]
        return lines

    def to_json(self) -> dict[str, Any]:
        """The ``cobrokit credit check --json`` shape: amounts as strings with the currency's decimals."""
        return {
            "debtor_id": self.debtor_id,
            "as_of": self.as_of.isoformat(),
            "outcome": self.outcome.value,
            "currency": self.order.currency,
            "order": self.order.format_amount(),
            "deposit": self.deposit.format_amount(),
            "open_balance": (self.exposure - self.order).format_amount(),
            "exposure": self.exposure.format_amount(),
            "score": self.score.to_json(),
            "combined_score": self.combined_score,
            "reasons": list(self.reasons),
            "limits": [lim.to_json() for lim in self.limits],
            "external": [ext.to_json() for ext in self.external],
        }


def combined_score(internal: int | None, external: Sequence[ExternalCredit], bureau_weight: Decimal) -> int | None:
    """Blend the internal score with the outside scores (their mean) by *bureau_weight* percent.

    Either alone is used as it is; ``None`` when neither exists.
    """
    outside = [e.score for e in external if e.score is not None]
    if not outside:
        return internal
    mean = Decimal(sum(outside)) / Decimal(len(outside))
    if internal is None:
        return _round(mean)
    return _round((Decimal(internal) * (100 - bureau_weight) + mean * bureau_weight) / 100)


def decide_credit(
    history: PaymentHistory,
    order: Money,
    policy: CreditPolicy | None = None,
    external: Sequence[ExternalCredit] = (),
) -> CreditDecision:
    """Allow, ask for a deposit, or refuse credit for *order*, and say why. Pure.

    Refusal (any one): the debtor is flagged insolvent; an outside source reports a flag in
    ``refuse_flags``; an undisputed invoice is overdue beyond ``max_days_overdue``; the
    score is below ``refuse_below``; the open balance alone already reaches the credit
    limit. Otherwise a deposit is the largest of: ``deposit_percent`` of the order when
    the score is below ``deposit_below`` (or for a new client without a new-client
    limit); the part of the order above the new-client limit; the part of the exposure
    above the credit limit — never more than the order. No deposit: allow.

    Raises:
        InvalidAmountError: *order* is not positive.
    """
    p = policy or CreditPolicy()
    if order.amount <= 0:
        raise InvalidAmountError(
            f"credit check for debtor {history.debtor_id}",
            "amount",
            f"the order must be positive, got {order}",
        )
    order = order.rounded()
    currency = order.currency
    score = score_history(history, p.weights)
    blended = combined_score(score.score, external, p.bureau_weight)
    balance = history.open_balance(currency)
    exposure = balance + order
    zero = Money.zero(currency)
    refuse: list[str] = []
    reasons: list[str] = []
    limits: list[AppliedLimit] = [
        AppliedLimit("refusal threshold", f"score below {p.refuse_below}", "policy"),
        AppliedLimit("deposit threshold", f"score below {p.deposit_below}: {p.deposit_percent}% deposit", "policy"),
    ]

    if history.insolvent:
        refuse.append("the debtor is flagged insolvent: no new credit")
    for ext in external:
        bad = sorted(ext.flags & p.refuse_flags)
        if bad:
            refuse.append(f"{ext.source} reports {', '.join(bad)}")
    if p.refuse_flags and external:
        limits.append(AppliedLimit("refusing flags", ", ".join(sorted(p.refuse_flags)), "policy"))
    if p.max_days_overdue is not None:
        limits.append(AppliedLimit("maximum days overdue", str(p.max_days_overdue), "policy"))
        if history.oldest_days_overdue > p.max_days_overdue:
            refuse.append(
                f"an invoice is {history.oldest_days_overdue} days overdue (more than "
                f"{p.max_days_overdue}): collect it before extending more credit"
            )

    # the credit limit: the policy's, lowered by any outside limit in the same currency
    limit: Money | None = None
    if currency in p.limits:
        limit = Money(p.limits[currency], currency)
        limits.append(AppliedLimit(f"credit limit {currency}", str(limit), "policy"))
    for ext in external:
        if ext.limit is None:
            continue
        if ext.limit.currency != currency:
            reasons.append(f"{ext.source}'s limit of {ext.limit} is in another currency and was not applied")
            continue
        limits.append(AppliedLimit(f"credit limit {currency}", str(ext.limit), ext.source))
        limit = ext.limit if limit is None or ext.limit < limit else limit

    if blended is not None and blended < p.refuse_below:
        refuse.append(f"score {blended} is below the refusal threshold {p.refuse_below}")
    if limit is not None and balance >= limit:
        refuse.append(f"the open balance of {balance} already reaches the credit limit of {limit}")

    if refuse:
        return CreditDecision(
            history.debtor_id,
            history.as_of,
            CreditOutcome.REFUSE,
            order,
            zero,
            exposure,
            score,
            blended,
            tuple(refuse + reasons),
            tuple(limits),
            tuple(external),
        )

    deposit = zero
    percent_part = (order * (p.deposit_percent / Decimal(100))).rounded()
    if blended is None:
        new_limit = p.new_client_limits.get(currency)
        if new_limit is not None:
            allowed = Money(new_limit, currency)
            limits.append(AppliedLimit(f"new-client limit {currency}", str(allowed), "policy"))
            if order > allowed:
                deposit = max(deposit, order - allowed)
                reasons.append(
                    f"no payment history: orders above the new-client limit of {allowed} "
                    f"need the difference up front ({order - allowed})"
                )
            else:
                reasons.append(f"no payment history; the order is within the new-client limit of {allowed}")
        else:
            deposit = max(deposit, percent_part)
            reasons.append(f"no payment history and no new-client limit: {p.deposit_percent}% deposit ({percent_part})")
    elif blended < p.deposit_below:
        deposit = max(deposit, percent_part)
        reasons.append(
            f"score {blended} is below the deposit threshold {p.deposit_below}: "
            f"{p.deposit_percent}% deposit ({percent_part})"
        )
    else:
        reasons.append(f"score {blended} meets the deposit threshold {p.deposit_below}")
    if limit is not None:
        over = exposure - limit
        if over.amount > 0:
            deposit = max(deposit, over)
            reasons.append(
                f"open balance {balance} plus this order exceeds the credit limit of {limit} "
                f"by {over}: that part up front"
            )
        else:
            reasons.append(f"open balance {balance} plus this order stays within the credit limit of {limit}")
    deposit = min(deposit, order)
    outcome = CreditOutcome.DEPOSIT if deposit.amount > 0 else CreditOutcome.ALLOW
    return CreditDecision(
        history.debtor_id,
        history.as_of,
        outcome,
        order,
        deposit,
        exposure,
        score,
        blended,
        tuple(reasons),
        tuple(limits),
        tuple(external),
    )
