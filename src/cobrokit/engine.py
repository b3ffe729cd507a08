"""The dunning run: assess every debtor as of a date, decide, and record — once.

:func:`run_ladder` streams the store (a read snapshot on its own connection), builds each
debtor's :class:`~cobrokit.ladder.decide.Position` per currency, calls the pure
:func:`~cobrokit.ladder.decide.decide`, and writes the decisions in batches: new ladder
states, outbox rows (notices and other effects), fees and journal lines commit together.
Every outbox row and fee has a deterministic idempotency key, so running the same date
twice — or again after a crash — plans nothing new. Delivery is separate
(:mod:`cobrokit.dispatch`).

Memory stays flat as the portfolio grows: the four ordered streams (debtors, open
invoices, ladder states, recent contacts) are merged by debtor id, one debtor at a time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import itertools
import json
import logging
import operator
import sqlite3
import sys
import uuid
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import attrs

from cobrokit.calendar import has_holiday_data
from cobrokit.errors import StoreError
from cobrokit.interest.limitation import SPAIN_CIVIL, UK_SIMPLE_CONTRACT, add_years
from cobrokit.ladder.config import Config, Ladder
from cobrokit.ladder.decide import (
    Action,
    Decision,
    LadderState,
    OpenInvoice,
    PlanView,
    Position,
    PromiseView,
    decide,
    status_code,
)
from cobrokit.model import DEFAULT_TENANT
from cobrokit.store import journal as jr
from cobrokit.store.lock import exclusive
from cobrokit.store.sqlite import OPEN_AMOUNTS_CTE, SQLiteStore

__all__ = ["PlannedAction", "RunEntry", "RunResult", "debtor_positions", "preview_debtor", "run_ladder", "stage_of"]

log = logging.getLogger(__name__)

HARDSHIP_DAYS = 90
"""How long a reported cash-flow hardship makes the ladder's notices offer a payment plan."""

WINDOWED_CHANNELS = frozenset({"email", "sms", "whatsapp", "call"})
"""Channels that reach the debtor directly and so respect the contact window."""

_OPEN_SQL = f"""
WITH {OPEN_AMOUNTS_CTE}
SELECT debtor_id, currency, id, issue_date, due_date, amount_minor, open_minor, disputed, hold FROM (
    SELECT i.debtor_id, i.currency, i.id, i.issue_date, i.due_date, i.amount_minor,
           i.amount_minor - COALESCE(p.minor, 0) - COALESCE(c.minor, 0) AS open_minor, i.disputed, i.hold
    FROM invoice AS i
    LEFT JOIN paid AS p ON p.invoice_id = i.id
    LEFT JOIN credited AS c ON c.invoice_id = i.id
    WHERE i.tenant = :tenant AND i.issue_date <= :day
) WHERE open_minor > 0
ORDER BY debtor_id, due_date
"""

_DEBTOR_SQL = (
    "SELECT id, tags, country, address, emails, phones, cease_contact, insolvent, hold, timezone "
    "FROM debtor WHERE tenant = ? ORDER BY id"
)


@attrs.frozen(slots=True)
class PlannedAction:
    """One action a run planned (or would plan, in a dry run)."""

    debtor_id: str
    currency: str
    kind: str
    stage: str
    cycle: str
    channel: str
    key: str
    invoice_ids: tuple[str, ...] = ()
    firm_date: dt.date | None = None
    amount_minor: int = 0
    detail: tuple[tuple[str, Any], ...] = ()
    """Why and with what: ``days_overdue``, plan and instalment numbers…"""

    @property
    def why(self) -> str:
        """A short reason for a person (``"124 days overdue"``, ``"instalment 2 of plan PLAN-00001"``)."""
        facts = dict(self.detail)
        if "days_overdue" in facts:
            days = facts["days_overdue"]
            overdue = f"{days} day{'s' if days != 1 else ''} overdue"
            return overdue + (", reported hardship" if facts.get("hardship") else "")
        if "instalment" in facts and "plan_id" in facts:
            return f"instalment {facts['instalment']} of plan {facts['plan_id']}"
        if "pre-" in self.cycle:  # a reminder before the due date: the cycle ends with it
            return f"due on {self.cycle[-10:]}"
        return str(facts.get("reason", ""))


@attrs.frozen(slots=True)
class RunEntry:
    """A journal line a run wrote (or would write, in a dry run): a skip, a deferral, a pause…"""

    debtor_id: str
    currency: str
    kind: str
    stage: str
    reason: str
    code: str = ""


@attrs.frozen(slots=True)
class RunResult:
    """What a run decided."""

    run_id: str
    as_of: dt.date
    tenant: str
    dry_run: bool
    debtors_seen: int
    positions: int
    planned: tuple[PlannedAction, ...]
    """Every planned action (empty when the run was asked not to collect them)."""
    new_outbox_rows: int
    journal: Counter[str]
    paused_reason: str = ""
    notices: Counter[str] = attrs.field(factory=Counter)
    """Planned notices by stage."""
    by_channel: Counter[str] = attrs.field(factory=Counter)
    """Planned notices by (first-choice) channel."""
    skipped: Counter[str] = attrs.field(factory=Counter)
    """Steps not taken today, by reason code (:data:`cobrokit.ladder.decide.REASONS`): paused and
    stopped debtors, steps skipped or deferred."""
    invoices_seen: int = 0
    """Open invoices evaluated."""
    errors: int = 0
    """Debtors whose decision failed (journaled as ``error`` and left for the next run)."""
    entries: tuple[RunEntry, ...] = ()
    """Every journal line of the run, with its reason (kept with the actions: ``collect_actions``)."""

    def to_json(self) -> dict[str, Any]:
        """The run's figures as the ``cobrokit run --json`` object."""
        return {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "dry_run": self.dry_run,
            "paused": self.paused_reason or None,
            "debtors_evaluated": self.debtors_seen,
            "invoices_evaluated": self.invoices_seen,
            "notices": sum(self.notices.values()),
            "by_stage": dict(sorted(self.notices.items())),
            "by_channel": dict(sorted(self.by_channel.items())),
            "skipped": dict(sorted(self.skipped.items())),
            "errors": self.errors,
            "journal": dict(sorted(self.journal.items())),
            "new_outbox_rows": self.new_outbox_rows,
        }

    def summary(self) -> str:
        """A few lines for the terminal."""
        if self.paused_reason:
            return f"run {self.as_of.isoformat()}: paused — {self.paused_reason}"
        by_stage = self.notices
        stages = ", ".join(f"{stage} {n}" for stage, n in sorted(by_stage.items())) or "none"
        verb = "would plan" if self.dry_run else "planned"
        extra = ", ".join(f"{k} {n}" for k, n in sorted(self.journal.items()))
        return (
            f"run {self.as_of.isoformat()}: {self.debtors_seen} debtor(s), {verb} "
            f"{sum(by_stage.values())} notice(s) [{stages}]" + (f"; journal: {extra}" if extra else "")
        )


def stage_of(stage_key: str) -> str:
    """The stage id of an outbox stage key (``"whats_wrong#2"`` → ``"whats_wrong"``)."""
    return stage_key.split("#", 1)[0]


class _Groups:
    """An ordered cursor grouped by its first column (the debtor id), for the merge join."""

    __slots__ = ("_groups", "key", "rows")

    def __init__(self, cursor: Iterator[Any]) -> None:
        self._groups = itertools.groupby(cursor, key=operator.itemgetter(0))
        self.key: Any = None
        self.rows: Iterator[Any] | None = None
        self._advance()

    def _advance(self) -> None:
        group = next(self._groups, None)
        if group is None:
            self.key, self.rows = None, None
        else:
            self.key, self.rows = group

    def take(self, debtor_id: str) -> list[Any]:
        """The rows of *debtor_id* (skipping rows of ids that have no debtor)."""
        while self.key is not None and self.key < debtor_id:
            self._advance()
        if self.key != debtor_id or self.rows is None:
            return _NO_ROWS
        rows = list(self.rows)
        self._advance()
        return rows


_NO_ROWS: list[Any] = []


def _open_reader(store: SQLiteStore) -> sqlite3.Connection:
    if store.path == ":memory:":
        raise StoreError("a dunning run needs a store in a file (it reads a snapshot on a second connection)")
    conn = sqlite3.connect(f"file:{store.path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("BEGIN")  # one consistent snapshot for the whole run
    return conn


def debtor_positions(
    conn: sqlite3.Connection,
    tenant: str,
    as_of: dt.date,
    *,
    contacts_since: dt.date,
    promises: dict[str, PromiseView] | None = None,
    plans: dict[str, PlanView] | None = None,
    limitation_years: Callable[[str], int] | None = None,
    only_debtor: str | None = None,
    risks: dict[str, int] | None = None,
    hardship: frozenset[str] = frozenset(),
    credits: dict[tuple[str, str], int] | None = None,
) -> Iterator[tuple[str, Position, str]]:
    """Stream ``(debtor_id, position, timezone)`` per debtor and currency, merged by debtor id.

    Debtors with nothing open and no ladder state are skipped.
    """
    promises = promises or {}
    plans = plans or {}
    risks = risks or {}
    day = as_of.isoformat()
    debtor_sql, args = _DEBTOR_SQL, [tenant]
    if only_debtor is not None:
        debtor_sql = debtor_sql.replace("ORDER BY", "AND id = ? ORDER BY")
        args.append(only_debtor)
    debtors = conn.execute(debtor_sql, args)
    items = _Groups(conn.execute(_OPEN_SQL, {"tenant": tenant, "day": day}))
    states = _Groups(jr.iter_states(conn, tenant))
    contacts = _Groups(jr.recent_contacts(conn, tenant, contacts_since))
    fromiso = dt.date.fromisoformat
    years_by_country: dict[str, int] = {}
    for (
        debtor_id,
        tags_json,
        country,
        address_json,
        emails,
        phones,
        cease,
        insolvent,
        hold,
        timezone,
    ) in debtors:
        rows = items.take(debtor_id)
        state_rows = states.take(debtor_id) if states.key is not None else _NO_ROWS
        contact_rows = contacts.take(debtor_id) if contacts.key is not None else _NO_ROWS
        if not rows and not state_rows:
            continue
        by_currency: dict[str, list[OpenInvoice]] = {}
        for _, currency, inv, issue, due, amount, open_minor, disputed, inv_hold in rows:
            by_currency.setdefault(currency, []).append(
                _new(OpenInvoice, (inv, fromiso(issue), fromiso(due), amount, open_minor, disputed != 0, inv_hold != 0))
            )

        state_by_currency = {r[1]: jr.state_from_row(r[2:]) for r in state_rows} if state_rows else _NO_STATES
        for currency in state_by_currency:
            by_currency.setdefault(currency, [])
        tags = frozenset(json.loads(tags_json)) if tags_json != "[]" else _NO_TAGS
        region = ""
        at = address_json.find('"region": "')
        if at >= 0:  # the address is stored with sorted keys: no need to parse it all
            region = address_json[at + 11 : address_json.index('"', at + 11)]
        points_set = _CONTACT_POINTS[
            emails != "[]", phones != "[]", '"lines": []' not in address_json or '"city": ""' not in address_json
        ]
        recent = tuple((fromiso(d), ch) for _, d, ch in contact_rows) if contact_rows else ()
        years = years_by_country.get(country)
        if years is None:  # the first debtor of this country
            years = years_by_country[country] = limitation_years(country) if limitation_years is not None else 0
            if not has_holiday_data(country):  # the decision uses the calendar quietly: say it once here
                log.warning("no public-holiday data for country %r: business days count weekends only", country)
        for currency, invoices in sorted(by_currency.items()) if len(by_currency) > 1 else by_currency.items():
            # invoices arrive in due-date order: the first is the oldest
            limitation = _limitation(invoices[0].due, years) if years and invoices else None
            yield (
                debtor_id,
                _new(  # tuple.__new__ directly: this runs once per debtor and currency
                    Position,
                    (
                        tenant,
                        debtor_id,
                        currency,
                        invoices,
                        state_by_currency.get(currency),
                        tags,
                        country,
                        region,
                        cease != 0,
                        insolvent != 0,
                        hold != 0,
                        points_set,
                        promises.get(debtor_id),
                        plans.get(debtor_id),
                        risks.get(debtor_id),
                        recent,
                        limitation,
                        debtor_id in hardship,
                        years,
                        credits.get((debtor_id, currency), 0) if credits else 0,
                    ),
                ),
                timezone,
            )


_NO_TAGS: frozenset[str] = frozenset()
_NO_STATES: dict[str, LadderState] = {}
_RUN_CACHE_KIB = -32768  # SQLite page cache of the writing connection during a run: 32 MiB
_new = tuple.__new__
_day_text = functools.lru_cache(maxsize=64)(dt.date.isoformat)
_CONTACT_POINTS: dict[tuple[bool, bool, bool], frozenset[str]] = {
    (email, phone, address): frozenset(
        name for name, present in (("email", email), ("phone", phone), ("address", address)) if present
    )
    for email in (False, True)
    for phone in (False, True)
    for address in (False, True)
}


@functools.lru_cache(maxsize=8192)
def _limitation(due: dt.date, years: int) -> dt.date:
    return add_years(due, years)


_ZONES: dict[str, dt.tzinfo] = {}


def zone_of(name: str) -> dt.tzinfo:
    """The time zone *name* (cached); an unknown name logs a warning and gives UTC."""
    zone = _ZONES.get(name)
    if zone is None:
        try:
            zone = zoneinfo.ZoneInfo(name or "UTC")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            log.warning("unknown time zone %r; using UTC", name)
            zone = dt.UTC
        _ZONES[name] = zone
    return zone


@functools.lru_cache(maxsize=4096)
def not_before(as_of: dt.date, timezone: str, start: dt.time) -> str:
    """The first moment of the contact window on *as_of* in the debtor's zone, as UTC ISO."""
    local = dt.datetime.combine(as_of, start, tzinfo=zone_of(timezone))
    return local.astimezone(dt.UTC).isoformat(timespec="seconds")


@functools.lru_cache(maxsize=256)
def _fallback_text(channels: tuple[str, ...]) -> str:
    """The outbox ``fallback`` column: the channels after the first, comma-separated."""
    return ",".join(channels[1:])


_LIMITATION_YEARS = {"ES": SPAIN_CIVIL.years, "GB": UK_SIMPLE_CONTRACT.years, "UK": UK_SIMPLE_CONTRACT.years}


def _limitation_years(country: str) -> int:
    """Limitation period of the debtor's country (the rules of :mod:`cobrokit.interest.limitation`); 0: none known."""
    return _LIMITATION_YEARS.get(country.upper(), 0)


def run_ladder(
    store: SQLiteStore,
    as_of: dt.date,
    *,
    config: Config,
    tenant: str = DEFAULT_TENANT,
    now: dt.datetime,
    dry_run: bool = False,
    check_freshness: bool = True,
    backend: str | None = None,
    batch_size: int = 5000,
    progress: bool | None = None,
    promises: dict[str, PromiseView] | None = None,
    plans: dict[str, PlanView] | None = None,
    collect_actions: bool = True,
) -> RunResult:
    """Run the ladder over *tenant*'s debtors as of *as_of*; decide and record.

    Args:
        now: the wall-clock time of the run (aware), used for the freshness guard and
            record timestamps; the decisions themselves depend only on *as_of*.
        dry_run: decide and return what would happen, writing nothing.
        check_freshness: pause when the backend's payments were synced longer ago than
            ``config.run.freshness_hours``, or never for an external backend (off for simulations).
        backend: whose last sync the freshness guard checks (default: ``[backend] name`` of
            the configuration, else ``"sqlite"``, the embedded store fed by ``cobrokit import``).
        promises, plans: current promise and plan views per debtor id (defaults: loaded
            from the store by :mod:`cobrokit.commitments`).
        collect_actions: keep every planned action in the result (turn off for large runs:
            memory then stays flat whatever the portfolio's size; counts are always kept).

    Returns:
        a :class:`RunResult` with every planned action.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    run_id = f"{as_of.isoformat()}-{uuid.uuid4().hex[:8]}"
    stamp = now.astimezone(dt.UTC).isoformat(timespec="seconds")
    journal_counts: Counter[str] = Counter()

    backend = backend or config.backend.name or "sqlite"
    if check_freshness:
        synced = store.last_synced(tenant, backend)
        reason = ""
        if synced is None and backend != "sqlite":
            reason = (
                f"payments from backend {backend!r} were never synced into this store; reminders paused so "
                f"nobody who already paid is chased — run `cobrokit sync --backend {backend}` and run again"
            )
        elif synced is not None and now - synced > dt.timedelta(hours=config.run.freshness_hours):
            age = now - synced
            remedy = (
                "import your latest payments (cobrokit import --payments FILE) and run again"
                if backend == "sqlite"
                else f"sync (cobrokit sync --backend {backend}) and run again"
            )
            reason = (
                f"payments from backend {backend!r} were last synced {synced.isoformat(timespec='minutes')} "
                f"({age.total_seconds() / 3600:.0f} h ago, limit {config.run.freshness_hours} h); "
                f"reminders paused so nobody who already paid is chased — {remedy}"
            )
        if reason:
            if not dry_run:
                jr.append_journal(
                    store, [(tenant, run_id, as_of.isoformat(), "", "paused", "", "", "", "", reason, "{}", stamp)]
                )
            log.warning("run paused: %s", reason)
            return RunResult(run_id, as_of, tenant, dry_run, 0, 0, (), 0, Counter({"paused": 1}), reason)

    with contextlib.ExitStack() as guard:
        if not dry_run:
            guard.enter_context(exclusive(store.path, "run"))
            if plans is None:  # plans are read from the store: first save where each one stands
                from cobrokit.store.plans import refresh_plans

                changes = refresh_plans(store, tenant, as_of, now=now)
                if changes:
                    log.info("run %s: %d payment plan transition(s) saved", run_id, len(changes))
            from cobrokit.store.settlements import refresh_settlements

            settled = refresh_settlements(store, tenant, as_of, now=now)  # honoured ones close the debt first
            if settled:
                log.info("run %s: %d settlement(s) honoured or lapsed", run_id, len(settled))
        loaded = _Inputs.load(store, tenant, as_of, config, promises=promises, plans=plans)
        return _run(
            store,
            as_of,
            config,
            tenant,
            dry_run,
            batch_size,
            progress,
            loaded,
            collect_actions,
            run_id,
            stamp,
            journal_counts,
        )


def _run(
    store: SQLiteStore,
    as_of: dt.date,
    config: Config,
    tenant: str,
    dry_run: bool,
    batch_size: int,
    progress: bool | None,
    inputs: _Inputs,
    collect_actions: bool,
    run_id: str,
    stamp: str,
    journal_counts: Counter[str],
) -> RunResult:
    reader = _open_reader(store)
    ladder_cache: dict[tuple[frozenset[str], str], Ladder] = {}
    planned: list[PlannedAction] = []
    lines: list[RunEntry] = []
    notice_counts: Counter[tuple[str, str]] = Counter()  # (stage key, channel) -> notices
    entry_counts: Counter[tuple[str, str]] = Counter()  # (kind, reason code) -> journal lines
    skipped: Counter[str] = Counter()
    batch: dict[str, list[Any]] = {"states": [], "outbox": [], "fees": [], "journal": []}
    pending = batch["states"]  # one state row per decision written: the batch's size
    new_rows = 0
    debtors_seen = 0
    positions = 0
    invoices_seen = 0
    errors = 0
    day = as_of.isoformat()
    show = sys.stderr.isatty() if progress is None else progress
    last_debtor = ""
    # The loop allocates many short-lived tuples and no reference cycles: pausing the cyclic
    # garbage collector for its duration saves its repeated full scans (a third of the time).
    collecting = gc.isenabled()
    gc.disable()
    # Batches commit without waiting for the disk (synchronous=NORMAL: a crash of the process
    # loses nothing; a power cut may lose the last batches, which the next run decides again
    # with the same keys). The final commit, under the store's own setting (FULL), syncs the
    # write-ahead log and with it every batch before it; the dispatcher's commits are FULL too,
    # so nothing is delivered from a decision that is not on disk.
    durable = store.conn.execute("PRAGMA synchronous").fetchone()[0]
    cache = store.conn.execute("PRAGMA cache_size").fetchone()[0]
    if not dry_run:
        store.conn.execute("PRAGMA synchronous = NORMAL")
        # a batch's pages stay in memory until its commit instead of spilling to the log midway
        store.conn.execute(f"PRAGMA cache_size = {_RUN_CACHE_KIB}")
    total = 0
    if show:
        total = reader.execute("SELECT COUNT(*) FROM debtor WHERE tenant = ?", (tenant,)).fetchone()[0]
    previous = _NO_DECISION
    try:
        for debtor_id, pos, timezone in debtor_positions(
            reader,
            tenant,
            as_of,
            contacts_since=as_of - dt.timedelta(days=inputs.window),
            promises=inputs.promises,
            plans=inputs.plans,
            limitation_years=_limitation_years,
            risks=inputs.risks,
            hardship=inputs.hardship,
            credits=inputs.credits,
        ):
            positions += 1
            invoices_seen += len(pos.items)
            if debtor_id != last_debtor:
                debtors_seen += 1
                last_debtor = debtor_id
                today: tuple[tuple[dt.date, str], ...] = ()
                if show and debtors_seen % 10_000 == 0:
                    _progress(debtors_seen, total)
            else:  # another currency of the same debtor: today's notices count for its gap and caps
                today += tuple((as_of, a.channels[0]) for a in previous.actions if a.kind == "notice" and a.channels)
                if today:
                    pos = pos._replace(recent_contacts=(*pos.recent_contacts, *today))
            key = (pos.tags, pos.country)
            ladder = ladder_cache.get(key)
            if ladder is None:
                ladder = ladder_cache[key] = config.ladder_for(pos.tags, pos.country)
            try:
                decision = decide(pos, ladder, config, as_of)
            except Exception as exc:  # one debtor's bad data must not stop everyone's run
                errors += 1
                journal_counts["error"] += 1
                log.warning("run %s: decision failed for one debtor (%s); left for the next run", run_id, exc)
                reason = f"{type(exc).__name__}: {exc}"
                batch["journal"].append((tenant, run_id, day, debtor_id, "error", "", "", reason, stamp))
                if collect_actions:
                    lines.append(RunEntry(debtor_id, pos.currency, "error", "", reason, "error"))
                previous = _NO_DECISION
                continue
            previous = decision
            if decision.state.status:
                skipped[status_code(decision.state.status)] += 1
            if not decision.actions and not decision.journal and decision.state == pos.state:
                continue
            _record(
                decision,
                pos,
                ladder,
                config,
                as_of,
                run_id,
                stamp,
                timezone,
                batch,
                planned if collect_actions else None,
                entry_counts,
                notice_counts,
                lines if collect_actions else None,
            )
            if not dry_run and len(pending) >= batch_size:
                new_rows += _flush(store, batch)
        if not dry_run:
            store.conn.execute(f"PRAGMA synchronous = {int(durable)}")
            figures = (
                f"{debtors_seen} debtor(s), {invoices_seen} open invoice(s), "
                f"{sum(notice_counts.values())} notice(s), {errors} error(s)"
            )
            # the run's own line, which is also the final, durable commit
            batch["journal"].append((tenant, run_id, _day_text(as_of), "", "run_finished", "", "", figures, stamp))
            new_rows += _flush(store, batch)
    finally:
        store.conn.execute(f"PRAGMA synchronous = {int(durable)}")
        store.conn.execute(f"PRAGMA cache_size = {int(cache)}")
        if collecting:
            gc.enable()
        reader.close()
        if show:
            print("\r" + " " * 60 + "\r", end="", file=sys.stderr, flush=True)  # clear the progress line
    by_stage: Counter[str] = Counter()
    by_channel: Counter[str] = Counter()
    for (stage_key, channel), n in notice_counts.items():
        by_stage[stage_of(stage_key)] += n
        by_channel[channel] += n
    for (kind, code), n in entry_counts.items():
        journal_counts[kind] += n
        if kind in ("skipped", "deferred"):
            skipped[code or kind] += n
    result = RunResult(
        run_id,
        as_of,
        tenant,
        dry_run,
        debtors_seen,
        positions,
        tuple(planned),
        new_rows,
        journal_counts,
        notices=by_stage,
        by_channel=by_channel,
        skipped=skipped,
        invoices_seen=invoices_seen,
        errors=errors,
        entries=tuple(lines),
    )
    log.info("%s", result.summary())
    return result


_NO_DECISION = Decision(LadderState(""), (), ())


def _progress(done: int, total: int) -> None:
    """A progress line on the terminal (stderr), rewritten in place."""
    share = f" ({100 * done // total}%)" if total else ""
    print(f"\r  {done:,}/{total:,} debtors{share}", end="", file=sys.stderr, flush=True)


def _flush(store: SQLiteStore, batch: dict[str, list[Any]]) -> int:
    if not batch["states"] and not batch["outbox"] and not batch["journal"]:
        return 0
    inserted = jr.write_batch(
        store,
        states=batch["states"],
        outbox=batch["outbox"],
        fees=batch["fees"],
        journal=batch["journal"],
    )
    for rows in batch.values():
        rows.clear()
    return inserted


def outbox_key(tenant: str, debtor_id: str, stage: str, cycle: str, channel: str) -> str:
    """The deterministic idempotency key of an effect."""
    return f"{tenant}/{debtor_id}/{stage}/{cycle}/{channel}"


def _record(
    decision: Decision,
    pos: Position,
    ladder: Ladder,
    config: Config,
    as_of: dt.date,
    run_id: str,
    stamp: str,
    timezone: str,
    batch: dict[str, list[Any]],
    planned: list[PlannedAction] | None,
    entries: Counter[tuple[str, str]],
    notices: Counter[tuple[str, str]],
    lines: list[RunEntry] | None = None,
) -> None:
    tenant, debtor_id, currency = pos.tenant, pos.debtor_id, pos.currency
    day = _day_text(as_of)
    batch["states"].append(jr.state_to_row(tenant, debtor_id, currency, decision.state))
    if decision.journal:
        cycle = f"{currency}{decision.state.cycle}"
        for entry in decision.journal:
            entries[entry.kind, entry.code] += 1
            if lines is not None:
                lines.append(RunEntry(debtor_id, currency, entry.kind, entry.stage, entry.reason, entry.code))
            batch["journal"].append(
                (tenant, run_id, day, debtor_id, entry.kind, entry.stage, cycle, entry.reason, stamp)
            )
    if not decision.actions:
        return
    amounts = {i[0]: i[4] for i in pos.items}  # invoice_id -> open_minor
    for action in decision.actions:
        if action.kind == "fee":
            key = f"{tenant}/{debtor_id}/{action.stage}/{action.cycle}/fee"
            batch["fees"].append(
                (key, tenant, debtor_id, action.stage, action.cycle, currency, action.amount_minor, day)
            )
            if planned is not None:
                planned.append(
                    PlannedAction(
                        debtor_id,
                        currency,
                        "fee",
                        action.stage,
                        action.cycle,
                        "",
                        key,
                        amount_minor=action.amount_minor,
                    )
                )
            continue
        channels = action.channels or ("service",)
        channel = channels[0]
        key = f"{tenant}/{debtor_id}/{action.stage}/{action.cycle}/{channel}"  # outbox_key(), inlined
        payload = _payload(action, ladder, amounts, config, pos.country)
        start = not_before(as_of, timezone, config.guardrails.window_start) if channel in WINDOWED_CHANNELS else ""
        batch["outbox"].append(  # jr.PLANNED_COLUMNS
            (
                key,
                tenant,
                debtor_id,
                currency,
                action.stage,
                action.cycle,
                channel,
                _fallback_text(channels),
                action.kind,
                day,
                start,
                payload,
                run_id,
                stamp,
                stamp,
            )
        )
        if action.kind == "notice":
            notices[action.stage, channel] += 1
        if planned is not None:
            planned.append(
                PlannedAction(
                    debtor_id,
                    currency,
                    action.kind,
                    action.stage,
                    action.cycle,
                    channel,
                    key,
                    action.invoice_ids,
                    action.firm_date,
                    action.amount_minor,
                    action.detail,
                )
            )


_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode


_PAYLOAD_PARTS: dict[tuple[str, str, str, str], str] = {}


def _payload_constant(ladder: Ladder, stage_key: str, template: str | None, config: Config, country: str) -> str:
    """The JSON members of a payload that depend only on the stage and the country (cached)."""
    cache_key = (ladder.name, stage_key, template or "", country)
    cached = _PAYLOAD_PARTS.get(cache_key)
    if cached is not None:
        return cached
    stage_id = stage_of(stage_key)
    stage = next((st for st in ladder.stages if st.id == stage_id), None)
    part: dict[str, Any] = {
        "ladder": ladder.name,
        "template": template or (stage.template_name if stage else stage_id),
        "tone": stage.tone if stage else ("grateful" if stage_id == "thank_you" else "friendly"),
    }
    if stage is not None:
        if stage.action:
            part["action"] = stage.action
        if stage.handoff_to:
            part["handoff_to"] = stage.handoff_to
        later = ladder.post_due[ladder.index(stage.id) + 1 :] if ladder.index(stage.id) >= 0 else ()
        next_actions = list(dict.fromkeys(st.action for st in later if st.action))
        if next_actions:  # what the notice may announce as coming (a suspension, a hand-off)
            part["next_actions"] = next_actions
        if stage.offer_plan:
            part["offer_plan"] = True
        if stage.attach_statement:
            part["attach_statement"] = True
        if stage.show_interest:
            regime = config.regime_for(country)
            if regime:
                part["interest_regime"] = regime
    text = _dumps(part)[1:-1]
    _PAYLOAD_PARTS[cache_key] = text
    return text


def _payload(action: Action, ladder: Ladder, amounts: dict[str, int], config: Config, country: str) -> str:
    """The outbox payload (JSON): the decided figures a notice is rebuilt from at delivery."""
    template = None
    parts = ['{"invoices":[', ",".join([f"[{_quote(i)},{amounts.get(i, 0)}]" for i in action.invoice_ids]), "]"]
    if action.firm_date is not None:
        parts.append(f',"firm_date":"{_day_text(action.firm_date)}"')
    if action.amount_minor:
        parts.append(f',"amount_minor":{action.amount_minor}')
    for name, value in action.detail:
        if name == "template":
            template = str(value)
        elif type(value) is int:  # the common case (days overdue, instalment numbers): no encoder call
            parts.append(f',"{name}":{value}')
        else:
            parts.append(f",{_quote(name)}:{_dumps(value)}")
    parts += [",", _payload_constant(ladder, action.stage, template, config, country), "}"]
    return "".join(parts)


_quote = json.encoder.encode_basestring


_UNAPPLIED_SQL = """
SELECT p.debtor_id, p.currency, SUM(p.amount_minor - COALESCE(a.minor, 0)) AS unapplied
  FROM payment AS p
  LEFT JOIN (SELECT payment_id, SUM(amount_minor) AS minor FROM allocation WHERE tenant = ? GROUP BY payment_id) AS a
    ON a.payment_id = p.id
 WHERE p.tenant = ? AND p.date <= ?
 GROUP BY p.debtor_id, p.currency
HAVING unapplied > 0
"""


@attrs.frozen(slots=True)
class _Inputs:
    """What a run reads besides the ledger stream: promises, plans, risk scores, the contact window."""

    promises: dict[str, PromiseView]
    plans: dict[str, PlanView]
    risks: dict[str, int]
    window: int
    hardship: frozenset[str]
    """Debtors who reported cash-flow hardship in the last :data:`HARDSHIP_DAYS` days and have no plan."""
    credits: dict[tuple[str, str], int]
    """Money paid on account and not yet allocated to an invoice, by (debtor, currency), in minor units."""

    @classmethod
    def load(
        cls,
        store: SQLiteStore,
        tenant: str,
        as_of: dt.date,
        config: Config,
        *,
        promises: dict[str, PromiseView] | None = None,
        plans: dict[str, PlanView] | None = None,
    ) -> _Inputs:
        from cobrokit.commitments import load_plan_views, load_promise_views

        if promises is None:
            promises = load_promise_views(store, tenant, as_of, grace_days=config.run.promise_grace_days)
        if plans is None:
            plans = load_plan_views(store, tenant, as_of)
        risks: dict[str, int] = {}
        if any(stage.max_risk is not None for ladder in config.ladders for stage in ladder.stages):
            from cobrokit.store.credit import risk_scores  # only when a stage asks for it: it reads every history

            risks = risk_scores(store, tenant, as_of)
        window = max([days for _, days in config.guardrails.caps.values()] + [config.guardrails.min_gap_days, 1])
        reported = store.conn.execute(
            "SELECT DISTINCT debtor_id FROM contact "
            "WHERE tenant = ? AND reason = 'hardship' AND date > ? AND date <= ?",
            (tenant, (as_of - dt.timedelta(days=HARDSHIP_DAYS)).isoformat(), as_of.isoformat()),
        ).fetchall()
        hardship = frozenset(debtor for (debtor,) in reported if debtor not in plans)
        credits = {
            (debtor, currency): int(minor)
            for debtor, currency, minor in store.conn.execute(_UNAPPLIED_SQL, (tenant, tenant, as_of.isoformat()))
        }
        return cls(promises, plans, risks, window, hardship, credits)


def preview_debtor(
    store: SQLiteStore, debtor_id: str, as_of: dt.date, *, config: Config, tenant: str = DEFAULT_TENANT
) -> list[tuple[Position, Decision]]:
    """What the ladder would decide for one debtor as of a date (nothing is written).

    The position is built from the same inputs a run uses, so the preview matches the run.
    """
    loaded = _Inputs.load(store, tenant, as_of, config)
    reader = _open_reader(store)
    try:
        out = []
        for _, pos, _ in debtor_positions(
            reader,
            tenant,
            as_of,
            contacts_since=as_of - dt.timedelta(days=loaded.window),
            only_debtor=debtor_id,
            promises=loaded.promises,
            plans=loaded.plans,
            limitation_years=_limitation_years,
            risks=loaded.risks,
            hardship=loaded.hardship,
            credits=loaded.credits,
        ):
            out.append((pos, decide(pos, config.ladder_for(pos.tags, pos.country), config, as_of)))
        return out
    finally:
        reader.close()
