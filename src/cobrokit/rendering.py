"""Turn a :class:`~cobrokit.notice.Notice` into a :class:`~cobrokit.channel.Message`.

Templates are Jinja2 files rendered in Jinja's **immutable sandbox** with
``StrictUndefined``. They live under ``<locale>/<kind>/<stage>.txt`` in the template
folders: first the user's override folders (in the order given), then the built-in ones
shipped in ``cobrokit/templates``. ``kind`` is ``email``, ``letter``, ``sms`` or ``call``;
channels without templates of their own use another kind (``whatsapp``, ``webhook`` and
``slack`` use ``sms``).

A stage file defines **blocks** that cobrokit renders one by one:

========  ===========================================================================
kind      blocks
========  ===========================================================================
email     ``subject``, ``message`` (before the figures), ``closing`` (optional, after)
letter    ``subject``, ``body`` (salutation + paragraphs), ``closing`` (optional)
sms       the whole file is the message
call      the whole file is the phone script
========  ===========================================================================

The email figures (invoices table, interest explanation, plan, pay-now link, signature)
come from the layouts ``email/_layout.txt`` and ``email/_layout.html``; the letter is laid
out by :mod:`cobrokit.letters` (a PDF writer places its blocks). Small localised words
("Invoice", "Due date"…) are the blocks of ``<locale>/labels.txt``, available to every
template as ``labels``.

Locale resolution, most specific first (see :func:`cobrokit.formatting.locale_chain`):
``es_MX`` → ``es_MX``, ``es_419``, ``es``, ``en``; for each locale the override folders
are searched before the built-ins, so a more specific built-in beats a less specific
override. Money and dates are always formatted in the **debtor's** locale.

Limits: a render has a time budget and an output budget (:class:`RenderLimits`), checked
at every output chunk, attribute access, call and ``range`` step; string repetition and
padding are bounded in advance. Any failure raises :class:`~cobrokit.errors.RenderError`
naming the template, stage, locale and debtor; the caller records it and sends nothing.

Pure apart from reading template files: no pluggy, no network. Plugins contribute
through arguments (``extra_context``, ``pay_link``); see
:mod:`cobrokit.plugins.templating` for the edge function that asks them.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import os
import re
import time
import traceback
import zoneinfo
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from cobrokit.channel import Attachment, Message
from cobrokit.errors import RenderError, ValidationError
from cobrokit.formatting import DateStyle, Formatter, babel_locale, city_line, locale_chain
from cobrokit.interest.daycount import DayCount
from cobrokit.letters import LetterDocument, LetterTable, split_paragraphs
from cobrokit.money import Money
from cobrokit.notice import Notice

__all__ = [
    "BUILTIN_KINDS",
    "BUILTIN_STAGES",
    "BUSINESS_TIME",
    "KIND_BY_CHANNEL",
    "NoticeRenderer",
    "RenderLimits",
    "build_context",
    "day_count_words",
    "message_datetime",
    "rate_citation",
    "rate_line",
    "render_notice",
    "split_rate_sources",
]

BUILTIN_KINDS: tuple[str, ...] = ("email", "letter", "sms", "call")
"""Template kinds shipped with cobrokit."""

BUILTIN_STAGES: tuple[str, ...] = (
    "courtesy",
    "oops",
    "whats_wrong",
    "penalty_warning",
    "ultimatum",
    "suspension",
    "handoff",
    "legal",
    "thank_you",
    "plan_confirmation",
    "instalment_reminder",
    "instalment_missed",
    "plan_breach",
)
"""Stages with shipped templates in ``en``, ``es`` and ``es_419``."""

KIND_BY_CHANNEL: Mapping[str, str] = {
    "email": "email",
    "outbox": "email",
    "letter": "letter",
    "call": "call",
    "sms": "sms",
    "whatsapp": "sms",
    "webhook": "sms",
    "slack": "sms",
}
"""Template kind used for a channel name; unknown channels use their own name as kind,
then ``sms``."""

_BUILTIN_DIR = Path(__file__).parent / "templates"


@attrs.frozen(slots=True)
class RenderLimits:
    """Budgets for rendering one notice (all its templates together).

    Attributes:
        max_seconds: wall-clock budget in seconds (not money: a float is fine here).
        max_chars: output budget in characters, over all parts (subject, text, HTML…).
    """

    max_seconds: float = 2.0  # float ok: seconds
    max_chars: int = 200_000

    def __attrs_post_init__(self) -> None:
        if not self.max_seconds > 0:
            raise ValidationError("render limits", "max_seconds", "must be positive")
        if self.max_chars <= 0:
            raise ValidationError("render limits", "max_chars", "must be positive")


class _LimitExceeded(Exception):
    """Raised inside a template run when a budget is spent."""


class _Budget:
    __slots__ = ("chars", "clock", "deadline", "limits")

    def __init__(self, limits: RenderLimits, clock: Callable[[], float]) -> None:
        self.limits = limits
        self.clock = clock
        self.deadline = clock() + limits.max_seconds
        self.chars = 0

    def tick(self) -> None:
        if self.clock() > self.deadline:
            raise _LimitExceeded(f"exceeded the render time limit of {self.limits.max_seconds:g} s")

    def add(self, count: int) -> None:
        self.chars += count
        if self.chars > self.limits.max_chars:
            raise _LimitExceeded(f"output exceeds the size limit of {self.limits.max_chars} characters")

    def check_size(self, count: int) -> None:
        if count > self.limits.max_chars:
            raise _LimitExceeded(f"an expression would build {count} characters (limit {self.limits.max_chars})")


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("cobrokit_render_budget", default=None)


def _tick() -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.tick()


def _check_size(count: int) -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.check_size(count)


class _GuardedRange(Sequence[int]):
    """``range`` for templates: at most 100 000 items, ticking the time budget as it goes."""

    MAX = 100_000

    def __init__(self, *args: int) -> None:
        self._range = range(*args)
        if len(self._range) > self.MAX:
            raise SecurityError(f"range too big ({len(self._range)} items, at most {self.MAX})")

    def __len__(self) -> int:
        return len(self._range)

    def __getitem__(self, index: Any) -> Any:
        return self._range[index]

    def __iter__(self) -> Iterator[int]:
        for count, value in enumerate(self._range):
            if count % 64 == 0:
                _tick()
            yield value


_PAD_METHODS = {"center", "ljust", "rjust", "zfill", "expandtabs"}
_PERCENT_WIDTH = re.compile(r"%[-#0 +]*(\d+|\*)?(?:\.(\d+|\*))?")


class _GuardedEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox plus budget checks on calls, attribute access and operators."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def getattr(self, obj: Any, attribute: str) -> Any:
        _tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _tick()
        return super().getitem(obj, argument)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _tick()
        name = getattr(__obj, "__name__", "")
        if name in _PAD_METHODS and isinstance(getattr(__obj, "__self__", None), str):
            for value in (*args, *kwargs.values()):
                if isinstance(value, int):
                    _check_size(value)
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _tick()
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(count, int):
                    _check_size(len(seq) * count)
        elif operator == "**":
            if isinstance(right, int) and abs(right) > 1000:
                raise SecurityError("exponent too large")
        elif operator == "%" and isinstance(left, str):
            for match in _PERCENT_WIDTH.finditer(left):
                for group in match.groups():
                    if group and group.isdigit():
                        _check_size(int(group))
        return super().call_binop(context, operator, left, right)


def _center(value: str, width: int = 80) -> str:
    _check_size(width)
    return str(value).center(width)


def _indent(value: str, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    if isinstance(width, int):
        _check_size(width * (str(value).count("\n") + 1) + len(str(value)))
    return str(jinja2.filters.do_indent(value, width, first, blank))


_FORMATTER: contextvars.ContextVar[Formatter] = contextvars.ContextVar("cobrokit_render_formatter")


def _formatter() -> Formatter:
    try:
        return _FORMATTER.get()
    except LookupError:
        raise SecurityError("formatting filters are only available while rendering a notice") from None


def _money_filter(value: Money) -> str:
    return _formatter().money(value)


def _amount_filter(value: Money) -> str:
    return _formatter().amount(value)


def _number_filter(value: Decimal | int, decimals: int | None = None) -> str:
    return _formatter().number(value, decimals)


def _percent_filter(value: Decimal | int, min_decimals: int = 2) -> str:
    if isinstance(min_decimals, bool) or not isinstance(min_decimals, int) or not 0 <= min_decimals <= 10:
        raise SecurityError("percent: min_decimals must be an integer from 0 to 10")
    return _formatter().percent(value, min_decimals)


def _date_filter(value: dt.date, style: DateStyle = "long") -> str:
    return _formatter().date(value, style)


_URL = re.compile(r"(https?://[^\s<>\"']+)")


def _paragraphs(value: str) -> Markup:
    """Plain text → HTML paragraphs: escaped, blank lines split ``<p>``, newlines ``<br>``,
    ``http(s)://`` URLs become links."""
    html_parts = []
    for paragraph in split_paragraphs(str(value)):
        escaped = str(escape(paragraph))
        linked = _URL.sub(r'<a href="\1">\1</a>', escaped)
        html_parts.append("<p>" + linked.replace("\n", "<br>\n") + "</p>")
    return Markup("\n".join(html_parts))  # noqa: S704 - every part was escaped above


# -- context ------------------------------------------------------------------------------


def _address(address: Any) -> dict[str, Any]:
    return {
        "lines": list(address.lines),
        "city": address.city,
        "postal_code": address.postal_code,
        "region": address.region,
        "country": address.country,
    }


def _country_name(code: str, locale: str) -> str:
    if not code:
        return ""
    return str(babel_locale(locale).territories.get(code.upper(), code))


def _postal_block(name: str, address: Any, locale: str, *, with_country: bool) -> list[str]:
    lines = [name, *address.lines]
    city = city_line(address.city, address.postal_code, address.region, address.country)
    if city:
        lines.append(city)
    if with_country and address.country:
        lines.append(_country_name(address.country, locale))
    return [line for line in lines if line]


def day_count_words(code: str, labels: Mapping[str, str]) -> str:
    """The day-count convention *code* (``"act/365"``, ``"ACT/ACT"``, ``"30/360"``…) in the
    words of the locale's ``day_count_<convention>`` label (``"días naturales / 365"``); ``""``
    for a code cobrokit does not know or a label the locale lacks (no jargon is printed)."""
    if not code:
        return ""
    try:
        convention = DayCount.parse(code)
    except ValidationError:
        return ""
    key = "day_count_" + convention.value.replace("/", "_")
    return " ".join(str(labels.get(key, "")).split())


def build_context(
    notice: Notice,
    *,
    extra_context: Mapping[str, Any] | None = None,
    pay_link: str | None = None,
) -> dict[str, Any]:
    """The template variables for *notice* (documented in ``docs/notices.md``).

    Values are plain data — dicts, lists, strings, dates, :class:`Decimal` and
    :class:`Money` — never the domain objects themselves. ``extra_context`` (from plugins)
    is merged into ``extra`` over ``notice.extra``; ``pay_link`` replaces
    ``notice.pay_link`` when given.
    """
    locale = str(babel_locale(notice.debtor.locale))
    debtor = notice.debtor
    creditor = notice.creditor
    currency = notice.currency
    zero = Money.zero(currency)
    extra: dict[str, Any] = dict(notice.extra)
    if extra_context:
        for key, value in extra_context.items():
            if not isinstance(key, str) or not key.isidentifier():
                raise ValidationError("template context", str(key), "keys must be identifiers")
            extra[key] = value
    if extra.get("reward") is not None:
        extra["reward"] = _reward(extra["reward"])
    invoices: list[dict[str, Any]] = []
    for line in notice.lines:
        paid = line.amount - line.open
        invoices.append(
            {
                "id": line.invoice_id,
                "number": line.number or line.invoice_id,
                "issue_date": line.issue_date,
                "due_date": line.due_date,
                "days_overdue": line.days_overdue,
                "overdue": line.days_overdue > 0,
                "amount": line.amount,
                "open": line.open,
                "paid": paid,
                "settled": line.open.is_zero(),
            }
        )
    interest: dict[str, Any] | None = None
    if notice.interest is not None:
        summary = notice.interest
        legal_sources, rate_periods = split_rate_sources(summary.sources)
        interest = {
            "regime": summary.regime,
            "interest": summary.interest,
            "compensation": summary.compensation,
            "day_count": summary.day_count,
            "segments": [
                {
                    "start": s.start,
                    "end": s.end,
                    "days": s.days,
                    "annual_rate": s.annual_rate,
                    "base": s.base,
                    "interest": s.interest,
                }
                for s in summary.segments
            ],
            "sources": legal_sources,
            "rates": rate_periods,
            "rate_lines": [],  # filled while rendering, from the locale's labels
            "total": summary.interest + summary.compensation,
        }
    plan = _plan_context(notice, extra)
    interest_total = notice.interest.interest if notice.interest else zero
    compensation = notice.interest.compensation if notice.interest else zero
    remaining = [  # what makes up the balance (a thank-you lists what is still owed)
        {"item": item, "amount": amount}
        for item, amount in (
            ("principal", notice.principal),
            ("interest", interest_total),
            ("compensation", compensation),
            ("fees", notice.fees),
        )
        if not amount.is_zero()
    ]
    due_dates = [line.due_date for line in notice.lines]
    instalment = _plan_instalment(notice, plan, extra)
    return {
        "stage": notice.stage,
        "template": notice.template,
        "tone": notice.tone,
        "as_of": notice.as_of,
        "locale": locale,
        "currency": currency,
        "reference": f"{debtor.id}-{notice.as_of:%Y%m%d}",
        "debtor": {
            "id": debtor.id,
            "name": debtor.name,
            "tax_id": debtor.tax_id,
            "emails": list(debtor.emails),
            "email": debtor.emails[0] if debtor.emails else "",
            "phones": list(debtor.phones),
            "phone": debtor.phones[0] if debtor.phones else "",
            "address": _address(debtor.address),
            "postal": _postal_block(
                debtor.name,
                debtor.address,
                locale,
                with_country=bool(debtor.address.country) and debtor.address.country != creditor.address.country,
            ),
            "locale": locale,
            "country": debtor.country,
        },
        "contact_name": str(extra.get("contact_name") or debtor.name),
        "creditor": {
            "name": creditor.name,
            "tax_id": creditor.tax_id,
            "address": _address(creditor.address),
            "postal": _postal_block(creditor.name, creditor.address, locale, with_country=False),
            "email": creditor.email,
            "phone": creditor.phone,
            "bank_account": creditor.bank_account,
            "signatory": creditor.signatory,
            "website": creditor.website,
        },
        "invoices": invoices,
        "invoice_numbers": ", ".join(i["number"] for i in invoices),
        "due_date": min(due_dates) if due_dates else None,
        "oldest_days_overdue": notice.oldest_days_overdue,
        "principal": notice.principal,
        "fees": notice.fees,
        "interest": interest,
        "interest_total": interest_total,
        "compensation": compensation,
        "remaining": remaining,
        # the notice carries late-payment interest or recovery compensation: only then do
        # texts speak of interest (no regime, as for US debtors, means none is claimed)
        "interest_applies": notice.interest is not None
        and not (notice.interest.interest.is_zero() and notice.interest.compensation.is_zero()),
        "total_due": notice.total_due,
        "firm_date": notice.firm_date,
        "days_to_firm_date": (notice.firm_date - notice.as_of).days if notice.firm_date else None,
        "plan": plan,
        "instalment": instalment,
        "pay_link": notice.pay_link if pay_link is None else pay_link,
        "action": notice.action,
        "history": _history(extra, notice.as_of),
        # the interest waits for a statutory rate not yet published (the compensation alone is claimed)
        "interest_pending": _as_date(extra.get("interest_pending_from")),
        "extra": extra,
    }


def _as_date(value: Any) -> dt.date | None:
    """*value* as a date (a date, or an ISO date string), or ``None``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValidationError("template context", "extra", f"{value!r} is not an ISO date") from None
    return None


def _history(extra: Mapping[str, Any], as_of: dt.date) -> dict[str, Any]:
    """``history``: what happened in the debtor's cycle, from ``extra`` (set by the dispatcher,
    :func:`cobrokit.dispatch.cycle_history`), so texts claim only what is true.

    ``known`` is false for a notice built without its history: then no reminder, demand or
    silence is claimed (``reminders_sent`` 0, ``silent`` false).
    """
    known = "reminders_sent" in extra
    reminders = int(extra.get("reminders_sent") or 0)
    paid = extra.get("paid_in_cycle")
    if not isinstance(paid, Money) or paid.is_zero():
        paid = None
    promise = extra.get("promise_in_cycle")
    promise_ctx = None
    if isinstance(promise, Mapping) and promise.get("promised_date"):
        promised = _as_date(promise.get("promised_date"))
        assert promised is not None
        promise_ctx = {
            "date": promised,
            "amount": promise.get("amount"),
            "kept": bool(promise.get("kept")),
            # the promised day has passed and the promised sum has not come in
            "broken": promised < as_of and not promise.get("kept"),
        }
    stages = [str(stage) for stage in extra.get("stages_sent") or ()]
    return {
        "known": known,
        "reminders_sent": reminders,
        "stages_sent": stages,
        "demand_sent": "ultimatum" in stages,
        "paid": paid,
        "promise": promise_ctx,
        # neither a payment nor a promise in the cycle (only claimed when the history is known)
        "silent": known and paid is None and promise_ctx is None,
    }


def _reward(value: Any) -> dict[str, Any]:
    """``extra.reward`` checked: a reward granted for paying early, as the thank-you quotes it.

    ``code`` (required), ``description`` (free text, the creditor's words), ``percent``
    (percent off, a Decimal) or ``amount`` (Money off), ``valid_until`` (a date, or an ISO
    date string).
    """
    record = "template context"
    if not isinstance(value, Mapping):
        raise ValidationError(record, "extra.reward", "must be a mapping with code, percent or amount, valid_until")
    code = str(value.get("code") or "").strip()
    if not code:
        raise ValidationError(record, "extra.reward.code", "is missing")
    percent = value.get("percent")
    if percent is not None:
        if isinstance(percent, (float, bool)) or not isinstance(percent, (int, Decimal, str)):
            raise ValidationError(record, "extra.reward.percent", f"{percent!r} is not a Decimal")
        try:
            percent = Decimal(percent)
        except ArithmeticError:
            raise ValidationError(record, "extra.reward.percent", f"{percent!r} is not a number") from None
        if not percent.is_finite() or not 0 < percent <= 100:
            raise ValidationError(record, "extra.reward.percent", f"must be above 0 and at most 100, got {percent}")
    amount = value.get("amount")
    if amount is not None and not isinstance(amount, Money):
        raise ValidationError(record, "extra.reward.amount", f"{amount!r} is not Money")
    valid_until = value.get("valid_until")
    if isinstance(valid_until, str):
        try:
            valid_until = dt.date.fromisoformat(valid_until)
        except ValueError:
            raise ValidationError(record, "extra.reward.valid_until", f"{valid_until!r} is not an ISO date") from None
    if valid_until is not None and (isinstance(valid_until, dt.datetime) or not isinstance(valid_until, dt.date)):
        raise ValidationError(record, "extra.reward.valid_until", "must be a date")
    return {
        "code": code,
        "description": str(value.get("description") or ""),
        "percent": percent,
        "amount": amount,
        "valid_until": valid_until,
    }


_INSTALMENT_STAGES = frozenset({"instalment_reminder", "plan_missed", "instalment_missed"})
"""Stages and templates of notices about one instalment of an agreed plan."""

AGREED_PLAN_STAGES: frozenset[str] = frozenset(
    {"plan_confirmation", "instalment_reminder", "plan_missed", "instalment_missed", "plan_breach"}
)
"""Stages and templates of notices about a plan the debtor **agreed** (not an offer): their
``plan`` is that plan, shown without the "with late charges" comparison of an offer."""


def _plan_context(notice: Notice, extra: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``plan`` template variable: the offered or agreed plan's schedule.

    The schedule (``instalments``) starts with the down payment, when there is one and its
    date is known, as instalment number 0 (``down_payment`` true); ``next`` and
    ``previous`` are taken from it, so a reminder due before the first instalment is about
    the down payment. ``count`` counts the regular instalments only. On a breach notice
    (``ended``), ``missed`` is the instalment whose non-payment ended the plan: the one
    numbered ``extra.instalment`` when the caller says, else the last one due before the
    notice date.
    """
    offer = notice.plan_offer
    if offer is None:
        return None
    currency = notice.currency
    zero = Money.zero(currency)
    agreed = notice.stage in AGREED_PLAN_STAGES or notice.template in AGREED_PLAN_STAGES
    regular: list[dict[str, Any]] = [
        {
            "number": number,
            "down_payment": False,
            "due_date": item.due_date,
            "amount": item.amount,
            # an agreed plan is what the debtor pays: the "with late charges" comparison
            # belongs to offers only
            "amount_with_interest": None if agreed else item.amount_with_interest,
        }
        for number, item in enumerate(offer.instalments, start=1)
    ]
    down = offer.down_payment if offer.down_payment is not None and not offer.down_payment.is_zero() else None
    down_due = offer.down_payment_due if down is not None else None
    if (
        down is not None
        and down_due is None
        and notice.firm_date is not None
        and (notice.stage in _INSTALMENT_STAGES or notice.template in _INSTALMENT_STAGES)
        and (not regular or notice.firm_date < regular[0]["due_date"])
    ):
        down_due = notice.firm_date  # a notice about the down payment is dated by it
    schedule = list(regular)
    if down is not None and down_due is not None:
        schedule.insert(
            0,
            {"number": 0, "down_payment": True, "due_date": down_due, "amount": down, "amount_with_interest": None},
        )
    total = Money.total((i.amount for i in offer.instalments), currency) + (down or zero)
    with_interest = [i["amount_with_interest"] for i in regular]
    total_with_interest = (
        Money.total(with_interest, currency) + (down or zero)
        if with_interest and all(m is not None for m in with_interest)
        else None
    )
    interest = offer.interest
    if interest is None and (notice.template == "plan_confirmation" or notice.stage == "plan_confirmation"):
        # a confirmation is sent when the plan is agreed: what it adds to the balance is
        # the interest agreed in it
        interest = max(total - notice.principal, zero, key=lambda m: m.amount)
    paid_numbers, remaining = _plan_progress(agreed, extra, total)
    for item in schedule:
        item["paid"] = item["number"] in paid_numbers
    upcoming = [i for i in schedule if i["due_date"] >= notice.as_of]
    past = [i for i in schedule if i["due_date"] < notice.as_of]
    ended = notice.stage == "plan_breach" or notice.template == "plan_breach"
    missed = None
    if ended:
        number = extra.get("instalment")
        if isinstance(number, int) and not isinstance(number, bool):
            missed = next((i for i in schedule if i["number"] == number), None)
        if missed is None and past:
            missed = past[-1]
    return {
        "frequency": offer.frequency,
        "agreed": agreed,
        "ended": ended,
        "missed": missed,
        "down_payment": down,
        "down_payment_due": down_due,
        "instalments": schedule,
        "regular": regular,
        "first": regular[0] if regular else None,
        "count": len(regular),
        "total": total,
        "total_with_interest": total_with_interest,
        # what is still to pay under an agreed plan, once part of it was paid (else None)
        "remaining": remaining,
        "interest": interest,
        "balance": total - interest if interest is not None else None,
        "next": upcoming[0] if upcoming else None,
        "previous": past[-1] if past else None,
        "first_due_date": schedule[0]["due_date"] if schedule else None,
    }


def _plan_progress(agreed: bool, extra: Mapping[str, Any], total: Money) -> tuple[frozenset[int], Money | None]:
    """The instalments already paid and what is left to pay of an agreed plan totalling *total*.

    Read from ``extra.plan_paid_instalments`` (instalment numbers, 0 = down payment) and
    ``extra.plan_remaining`` (a :class:`~cobrokit.money.Money`), which the dispatcher sets
    from :func:`cobrokit.plans.evaluate_plan`. An offer has paid nothing; the remaining
    amount is ``None`` unless something was paid (it would repeat the plan's total).
    """
    if not agreed:
        return frozenset(), None
    numbers = extra.get("plan_paid_instalments") or ()
    if not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
        raise ValidationError("template context", "extra.plan_paid_instalments", "must be instalment numbers")
    remaining = extra.get("plan_remaining")
    if remaining is None:
        return frozenset(numbers), None
    if not isinstance(remaining, Money):
        raise ValidationError("template context", "extra.plan_remaining", "must be Money")
    if remaining.currency != total.currency:
        raise ValidationError(
            "template context", "extra.plan_remaining", f"is in {remaining.currency}, the plan in {total.currency}"
        )
    return frozenset(numbers), remaining if remaining < total else None


def _plan_instalment(notice: Notice, plan: Mapping[str, Any] | None, extra: Mapping[str, Any]) -> dict[str, Any] | None:
    """The agreed plan's instalment a notice asks for: the one falling due on the firm date.

    Only for the notices the ladder sends while following a plan (stages
    ``instalment_reminder`` and ``plan_missed``, templates ``instalment_reminder`` and
    ``instalment_missed``): they set ``firm_date`` to the instalment's due date and
    ``principal`` to what is still owed on it. A firm date before the first instalment,
    with a down payment in the plan, is the down payment (number 0). ``None`` otherwise.
    """
    if plan is None or notice.firm_date is None:
        return None
    if notice.stage not in _INSTALMENT_STAGES and notice.template not in _INSTALMENT_STAGES:
        return None
    found: Mapping[str, Any] | None = None
    for item in plan["instalments"]:
        if item["due_date"] == notice.firm_date:
            found = item
            break
    if found is not None:
        number, amount = int(found["number"]), found["amount"]
    elif plan["down_payment"] is not None and (
        not plan["instalments"] or notice.firm_date < plan["instalments"][0]["due_date"]
    ):
        number, amount = 0, plan["down_payment"]
    else:
        return None
    grace_until = extra.get("grace_until")
    if isinstance(grace_until, str):
        try:
            grace_until = dt.date.fromisoformat(grace_until)
        except ValueError:
            raise ValidationError(
                "template context", "extra.grace_until", f"{grace_until!r} is not an ISO date"
            ) from None
    if grace_until is not None and not isinstance(grace_until, dt.date):
        raise ValidationError("template context", "extra.grace_until", "must be a date")
    outstanding = notice.principal if notice.principal.amount <= amount.amount else amount
    return {
        "number": number,
        "down_payment": number == 0,
        "due_date": notice.firm_date,
        "amount": amount,
        "outstanding": outstanding,
        "days_late": (notice.as_of - notice.firm_date).days,
        "grace_until": grace_until,
    }


_RATE_LINE = re.compile(r"^rate (?P<label>.+?): (?P<rate>\d+(?:\.\d+)?) % \((?P<source>.*)\)$", re.DOTALL)
_FIXED_SUFFIX = ", fixed for the debt's life"
_CITATIONS = (
    re.compile(r"BOE-A-\d{4}-\d+"),
    re.compile(
        r"Resolución de \d{1,2} de (?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre"
        r"|noviembre|diciembre) de \d{4}(?: de la Secretaría General del Tesoro)?"
    ),
    re.compile(r"SFC Res\. \d+/\d{4}"),
    re.compile(r"Ley \d+/\d{4}(?:,? art\. \d+(?:\.\d+)?)?"),
    re.compile(r"LPGE \d{4}"),
    re.compile(r"Código (?:de Comercio|Civil(?: Federal)?),? arts?\. \d+"),
)
"""Official references a debtor can look up, in order of preference. A rate table's source
note is free text written by whoever researched the figure ("title seen, figure derived
from…"); only one of these references is ever printed on a notice."""


def rate_citation(source: str) -> str:
    """The official reference in a rate table's source note, or ``""``.

    >>> rate_citation("BOE-A-2025-13217 (Resolución de 25 de junio de 2025; title seen, figure derived…)")
    'BOE-A-2025-13217'
    >>> rate_citation("Bank Rate 4.75 % since 7 Nov 2024")
    ''
    """
    for pattern in _CITATIONS:
        match = pattern.search(source)
        if match:
            return match.group(0)
    return ""


def split_rate_sources(sources: Iterable[str]) -> tuple[list[str], list[dict[str, Any]]]:
    """Split an interest computation's sources into legal citations and per-period rates.

    The interest calculator reports each rate it used as ``"rate <period>: <rate> %
    (<source note>)"``, where the note is the rate table's research evidence (English
    free text, for the creditor). Notices show instead a line built from the debtor's
    labels: each rate comes back as ``{"period", "kind", "fixed", "rate", "citation"}``
    (``kind`` is ``"period"``, ``"statutory"`` or ``"agreed"``; ``citation`` is the
    official reference found in the note by :func:`rate_citation`, or ``""``).
    """
    legal: list[str] = []
    rates: list[dict[str, Any]] = []
    for source in sources:
        match = _RATE_LINE.match(source)
        if match is None:
            legal.append(source)
            continue
        label = match["label"]
        fixed = label.endswith(_FIXED_SUFFIX)
        if fixed:
            label = label[: -len(_FIXED_SUFFIX)]
        kind = label if label in ("statutory", "agreed") else "period"
        rates.append(
            {
                "period": "" if kind != "period" else label,
                "kind": kind,
                "fixed": fixed,
                "rate": Decimal(match["rate"]),
                "citation": rate_citation(match["source"]),
            }
        )
    return legal, rates


def rate_line(rate: Mapping[str, Any], labels: Mapping[str, str], fmt: Formatter) -> str:
    """One per-period rate line in the debtor's words: ``tipo 2025-H2: 10,15 % (BOE-A-2025-13217)``.

    Words come from the ``rate_period``, ``rate_statutory``, ``rate_agreed`` and
    ``rate_fixed`` blocks of ``labels.txt``.
    """

    def label(name: str, default: str) -> str:
        return " ".join(str(labels.get(name, default)).split())

    if rate["kind"] == "statutory":
        name = label("rate_statutory", "statutory rate")
    elif rate["kind"] == "agreed":
        name = label("rate_agreed", "agreed rate")
    else:
        name = f"{label('rate_period', 'rate')} {rate['period']}"
    if rate["fixed"]:
        name = f"{name}, {label('rate_fixed', 'fixed for the life of the debt')}"
    line = f"{name}: {fmt.percent(rate['rate'])}"
    return f"{line} ({rate['citation']})" if rate["citation"] else line


def _figures(notice: Notice) -> dict[str, Any]:
    """JSON-safe figures for channels and call lists (amounts as strings)."""

    def money(m: Money) -> dict[str, str]:
        return {"amount": m.format_amount(), "currency": m.currency}

    return {
        "total_due": money(notice.total_due),
        "principal": money(notice.principal),
        "fees": money(notice.fees),
        "interest": money(notice.interest.interest) if notice.interest else None,
        "compensation": money(notice.interest.compensation) if notice.interest else None,
        "oldest_days_overdue": notice.oldest_days_overdue,
        "firm_date": notice.firm_date.isoformat() if notice.firm_date else None,
        "invoices": [line.number or line.invoice_id for line in notice.lines],
        "risk": str(notice.extra.get("risk", "")),
        "team": str(notice.extra.get("team", "")),
    }


# -- renderer -----------------------------------------------------------------------------


def _environment(loader: jinja2.BaseLoader) -> _GuardedEnvironment:
    """The sandboxed environment templates run in, with cobrokit's filters."""
    env = _GuardedEnvironment(
        loader=loader,
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm"), default_for_string=False, default=False
        ),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=True,
    )
    env.globals = {"range": _GuardedRange}
    env.filters["center"] = _center
    env.filters["indent"] = _indent
    env.filters["paragraphs"] = _paragraphs
    env.filters["money"] = _money_filter
    env.filters["amount"] = _amount_filter
    env.filters["number"] = _number_filter
    env.filters["percent"] = _percent_filter
    env.filters["date"] = _date_filter
    return env


class NoticeRenderer:
    """Renders notices with one set of template folders and limits.

    Args:
        override_dirs: folders searched before the built-in templates, in order; each has
            the same layout (``<locale>/<kind>/<stage>.txt``).
        loader: a Jinja loader to use *instead of* folders (tests, templates kept in a
            database); names are ``<locale>/<kind>/<stage>.txt``.
        limits: time and size budgets per notice.
        clock: monotonic clock in seconds (injectable for tests).
        include_builtin: search the shipped templates after the overrides.
    """

    def __init__(
        self,
        *,
        override_dirs: Iterable[str | os.PathLike[str]] = (),
        loader: jinja2.BaseLoader | None = None,
        limits: RenderLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
        include_builtin: bool = True,
    ) -> None:
        loaders: list[jinja2.BaseLoader] = []
        if loader is not None:
            loaders.append(loader)
        for folder in override_dirs:
            path = Path(folder)
            if not path.is_dir():
                raise ValidationError("template override folder", "path", f"{path} is not a folder")
            loaders.append(jinja2.FileSystemLoader(str(path)))
        if include_builtin:
            loaders.append(jinja2.FileSystemLoader(str(_BUILTIN_DIR)))
        self.limits = limits or RenderLimits()
        self.clock = clock
        self.env = _environment(jinja2.ChoiceLoader(loaders))
        self._builtin_env = _environment(jinja2.FileSystemLoader(str(_BUILTIN_DIR))) if include_builtin else None

    # -- lookup -------------------------------------------------------------------------
    def builtin_labels(self, chain: Sequence[str]) -> jinja2.Template | None:
        """The shipped ``labels.txt`` for *chain* (fills labels an override folder lacks)."""
        if self._builtin_env is None:
            return None
        for locale in chain:
            try:
                return self._builtin_env.get_template(f"{locale}/labels.txt")
            except jinja2.TemplateNotFound:
                continue
        return None

    def _find(self, chain: Sequence[str], path: str) -> jinja2.Template | None:
        for locale in chain:
            try:
                return self.env.get_template(f"{locale}/{path}")
            except jinja2.TemplateNotFound:
                continue
        return None

    def template_names(self, stage: str, locale: str, kind: str) -> list[str]:
        """The template names that would be used (for ``--explain`` and docs)."""
        chain = locale_chain(locale)
        found = []
        for kind_name in self._kinds(kind):
            template = self._find(chain, f"{kind_name}/{stage}.txt")
            if template is not None:
                found.append(str(template.name))
                break
        return found

    @staticmethod
    def _kinds(kind: str) -> list[str]:
        return [kind] if kind == "sms" else [kind, "sms"]

    # -- rendering ----------------------------------------------------------------------
    def render(
        self,
        notice: Notice,
        channel: str,
        *,
        kind: str | None = None,
        extra_context: Mapping[str, Any] | None = None,
        pay_link: str | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> Message:
        """Render *notice* for *channel* (``"email"``, ``"letter"``, ``"sms"``, ``"call"``…).

        Raises:
            RenderError: the template is missing, broken, or exceeded a limit.
        """
        run = _Run(self, notice, channel, kind or KIND_BY_CHANNEL.get(channel, channel))
        token = _BUDGET.set(_Budget(self.limits, self.clock))
        try:
            return run.render(extra_context, pay_link, tuple(attachments))
        finally:
            _BUDGET.reset(token)


class _Run:
    """One render of one notice (keeps the template name being rendered for errors)."""

    def __init__(self, renderer: NoticeRenderer, notice: Notice, channel: str, kind: str) -> None:
        self.renderer = renderer
        self.notice = notice
        self.channel = channel
        self.kind = kind
        self.current = f"{notice.debtor.locale}/{kind}/{notice.template}.txt"
        self.locale = notice.debtor.locale

    def error(self, reason: str, template: str | None = None) -> RenderError:
        return RenderError(template or self.current, self.notice.stage, self.locale, self.notice.debtor.id, reason)

    # -- helpers -----------------------------------------------------------------------
    def find(self, chain: Sequence[str], path: str, *, required: bool = True) -> jinja2.Template | None:
        try:
            template = self.renderer._find(chain, path)
        except jinja2.TemplateSyntaxError as exc:
            raise self.error(f"syntax error at line {exc.lineno}: {exc.message}", exc.name or path) from exc
        if template is None and required:
            raise self.error(f"no template {path!r} for locales {', '.join(chain)}", path)
        return template

    def _collect(self, template: jinja2.Template, chunks: Iterable[str]) -> str:
        self.current = str(template.name)
        budget = _BUDGET.get()
        parts: list[str] = []
        for chunk in chunks:
            if budget is not None:
                budget.add(len(chunk))
                budget.tick()
            parts.append(str(chunk))
        return "".join(parts)

    def whole(self, template: jinja2.Template, context: Mapping[str, Any]) -> str:
        self.current = str(template.name)
        return _tidy(self._collect(template, template.generate(dict(context))))

    def blocks(
        self,
        template: jinja2.Template,
        context: Mapping[str, Any],
        names: Iterable[str],
        required: Iterable[str] = (),
    ) -> dict[str, str]:
        self.current = str(template.name)
        missing = [name for name in required if name not in template.blocks]
        if missing:
            raise self.error(f"missing block(s) {', '.join(missing)}")
        result = {}
        for name in names:
            if name in template.blocks:
                ctx = template.new_context(dict(context))
                result[name] = _tidy(self._collect(template, template.blocks[name](ctx)))
            else:
                result[name] = ""
        return result

    def all_blocks(self, template: jinja2.Template, context: Mapping[str, Any]) -> dict[str, str]:
        return self.blocks(template, context, list(template.blocks))

    # -- main --------------------------------------------------------------------------
    def render(
        self,
        extra_context: Mapping[str, Any] | None,
        pay_link: str | None,
        attachments: tuple[Attachment, ...],
    ) -> Message:
        try:
            self.locale = str(babel_locale(self.notice.debtor.locale))
            chain = locale_chain(self.locale)
            fmt = Formatter(self.locale)
            context = build_context(self.notice, extra_context=extra_context, pay_link=pay_link)
        except ValidationError as exc:
            raise self.error(str(exc)) from exc
        env = self.renderer.env
        token = _FORMATTER.set(fmt)  # the formatting filters use the debtor's locale
        try:
            return self._render(chain, fmt, context, attachments)
        except RenderError:
            raise
        except _LimitExceeded as exc:
            raise self.error(str(exc)) from None
        except jinja2.TemplateSyntaxError as exc:
            raise self.error(f"syntax error at line {exc.lineno}: {exc.message}", exc.name) from exc
        except SecurityError as exc:
            raise self.error(f"sandbox refused: {exc}{_line(exc, env)}") from exc
        except jinja2.UndefinedError as exc:
            raise self.error(f"undefined: {exc}{_line(exc, env)}") from exc
        except RecursionError:
            raise self.error("recursion too deep") from None
        except Exception as exc:  # any runtime error of a template is a render failure
            raise self.error(f"{type(exc).__name__}: {exc}{_line(exc, env)}") from exc
        finally:
            _FORMATTER.reset(token)

    def _render(
        self,
        chain: Sequence[str],
        fmt: Formatter,
        context: dict[str, Any],
        attachments: tuple[Attachment, ...],
    ) -> Message:
        labels_template = self.find(chain, "labels.txt")
        assert labels_template is not None
        labels = self.all_blocks(labels_template, context)
        shipped = self.renderer.builtin_labels(chain)
        if shipped is not None and shipped.filename != labels_template.filename:
            # an overridden labels.txt that lacks a label (one added in a later version)
            # gets the shipped wording of the same locale
            labels = {**self.all_blocks(shipped, context), **labels}
        context["labels"] = labels
        if context["interest"] is not None:
            context["interest"]["rate_lines"] = [
                rate_line(rate, context["labels"], fmt) for rate in context["interest"]["rates"]
            ]
        stage = self.notice.template
        template = None
        kind = self.kind
        for candidate in self.renderer._kinds(self.kind):
            template = self.find(chain, f"{candidate}/{stage}.txt", required=False)
            if template is not None:
                kind = candidate
                break
        if template is None:
            raise self.error(
                f"no template for stage {stage!r}, kind {self.kind!r}, locales {', '.join(chain)}",
                f"{self.kind}/{stage}.txt",
            )
        template_locale = str(template.name).split("/", 1)[0]
        metadata: dict[str, Any] = {
            "kind": kind,
            "template": str(template.name),
            "template_locale": template_locale,
            "figures": _figures(self.notice),
            "tone": self.notice.tone,
            # the business date and the debtor's zone: channels date what they write from
            # these (email Date header, call task, letter), never from the machine's clock
            "as_of": self.notice.as_of.isoformat(),
            "timezone": self.notice.debtor.timezone,
        }
        subject = ""
        html = ""
        recipient = _recipient(self.notice, self.channel, kind, context)
        if kind == "email":
            parts = self.blocks(template, context, ("subject", "message", "closing"), required=("subject", "message"))
            subject = " ".join(parts["subject"].split())
            layout_ctx = {
                **context,
                "subject": subject,
                "message": parts["message"],
                "closing": parts["closing"],
            }
            text_layout = self.find(chain, "email/_layout.txt")
            html_layout = self.find(chain, "email/_layout.html")
            assert text_layout is not None and html_layout is not None
            text = self.whole(text_layout, layout_ctx)
            html = self._collect(html_layout, html_layout.generate(dict(layout_ctx))).strip() + "\n"
        elif kind == "letter":
            parts = self.blocks(template, context, ("subject", "body", "closing"), required=("subject", "body"))
            subject = " ".join(parts["subject"].split())
            document = _letter_document(self.notice, context, parts, fmt, subject)
            metadata["letter"] = document.to_dict()
            text = document.to_text()
            _check_total(len(text))
        else:
            text = self.whole(template, context)
            if kind == "call":
                metadata["call"] = {
                    "debtor_name": self.notice.debtor.name,
                    "phone": recipient,
                    "total_due": fmt.money(self.notice.total_due),
                    "oldest_days_overdue": self.notice.oldest_days_overdue,
                }
        self.current = str(template.name)
        if not text.strip():
            raise self.error("rendered an empty message")
        return Message(
            key=self.notice.key,
            tenant=self.notice.tenant,
            debtor_id=self.notice.debtor.id,
            stage=self.notice.stage,
            channel=self.channel,
            recipient=recipient,
            subject=subject,
            text=text if text.endswith("\n") else text + "\n",
            html=html,
            locale=self.locale,
            attachments=attachments,
            metadata=metadata,
        )


def _check_total(count: int) -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.add(count)


def _line(exc: BaseException, env: jinja2.Environment) -> str:
    """`` (line N)`` of the template frame where *exc* happened, when known."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename and frame.filename.endswith((".txt", ".html")) and frame.lineno:
            return f" (line {frame.lineno})"
    return ""


_BLANK_RUNS = re.compile(r"\n{3,}")


def _tidy(text: str) -> str:
    """Strip trailing spaces, collapse runs of blank lines, trim the ends."""
    lines = [line.rstrip() for line in text.strip("\n").splitlines()]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip()


def _recipient(notice: Notice, channel: str, kind: str, context: Mapping[str, Any]) -> str:
    debtor = notice.debtor
    name = channel if channel in ("email", "letter", "sms", "whatsapp", "call") else kind
    if name == "email":
        return ", ".join(debtor.emails)
    if name == "letter":
        return "\n".join(context["debtor"]["postal"])
    if name in ("sms", "whatsapp", "call"):
        return debtor.phones[0] if debtor.phones else ""
    return ""


def _letter_document(
    notice: Notice, context: Mapping[str, Any], parts: Mapping[str, str], fmt: Formatter, subject: str
) -> LetterDocument:
    labels: Mapping[str, str] = context["labels"]
    creditor = context["creditor"]

    def label(name: str) -> str:
        return " ".join(labels.get(name, name).split())

    sender = list(creditor["postal"])
    if creditor["tax_id"]:
        sender.insert(1, f"{label('tax_id')} {creditor['tax_id']}")
    sender += [line for line in (creditor["phone"], creditor["email"], creditor["website"]) if line]
    recipient = list(context["debtor"]["postal"])
    if context["debtor"]["tax_id"]:
        recipient.insert(1, f"{label('tax_id')} {context['debtor']['tax_id']}")
    debt = None
    rows: list[tuple[str, ...]]
    # a thank-you for a balance paid in full has no debt to set out
    settled_thanks = "thank_you" in (notice.stage, notice.template) and notice.total_due.is_zero()
    if notice.lines and not settled_thanks:
        # before the due date (a courtesy notice) nothing is overdue: no "days overdue" column
        with_days = any(inv["overdue"] for inv in context["invoices"])
        rows = [
            (
                inv["number"],
                fmt.date(inv["issue_date"], "medium"),
                fmt.date(inv["due_date"], "medium"),
                *((str(max(inv["days_overdue"], 0)),) if with_days else ()),
                fmt.money(inv["amount"]),
                fmt.money(inv["open"]),
            )
            for inv in context["invoices"]
        ]
        # a notice about one plan instalment asks for that instalment, not the invoices' total
        instalment = context["instalment"]
        if instalment is None:
            first = label("principal")
        else:
            first = label("down_payment_due") if instalment["down_payment"] else label("instalment_due")
        totals = [(first, fmt.money(notice.principal))]
        if instalment is None and notice.principal.is_zero():  # invoices paid, other items still owed
            totals = []
        if notice.interest is not None:
            if not notice.interest.interest.is_zero():
                totals.append((label("interest"), fmt.money(notice.interest.interest)))
            if not notice.interest.compensation.is_zero():
                totals.append((label("compensation"), fmt.money(notice.interest.compensation)))
        if not notice.fees.is_zero():
            totals.append((label("fees"), fmt.money(notice.fees)))
        if len(totals) > 1 or context["instalment"] is None:
            totals.append((label("total_due"), fmt.money(notice.total_due)))
        debt = LetterTable(
            title=label("debt_title"),
            headers=(
                label("invoice"),
                label("issue_date"),
                label("due_date"),
                *((label("days_overdue"),) if with_days else ()),
                label("amount"),
                label("outstanding"),
            ),
            rows=rows,
            totals=totals,
            numeric=(False, False, False, *((True,) if with_days else ()), True, True),
        )
    interest = None
    sources: tuple[str, ...] = ()
    if notice.interest is not None and notice.interest.segments:
        summary = notice.interest
        rows = [
            (
                f"{fmt.date(s.start, 'medium')} – {fmt.date(s.end, 'medium')}",
                str(s.days),
                fmt.percent(s.annual_rate),
                fmt.money(s.base),
                fmt.money(s.interest),
            )
            for s in summary.segments
        ]
        totals = [(label("interest"), fmt.money(summary.interest))]
        if not summary.compensation.is_zero():
            totals.append((label("compensation"), fmt.money(summary.compensation)))
        title = label("interest_title")
        day_count = day_count_words(summary.day_count, labels)
        if day_count:  # in words ("días naturales / 365"), never the code ("act/365")
            title = f"{title} ({label('day_count')}: {day_count})"
        interest = LetterTable(
            title=title,
            headers=(label("period"), label("days"), label("rate"), label("base"), label("interest")),
            rows=rows,
            totals=totals,
            numeric=(False, True, True, True, True),
        )
        sources = (*context["interest"]["sources"], *context["interest"]["rate_lines"])
    plan = None
    plan_ctx = context["plan"]
    if plan_ctx is not None and plan_ctx["instalments"] and not plan_ctx["ended"]:
        # a breached plan is over: its schedule is not printed
        show_interest = bool(plan_ctx["regular"]) and all(
            i["amount_with_interest"] is not None for i in plan_ctx["regular"]
        )
        rows = []
        for item in plan_ctx["instalments"]:
            row = [
                label("down_payment") if item["down_payment"] else str(item["number"]),
                fmt.date(item["due_date"], "medium") + (f" ({label('instalment_paid')})" if item["paid"] else ""),
                fmt.money(item["amount"]),
            ]
            if show_interest:
                with_interest = item["amount_with_interest"]
                row.append(fmt.money(with_interest) if with_interest is not None else "–")
            rows.append(tuple(row))
        headers = [label("instalment"), label("due_date"), label("amount")]
        if show_interest:
            headers.append(label("amount_with_interest" if context["interest_applies"] else "amount_with_fees"))
        plan_totals = []
        if plan_ctx["down_payment"] is not None and plan_ctx["down_payment_due"] is None:
            plan_totals.append((label("down_payment"), fmt.money(plan_ctx["down_payment"])))
        if plan_ctx["interest"] is not None and not plan_ctx["interest"].is_zero():
            plan_totals.append((label("plan_interest"), fmt.money(plan_ctx["interest"])))
        plan_totals.append((label("plan_total"), fmt.money(plan_ctx["total"])))
        if plan_ctx["remaining"] is not None:
            plan_totals.append((label("plan_remaining"), fmt.money(plan_ctx["remaining"])))
        plan = LetterTable(
            title=label("plan_title"),
            headers=headers,
            rows=rows,
            totals=plan_totals,
            numeric=(False, False, True, True)[: len(headers)],
        )
    signature = [line for line in creditor["signatory"].splitlines() if line.strip()]
    signature.append(creditor["name"])
    return LetterDocument(
        sender=sender,
        recipient=recipient,
        place_date=label("place_date"),
        reference=label("reference"),
        subject=subject,
        # the interest waits for a statutory rate not yet published: said after the body
        body=split_paragraphs(parts["body"]) + ((label("interest_pending"),) if context["interest_pending"] else ()),
        debt=debt,
        interest=interest,
        plan=plan,
        sources_title=label("sources_title") if sources else "",
        sources=sources,
        closing=split_paragraphs(parts["closing"]),
        signature=signature,
        page_label=label("page"),
        title=subject,
    )


BUSINESS_TIME = dt.time(8, 0)
"""Time of day a message is dated at when no dispatch time is known: the start of the
default contact window, in the debtor's time zone."""


def message_datetime(message: Message, *, at: dt.time = BUSINESS_TIME) -> dt.datetime | None:
    """When *message* is dated (email ``Date``, call task, letter), from the message itself.

    ``metadata["sent_at"]`` (an ISO 8601 moment with its offset, set by a caller that
    knows when it dispatches) wins; otherwise the notice's business date
    (``metadata["as_of"]``, set by :func:`render_notice`) at *at* in the debtor's time
    zone (``metadata["timezone"]``; UTC when unknown). ``None`` for a message that carries
    neither (one not rendered by cobrokit): the channel then uses its own clock.

    >>> m = Message("k", "t", "D-1", "oops", "email", "a@b.example", "", "x",
    ...             metadata={"as_of": "2025-08-04", "timezone": "Europe/Madrid"})
    >>> message_datetime(m).isoformat()
    '2025-08-04T08:00:00+02:00'
    """
    sent_at = message.metadata.get("sent_at")
    if sent_at:
        try:
            moment = dt.datetime.fromisoformat(str(sent_at))
        except ValueError:
            raise ValidationError(
                f"message {message.key}", "metadata.sent_at", f"{sent_at!r} is not ISO 8601"
            ) from None
        if moment.tzinfo is None:
            raise ValidationError(f"message {message.key}", "metadata.sent_at", "needs a UTC offset")
        return moment
    as_of = message.metadata.get("as_of")
    if not as_of:
        return None
    try:
        day = dt.date.fromisoformat(str(as_of))
    except ValueError:
        raise ValidationError(f"message {message.key}", "metadata.as_of", f"{as_of!r} is not an ISO date") from None
    try:
        zone: dt.tzinfo = zoneinfo.ZoneInfo(str(message.metadata.get("timezone") or "UTC"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = dt.UTC
    return dt.datetime.combine(day, at, tzinfo=zone)


def render_notice(
    notice: Notice,
    channel: str,
    *,
    override_dirs: Iterable[str | os.PathLike[str]] = (),
    loader: jinja2.BaseLoader | None = None,
    limits: RenderLimits | None = None,
    kind: str | None = None,
    extra_context: Mapping[str, Any] | None = None,
    pay_link: str | None = None,
    attachments: Sequence[Attachment] = (),
    renderer: NoticeRenderer | None = None,
) -> Message:
    """Render *notice* for *channel* into a :class:`~cobrokit.channel.Message`.

    A convenience over :class:`NoticeRenderer`; pass ``renderer`` to reuse one (compiled
    templates are cached per renderer).

    Raises:
        RenderError: naming the template, stage, locale and debtor.
    """
    if renderer is None:
        renderer = NoticeRenderer(override_dirs=override_dirs, loader=loader, limits=limits)
    return renderer.render(
        notice,
        channel,
        kind=kind,
        extra_context=extra_context,
        pay_link=pay_link,
        attachments=attachments,
    )
