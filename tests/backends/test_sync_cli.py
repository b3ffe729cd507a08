"""`cobrokit sync` end to end: the built-in sqlite backend of one store feeds another store."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from cobrokit.cli import main
from cobrokit.model import Allocation, Payment
from cobrokit.money import Money
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import make_debtor, make_invoice


@pytest.fixture
def source(tmp_path: Path) -> Path:
    path = tmp_path / "books.db"
    with SQLiteStore.open(path) as books:
        books.save(
            debtors=[make_debtor("D1")],
            invoices=[make_invoice("F1", "D1", "1210.00"), make_invoice("F2", "D1", "99.99")],
            payments=[
                Payment(
                    id="P1",
                    debtor_id="D1",
                    date=dt.date(2026, 2, 2),
                    amount=Money("99.99", "EUR"),
                    allocations=(Allocation("F2", Money("99.99", "EUR")),),
                )
            ],
        )
    return path


def test_sync_command_copies_the_books_and_records_the_time(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COBROKIT_DISABLE_PLUGIN_AUTOLOAD", "1")
    target = tmp_path / "cobrokit.db"
    args = ["sync", "--db", str(target), "--backend", "sqlite", "--setting", f"path={source}", "--json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["inserted"] == {"debtors": 1, "invoices": 2, "payments": 1}
    with SQLiteStore.open(target) as store:
        open_ = {i.invoice_id: i.open_minor for i in store.open_items("default", dt.date(2026, 12, 31))}
        assert open_ == {"F1": 121000, "F2": 0}
        assert store.last_synced("default", "sqlite") == dt.datetime.fromisoformat(report["synced_at"])
    assert main([*args[:-1], "--since", "last"]) == 0
    assert "0 new, 0 updated, 2 unchanged" in capsys.readouterr().out


def test_sync_command_errors_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COBROKIT_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert main(["sync", "--db", str(tmp_path / "x.db"), "--backend", "nope"]) == 2
    assert "unknown backend 'nope'" in capsys.readouterr().err
    assert main(["sync", "--db", str(tmp_path / "x.db"), "--backend", "sqlite", "--since", "last"]) == 2
    assert "never synced" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["sync", "--backend", "sqlite", "--setting", "novalue"])


def test_run_checks_the_freshness_of_the_named_backend(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COBROKIT_DISABLE_PLUGIN_AUTOLOAD", "1")
    target = tmp_path / "cobrokit.db"
    assert main(["sync", "--db", str(target), "--backend", "sqlite", "--setting", f"path={source}"]) == 0
    with SQLiteStore.open(target) as store:  # a sync of another backend three days ago
        store.record_sync("default", "stripe", dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    capsys.readouterr()
    args = ["run", "--db", str(target), "--as-of", "2026-03-01", "--dry-run"]
    assert main([*args, "--backend", "stripe"]) == 3  # paused: stripe's payments are stale
    assert "paused" in capsys.readouterr().out
    assert main([*args, "--backend", "sqlite"]) == 0  # just synced
