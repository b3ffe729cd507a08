"""What a newcomer's walk through the docs found: each fix, and the docs' snippets run as written."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cobrokit.backend import report_skip
from cobrokit.cli import main
from cobrokit.credit import CurrencyLateness, PaymentHistory, score_history
from cobrokit.http import convert_records
from cobrokit.model import Allocation, Debtor, Invoice, Payment
from cobrokit.money import Money
from cobrokit.plugins import get_plugin_host
from cobrokit.reports.figures import portfolio_figures
from cobrokit.reports.html import figures_json
from cobrokit.store.sqlite import SQLiteStore
from cobrokit.sync import sync
from cobrokit.testing import FakeBackend, FakeClock
from tests.reports.test_report_figures import AS_OF, PERIOD, ledger  # noqa: F401 - `ledger` is a fixture

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLE = ROOT / "examples" / "custom_backend"
sys.path.insert(0, str(EXAMPLE))
from erp_backend import InHouseErp  # noqa: E402 - the tutorial's adapter sits next to its script


@pytest.fixture(autouse=True)
def _no_third_party_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COBROKIT_DISABLE_PLUGIN_AUTOLOAD", "1")


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def blocks(markdown: str, lang: str) -> list[str]:
    """The fenced code blocks of *lang* in *markdown*, in order."""
    return re.findall(rf"```{lang}\n(.*?)```", markdown, re.S)


def section(markdown: str, heading: str) -> str:
    """The text from *heading* to the next heading of the same level."""
    level = heading.split(" ", 1)[0]
    return markdown.split(heading + "\n", 1)[1].split(f"\n{level} ", 1)[0]


# -- quickstart: the Python snippet prints what the page says -------------------------------------


def test_quickstart_python_snippet_prints_what_the_page_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    page = (DOCS / "quickstart.md").read_text(encoding="utf-8")
    invoices, payments = blocks(page, "csv")[:2]
    (tmp_path / "invoices.csv").write_text(invoices, encoding="utf-8")
    (tmp_path / "payments.csv").write_text(payments, encoding="utf-8")
    python = section(page, "## 5. From Python")
    (snippet,) = blocks(python, "python")
    expected = blocks(python, "text")[0]
    monkeypatch.chdir(tmp_path)
    exec(compile(snippet, "quickstart.md", "exec"), {})
    out = capsys.readouterr().out
    # F-2026-014 1210.00 - 600.00 paid + F-2026-019 484.00 = 1094.00 open: shown as Money, not 109400
    assert out == expected
    assert "C-ruiz EUR 1094.00" in out


def test_quickstart_names_the_required_columns_the_importer_requires() -> None:
    from cobrokit.importing import INVOICE_COLUMNS, PAYMENT_COLUMNS

    page = (DOCS / "quickstart.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(): line.split("|")[2] for line in page.splitlines() if line.startswith("| ")}
    assert re.findall(r"`(\w+)`", rows["invoices"]) == list(INVOICE_COLUMNS)
    assert re.findall(r"`(\w+)`", rows["payments"]) == list(PAYMENT_COLUMNS)


# -- testing-plugins.md: the fixtures snippet is self-contained --------------------------------


def test_testing_plugins_snippet_runs_as_written() -> None:
    page = (DOCS / "testing-plugins.md").read_text(encoding="utf-8")
    snippet = blocks(section(page, "## Fixtures and fakes"), "python")[0]
    namespace: dict[str, Any] = {}
    exec(compile(snippet, "testing-plugins.md", "exec"), namespace)
    namespace["test_my_routing"](get_plugin_host(autoload=False))


def test_notices_quick_example_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    page = (DOCS / "notices.md").read_text(encoding="utf-8")
    snippet = blocks(section(page, "## Quick example"), "python")[0]
    exec(compile(snippet, "notices.md", "exec"), {})
    (eml,) = (tmp_path / "outbox").glob("*.eml")
    head = eml.read_text(encoding="utf-8").split("\n\n", 1)[0]
    assert "To: cuentas@ruiz.example" in head and "Subject: Recordatorio de pago: factura F-2026-014" in head


# -- reports.md: the JSON example is the real output --------------------------------------------


def test_reports_json_example_is_the_report_of_the_hand_computed_ledger(ledger: SQLiteStore) -> None:  # noqa: F811
    page = (DOCS / "reports.md").read_text(encoding="utf-8")
    documented = json.loads(blocks(section(page, "### CSV and JSON"), "json")[0])
    real = json.loads(figures_json(portfolio_figures(ledger, AS_OF, period_days=PERIOD)))
    for row in real["currencies"]["EUR"]["top_debtors"]:
        if row["debtor_id"] == "D2":  # the test names D2 with HTML to check escaping; the page does not
            row["name"] = "Dos SA"
    assert documented == real
    # DSO 3200 / 500 x 31 = 198.4 goes with a 31-day period, not 90
    assert documented["period"]["days"] == 31 and documented["currencies"]["EUR"]["dso"] == "198.4"


# -- call-outcomes: a missing file is one line, exit 2 -------------------------------------------


def test_call_outcomes_with_a_missing_file_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "books.db"
    code, out, err = cli(["call-outcomes", "--db", str(db), "--file", str(tmp_path / "missing.csv")], capsys)
    assert code == 2 and out == ""
    assert err == f"cobrokit: error: {tmp_path / 'missing.csv'}: no such file\n"
    assert not db.exists()  # nothing was created


# -- promise list: the grace of the configuration -----------------------------------------------


@pytest.fixture
def promised(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A store where D1 promised EUR 272.70 by 2025-04-25 (the example of docs/plans.md)."""
    db = tmp_path / "p.db"
    with SQLiteStore.open(db) as store:
        store.save(
            debtors=[Debtor(id="D1", name="Uno SL")],
            invoices=[
                Invoice(
                    id="I1",
                    debtor_id="D1",
                    issue_date=dt.date(2025, 3, 1),
                    due_date=dt.date(2025, 3, 31),
                    amount=Money("272.70", "EUR"),
                )
            ],
        )
    argv = ["promise", "add", "--db", str(db), "--debtor", "D1", "--date", "2025-04-25"]
    assert cli([*argv, "--amount", "272.70", "--today", "2025-04-20"], capsys)[0] == 0
    return db


def pause_until(out: str) -> str:
    found = re.search(r"pauses reminders until (\S+)\)", out)
    assert found, out
    return found.group(1)


def test_promise_list_uses_the_configured_grace(
    promised: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no cobrokit.toml here: the built-in [run] promise_grace_days = 2
    listing = ["promise", "list", "--db", str(promised), "--as-of", "2025-04-26"]
    code, out, _ = cli(listing, capsys)
    assert code == 0 and pause_until(out) == "2025-04-27"  # 25 April + 2 days, as the ladder waits

    assert cli(["init"], capsys)[0] == 0  # ./cobrokit.toml, then change its grace to 5 days
    config = tmp_path / "cobrokit.toml"
    text = config.read_text(encoding="utf-8")
    assert "promise_grace_days = 2" in text
    config.write_text(text.replace("promise_grace_days = 2", "promise_grace_days = 5"), encoding="utf-8")
    assert pause_until(cli(listing, capsys)[1]) == "2025-04-30"  # 25 April + 5

    moved = tmp_path / "elsewhere.toml"
    config.rename(moved)
    assert pause_until(cli(listing, capsys)[1]) == "2025-04-27"  # no ./cobrokit.toml any more
    assert pause_until(cli([*listing, "--config", str(moved)], capsys)[1]) == "2025-04-30"
    assert pause_until(cli([*listing, "--config", str(moved), "--grace", "1"], capsys)[1]) == "2025-04-26"


# -- sync: every skipped record is counted ------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(dt.datetime(2025, 4, 15, 6, tzinfo=dt.UTC))


def test_the_tutorial_adapter_skip_is_counted(store: SQLiteStore, tmp_path: Path, clock: FakeClock) -> None:
    erp = tmp_path / "erp.sqlite"
    with sqlite3.connect(erp) as conn:
        conn.executescript((EXAMPLE / "erp.sql").read_text(encoding="utf-8"))
    report = sync(store, InHouseErp(str(erp)), clock=clock)
    # erp.sql: 4 invoices, A-2025-004 has the due date 15/04/2025 and is skipped by the adapter
    assert report.inserted["invoices"] == 3
    assert report.skipped == {"invoices": 1}
    assert "invoices: 3 new, 0 updated, 0 unchanged, 1 skipped" in report.summary()


def test_the_sync_command_counts_the_adapter_skip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from erp_backend import InHouseErpPlugin

    erp = tmp_path / "erp.sqlite"
    with sqlite3.connect(erp) as conn:
        conn.executescript((EXAMPLE / "erp.sql").read_text(encoding="utf-8"))
    host = get_plugin_host(autoload=False, plugins=[("inhouse-erp", InHouseErpPlugin())], environ={})
    monkeypatch.setattr("cobrokit.cli.sync.get_plugin_host", lambda: host)
    argv = ["sync", "--db", str(tmp_path / "c.db"), "--backend", "inhouse", "--setting", f"path={erp}", "--json"]
    code, out, _ = cli(argv, capsys)
    assert code == 0 and json.loads(out)["skipped"] == {"invoices": 1}


def debtor(debtor_id: str = "D1") -> Debtor:
    return Debtor(id=debtor_id, name=f"Debtor {debtor_id}")


def invoice(invoice_id: str = "I1", debtor_id: str = "D1") -> Invoice:
    return Invoice(
        id=invoice_id,
        debtor_id=debtor_id,
        issue_date=dt.date(2025, 1, 1),
        due_date=dt.date(2025, 1, 31),
        amount=Money("100.00", "EUR"),
    )


class ReceiptsBackend(FakeBackend):
    """Payments come as raw receipts converted with convert_records; receipt 2 has a bad amount."""

    def iter_payments(self, *, tenant: str = "default", since: dt.datetime | None = None) -> Iterator[Payment]:
        receipts = [(1, "10.00"), (2, "12,50"), (3, "5.00")]

        def convert(r: tuple[int, str]) -> Payment:
            paid = Money(r[1], "EUR")
            return Payment(
                id=f"R{r[0]}",
                debtor_id="D1",
                date=dt.date(2025, 2, 1),
                amount=paid,
                tenant=tenant,
                allocations=(Allocation("I1", paid),),
            )

        yield from convert_records(receipts, convert, provider=self.name, kind="receipt", id_of=lambda r: r[0])


def test_a_backend_skip_is_counted_under_the_kind_it_names(store: SQLiteStore, clock: FakeClock) -> None:
    backend = ReceiptsBackend("erp", debtors=[debtor()], invoices=[invoice()], clock=clock)
    report = sync(store, backend, clock=clock)
    assert report.inserted == {"debtors": 1, "invoices": 1, "payments": 2}
    assert report.skipped == {"payments": 1}  # receipt 2: "12,50" is not an amount


class RereadingBackend(FakeBackend):
    """Reads its whole source for each stream and reports the same unreadable entry each time (like a ledger)."""

    def _stream(self, records: list[Any], tenant: str) -> Iterator[Any]:
        report_skip("entry", "books.txt:12")  # a kind the sync does not know: the stream read
        yield from super()._stream(records, tenant)


def test_a_skip_reported_again_by_each_stream_counts_once(store: SQLiteStore, clock: FakeClock) -> None:
    backend = RereadingBackend("ledger", debtors=[debtor()], invoices=[invoice()], clock=clock)
    report = sync(store, backend, clock=clock)
    # the kind is not one of the sync's: it counts under the stream being read when it first came
    assert report.skipped == {"debtors": 1}


class NoisyBackend(FakeBackend):
    """Logs skip-like warnings while its debtors are read, but reports none: logs are not counted."""

    def iter_debtors(self, *, tenant: str = "default", since: dt.datetime | None = None) -> Iterator[Debtor]:
        logging.getLogger("elsewhere").warning("%s: skipped invoice X9: only logged", self.name)
        return super().iter_debtors(tenant=tenant, since=since)


def test_only_reported_skips_count(store: SQLiteStore, clock: FakeClock) -> None:
    backend = NoisyBackend("noisy", debtors=[debtor()], invoices=[invoice(), invoice("I2", "NOBODY")], clock=clock)
    report = sync(store, backend, clock=clock)
    assert report.skipped == {"invoices": 1}  # only the sync's own skip: I2's debtor is unknown
    report_skip("invoice", "outside")  # outside a sync: nothing to count, no error


# -- interest: warnings only on stderr ----------------------------------------------------------


def test_usury_cap_warnings_go_to_stderr_only(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["interest", "--regime", "co-usury", "--principal", "5000.00", "--currency", "COP", "--due", "2024-12-15"]
    argv += ["--until", "2025-01-10", "--rate", "30", "--period-rate", "2024-12=25.00"]
    code, out, err = cli(argv, capsys)
    assert code == 0
    assert "exceeds the usury cap 25.00 % EA for 2024-12" in err
    assert err.startswith("cobrokit: warning: ")
    assert "usury cap 25.00 % EA" not in out and "warning" not in out
    assert "interest accrued" in out  # the breakdown itself is still on stdout


# -- credit: the lateness wording says what the figure is -----------------------------------------


def test_the_lateness_factor_says_open_amounts_count_as_of_the_date() -> None:
    # 1000.00 fell due: 600.00 paid 10 days late, 400.00 still open 40 days overdue:
    # (600 x 10 + 400 x 40) / 1000 = 22.0 days
    history = PaymentHistory(
        debtor_id="D1",
        as_of=dt.date(2026, 3, 31),
        since=dt.date(2024, 3, 31),
        lateness=(CurrencyLateness("EUR", 1, 1000_00, 600_00 * 10 + 400_00 * 40),),
    )
    text = "\n".join(score_history(history).explain())
    assert "22.0 days beyond terms on average" in text
    assert "amounts still open (undisputed) by their days overdue on 2026-03-31" in text
    assert "paid 22.0 days" not in text  # not everything was paid
