"""Per-period rate lines on notices: in the debtor's language, with an official reference
only — the rate tables' research notes ("title seen, figure derived from…") stay out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from pypdf import PdfReader

from cobrokit.builtin.letter import LetterChannel
from cobrokit.channel import DeliveryStatus
from cobrokit.formatting import Formatter
from cobrokit.interest import builtin_regimes
from cobrokit.interest.calculator import compute_interest
from cobrokit.interest.tables import SHIPPED_TABLES, load_table
from cobrokit.money import Money
from cobrokit.notice import InterestSummary, Notice
from cobrokit.rendering import NoticeRenderer, rate_citation, rate_line, split_rate_sources
from tests.notices.sample import make_notice

RENDERER = NoticeRenderer()


def real_interest(regime: str = "es-commercial", currency: str = "EUR") -> InterestSummary:
    """Interest on 12 345.67 due 15 May 2025, to 31 Jul 2025, from the shipped tables: two
    half-years (2025-H1 at 11.15 %, 2025-H2 at 10.15 %), each reported with its source note."""
    result = compute_interest(
        builtin_regimes()[regime], Money("12345.67", currency), dt.date(2025, 5, 15), dt.date(2025, 7, 31)
    )
    return result.to_summary()


def notice_with(stage: str, locale: str, summary: InterestSummary) -> Notice:
    return attrs.evolve(make_notice(stage=stage, locale=locale), interest=summary)


def evidence_notes(summary: InterestSummary) -> list[str]:
    """The research notes of the rate lines the calculator reported (what must not be shown)."""
    notes = [s.split(" % (", 1)[1] for s in summary.sources if s.startswith("rate ")]
    assert notes  # the computation did report rate lines: the test below is not vacuous
    return notes


def pdf_text(folder: Path, notice: Notice) -> str:
    channel = LetterChannel.from_settings({"folder": str(folder)})
    message = RENDERER.render(notice, "letter")
    assert channel.send(message).status is DeliveryStatus.SENT
    reader = PdfReader(channel.path_for(message))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def test_the_shipped_table_notes_are_what_the_fix_is_about() -> None:
    summary = real_interest()
    joined = " ".join(summary.sources)
    assert "title seen, figure derived from ECB MRO" in joined and "reported by orientelegal.es" in joined


@pytest.mark.parametrize("stage", ["penalty_warning", "ultimatum"])
def test_spanish_email_and_pdf_letter_show_the_localized_rate_line_and_no_evidence(stage: str, tmp_path: Path) -> None:
    summary = real_interest()
    notice = notice_with(stage, "es_ES", summary)
    email = RENDERER.render(notice, "email")
    # es_ES percent: "10,15 %" with a no-break space (Babel); the PDF text is whitespace-collapsed.
    h2 = "tipo 2025-H2: 10,15\xa0% (BOE-A-2025-13217)"
    h1 = "tipo 2025-H1: 11,15\xa0% (Resolución de 30 de diciembre de 2024 de la Secretaría General del Tesoro)"
    letter = pdf_text(tmp_path, notice)
    for text in (email.text, email.html, letter):
        normal = " ".join(text.split())  # the PDF's text comes back with its spaces collapsed
        assert " ".join(h2.split()) in normal
        assert " ".join(h1.split()) in normal
        for note in evidence_notes(summary):
            assert " ".join(note.rstrip(")").split()) not in normal
        for english in ("title seen", "derived", "reported by", "rate 2025", " since "):
            assert english not in normal, english
        assert "Ley 3/2004, de 29 de diciembre, art. 7" in normal  # the statute citations stay


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en_GB", "rate 2025-H2: 10.15% (BOE-A-2025-13217)"),
        ("es_MX", "tasa 2025-H2: 10.15% (BOE-A-2025-13217)"),
    ],
)
def test_other_locales_use_their_own_words(locale: str, expected: str) -> None:
    summary = real_interest()
    for kind in ("email", "letter"):
        text = RENDERER.render(notice_with("ultimatum", locale, summary), kind).text
        assert expected in text, kind
        assert "title seen" not in text and "reported by" not in text


def test_fixed_statutory_and_agreed_rates_are_worded_from_the_labels() -> None:
    uk = compute_interest(
        builtin_regimes()["uk-late-payment"], Money("1000", "GBP"), dt.date(2025, 5, 15), dt.date(2025, 9, 30)
    )
    legal, rates = split_rate_sources(uk.sources)
    assert legal == list(builtin_regimes()["uk-late-payment"].sources)
    # the 2025-H1 Bank Rate was 4.75 % → 4.75 + 8 = 12.75 % for the debt's life; no official reference
    assert rates == [{"period": "2025-H1", "kind": "period", "fixed": True, "rate": Decimal("12.75"), "citation": ""}]
    labels = {
        "rate_period": "tipo",
        "rate_fixed": "fijo durante toda la vida de la deuda",
        "rate_statutory": "tipo legal",
    }
    assert (
        rate_line(rates[0], labels, Formatter("es_ES"))
        == "tipo 2025-H1, fijo durante toda la vida de la deuda: 12,75\xa0%"
    )
    mx = compute_interest(
        builtin_regimes()["mx-commercial"], Money("1000", "MXN"), dt.date(2025, 5, 15), dt.date(2025, 9, 30)
    )
    [statutory] = split_rate_sources(mx.sources)[1]
    assert rate_line(statutory, labels, Formatter("es_MX")) == "tipo legal: 6.00% (Código de Comercio art. 362)"


@pytest.mark.parametrize("table", sorted(SHIPPED_TABLES))
def test_only_an_official_reference_is_ever_taken_from_a_table_note(table: str) -> None:
    for row in load_table(table, include_unverified=True).schedule.periods:
        citation = rate_citation(row.source)
        if citation:
            assert citation in row.source
            for mark in ("(", ";", "seen", "derived", "reported", "UNVERIFIED", ".com", ".es"):
                assert mark not in citation, (row.source, citation)


def test_rate_citation_prefers_the_boe_identifier() -> None:
    assert rate_citation("BOE-A-2019-18736 (Resolución de la Secretaría General del Tesoro, MRO of 23 Dec 2019)") == (
        "BOE-A-2019-18736"
    )
    assert rate_citation("LPGE 2023 (Ley 31/2022) (assessoriacodina, esqueryasociados)") == "Ley 31/2022"
    assert rate_citation("SFC Res. 1490/2025, IBC 16.78 % (icef.com.co); cap derived") == "SFC Res. 1490/2025"
    assert rate_citation("supplied by the caller") == ""
