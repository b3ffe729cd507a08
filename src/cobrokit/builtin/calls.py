"""The built-in ``call`` channel: each notice becomes a task on the call list.

"Sending" a call notice writes one JSON file per task into ``<folder>/tasks/`` (named from
the idempotency key, so sending again replaces it: ``honours_idempotency = True``). A task
is dated by its notice's business date (``created``), not by the machine's clock.
:func:`export_call_list` reads the tasks, schedules them with
:func:`cobrokit.calls.schedule_calls` and writes the CSV and/or JSON call list;
:func:`write_call_list` (``cobrokit calls``) does the same for the tasks still pending
according to the store (:func:`pending_call_tasks`); :func:`complete_call_task` removes a
task once the call is made.

Settings:

``folder``   where the tasks live (required)
``team``     team that makes the calls when the notice does not say (default ``"default"``)
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from cobrokit.builtin.email import safe_filename
from cobrokit.calls import (
    PRIORITY_FIELDS,
    CallSchedule,
    CallTask,
    call_task_from_dict,
    schedule_calls,
    task_from_message,
    write_call_list_csv,
    write_call_list_json,
)
from cobrokit.channel import ChannelType, DeliveryReceipt, DeliveryStatus, Message
from cobrokit.errors import CobrokitError, ConfigError, ValidationError
from cobrokit.model import DEFAULT_TENANT
from cobrokit.money import Money
from cobrokit.plugins.markers import hookimpl
from cobrokit.rendering import message_datetime

if TYPE_CHECKING:
    from cobrokit.ladder.config import Config
    from cobrokit.plugins.manager import PluginHost
    from cobrokit.store.sqlite import SQLiteStore

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_DAILY_CAPACITY",
    "SETTLED_OUTCOMES",
    "CallListChannel",
    "complete_call_task",
    "debtor_can_be_called",
    "export_call_list",
    "load_call_tasks",
    "pending_call_tasks",
    "write_call_list",
]

_KNOWN = {"folder", "team"}


def _tasks_dir(folder: str | os.PathLike[str]) -> Path:
    return Path(folder) / "tasks"


def _write_atomic(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=target.parent, delete=False, suffix=".tmp") as handle:
        handle.write(text)
        temp = Path(handle.name)
    os.replace(temp, target)


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


class CallListChannel:
    """Adds a :class:`~cobrokit.calls.CallTask` to the call list for every message."""

    name = "call"
    honours_idempotency = True

    def __init__(
        self, folder: str | os.PathLike[str], *, team: str = "default", today: Callable[[], dt.date] = _today
    ) -> None:
        self.folder = Path(folder)
        self.team = team
        self._today = today

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> CallListChannel:
        """Build the channel from its settings (raises :class:`ConfigError`)."""
        unknown = sorted(set(settings) - _KNOWN)
        if unknown:
            raise ConfigError(f"call channel: unknown setting(s) {', '.join(unknown)}; known: folder, team")
        folder = str(settings.get("folder", "")).strip()
        if not folder:
            raise ConfigError("call channel: folder is required (where the call tasks are kept)")
        return cls(folder, team=str(settings.get("team") or "default"))

    def send(self, message: Message) -> DeliveryReceipt:
        """Write the task; a debtor without a phone number is a permanent failure."""
        if not message.recipient.strip():
            return DeliveryReceipt(DeliveryStatus.FAILED_PERMANENT, detail="no phone number for this debtor")
        try:
            moment = message_datetime(message)  # the notice's business date, not the machine's clock
            created = moment.date() if moment is not None else self._today()
            task = task_from_message(message, created=created, team=self.team)
        except ValidationError as exc:
            return DeliveryReceipt(DeliveryStatus.FAILED_PERMANENT, detail=str(exc))
        target = _tasks_dir(self.folder) / safe_filename(message.key, ".json")
        try:
            _write_atomic(target, json.dumps(task.to_dict(), ensure_ascii=False, indent=2) + "\n")
        except OSError as exc:
            return DeliveryReceipt(DeliveryStatus.FAILED_RETRYABLE, detail=f"could not write {target}: {exc}")
        return DeliveryReceipt(DeliveryStatus.SENT, provider_id=target.name, detail="added to the call list")


def load_call_tasks(folder: str | os.PathLike[str]) -> list[CallTask]:
    """Every pending task in *folder* (sorted by key).

    Raises:
        ValidationError: a task file is not valid JSON or misses a field (names the file).
    """
    tasks = []
    directory = _tasks_dir(folder)
    if not directory.is_dir():
        return []
    for path in sorted(directory.glob("*.json")):
        record = f"call task file {path.name}"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValidationError(record, f"line {exc.lineno}", f"not valid JSON: {exc.msg}") from None
        tasks.append(call_task_from_dict(data, record=record))
    return sorted(tasks, key=lambda t: t.key)


def complete_call_task(folder: str | os.PathLike[str], key: str) -> bool:
    """Remove the task with idempotency *key* (the call was made). True if it existed."""
    path = _tasks_dir(folder) / safe_filename(key, ".json")
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def export_call_list(
    folder: str | os.PathLike[str],
    *,
    start: dt.date,
    capacity: Mapping[str, int],
    default_capacity: int | None = None,
    order: Sequence[str] = PRIORITY_FIELDS,
    rates: Mapping[str, Decimal] | None = None,
    is_working_day: Callable[[dt.date], bool] | None = None,
    csv_path: str | os.PathLike[str] | None = None,
    json_path: str | os.PathLike[str] | None = None,
    tasks: Iterable[CallTask] | None = None,
) -> CallSchedule:
    """Schedule the pending tasks of *folder* and write the call list to CSV and/or JSON.

    See :func:`cobrokit.calls.schedule_calls` for the ordering and capacity rules.
    """
    schedule = schedule_calls(
        load_call_tasks(folder) if tasks is None else tasks,
        start=start,
        capacity=capacity,
        default_capacity=default_capacity,
        order=order,
        rates=rates,
        is_working_day=is_working_day,
    )
    _write(schedule, csv_path, json_path)
    return schedule


SETTLED_OUTCOMES: frozenset[str] = frozenset({"answered", "wrong_number", "promise", "refused", "dispute", "paid"})
"""Contact outcomes that settle a call task: the call was made and led somewhere. After
``no_answer``, ``voicemail``, ``busy`` or ``callback`` the debtor is still to be called."""

DEFAULT_DAILY_CAPACITY = 25
"""Calls a team makes a day when nothing else is said."""


def _cycle(task: CallTask) -> str:
    """The ladder cycle of a task, from its key ``tenant/debtor/stage/cycle/channel``."""
    parts = task.key.split("/")
    return parts[3] if len(parts) == 5 else ""


_DEAD_STATUSES = ("refused", "render_failed", "superseded", "failed_permanent")
"""Outbox statuses of notices that never reached the debtor (they replace no call)."""


def _replaced_by_later_notice(store: SQLiteStore, task: CallTask, as_of: dt.date, config: Config | None) -> bool:
    """True when the debtor has moved on from *task*: the outbox holds a notice of the same
    debtor and ladder cycle (any channel, planned or sent, dated on or before *as_of*) at a
    **later** stage — later in a ladder of *config* holding both stages, or, without
    *config*, planned on a later day than the task. A thank-you replaces no call (a balance
    still overdue after a part payment is still worth the call)."""
    parts = task.key.split("/")
    stage = parts[2] if len(parts) == 5 else ""
    rows = store.conn.execute(
        "SELECT stage, as_of FROM outbox WHERE tenant = ? AND debtor_id = ? AND cycle = ? AND kind = 'notice' "
        "AND key != ? AND stage NOT IN (?, ?) AND as_of <= ? "
        f"AND status NOT IN ({', '.join('?' * len(_DEAD_STATUSES))})",
        (task.tenant, task.debtor_id, _cycle(task), task.key, stage, "thank_you", as_of.isoformat(), *_DEAD_STATUSES),
    ).fetchall()
    if config is None:
        created = task.created.isoformat()
        return any(str(row_as_of) > created for _, row_as_of in rows)
    for ladder in config.ladders:
        position = ladder.index(stage)
        if position >= 0 and any(ladder.index(str(row_stage)) > position for row_stage, _ in rows):
            return True
    return False


def _overdue(store: SQLiteStore, tenant: str, debtor_id: str, as_of: dt.date) -> dict[str, list[tuple[str, int]]]:
    """The debtor's overdue invoices on *as_of*, by currency: ``(due date, open minor units)``."""
    day = as_of.isoformat()
    found: dict[str, list[tuple[str, int]]] = {}
    for item in store.open_items(tenant, as_of, debtor_id=debtor_id):
        if item.open_minor > 0 and item.due_date < day:
            found.setdefault(item.currency, []).append((item.due_date, item.open_minor))
    return found


def _cycle_fees(store: SQLiteStore, task: CallTask, as_of: dt.date) -> int:
    """Collection fees (minor units) charged in the task's cycle up to *as_of*, not voided."""
    row = store.conn.execute(
        "SELECT COALESCE(SUM(amount_minor), 0) FROM fee "
        "WHERE tenant = ? AND debtor_id = ? AND cycle = ? AND as_of <= ? AND voided_on = ''",
        (task.tenant, task.debtor_id, _cycle(task), as_of.isoformat()),
    ).fetchone()
    return int(row[0])


def _rerendered(
    store: SQLiteStore, task: CallTask, as_of: dt.date, config: Config, host: PluginHost | None
) -> CallTask | None:
    """*task* with the script and figures of its notice rendered again as of *as_of*.

    The notice is rebuilt from its outbox row (:func:`cobrokit.dispatch.build_notice`) on
    the list's date: invoices with what is still open on them, interest to that date, the
    cycle's fees; a firm date already past is left out (the script then asks for one). A
    plan offer computed on other figures is left out too. ``None`` when the row is gone,
    nothing of the task's invoices is still open, or the notice cannot be rebuilt.
    """
    from cobrokit.dispatch import build_notice
    from cobrokit.rendering import NoticeRenderer
    from cobrokit.store.journal import OUTBOX_COLUMNS, OutboxRow

    found = store.conn.execute(
        f"SELECT {', '.join(OUTBOX_COLUMNS)} FROM outbox WHERE tenant = ? AND key = ?", (task.tenant, task.key)
    ).fetchone()
    if found is None:
        return None
    row = OutboxRow(*found)._replace(as_of=as_of.isoformat())
    try:
        notice = build_notice(store, row, config, host)
        opens = store.open_amounts(task.tenant, as_of, invoice_ids=[line.invoice_id for line in notice.lines])
        lines = tuple(
            attrs.evolve(line, open=Money.from_minor(opens[line.invoice_id], line.open.currency))
            for line in notice.lines
            if opens.get(line.invoice_id, 0) > 0
        )
        if not lines:
            return None
        principal = Money.total((line.open for line in lines), notice.currency)
        notice = attrs.evolve(
            notice,
            lines=lines,
            principal=principal,
            firm_date=notice.firm_date if notice.firm_date is not None and notice.firm_date >= as_of else None,
            plan_offer=notice.plan_offer if principal == notice.principal else None,
        )
        renderer = NoticeRenderer(override_dirs=config.template_dirs)
        if host is not None:
            from cobrokit.plugins.templating import collect_template_context, payment_link

            message = renderer.render(
                notice,
                "call",
                extra_context=collect_template_context(host, notice),
                pay_link=payment_link(host, notice),
            )
        else:
            message = renderer.render(notice, "call")
        fresh = task_from_message(message, created=task.created, team=task.team)
    except (CobrokitError, ValueError, KeyError) as exc:  # a broken row or payload: keep the task as written
        log.warning("call task %s: script kept as written (%s)", task.key, exc)
        return None
    return attrs.evolve(
        task,
        script=fresh.script,
        total_due=fresh.total_due,
        oldest_days_overdue=fresh.oldest_days_overdue,
        invoices=fresh.invoices,
    )


def pending_call_tasks(
    store: SQLiteStore,
    folder: str | os.PathLike[str],
    *,
    as_of: dt.date,
    tenant: str = DEFAULT_TENANT,
    config: Config | None = None,
    host: PluginHost | None = None,
) -> list[CallTask]:
    """The call tasks of *folder* still to be made as of *as_of*, checked against the store.

    A task is pending when it belongs to *tenant*, was created on or before *as_of*, no
    later task of the same debtor and ladder cycle exists (the later one replaces it), its
    debtor still has something **overdue** in the task's currency on *as_of* (nobody is
    called about a debt that was paid), and no contact with a settling outcome
    (:data:`SETTLED_OUTCOMES`, any channel) was recorded for the debtor from the task's
    date to *as_of*, and the debtor has not moved on to a later stage of the same cycle: a
    notice of a later stage of the ladder (*config*'s order; without *config*, a notice
    planned on a later day) in the outbox, any channel, planned or sent, replaces the call.

    The figures are brought to *as_of*: the days overdue of the debtor's oldest overdue
    invoice in that currency, and the amount owed — the overdue invoices plus the cycle's
    collection fees. With *config* (and optionally the plugin *host*, for template
    variables and the pay-now link), the phone script is rendered again as of *as_of* too
    (see :func:`cobrokit.dispatch.build_notice`; a firm date already past is not quoted)
    and the figures are the re-rendered notice's; without it, or when the notice cannot be
    rebuilt, the script is the one written when the task was created.

    Raises:
        ValidationError: a task file is broken (names the file).
    """
    from cobrokit.store.journal import contact_rows

    day = as_of.isoformat()
    current: dict[tuple[str, str], CallTask] = {}
    for task in load_call_tasks(folder):
        if task.tenant != tenant or task.created > as_of:
            continue
        ident = (task.debtor_id, _cycle(task))
        seen = current.get(ident)
        if seen is None or (task.created, task.key) > (seen.created, seen.key):
            current[ident] = task
    overdue: dict[str, dict[str, list[tuple[str, int]]]] = {}
    settled: dict[str, list[str]] = {}
    pending = []
    for task in sorted(current.values(), key=lambda t: t.key):
        if task.debtor_id not in overdue:
            overdue[task.debtor_id] = _overdue(store, tenant, task.debtor_id, as_of)
            settled[task.debtor_id] = [
                str(row[1]) for row in contact_rows(store, tenant, task.debtor_id) if str(row[3]) in SETTLED_OUTCOMES
            ]
        items = overdue[task.debtor_id].get(task.total_due.currency)
        if not items:
            continue
        since = task.created.isoformat()
        if any(since <= date <= day for date in settled[task.debtor_id]):
            continue
        if _replaced_by_later_notice(store, task, as_of, config):
            continue
        refreshed = _rerendered(store, task, as_of, config, host) if config is not None else None
        if refreshed is None:
            oldest = min(dt.date.fromisoformat(due) for due, _ in items)
            owed = sum(minor for _, minor in items) + _cycle_fees(store, task, as_of)
            refreshed = attrs.evolve(
                task,
                total_due=Money.from_minor(owed, task.total_due.currency),
                oldest_days_overdue=(as_of - oldest).days,
            )
        pending.append(refreshed)
    return pending


def debtor_can_be_called(store: SQLiteStore, tenant: str = DEFAULT_TENANT) -> Callable[[CallTask, dt.date], bool]:
    """A ``can_call`` test for :func:`cobrokit.calls.schedule_calls`: not on a public holiday
    of the debtor's country and region (:func:`cobrokit.calendar.calendar_for`; the country
    is the debtor's, else its address's)."""
    from cobrokit.calendar import BusinessCalendar, calendar_for

    calendars: dict[str, BusinessCalendar] = {}

    def can_call(task: CallTask, day: dt.date) -> bool:
        calendar = calendars.get(task.debtor_id)
        if calendar is None:
            debtor = store.get_debtor(tenant, task.debtor_id)
            country = (debtor.country or debtor.address.country) if debtor is not None else ""
            region = debtor.address.region if debtor is not None else ""
            calendar = calendars[task.debtor_id] = calendar_for(country.upper(), region)
        return not calendar.is_holiday(day)

    return can_call


def write_call_list(
    store: SQLiteStore,
    folder: str | os.PathLike[str],
    *,
    as_of: dt.date,
    tenant: str = DEFAULT_TENANT,
    capacity: Mapping[str, int] | None = None,
    default_capacity: int | None = DEFAULT_DAILY_CAPACITY,
    order: Sequence[str] = PRIORITY_FIELDS,
    rates: Mapping[str, Decimal] | None = None,
    is_working_day: Callable[[dt.date], bool] | None = None,
    csv_path: str | os.PathLike[str] | None = None,
    json_path: str | os.PathLike[str] | None = None,
    config: Config | None = None,
    host: PluginHost | None = None,
) -> CallSchedule:
    """The prioritised call list of the pending tasks (:func:`pending_call_tasks`), from *as_of*.

    What ``cobrokit calls`` runs: the tasks, with their figures (and, given *config*, their
    scripts) brought to *as_of*, are ordered and spread over working days by
    :func:`cobrokit.calls.schedule_calls` (each team calls at most ``capacity[team]``, or
    *default_capacity*, debtors a day; no debtor is called on a public holiday of its
    country and region, :func:`debtor_can_be_called`) and written to *csv_path* and/or
    *json_path*. Tasks in several currencies are ranked on one scale with *rates*;
    without them each currency is ranked on its own and they take turns.

    Raises:
        ValidationError: a broken task file, a bad capacity, or a currency missing
            from *rates*.
    """
    schedule = schedule_calls(
        pending_call_tasks(store, folder, as_of=as_of, tenant=tenant, config=config, host=host),
        start=as_of,
        capacity=capacity or {},
        default_capacity=default_capacity,
        order=order,
        rates=rates,
        is_working_day=is_working_day,
        can_call=debtor_can_be_called(store, tenant),
    )
    _write(schedule, csv_path, json_path)
    return schedule


def _write(
    schedule: CallSchedule, csv_path: str | os.PathLike[str] | None, json_path: str | os.PathLike[str] | None
) -> None:
    if csv_path is not None:
        Path(csv_path).parent.mkdir(parents=True, exist_ok=True)
        with open(csv_path, "w", encoding="utf-8", newline="") as handle:
            write_call_list_csv(schedule, handle)
    if json_path is not None:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        with open(json_path, "w", encoding="utf-8") as handle:
            write_call_list_json(schedule, handle)


@hookimpl
def cobrokit_register_channels() -> list[ChannelType]:
    """Register the built-in ``call`` channel."""
    return [
        ChannelType(
            name="call",
            factory=CallListChannel.from_settings,
            summary="Call tasks with the phone script, scheduled by priority within each team's capacity",
            settings=tuple(sorted(_KNOWN)),
        )
    ]
