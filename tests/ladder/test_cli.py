"""The run's commands: thin layers over the API, one clear line on errors."""

import datetime as dt
import json
from pathlib import Path

import pytest

from cobrokit.cli import main
from cobrokit.ladder.config import default_config_text
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import make_debtor, make_invoice


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)  # the default config writes its outbox here
    path = tmp_path / "books.db"
    with SQLiteStore.open(path) as store:
        store.save(debtors=[make_debtor("D1")], invoices=[make_invoice("F1", "D1", "500.00", due="2026-03-02")])
    return str(path)


def test_dry_run_explains_and_writes_nothing(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--db", db, "--as-of", "2026-03-03", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would plan 1 notice(s) [oops 1]" in out and "D1 EUR: oops via email [F1]" in out
    assert main(["run", "--db", db, "--as-of", "2026-03-03", "--dry-run", "--debtor", "D1"]) == 0
    assert "would notice: oops via email" in capsys.readouterr().out
    with SQLiteStore.open(db) as store:
        assert store.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0


CONTRACT = {
    "as_of",
    "debtors_evaluated",
    "invoices_evaluated",
    "notices",
    "by_stage",
    "by_channel",
    "skipped",
    "errors",
}


def test_run_json_contract_then_nothing_new(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    with SQLiteStore.open(db) as store:
        store.save(
            debtors=[make_debtor("D2")],
            invoices=[
                make_invoice("F2", "D2", "80.00", due="2026-01-02"),  # two months overdue: a first contact
                make_invoice("F3", "D2", "20.00", due="2026-04-02"),  # not due yet
            ],
        )
    assert main(["run", "--db", db, "--as-of", "2026-03-03", "--no-dispatch", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert set(first) >= CONTRACT
    assert first["as_of"] == "2026-03-03"
    assert (first["debtors_evaluated"], first["invoices_evaluated"], first["notices"]) == (2, 3, 2)
    # D1 gets the "oops"; D2's first contact starts at "what's wrong?", its "oops" is skipped by catch-up
    assert first["by_stage"] == {"oops": 1, "whats_wrong": 1}
    assert first["by_channel"] == {"email": 2}  # no phone on file: "what's wrong?" falls back from a call to email
    assert first["skipped"] == {"catch_up": 1}
    assert first["errors"] == 0
    assert "planned" not in first  # a real run keeps counts, not every action (memory stays flat)
    assert main(["run", "--db", db, "--as-of", "2026-03-03", "--no-dispatch", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["notices"], again["by_stage"], again["new_outbox_rows"]) == (0, {}, 0)
    assert main(["run", "--db", db, "--as-of", "2026-03-03", "--dry-run", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["planned"] == []


def test_journal_command_lists_every_entry_as_json_lines(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    with SQLiteStore.open(db) as store:
        store.save(debtors=[make_debtor("D2")], invoices=[make_invoice("F2", "D2", "80.00", due="2026-01-02")])
    assert main(["run", "--db", db, "--as-of", "2026-03-03", "--no-dispatch"]) == 0
    assert main(["hold", "set", "--db", db, "--debtor", "D1", "--reason", "talking to their lawyer"]) == 0
    assert main(["run", "--db", db, "--as-of", "2026-03-20", "--no-dispatch"]) == 0
    capsys.readouterr()
    assert main(["journal", "--db", db, "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    required = {"kind", "debtor_id", "stage", "channel", "key", "status", "at"}
    assert all(required <= set(line) for line in lines)
    seen = [(e["as_of"], e["debtor_id"], e["kind"], e["stage"], e["status"]) for e in lines]
    assert seen == [
        ("2026-03-03", "D2", "skipped", "oops", "skipped"),
        ("2026-03-03", "D1", "notice", "oops", "planned"),
        ("2026-03-03", "D2", "notice", "whats_wrong", "planned"),
        ("2026-03-03", "", "run_finished", "", "finished"),  # each run's own line, with its figures
        ("2026-03-20", "D1", "paused", "oops", "paused"),
        ("2026-03-20", "D2", "skipped", "penalty_warning", "skipped"),  # catch-up: the ultimatum is due
        ("2026-03-20", "D2", "skipped", "ultimatum", "skipped"),  # a letter, and no address on file
        ("2026-03-20", "", "run_finished", "", "finished"),
        (dt.date.today().isoformat(), "D1", "hold_set", "", "done"),  # recorded on the day it was set
    ]
    assert lines[6]["reason"] == "skipped: no usable channel (letter: no address)"
    assert lines[3]["reason"] == "2 debtor(s), 2 open invoice(s), 2 notice(s), 0 error(s)"
    notice = lines[1]
    assert notice["channel"] == "email" and notice["key"] == "default/D1/oops/EUR1/email"
    capsys.readouterr()
    assert main(["journal", "--db", db, "--json", "--debtor", "D2"]) == 0
    assert {json.loads(line)["debtor_id"] for line in capsys.readouterr().out.splitlines()} == {"D2"}
    assert main(["journal", "--db", db, "--json", "--since", "2026-03-04"]) == 0
    assert [json.loads(line)["kind"] for line in capsys.readouterr().out.splitlines()] == [
        "paused",
        "skipped",
        "skipped",
        "run_finished",
        "hold_set",
    ]
    assert main(["journal", "--db", db]) == 0
    assert "2026-03-20 D1 paused oops [paused] — paused: manual hold on the debtor" in capsys.readouterr().out


def test_simulate_prints_day_by_day_with_the_reasons(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--db", db, "--from", "2026-02-20", "--to", "2026-03-20", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(a["date"], a["stage"], a["why"]) for a in lines if a["kind"] == "notice"] == [
        ("2026-02-23", "courtesy", "due on 2026-03-02"),
        ("2026-03-03", "oops", "1 day overdue"),
        ("2026-03-17", "whats_wrong", "15 days overdue"),
    ]
    # the ultimatum is a letter and there is no address on file: the text says so on the day
    assert main(["simulate", "--db", db, "--from", "2026-02-20", "--to", "2026-04-05"]) == 0
    out = capsys.readouterr().out
    assert "2026-03-24  1 action(s)\n  D1 EUR: penalty_warning via email [F1] firm date" in out
    assert (
        "2026-04-01  0 action(s)\n  D1 EUR: skipped ultimatum — skipped: no usable channel (letter: no address)" in out
    )
    with SQLiteStore.open(db) as store:  # the real store was only read
        assert store.conn.execute("SELECT COUNT(*) FROM ladder_state").fetchone()[0] == 0


def test_contact_dispute_and_hold_commands(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dispute", "open", "--db", db, "--invoice", "F1", "--reason", "wrong quantity"]) == 0
    assert main(["dispute", "open", "--db", db, "--invoice", "F1"]) == 2
    assert "say why the invoice is disputed" in capsys.readouterr().err
    assert main(["hold", "set", "--db", db, "--debtor", "D1", "--reason", "talking to their lawyer"]) == 0
    assert main(["contact", "--db", db, "--debtor", "NOPE", "--outcome", "no_answer"]) == 2
    assert "unknown debtor 'NOPE'" in capsys.readouterr().err
    assert main(["contact", "--db", db, "--debtor", "D1", "--outcome", "answered", "--reason", "hardship"]) == 0
    assert "offer a payment plan" in capsys.readouterr().out


def test_bad_config_is_one_clear_line(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[run]\ncatch_up = "everything"\n[[ladders]]\nname = "x"\n', encoding="utf-8")
    assert main(["run", "--db", db, "--config", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"cobrokit: error: {bad}: run.catch_up: 'everything' is not one of current, replay, skip"]


def test_the_starter_creditor_details_are_flagged(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--db", db, "--as-of", "2026-03-03", "--dry-run"]) == 0
    err = capsys.readouterr().err
    assert "warning: [creditor] name, tax_id, email, bank_account still hold the starter file's sample values" in err
    config = tmp_path / "mine.toml"
    text = default_config_text()
    for old, new in (
        ("Your Company SL", "Talleres Ruiz SL"),
        ("B00000000", "B12345678"),
        ("cobros@yourcompany.example", "cobros@ruiz.example"),
        ("ES91 2100 0418 4502 0005 1332", "ES76 0049 1500 0512 3456 7892"),
    ):
        text = text.replace(old, new)
    config.write_text(text, encoding="utf-8")
    assert main(["run", "--db", db, "--as-of", "2026-03-03", "--dry-run", "--config", str(config)]) == 0
    assert "warning" not in capsys.readouterr().err
