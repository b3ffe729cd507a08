"""``cobrokit plan`` and ``cobrokit promise`` on a real SQLite file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from cobrokit.cli import main
from cobrokit.model import Address, Allocation, Debtor, Invoice, Payment
from cobrokit.money import Money
from cobrokit.store.plans import PlanRepository
from cobrokit.store.sqlite import SQLiteStore


def eur(text: str) -> Money:
    return Money(text, "EUR")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.db"
    with SQLiteStore.open(path) as store:
        store.save(
            debtors=[
                Debtor("D1", "Bar Pepe", country="ES", address=Address(region="MD")),
                Debtor("D2", "Multi SL"),
                Debtor("D3", "Quarrel SL"),
            ],
            invoices=[
                Invoice("I1", "D1", dt.date(2025, 1, 1), dt.date(2025, 1, 31), eur("600.00")),
                Invoice("I2", "D1", dt.date(2025, 1, 10), dt.date(2025, 2, 10), eur("400.00")),
                Invoice("I3", "D1", dt.date(2025, 1, 10), dt.date(2025, 2, 10), eur("50.00"), disputed=True),
                Invoice("U1", "D2", dt.date(2025, 1, 1), dt.date(2025, 1, 31), eur("100.00")),
                Invoice("U2", "D2", dt.date(2025, 1, 1), dt.date(2025, 1, 31), Money("100.00", "USD")),
                Invoice("Q1", "D3", dt.date(2025, 1, 1), dt.date(2025, 1, 31), eur("70.00"), disputed=True),
            ],
            payments=[
                Payment(
                    "P0",
                    "D1",
                    dt.date(2025, 2, 1),
                    eur("100.00"),
                    allocations=[Allocation("I1", eur("100.00"))],
                )
            ],
        )
    return path


def counts(db: Path) -> dict[str, int]:
    with SQLiteStore.open(db) as store:
        return {**store.counts(), **PlanRepository(store).counts("default")}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


PROPOSE = (
    "plan",
    "propose",
    "--debtor",
    "D1",
    "--instalments",
    "3",
    "--every",
    "month",
    "--today",
    "2025-03-01",
)


def test_propose_prints_the_schedule_and_saves_it(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, *PROPOSE, "--db", str(db), "--down", "10%", "--json")
    assert code == 0
    data = json.loads(out)
    # balance 500.00 (I1 after P0) + 400.00 (I2); I3 disputed is left out; 10 % down = 90.00;
    # 810.00 / 3 = 270.00; start defaults to a week after --today: Sat 8 Mar → Mon 10 Mar
    assert data["balance"] == "900.00" and data["currency"] == "EUR"
    assert [i["amount"] for i in data["instalments"]] == ["90.00", "270.00", "270.00", "270.00"]
    assert data["instalments"][0]["due_date"] == "2025-03-10"
    assert data["state"] == "proposed" and data["saved"] is True
    assert counts(db)["payment_plan"] == 1


def test_propose_with_a_regime_shows_the_cost_of_waiting(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("cobrokit.interest")
    code, out, _ = run(capsys, *PROPOSE, "--db", str(db), "--regime", "es-commercial", "--json", "--dry-run")
    assert code == 0
    data = json.loads(out)
    charges = Money(data["late_charges"], "EUR")
    # at least the EUR 40 compensation per late invoice (Ley 3/2004 art. 8) for I1 and I2
    assert charges >= eur("80.00")
    for inst in data["instalments"]:
        assert Money(inst["amount_with_charges"], "EUR") > Money(inst["amount"], "EUR")
    assert data["saved"] is False
    assert counts(db)["payment_plan"] == 0


def test_text_output_and_accept_show_cancel(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, *PROPOSE, "--db", str(db), "--rate", "6")
    assert code == 0
    assert "Plan PLAN-00001 v1 for debtor D1: proposed" in out
    assert "French amortisation at 6 % a year" in out
    assert "cobrokit plan accept --plan PLAN-00001" in out
    code, out, _ = run(capsys, "plan", "accept", "--db", str(db), "--plan", "PLAN-00001", "--on", "2025-03-02")
    assert code == 0 and "accepted" in out
    code, out, _ = run(
        capsys, "plan", "show", "--db", str(db), "--plan", "PLAN-00001", "--as-of", "2025-03-20", "--json"
    )
    shown = json.loads(out)
    assert shown["status"]["state"] == "breached"
    assert shown["status"]["breached_on"] == "2025-03-16"  # due 10 Mar + 5 grace days + 1
    code, out, _ = run(capsys, "plan", "show", "--db", str(db), "--debtor", "D1", "--as-of", "2025-03-05")
    assert code == 0 and "next due 2025-03-10" in out
    code, out, _ = run(
        capsys,
        "plan",
        "cancel",
        "--db",
        str(db),
        "--plan",
        "PLAN-00001",
        "--on",
        "2025-03-21",
        "--reason",
        "settled otherwise",
        "--json",
    )
    assert json.loads(out)["state"] == "cancelled"


def test_renegotiate_from_the_command_line(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, *PROPOSE, "--db", str(db))
    run(capsys, "plan", "accept", "--db", str(db), "--plan", "PLAN-00001", "--on", "2025-03-02")
    code, out, _ = run(
        capsys,
        "plan",
        "renegotiate",
        "--db",
        str(db),
        "--plan",
        "PLAN-00001",
        "--instalments",
        "6",
        "--every",
        "fortnight",
        "--today",
        "2025-03-20",
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    assert (data["version"], data["previous_version"], data["state"]) == (2, 1, "proposed")
    code, out, _ = run(
        capsys,
        "plan",
        "show",
        "--db",
        str(db),
        "--plan",
        "PLAN-00001",
        "--history",
        "--json",
        "--as-of",
        "2025-03-20",
    )
    assert [(p["version"], p["state"]) for p in json.loads(out)] == [(1, "renegotiated"), (2, "proposed")]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--instalments", "0"), "instalments: must be at least 1"),
        (("--start", "2025-02-01"), "start: 2025-02-01 is in the past"),
        (("--down", "2000"), "down_payment: EUR 2000.00 is not below the balance"),
        (("--down", "150%"), "down_payment: percentage must be between 0 and 100"),
        (("--invoice", "I3"), "invoice I3: disputed"),
        (("--invoice", "U1"), "is not an invoice of this debtor"),
        (("--rate", "abc"), "rate"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_changes_nothing(
    db: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    args = list(PROPOSE)
    index = args.index("--instalments")
    if argv[0] == "--instalments":
        args[index + 1] = argv[1]
        argv = ()
    before = counts(db)
    code, out, err = run(capsys, *args, *argv, "--db", str(db))
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and message in err
    assert counts(db) == before


def test_other_debtor_errors(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = counts(db)
    base = (
        "plan",
        "propose",
        "--db",
        str(db),
        "--instalments",
        "2",
        "--every",
        "week",
        "--today",
        "2025-03-01",
    )
    code, _, err = run(capsys, *base, "--debtor", "D2")
    assert code == 2 and "several currencies (EUR, USD)" in err
    code, out, _ = run(capsys, *base, "--debtor", "D2", "--currency", "USD", "--dry-run", "--json")
    assert code == 0 and json.loads(out)["currency"] == "USD"
    code, _, err = run(capsys, *base, "--debtor", "D3")
    assert code == 2 and "every open invoice is disputed (Q1)" in err
    code, _, err = run(capsys, *base, "--debtor", "nobody")
    assert code == 2 and "no debtor 'nobody'" in err
    code, _, err = run(capsys, "plan", "accept", "--db", str(db), "--plan", "PLAN-09999")
    assert code == 2 and "no plan 'PLAN-09999'" in err
    assert counts(db) == before


def test_missing_store_is_an_error_and_is_not_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.db"
    code, _, err = run(capsys, *PROPOSE, "--db", str(missing))
    assert code == 2 and "no such store" in err
    assert not missing.exists()


def test_promise_add_and_list(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "promise",
        "add",
        "--db",
        str(db),
        "--debtor",
        "D1",
        "--date",
        "2025-03-10",
        "--amount",
        "250",
        "--channel",
        "phone",
        "--today",
        "2025-03-03",
        "--json",
    )
    assert code == 0
    assert json.loads(out) == {
        "promise_id": "PROM-00001",
        "tenant": "default",
        "debtor_id": "D1",
        "promised_date": "2025-03-10",
        "amount": "250.00",
        "currency": "EUR",
        "created_on": "2025-03-03",
        "channel": "phone",
        "note": "",
    }
    code, out, _ = run(capsys, "promise", "list", "--db", str(db), "--as-of", "2025-03-12", "--json")
    # the ladder's grace by default ([run] promise_grace_days, 2 in the built-in settings)
    assert json.loads(out.splitlines()[0])["state"] == "pending"  # 10 Mar + 2 grace days = 12 Mar
    code, out, _ = run(capsys, "promise", "list", "--db", str(db), "--as-of", "2025-03-13")
    assert "broken (broken since 2025-03-13, short by EUR 250.00)" in out
    code, out, _ = run(capsys, "promise", "list", "--db", str(db), "--as-of", "2025-03-13", "--grace", "3")
    assert "pending" in out


def test_bad_promises_exit_2_and_change_nothing(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = counts(db)
    base = ("promise", "add", "--db", str(db), "--today", "2025-03-03")
    for argv, message in (
        (("--debtor", "D1", "--date", "2025-03-01", "--amount", "10"), "is in the past"),
        (("--debtor", "D1", "--date", "2025-03-10", "--amount", "10.001"), "more decimals than EUR allows"),
        (("--debtor", "D1", "--date", "2025-03-10", "--amount", "-5"), "must be positive"),
        (("--debtor", "D2", "--date", "2025-03-10", "--amount", "5"), "give --currency"),
        (("--debtor", "nobody", "--date", "2025-03-10", "--amount", "5"), "no debtor"),
    ):
        code, _, err = run(capsys, *base, *argv)
        assert code == 2, argv
        assert len(err.strip().splitlines()) == 1 and message in err, err
    assert counts(db) == before
