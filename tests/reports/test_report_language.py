"""Reports speak their reader's language: the debtor's statement, the creditor's case file,
the portfolio report, and the aging table (issue 8, a Spanish small business trying cobrokit)."""

import datetime as dt
import io
import logging
import re
import zipfile
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import attrs
import pytest
from pypdf import PdfReader

from cobrokit.cli import main
from cobrokit.interest import compute_interest, get_regime
from cobrokit.ladder.config import default_config
from cobrokit.model import Address, Allocation, CreditNote, Debtor, Payment, PaymentMethod
from cobrokit.money import Money
from cobrokit.reports.aging import aging_report, render_table
from cobrokit.reports.dossier import build_dossier, dossier_locale
from cobrokit.reports.figures import portfolio_figures
from cobrokit.reports.html import render_report_html
from cobrokit.reports.statement import (
    CurrencyStatement,
    InvoiceInterest,
    Statement,
    country_name,
    debtor_statement,
    payment_method_label,
    statement_html,
    statement_pdf,
)
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import make_invoice
from tests.reports.scenario import spanish_debtor

CONFIG = default_config()  # its creditor's address ends with "España"; es-commercial for Spanish debtors
CREDITOR_ES = attrs.evolve(
    CONFIG.creditor, address=Address(lines=("Calle Mayor 1",), city="Madrid", postal_code="28013", country="ES")
)
NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=dt.UTC)


def english_debtor(debtor_id: str = "G1") -> Debtor:
    return Debtor(
        id=debtor_id,
        name="Acme Ltd",
        address=Address(lines=("1 High Street",), city="Leeds", postal_code="LS1 1AA", country="GB"),
        locale="en_GB",
        country="GB",
    )


def pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.replace("\xa0", " ").split())


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_text(page: str) -> str:
    """The text a reader sees (markup, attributes and the CSS left out)."""
    parser = _Text()
    parser.feed(re.sub(r"<style>.*?</style>", "", page, flags=re.S))
    return " ".join(" ".join(parser.parts).replace("\xa0", " ").split())


# -- 1. payment methods and countries on the statement --------------------------------------------

SPANISH_METHODS = {
    PaymentMethod.TRANSFER: "transferencia",
    PaymentMethod.CARD: "tarjeta",
    PaymentMethod.CASH: "efectivo",
    PaymentMethod.DIRECT_DEBIT: "domiciliación",
    PaymentMethod.CHEQUE: "cheque",
    PaymentMethod.IN_KIND: "pago en especie",
    PaymentMethod.OTHER: "otro medio",
}
ENGLISH_METHODS = {
    PaymentMethod.TRANSFER: "bank transfer",
    PaymentMethod.CARD: "card",
    PaymentMethod.CASH: "cash",
    PaymentMethod.DIRECT_DEBIT: "direct debit",
    PaymentMethod.CHEQUE: "cheque",
    PaymentMethod.IN_KIND: "payment in kind",
    PaymentMethod.OTHER: "other means",
}


def test_every_payment_method_has_a_spanish_and_an_english_label() -> None:
    assert set(SPANISH_METHODS) == set(PaymentMethod) == set(ENGLISH_METHODS)
    for method in PaymentMethod:
        assert payment_method_label(method, "es_ES") == SPANISH_METHODS[method]
        assert payment_method_label(method, "es_MX") == SPANISH_METHODS[method]
        assert payment_method_label(method, "en_GB") == ENGLISH_METHODS[method]


def _one_payment_per_method(store: SQLiteStore, debtor_id: str) -> None:
    # one 10.00 payment per method on a 100.00 invoice, in the order of PaymentMethod
    store.save(invoices=[make_invoice(f"{debtor_id}-1", debtor_id, "100.00", issue="2026-01-02", due="2026-02-01")])
    store.save(
        payments=[
            attrs.evolve(
                Payment(
                    id=f"{debtor_id}-P{n}",
                    debtor_id=debtor_id,
                    date=dt.date(2026, 2, 10 + n),
                    amount=Money("10.00", "EUR"),
                    allocations=(Allocation(f"{debtor_id}-1", Money("10.00", "EUR")),),
                ),
                method=method,
                description="3 cajas de tornillos" if method is PaymentMethod.IN_KIND else "",
            )
            for n, method in enumerate(PaymentMethod)
        ]
    )


def test_a_spanish_statement_names_payment_methods_and_the_country_in_spanish(store: SQLiteStore) -> None:
    store.save(debtors=[spanish_debtor()])
    _one_payment_per_method(store, "D1")
    statement = debtor_statement(store, "D1", dt.date(2026, 3, 31), creditor=CONFIG.creditor)
    descriptions = [line.description for line in statement.currencies[0].lines if line.kind == "payment"]
    assert [d.split(";")[0] for d in descriptions] == [
        "Pago (transferencia)",
        "Pago (tarjeta)",
        "Pago (efectivo)",
        "Pago (domiciliación)",
        "Pago (cheque)",
        "Pago en especie",  # not "Pago (pago en especie)"
        "Pago (otro medio)",
    ]
    text = pdf_text(statement_pdf(statement))
    page = html_text(statement_html(statement))
    for shown in (text, page):
        assert "Pago (transferencia); aplicado a D1-1 10,00 €" in shown
        assert "28013 Madrid España" in shown  # the debtor's (and the creditor's) country, in Spanish
        for english in ("(transfer)", "(card)", "(cash)", "direct_debit", "in_kind", "(other)"):
            assert english not in shown, english
        assert " ES " not in f" {shown} "


def test_an_english_statement_names_payment_methods_and_the_country_in_english(store: SQLiteStore) -> None:
    store.save(debtors=[english_debtor()])
    _one_payment_per_method(store, "G1")
    statement = debtor_statement(store, "G1", dt.date(2026, 3, 31), creditor=CREDITOR_ES)
    text = pdf_text(statement_pdf(statement))
    assert "Payment (bank transfer); applied to G1-1 €10.00" in text
    assert "Payment (direct debit)" in text and "Payment in kind" in text
    assert "LS1 1AA Leeds United Kingdom" in text
    assert "28013 Madrid Spain" in text  # the creditor's country, in the reader's language


def test_country_names_come_from_babel() -> None:
    assert country_name("ES", "es_ES") == "España"
    assert country_name("es", "en") == "Spain"
    assert country_name("MX", "es_MX") == "México"
    assert country_name("España", "en") == "España"  # already a name: left alone
    assert country_name("", "es") == ""


# -- 2. interest that cannot be computed yet -----------------------------------------------------

AS_OF_2027 = dt.date(2027, 2, 28)
AS_OF_2026 = dt.date(2026, 6, 30)
# 2026-H2 supplied by the creditor's configuration; 2027-H1 not published in the tables
RATES_2026_H2 = {"2026-H2": Decimal("10.40")}
PROGRAM_WORDS = ("no published rate", "extra_rates", "Decimal", "es-commercial:", "--period-rate", "cobrokit.toml")


@pytest.fixture
def late_2026(store: SQLiteStore) -> SQLiteStore:
    """F1 (1,210.00, due 30 Nov 2026) part-paid late; its interest runs into 2027-H1."""
    store.save(
        debtors=[spanish_debtor(), english_debtor()],
        invoices=[
            make_invoice("F1", "D1", "1210.00", issue="2026-10-31", due="2026-11-30"),
            make_invoice("F2", "D1", "300.00", issue="2026-10-31", due="2026-11-30"),
            make_invoice("G-1", "G1", "500.00", issue="2026-10-31", due="2026-11-30"),
        ],
        payments=[
            Payment(
                id="P1",
                debtor_id="D1",
                date=dt.date(2026, 12, 15),
                amount=Money("100.00", "EUR"),
                allocations=(Allocation("F1", Money("100.00", "EUR")),),
            )
        ],
        credit_notes=[  # F2 credited in full after its due date: no principal bears interest (store.interest)
            CreditNote(
                id="C1", debtor_id="D1", invoice_id="F2", date=dt.date(2026, 12, 1), amount=Money("300.00", "EUR")
            )
        ],
    )
    return store


def test_missing_rate_gives_a_plain_spanish_line_and_keeps_the_fixed_compensation(
    late_2026: SQLiteStore, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="cobrokit.reports.statement"):
        statement = debtor_statement(
            late_2026, "D1", AS_OF_2027, creditor=CONFIG.creditor, regime="es-commercial", extra_rates=RATES_2026_H2
        )
    (eur,) = statement.currencies
    (f1,) = eur.interest  # F2: credited in full, so no principal bore interest (store.interest rule)
    assert f1.result is None and f1.pending and f1.missing_periods == ("2027-H1",)
    # Ley 3/2004 art. 8: EUR 40 per late invoice, whatever the rate; F1 had 1,210.00 unpaid at its due date
    assert eur.compensation_minor == 40_00
    # ledger: 1,210 + 300 − 300 (C1) − 100 (P1) = 1,110.00; + 40.00 compensation; no interest yet
    assert eur.ledger_balance_minor == 1110_00 and eur.total_due_minor == 1150_00
    text = pdf_text(statement_pdf(statement))
    page = html_text(statement_html(statement))
    for shown in (text, page):
        assert (
            "Factura F1: Los intereses de demora del periodo 2027-H1 se calcularán cuando se publique "
            "el tipo legal aplicable." in shown
        )
        assert "Indemnización por costes de cobro 40,00 €" in shown
        assert "Total adeudado 1.150,00 €" in shown
        assert "Intereses de demora 0,00 €" not in shown  # no made-up zero
        for word in PROGRAM_WORDS:
            assert word not in shown, word
    # the technical reason is for the creditor: the JSON and the log
    (detail,) = statement.to_json()["currencies"]["EUR"]["interest_detail"]
    assert "no published rate" in detail["error"] and detail["missing_periods"] == ["2027-H1"]
    assert detail["compensation"] == "40.00"
    assert any("F1" in r.getMessage() and "2027-H1" in r.getMessage() for r in caplog.records)
    assert not any("Talleres" in r.getMessage() for r in caplog.records)  # no debtor personal data


def test_two_missing_periods_and_an_english_reader(late_2026: SQLiteStore) -> None:
    # without the configured 2026-H2 rate both half-years are missing
    spanish = debtor_statement(late_2026, "D1", AS_OF_2027, creditor=CONFIG.creditor, regime="es-commercial")
    assert (
        "Los intereses de demora de los periodos 2026-H2 y 2027-H1 se calcularán cuando se publiquen los "
        "tipos legales aplicables." in pdf_text(statement_pdf(spanish))
    )
    english = debtor_statement(
        late_2026, "G1", AS_OF_2027, creditor=CONFIG.creditor, regime="es-commercial", extra_rates=RATES_2026_H2
    )
    text = pdf_text(statement_pdf(english))
    assert (
        "Invoice G-1: Late-payment interest for the period 2027-H1 will be computed once the applicable "
        "statutory rate is published." in text
    )
    assert "Fixed recovery compensation €40.00" in text and "Total due €540.00" in text  # 500 + 40
    for word in PROGRAM_WORDS:
        assert word not in text, word


def test_computed_and_pending_interest_side_by_side() -> None:
    # F3: 1,000.00 due 31 Mar 2026, interest through 30 Jun 2026 (2026-H1, in the tables);
    # F1: waits for 2027-H1 with its EUR 40 compensation computed on its own
    computed = compute_interest(get_regime("es-commercial"), Money("1000.00", "EUR"), dt.date(2026, 3, 31), AS_OF_2026)
    f3 = InvoiceInterest("F3", "F3", "EUR", 1000_00, computed)
    f1 = InvoiceInterest(
        "F1",
        "F1",
        "EUR",
        1210_00,
        None,
        "(the reason)",
        ("2027-H1",),
        dt.date(2027, 1, 1),
        fixed_compensation_minor=40_00,
    )
    eur = CurrencyStatement("EUR", (), (), (f3, f1))
    statement = Statement("default", spanish_debtor(), CONFIG.creditor, AS_OF_2026, "es-commercial", (eur,))
    # 1,000.00 x 10.15 % (2026-H1) x 91/365 (1 Apr - 30 Jun) = 25.3068... -> 25.31
    assert eur.interest_minor == 25_31 and eur.compensation_minor == 80_00  # EUR 40 for each late invoice
    page = html_text(statement_html(statement))
    assert "Intereses de demora (salvo los pendientes de cálculo) 25,31 €" in page
    assert "Indemnización por costes de cobro 80,00 €" in page
    assert "Factura F3: intereses del 1 de abril al 30 de junio al 10,15 %: 25,31 EUR" in page
    assert "Factura F1: Los intereses de demora del periodo 2027-H1 se calcularán" in page
    assert "(the reason)" not in page


def test_the_statement_command_tells_the_creditor_why(late_2026: SQLiteStore, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "extracto.html"
    assert (
        main(["statement", "--db", late_2026.path, "--debtor", "D1", "--as-of", "2027-02-28", "--out", str(out)]) == 0
    )
    err = capsys.readouterr().err
    assert "note: invoice F1: es-commercial: no published rate for the half-year 2026-H2" in err
    page = html_text(out.read_text(encoding="utf-8"))
    assert "se calcularán cuando se publiquen los tipos legales aplicables" in page
    assert "no published rate" not in page


# -- 3. the case file is in the creditor's language ----------------------------------------------


def test_dossier_locale_prefers_the_creditor_then_the_debtor() -> None:
    spanish, english = spanish_debtor(), english_debtor()
    creditor_in = {
        country: attrs.evolve(
            CONFIG,
            creditor=attrs.evolve(CONFIG.creditor, address=attrs.evolve(CONFIG.creditor.address, country=country)),
        )
        for country in ("ES", "GB", "MX", "FR", "Spain")
    }
    assert dossier_locale(CONFIG, english) == "es_ES"  # the default creditor's address ends with "España"
    assert dossier_locale(creditor_in["Spain"], english) == "es_ES"
    assert dossier_locale(creditor_in["ES"], english) == "es_ES"
    assert dossier_locale(creditor_in["MX"], english) == "es_MX"
    assert dossier_locale(creditor_in["GB"], spanish) == "en_GB"
    assert dossier_locale(creditor_in["FR"], spanish) == "en"  # no French words in the index: English
    nowhere = attrs.evolve(CONFIG, creditor=attrs.evolve(CONFIG.creditor, address=Address(lines=("Calle Mayor 1",))))
    assert dossier_locale(nowhere, spanish) == "es_ES"  # creditor's country unknown: the debtor's
    assert dossier_locale(nowhere, english) == "en_GB"
    assert dossier_locale(creditor_in["ES"], spanish, "en") == "en"  # an explicit choice wins


def _index(path: Path) -> tuple[str, str]:
    with zipfile.ZipFile(path) as archive:
        return pdf_text(archive.read("index.pdf")), " ".join(archive.read("index.txt").decode().split())


def test_a_spanish_creditor_gets_a_spanish_case_file_index(late_2026: SQLiteStore, tmp_path: Path) -> None:
    config = attrs.evolve(CONFIG, interest_rates={"es-commercial": RATES_2026_H2})
    build_dossier(late_2026, "D1", tmp_path / "D1.zip", as_of=AS_OF_2027, config=config, now=NOW)
    pdf, txt = _index(tmp_path / "D1.zip")
    for shown in (pdf, txt):
        for spanish in (
            "Expediente a 28 de febrero de 2027",
            "Expediente — Talleres Ruiz SL",
            # 1,110.00 ledger + 0 interest + 40.00 compensation
            "Reclamación en EUR: 1.150,00 € = saldo contable 1.110,00 €",
            "Intereses pendientes de cálculo (tipo aún no publicado) de: F1.",
            "Notas de jurisdicción — España",
            "Facturas pendientes",
            "Factura Vencimiento Días de retraso Pendiente",
            "F1 - pendiente: 2027-H1 40,00 €",
            "Cronología (",
            "Contenido de este expediente:",
            "statement.pdf — extracto de cuenta",
            "no son asesoramiento jurídico",
            "Preparado con cobrokit",
        ):
            assert spanish in shown, spanish
        for english in ("Case file", "Open invoices", "Timeline (", "Contents of this case file", "Prepared with"):
            assert english not in shown, english
    with zipfile.ZipFile(tmp_path / "D1.zip") as archive:
        interest = archive.read("interest.txt").decode()
    assert interest.startswith("Intereses de demora a 2027-02-28 según es-commercial")
    assert "no calculados: es-commercial: no published rate" in interest  # the reason, for the lawyer


def test_an_english_case_file_on_request_or_for_an_english_creditor(late_2026: SQLiteStore, tmp_path: Path) -> None:
    build_dossier(late_2026, "D1", tmp_path / "en.zip", as_of=AS_OF_2027, config=CONFIG, now=NOW, locale="en")
    british = attrs.evolve(
        CONFIG,
        creditor=attrs.evolve(CONFIG.creditor, address=Address(lines=("2 Quay St",), city="Bristol", country="GB")),
    )
    build_dossier(late_2026, "D1", tmp_path / "gb.zip", as_of=AS_OF_2027, config=british, now=NOW)
    for name, day in (("en.zip", "February 28, 2027"), ("gb.zip", "28 February 2027")):
        pdf, txt = _index(tmp_path / name)
        for shown in (pdf, txt):
            for english in (
                f"Case file as of {day}",
                "Case file — Talleres Ruiz SL",
                "Jurisdiction notes — Spain",
                "Open invoices",
                "Invoice Due Days overdue Open",
                "Timeline (",
                "Contents of this case file:",
                "28013 Madrid Spain",
            ):
                assert english in shown, (name, english)
            assert "Expediente" not in shown and "Cronología" not in shown
        # the statement inside is the debtor's document: it stays in Spanish
        with zipfile.ZipFile(tmp_path / name) as archive:
            assert "Extracto de cuenta" in pdf_text(archive.read("statement.pdf"))


def test_the_dossier_command_takes_a_locale(late_2026: SQLiteStore, tmp_path: Path) -> None:
    out = tmp_path / "case.zip"
    argv = ["dossier", "--db", late_2026.path, "--debtor", "D1", "--as-of", "2027-02-28", "--out", str(out)]
    assert main([*argv, "--locale", "en"]) == 0
    assert "Case file as of February 28, 2027" in _index(out)[0]
    assert main([*argv, "--force"]) == 0  # the default configuration's creditor is in "España"
    assert "Expediente a 28 de febrero de 2027" in _index(out)[0]


# -- 4. the portfolio report's headings ----------------------------------------------------------


@pytest.fixture
def portfolio(store: SQLiteStore) -> SQLiteStore:
    store.save(
        debtors=[spanish_debtor(), spanish_debtor("D2", "Hierros Gil SL")],
        invoices=[
            make_invoice("F1", "D1", "1000.00", issue="2026-01-01", due="2026-01-31"),
            make_invoice("F2", "D2", "250.00", issue="2026-03-01", due="2026-03-31"),
        ],
    )
    return store


ENGLISH_HEADINGS = (
    "Receivables report",
    "Debtors owing",
    "Collected in period",
    "Top 2 debtors by balance",
    "What each ladder stage recovered",
    "Promises to pay",
    "How the figures are computed",
    "current",
    "over 120 days",
    "Generated by cobrokit",
)


def test_the_report_in_spanish(portfolio: SQLiteStore) -> None:
    figures = portfolio_figures(portfolio, dt.date(2026, 3, 31), period_days=31)
    page = render_report_html(figures, locale="es_ES")
    text = html_text(page)
    for spanish in (
        "Informe de cuentas a cobrar",
        "a 31 de marzo de 2026",
        "Saldo pendiente 1.250,00 €",
        "Deudores con saldo 2",
        "Antigüedad de saldos",
        "sin vencer",
        "más de 120 días",
        "Los 2 deudores con mayor saldo",
        "Deudor",
        "Lo que recuperó cada etapa de la escalera",
        "Promesas de pago",
        "Ninguna promesa de pago venció en este periodo.",
        "Cómo se calculan las cifras",
        "Generado por cobrokit",
    ):
        assert spanish in text, spanish
    # DSO: 1,250 end receivables ÷ 250 credit sales (F2, issued in March) × 31 days = 155.0
    assert "DSO (periodo medio de cobro) 155,0 días" in text
    for english in ENGLISH_HEADINGS:
        assert english not in text, english
    assert '<html lang="es">' in page


def test_the_report_in_english_and_from_the_command_line(portfolio: SQLiteStore, tmp_path: Path) -> None:
    figures = portfolio_figures(portfolio, dt.date(2026, 3, 31), period_days=31)
    text = html_text(render_report_html(figures))
    for english in ENGLISH_HEADINGS:
        assert english in text, english
    out = tmp_path / "informe.html"
    argv = ["report", "--db", portfolio.path, "--as-of", "2026-03-31", "--out", str(out), "--locale", "es_ES"]
    assert main(argv) == 0
    text = html_text(out.read_text(encoding="utf-8"))
    assert "Informe de cuentas a cobrar" in text and "Cómo se calculan las cifras" in text
    assert "Receivables report" not in text and "How the figures are computed" not in text


# -- 5. the aging table names the debtors and words a missing DSO -------------------------------


def test_aging_table_names_debtors_and_words_a_missing_dso(portfolio: SQLiteStore, capsys) -> None:  # type: ignore[no-untyped-def]
    # as of 30 Jun 2026 nothing was invoiced in the trailing 90 days (1 Apr – 30 Jun): no DSO
    assert main(["aging", "--db", portfolio.path, "--as-of", "2026-06-30"]) == 0
    table = capsys.readouterr().out
    assert re.search(r"^D1 Talleres Ruiz SL · EUR +", table, re.M)
    assert re.search(r"^D2 Hierros Gil SL · EUR +", table, re.M)
    assert "DSO (trailing 90 days): EUR: not enough sales in the period" in table
    assert "n/a" not in table
    # with sales in the period the figure is shown as before: 1,250 ÷ 1,250 (both invoices) × 90 = 90.0
    assert "DSO (trailing 90 days): EUR 90.0 days" in render_table(aging_report(portfolio, dt.date(2026, 3, 31)))


def test_aging_table_shortens_long_names_and_works_without_names(portfolio: SQLiteStore) -> None:
    report = aging_report(portfolio, dt.date(2026, 6, 30))
    long = "Construcciones y Reformas Integrales del Mediterráneo SL"
    table = render_table(report, names={"D1": long})
    assert "D1 Construcciones y Reformas Integ… · EUR" in table  # 31 characters and an ellipsis
    assert re.search(r"^D2 EUR +", table, re.M)  # no name known: the id alone, as before


def test_the_statement_says_how_much_of_the_total_is_not_due_yet(tmp_path: Path) -> None:
    import datetime as dt

    from cobrokit.model import Debtor, Invoice
    from cobrokit.money import Money
    from cobrokit.reports.statement import debtor_statement, statement_document
    from cobrokit.store.sqlite import SQLiteStore

    with SQLiteStore.open(tmp_path / "s.db") as store:
        store.save(
            debtors=[Debtor("D1", "Talleres Ruiz SL", locale="es_ES", country="ES")],
            invoices=[
                Invoice("F1", "D1", dt.date(2026, 9, 1), dt.date(2026, 10, 1), Money("100.00", "EUR")),
                Invoice("F2", "D1", dt.date(2026, 11, 1), dt.date(2026, 12, 1), Money("250.00", "EUR")),
            ],
        )
        document = statement_document(debtor_statement(store, "D1", dt.date(2026, 11, 5)))
    assert document.debt is not None
    totals = dict(document.debt.totals)
    assert totals["de ello, aún no vencido"] == "250,00\xa0€"  # F2, due 1 Dec: in the balance, not claimed yet
