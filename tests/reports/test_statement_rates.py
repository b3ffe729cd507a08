"""The statement's rate lines speak the debtor's language, like notices: the rate table's
research notes (English, for the creditor) never reach the debtor — only the official
reference does."""

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from cobrokit.model import Debtor
from cobrokit.reports.statement import debtor_statement, statement_html, statement_pdf
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import make_invoice
from tests.reports.scenario import run_days, spanish_debtor

# words of the rate tables' source notes ("title seen, figure derived from ECB MRO…",
# "reported by orientelegal.es") and of the raw source lines ("rate 2025-H2: 10.15 % (…)")
EVIDENCE = ("title seen", "figure derived", "reported by", "ECB MRO", "rate 2025", "10.15 %", "11.15 %")


def pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.replace("\xa0", " ").split())


@pytest.fixture
def ledger(store: SQLiteStore) -> SQLiteStore:
    # due 9 Feb 2025, as of 30 Sep 2025: interest runs through 2025-H1 and 2025-H2
    store.save(
        debtors=[spanish_debtor(), Debtor(id="G1", name="Acme Ltd", locale="en_GB", country="GB")],
        invoices=[
            make_invoice("F1", "D1", "1210.00", issue="2025-01-10", due="2025-02-09"),
            make_invoice("G-1", "G1", "1210.00", issue="2025-01-10", due="2025-02-09"),
        ],
    )
    return store


def test_a_spanish_statement_pdf_has_spanish_rate_lines_and_no_english_evidence(ledger: SQLiteStore) -> None:
    statement = debtor_statement(ledger, "D1", dt.date(2025, 9, 30), regime="es-commercial")
    text = pdf_text(statement_pdf(statement))
    # the es-commercial rate table: 11.15 % for 2025-H1 (Resolución of 30 Dec 2024),
    # 10.15 % for 2025-H2 (BOE-A-2025-13217), formatted in es_ES
    assert "tipo 2025-H1: 11,15 % (Resolución de 30 de diciembre de 2024 de la Secretaría General del Tesoro)" in text
    assert "tipo 2025-H2: 10,15 % (BOE-A-2025-13217)" in text
    assert "Fuentes legales" in text and "Ley 3/2004" in text
    for english in EVIDENCE:
        assert english not in text, english
    page = statement_html(statement)
    assert "tipo 2025-H2: 10,15" in page
    for english in EVIDENCE:
        assert english not in page, english


def test_an_english_statement_gets_english_rate_labels(ledger: SQLiteStore) -> None:
    statement = debtor_statement(ledger, "G1", dt.date(2025, 9, 30), regime="es-commercial")
    text = pdf_text(statement_pdf(statement))
    assert "rate 2025-H2: 10.15% (BOE-A-2025-13217)" in text.replace(" %", "%")
    for note in EVIDENCE[:4]:
        assert note not in text, note


def test_the_statement_attached_to_the_penalty_warning_has_no_english_evidence(ledger: SQLiteStore) -> None:
    # due 20 Jun 2025: the penalty warning (+22, with the statement attached) goes out on
    # 12 Jul 2025, with interest from 21 Jun (2025-H1) into July (2025-H2)
    ledger.save(
        debtors=[spanish_debtor("D2", "Hierros Gil SL")],
        invoices=[make_invoice("F2", "D2", "500.00", issue="2025-05-21", due="2025-06-20")],
    )
    due = dt.date(2025, 6, 20)
    chans = run_days(ledger, [due + dt.timedelta(days=n) for n in range(-7, 23)])
    warning = next(m for m in chans["email"].sent if m.stage == "penalty_warning" and m.debtor_id == "D2")
    [statement] = [a for a in warning.attachments if a.filename == "extracto-D2-2025-07-12.pdf"]
    text = pdf_text(statement.data)
    assert "Extracto de cuenta" in text and "Hierros Gil SL" in text
    assert "tipo 2025-H1: 11,15 %" in text and "tipo 2025-H2: 10,15 % (BOE-A-2025-13217)" in text
    for english in EVIDENCE:
        assert english not in text, english
