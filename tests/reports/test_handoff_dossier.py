"""The ladder's hand-off stage produces the case file through the built-in handoff plugin."""

import datetime as dt
import json
import zipfile
from pathlib import Path

import attrs
import pytest

from cobrokit.builtin.handoff import dossier_path
from cobrokit.errors import ConfigError
from cobrokit.ladder.config import default_config
from cobrokit.plugins import get_plugin_host
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import make_invoice
from tests.reports.scenario import run_days, spanish_debtor

DUE = dt.date(2026, 3, 2)
CONFIG = default_config()


def ledger(store: SQLiteStore) -> SQLiteStore:
    store.save(
        debtors=[spanish_debtor()],
        invoices=[make_invoice("F1", "D1", "1210.00", issue="2026-01-31", due=DUE.isoformat())],
    )
    return store


def days(first: int, last: int) -> list[dt.date]:
    return [DUE + dt.timedelta(days=n) for n in range(first, last + 1)]


def handoff_row(store: SQLiteStore) -> tuple[str, str, str]:
    row = store.conn.execute("SELECT as_of, status, detail FROM outbox WHERE kind = 'handoff'").fetchone()
    assert row is not None
    return row  # type: ignore[no-any-return]


def test_handoff_stage_writes_the_case_file(store: SQLiteStore, tmp_path: Path) -> None:
    ledger(store)
    host = get_plugin_host(autoload=False)
    assert "builtin.handoff" in {p.name for p in host.plugins()}
    config = attrs.evolve(CONFIG, channels={**CONFIG.channels, "handoff": {"folder": str(tmp_path / "dossiers")}})
    run_days(store, days(-7, 61), host=host, config=config)
    as_of, status, detail = handoff_row(store)
    target = dossier_path(tmp_path / "dossiers", "default", "D1", "EUR1", "agency")
    assert status == "sent" and detail == f"case file written to {target}"
    journal = store.conn.execute("SELECT reason FROM journal WHERE kind = 'handoff'").fetchone()[0]
    assert str(target) in journal
    with zipfile.ZipFile(target) as archive:
        case = json.loads(archive.read("case.json"))
    assert case["as_of"] == as_of and case["debtor"]["id"] == "D1"
    assert any(n["stage"] == "handoff" and n["channel"] == "letter" and n["files"] for n in case["notices"])


def test_without_a_folder_the_handoff_is_only_recorded(store: SQLiteStore) -> None:
    ledger(store)
    run_days(store, days(-7, 61))
    _, status, detail = handoff_row(store)
    assert status == "recorded" and detail == "no plugin carried out handoff; recorded only"


def test_settings_folder_and_format(store: SQLiteStore, tmp_path: Path) -> None:
    ledger(store)
    config = attrs.evolve(
        CONFIG, channels={**CONFIG.channels, "handoff": {"folder": str(tmp_path / "cases"), "format": "dir"}}
    )
    host = get_plugin_host(autoload=False)
    run_days(store, days(-7, 61), config=config, host=host)
    folder = dossier_path(tmp_path / "cases", "default", "D1", "EUR1", "agency", as_zip=False)
    assert (folder / "index.pdf").is_file() and (folder / "MANIFEST.sha256").is_file()
    bad = attrs.evolve(CONFIG, channels={"handoff": {"folder": "x", "colour": "red"}})
    from cobrokit.builtin.handoff import cobrokit_handoff

    with pytest.raises(ConfigError, match="colour"):
        cobrokit_handoff(
            tenant="default",
            debtor_id="D1",
            stage="handoff",
            cycle="EUR1",
            payload={},
            store=store,
            config=bad,
            host=host,
        )
