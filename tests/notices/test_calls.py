"""Call tasks: priority order, daily capacity per team with roll-over, exports, outcomes."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cobrokit.builtin.calls import CallListChannel, complete_call_task, export_call_list, load_call_tasks
from cobrokit.calls import (
    CallOutcomeKind,
    CallReason,
    CallTask,
    call_task_from_dict,
    read_call_outcomes,
    schedule_calls,
    write_call_list_csv,
    write_call_list_json,
)
from cobrokit.channel import DeliveryStatus
from cobrokit.errors import ImportRejectedError, ValidationError
from cobrokit.money import Money
from cobrokit.rendering import render_notice
from tests.notices.sample import make_notice

MONDAY = dt.date(2025, 8, 4)


def task(
    debtor: str,
    amount: str,
    days: int = 30,
    risk: str = "0",
    team: str = "default",
    currency: str = "EUR",
    created: dt.date = MONDAY,
) -> CallTask:
    return CallTask(
        key=f"acme/{debtor}/oops/1/call",
        tenant="acme",
        debtor_id=debtor,
        debtor_name=f"Debtor {debtor}",
        phone="+34 600 000 000",
        stage="oops",
        script="Hola",
        total_due=Money(amount, currency),
        oldest_days_overdue=days,
        created=created,
        risk=Decimal(risk),
        team=team,
    )


def test_orders_by_amount_then_days_then_risk() -> None:
    tasks = [
        task("A", "100.00", days=90),
        task("B", "5000.00", days=10),
        task("C", "100.00", days=90, risk="70"),
        task("D", "100.00", days=120),
    ]
    schedule = schedule_calls(tasks, start=MONDAY, capacity={"default": 10})
    # B has the largest amount; A, C, D tie on amount: D is oldest; A and C tie on days: C is riskier.
    assert [c.task.debtor_id for c in schedule.calls] == ["B", "D", "C", "A"]
    assert [c.position for c in schedule.calls] == [1, 2, 3, 4]


def test_order_can_be_changed() -> None:
    tasks = [task("A", "100.00", days=90), task("B", "5000.00", days=10)]
    schedule = schedule_calls(tasks, start=MONDAY, capacity={"default": 10}, order=("days_overdue",))
    assert [c.task.debtor_id for c in schedule.calls] == ["A", "B"]
    with pytest.raises(ValidationError, match="order"):
        schedule_calls(tasks, start=MONDAY, capacity={"default": 1}, order=("size",))


def test_what_does_not_fit_rolls_to_the_next_working_day() -> None:
    tasks = [task(f"D{i}", f"{1000 - i}.00") for i in range(7)]
    friday = dt.date(2025, 8, 8)
    schedule = schedule_calls(tasks, start=friday, capacity={"default": 3})
    # 7 calls, 3 a day: Friday 3, Monday 3 (the weekend is skipped), Tuesday 1.
    assert schedule.days() == [friday, dt.date(2025, 8, 11), dt.date(2025, 8, 12)]
    assert [len(schedule.for_day(d)) for d in schedule.days()] == [3, 3, 1]
    assert [c.task.debtor_id for c in schedule.for_day(friday)] == ["D0", "D1", "D2"]
    assert schedule.for_day(dt.date(2025, 8, 12))[0].task.debtor_id == "D6"


def test_capacity_is_per_team_and_holidays_can_be_skipped() -> None:
    tasks = [
        task("A", "10.00", team="north"),
        task("B", "20.00", team="north"),
        task("C", "5.00", team="south"),
    ]
    holiday = MONDAY
    schedule = schedule_calls(
        tasks,
        start=MONDAY,
        capacity={"north": 1, "south": 5},
        is_working_day=lambda d: d.weekday() < 5 and d != holiday,
    )
    tuesday, wednesday = dt.date(2025, 8, 5), dt.date(2025, 8, 6)
    assert [c.task.debtor_id for c in schedule.for_day(tuesday, "north")] == ["B"]
    assert [c.task.debtor_id for c in schedule.for_day(wednesday, "north")] == ["A"]
    assert [c.task.debtor_id for c in schedule.for_day(tuesday, "south")] == ["C"]


def test_team_without_capacity_and_bad_capacity_are_errors() -> None:
    with pytest.raises(ValidationError, match="team 'east'"):
        schedule_calls([task("A", "1.00", team="east")], start=MONDAY, capacity={"north": 2})
    with pytest.raises(ValidationError, match="at least 1"):
        schedule_calls([task("A", "1.00")], start=MONDAY, capacity={"default": 0})
    assert schedule_calls([task("A", "1.00", team="east")], start=MONDAY, capacity={}, default_capacity=2).calls


def test_one_call_per_debtor_keeps_the_latest_task() -> None:
    old = task("A", "100.00", created=dt.date(2025, 8, 1))
    new = attrs.evolve(task("A", "100.00", created=MONDAY), key="acme/A/whats_wrong/1/call", stage="whats_wrong")
    schedule = schedule_calls([old, new], start=MONDAY, capacity={"default": 5})
    assert [c.task.stage for c in schedule.calls] == ["whats_wrong"]


def test_mixed_currencies_are_ranked_on_one_scale_with_rates_else_take_turns() -> None:
    tasks = [task("A", "100.00", currency="EUR"), task("B", "150.00", currency="USD")]
    # Without rates no EUR amount is compared with a USD one: each currency is ranked on
    # its own and they take turns (EUR, then USD: currency-code order), 2 calls a day.
    more = [*tasks, task("C", "900.00", currency="EUR"), task("D", "50.00", currency="USD")]
    schedule = schedule_calls(more, start=MONDAY, capacity={"default": 2})
    assert [(c.day, c.task.debtor_id) for c in schedule.calls] == [
        (MONDAY, "C"),  # EUR's first (900 > 100)
        (MONDAY, "B"),  # USD's first (150 > 50)
        (MONDAY + dt.timedelta(days=1), "A"),
        (MONDAY + dt.timedelta(days=1), "D"),
    ]
    # 100 EUR x 1.10 = 110 reference units > 150 USD x 0.70 = 105: A first.
    schedule = schedule_calls(
        tasks, start=MONDAY, capacity={"default": 5}, rates={"EUR": Decimal("1.10"), "USD": Decimal("0.70")}
    )
    assert [c.task.debtor_id for c in schedule.calls] == ["A", "B"]
    with pytest.raises(ValidationError, match="no rate for USD"):
        schedule_calls(tasks, start=MONDAY, capacity={"default": 5}, rates={"EUR": Decimal(1)})


tasks_strategy = st.lists(
    st.builds(
        task,
        debtor=st.text(alphabet="ABCDEFGH", min_size=1, max_size=3),
        amount=st.integers(min_value=1, max_value=10**6).map(lambda c: f"{c // 100}.{c % 100:02d}"),
        days=st.integers(min_value=0, max_value=400),
        risk=st.integers(min_value=0, max_value=100).map(str),
        team=st.sampled_from(["north", "south"]),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(tasks_strategy, st.integers(min_value=1, max_value=6), st.integers(min_value=1, max_value=6))
def test_schedule_properties(tasks: list[CallTask], north: int, south: int) -> None:
    capacity = {"north": north, "south": south}
    schedule = schedule_calls(tasks, start=MONDAY, capacity=capacity)
    debtors = {t.debtor_id for t in tasks}
    # Every debtor is called exactly once.
    assert sorted(c.task.debtor_id for c in schedule.calls) == sorted(debtors)
    for day in schedule.days():
        assert day.weekday() < 5
        for team, limit in capacity.items():
            assert len(schedule.for_day(day, team)) <= limit
    # Within a team, priority never increases from one call to the next.
    for team in capacity:
        calls = [c for c in schedule.calls if c.team == team]
        keys = [(c.task.total_due.amount, c.task.oldest_days_overdue, c.task.risk) for c in calls]
        assert keys == sorted(keys, reverse=True)
        # Days are filled before the next one starts.
        for earlier, later in itertools.pairwise(calls):
            if later.day != earlier.day:
                assert len(schedule.for_day(earlier.day, team)) == capacity[team]


def test_csv_and_json_exports() -> None:
    schedule = schedule_calls([task("A", "1234.50"), task("B", "99.00")], start=MONDAY, capacity={"default": 1})
    out = io.StringIO()
    assert write_call_list_csv(schedule, out) == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [(r["day"], r["position"], r["debtor_id"], r["total_due"], r["currency"]) for r in rows] == [
        ("2025-08-04", "1", "A", "1234.50", "EUR"),
        ("2025-08-05", "1", "B", "99.00", "EUR"),
    ]
    out = io.StringIO()
    write_call_list_json(schedule, out)
    data = json.loads(out.getvalue())
    assert data["calls"][0]["total_due"] == "1234.50" and data["calls"][1]["day"] == "2025-08-05"


def test_task_round_trips_through_dict() -> None:
    original = task("A", "10.50", risk="12.5")
    assert call_task_from_dict(original.to_dict()) == original
    with pytest.raises(ValidationError, match="phone"):
        data = original.to_dict()
        del data["phone"]
        call_task_from_dict(data)


def test_call_channel_adds_the_rendered_script_to_the_list(tmp_path: Path) -> None:
    channel = CallListChannel.from_settings({"folder": str(tmp_path), "team": "cobros"})
    message = render_notice(make_notice(stage="whats_wrong", locale="es_ES"), "call")
    receipt = channel.send(message)
    assert receipt.status is DeliveryStatus.SENT
    assert channel.send(message).status is DeliveryStatus.SENT  # same key, same file
    [pending] = load_call_tasks(tmp_path)
    assert pending.debtor_name == "Construcciones Peña S.A." and pending.phone == "+34 600 111 222"
    assert pending.total_due == Money("13445.98", "EUR") and pending.oldest_days_overdue == 77
    assert pending.team == "cobros" and "¿Va todo bien?" in pending.script
    schedule = export_call_list(
        tmp_path,
        start=MONDAY,
        capacity={"cobros": 20},
        csv_path=tmp_path / "out" / "calls.csv",
        json_path=tmp_path / "out" / "calls.json",
    )
    assert len(schedule.calls) == 1
    rows = list(csv.DictReader((tmp_path / "out" / "calls.csv").open(encoding="utf-8")))
    assert rows[0]["script"] == pending.script  # multi-line scripts survive the CSV
    assert json.loads((tmp_path / "out" / "calls.json").read_text(encoding="utf-8"))["calls"][0]["risk"] == "0"
    assert complete_call_task(tmp_path, message.key) is True
    assert load_call_tasks(tmp_path) == []


def test_call_channel_without_phone_is_permanent(tmp_path: Path) -> None:
    message = attrs.evolve(render_notice(make_notice(stage="oops"), "call"), recipient="")
    receipt = CallListChannel.from_settings({"folder": str(tmp_path)}).send(message)
    assert receipt.status is DeliveryStatus.FAILED_PERMANENT


OUTCOMES = """debtor_id,date,outcome,reason,promise_date,promise_amount,currency,note
D-042,2025-08-04,promise,hardship,2025-08-20,1500.00,EUR,"Pagará la mitad;
el resto en septiembre"
D-050,2025-08-04,no_answer,,,,,
D-051,2025-08-04,Dispute,invoice_error,,,,Falta el pedido
"""


def test_reads_call_outcomes() -> None:
    outcomes = read_call_outcomes(io.StringIO(OUTCOMES), source="calls.csv")
    assert [o.outcome for o in outcomes] == [
        CallOutcomeKind.PROMISE,
        CallOutcomeKind.NO_ANSWER,
        CallOutcomeKind.DISPUTE,
    ]
    first = outcomes[0]
    assert first.reason is CallReason.HARDSHIP
    assert first.promise_date == dt.date(2025, 8, 20) and first.promise_amount == Money("1500.00", "EUR")
    assert first.note == "Pagará la mitad;\nel resto en septiembre"
    # The multi-line note spans lines 2-3, so the next records are on lines 4 and 5.
    assert [o.line for o in outcomes] == [2, 4, 5]


def test_outcome_errors_name_the_line_and_the_field() -> None:
    bad = """debtor_id,date,outcome,reason,promise_date,promise_amount
D-1,2025-08-04,promise,,,
,2025-13-01,shouted,lazy,,
D-3,2025-08-04,promise,promise,2025-08-01,12.345
"""
    with pytest.raises(ImportRejectedError) as info:
        read_call_outcomes(io.StringIO(bad), source="calls.csv", default_currency="EUR")
    found = {(e.record, e.field) for e in info.value.errors}
    assert found == {
        ("calls.csv line 2", "promise_date"),
        ("calls.csv line 2", "promise_amount"),
        ("calls.csv line 3", "debtor_id"),
        ("calls.csv line 3", "date"),
        ("calls.csv line 3", "outcome"),
        ("calls.csv line 3", "reason"),
        ("calls.csv line 4", "promise_amount"),  # 12.345 has three decimals; EUR has two
        ("calls.csv line 4", "promise_date"),  # before the call
    }


def test_outcome_header_problems_are_reported_on_line_1() -> None:
    with pytest.raises(ImportRejectedError) as info:
        read_call_outcomes(io.StringIO("debtor,date,outcome,mood\n"), source="x.csv")
    assert {(e.record, e.field) for e in info.value.errors} == {
        ("x.csv line 1", "debtor_id"),
        ("x.csv line 1", "debtor"),
        ("x.csv line 1", "mood"),
    }


def test_promise_amount_needs_a_currency() -> None:
    text = "debtor_id,date,outcome,promise_date,promise_amount\nD-1,2025-08-04,promise,2025-08-10,10.00\n"
    with pytest.raises(ImportRejectedError) as info:
        read_call_outcomes(io.StringIO(text))
    assert [(e.record, e.field) for e in info.value.errors] == [("call outcomes line 2", "currency")]
