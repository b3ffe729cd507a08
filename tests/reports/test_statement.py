"""The debtor statement: movements, running balance, interest explained, HTML and PDF."""

import datetime as dt
from pathlib import Path

import pytest
from pypdf import PdfReader

from cobrokit.errors import UnknownReferenceError, ValidationError
from cobrokit.ladder.config import default_config
from cobrokit.model import CreditNote
from cobrokit.money import Money
from cobrokit.reports.statement import (
    debtor_statement,
    statement_attachment,
    statement_html,
    statement_pdf,
    write_statement,
)
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import make_invoice
from tests.reports.scenario import pay, run_days, spanish_debtor

AS_OF = dt.date(2025, 6, 30)
CREDITOR = default_config().creditor


@pytest.fixture
def ledger(store: SQLiteStore) -> SQLiteStore:
    store.save(
        debtors=[spanish_debtor()],
        invoices=[
            make_invoice("F1", "D1", "1210.00", issue="2025-01-10", due="2025-02-09"),
            make_invoice("F2", "D1", "500.00", issue="2025-03-01", due="2025-03-31"),
            make_invoice("F3", "D1", "80.00", issue="2025-07-01", due="2025-07-31"),  # after the date
        ],
        payments=[
            pay("P1", "D1", "2025-03-11", "1300.00", ("F1", "1210.00")),  # 90.00 on account
            pay("P9", "D1", "2025-07-02", "10.00"),  # after the date
        ],
        credit_notes=[
            CreditNote(
                id="C1",
                debtor_id="D1",
                invoice_id="F2",
                date=dt.date(2025, 3, 5),
                amount=Money("100.00", "EUR"),
                reason="descuento",
            ),
        ],
    )
    return store


def test_movements_and_running_balance(ledger: SQLiteStore) -> None:
    (eur,) = debtor_statement(ledger, "D1", AS_OF, creditor=CREDITOR).currencies
    # 1210 (F1) -> 1710 (+F2 500) -> 1610 (-C1 100) -> 310 (-P1 1300); F3 and P9 come after the date
    assert [(line.kind, line.reference, line.balance_minor) for line in eur.lines] == [
        ("invoice", "F1", 1210_00),
        ("invoice", "F2", 1710_00),
        ("credit_note", "C1", 1610_00),
        ("payment", "P1", 310_00),
    ]
    assert eur.ledger_balance_minor == 310_00
    assert eur.open_principal_minor == 400_00  # F2 500 - 100
    assert eur.unapplied_minor == -90_00  # the part of P1 kept on account
    assert eur.interest == ()  # no regime: no interest
    assert eur.total_due_minor == 310_00


def test_interest_and_compensation_are_added_and_explained(ledger: SQLiteStore) -> None:
    statement = debtor_statement(ledger, "D1", AS_OF, creditor=CREDITOR, regime="es-commercial")
    (eur,) = statement.currencies
    f1, f2 = eur.interest
    # F1: 1210.00 x 11.15 % (2025-H1) x 30/365 (10 Feb - 11 Mar) = 11.0889 -> 11.09 imputed first, so
    # 1198.91 of P1's 1210 went to principal: 11.09 of principal stays open, and earns
    # 11.09 x 11.15 % x 111/365 (12 Mar - 30 Jun) = 0.376; accrued 11.4649 -> 11.47 in all.
    assert f1.result is not None and f1.result.interest == Money("11.47", "EUR")
    assert f1.interest_minor == 11_47  # 11.09 principal + 0.38 interest, beyond the ledger's 0 open
    # F2: (500 - 100) x 11.15 % x 91/365 (1 Apr - 30 Jun) = 11.1194 -> 11.12
    assert f2.interest_minor == 11_12
    # Ley 3/2004 art. 8: EUR 40 per invoice paid late, F1 (paid late) and F2 (still open)
    assert eur.compensation_minor == 80_00
    assert eur.total_due_minor == 310_00 + 11_47 + 11_12 + 80_00  # 412.59
    text = statement_html(statement)
    assert "412,59" in text and "intereses del 10 de febrero al 11 de marzo al 11,15 %" in text


def test_pdf_text_holds_the_figures(ledger: SQLiteStore, tmp_path: Path) -> None:
    statement = debtor_statement(ledger, "D1", AS_OF, creditor=CREDITOR, regime="es-commercial")
    out = write_statement(statement, tmp_path / "extracto.pdf")
    text = "\n".join(page.extract_text() for page in PdfReader(str(out)).pages).replace("\xa0", " ")
    for expected in (
        "Extracto de cuenta",
        "Talleres Ruiz SL",
        "Saldo contable 310,00 €",
        "Total adeudado 412,59 €",
        "Indemnización por costes de cobro 80,00 €",
        "Ley 3/2004",
        "a cuenta 90,00 €",
    ):
        assert expected in text, expected
    assert statement_pdf(statement) == statement_pdf(statement)  # deterministic for the same statement


def test_english_debtor_gets_english_labels(store: SQLiteStore) -> None:
    from cobrokit.model import Debtor

    store.save(
        debtors=[Debtor(id="G1", name="Acme Ltd", locale="en_GB", country="GB")],
        invoices=[make_invoice("G-1", "G1", "100.00", "GBP", issue="2025-01-01", due="2025-01-31")],
    )
    page = statement_html(debtor_statement(store, "G1", AS_OF))
    assert "Statement of account" in page and "£100.00" in page


def test_fees_of_the_current_cycle_are_charged(store: SQLiteStore) -> None:
    due = dt.date(2026, 3, 2)
    store.save(
        debtors=[spanish_debtor()],
        invoices=[make_invoice("F1", "D1", "1210.00", issue="2026-01-31", due=due.isoformat())],
    )
    run_days(store, [due + dt.timedelta(days=n) for n in range(-7, 32)])  # ultimatum at +30 charges EUR 15
    (eur,) = debtor_statement(store, "D1", due + dt.timedelta(days=31)).currencies
    assert eur.fees_minor == 15_00
    assert [line.kind for line in eur.lines] == ["invoice", "fee"]
    assert eur.ledger_balance_minor == 1210_00 + 15_00


def test_html_escapes_and_attachment_is_a_pdf(ledger: SQLiteStore) -> None:
    ledger.save(
        credit_notes=[
            CreditNote(
                id="C2",
                debtor_id="D1",
                invoice_id="F2",
                date=dt.date(2025, 6, 1),
                amount=Money("1.00", "EUR"),
                reason="<img src=x onerror=alert(1)>",
            )
        ]
    )
    statement = debtor_statement(ledger, "D1", AS_OF)
    page = statement_html(statement)
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img" not in page
    attachment = statement_attachment(statement)
    assert attachment.filename == "extracto-D1-2025-06-30.pdf"
    assert attachment.content_type == "application/pdf" and attachment.data.startswith(b"%PDF")


def test_errors_name_the_record(ledger: SQLiteStore, tmp_path: Path) -> None:
    with pytest.raises(UnknownReferenceError, match="debtor NOPE"):
        debtor_statement(ledger, "NOPE", AS_OF)
    with pytest.raises(ValidationError, match="out"):
        write_statement(debtor_statement(ledger, "D1", AS_OF), tmp_path / "x.docx")
