"""The call list is written as of its own date: figures brought up to date from the store,
scripts rendered again (with the configuration), tasks replaced by later ones of the same
cycle or about debts no longer overdue left out, and no call on the debtor's public holidays."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from cobrokit.builtin.calls import CallListChannel, pending_call_tasks, write_call_list
from cobrokit.builtin.email import safe_filename
from cobrokit.calls import CallTask
from cobrokit.dispatch import dispatch
from cobrokit.engine import run_ladder
from cobrokit.ladder.config import default_config
from cobrokit.model import Address, Allocation, Debtor, Payment
from cobrokit.money import Money
from cobrokit.plugins import get_plugin_host
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import make_invoice, recorders

CREATED = dt.date(2025, 8, 1)
LIST_DAY = dt.date(2025, 9, 1)  # a Monday


def add_task(
    folder: Path, debtor: str, *, stage: str = "whats_wrong", cycle: str = "EUR1", created: dt.date = CREATED
) -> CallTask:
    """A task as the call channel wrote it on *created* (figures of that day)."""
    task = CallTask(
        key=f"default/{debtor}/{stage}/{cycle}/call",
        tenant="default",
        debtor_id=debtor,
        debtor_name=f"Cliente {debtor}",
        phone="+34 600 000 000",
        stage=stage,
        script=f"Llamar a {debtor} ({stage})",
        total_due=Money("500.00", "EUR"),
        oldest_days_overdue=27,
        created=created,
    )
    path = folder / "tasks" / safe_filename(task.key, ".json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(task.to_dict()), encoding="utf-8")
    return task


def debtor(ident: str, country: str = "ES", region: str = "") -> Debtor:
    return Debtor(
        id=ident,
        name=f"Cliente {ident}",
        phones=("+34 600 000 000",),
        address=Address(lines=("Calle Mayor 1",), city="Madrid", country=country, region=region),
        locale="es_ES",
        country=country,
    )


@pytest.fixture
def folder(store: SQLiteStore, tmp_path: Path) -> Path:
    """D1 owes 500.00 due 5 Jul 2025 and paid 200.00 on 20 Aug; D2 has two tasks of one
    cycle; D3 owes only an invoice not yet due on 1 Sep; D4 owes in cycle EUR1 with a fee."""
    store.save(
        debtors=[debtor(d) for d in ("D1", "D2", "D3", "D4")],
        invoices=[
            make_invoice("F-D1", "D1", "500.00", issue="2025-06-01", due="2025-07-05"),
            make_invoice("F-D2", "D2", "800.00", issue="2025-06-01", due="2025-07-05"),
            make_invoice("F-D3a", "D3", "500.00", issue="2025-06-01", due="2025-07-05"),
            make_invoice("F-D3b", "D3", "900.00", issue="2025-08-20", due="2025-09-19"),
            make_invoice("F-D4", "D4", "100.00", issue="2025-06-01", due="2025-06-02"),
        ],
    )
    store.save(
        payments=[
            Payment(
                id="P-D1",
                debtor_id="D1",
                date=dt.date(2025, 8, 20),
                amount=Money("200.00", "EUR"),
                allocations=(Allocation("F-D1", Money("200.00", "EUR")),),
            ),
            Payment(
                id="P-D3",
                debtor_id="D3",
                date=dt.date(2025, 8, 25),
                amount=Money("500.00", "EUR"),
                allocations=(Allocation("F-D3a", Money("500.00", "EUR")),),
            ),
        ]
    )
    with store.transaction() as conn:  # the ultimatum's collection fee in D4's cycle
        conn.execute(
            "INSERT INTO fee (key, tenant, debtor_id, stage, cycle, currency, amount_minor, as_of) "
            "VALUES ('default/D4/ultimatum/EUR1/fee', 'default', 'D4', 'ultimatum', 'EUR1', 'EUR', 1500, '2025-08-10')"
        )
    calls = tmp_path / "calls"
    add_task(calls, "D1")
    add_task(calls, "D2")
    add_task(calls, "D2", stage="penalty_warning", created=dt.date(2025, 8, 20))
    add_task(calls, "D3")
    add_task(calls, "D4")
    return calls


def test_figures_are_those_of_the_list_day(store: SQLiteStore, folder: Path) -> None:
    pending = {t.debtor_id: t for t in pending_call_tasks(store, folder, as_of=LIST_DAY)}
    # D1: 500.00 − 200.00 paid = 300.00; 1 Sep − 5 Jul = 26 + 31 + 1 = 58 days (not the task's 27)
    assert pending["D1"].total_due == Money("300.00", "EUR") and pending["D1"].oldest_days_overdue == 58
    # D4: 100.00 + the cycle's 15.00 fee; 1 Sep − 2 Jun = 28 + 31 + 31 + 1 = 91 days
    assert pending["D4"].total_due == Money("115.00", "EUR") and pending["D4"].oldest_days_overdue == 91
    assert pending["D1"].created == CREATED  # still the task's own day (for the outcomes check)


def test_a_later_task_of_the_cycle_replaces_and_a_debt_not_overdue_drops_the_task(
    store: SQLiteStore, folder: Path
) -> None:
    pending = pending_call_tasks(store, folder, as_of=LIST_DAY)
    assert sorted((t.debtor_id, t.stage) for t in pending) == [
        ("D1", "whats_wrong"),
        ("D2", "penalty_warning"),  # its whats_wrong task of the same cycle is replaced
        ("D4", "whats_wrong"),
        # D3 paid its overdue invoice; what it still owes is not due before 19 Sep
    ]
    # a task of another cycle is its own call
    add_task(folder, "D2", cycle="EUR2", created=dt.date(2025, 8, 25))
    assert sorted(t.key for t in pending_call_tasks(store, folder, as_of=LIST_DAY) if t.debtor_id == "D2") == [
        "default/D2/penalty_warning/EUR1/call",
        "default/D2/whats_wrong/EUR2/call",
    ]


def test_no_call_on_a_public_holiday_of_the_debtor(store: SQLiteStore, tmp_path: Path) -> None:
    # 15 Aug 2025 (a Friday) is the Assumption, a national holiday in Spain, not in the US
    store.save(
        debtors=[debtor("ES1"), debtor("US1", country="US", region="TX")],
        invoices=[
            make_invoice("F-ES1", "ES1", "900.00", issue="2025-06-01", due="2025-07-05"),
            make_invoice("F-US1", "US1", "100.00", issue="2025-06-01", due="2025-07-05"),
        ],
    )
    calls = tmp_path / "holiday-calls"
    add_task(calls, "ES1")
    add_task(calls, "US1")
    holiday = dt.date(2025, 8, 15)
    schedule = write_call_list(store, calls, as_of=holiday)
    assert [(c.day, c.task.debtor_id, c.position) for c in schedule.calls] == [
        (holiday, "US1", 1),  # the larger Spanish debt waits for the next working day
        (dt.date(2025, 8, 18), "ES1", 1),
    ]


# -- scripts rendered again as of the list's day -------------------------------------------


def test_with_the_configuration_the_script_is_rendered_again(store: SQLiteStore, tmp_path: Path) -> None:
    """A real "what's wrong?" call from the ladder (15 days after the due date, firm date
    10 days later), listed three months on: the script speaks of today's figures and no
    longer quotes the firm date that has passed."""
    due = dt.date(2026, 3, 2)
    store.save(
        debtors=[debtor("D1")], invoices=[make_invoice("F1", "D1", "1210.00", issue="2026-01-31", due="2026-03-02")]
    )
    config = default_config()
    calls = tmp_path / "ladder-calls"
    channels = recorders()
    channels["call"] = CallListChannel(calls)  # type: ignore[assignment]
    host = get_plugin_host(autoload=False)
    day = due
    while day <= due + dt.timedelta(days=20):
        now = dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)
        run_ladder(store, day, config=config, now=now)
        dispatch(store, host, config=config, now=now, channels=channels)
        day += dt.timedelta(days=1)
    [written] = pending_call_tasks(store, calls, as_of=due + dt.timedelta(days=20))
    assert written.stage == "whats_wrong"
    assert "1.210,00\xa0€ con 15 días de retraso" in written.script  # as written on 17 Mar 2026
    assert "23 de marzo de 2026" in written.script  # its firm date (17 Mar + 5 = Sunday 22: Monday)
    later = dt.date(2026, 6, 1)  # 1 Jun − 2 Mar = 29 + 30 + 31 + 1 = 91 days overdue
    [kept] = pending_call_tasks(store, calls, as_of=later)
    assert kept.oldest_days_overdue == 91 and kept.script == written.script  # no configuration: same script
    [fresh] = pending_call_tasks(store, calls, as_of=later, config=config)
    assert fresh.oldest_days_overdue == 91
    assert "con 91 días de retraso" in fresh.script and "15 días" not in fresh.script
    assert "23 de marzo de 2026" not in fresh.script  # a past firm date is not quoted
    assert fresh.created == written.created and fresh.key == written.key
