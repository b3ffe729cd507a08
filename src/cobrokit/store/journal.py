"""Journal, outbox, ladder state, fees and contact log in the embedded store.

The run writes a batch of decisions — new ladder states, outbox rows, fees and journal
lines — in one ``BEGIN IMMEDIATE`` transaction, so a decision and the notice it produces
commit together or not at all. Outbox rows and fees are keyed by their deterministic
idempotency key and inserted with ``INSERT OR IGNORE``: re-running the same date can never
plan the same notice, or charge the same fee, twice.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

import attrs

from cobrokit.ladder.decide import LadderState
from cobrokit.money import Money
from cobrokit.store.sqlite import SQLiteStore

__all__ = [
    "JOURNAL_STATUS",
    "PLANNED_COLUMNS",
    "RUN_JOURNAL_COLUMNS",
    "JournalEntry",
    "JournalRow",
    "OutboxRow",
    "StateRow",
    "contact_rows",
    "insert_outbox",
    "iter_journal",
    "iter_outbox",
    "journal_entries",
    "outbox_row",
    "read_state",
    "state_from_row",
    "state_to_row",
    "write_batch",
]

STATE_COLUMNS = (
    "tenant",
    "debtor_id",
    "currency",
    "ladder",
    "cycle",
    "stage",
    "stage_index",
    "stage_date",
    "repeats",
    "last_contact",
    "sent_stages",
    "pre_due",
    "suspended",
    "promise_seen",
    "status",
    "plan_seen",
)
OUTBOX_COLUMNS = (
    "key",
    "tenant",
    "debtor_id",
    "currency",
    "stage",
    "cycle",
    "channel",
    "fallback",
    "kind",
    "status",
    "attempts",
    "as_of",
    "not_before",
    "provider_id",
    "detail",
    "payload",
    "run_id",
    "created_at",
    "updated_at",
)
JOURNAL_COLUMNS = (
    "tenant",
    "run_id",
    "as_of",
    "debtor_id",
    "kind",
    "stage",
    "cycle",
    "channel",
    "key",
    "reason",
    "detail",
    "recorded_at",
)


class StateRow(NamedTuple):
    """A ladder_state row, as stored."""

    tenant: str
    debtor_id: str
    currency: str
    state: LadderState


class OutboxRow(NamedTuple):
    """An outbox row."""

    key: str
    tenant: str
    debtor_id: str
    currency: str
    stage: str
    cycle: str
    channel: str
    fallback: str
    kind: str
    status: str
    attempts: int
    as_of: str
    not_before: str
    provider_id: str
    detail: str
    payload: str
    run_id: str
    created_at: str
    updated_at: str

    @property
    def payload_data(self) -> dict[str, Any]:
        """The decoded payload."""
        data: dict[str, Any] = json.loads(self.payload or "{}")
        return data


class JournalRow(NamedTuple):
    """A journal row."""

    seq: int
    tenant: str
    run_id: str
    as_of: str
    debtor_id: str
    kind: str
    stage: str
    cycle: str
    channel: str
    key: str
    reason: str
    detail: str
    recorded_at: str


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def state_from_row(row: Sequence[Any]) -> LadderState:
    """Decode the state columns (``ladder`` onwards) of a ladder_state row."""
    return LadderState(
        ladder=row[0],
        cycle=row[1],
        stage=row[2],
        stage_index=row[3],
        stage_date=_date(row[4]),
        repeats=row[5],
        last_contact=_date(row[6]),
        sent=frozenset(row[7].split(",")) if row[7] else frozenset(),
        pre_due=row[8],
        suspended=bool(row[9]),
        promise_seen=row[10],
        status=row[11],
        plan_seen=row[12],
    )


@functools.lru_cache(maxsize=1024)
def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


@functools.lru_cache(maxsize=4096)
def _sent_text(sent: frozenset[str]) -> str:
    return ",".join(sorted(sent))


def state_to_row(tenant: str, debtor_id: str, currency: str, s: LadderState) -> tuple[Any, ...]:
    """Encode a state as a ladder_state row."""
    return (
        tenant,
        debtor_id,
        currency,
        s.ladder,
        s.cycle,
        s.stage,
        s.stage_index,
        _iso(s.stage_date),
        s.repeats,
        _iso(s.last_contact),
        _sent_text(s.sent),
        s.pre_due,
        int(s.suspended),
        s.promise_seen,
        s.status,
        s.plan_seen,
    )


def read_state(store: SQLiteStore, tenant: str, debtor_id: str, currency: str) -> LadderState | None:
    """One debtor's ladder state in one currency, or ``None``."""
    row = store.conn.execute(
        f"SELECT {', '.join(STATE_COLUMNS[3:])} FROM ladder_state WHERE tenant = ? AND debtor_id = ? AND currency = ?",
        (tenant, debtor_id, currency),
    ).fetchone()
    return state_from_row(row) if row else None


def iter_states(conn: sqlite3.Connection, tenant: str) -> Iterator[tuple[Any, ...]]:
    """All ladder states of a tenant ordered by debtor and currency (raw rows)."""
    return iter(
        conn.execute(
            f"SELECT debtor_id, currency, {', '.join(STATE_COLUMNS[3:])} FROM ladder_state "
            "WHERE tenant = ? ORDER BY debtor_id, currency",
            (tenant,),
        )
    )


def outbox_row(
    *,
    key: str,
    tenant: str,
    debtor_id: str,
    currency: str,
    stage: str,
    cycle: str,
    channel: str,
    fallback: Sequence[str],
    kind: str,
    as_of: dt.date,
    not_before: str,
    payload: dict[str, Any],
    now: str,
    run_id: str = "",
) -> tuple[Any, ...]:
    """Build an outbox row (status ``planned``)."""
    return (
        key,
        tenant,
        debtor_id,
        currency,
        stage,
        cycle,
        channel,
        ",".join(fallback),
        kind,
        "planned",
        0,
        as_of.isoformat(),
        not_before,
        "",
        "",
        json.dumps(payload, sort_keys=True, separators=(",", ":")),
        run_id,
        now,
        now,
    )


_STATE_CONFLICT = " ON CONFLICT (tenant, debtor_id, currency) DO UPDATE SET " + ", ".join(
    f"{c} = excluded.{c}" for c in STATE_COLUMNS[3:]
)
_OUTBOX_SQL = (
    f"INSERT OR IGNORE INTO outbox ({', '.join(OUTBOX_COLUMNS)}) VALUES ({', '.join('?' * len(OUTBOX_COLUMNS))})"
)
_FEE_SQL = (
    "INSERT OR IGNORE INTO fee (key, tenant, debtor_id, stage, cycle, currency, amount_minor, as_of) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_JOURNAL_SQL = f"INSERT INTO journal ({', '.join(JOURNAL_COLUMNS)}) VALUES ({', '.join('?' * len(JOURNAL_COLUMNS))})"

PLANNED_COLUMNS = tuple(c for c in OUTBOX_COLUMNS if c not in ("status", "attempts", "provider_id", "detail"))
"""Columns of the outbox rows a run writes (:func:`write_batch`): the others take their
defaults (status ``planned``, no attempts, no provider id, no detail)."""
RUN_JOURNAL_COLUMNS = tuple(c for c in JOURNAL_COLUMNS if c not in ("channel", "key", "detail"))
"""Columns of the journal rows a run writes (:func:`write_batch`): a decision's journal line
has no channel, key or detail."""

_STATE_INSERT = (f"INSERT INTO ladder_state ({', '.join(STATE_COLUMNS)})", len(STATE_COLUMNS), _STATE_CONFLICT)
_PLANNED_INSERT = (f"INSERT OR IGNORE INTO outbox ({', '.join(PLANNED_COLUMNS)})", len(PLANNED_COLUMNS), "")
_RUN_JOURNAL_INSERT = (f"INSERT INTO journal ({', '.join(RUN_JOURNAL_COLUMNS)})", len(RUN_JOURNAL_COLUMNS), "")
_ROWS_PER_STATEMENT = 64


@functools.lru_cache(maxsize=64)
def _multi_row_sql(head: str, width: int, tail: str, rows: int) -> str:
    one = "(" + ",".join("?" * width) + ")"
    return f"{head} VALUES {','.join([one] * rows)}{tail}"


def _insert_rows(conn: sqlite3.Connection, insert: tuple[str, int, str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert *rows* with multi-row ``VALUES`` statements (a quarter faster than one row per step)."""
    head, width, tail = insert
    step = _ROWS_PER_STATEMENT
    full = len(rows) - len(rows) % step
    if full:
        sql = _multi_row_sql(head, width, tail, step)
        chain = itertools.chain.from_iterable
        conn.executemany(sql, (tuple(chain(rows[i : i + step])) for i in range(0, full, step)))
    if full < len(rows):
        rest = rows[full:]
        conn.execute(_multi_row_sql(head, width, tail, len(rest)), tuple(itertools.chain.from_iterable(rest)))


def write_batch(
    store: SQLiteStore,
    *,
    states: Sequence[tuple[Any, ...]],
    outbox: Sequence[tuple[Any, ...]],
    fees: Iterable[tuple[Any, ...]],
    journal: Sequence[tuple[Any, ...]],
) -> int:
    """Write one batch of a run's decisions atomically; returns how many outbox rows were new.

    *states* are ladder_state rows (:func:`state_to_row`), *outbox* rows have the
    :data:`PLANNED_COLUMNS` and *journal* rows the :data:`RUN_JOURNAL_COLUMNS`. Outbox rows
    and fees whose key exists already are ignored: the key is the guarantee that a step is
    never planned, nor a fee charged, twice.
    """
    with store.transaction() as conn:
        _insert_rows(conn, _STATE_INSERT, states)
        before = conn.total_changes
        _insert_rows(conn, _PLANNED_INSERT, outbox)
        inserted = conn.total_changes - before
        conn.executemany(_FEE_SQL, fees)
        _insert_rows(conn, _RUN_JOURNAL_INSERT, journal)
    return inserted


def insert_outbox(store: SQLiteStore, rows: Iterable[tuple[Any, ...]]) -> int:
    """Insert full outbox rows (:func:`outbox_row`) in their own transaction; returns how many were new.

    A row whose key exists already is ignored, as in a run.
    """
    with store.transaction() as conn:
        before = conn.total_changes
        conn.executemany(_OUTBOX_SQL, rows)
        return conn.total_changes - before


def append_journal(store: SQLiteStore, rows: Iterable[tuple[Any, ...]]) -> None:
    """Append journal rows in their own transaction."""
    with store.transaction() as conn:
        conn.executemany(_JOURNAL_SQL, rows)


def iter_outbox(
    store: SQLiteStore, tenant: str, *, statuses: Sequence[str] = (), debtor_id: str | None = None
) -> Iterator[OutboxRow]:
    """Outbox rows of a tenant (optionally by status and debtor), oldest first."""
    sql = f"SELECT {', '.join(OUTBOX_COLUMNS)} FROM outbox WHERE tenant = ?"
    args: list[Any] = [tenant]
    if statuses:
        sql += f" AND status IN ({', '.join('?' * len(statuses))})"
        args += list(statuses)
    if debtor_id is not None:
        sql += " AND debtor_id = ?"
        args.append(debtor_id)
    for row in store.conn.execute(sql + " ORDER BY as_of, created_at, key", args).fetchall():
        yield OutboxRow(*row)


def iter_journal(
    store: SQLiteStore, tenant: str, *, debtor_id: str | None = None, run_id: str | None = None
) -> Iterator[JournalRow]:
    """Journal rows of a tenant in order (optionally for one debtor or one run)."""
    sql = "SELECT seq, " + ", ".join(JOURNAL_COLUMNS) + " FROM journal WHERE tenant = ?"
    args: list[Any] = [tenant]
    if debtor_id is not None:
        sql += " AND debtor_id = ?"
        args.append(debtor_id)
    if run_id is not None:
        sql += " AND run_id = ?"
        args.append(run_id)
    for row in store.conn.execute(sql + " ORDER BY seq", args):
        yield JournalRow(*row)


UNREACHED_OUTCOMES = ("no_answer", "busy", "wrong_number")
"""Logged contact attempts that did not reach the debtor: they are not contacts."""


def recent_contacts(conn: sqlite3.Connection, tenant: str, since: dt.date) -> Iterator[tuple[str, str, str]]:
    """(debtor_id, date, channel) of every contact since *since*, by debtor and date.

    Contacts are the notices planned or sent (outbox), and the calls, visits and replies
    people logged (contact log) except attempts that did not reach the debtor. Logged ones
    carry the channel ``logged:<channel>``: they count for the minimum gap between two
    contacts, not for the channel caps, which count what cobrokit planned (a call task and
    the outcome logged for it are one call, not two).
    """
    unreached = {f"u{i}": outcome for i, outcome in enumerate(UNREACHED_OUTCOMES)}
    return iter(
        conn.execute(
            "SELECT debtor_id, as_of, channel FROM outbox WHERE tenant = :tenant AND as_of >= :since "
            "AND kind = 'notice' AND status NOT IN ('refused', 'render_failed', 'superseded', 'failed_permanent') "
            "UNION ALL "
            "SELECT debtor_id, date, 'logged:' || channel FROM contact WHERE tenant = :tenant AND date >= :since "
            f"AND outcome NOT IN ({', '.join(':' + name for name in unreached)}) "
            "ORDER BY 1, 2",
            {"tenant": tenant, "since": since.isoformat(), **unreached},
        )
    )


def contact_rows(store: SQLiteStore, tenant: str, debtor_id: str) -> list[tuple[Any, ...]]:
    """Contact-log rows of one debtor, oldest first."""
    return store.conn.execute(
        "SELECT seq, date, channel, outcome, reason, invoice_id, note, recorded_at FROM contact "
        "WHERE tenant = ? AND debtor_id = ? ORDER BY date, seq",
        (tenant, debtor_id),
    ).fetchall()


# -- the journal as one feed ------------------------------------------------------------------

JOURNAL_STATUS = {
    "skipped": "skipped",
    "deferred": "deferred",
    "paused": "paused",
    "stopped": "stopped",
    "resumed": "active",
    "cycle_closed": "closed",
    "promise_broken": "escalated",
    "plan_breached": "escalated",
    "delivered": "sent",
    "delivery_confirmed": "delivered",
    "delivery_failed": "failed",
    "delivery_unknown": "unknown",
    "delivery_retry_after_crash": "retrying",
    "render_failed": "render_failed",
    "superseded": "superseded",
    "fallback": "fallback",
    "refused": "refused",
    "error": "error",
    "run_finished": "finished",
    "backend_note": "done",
    "backend_charge": "done",
    "backend_note_failed": "failed",
    "fee_voided": "voided",
    "interest_omitted": "omitted",
    "compensation_omitted": "omitted",
    "promise_kept": "kept",
    "plan_followed": "active",
    "invoices_left_out": "left_out",
    "backend_charge_failed": "failed",
}
"""The ``status`` a journal line reports, by its kind (other kinds, such as the actions a
plugin carried out, report ``done``)."""


@attrs.frozen(slots=True)
class JournalEntry:
    """One line of the journal feed: a journal row, a planned effect (outbox row) or a fee."""

    at: str
    """When it was recorded (UTC, ISO 8601)."""
    as_of: str
    """The business date of the run or delivery."""
    kind: str
    debtor_id: str
    stage: str
    cycle: str
    channel: str
    key: str
    status: str
    reason: str
    run_id: str
    source: str
    """``journal``, ``outbox`` (a decided effect, with its current status) or ``fee``."""

    def to_json(self) -> dict[str, str]:
        """The entry as the ``cobrokit journal --json`` object."""
        return {name: getattr(self, name) for name in _ENTRY_FIELDS}


_ENTRY_FIELDS = (
    "at",
    "as_of",
    "kind",
    "debtor_id",
    "stage",
    "cycle",
    "channel",
    "key",
    "status",
    "reason",
    "run_id",
    "source",
)

_FEED_SQL = """
SELECT recorded_at, 0, seq, as_of, kind, debtor_id, stage, cycle, channel, key, '', reason, run_id,
       CASE WHEN run_id = '' THEN 2 WHEN kind = 'run_finished' THEN 1 ELSE 0 END FROM journal
 WHERE tenant = :tenant AND (:debtor IS NULL OR debtor_id = :debtor) AND as_of >= :since
UNION ALL
SELECT created_at, 1, 0, as_of, kind, debtor_id, stage, cycle, channel, key, status, detail, run_id, 0 FROM outbox
 WHERE tenant = :tenant AND (:debtor IS NULL OR debtor_id = :debtor) AND as_of >= :since
UNION ALL
SELECT COALESCE(o.created_at, f.as_of), 2, 0, f.as_of, 'fee', f.debtor_id, f.stage, f.cycle, '', f.key,
       CASE WHEN f.voided_on = '' THEN 'charged' ELSE 'voided' END,
       f.currency || ' ' || f.amount_minor, COALESCE(o.run_id, ''), 0
  FROM fee AS f LEFT JOIN outbox AS o ON o.key = (
       SELECT MIN(x.key) FROM outbox AS x
        WHERE x.tenant = f.tenant AND x.debtor_id = f.debtor_id AND x.stage = f.stage AND x.cycle = f.cycle)
 WHERE f.tenant = :tenant AND (:debtor IS NULL OR f.debtor_id = :debtor) AND f.as_of >= :since
ORDER BY 4, 1, 14, 2, 3
"""
"""Journal lines, decided effects and fees, in business-date order; within a date, in recording
order: a run's lines (skips, then effects, then fees, then the run's own ``run_finished`` line)
before the dispatcher's."""


def journal_entries(
    store: SQLiteStore, tenant: str, *, debtor_id: str | None = None, since: dt.date | None = None
) -> Iterator[JournalEntry]:
    """Every journal entry of *tenant* in business-date order: what was decided, skipped, sent.

    Merges the three append-only records a run and the dispatcher write: journal lines (skips,
    pauses, deliveries, failures…), the effects decided (outbox rows, with their current
    delivery status) and the fees charged. *since* filters on the business date (``as_of``).
    """
    args = {"tenant": tenant, "debtor": debtor_id, "since": since.isoformat() if since else ""}
    for at, source, _, as_of, kind, debtor, stage, cycle, channel, key, status, reason, run_id, _ in store.conn.execute(
        _FEED_SQL, args
    ):
        origin = ("journal", "outbox", "fee")[source]
        if origin == "journal":
            status = JOURNAL_STATUS.get(kind, "done")
        elif origin == "fee":  # "EUR 1500" in minor units → "EUR 15.00"
            currency, minor = reason.split(" ", 1)
            reason = f"{Money.from_minor(int(minor), currency)}"
        yield JournalEntry(at, as_of, kind, debtor, stage, cycle, channel, key, status, reason, run_id, origin)
