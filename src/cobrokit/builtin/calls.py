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
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from cobrokit.errors import ConfigError, ValidationError
from cobrokit.model import DEFAULT_TENANT
from cobrokit.plugins.markers import hookimpl
from cobrokit.rendering import message_datetime

if TYPE_CHECKING:
    from cobrokit.store.sqlite import SQLiteStore

__all__ = [
    "DEFAULT_DAILY_CAPACITY",
    "SETTLED_OUTCOMES",
    "CallListChannel",
    "complete_call_task",
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
    if csv_path is not None:
        Path(csv_path).parent.mkdir(parents=True, exist_ok=True)
        with open(csv_path, "w", encoding="utf-8", newline="") as handle:
            write_call_list_csv(schedule, handle)
    if json_path is not None:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        with open(json_path, "w", encoding="utf-8") as handle:
            write_call_list_json(schedule, handle)
    return schedule


SETTLED_OUTCOMES: frozenset[str] = frozenset({"answered", "wrong_number", "promise", "refused", "dispute", "paid"})
"""Contact outcomes that settle a call task: the call was made and led somewhere. After
``no_answer``, ``voicemail``, ``busy`` or ``callback`` the debtor is still to be called."""

DEFAULT_DAILY_CAPACITY = 25
"""Calls a team makes a day when nothing else is said."""


def pending_call_tasks(
    store: SQLiteStore,
    folder: str | os.PathLike[str],
    *,
    as_of: dt.date,
    tenant: str = DEFAULT_TENANT,
) -> list[CallTask]:
    """The call tasks of *folder* still to be made as of *as_of*, checked against the store.

    A task is pending when it belongs to *tenant*, was created on or before *as_of*, its
    debtor still owes something in the task's currency as of *as_of* (nobody is called
    about a debt that was paid), and no contact with a settling outcome
    (:data:`SETTLED_OUTCOMES`, any channel) was recorded for the debtor from the task's
    date to *as_of*.

    Raises:
        ValidationError: a task file is broken (names the file).
    """
    from cobrokit.store.journal import contact_rows

    day = as_of.isoformat()
    owing: dict[str, set[str]] = {}
    settled: dict[str, list[str]] = {}
    pending = []
    for task in load_call_tasks(folder):
        if task.tenant != tenant or task.created > as_of:
            continue
        if task.debtor_id not in owing:
            owing[task.debtor_id] = {
                item.currency
                for item in store.open_items(tenant, as_of, debtor_id=task.debtor_id)
                if item.open_minor > 0
            }
            settled[task.debtor_id] = [
                str(row[1]) for row in contact_rows(store, tenant, task.debtor_id) if str(row[3]) in SETTLED_OUTCOMES
            ]
        if task.total_due.currency not in owing[task.debtor_id]:
            continue
        since = task.created.isoformat()
        if any(since <= date <= day for date in settled[task.debtor_id]):
            continue
        pending.append(task)
    return pending


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
) -> CallSchedule:
    """The prioritised call list of the pending tasks (:func:`pending_call_tasks`), from *as_of*.

    What ``cobrokit calls`` runs: the tasks are ordered and spread over working days by
    :func:`cobrokit.calls.schedule_calls` (each team calls at most ``capacity[team]``, or
    *default_capacity*, debtors a day) and written to *csv_path* and/or *json_path*.

    Raises:
        ValidationError: a broken task file, a bad capacity, or tasks in several
            currencies without *rates* to rank their amounts.
    """
    return export_call_list(
        folder,
        start=as_of,
        capacity=capacity or {},
        default_capacity=default_capacity,
        order=order,
        rates=rates,
        is_working_day=is_working_day,
        csv_path=csv_path,
        json_path=json_path,
        tasks=pending_call_tasks(store, folder, as_of=as_of, tenant=tenant),
    )


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
