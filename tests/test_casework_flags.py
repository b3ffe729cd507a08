"""Debtor flags (cease_contact, insolvent) and tags: set by people, journaled, obeyed by the ladder."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cobrokit.casework import set_flag, set_tags
from cobrokit.cli import main
from cobrokit.engine import RunResult, run_ladder
from cobrokit.errors import UnknownReferenceError, ValidationError
from cobrokit.ladder.config import default_config
from cobrokit.ladder.decide import LIMITATION_CHECKED
from cobrokit.model import Debtor
from cobrokit.store.journal import journal_entries
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import make_invoice

CONFIG = default_config()
DUE = dt.date(2026, 3, 2)
ON = dt.date(2026, 3, 3)
NOW = dt.datetime(2026, 3, 3, 10, tzinfo=dt.UTC)


def at(offset: int) -> tuple[dt.date, dt.datetime]:
    day = DUE + dt.timedelta(days=offset)
    return day, dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)


def debtor(debtor_id: str = "D1") -> Debtor:
    return Debtor(
        id=debtor_id,
        name="Talleres Ruiz SL",
        emails=("cuentas@ruiz.example",),
        locale="es_ES",
        timezone="Europe/Madrid",
        country="ES",
    )


@pytest.fixture
def ledger(store: SQLiteStore) -> SQLiteStore:
    """One Spanish debtor with one invoice due on DUE (the default ladder's 'oops' is due the day after)."""
    store.save(debtors=[debtor()], invoices=[make_invoice("F1", "D1", "1210.00", issue="2026-01-31", due="2026-03-02")])
    return store


def notices(result: RunResult) -> list[str]:
    return [a.stage for a in result.planned if a.kind == "notice"]


def people_entries(store: SQLiteStore) -> list[tuple[str, str, str]]:
    """Journal lines that are not a run's own (kind, debtor, reason)."""
    return [
        (e.kind, e.debtor_id, e.reason)
        for e in journal_entries(store, "default")
        if e.source == "journal" and e.run_id == ""
    ]


# -- set_flag --------------------------------------------------------------------------------


@pytest.mark.parametrize(("flag", "code"), [("cease_contact", "cease_contact"), ("insolvent", "insolvency")])
def test_a_flag_stops_the_ladder_and_clearing_it_lets_it_go_on(ledger: SQLiteStore, flag: str, code: str) -> None:
    set_flag(ledger, "D1", flag, True, reason="letter of 2026-03-01", on=ON, now=NOW)
    stored = ledger.get_debtor("default", "D1")
    assert stored is not None and getattr(stored, flag) is True
    assert people_entries(ledger) == [(f"{flag}_set", "D1", f"{flag}: letter of 2026-03-01")]

    day, now = at(1)
    stopped = run_ladder(ledger, day, config=CONFIG, now=now)
    assert notices(stopped) == [] and stopped.skipped[code] == 1 and stopped.journal["stopped"] == 1

    set_flag(ledger, "D1", flag, False, reason="withdrawn", on=day, now=now)
    stored = ledger.get_debtor("default", "D1")
    assert stored is not None and getattr(stored, flag) is False
    assert people_entries(ledger)[-1] == (f"{flag}_cleared", "D1", f"{flag}: withdrawn")
    assert notices(run_ladder(ledger, day, config=CONFIG, now=now)) == ["oops"]


def test_without_a_flag_the_same_day_plans_the_first_notice(ledger: SQLiteStore) -> None:
    day, now = at(1)  # the control of the test above: the stop comes from the flag
    assert notices(run_ladder(ledger, day, config=CONFIG, now=now, dry_run=True)) == ["oops"]


def test_set_flag_refuses_and_writes_nothing(ledger: SQLiteStore) -> None:
    with pytest.raises(UnknownReferenceError) as unknown:
        set_flag(ledger, "NOPE", "cease_contact", True, reason="x", on=ON, now=NOW)
    assert (unknown.value.record, unknown.value.field) == ("debtor NOPE", "debtor_id")
    with pytest.raises(ValidationError) as bad_flag:
        set_flag(ledger, "D1", "hold", True, reason="x", on=ON, now=NOW)  # hold has its own command
    assert bad_flag.value.field == "flag"
    with pytest.raises(ValidationError) as blank:
        set_flag(ledger, "D1", "insolvent", True, reason="  ", on=ON, now=NOW)
    assert blank.value.field == "reason"
    with pytest.raises(ValidationError, match="nothing to do") as noop:
        set_flag(ledger, "D1", "insolvent", False, reason="x", on=ON, now=NOW)  # it is not set
    assert (noop.value.record, noop.value.field) == ("debtor D1", "insolvent")
    assert people_entries(ledger) == []
    assert ledger.get_debtor("default", "D1") == debtor()


# -- set_tags --------------------------------------------------------------------------------


def test_set_tags_adds_and_removes_only_what_changes(ledger: SQLiteStore) -> None:
    assert set_tags(ledger, "D1", add=["vip", " key-account "], reason="big client", on=ON, now=NOW) == {
        "vip",
        "key-account",
    }
    tags = set_tags(ledger, "D1", add=["vip", "b2b"], remove=["key-account", "absent"], on=ON, now=NOW)
    assert tags == {"vip", "b2b"}
    stored = ledger.get_debtor("default", "D1")
    assert stored is not None and stored.tags == {"vip", "b2b"}
    assert people_entries(ledger) == [
        ("tags_changed", "D1", "added key-account, vip: big client"),
        ("tags_changed", "D1", "added b2b; removed key-account"),  # vip already there, absent never was
    ]


def test_set_tags_refuses_and_writes_nothing(ledger: SQLiteStore) -> None:
    with pytest.raises(UnknownReferenceError) as unknown:
        set_tags(ledger, "NOPE", add=["x"], on=ON, now=NOW)
    assert (unknown.value.record, unknown.value.field) == ("debtor NOPE", "debtor_id")
    with pytest.raises(ValidationError, match="nothing to do"):
        set_tags(ledger, "D1", on=ON, now=NOW)
    with pytest.raises(ValidationError, match="has no x; nothing to do"):
        set_tags(ledger, "D1", remove=["x"], on=ON, now=NOW)
    with pytest.raises(ValidationError) as both:
        set_tags(ledger, "D1", add=["x"], remove=["x"], on=ON, now=NOW)
    assert both.value.field == "tags"
    with pytest.raises(ValidationError) as blank:
        set_tags(ledger, "D1", add=[" "], on=ON, now=NOW)
    assert blank.value.field == "add"
    assert people_entries(ledger) == []
    assert ledger.get_debtor("default", "D1") == debtor()


def test_the_limitation_checked_tag_lets_a_limitation_pause_go_on(store: SQLiteStore) -> None:
    # Spanish debts are time-barred 5 years after the due date (CC art. 1964.2): due 2021-03-20
    # → limitation 2026-03-20, 18 days after 2026-03-02, inside the default 90-day warning window.
    store.save(debtors=[debtor()], invoices=[make_invoice("F1", "D1", "1210.00", issue="2021-02-01", due="2021-03-20")])
    day, now = dt.date(2026, 3, 2), dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
    paused = run_ladder(store, day, config=CONFIG, now=now)
    assert [a.kind for a in paused.planned] == ["creditor_warning"] and paused.skipped["limitation"] == 1

    set_tags(store, "D1", add=[LIMITATION_CHECKED], reason="burofax sent", on=day, now=now)
    resumed = run_ladder(store, day, config=CONFIG, now=now)
    assert len(notices(resumed)) == 1 and resumed.journal["resumed"] == 1

    later, later_now = day + dt.timedelta(days=1), now + dt.timedelta(days=1)
    set_tags(store, "D1", remove=[LIMITATION_CHECKED], on=later, now=later_now)
    again = run_ladder(store, later, config=CONFIG, now=later_now)
    assert notices(again) == [] and again.skipped["limitation"] == 1


# -- the commands ----------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "cobrokit.db"
    with SQLiteStore.open(path) as store:
        store.save(debtors=[debtor()], invoices=[make_invoice("F1", "D1", "1210.00", due=DUE.isoformat())])
    return path


def test_flag_command_sets_and_clears(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["flag", "--db", str(db), "--debtor", "D1", "--cease-contact", "--reason", "asked by phone"]
    assert main([*args, "--date", "2026-03-03"]) == 0
    assert "cease_contact set" in capsys.readouterr().out
    with SQLiteStore.open(db) as store:
        stored = store.get_debtor("default", "D1")
        assert stored is not None and stored.cease_contact and not stored.insolvent
        [entry] = people_entries(store)
        assert entry == ("cease_contact_set", "D1", "cease_contact: asked by phone")
        assert [e.as_of for e in journal_entries(store, "default")] == ["2026-03-03"]
        day, now = at(1)
        assert notices(run_ladder(store, day, config=CONFIG, now=now, dry_run=True)) == []
    assert main([*args, "--off"]) == 0
    assert "cease_contact cleared" in capsys.readouterr().out
    with SQLiteStore.open(db) as store:
        assert people_entries(store)[-1][0] == "cease_contact_cleared"
        assert notices(run_ladder(store, day, config=CONFIG, now=now, dry_run=True)) == ["oops"]


def test_tag_command_adds_and_removes(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["tag", "--db", str(db), "--debtor", "D1"]
    assert main([*base, "--add", LIMITATION_CHECKED, "--add", "vip", "--reason", "checked"]) == 0
    assert capsys.readouterr().out.strip() == f"debtor D1 tags: {LIMITATION_CHECKED}, vip"
    assert main([*base, "--remove", "vip"]) == 0
    assert capsys.readouterr().out.strip() == f"debtor D1 tags: {LIMITATION_CHECKED}"
    with SQLiteStore.open(db) as store:
        stored = store.get_debtor("default", "D1")
        assert stored is not None and stored.tags == {LIMITATION_CHECKED}
        assert [e[0] for e in people_entries(store)] == ["tags_changed", "tags_changed"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["flag", "--debtor", "NOPE", "--insolvent", "--reason", "x"], "unknown debtor 'NOPE'"),
        (["flag", "--debtor", "D1", "--insolvent", "--off", "--reason", "x"], "insolvent is not set; nothing to do"),
        (["tag", "--debtor", "NOPE", "--add", "x"], "unknown debtor 'NOPE'"),
        (["tag", "--debtor", "D1"], "give a tag to add or remove; nothing to do"),
    ],
)
def test_command_errors_are_one_line_with_exit_2(
    db: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main([*argv, "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cobrokit: error: debtor ") and message in err and err.count("\n") == 1
    with SQLiteStore.open(db) as store:
        assert people_entries(store) == []


def test_commands_never_create_a_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "typo.db"
    assert main(["tag", "--db", str(missing), "--debtor", "D1", "--add", "x"]) == 2
    assert main(["flag", "--db", str(missing), "--debtor", "D1", "--insolvent", "--reason", "x"]) == 2
    assert "no such store" in capsys.readouterr().err
    assert not missing.exists()


def test_flag_command_needs_a_flag_and_a_reason(db: Path) -> None:
    with pytest.raises(SystemExit):
        main(["flag", "--db", str(db), "--debtor", "D1", "--reason", "x"])
    with pytest.raises(SystemExit):
        main(["flag", "--db", str(db), "--debtor", "D1", "--insolvent"])
    with pytest.raises(SystemExit):
        main(["flag", "--db", str(db), "--debtor", "D1", "--insolvent", "--cease-contact", "--reason", "x"])
