"""Plans, promises, settlements and rewards in the embedded SQLite store.

A thin repository over :class:`~cobrokit.store.sqlite.SQLiteStore` (tables from migration
``0003_plans.sql``): it turns the pure value objects of :mod:`cobrokit.plans`,
:mod:`cobrokit.promises` and :mod:`cobrokit.settlements` into rows and back. Every write
runs inside ``store.transaction()`` (``BEGIN IMMEDIATE``; nested calls join the caller's
transaction, so "allocate an id, build, save" can be one atomic unit); every statement is
parameterised.

A plan version's schedule is immutable once saved: saving it again only records its new
state and appends the events it gained (the history is append-only).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from cobrokit.allocation import DEFAULT_ORDER, format_order, order_for_regime
from cobrokit.calendar import BusinessCalendar, calendar_for
from cobrokit.errors import (
    ConflictError,
    CurrencyMismatchError,
    InvalidAmountError,
    UnknownReferenceError,
    ValidationError,
)
from cobrokit.model import Payment
from cobrokit.money import Money, parse_amount
from cobrokit.plans import (
    DownPayment,
    Instalment,
    InstalmentKind,
    LateCharges,
    PaymentPlan,
    PlanDebt,
    PlanEvent,
    PlanState,
    PlanStatus,
    PlanTerms,
    accept,
    apply_status,
    cancel,
    evaluate_plan,
    propose_plan,
    renegotiate,
)
from cobrokit.promises import (
    DEFAULT_PROMISE_GRACE_DAYS,
    Promise,
    PromiseStatus,
    evaluate_promise,
    make_promise,
)
from cobrokit.settlements import Reward, Settlement, SettlementFloor, SettlementState, propose_settlement
from cobrokit.store.sqlite import SQLiteStore

if TYPE_CHECKING:
    from cobrokit.interest.regimes import Regime

__all__ = [
    "PlanChange",
    "PlanRepository",
    "accept_plan",
    "add_promise",
    "cancel_plan",
    "current_cycle_fees",
    "debtor_calendar",
    "late_charges_for",
    "offer_settlement",
    "open_debts",
    "parse_floor",
    "plan_status",
    "promise_statuses",
    "propose_for_debtor",
    "refresh_plan",
    "refresh_plans",
    "renegotiate_plan",
]

_PLAN_COLS = (
    "tenant, id, version, debtor_id, currency, state, created_on, instalments, frequency, start_date, "
    "down_minor, down_percent, annual_rate, method, grace_days, late_charges_minor, previous_version, "
    "late_interest_minor, late_compensation_minor, late_fees_minor, charges_regime, charges_order"
)
_PROMISE_COLS = "tenant, id, debtor_id, promised_date, currency, amount_minor, created_on, channel, note"
_SETTLEMENT_COLS = (
    "tenant, id, debtor_id, currency, balance_minor, amount_minor, floor_minor, pay_by, created_on, invoice_ids, note"
)
_REWARD_COLS = "tenant, code, debtor_id, percent, granted_on, expires_on, reason"


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _dec(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _next_id(conn: sqlite3.Connection, table: str, tenant: str, prefix: str) -> str:
    rows = conn.execute(
        f"SELECT id FROM {table} WHERE tenant = ? AND id LIKE ?",
        (tenant, f"{prefix}-%"),
    )
    highest = 0
    for (ident,) in rows:
        suffix = str(ident)[len(prefix) + 1 :]
        if suffix.isdigit():
            highest = max(highest, int(suffix))
    return f"{prefix}-{highest + 1:05d}"


class PlanRepository:
    """Save and load plans (every version), promises, settlements and rewards.

    >>> from cobrokit.store.sqlite import SQLiteStore
    >>> repo = PlanRepository(SQLiteStore.open(":memory:"))
    >>> repo.next_plan_id("default")
    'PLAN-00001'
    """

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store

    # -- ids -------------------------------------------------------------------------------
    def next_plan_id(self, tenant: str) -> str:
        """The next free plan id (``PLAN-00001``…). Call it inside ``store.transaction()``
        together with :meth:`save_plan` so that two writers cannot take the same id."""
        return _next_id(self.store.conn, "payment_plan", tenant, "PLAN")

    def next_promise_id(self, tenant: str) -> str:
        """The next free promise id (``PROM-00001``…); see :meth:`next_plan_id`."""
        return _next_id(self.store.conn, "promise", tenant, "PROM")

    def next_settlement_id(self, tenant: str) -> str:
        """The next free settlement id (``SETT-00001``…); see :meth:`next_plan_id`."""
        return _next_id(self.store.conn, "settlement", tenant, "SETT")

    # -- plans -----------------------------------------------------------------------------
    def save_plan(self, *plans: PaymentPlan) -> None:
        """Insert new plan versions, or record the new state and events of stored ones.

        Several plans (e.g. the old and new versions of a renegotiation) are saved in one
        transaction: all or nothing.

        Raises:
            UnknownReferenceError: an unknown debtor or invoice, or a previous version
                that is not stored; nothing is written.
            ConflictError: the stored history is not a prefix of the plan's history.
        """
        with self.store.transaction() as conn:
            for plan in plans:
                self._save_one(conn, plan)

    def _save_one(self, conn: sqlite3.Connection, plan: PaymentPlan) -> None:
        key = (plan.tenant, plan.id, plan.version)
        stored = conn.execute(
            "SELECT state FROM payment_plan WHERE tenant = ? AND id = ? AND version = ?", key
        ).fetchone()
        if stored is None:
            self._insert_plan(conn, plan)
            start = 0
        else:
            rows = conn.execute(
                "SELECT on_date, kind, to_state FROM plan_event "
                "WHERE tenant = ? AND plan_id = ? AND version = ? ORDER BY seq",
                key,
            ).fetchall()
            mine = [(e.on.isoformat(), e.kind, e.to_state.value) for e in plan.events[: len(rows)]]
            if [tuple(r) for r in rows] != mine:
                raise ConflictError(f"{plan.record}: the stored history differs from this plan's history")
            conn.execute(
                "UPDATE payment_plan SET state = ? WHERE tenant = ? AND id = ? AND version = ?",
                (plan.state.value, *key),
            )
            start = len(rows)
        for seq, event in enumerate(plan.events[start:], start=start):
            conn.execute(
                "INSERT INTO plan_event (tenant, plan_id, version, seq, on_date, kind, from_state, to_state, "
                "note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    *key,
                    seq,
                    event.on.isoformat(),
                    event.kind,
                    event.from_state.value if event.from_state else None,
                    event.to_state.value,
                    event.note,
                ),
            )

    def _insert_plan(self, conn: sqlite3.Connection, plan: PaymentPlan) -> None:
        if (
            conn.execute("SELECT 1 FROM debtor WHERE tenant = ? AND id = ?", (plan.tenant, plan.debtor_id)).fetchone()
            is None
        ):
            raise UnknownReferenceError(plan.record, "debtor_id", f"unknown debtor {plan.debtor_id!r}")
        if (
            plan.previous_version is not None
            and conn.execute(
                "SELECT 1 FROM payment_plan WHERE tenant = ? AND id = ? AND version = ?",
                (plan.tenant, plan.id, plan.previous_version),
            ).fetchone()
            is None
        ):
            raise UnknownReferenceError(
                plan.record, "previous_version", f"version {plan.previous_version} is not stored"
            )
        terms = plan.terms
        down = terms.down_payment
        charges = plan.charges
        conn.execute(
            f"INSERT INTO payment_plan ({_PLAN_COLS}) VALUES ({', '.join('?' * 22)})",
            (
                plan.tenant,
                plan.id,
                plan.version,
                plan.debtor_id,
                plan.currency,
                plan.state.value,
                plan.created_on.isoformat(),
                terms.instalments,
                terms.frequency.value,
                terms.start.isoformat(),
                down.amount.to_minor() if down is not None and down.amount is not None else None,
                _dec(down.percent) if down is not None and down.percent is not None else None,
                _dec(terms.annual_rate),
                terms.method.value,
                terms.grace_days,
                plan.late_charges.to_minor() if plan.late_charges is not None else None,
                plan.previous_version,
                charges.interest.to_minor() if charges is not None else None,
                charges.compensation.to_minor() if charges is not None else None,
                charges.fees.to_minor() if charges is not None else None,
                charges.regime if charges is not None else None,
                format_order(charges.order) if charges is not None else None,
            ),
        )
        for debt in plan.debts:
            if (
                conn.execute(
                    "SELECT 1 FROM invoice WHERE tenant = ? AND id = ?", (plan.tenant, debt.invoice_id)
                ).fetchone()
                is None
            ):
                raise UnknownReferenceError(plan.record, "invoice_id", f"unknown invoice {debt.invoice_id!r}")
            conn.execute(
                "INSERT INTO plan_debt (tenant, plan_id, version, invoice_id, open_minor) VALUES (?, ?, ?, ?, ?)",
                (plan.tenant, plan.id, plan.version, debt.invoice_id, debt.open.to_minor()),
            )
        for inst in plan.instalments:
            conn.execute(
                "INSERT INTO plan_instalment (tenant, plan_id, version, number, kind, due_date, "
                "amount_minor, principal_minor, interest_minor, with_charges_minor) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    plan.tenant,
                    plan.id,
                    plan.version,
                    inst.number,
                    inst.kind.value,
                    inst.due_date.isoformat(),
                    inst.amount.to_minor(),
                    inst.principal.to_minor(),
                    inst.interest.to_minor(),
                    inst.amount_with_charges.to_minor() if inst.amount_with_charges is not None else None,
                ),
            )

    def load_plan(self, tenant: str, plan_id: str, version: int | None = None) -> PaymentPlan | None:
        """One plan version (the latest when *version* is ``None``), or ``None``."""
        if version is None:
            row = self.store.conn.execute(
                f"SELECT {_PLAN_COLS} FROM payment_plan WHERE tenant = ? AND id = ? ORDER BY version DESC LIMIT 1",
                (tenant, plan_id),
            ).fetchone()
        else:
            row = self.store.conn.execute(
                f"SELECT {_PLAN_COLS} FROM payment_plan WHERE tenant = ? AND id = ? AND version = ?",
                (tenant, plan_id, version),
            ).fetchone()
        return self._plan_from_row(row) if row else None

    def plan_versions(self, tenant: str, plan_id: str) -> list[PaymentPlan]:
        """Every version of a plan, oldest first (the renegotiation history)."""
        rows = self.store.conn.execute(
            f"SELECT {_PLAN_COLS} FROM payment_plan WHERE tenant = ? AND id = ? ORDER BY version",
            (tenant, plan_id),
        ).fetchall()
        return [self._plan_from_row(r) for r in rows]

    def iter_plans(
        self, tenant: str, *, debtor_id: str | None = None, states: Iterable[PlanState | str] | None = None
    ) -> Iterator[PaymentPlan]:
        """Plan versions of the tenant (of one debtor), optionally only in *states*, by debtor and id.

        With ``states=("accepted", "active")`` this is what the ladder needs: the plans in
        good standing to follow instead of the invoices' due dates.
        """
        sql = f"SELECT {_PLAN_COLS} FROM payment_plan WHERE tenant = ?"
        args: list[Any] = [tenant]
        if debtor_id is not None:
            sql += " AND debtor_id = ?"
            args.append(debtor_id)
        wanted = [PlanState(s).value for s in states] if states is not None else None
        if wanted is not None:
            sql += f" AND state IN ({', '.join('?' * len(wanted))})"
            args.extend(wanted)
        for row in self.store.conn.execute(sql + " ORDER BY debtor_id, id, version", args).fetchall():
            yield self._plan_from_row(row)

    def _plan_from_row(self, r: Sequence[Any]) -> PaymentPlan:
        tenant, ident, version, currency = r[0], r[1], r[2], r[4]
        key = (tenant, ident, version)
        down: DownPayment | None = None
        if r[10] is not None:
            down = DownPayment.of_amount(Money.from_minor(r[10], currency))
        elif r[11] is not None:
            down = DownPayment.of_percent(r[11])
        terms = PlanTerms(
            instalments=r[7],
            frequency=r[8],
            start=_date(r[9]),
            down_payment=down,
            annual_rate=Decimal(r[12]),
            method=r[13],
            grace_days=r[14],
        )
        conn = self.store.conn
        debts = tuple(
            PlanDebt(inv, Money.from_minor(minor, currency))
            for inv, minor in conn.execute(
                "SELECT invoice_id, open_minor FROM plan_debt "
                "WHERE tenant = ? AND plan_id = ? AND version = ? ORDER BY rowid",
                key,
            )
        )
        instalments = tuple(
            Instalment(
                number=n,
                kind=InstalmentKind(kind),
                due_date=_date(due),
                amount=Money.from_minor(amount, currency),
                principal=Money.from_minor(principal, currency),
                interest=Money.from_minor(interest, currency),
                amount_with_charges=Money.from_minor(charged, currency) if charged is not None else None,
            )
            for n, kind, due, amount, principal, interest, charged in conn.execute(
                "SELECT number, kind, due_date, amount_minor, principal_minor, interest_minor, "
                "with_charges_minor FROM plan_instalment "
                "WHERE tenant = ? AND plan_id = ? AND version = ? ORDER BY number",
                key,
            )
        )
        events = tuple(
            PlanEvent(_date(on), kind, PlanState(src) if src else None, PlanState(dst), note)
            for on, kind, src, dst, note in conn.execute(
                "SELECT on_date, kind, from_state, to_state, note FROM plan_event "
                "WHERE tenant = ? AND plan_id = ? AND version = ? ORDER BY seq",
                key,
            )
        )
        return PaymentPlan(
            id=ident,
            tenant=tenant,
            version=version,
            debtor_id=r[3],
            currency=currency,
            state=PlanState(r[5]),
            created_on=_date(r[6]),
            debts=debts,
            terms=terms,
            instalments=instalments,
            late_charges=Money.from_minor(r[15], currency) if r[15] is not None else None,
            previous_version=r[16],
            events=events,
            charges=_charges_from_row(r, currency),
        )

    # -- promises --------------------------------------------------------------------------
    def save_promise(self, promise: Promise) -> None:
        """Insert a promise (an identical one already stored is left alone).

        Raises:
            UnknownReferenceError: an unknown debtor.
            ConflictError: a different promise already has this id.
        """
        row = (
            promise.tenant,
            promise.id,
            promise.debtor_id,
            promise.promised_date.isoformat(),
            promise.amount.currency,
            promise.amount.to_minor(),
            promise.created_on.isoformat(),
            promise.channel,
            promise.note,
        )
        with self.store.transaction() as conn:
            if (
                conn.execute(
                    "SELECT 1 FROM debtor WHERE tenant = ? AND id = ?", (promise.tenant, promise.debtor_id)
                ).fetchone()
                is None
            ):
                raise UnknownReferenceError(promise.record, "debtor_id", f"unknown debtor {promise.debtor_id!r}")
            existing = conn.execute(
                f"SELECT {_PROMISE_COLS} FROM promise WHERE tenant = ? AND id = ?",
                (promise.tenant, promise.id),
            ).fetchone()
            if existing is not None:
                if tuple(existing) != row:
                    raise ConflictError(f"{promise.record} already exists with different values")
                return
            conn.execute(f"INSERT INTO promise ({_PROMISE_COLS}) VALUES ({', '.join('?' * 9)})", row)

    def load_promise(self, tenant: str, promise_id: str) -> Promise | None:
        """One promise, or ``None``."""
        row = self.store.conn.execute(
            f"SELECT {_PROMISE_COLS} FROM promise WHERE tenant = ? AND id = ?",
            (tenant, promise_id),
        ).fetchone()
        return _promise_from_row(row) if row else None

    def iter_promises(self, tenant: str, debtor_id: str | None = None) -> Iterator[Promise]:
        """The tenant's promises (of one debtor), by debtor, promised date and id."""
        sql = f"SELECT {_PROMISE_COLS} FROM promise WHERE tenant = ?"
        args: list[Any] = [tenant]
        if debtor_id is not None:
            sql += " AND debtor_id = ?"
            args.append(debtor_id)
        for row in self.store.conn.execute(sql + " ORDER BY debtor_id, promised_date, id", args).fetchall():
            yield _promise_from_row(row)

    # -- settlements and rewards -------------------------------------------------------------
    def save_settlement(self, settlement: Settlement) -> None:
        """Insert a settlement offer.

        Raises:
            UnknownReferenceError: an unknown debtor.
            ConflictError: the id is taken.
        """
        row = (
            settlement.tenant,
            settlement.id,
            settlement.debtor_id,
            settlement.balance.currency,
            settlement.balance.to_minor(),
            settlement.amount.to_minor(),
            settlement.floor.to_minor(),
            settlement.pay_by.isoformat(),
            settlement.created_on.isoformat(),
            json.dumps(list(settlement.invoice_ids)),
            settlement.note,
        )
        with self.store.transaction() as conn:
            self._require_debtor(conn, settlement.tenant, settlement.debtor_id, settlement.record)
            if conn.execute(
                "SELECT 1 FROM settlement WHERE tenant = ? AND id = ?", (settlement.tenant, settlement.id)
            ).fetchone():
                raise ConflictError(f"{settlement.record} already exists")
            conn.execute(f"INSERT INTO settlement ({_SETTLEMENT_COLS}) VALUES ({', '.join('?' * 11)})", row)

    def iter_settlements(
        self, tenant: str, debtor_id: str | None = None, *, states: Iterable[SettlementState | str] | None = None
    ) -> Iterator[Settlement]:
        """The tenant's settlement offers (of one debtor), optionally only those in *states*."""
        sql = f"SELECT {_SETTLEMENT_COLS} FROM settlement WHERE tenant = ?"
        args: list[Any] = [tenant]
        if debtor_id is not None:
            sql += " AND debtor_id = ?"
            args.append(debtor_id)
        wanted = [SettlementState(s).value for s in states] if states is not None else None
        if wanted is not None:
            sql += f" AND state IN ({', '.join('?' * len(wanted))})"
            args.extend(wanted)
        for r in self.store.conn.execute(sql + " ORDER BY debtor_id, id", args).fetchall():
            yield _settlement_from_row(r)

    def load_settlement(self, tenant: str, settlement_id: str) -> Settlement | None:
        """One settlement offer, or ``None``."""
        row = self.store.conn.execute(
            f"SELECT {_SETTLEMENT_COLS} FROM settlement WHERE tenant = ? AND id = ?", (tenant, settlement_id)
        ).fetchone()
        return _settlement_from_row(row) if row else None

    def settlement_state(self, tenant: str, settlement_id: str) -> tuple[SettlementState, dt.date | None] | None:
        """Where a saved settlement stands — ``(state, the day it was honoured or lapsed)`` —
        as :func:`cobrokit.store.settlements.refresh_settlements` last recorded it; ``None``
        for an unknown id. A settlement no run has evaluated yet is ``(OPEN, None)``."""
        row = self.store.conn.execute(
            "SELECT state, closed_on FROM settlement WHERE tenant = ? AND id = ?", (tenant, settlement_id)
        ).fetchone()
        if row is None:
            return None
        return SettlementState(row[0]), _date(row[1]) if row[1] else None

    def record_settlement_state(
        self, settlement: Settlement, state: SettlementState, on: dt.date, *, note: str = ""
    ) -> bool:
        """Record that *settlement* was honoured or lapsed on *on*; returns ``False`` when the
        stored state already says so (idempotent).

        A state only moves forward: open → honoured or lapsed, and lapsed → honoured (a payment
        dated by the deadline that reached the ledger late). Any other move is refused.

        Raises:
            UnknownReferenceError: no such settlement.
            ConflictError: a move backwards (e.g. honoured → lapsed).
        """
        with self.store.transaction() as conn:
            row = conn.execute(
                "SELECT state, closed_on FROM settlement WHERE tenant = ? AND id = ?",
                (settlement.tenant, settlement.id),
            ).fetchone()
            if row is None:
                raise UnknownReferenceError(settlement.record, "id", f"no settlement {settlement.id!r}")
            current = SettlementState(row[0])
            if current is state and row[1] == on.isoformat():
                return False
            allowed = {
                SettlementState.OPEN: {SettlementState.HONOURED, SettlementState.LAPSED},
                SettlementState.LAPSED: {SettlementState.HONOURED},
            }
            if state not in allowed.get(current, set()):
                raise ConflictError(f"{settlement.record} is {current.value}; it cannot become {state.value}")
            conn.execute(
                "UPDATE settlement SET state = ?, closed_on = ?, state_note = ? WHERE tenant = ? AND id = ?",
                (state.value, on.isoformat(), note, settlement.tenant, settlement.id),
            )
            return True

    def save_reward(self, reward: Reward) -> bool:
        """Insert a reward; returns ``False`` when the same code was already granted (idempotent)."""
        with self.store.transaction() as conn:
            self._require_debtor(conn, reward.tenant, reward.debtor_id, f"reward {reward.code}")
            if conn.execute(
                "SELECT 1 FROM reward WHERE tenant = ? AND code = ?", (reward.tenant, reward.code)
            ).fetchone():
                return False
            conn.execute(
                f"INSERT INTO reward ({_REWARD_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    reward.tenant,
                    reward.code,
                    reward.debtor_id,
                    _dec(reward.percent),
                    reward.granted_on.isoformat(),
                    reward.expires_on.isoformat(),
                    reward.reason,
                ),
            )
            return True

    def load_reward(self, tenant: str, code: str) -> Reward | None:
        """One reward by its code, or ``None``."""
        row = self.store.conn.execute(
            f"SELECT {_REWARD_COLS} FROM reward WHERE tenant = ? AND code = ?", (tenant, code)
        ).fetchone()
        return _reward_from_row(row) if row else None

    def iter_rewards(self, tenant: str, debtor_id: str | None = None) -> Iterator[Reward]:
        """The tenant's rewards (of one debtor)."""
        sql = f"SELECT {_REWARD_COLS} FROM reward WHERE tenant = ?"
        args: list[Any] = [tenant]
        if debtor_id is not None:
            sql += " AND debtor_id = ?"
            args.append(debtor_id)
        for r in self.store.conn.execute(sql + " ORDER BY debtor_id, granted_on, code", args).fetchall():
            yield _reward_from_row(r)

    # -- counts ----------------------------------------------------------------------------
    def counts(self, tenant: str) -> dict[str, int]:
        """Rows per table for *tenant* (used by tests to show that bad input changed nothing)."""
        tables = (
            "payment_plan",
            "plan_debt",
            "plan_instalment",
            "plan_event",
            "promise",
            "settlement",
            "reward",
        )
        return {
            t: int(self.store.conn.execute(f"SELECT COUNT(*) FROM {t} WHERE tenant = ?", (tenant,)).fetchone()[0])
            for t in tables
        }

    @staticmethod
    def _require_debtor(conn: sqlite3.Connection, tenant: str, debtor_id: str, record: str) -> None:
        if conn.execute("SELECT 1 FROM debtor WHERE tenant = ? AND id = ?", (tenant, debtor_id)).fetchone() is None:
            raise UnknownReferenceError(record, "debtor_id", f"unknown debtor {debtor_id!r}")


def _charges_from_row(r: Sequence[Any], currency: str) -> LateCharges | None:
    interest, compensation, fees, regime, order = r[17:22]
    if interest is None or compensation is None or fees is None:
        return None
    return LateCharges(
        interest=Money.from_minor(interest, currency),
        compensation=Money.from_minor(compensation, currency),
        fees=Money.from_minor(fees, currency),
        regime=regime or "",
        order=order or DEFAULT_ORDER,
    )


def _settlement_from_row(r: Sequence[Any]) -> Settlement:
    cur = r[3]
    return Settlement(
        id=r[1],
        tenant=r[0],
        debtor_id=r[2],
        balance=Money.from_minor(r[4], cur),
        amount=Money.from_minor(r[5], cur),
        floor=Money.from_minor(r[6], cur),
        pay_by=_date(r[7]),
        created_on=_date(r[8]),
        invoice_ids=tuple(json.loads(r[9])),
        note=r[10],
    )


def _reward_from_row(r: Sequence[Any]) -> Reward:
    return Reward(
        code=r[1],
        tenant=r[0],
        debtor_id=r[2],
        percent=Decimal(r[3]),
        granted_on=_date(r[4]),
        expires_on=_date(r[5]),
        reason=r[6],
    )


def _promise_from_row(r: Sequence[Any]) -> Promise:
    return Promise(
        tenant=r[0],
        id=r[1],
        debtor_id=r[2],
        promised_date=_date(r[3]),
        amount=Money.from_minor(r[5], r[4]),
        created_on=_date(r[6]),
        channel=r[7],
        note=r[8],
    )


# -- operations over the store (what the CLI commands call) ---------------------------------

_BINDING = (PlanState.ACCEPTED, PlanState.ACTIVE, PlanState.BREACHED)
"""States in which a plan still holds its invoices (a new plan must renegotiate it)."""


def debtor_calendar(store: SQLiteStore, tenant: str, debtor_id: str) -> BusinessCalendar:
    """The business calendar of the debtor's country and region (weekends only when unknown).

    Raises:
        UnknownReferenceError: no such debtor.
    """
    debtor = store.get_debtor(tenant, debtor_id)
    if debtor is None:
        raise UnknownReferenceError(f"debtor {debtor_id}", "id", f"no debtor {debtor_id!r} for tenant {tenant!r}")
    return calendar_for(debtor.country or debtor.address.country, debtor.address.region)


def open_debts(
    store: SQLiteStore,
    tenant: str,
    debtor_id: str,
    as_of: dt.date,
    *,
    currency: str | None = None,
    invoice_ids: Sequence[str] = (),
) -> list[PlanDebt]:
    """The debtor's open invoices as of *as_of* as :class:`~cobrokit.plans.PlanDebt` rows.

    With *invoice_ids*, exactly those invoices (each must be open; a disputed one is kept,
    flagged, so that :func:`~cobrokit.plans.propose_plan` refuses it by name). Without,
    every open undisputed invoice. One currency: *currency*, or the only one the debtor
    owes in.

    Raises:
        UnknownReferenceError: unknown debtor, or an invoice id that is not the debtor's.
        CurrencyMismatchError: the debtor owes in several currencies and none was chosen.
        ValidationError: nothing open (or only disputed invoices, naming them).
    """
    record = f"debtor {debtor_id}"
    if store.get_debtor(tenant, debtor_id) is None:
        raise UnknownReferenceError(record, "id", f"no debtor {debtor_id!r} for tenant {tenant!r}")
    disputed = {i.id for i in store.iter_invoices(tenant, debtor_id) if i.disputed}
    mine = {i.id for i in store.iter_invoices(tenant, debtor_id)}
    items = [i for i in store.open_items(tenant, as_of, debtor_id=debtor_id) if i.open_minor > 0]
    if invoice_ids:
        by_id = {i.invoice_id: i for i in items}
        chosen = []
        for ident in invoice_ids:
            if ident not in mine:
                raise UnknownReferenceError(record, "invoice", f"{ident!r} is not an invoice of this debtor")
            if ident not in by_id:
                raise ValidationError(f"invoice {ident}", "open", f"has nothing open as of {as_of.isoformat()}")
            chosen.append(by_id[ident])
        items = chosen
    else:
        undisputed = [i for i in items if i.invoice_id not in disputed]
        if items and not undisputed:
            names = ", ".join(sorted(i.invoice_id for i in items))
            raise ValidationError(
                record, "invoices", f"every open invoice is disputed ({names}); resolve the dispute first"
            )
        items = undisputed
    if currency is not None:
        items = [i for i in items if i.currency == currency]
    if not items:
        suffix = f" in {currency}" if currency else ""
        raise ValidationError(record, "balance", f"owes nothing{suffix} as of {as_of.isoformat()}")
    currencies = sorted({i.currency for i in items})
    if len(currencies) > 1:
        raise CurrencyMismatchError(
            record,
            "currency",
            f"owes in several currencies ({', '.join(currencies)}); choose one (--currency)",
        )
    return [
        PlanDebt(i.invoice_id, Money.from_minor(i.open_minor, i.currency), disputed=i.invoice_id in disputed)
        for i in items
    ]


def _check_not_planned(repo: PlanRepository, tenant: str, debtor_id: str, debts: Sequence[PlanDebt]) -> None:
    wanted = {d.invoice_id for d in debts}
    for plan in repo.iter_plans(tenant, debtor_id=debtor_id, states=_BINDING):
        taken = wanted.intersection(plan.invoice_ids)
        if taken:
            raise ConflictError(
                f"invoice {sorted(taken)[0]} is already in {plan.record} ({plan.state.value}); "
                f"renegotiate that plan instead"
            )


def propose_for_debtor(
    store: SQLiteStore,
    *,
    tenant: str,
    debtor_id: str,
    terms: PlanTerms | None = None,
    today: dt.date,
    make_terms: Callable[[str], PlanTerms] | None = None,
    currency: str | None = None,
    invoice_ids: Sequence[str] = (),
    late_charges: Callable[[Sequence[PlanDebt]], Money | LateCharges | None] | None = None,
    save: bool = True,
    note: str = "",
) -> PaymentPlan:
    """Propose a plan for a debtor's open invoices as of *today*, and save it (``proposed``).

    The balance is the open principal of the debtor's undisputed open invoices (or of
    *invoice_ids*) as of *today*, in one currency. Dates roll to the debtor's business days.
    Give *terms*, or *make_terms* — called with the currency — when the terms depend on it
    (a down payment amount). *late_charges*, when given, is called with the debts and returns
    the late-payment interest + compensation + fees to show each instalment with them
    (:func:`late_charges_for` gives one, itemised).

    Everything happens in one transaction: on any error nothing is written.

    Raises:
        ValidationError: (or a subclass) for bad input, naming the field.
        ConflictError: an invoice is already in an accepted, active or breached plan.
    """
    repo = PlanRepository(store)
    with store.transaction():
        debts = open_debts(store, tenant, debtor_id, today, currency=currency, invoice_ids=invoice_ids)
        chosen = _terms(terms, make_terms, debts[0].open.currency)
        _check_not_planned(repo, tenant, debtor_id, debts)
        plan = propose_plan(
            plan_id=repo.next_plan_id(tenant),
            tenant=tenant,
            debtor_id=debtor_id,
            debts=debts,
            terms=chosen,
            today=today,
            calendar=debtor_calendar(store, tenant, debtor_id),
            late_charges=late_charges(debts) if late_charges is not None else None,
            note=note,
        )
        if save:
            repo.save_plan(plan)
    return plan


def _terms(terms: PlanTerms | None, make_terms: Callable[[str], PlanTerms] | None, currency: str) -> PlanTerms:
    if terms is not None:
        return terms
    if make_terms is None:
        raise ValidationError("plan", "terms", "give the plan terms")
    return make_terms(currency)


def _require_plan(repo: PlanRepository, tenant: str, plan_id: str) -> PaymentPlan:
    plan = repo.load_plan(tenant, plan_id)
    if plan is None:
        raise UnknownReferenceError(f"plan {plan_id}", "id", f"no plan {plan_id!r} for tenant {tenant!r}")
    return plan


def accept_plan(store: SQLiteStore, *, tenant: str, plan_id: str, on: dt.date, note: str = "") -> PaymentPlan:
    """The debtor accepted the latest version of *plan_id* on *on*; saved.

    Raises:
        UnknownReferenceError: no such plan.
        PlanStateError: the plan is not proposed, or the proposal lapsed.
        ValidationError: one of its invoices was disputed after the proposal (naming the
            plan, field ``invoices``, and the invoice); nothing is saved.
        ConflictError: another plan already binds one of its invoices.
    """
    repo = PlanRepository(store)
    with store.transaction():
        plan = _require_plan(repo, tenant, plan_id)
        for invoice_id in plan.invoice_ids:
            invoice = store.get_invoice(tenant, invoice_id)
            if invoice is not None and invoice.disputed:
                raise ValidationError(
                    plan.record,
                    "invoices",
                    f"invoice {invoice_id} is disputed (since the proposal); resolve the dispute, "
                    "or cancel the plan and propose one without it",
                )
        others = [p for p in repo.iter_plans(tenant, debtor_id=plan.debtor_id, states=_BINDING) if p.id != plan.id]
        for other in others:
            taken = set(plan.invoice_ids).intersection(other.invoice_ids)
            if taken:
                raise ConflictError(f"invoice {sorted(taken)[0]} is already in {other.record} ({other.state.value})")
        accepted = accept(plan, on, note=note)
        repo.save_plan(accepted)
    return accepted


def cancel_plan(store: SQLiteStore, *, tenant: str, plan_id: str, on: dt.date, reason: str = "") -> PaymentPlan:
    """Cancel the latest version of *plan_id* on *on*; saved.

    Raises:
        UnknownReferenceError: no such plan.
        PlanStateError: the plan is already completed, cancelled or renegotiated.
    """
    repo = PlanRepository(store)
    with store.transaction():
        cancelled = cancel(_require_plan(repo, tenant, plan_id), on, reason=reason)
        repo.save_plan(cancelled)
    return cancelled


def renegotiate_plan(
    store: SQLiteStore,
    *,
    tenant: str,
    plan_id: str,
    today: dt.date,
    terms: PlanTerms | None = None,
    make_terms: Callable[[str], PlanTerms] | None = None,
    late_charges: Callable[[Sequence[PlanDebt]], Money | LateCharges | None] | None = None,
    save: bool = True,
    note: str = "",
) -> tuple[PaymentPlan, PaymentPlan]:
    """Replace the latest version of *plan_id* with a new version on new terms; both saved.

    The new version covers what is still open, as of *today*, of the old version's
    invoices, less any payments made on account (not allocated to an invoice) since the plan's
    first version — applied to the invoices in order. Returns ``(old, new)``.

    Raises:
        UnknownReferenceError: no such plan.
        PlanStateError: the plan cannot be renegotiated (completed, cancelled…).
        ValidationError: bad terms, or nothing left open.
    """
    repo = PlanRepository(store)
    with store.transaction():
        old = _require_plan(repo, tenant, plan_id)
        still_open = {
            i.invoice_id for i in store.open_items(tenant, today, debtor_id=old.debtor_id) if i.open_minor > 0
        }
        ids = [i for i in old.invoice_ids if i in still_open]
        if not ids:
            raise ValidationError(old.record, "balance", f"nothing is open any more as of {today.isoformat()}")
        debts = open_debts(store, tenant, old.debtor_id, today, currency=old.currency, invoice_ids=ids)
        first = repo.plan_versions(tenant, plan_id)[0]
        debts = _less_on_account(debts, _on_account_receipts(store, old, first.created_on, today))
        if not debts:
            raise ValidationError(old.record, "balance", f"nothing is owed any more as of {today.isoformat()}")
        old_after, new = renegotiate(
            old,
            debts=debts,
            terms=_terms(terms, make_terms, old.currency),
            today=today,
            calendar=debtor_calendar(store, tenant, old.debtor_id),
            late_charges=late_charges(debts) if late_charges is not None else None,
            note=note,
        )
        if save:
            repo.save_plan(old_after, new)
    return old_after, new


def _on_account_receipts(store: SQLiteStore, plan: PaymentPlan, since: dt.date, as_of: dt.date) -> Money:
    """Unallocated money the debtor paid after *since* (the plan's first version) up to *as_of*:
    it counted towards the plan, but the ledger's open items do not see it."""
    total = Money.zero(plan.currency)
    for payment in store.iter_payments(plan.tenant, plan.debtor_id):
        if payment.amount.currency == plan.currency and since < payment.date <= as_of:
            total = total + payment.on_account
    return total


def _less_on_account(debts: Sequence[PlanDebt], paid: Money) -> list[PlanDebt]:
    """Apply *paid* to *debts* in order; drop the ones fully covered."""
    left = paid
    result: list[PlanDebt] = []
    for debt in debts:
        covered = debt.open if left >= debt.open else left
        left = left - covered
        rest = debt.open - covered
        if rest.amount > 0:
            result.append(PlanDebt(debt.invoice_id, rest, debt.disputed))
    return result


def plan_status(store: SQLiteStore, plan: PaymentPlan, as_of: dt.date) -> PlanStatus:
    """Evaluate *plan* against the debtor's payments in the ledger as of *as_of* (read-only)."""
    return evaluate_plan(plan, store.iter_payments(plan.tenant, plan.debtor_id), as_of)


def refresh_plan(
    store: SQLiteStore, *, tenant: str, plan_id: str, as_of: dt.date, note: str = ""
) -> tuple[PaymentPlan, PlanStatus]:
    """Evaluate the latest version of *plan_id* as of *as_of* and save the transitions it
    shows (activated, breached, completed), dated when they happened, with *note*.

    For one plan (the CLI, tests); the dunning run refreshes every live plan of a tenant
    with :func:`refresh_plans`. Nothing is saved when the plan's last recorded event is
    after *as_of* (an evaluation of the past never rewrites a later history).
    """
    repo = PlanRepository(store)
    with store.transaction():
        plan = _require_plan(repo, tenant, plan_id)
        status = plan_status(store, plan, as_of)
        if plan.events and plan.events[-1].on > as_of:
            return plan, status
        updated = apply_status(plan, status, note=note)
        if updated is not plan:
            repo.save_plan(updated)
    return updated, status


@attrs.frozen(slots=True)
class PlanChange:
    """One lifecycle transition :func:`refresh_plans` saved (one new ``plan_event`` row)."""

    tenant: str
    plan_id: str
    version: int
    debtor_id: str
    on: dt.date
    """When it happened (not when it was noticed)."""
    kind: str
    """``activated``, ``breached`` or ``completed``."""
    from_state: PlanState
    to_state: PlanState


_REFRESHED = ("accepted", "active", "breached")
"""Plan states an evaluation can move on (a breached plan can still be completed)."""


def refresh_plans(store: SQLiteStore, tenant: str, as_of: dt.date, *, now: dt.datetime) -> list[PlanChange]:
    """Save the lifecycle transitions of every live plan of *tenant* as of *as_of*.

    Each accepted, active or breached plan version made on or before *as_of* is evaluated
    against the ledger (:func:`plan_status`); each transition the evaluation shows —
    ``activated``, ``breached``, ``completed`` — is appended to the plan's history as a
    ``plan_event`` dated when it happened (the first due date or payment, the day after the
    missed grace, the day the last cent arrived) and the plan's state is updated. *now*
    (when the caller noticed) goes in each event's note.

    Idempotent: calling it again for the same date — or an earlier one — adds nothing, since
    a recorded state only moves forward and a plan whose last event is after *as_of* is left
    alone. The dunning run calls it before deciding; with no live plan it costs one indexed
    query (``payment_plan_by_state``) and takes no write lock. All the changes of one call
    are saved in one transaction.

    Returns:
        the transitions saved, by debtor, plan and date (empty when nothing changed).

    Raises:
        ConflictError: a stored history changed under the call (another writer).
    """
    day = as_of.isoformat()
    live = store.conn.execute(
        f"SELECT debtor_id, id, version FROM payment_plan WHERE tenant = ? "
        f"AND state IN ({', '.join('?' * len(_REFRESHED))}) AND created_on <= ?",
        (tenant, *_REFRESHED, day),
    ).fetchall()
    if not live:
        return []
    live.sort()  # by debtor, plan, version (sorted here so that SQLite keeps to the state index)
    note = f"evaluated as of {day} (recorded {now.isoformat(timespec='seconds')})"
    repo = PlanRepository(store)
    changes: list[PlanChange] = []
    payments: dict[str, list[Payment]] = {}
    with store.transaction():
        for _debtor_id, plan_id, version in live:
            plan = repo.load_plan(tenant, plan_id, version)
            if plan is None or plan.state.value not in _REFRESHED:
                continue  # changed since the first read
            if plan.events and plan.events[-1].on > as_of:
                continue
            if plan.debtor_id not in payments:
                payments[plan.debtor_id] = list(store.iter_payments(tenant, plan.debtor_id))
            updated = apply_status(plan, evaluate_plan(plan, payments[plan.debtor_id], as_of), note=note)
            if updated is plan:
                continue
            repo.save_plan(updated)
            changes.extend(
                PlanChange(
                    tenant, plan.id, plan.version, plan.debtor_id, e.on, e.kind, e.from_state or plan.state, e.to_state
                )
                for e in updated.events[len(plan.events) :]
            )
    return changes


def offer_settlement(
    store: SQLiteStore,
    *,
    tenant: str,
    debtor_id: str,
    today: dt.date,
    pay_by: dt.date,
    floor: SettlementFloor | str,
    amount: Money | str | None = None,
    discount_percent: object = None,
    currency: str | None = None,
    invoice_ids: Sequence[str] = (),
    save: bool = True,
    note: str = "",
) -> Settlement:
    """Offer the debtor a *quita*: settle the open balance for a lump sum paid by *pay_by*; saved.

    The balance is what :func:`open_debts` gives as of *today* (the undisputed open
    invoices, or *invoice_ids*, in one currency). Give the lump *amount* or a
    *discount_percent* off the balance; *floor* is the least the creditor accepts — a
    :class:`~cobrokit.settlements.SettlementFloor`, or text: ``"700.00"`` (an amount) or
    ``"70%"`` (of the balance). Amount strings are read in the balance's currency. One
    transaction: on any error nothing is written. The id is the next ``SETT-00001``….

    Raises:
        SettlementBelowFloorError: the lump sum is below the floor (naming both).
        InvalidAmountError, DateOrderError, ValidationError: as
            :func:`~cobrokit.settlements.propose_settlement`, or a bad amount or floor text.
        UnknownReferenceError, CurrencyMismatchError: as :func:`open_debts`.
    """
    repo = PlanRepository(store)
    with store.transaction():
        debts = open_debts(store, tenant, debtor_id, today, currency=currency, invoice_ids=invoice_ids)
        for debt in debts:
            if debt.disputed:
                raise ValidationError(
                    f"invoice {debt.invoice_id}", "disputed", "is disputed; resolve the dispute before settling it"
                )
        code = debts[0].open.currency
        balance = Money.total((d.open for d in debts), code)
        if isinstance(amount, str):
            amount = Money(parse_amount(amount, code, record="settlement", field="amount"), code)
        offer = propose_settlement(
            settlement_id=repo.next_settlement_id(tenant),
            tenant=tenant,
            debtor_id=debtor_id,
            balance=balance,
            pay_by=pay_by,
            today=today,
            floor=floor if isinstance(floor, SettlementFloor) else parse_floor(floor, code),
            amount=amount,
            discount_percent=discount_percent,
            invoice_ids=[d.invoice_id for d in debts],
            note=note,
        )
        if save:
            repo.save_settlement(offer)
    return offer


def parse_floor(text: str, currency: str) -> SettlementFloor:
    """A settlement floor from text: ``"700.00"`` (an amount in *currency*) or ``"70%"`` (of the balance).

    Raises:
        InvalidAmountError: naming the ``floor`` field.
    """
    value = text.strip()
    if value.endswith("%"):
        return SettlementFloor(percent=value[:-1].strip())
    return SettlementFloor(minimum=Money(parse_amount(value, currency, record="settlement", field="floor"), currency))


def add_promise(
    store: SQLiteStore,
    *,
    tenant: str,
    debtor_id: str,
    promised_date: dt.date,
    amount: str | Money,
    today: dt.date,
    currency: str | None = None,
    channel: str = "",
    note: str = "",
) -> Promise:
    """Record a promise to pay made *today*; saved with the next free id (``PROM-00001``…).

    *amount* may be a string; its currency is *currency* or, if omitted, the only currency
    the debtor has open invoices in. The amount may not exceed what the debtor owes in that
    currency as of *today*: the open principal of its invoices (disputed and not yet due
    ones included) plus the dunning fees of its current cycle (:func:`current_cycle_fees`).

    Raises:
        UnknownReferenceError: no such debtor.
        CurrencyMismatchError: no currency given and the debtor owes in none or several; a
            currency the debtor owes nothing in (field ``currency``).
        InvalidAmountError: a bad amount, or one above what the debtor owes (field ``amount``).
        DateOrderError: a promised date in the past.
    """
    repo = PlanRepository(store)
    record = f"debtor {debtor_id}"
    with store.transaction():
        if store.get_debtor(tenant, debtor_id) is None:
            raise UnknownReferenceError(record, "id", f"no debtor {debtor_id!r} for tenant {tenant!r}")
        if isinstance(amount, Money):
            money = amount
        else:
            cur = currency or _only_currency(store, tenant, debtor_id, today)
            money = Money(parse_amount(amount, cur, record="promise", field="amount"), cur)
        owed = _owed(store, tenant, debtor_id, money.currency, today)
        if owed.is_zero():
            found = ", ".join(_open_currencies(store, tenant, debtor_id, today)) or "none"
            raise CurrencyMismatchError(
                record,
                "currency",
                f"owes nothing in {money.currency} as of {today.isoformat()} (open invoices in: {found})",
            )
        if money > owed:
            raise InvalidAmountError(
                record,
                "amount",
                f"a promise of {money} is more than the debtor owes in {money.currency} as of "
                f"{today.isoformat()} ({owed})",
            )
        promise = make_promise(
            promise_id=repo.next_promise_id(tenant),
            tenant=tenant,
            debtor_id=debtor_id,
            promised_date=promised_date,
            amount=money,
            today=today,
            channel=channel,
            note=note,
        )
        repo.save_promise(promise)
    return promise


def _open_currencies(store: SQLiteStore, tenant: str, debtor_id: str, as_of: dt.date) -> list[str]:
    return sorted({i.currency for i in store.open_items(tenant, as_of, debtor_id=debtor_id) if i.open_minor > 0})


def _owed(store: SQLiteStore, tenant: str, debtor_id: str, currency: str, as_of: dt.date) -> Money:
    """Open principal of the debtor's invoices in *currency* plus its current cycle's fees, as of *as_of*."""
    principal = sum(
        i.open_minor for i in store.open_items(tenant, as_of, debtor_id=debtor_id) if i.currency == currency
    )
    if principal == 0:
        return Money.zero(currency)
    return Money.from_minor(principal, currency) + current_cycle_fees(store, tenant, debtor_id, currency, as_of)


def _only_currency(store: SQLiteStore, tenant: str, debtor_id: str, as_of: dt.date) -> str:
    currencies = _open_currencies(store, tenant, debtor_id, as_of)
    if len(currencies) != 1:
        found = ", ".join(currencies) if currencies else "none"
        raise CurrencyMismatchError(
            f"debtor {debtor_id}",
            "currency",
            f"cannot tell the currency (open invoices in: {found}); give --currency",
        )
    return currencies[0]


def promise_statuses(
    store: SQLiteStore,
    *,
    tenant: str,
    as_of: dt.date,
    debtor_id: str | None = None,
    grace_days: int = DEFAULT_PROMISE_GRACE_DAYS,
) -> list[PromiseStatus]:
    """Every promise of the tenant (of one debtor) evaluated as of *as_of* against the ledger."""
    repo = PlanRepository(store)
    payments: dict[str, list[Any]] = {}
    result = []
    for promise in repo.iter_promises(tenant, debtor_id):
        if promise.debtor_id not in payments:
            payments[promise.debtor_id] = list(store.iter_payments(tenant, promise.debtor_id))
        result.append(evaluate_promise(promise, payments[promise.debtor_id], as_of, grace_days=grace_days))
    return result


def current_cycle_fees(store: SQLiteStore, tenant: str, debtor_id: str, currency: str, as_of: dt.date) -> Money:
    """The dunning fees charged to the debtor in its current cycle in *currency*, up to *as_of*.

    Fees belong to the debtor's dunning cycle (table ``fee``), not to an invoice; a cycle
    closes when the overdue balance is paid, and its fees with it — the same rule as the
    debtor statement. No ladder state yet (the run never saw the debtor): no fees.
    """
    row = store.conn.execute(
        "SELECT COALESCE(SUM(f.amount_minor), 0) FROM fee AS f "
        "JOIN ladder_state AS s ON s.tenant = f.tenant AND s.debtor_id = f.debtor_id AND s.currency = f.currency "
        "WHERE f.tenant = ? AND f.debtor_id = ? AND f.currency = ? AND f.as_of <= ? "
        "AND f.cycle = s.currency || s.cycle AND f.voided_on = ''",
        (tenant, debtor_id, currency, as_of.isoformat()),
    ).fetchone()
    return Money.from_minor(int(row[0]), currency)


def late_charges_for(
    store: SQLiteStore,
    *,
    tenant: str,
    regime: str | Regime | None,
    today: dt.date,
    extra_rates: Mapping[str, Decimal] | None = None,
) -> Callable[[Sequence[PlanDebt]], LateCharges | None]:
    """A *late_charges* function for :func:`propose_for_debtor` and :func:`renegotiate_plan`.

    Called with the planned debts, it returns :class:`~cobrokit.plans.LateCharges` as of
    *today*, itemised:

    * **interest** — for each planned invoice already overdue, the late-payment interest
      still outstanding under *regime* (:func:`cobrokit.store.interest.invoice_interest`,
      the figures notices and statements show);
    * **compensation** — the regime's fixed compensation per late invoice;
    * **fees** — the dunning fees charged in the debtor's current cycle in the plan's
      currency (:func:`current_cycle_fees`).

    The charges carry the regime's allocation order (:func:`cobrokit.allocation.order_for_regime`).
    Without a regime (``None`` or ``""``) only the fees count, and the result is ``None``
    when there are none.

    Raises:
        UnknownRegimeError: *regime* is not a known regime (when the function is called).
        MissingRateError: a period the regime has no published rate for (give *extra_rates*).
    """

    def compute(debts: Sequence[PlanDebt]) -> LateCharges | None:
        # imported here so that the plans store does not load the interest tables at import time
        from cobrokit.interest import get_regime
        from cobrokit.store.interest import invoice_interest

        if not debts:
            return None
        currency = debts[0].open.currency
        chosen = get_regime(regime) if isinstance(regime, str) and regime else regime or None
        zero = Money.zero(currency)
        interest, compensation = zero, zero
        invoices = [inv for inv in (store.get_invoice(tenant, d.invoice_id) for d in debts) if inv is not None]
        if chosen is not None:
            for invoice in invoices:
                result = invoice_interest(store, chosen, invoice, today, extra_rates=extra_rates)
                if result is not None:
                    interest = interest + result.interest_outstanding
                    compensation = compensation + result.compensation
        fees = zero
        for debtor_id in sorted({inv.debtor_id for inv in invoices}):
            fees = fees + current_cycle_fees(store, tenant, debtor_id, currency, today)
        if chosen is None and fees.is_zero():
            return None
        return LateCharges(
            interest=interest.rounded(),
            compensation=compensation.rounded(),
            fees=fees,
            regime=chosen.name if chosen is not None else "",
            order=order_for_regime(chosen) if chosen is not None else DEFAULT_ORDER,
        )

    return compute
