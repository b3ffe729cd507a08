"""``cobrokit report``, ``statement`` and ``dossier`` from the command line."""

import csv
import json
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from cobrokit.cli import main
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import make_invoice
from tests.reports.scenario import pay, spanish_debtor


@pytest.fixture
def db(store: SQLiteStore) -> str:
    store.save(
        debtors=[spanish_debtor()],
        invoices=[make_invoice("F1", "D1", "2500.00", issue="2026-01-01", due="2026-01-31")],
        payments=[pay("P1", "D1", "2026-02-15", "500.00", ("F1", "500.00"))],
    )
    return store.path


def test_report_writes_html_csv_and_json(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, csv_path, json_path = tmp_path / "r.html", tmp_path / "r.csv", tmp_path / "r.json"
    code = main(
        [
            "report",
            "--db",
            db,
            "--as-of",
            "2026-03-31",
            "--out",
            str(out),
            "--csv",
            str(csv_path),
            "--json",
            str(json_path),
            "--period-days",
            "90",
        ]
    )
    assert code == 0
    assert "EUR: receivables EUR 2000.00, 1 debtor(s) owing" in capsys.readouterr().out
    data = json.loads(json_path.read_text(encoding="utf-8"))
    # 2500 - 500 = 2000 open, 59 days past due on 2026-03-31 -> 31-60
    assert data["currencies"]["EUR"]["aging"]["31-60"] == "2000.00" and data["period"]["days"] == 90
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8")))
    assert {
        "section": "aging",
        "currency": "EUR",
        "item": "31-60",
        "field": "amount",
        "value": "2000.00",
    } in rows
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_statement_pdf_and_html(db: str, tmp_path: Path) -> None:
    assert (
        main(
            [
                "statement",
                "--db",
                db,
                "--debtor",
                "D1",
                "--as-of",
                "2026-03-31",
                "--out",
                str(tmp_path / "s.pdf"),
            ]
        )
        == 0
    )
    text = PdfReader(str(tmp_path / "s.pdf")).pages[0].extract_text().replace("\xa0", " ")
    assert "Extracto de cuenta" in text and "Saldo contable 2.000,00 €" in text
    assert "Intereses de demora" in text  # the default configuration's regime for Spain
    assert (
        main(
            [
                "statement",
                "--db",
                db,
                "--debtor",
                "D1",
                "--as-of",
                "2026-03-31",
                "--regime",
                "none",
                "--out",
                str(tmp_path / "s.html"),
            ]
        )
        == 0
    )
    assert "Intereses de demora" not in (tmp_path / "s.html").read_text(encoding="utf-8")


def test_dossier_zip_and_errors(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "case.zip"
    assert main(["dossier", "--db", db, "--debtor", "D1", "--out", str(out), "--as-of", "2026-03-31"]) == 0
    printed = capsys.readouterr().out
    assert f"case file written to {out}" in printed and "warning: the claim" in printed
    with zipfile.ZipFile(out) as archive:
        assert {"index.pdf", "case.json", "timeline.csv", "statement.pdf", "MANIFEST.sha256"} <= set(archive.namelist())
    assert main(["dossier", "--db", db, "--debtor", "D1", "--out", str(out), "--as-of", "2026-03-31"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["dossier", "--db", db, "--debtor", "D1", "--out", str(out), "--force"]) == 0
    assert main(["dossier", "--db", str(tmp_path / "none.db"), "--debtor", "D1", "--out", str(out)]) == 2
