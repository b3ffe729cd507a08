"""Call tasks: the phone calls a credit controller makes, in priority order, within capacity.

The seeds say a phone call comes first, then email. The ``call`` channel turns a rendered
notice into a :class:`CallTask` (who, which number, the phone script, the figures);
:func:`schedule_calls` orders the pending tasks by priority — by default the amount due,
then days overdue, then risk — and fills each team's daily capacity, rolling what does
not fit to the next working day. :func:`write_call_list_csv` and
:func:`write_call_list_json` export the list; :func:`read_call_outcomes` reads back what
happened on each call (answered, promise to pay…) for the contact log.

Pure: works on values and text streams; no file opening, no clock.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TextIO

import attrs

from cobrokit.channel import Message
from cobrokit.dates import parse_date
from cobrokit.errors import ImportRejectedError, ValidationError
from cobrokit.money import Money, parse_amount, to_decimal

__all__ = [
    "OUTCOME_COLUMNS",
    "PRIORITY_FIELDS",
    "CallOutcome",
    "CallOutcomeKind",
    "CallReason",
    "CallSchedule",
    "CallTask",
    "ScheduledCall",
    "call_task_from_dict",
    "read_call_outcomes",
    "schedule_calls",
    "task_from_message",
    "write_call_list_csv",
    "write_call_list_json",
]

PRIORITY_FIELDS: tuple[str, ...] = ("amount", "days_overdue", "risk")
"""What a call's priority can be ordered by (highest first), in the default order."""


@attrs.frozen(slots=True)
class CallTask:
    """One call to make.

    Attributes:
        key: the notice's idempotency key (one task per key).
        script: the phone script rendered from the stage's ``call`` template.
        total_due: what the debtor owes (in the notice's currency).
        risk: a score where higher means riskier (0 when unknown).
        team: which team makes the call (capacity is per team).
        created: the day the task was created (the notice date).
    """

    key: str
    tenant: str
    debtor_id: str
    debtor_name: str
    phone: str
    stage: str
    script: str
    total_due: Money
    oldest_days_overdue: int
    created: dt.date
    risk: Decimal = Decimal(0)
    team: str = "default"
    locale: str = "en"
    invoices: tuple[str, ...] = ()

    @property
    def record(self) -> str:
        """How errors name this task."""
        return f"call task {self.key}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible data (amounts as strings with the currency's decimals)."""
        return {
            "key": self.key,
            "tenant": self.tenant,
            "debtor_id": self.debtor_id,
            "debtor_name": self.debtor_name,
            "phone": self.phone,
            "stage": self.stage,
            "script": self.script,
            "total_due": self.total_due.format_amount(),
            "currency": self.total_due.currency,
            "oldest_days_overdue": self.oldest_days_overdue,
            "created": self.created.isoformat(),
            "risk": str(self.risk),
            "team": self.team,
            "locale": self.locale,
            "invoices": list(self.invoices),
        }


def call_task_from_dict(data: Mapping[str, Any], *, record: str = "call task") -> CallTask:
    """Rebuild a :class:`CallTask` from :meth:`CallTask.to_dict` data.

    Raises:
        ValidationError: a field is missing or malformed (the error names it).
    """

    def field(name: str) -> Any:
        if name not in data:
            raise ValidationError(record, name, "is missing")
        return data[name]

    currency = str(field("currency"))
    return CallTask(
        key=str(field("key")),
        tenant=str(field("tenant")),
        debtor_id=str(field("debtor_id")),
        debtor_name=str(field("debtor_name")),
        phone=str(field("phone")),
        stage=str(field("stage")),
        script=str(field("script")),
        total_due=Money(parse_amount(str(field("total_due")), currency, record=record, field="total_due"), currency),
        oldest_days_overdue=int(field("oldest_days_overdue")),
        created=parse_date(field("created"), record=record, field="created"),
        risk=to_decimal(str(data.get("risk") or "0"), record=record, field="risk"),
        team=str(data.get("team") or "default"),
        locale=str(data.get("locale") or "en"),
        invoices=tuple(str(i) for i in data.get("invoices", ())),
    )


def task_from_message(message: Message, *, created: dt.date, team: str = "default") -> CallTask:
    """Build the call task for a message rendered for the ``call`` channel.

    The figures come from ``message.metadata["figures"]`` (set by
    :mod:`cobrokit.rendering`); a ``team`` or ``risk`` there (from the notice's ``extra``)
    wins over the *team* argument.

    Raises:
        ValidationError: the message carries no figures.
    """
    record = f"call task {message.key}"
    figures = message.metadata.get("figures")
    if not isinstance(figures, Mapping):
        raise ValidationError(record, "metadata.figures", "missing: render the notice with cobrokit.rendering")
    total = figures.get("total_due") or {}
    currency = str(total.get("currency", ""))
    amount = parse_amount(str(total.get("amount", "")), currency, record=record, field="total_due")
    call = message.metadata.get("call")
    debtor_name = str(call.get("debtor_name", "")) if isinstance(call, Mapping) else ""
    risk_text = str(figures.get("risk") or "0")
    return CallTask(
        key=message.key,
        tenant=message.tenant,
        debtor_id=message.debtor_id,
        debtor_name=debtor_name or message.debtor_id,
        phone=message.recipient,
        stage=message.stage,
        script=message.text,
        total_due=Money(amount, currency),
        oldest_days_overdue=int(figures.get("oldest_days_overdue") or 0),
        created=created,
        risk=to_decimal(risk_text, record=record, field="risk"),
        team=str(figures.get("team") or team),
        locale=message.locale,
        invoices=tuple(str(i) for i in figures.get("invoices", ())),
    )


# -- scheduling ---------------------------------------------------------------------------


@attrs.frozen(slots=True)
class ScheduledCall:
    """A task placed on a day, for a team, at a position (1 = call first)."""

    day: dt.date
    team: str
    position: int
    task: CallTask


@attrs.frozen(slots=True)
class CallSchedule:
    """The call list: every pending task placed on a working day."""

    calls: tuple[ScheduledCall, ...]

    def days(self) -> list[dt.date]:
        """The days that have calls, in order."""
        return sorted({c.day for c in self.calls})

    def for_day(self, day: dt.date, team: str | None = None) -> list[ScheduledCall]:
        """The calls of *day* (optionally of one *team*), in calling order."""
        return [c for c in self.calls if c.day == day and (team is None or c.team == team)]


def _priority(task: CallTask, order: Sequence[str], rates: Mapping[str, Decimal] | None) -> tuple[Decimal, ...]:
    key: list[Decimal] = []
    for name in order:
        if name == "amount":
            amount = task.total_due.amount
            if rates is not None:
                if task.total_due.currency not in rates:
                    raise ValidationError(
                        task.record,
                        "currency",
                        f"no rate for {task.total_due.currency} to rank amounts in several currencies",
                    )
                amount = amount * rates[task.total_due.currency]
            key.append(amount)
        elif name == "days_overdue":
            key.append(Decimal(task.oldest_days_overdue))
        else:
            key.append(task.risk)
    return tuple(key)


def _interleaved(queues: Sequence[list[CallTask]]) -> list[CallTask]:
    """One queue taking turns from each of *queues* (each already in priority order)."""
    merged: list[CallTask] = []
    for index in range(max((len(q) for q in queues), default=0)):
        merged.extend(q[index] for q in queues if index < len(q))
    return merged


def schedule_calls(
    tasks: Iterable[CallTask],
    *,
    start: dt.date,
    capacity: Mapping[str, int],
    default_capacity: int | None = None,
    order: Sequence[str] = PRIORITY_FIELDS,
    rates: Mapping[str, Decimal] | None = None,
    is_working_day: Callable[[dt.date], bool] | None = None,
    can_call: Callable[[CallTask, dt.date], bool] | None = None,
) -> CallSchedule:
    """Place *tasks* on working days from *start*, highest priority first, per team.

    Each team calls at most ``capacity[team]`` debtors a day (``default_capacity`` for
    teams not listed); what does not fit rolls to the next working day. Priority is
    lexicographic over *order* (each field highest first; ties broken by debtor id, then
    key, so the list is deterministic). One debtor is called once: when several tasks
    share ``(tenant, debtor_id)``, only the most recent (then highest-priority) one is kept.

    *is_working_day* says which days the teams call (default: Monday to Friday);
    *can_call* says whether one task's debtor may be called on a day (e.g. not on a public
    holiday of the debtor's country: :func:`cobrokit.builtin.calls.write_call_list` passes
    the debtor's :func:`cobrokit.calendar.calendar_for`). A task whose debtor cannot be
    called that day keeps its place for the next working day; the day's capacity goes to
    the next tasks in order.

    Amounts in several currencies are ranked on one scale with *rates* (currency → factor
    to a common reference currency). Without rates, each currency is ranked on its own
    and the currencies take turns in each team's day (the first call of each currency,
    in currency-code order, then the second…), so no amount is compared with an amount
    in another currency.

    Raises:
        ValidationError: an unknown order field, a capacity below 1, a team with no
            capacity, or a currency missing from *rates*.
    """
    for name in order:
        if name not in PRIORITY_FIELDS:
            raise ValidationError("call schedule", "order", f"{name!r} is not one of {', '.join(PRIORITY_FIELDS)}")
    for team, value in capacity.items():
        if value < 1:
            raise ValidationError("call schedule", f"capacity.{team}", f"must be at least 1, got {value}")
    if default_capacity is not None and default_capacity < 1:
        raise ValidationError("call schedule", "default_capacity", f"must be at least 1, got {default_capacity}")
    working = is_working_day or (lambda day: day.weekday() < 5)
    latest: dict[tuple[str, str], CallTask] = {}
    for task in tasks:
        ident = (task.tenant, task.debtor_id)
        current = latest.get(ident)
        if current is None or (task.created, task.key) > (current.created, current.key):
            latest[ident] = task
    pending = list(latest.values())
    currencies = sorted({t.total_due.currency for t in pending})
    separate = len(currencies) > 1 and "amount" in order and rates is None
    effective_rates = rates if len(currencies) > 1 else None
    by_team: dict[str, list[CallTask]] = {}
    for task in pending:
        if task.team not in capacity and default_capacity is None:
            raise ValidationError(task.record, "team", f"team {task.team!r} has no daily capacity")
        by_team.setdefault(task.team, []).append(task)

    def ranked(group: Iterable[CallTask]) -> list[CallTask]:
        return sorted(
            group, key=lambda t: (tuple(-v for v in _priority(t, order, effective_rates)), t.debtor_id, t.key)
        )

    calls: list[ScheduledCall] = []
    for team in sorted(by_team):
        if separate:
            queue = _interleaved(
                [ranked(t for t in by_team[team] if t.total_due.currency == code) for code in currencies]
            )
        else:
            queue = ranked(by_team[team])
        per_day = capacity.get(team, default_capacity or 1)
        day = start
        while queue:
            while not working(day):
                day += dt.timedelta(days=1)
            today: list[CallTask] = []
            later: list[CallTask] = []
            for task in queue:
                if len(today) < per_day and (can_call is None or can_call(task, day)):
                    today.append(task)
                else:
                    later.append(task)
            calls.extend(ScheduledCall(day, team, index, task) for index, task in enumerate(today, start=1))
            queue = later
            day += dt.timedelta(days=1)
            if (day - start).days > _MAX_SCHEDULE_DAYS:
                raise ValidationError(
                    "call schedule", "can_call", f"no day to call {queue[0].debtor_id} within {_MAX_SCHEDULE_DAYS} days"
                )
    calls.sort(key=lambda c: (c.day, c.team, c.position))
    return CallSchedule(tuple(calls))


_MAX_SCHEDULE_DAYS = 3660
"""A call list never reaches ten years ahead: a *can_call* that never says yes is an error."""


# -- export -------------------------------------------------------------------------------

_CSV_COLUMNS = (
    "day",
    "team",
    "position",
    "debtor_id",
    "debtor_name",
    "phone",
    "stage",
    "total_due",
    "currency",
    "days_overdue",
    "risk",
    "invoices",
    "key",
    "script",
)


def _row(call: ScheduledCall) -> dict[str, Any]:
    task = call.task
    return {
        "day": call.day.isoformat(),
        "team": call.team,
        "position": call.position,
        "debtor_id": task.debtor_id,
        "debtor_name": task.debtor_name,
        "phone": task.phone,
        "stage": task.stage,
        "total_due": task.total_due.format_amount(),
        "currency": task.total_due.currency,
        "days_overdue": task.oldest_days_overdue,
        "risk": str(task.risk),
        "invoices": " ".join(task.invoices),
        "key": task.key,
        "script": task.script,
    }


def write_call_list_csv(schedule: CallSchedule, stream: TextIO) -> int:
    """Write the call list as CSV (one row per call, header first). Returns the row count."""
    writer = csv.DictWriter(stream, fieldnames=_CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for call in schedule.calls:
        writer.writerow(_row(call))
    return len(schedule.calls)


def write_call_list_json(schedule: CallSchedule, stream: TextIO) -> int:
    """Write the call list as JSON: ``{"calls": [...]}`` with amounts as strings."""
    rows = [_row(call) for call in schedule.calls]
    json.dump({"calls": rows}, stream, ensure_ascii=False, indent=2)
    stream.write("\n")
    return len(rows)


# -- outcomes -----------------------------------------------------------------------------


class CallOutcomeKind(enum.StrEnum):
    """What happened on a call."""

    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    VOICEMAIL = "voicemail"
    BUSY = "busy"
    WRONG_NUMBER = "wrong_number"
    PROMISE = "promise"
    """The debtor promised to pay an amount by a date."""
    REFUSED = "refused"
    DISPUTE = "dispute"
    PAID = "paid"
    """The debtor says they have already paid."""
    CALLBACK = "callback"
    """Asked to be called back later."""


class CallReason(enum.StrEnum):
    """Why the debtor had not paid, as they said it."""

    FORGOT = "forgot"
    INVOICE_ERROR = "invoice_error"
    NOT_RECEIVED = "not_received"
    HARDSHIP = "hardship"
    DISPUTE = "dispute"
    REFUSES = "refuses"
    PROMISE = "promise"
    OTHER = "other"


@attrs.frozen(slots=True)
class CallOutcome:
    """One line of a call-outcomes file."""

    debtor_id: str
    date: dt.date
    outcome: CallOutcomeKind
    reason: CallReason | None = None
    promise_date: dt.date | None = None
    promise_amount: Money | None = None
    note: str = ""
    line: int = 0
    """The line of the file it came from (for messages)."""


OUTCOME_COLUMNS: tuple[str, ...] = (
    "debtor_id",
    "date",
    "outcome",
    "reason",
    "promise_date",
    "promise_amount",
    "currency",
    "note",
)
"""Columns of an outcomes CSV; ``debtor_id``, ``date`` and ``outcome`` are required."""

_REQUIRED = ("debtor_id", "date", "outcome")


def _choice(enum_type: type[enum.StrEnum], value: str, record: str, field: str) -> Any:
    try:
        return enum_type(value.strip().lower())
    except ValueError:
        allowed = ", ".join(member.value for member in enum_type)
        raise ValidationError(record, field, f"{value!r} is not one of {allowed}") from None


def _outcome(row: Mapping[str, str], record: str, line: int, default_currency: str | None) -> CallOutcome:
    errors: list[ValidationError] = []

    def attempt(fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except ValidationError as exc:
            errors.append(exc)
            return None

    debtor_id = (row.get("debtor_id") or "").strip()
    if not debtor_id:
        errors.append(ValidationError(record, "debtor_id", "must not be empty"))
    day = attempt(lambda: parse_date(row.get("date") or "", record=record, field="date"))
    outcome = attempt(lambda: _choice(CallOutcomeKind, row.get("outcome") or "", record, "outcome"))
    reason_text = (row.get("reason") or "").strip()
    reason = attempt(lambda: _choice(CallReason, reason_text, record, "reason")) if reason_text else None
    promise_text = (row.get("promise_date") or "").strip()
    promise_date = (
        attempt(lambda: parse_date(promise_text, record=record, field="promise_date")) if promise_text else None
    )
    amount_text = (row.get("promise_amount") or "").strip()
    promise_amount = None
    if amount_text:
        currency = (row.get("currency") or "").strip().upper() or default_currency
        if not currency:
            errors.append(ValidationError(record, "currency", "a promise_amount needs a currency column or a default"))
        else:
            value = attempt(lambda: parse_amount(amount_text, currency, record=record, field="promise_amount"))
            if value is not None and value <= 0:
                errors.append(ValidationError(record, "promise_amount", f"must be positive, got {amount_text}"))
            elif value is not None:
                promise_amount = attempt(lambda: Money(value, currency))
    if outcome is CallOutcomeKind.PROMISE:
        if not promise_text:
            errors.append(ValidationError(record, "promise_date", "required when the outcome is promise"))
        if not amount_text:
            errors.append(ValidationError(record, "promise_amount", "required when the outcome is promise"))
    if promise_date is not None and day is not None and promise_date < day:
        errors.append(
            ValidationError(
                record,
                "promise_date",
                f"{promise_date.isoformat()} is before the call date {day.isoformat()}",
            )
        )
    if errors:
        raise _RowErrors(errors)
    assert day is not None and outcome is not None
    return CallOutcome(
        debtor_id=debtor_id,
        date=day,
        outcome=outcome,
        reason=reason,
        promise_date=promise_date,
        promise_amount=promise_amount,
        note=(row.get("note") or "").strip(),
        line=line,
    )


class _RowErrors(Exception):
    def __init__(self, errors: list[ValidationError]) -> None:
        super().__init__(errors)
        self.errors = errors


def read_call_outcomes(
    stream: TextIO, *, source: str = "call outcomes", default_currency: str | None = None
) -> list[CallOutcome]:
    """Read a call-outcomes CSV (columns :data:`OUTCOME_COLUMNS`, header first).

    All-or-nothing: every bad row is reported, each error naming ``<source> line N`` and
    the field.

    Raises:
        ImportRejectedError: with one :class:`ValidationError` per problem.
    """
    reader = csv.DictReader(stream)
    header = [name.strip() for name in (reader.fieldnames or [])]
    errors: list[ValidationError] = []
    for name in _REQUIRED:
        if name not in header:
            errors.append(ValidationError(f"{source} line 1", name, "required column is missing"))
    for name in header:
        if name not in OUTCOME_COLUMNS:
            errors.append(
                ValidationError(f"{source} line 1", name, f"unknown column; expected {', '.join(OUTCOME_COLUMNS)}")
            )
    if errors:
        raise ImportRejectedError(source, errors)
    reader.fieldnames = header
    outcomes: list[CallOutcome] = []
    start = reader.line_num + 1
    for row in reader:
        line = start
        start = reader.line_num + 1
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        record = f"{source} line {line}"
        if None in row:  # more cells than columns
            errors.append(ValidationError(record, "cells", "more cells than the header has columns"))
            continue
        try:
            outcomes.append(_outcome(row, record, line, default_currency))
        except _RowErrors as exc:
            errors.extend(exc.errors)
    if errors:
        raise ImportRejectedError(source, errors)
    return outcomes
