"""The `legal` stage: the last out-of-court demand before the creditor's lawyers go to court.

Built like the dispatcher builds it from the default ladder's `legal` stage (letter, formal,
action "handoff", firm date +15 days, interest shown, no plan offered), from the figures of
tests.notices.sample.make_notice(): total due 13 445.98 EUR.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import attrs
import pytest
from pypdf import PdfReader

from cobrokit.builtin.letter import LetterChannel
from cobrokit.channel import DeliveryStatus, Message
from cobrokit.ladder.config import default_config
from cobrokit.notice import Notice
from cobrokit.rendering import BUILTIN_STAGES, NoticeRenderer
from tests.notices.sample import AS_OF, make_notice

RENDERER = NoticeRenderer()
FIXED = dt.datetime(2025, 7, 31, 9, 0, tzinfo=dt.UTC)
LEGAL = next(stage for stage in default_config().ladders[0].stages if stage.id == "legal")
# The default ladder gives 15 days: 31 Jul 2025 + 15 days = 15 Aug 2025.
FIRM = AS_OF + dt.timedelta(days=LEGAL.firm_date_days)

# The invitation to settle out of court (in Spain, the attempt Ley Orgánica 1/2025 requires).
OUT_OF_COURT = "Con {} le ofrecemos una última posibilidad de resolver el asunto sin acudir a los tribunales."
# Words of the English texts and layouts that must never reach a Spanish debtor.
ENGLISH = ("Dear", "Invoice", "Total due", "lawyer", "legal proceedings", "court", "Yours", "Page ", "thank you")


def legal_notice(locale: str, *, full: bool = True, **changes: object) -> Notice:
    """The sample notice as the `legal` stage of the default ladder sends it."""
    notice = make_notice(stage="legal", locale=locale, full=full)
    return attrs.evolve(
        notice,
        template=LEGAL.template_name,
        tone=LEGAL.tone,
        action=LEGAL.action,
        firm_date=FIRM if full else None,
        plan_offer=None,  # the stage offers no plan
        **changes,  # type: ignore[arg-type]
    )


def _pdf_text(folder: Path, message: Message) -> str:
    """The letter as the letter channel prints it, text extracted from the PDF with pypdf
    (whitespace, including no-break spaces and line breaks, collapsed)."""
    channel = LetterChannel(LetterChannel.from_settings({"folder": str(folder)}).settings, clock=lambda: FIXED)
    receipt = channel.send(message)
    assert receipt.status is DeliveryStatus.SENT, receipt.detail
    reader = PdfReader(channel.path_for(message))
    text = " ".join(page.extract_text() for page in reader.pages)
    text = re.sub(r"(Página|Page) \d+ (de|of) \d+", " ", text)  # page footers, wherever the pages break
    return " ".join(text.split())


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_default_ladder_stage_has_shipped_templates() -> None:
    assert LEGAL.template_name == "legal" and LEGAL.handoff_to == "legal"
    assert BUILTIN_STAGES.index("legal") == BUILTIN_STAGES.index("handoff") + 1
    for channel in LEGAL.channels:
        for locale in ("en_GB", "es_ES", "es_MX"):
            message = RENDERER.render(legal_notice(locale), channel)
            assert message.metadata["template"].endswith(f"/{channel}/legal.txt")


def test_spanish_letter_pdf(tmp_path: Path) -> None:
    text = _pdf_text(tmp_path, RENDERER.render(legal_notice("es_ES"), "letter"))
    for expected in (
        "Último requerimiento de pago antes de la reclamación judicial",
        "Estimado cliente:",
        "las facturas F-2025-101 y F-2025-117",
        "hemos trasladado el expediente a nuestros abogados",
        "La deuda asciende a 13.445,98 €",
        "Total adeudado 13.445,98 €",
        "Si a más tardar el 15 de agosto de 2025 no hemos recibido el pago íntegro ni hemos acordado "
        "con usted un plan de pagos, presentaremos sin más aviso la correspondiente reclamación judicial "
        "mediante el proceso monitorio.",
        # interest and compensation are claimed because the statement shows them
        "En ella reclamaremos la cantidad adeudada, los intereses de demora hasta la fecha del pago, "
        "la indemnización por costes de cobro y las costas, en los términos que permita la ley.",
        OUT_OF_COURT.format("esta carta"),
        "Ley Orgánica 1/2025",
        "interrupción de la prescripción",
        "Si ya ha realizado el pago, le damos las gracias",
        "ES91 2100 0418 4502 0005 1332",
        "María Núñez, Responsable de Cobros",
    ):
        assert expected in text, expected
    for english in ENGLISH:
        assert english not in text, english


def test_english_letter_pdf(tmp_path: Path) -> None:
    text = _pdf_text(tmp_path, RENDERER.render(legal_notice("en_GB"), "letter"))
    for expected in (
        "Final demand for payment before legal proceedings",
        "Dear Construcciones Peña S.A.,",
        "invoices F-2025-101 and F-2025-117",
        "we have passed the case to our lawyers",
        "The debt amounts to €13,445.98",
        "Total due €13,445.98",
        "Unless the debt is paid in full by 15 August 2025, or a payment plan has been agreed with us by "
        "then, legal proceedings will be brought against Construcciones Peña S.A. without further notice.",
        "The claim will seek the amount owed, the late-payment interest until the date of payment, "
        "the compensation for recovery costs and the legal costs, as the law allows.",
        "This letter is also an invitation to settle the matter out of court.",
        "If you have already paid, thank you",
    ):
        assert expected in text, expected
    assert "monitorio" not in text and "Estimado" not in text


def test_latin_american_letter_keeps_spain_only_law_out() -> None:
    text = _flat(RENDERER.render(legal_notice("es_MX"), "letter").text)
    assert "La deuda asciende a EUR 13,445.98"  # flattened: the no-break space is a space in text
    assert "Si a más tardar el 15 de agosto de 2025 no hemos recibido el pago total" in text
    assert "iniciaremos sin más aviso las acciones legales correspondientes" in text
    assert OUT_OF_COURT.format("esta carta") in text
    for spain_only in ("monitorio", "Ley Orgánica", "prescripción", "intereses de demora"):
        assert spain_only not in text, spain_only
    for english in ENGLISH:
        assert english not in text, english


@pytest.mark.parametrize(
    ("locale", "subject", "expected"),
    [
        (
            "es_ES",
            "Último aviso antes de la reclamación judicial: 13.445,98\xa0€",
            (
                "Hemos trasladado el expediente a nuestros abogados",
                "le ofrecemos una última oportunidad de abonar los 13.445,98\xa0€ adeudados",
                "a más tardar el 15 de agosto de 2025",
                "presentaremos sin más aviso la reclamación judicial mediante el proceso monitorio",
                OUT_OF_COURT.format("este mensaje"),
                "Si ya ha realizado el pago, le damos las gracias",
            ),
        ),
        (
            "en_GB",
            "Final demand before legal proceedings: €13,445.98 by 15 August 2025",
            (
                "We have passed the case to our lawyers",
                "a last opportunity to pay the €13,445.98 owed",
                "no later than 15 August 2025",
                "we will bring legal proceedings without further notice",
                "This message is also an invitation to settle the matter out of court.",
                "If you have already paid, thank you",
            ),
        ),
    ],
    ids=["es_ES", "en_GB"],
)
def test_email(locale: str, subject: str, expected: tuple[str, ...]) -> None:
    message = RENDERER.render(legal_notice(locale), "email")
    assert message.subject == _flat(subject)  # the subject is one line: no-break spaces too
    text, html = _flat(message.text), _flat(message.html)
    for sentence in expected:
        assert _flat(sentence) in text, sentence
        assert _flat(sentence) in html, sentence
    if locale == "es_ES":
        for english in ENGLISH:
            assert english not in text and english not in html, english


def test_without_interest_no_interest_or_compensation_is_claimed() -> None:
    """A notice without interest claims only the debt and the costs, and falls back to 15 days."""
    text = _flat(RENDERER.render(legal_notice("es_ES", full=False), "letter").text)
    assert "La deuda asciende a 13.080,23 €" in text  # no fees, no interest: the principal
    assert "En ella reclamaremos la cantidad adeudada y las costas" in text
    assert "intereses de demora" not in text.lower() and "indemnización" not in text.lower()
    assert "en el plazo de quince días naturales desde la recepción de esta carta" in text
    english = _flat(RENDERER.render(legal_notice("en_GB", full=False), "letter").text)
    assert "The claim will seek the amount owed and the legal costs, as the law allows." in english
    assert "interest" not in english.lower()


def test_the_lawyers_are_named_when_the_context_gives_them() -> None:
    extra = {"lawyer_name": "Bufete Ruiz Abogados", "lawyer_contact": "+34 910 111 222"}
    for kind in ("email", "letter", "call"):  # the SMS is kept to two segments
        text = RENDERER.render(legal_notice("es_ES", extra=extra), kind).text
        assert "Bufete Ruiz Abogados" in text, kind
    letter = _flat(RENDERER.render(legal_notice("es_ES", extra=extra), "letter").text)
    assert "nuestros abogados, Bufete Ruiz Abogados, para que reclamen la deuda" in letter
    assert "o con nuestros abogados (+34 910 111 222)" in letter


_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = set("^{}\\[~]|€\f")


def sms_segments(text: str) -> int:
    """Segments an SMS takes: GSM-7 (160 septets, 153 a part; extension characters count
    twice) when every character is in the GSM 03.38 alphabet, else UCS-2 (70 / 67)."""
    if all(c in _GSM7 or c in _GSM7_EXTENSION for c in text):
        septets = sum(2 if c in _GSM7_EXTENSION else 1 for c in text)
        return 1 if septets <= 160 else -(-septets // 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else -(-units // 67)


def test_sms_segments_are_counted_by_encoding() -> None:
    assert sms_segments("a" * 160) == 1 and sms_segments("a" * 161) == 2
    assert sms_segments("€" * 80) == 1 and sms_segments("€" * 81) == 2  # 2 septets each
    assert sms_segments("á" * 70) == 1 and sms_segments("á" * 135) == 3  # UCS-2: 67 a part


@pytest.mark.parametrize("locale", ["en_GB", "es_ES", "es_MX"])
@pytest.mark.parametrize("full", [True, False])
def test_sms_fits_two_segments(locale: str, full: bool) -> None:
    message = RENDERER.render(legal_notice(locale, full=full), "sms")
    text = message.text.rstrip("\n")
    assert sms_segments(text) <= 2, (len(text), text)
    if full:
        assert ("15 Aug 2025" if locale == "en_GB" else "15 ago 2025") in text
