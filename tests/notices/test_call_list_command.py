"""`cobrokit calls`: the prioritised list of the call tasks still to be made."""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from cobrokit.builtin.calls import pending_call_tasks, write_call_list
from cobrokit.builtin.email import safe_filename
from cobrokit.calls import CallTask
from cobrokit.casework import record_contact
from cobrokit.cli import main
from cobrokit.ladder.config import default_config_text
from cobrokit.model import Allocation, Payment
from cobrokit.money import Money
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import make_debtor, make_invoice

MONDAY = dt.date(2025, 8, 4)
NOW = dt.datetime(2025, 8, 4, 9, 0, tzinfo=dt.UTC)
HEADER = [
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
]


def add_task(folder: Path, debtor: str, amount: str, days: int, created: dt.date = dt.date(2025, 8, 1)) -> None:
    task = CallTask(
        key=f"default/{debtor}/whats_wrong/1/call",
        tenant="default",
        debtor_id=debtor,
        debtor_name=f"Cliente {debtor}",
        phone="+34 600 000 000",
        stage="whats_wrong",
        script=f"Llamar a {debtor}\n¿Va todo bien?",
        total_due=Money(amount, "EUR"),
        oldest_days_overdue=days,
        created=created,
    )
    path = folder / "tasks" / safe_filename(task.key, ".json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(task.to_dict()), encoding="utf-8")


@pytest.fixture
def calls_folder(store: SQLiteStore, tmp_path: Path) -> Path:
    """Seven debtors, each with one open invoice and one call task created on 1 Aug 2025.

    On Monday 4 Aug 2025: D1 500.00 (30 days overdue), D2 2 000.00 (10 days), D3 500.00
    (60 days), D6 100.00 (5 days): to call. D4 paid in full; D5 answered the phone on 2 Aug;
    D7's task is dated after the list's day. The tasks carry their figures of 1 Aug, three
    days fewer (27, 7, 57, 2 days).
    """
    ids = [f"D{n}" for n in range(1, 8)]
    amounts = {"D1": "500.00", "D2": "2000.00", "D3": "500.00", "D4": "300.00", "D5": "900.00", "D6": "100.00"}
    amounts["D7"] = "700.00"
    # due dates giving those days on 4 Aug: 4 Aug − 30 days = 5 Jul, − 10 = 25 Jul, − 60 = 5 Jun, − 5 = 30 Jul
    due = {"D2": "2025-07-25", "D3": "2025-06-05", "D6": "2025-07-30"}
    store.save(
        debtors=[make_debtor(d, f"Cliente {d}") for d in ids],
        invoices=[make_invoice(f"F-{d}", d, amounts[d], issue="2025-06-01", due=due.get(d, "2025-07-05")) for d in ids],
    )
    store.save(
        payments=[
            Payment(
                id="P-D4",
                debtor_id="D4",
                date=dt.date(2025, 8, 2),
                amount=Money("300.00", "EUR"),
                allocations=(Allocation("F-D4", Money("300.00", "EUR")),),
            )
        ]
    )
    record_contact(store, debtor_id="D1", on=dt.date(2025, 7, 30), outcome="answered", now=NOW)  # before the task
    record_contact(store, debtor_id="D5", on=dt.date(2025, 8, 2), outcome="answered", now=NOW)  # settles it
    record_contact(store, debtor_id="D6", on=dt.date(2025, 8, 2), outcome="no_answer", now=NOW)  # call again
    folder = tmp_path / "calls"
    for debtor, days in (("D1", 27), ("D2", 7), ("D3", 57), ("D4", 27), ("D5", 27), ("D6", 2)):
        add_task(folder, debtor, amounts[debtor], days)
    add_task(folder, "D7", amounts["D7"], 27, created=dt.date(2025, 8, 5))
    return folder


def test_pending_tasks_leave_out_the_paid_the_called_and_the_future(store: SQLiteStore, calls_folder: Path) -> None:
    pending = pending_call_tasks(store, calls_folder, as_of=MONDAY)
    assert sorted(t.debtor_id for t in pending) == ["D1", "D2", "D3", "D6"]


def test_command_writes_the_csv_call_list_in_priority_order(
    store: SQLiteStore, calls_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out" / "call-list.csv"
    argv = ["calls", "--db", str(store.path), "--folder", str(calls_folder), "--as-of", "2025-08-04"]
    assert main([*argv, "--capacity", "2", "--out", str(out)]) == 0
    assert "4 call(s) written" in capsys.readouterr().err
    with out.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = [dict(zip(header, row, strict=True)) for row in reader]
    assert header == HEADER
    # amount first (2 000 > 500 = 500 > 100), then days overdue (60 > 30); 2 calls a day,
    # the rest rolls to Tuesday
    assert [(r["day"], r["position"], r["debtor_id"], r["total_due"]) for r in rows] == [
        ("2025-08-04", "1", "D2", "2000.00"),
        ("2025-08-04", "2", "D3", "500.00"),
        ("2025-08-05", "1", "D1", "500.00"),
        ("2025-08-05", "2", "D6", "100.00"),
    ]
    assert rows[0]["script"] == "Llamar a D2\n¿Va todo bien?"  # the script survives the CSV


def test_command_writes_json_to_stdout(
    store: SQLiteStore, calls_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["calls", "--db", str(store.path), "--folder", str(calls_folder), "--as-of", "2025-08-04"]
    assert main([*argv, "--format", "json"]) == 0
    calls = json.loads(capsys.readouterr().out)["calls"]
    assert [c["debtor_id"] for c in calls] == ["D2", "D3", "D1", "D6"]
    assert {c["day"] for c in calls} == {"2025-08-04"}  # 25 calls a day by default
    assert calls[0]["total_due"] == "2000.00" and calls[0]["currency"] == "EUR"


def test_command_finds_the_folder_in_the_configuration(
    store: SQLiteStore, calls_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "cobrokit.toml"
    text = default_config_text().replace('folder = "outbox/calls"', f'folder = "{calls_folder.as_posix()}"')
    assert calls_folder.as_posix() in text
    config.write_text(text, encoding="utf-8")
    argv = ["calls", "--db", str(store.path), "--config", str(config), "--as-of", "2025-08-04"]
    assert main([*argv, "--capacity", "default=1"]) == 0
    rows = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    assert [(r["day"], r["debtor_id"]) for r in rows] == [
        ("2025-08-04", "D2"),
        ("2025-08-05", "D3"),
        ("2025-08-06", "D1"),
        ("2025-08-07", "D6"),
    ]


def test_mixed_currencies_take_turns_or_are_ranked_with_rates(
    store: SQLiteStore, calls_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store.save(
        debtors=[make_debtor("D8", "Client D8")],
        invoices=[make_invoice("F-D8", "D8", "1000.00", "USD", issue="2025-06-01", due="2025-07-01")],
    )
    task = CallTask(
        key="default/D8/whats_wrong/1/call",
        tenant="default",
        debtor_id="D8",
        debtor_name="Client D8",
        phone="+1 555 0100",
        stage="whats_wrong",
        script="Call",
        total_due=Money("1000.00", "USD"),
        oldest_days_overdue=10,
        created=dt.date(2025, 8, 1),
    )
    (calls_folder / "tasks" / safe_filename(task.key, ".json")).write_text(json.dumps(task.to_dict()), encoding="utf-8")
    argv = ["calls", "--db", str(store.path), "--folder", str(calls_folder), "--as-of", "2025-08-04"]
    assert main(argv) == 0
    rows = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    # without rates: EUR ranked alone (2 000, 500 for 60 days, 500 for 30, 100), USD alone,
    # taking turns: the first EUR call, the first USD call, then the rest of EUR
    assert [(r["debtor_id"], r["currency"]) for r in rows] == [
        ("D2", "EUR"),
        ("D8", "USD"),
        ("D3", "EUR"),
        ("D1", "EUR"),
        ("D6", "EUR"),
    ]
    schedule = write_call_list(store, calls_folder, as_of=MONDAY, rates={"EUR": Decimal("1"), "USD": Decimal("0.25")})
    # 1 000 USD × 0.25 = 250 ranks between 500 EUR and 100 EUR
    assert [c.task.debtor_id for c in schedule.calls] == ["D2", "D3", "D1", "D8", "D6"]


def test_command_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calls", "--db", str(tmp_path / "missing.db"), "--folder", str(tmp_path)]) == 2
    assert "no such store" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["calls", "--capacity", "0"])
