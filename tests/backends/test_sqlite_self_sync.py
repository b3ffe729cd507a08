"""The sqlite backend only reads an existing store, and a store is never synced into itself.

The audit's case: `cobrokit sync --backend sqlite --db stale.db` read an empty ``cobrokit.db``
it had just created, recorded a fresh sync time, and the freshness guard let the next run go
ahead with no new payments.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from cobrokit.builtin.sqlite_backend import SQLiteBackend, check_not_self_sync, open_read_only
from cobrokit.cli import main
from cobrokit.errors import ConfigError
from cobrokit.store.sqlite import SQLiteStore, migrations
from tests.factories import make_debtor, make_invoice

SYNCED = dt.datetime.now(dt.UTC) - dt.timedelta(hours=48)  # older than the default freshness limit (24 h)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COBROKIT_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.chdir(tmp_path)  # the default `path` (cobrokit.db) is looked for here


@pytest.fixture
def stale(tmp_path: Path) -> Path:
    path = tmp_path / "stale.db"
    with SQLiteStore.open(path) as store:
        store.save(debtors=[make_debtor("D1")], invoices=[make_invoice("F1", "D1", "1210.00")])
        store.record_sync("default", "sqlite", SYNCED)
    return path


def last_synced(path: Path) -> dt.datetime | None:
    with SQLiteStore.open(path) as store:
        return store.last_synced("default", "sqlite")


def run_paused(path: Path) -> bool:
    return main(["run", "--db", str(path), "--as-of", "2026-03-01", "--dry-run"]) == 3


def test_the_audit_case_fails_and_the_run_stays_paused(
    stale: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_paused(stale)
    capsys.readouterr()
    assert main(["sync", "--backend", "sqlite", "--db", str(stale)]) == 2
    err = capsys.readouterr().err
    assert "setting 'path' (cobrokit.db): no such store file" in err and err.count("\n") == 1
    assert not (tmp_path / "cobrokit.db").exists()  # nothing created in the current folder
    assert last_synced(stale) == SYNCED
    assert run_paused(stale)


@pytest.mark.parametrize("spelling", ["absolute", "relative", "symlink"])
def test_a_store_is_not_synced_into_itself(
    stale: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], spelling: str
) -> None:
    source = {"absolute": str(stale), "relative": "./stale.db", "symlink": str(tmp_path / "link.db")}[spelling]
    if spelling == "symlink":
        (tmp_path / "link.db").symlink_to(stale)
    assert main(["sync", "--backend", "sqlite", "--db", str(stale), "--setting", f"path={source}"]) == 2
    err = capsys.readouterr().err
    assert "cannot be synced into itself" in err and "`cobrokit import`" in err and "--payments" in err
    assert last_synced(stale) == SYNCED
    assert run_paused(stale)


def test_the_defaults_name_the_same_store_and_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with SQLiteStore.open(tmp_path / "cobrokit.db"):
        pass
    assert main(["sync", "--backend", "sqlite"]) == 2  # --db cobrokit.db, path cobrokit.db
    assert "cannot be synced into itself" in capsys.readouterr().err
    assert last_synced(tmp_path / "cobrokit.db") is None


def test_another_store_still_syncs_and_is_left_untouched(stale: Path, tmp_path: Path) -> None:
    target = tmp_path / "target.db"
    before = stale.read_bytes()
    assert main(["sync", "--backend", "sqlite", "--db", str(target), "--setting", f"path={stale}"]) == 0
    assert last_synced(target) == SYNCED  # a copy is as fresh as its source (sync.py: backend.last_synced)
    with SQLiteStore.open(target) as store:
        assert [i.id for i in store.iter_invoices("default")] == ["F1"]
    assert stale.read_bytes() == before


def test_check_not_self_sync_only_concerns_the_sqlite_backend(stale: Path, tmp_path: Path) -> None:
    check_not_self_sync(stale, "stripe", {"path": str(stale)})  # another backend's 'path' is its own business
    check_not_self_sync(stale, "sqlite", {"path": str(tmp_path / "other.db")})
    check_not_self_sync(":memory:", "sqlite", {})
    with pytest.raises(ConfigError, match="cannot be synced into itself"):
        check_not_self_sync(stale, "sqlite", {"path": str(stale)})


def test_the_backend_never_creates_a_store(tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    with pytest.raises(ConfigError, match=r"setting 'path' \(.*nope.db\): no such store file"):
        SQLiteBackend.from_settings({"path": str(missing)})
    assert not missing.exists()
    with pytest.raises(ConfigError, match=r"setting 'path' \(cobrokit.db\)"):
        SQLiteBackend.from_settings({})
    assert not (tmp_path / "cobrokit.db").exists()


def test_the_backend_reads_read_only(stale: Path) -> None:
    store = open_read_only(stale)
    try:
        assert [d.id for d in store.iter_debtors("default")] == ["D1"]
        with pytest.raises(sqlite3.OperationalError):
            store.conn.execute("DELETE FROM invoice")
    finally:
        store.close()
    with SQLiteStore.open(stale) as check:
        assert [i.id for i in check.iter_invoices("default")] == ["F1"]


def test_the_backend_refuses_what_is_not_a_current_cobrokit_store(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE t (a)")
    with pytest.raises(ConfigError, match="not a cobrokit store"):
        open_read_only(foreign)
    text = tmp_path / "notes.txt"
    text.write_text("not a database at all, just some text that is long enough to fill a header" * 2)
    with pytest.raises(ConfigError, match="cannot read it"):
        open_read_only(text)
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as conn:  # a store of an older cobrokit: migrations are not applied on read
        for statement in migrations()[0][2].split(";\n"):
            if statement.strip():
                conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
    with pytest.raises(ConfigError, match="schema version 1") as err:
        open_read_only(old)
    assert "migrate" in str(err.value)
    with sqlite3.connect(old) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
