"""PDF letters: text extracted with pypdf must carry the names, amounts, dates and firm date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import attrs
import pytest
from pypdf import PdfReader

from cobrokit.builtin.letter import LetterChannel, letter_pdf, missing_glyphs
from cobrokit.channel import DeliveryStatus, Message
from cobrokit.errors import ConfigError, ValidationError
from cobrokit.letters import LetterDocument, LetterTable, letter_from_dict
from cobrokit.rendering import render_notice
from tests.notices.sample import make_notice

FIXED = dt.datetime(2025, 7, 31, 9, 0, tzinfo=dt.UTC)


def _pdf_text(path: Path) -> str:
    """All text of the PDF with whitespace (spaces, no-break spaces, line breaks) collapsed."""
    reader = PdfReader(path)
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _channel(folder: Path) -> LetterChannel:
    return LetterChannel(LetterChannel.from_settings({"folder": str(folder)}).settings, clock=lambda: FIXED)


def _send(folder: Path, message: Message) -> Path:
    channel = _channel(folder)
    receipt = channel.send(message)
    assert receipt.status is DeliveryStatus.SENT, receipt.detail
    path = channel.path_for(message)
    assert receipt.provider_id == path.name
    return path


def test_spanish_ultimatum_letter_carries_every_figure(tmp_path: Path) -> None:
    message = render_notice(make_notice(stage="ultimatum", locale="es_ES"), "letter")
    text = _pdf_text(_send(tmp_path, message))
    # Sender, recipient (accents intact), place and date, reference, subject.
    for expected in (
        "Suministros Ibéricos S.L.",
        "NIF B12345678",
        "Calle de Alcalá 42",
        "Construcciones Peña S.A.",
        "Avenida de la Constitución 3",
        "2.º B",
        "41001 Sevilla",
        "Madrid, a 31 de julio de 2025",
        "Ref.: D-042-20250731",
        "Requerimiento fehaciente de pago",
    ):
        assert expected in text, expected
    # Itemised debt (figures of sample.make_notice: 13 080.23 + 270.75 + 80.00 + 15.00 = 13 445.98).
    for expected in (
        "F-2025-101",
        "15 may 2025",
        "12.345,67 €",
        "734,56 €",
        "13.080,23 €",
        "270,75 €",
        "80,00 €",
        "15,00 €",
        "Total adeudado 13.445,98 €",
    ):
        assert expected in text, expected
    # Interest computation: one line per segment, the rate and the legal source.
    assert "16 may 2025 – 30 jun 2025 46 10,15 % 12.345,67 € 150,50 €" in text
    assert "1 jul 2025 – 31 jul 2025 31 10,15 % 13.080,23 € 120,25 €" in text
    assert "Ley 3/2004, art. 7" in text
    # Firm date, next steps and the signature block.
    assert "a más tardar el 14 de agosto de 2025" in text
    assert "procedimiento monitorio" in text
    assert "María Núñez, Responsable de Cobros" in text
    assert "Página 1 de" in text


@pytest.mark.parametrize(
    ("locale", "currency", "total", "firm"),
    [
        ("en_GB", "GBP", "Total due £13,445.98", "14 August 2025"),
        ("es_MX", "MXN", "Total a pagar $13,445.98", "14 de agosto de 2025"),
        ("es_CO", "COP", "Total a pagar $13.445,98", "14 de agosto de 2025"),
    ],
)
def test_letters_in_other_locales(tmp_path: Path, locale: str, currency: str, total: str, firm: str) -> None:
    message = render_notice(make_notice(stage="ultimatum", locale=locale, currency=currency), "letter")
    text = _pdf_text(_send(tmp_path, message))
    assert total in text
    assert firm in text
    assert "Construcciones Peña S.A." in text


def test_pdf_metadata_names_the_notice(tmp_path: Path) -> None:
    message = render_notice(make_notice(stage="penalty_warning", locale="en_US"), "letter")
    reader = PdfReader(_send(tmp_path, message))
    assert reader.metadata is not None
    assert reader.metadata.title == message.subject
    assert reader.metadata.author == "Suministros Ibéricos S.L."


def test_same_key_rewrites_the_same_file(tmp_path: Path) -> None:
    message = render_notice(make_notice(stage="oops", locale="es_ES"), "letter")
    first = _send(tmp_path, message)
    second = _send(tmp_path, message)
    assert first == second
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.name]
    assert _channel(tmp_path).honours_idempotency is True


def test_characters_missing_from_the_font_are_refused_not_dropped(tmp_path: Path) -> None:
    notice = make_notice(stage="oops", locale="es_ES")
    notice = attrs.evolve(notice, debtor=attrs.evolve(notice.debtor, name="北京贸易 S.A."))
    message = render_notice(notice, "letter")
    receipt = _channel(tmp_path).send(message)
    assert receipt.status is DeliveryStatus.FAILED_PERMANENT
    assert "U+5317 北" in receipt.detail
    assert list(tmp_path.iterdir()) == []


def test_missing_glyphs_lists_code_points() -> None:
    font = _channel(Path("unused")).settings.font_regular
    assert missing_glyphs("Peña 1.234,56 € – º ·\xa0", font) == []
    assert missing_glyphs("ok 中", font) == ["U+4E2D 中"]


def test_a_debtor_without_postal_address_is_a_permanent_failure(tmp_path: Path) -> None:
    message = render_notice(make_notice(stage="oops"), "letter")
    receipt = _channel(tmp_path).send(attrs.evolve(message, recipient=""))
    assert receipt.status is DeliveryStatus.FAILED_PERMANENT


def test_a_message_without_layout_prints_its_text(tmp_path: Path) -> None:
    message = Message(
        key="acme/D-9/oops/1/letter",
        tenant="acme",
        debtor_id="D-9",
        stage="oops",
        channel="letter",
        recipient="Ana Gómez\nCalle Mayor 1\n28013 Madrid",
        subject="Recordatorio",
        text="Estimada Ana:\n\nLe recordamos la factura F-9 por 99,00 €.\n",
    )
    text = _pdf_text(_send(tmp_path, message))
    assert "Ana Gómez" in text and "Le recordamos la factura F-9 por 99,00 €." in text


def test_letter_document_round_trips_through_metadata() -> None:
    message = render_notice(make_notice(stage="penalty_warning", locale="es_ES"), "letter")
    document = letter_from_dict(message.metadata["letter"])
    assert document.to_dict() == message.metadata["letter"]
    assert document.interest is not None and len(document.interest.rows) == 2
    assert document.plan is not None and len(document.plan.rows) == 3
    assert "Total adeudado" in document.to_text()


def test_letter_table_checks_its_shape() -> None:
    with pytest.raises(ValidationError, match="row 1"):
        LetterTable(title="t", headers=("a", "b"), rows=[("only one",)])
    with pytest.raises(ValidationError, match="missing"):
        letter_from_dict({"sender": []})


def test_letter_pdf_is_a_pdf() -> None:
    document = LetterDocument(
        sender=["Acme"],
        recipient=["Bob"],
        place_date="1 May 2025",
        reference="R",
        subject="Hello",
        body=["Body €"],
    )
    font = _channel(Path("unused")).settings
    data = letter_pdf(document, font_regular=font.font_regular, font_bold=font.font_bold, created=FIXED)
    assert data.startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({}, "folder is required"),
        ({"folder": "x", "colour": "red"}, "unknown setting"),
        ({"folder": "x", "paper": "A3"}, "paper"),
        ({"folder": "x", "font_regular": "/nope.ttf"}, "not a file"),
    ],
)
def test_settings_are_validated(settings: dict[str, str], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        LetterChannel.from_settings(settings)


def _pages(data: bytes) -> list[list[str]]:
    """Each page's text lines (pypdf), without the page-number footer."""
    import io

    pages = []
    for page in PdfReader(io.BytesIO(data)).pages:
        lines = [line.strip() for line in page.extract_text().splitlines() if line.strip()]
        pages.append(lines[:-1])  # the last line is the footer ("Page 2 of 2", "2/2")
    return pages


def _signature_page_checks(pages: list[list[str]], before: str, valediction: str, signature: list[str]) -> bool:
    """The signature is on the last page, with the valediction and the paragraph before
    it; returns whether that group was moved to the top of a new page."""
    last = pages[-1]
    assert last[-len(signature) :] == signature
    assert valediction in last, last
    assert any(line.startswith(before[:30]) for line in last), last
    for page in pages[:-1]:
        assert valediction not in page  # the valediction never stays behind
    return len(pages) > 1 and last[0].startswith(before[:30])


def test_the_signature_never_stands_alone_on_a_page() -> None:
    """Body lengths around the end of page 1: the valediction, the paragraph before it and
    the signature always share a page (before the fix, 15 to 20 body lines left
    "Administración / Talleres Demo SL" alone on page 2, "Yours sincerely," on page 1)."""
    font = _channel(Path("unused")).settings
    before = "Before taking these steps we remain willing to discuss a settlement."
    signature = ["Administración", "Talleres Demo SL"]
    moved = []
    for lines in range(12, 23):
        document = LetterDocument(
            sender=["Talleres Demo SL", "Calle Mayor 1"],
            recipient=["Summit Attorneys LLC", "Main Street 105"],
            place_date="26 November 2026",
            reference="Ref.: D000060-20261126",
            subject="Formal demand for payment",
            body=[f"Paragraph {n} of the body." for n in range(lines)],
            closing=[before, "Yours sincerely,"],
            signature=signature,
        )
        data = letter_pdf(document, font_regular=font.font_regular, font_bold=font.font_bold, created=FIXED)
        if _signature_page_checks(_pages(data), before, "Yours sincerely,", signature):
            moved.append(lines)
    assert moved  # some lengths did need the group carried over to page 2


def test_a_rendered_english_ultimatum_keeps_its_signature_with_the_valediction() -> None:
    font = _channel(Path("unused")).settings
    message = render_notice(make_notice(stage="ultimatum", locale="en_US"), "letter")
    document = letter_from_dict(message.metadata["letter"])
    before = document.closing[-2]
    moved = False
    for extra in range(15, 24):  # pushes the closing across the end of page 2
        longer = attrs.evolve(document, body=(*document.body, *(f"Note {n}." for n in range(extra))))
        data = letter_pdf(longer, font_regular=font.font_regular, font_bold=font.font_bold, created=FIXED)
        moved |= _signature_page_checks(_pages(data), before, "Yours sincerely,", list(document.signature))
    assert moved
