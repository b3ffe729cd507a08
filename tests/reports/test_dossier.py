"""The case file: its contents checked against the journal, the outbox and the ledger."""

import datetime as dt
import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from cobrokit.casework import record_contact, set_dispute
from cobrokit.errors import UnknownReferenceError, ValidationError
from cobrokit.ladder.config import default_config
from cobrokit.model import Debtor
from cobrokit.reports.dossier import build_dossier
from cobrokit.store import journal as jr
from cobrokit.store.plans import add_promise
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import make_invoice
from tests.reports.scenario import at, run_days, spanish_debtor

DUE = dt.date(2026, 3, 2)
AS_OF = DUE + dt.timedelta(days=61)
NOW = dt.datetime(2026, 5, 2, 18, 0, tzinfo=dt.UTC)
CONFIG = default_config()


@pytest.fixture(scope="module")
def case_store(tmp_path_factory: pytest.TempPathFactory) -> SQLiteStore:
    """D1 goes up the whole ladder to the hand-off; D2 is someone else."""
    store = SQLiteStore.open(tmp_path_factory.mktemp("case") / "ledger.db")
    store.save(
        debtors=[spanish_debtor(), Debtor(id="D2", name="Otro SL", emails=("o@example.com",), country="ES")],
        invoices=[
            make_invoice("F1", "D1", "12100.00", issue="2026-01-31", due=DUE.isoformat()),
            make_invoice("F2", "D1", "300.00", issue="2026-02-10", due=DUE.isoformat()),
            make_invoice("G1", "D2", "50.00", issue="2026-01-31", due=DUE.isoformat()),
        ],
    )

    def day(offset: int) -> dt.date:
        return DUE + dt.timedelta(days=offset)

    run_days(store, [day(n) for n in range(-7, 16)])
    record_contact(
        store,
        debtor_id="D1",
        on=day(16),
        outcome="answered",
        reason="hardship",
        note="cobra a 90 días 😅 中 <b>",
        now=at(day(16)),
    )
    set_dispute(store, "F2", True, reason="material defectuoso", on=day(17), now=at(day(17)))
    add_promise(
        store,
        tenant="default",
        debtor_id="D1",
        promised_date=day(20),
        amount="1000.00",
        currency="EUR",
        today=day(17),
    )
    run_days(store, [day(n) for n in range(16, 62)])
    return store


@pytest.fixture(scope="module")
def case_zip(case_store: SQLiteStore, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("out") / "D1.zip"
    result = build_dossier(case_store, "D1", out, as_of=AS_OF, config=CONFIG, now=NOW)
    return out, result


def read_case(path: Path) -> dict:  # type: ignore[type-arg]
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("case.json"))  # type: ignore[no-any-return]


def test_every_journal_line_of_the_debtor_is_in_the_timeline(case_store: SQLiteStore, case_zip) -> None:  # type: ignore[no-untyped-def]
    case = read_case(case_zip[0])
    journal = [r for r in jr.iter_journal(case_store, "default", debtor_id="D1") if r.as_of <= AS_OF.isoformat()]
    entries = {e["journal_seq"]: e for e in case["timeline"] if e["source"] == "journal"}
    assert sorted(entries) == [r.seq for r in journal]
    for row in journal:
        entry = entries[row.seq]
        assert (entry["kind"], entry["stage"], entry["channel"], entry["key"], entry["at"]) == (
            row.kind,
            row.stage,
            row.channel,
            row.key,
            row.as_of,
        )
        assert entry["detail"].startswith(row.reason)
    assert not any("D2" in e["key"] or "Otro SL" in e["detail"] for e in case["timeline"])
    kinds = [e["kind"] for e in case["timeline"]]
    assert {
        "delivered",
        "contact",
        "hardship",
        "dispute_opened",
        "promise_made",
        "promise_broken",
        "handoff",
        "invoice_issued",
    } <= set(kinds)
    dates = [e["at"] for e in case["timeline"]]
    assert dates == sorted(dates)


def test_contact_notes_disputes_and_promises_are_kept(case_zip) -> None:  # type: ignore[no-untyped-def]
    case = read_case(case_zip[0])
    contact = next(e for e in case["timeline"] if e["kind"] == "contact")
    assert "note: cobra a 90 días 😅 中 <b>" in contact["detail"]  # the exact text, untouched
    (dispute,) = case["disputes"]
    assert dispute["kind"] == "dispute_opened" and "F2: material defectuoso" in dispute["detail"]
    (promise,) = case["promises"]
    # 1000.00 by +20 with 2 days' grace; no payment at all -> broken on +23
    assert (promise["state"], promise["broken_on"]) == ("broken", (DUE + dt.timedelta(days=23)).isoformat())


def test_every_outbox_row_is_listed_with_its_receipt_and_content(case_store: SQLiteStore, case_zip) -> None:  # type: ignore[no-untyped-def]
    path, result = case_zip
    case = read_case(path)
    rows = list(jr.iter_outbox(case_store, "default", debtor_id="D1"))
    assert [(n["key"], n["status"], n["provider_id"], n["attempts"]) for n in case["notices"]] == [
        (r.key, r.status, r.provider_id, r.attempts) for r in rows
    ]
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        for notice in case["notices"]:
            if notice["kind"] == "notice" and notice["status"] == "sent":
                assert notice["files"], notice["key"]
                assert set(notice["files"]) <= names
                if notice["subject_sent"]:
                    assert notice["subject_rendered"] == notice["subject_sent"]
            else:
                assert notice["files"] == []
        letters = [f for n in case["notices"] for f in n["files"] if f.endswith(".pdf")]
        assert any("ultimatum_letter" in f for f in letters) and any("handoff_letter" in f for f in letters)
        ultimatum = next(f for f in letters if "ultimatum" in f)
        archive.extract(ultimatum, path.parent)
    text = PdfReader(str(path.parent / ultimatum)).pages[0].extract_text()
    assert "Talleres Ruiz SL" in text and "F1" in text
    assert len(result.notices) == len(rows)


def test_manifest_checks_every_file(case_zip) -> None:  # type: ignore[no-untyped-def]
    path, result = case_zip
    with zipfile.ZipFile(path) as archive:
        manifest = archive.read("MANIFEST.sha256").decode()
        listed = dict(reversed(line.split("  ", 1)) for line in manifest.splitlines())  # type: ignore[misc]
        assert set(listed) == set(archive.namelist()) - {"MANIFEST.sha256"}
        for name, digest in listed.items():
            assert hashlib.sha256(archive.read(name)).hexdigest() == digest
        case = json.loads(archive.read("case.json"))
        assert set(case["files"]) == set(archive.namelist())
    assert {f.path for f in result.files} == set(case["files"])


def test_index_pdf_has_the_claim_the_warnings_and_the_contents(case_zip) -> None:  # type: ignore[no-untyped-def]
    path, result = case_zip
    with zipfile.ZipFile(path) as archive:
        archive.extract("index.pdf", path.parent)
        index_text = archive.read("index.txt").decode()
    text = "\n".join(p.extract_text() for p in PdfReader(str(path.parent / "index.pdf")).pages).replace("\xa0", " ")
    (claim,) = result.claims
    # the claim is the statement's total due: both invoices' principal, the EUR 15 ultimatum fee, interest
    # and EUR 40 compensation per late invoice (the disputed one still counts: it is still owed)
    assert claim.currency == "EUR" and claim.amount > 12400
    # the default configuration's creditor is in "España": the index is in Spanish (the court notes
    # themselves are English text from cobrokit.reports.jurisdiction)
    for expected in (
        "Expediente — Talleres Ruiz SL",
        "Notas de jurisdicción — España",
        "above the EUR 2,000 small-claims limit",
        "MASC",
        "timeline.csv — todos los eventos por fecha",
    ):
        assert expected in text.replace("\n", " "), expected
        assert expected in index_text.replace("\n", " ")
    assert "cobra a 90 días 😅 ? <b>" in text  # a character the font lacks is replaced in the PDF only


def test_folder_and_zip_hold_the_same_files_and_zip_is_deterministic(case_store: SQLiteStore, tmp_path: Path) -> None:
    folder = build_dossier(case_store, "D1", tmp_path / "case", as_of=AS_OF, config=CONFIG, now=NOW)
    first = build_dossier(case_store, "D1", tmp_path / "a.zip", as_of=AS_OF, config=CONFIG, now=NOW)
    second = build_dossier(case_store, "D1", tmp_path / "b.zip", as_of=AS_OF, config=CONFIG, now=NOW)
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    on_disk = {p.relative_to(tmp_path / "case").as_posix() for p in (tmp_path / "case").rglob("*") if p.is_file()}
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        assert on_disk == set(archive.namelist())
    assert folder.files == first.files == second.files


def test_existing_output_is_not_overwritten_by_accident(case_store: SQLiteStore, tmp_path: Path) -> None:
    out = tmp_path / "case.zip"
    build_dossier(case_store, "D1", out, as_of=AS_OF, config=CONFIG, now=NOW)
    with pytest.raises(ValidationError, match="already exists"):
        build_dossier(case_store, "D1", out, as_of=AS_OF, config=CONFIG, now=NOW)
    build_dossier(case_store, "D1", out, as_of=AS_OF, config=CONFIG, now=NOW, replace=True)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.txt").write_text("precious")
    with pytest.raises(ValidationError, match="not a case file"):
        build_dossier(case_store, "D1", mine, as_of=AS_OF, config=CONFIG, now=NOW, replace=True)
    assert (mine / "thesis.txt").read_text() == "precious"
    with pytest.raises(UnknownReferenceError):
        build_dossier(case_store, "NOPE", tmp_path / "x.zip", as_of=AS_OF, config=CONFIG)


def test_an_earlier_date_leaves_later_events_out(case_store: SQLiteStore, tmp_path: Path) -> None:
    early = DUE + dt.timedelta(days=10)
    result = build_dossier(case_store, "D1", tmp_path / "early.zip", as_of=early, config=CONFIG, now=NOW)
    assert max(e.at for e in result.timeline) <= early.isoformat()
    assert all(n.as_of <= early.isoformat() for n in result.notices)
    assert not any(e.kind == "handoff" for e in result.timeline)


def test_invoices_are_listed_with_their_open_amounts(case_zip) -> None:  # type: ignore[no-untyped-def]
    import csv
    import io

    with zipfile.ZipFile(case_zip[0]) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("invoices.csv").decode())))
    # nothing was paid: both invoices are fully open, 61 days past due; F2 was disputed on day 17
    assert [(r["invoice_id"], r["amount"], r["open"], r["days_overdue"], r["disputed"]) for r in rows] == [
        ("F1", "12100.00", "12100.00", "61", ""),
        ("F2", "300.00", "300.00", "61", "yes"),
    ]
