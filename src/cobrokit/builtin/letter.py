"""The built-in ``letter`` channel: a PDF letter (fpdf2) written to a print/burofax folder.

The layout comes from :class:`cobrokit.letters.LetterDocument` (carried in
``Message.metadata["letter"]`` by :mod:`cobrokit.rendering`): sender block top left,
recipient block where a right-window envelope (DL/C5, 110 mm from the left edge, 50 mm
from the top) shows it, place and date, reference, subject in bold, body, the itemised
debt table with its totals, the interest computation (one line per rate segment), the
legal sources, the closing (firm date, next steps) and the signature block; page numbers
in the footer. A4 by default.

Fonts: fpdf2's core fonts are Latin-1 only (no ``€``), so cobrokit embeds DejaVu Sans
(shipped in ``cobrokit/fonts``, Bitstream Vera licence). Any character the font lacks is
refused with a ``FAILED_PERMANENT`` receipt naming it — a letter never prints with
characters silently dropped. Use ``font_regular``/``font_bold`` for another TTF font.

Settings:

``folder``        the print queue, where ``<key>.pdf`` files are written (required)
``font_regular``  path of a TTF font (default: the bundled DejaVu Sans)
``font_bold``     path of its bold variant (default: bundled DejaVu Sans Bold)
``paper``         ``"A4"`` (default) or ``"letter"``

Same key → same file name: writing again replaces the file, so ``honours_idempotency``
is ``True``.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from cobrokit.builtin.email import safe_filename
from cobrokit.channel import ChannelType, DeliveryReceipt, DeliveryStatus, Message
from cobrokit.errors import ConfigError, ValidationError
from cobrokit.letters import LetterDocument, LetterTable, letter_from_dict, split_paragraphs
from cobrokit.plugins.markers import hookimpl
from cobrokit.rendering import message_datetime

if TYPE_CHECKING:
    from fpdf import FPDF

__all__ = ["LetterChannel", "LetterSettings", "letter_pdf", "missing_glyphs"]

_FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
_SYSTEM_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
_KNOWN = {"folder", "font_regular", "font_bold", "paper"}


def _default_font(name: str) -> Path:
    for folder in (_FONT_DIR, _SYSTEM_DEJAVU):
        if (folder / name).is_file():
            return folder / name
    raise ConfigError(
        f"letter channel: font {name} is not bundled (cobrokit/fonts) nor installed; "
        "set font_regular and font_bold to TTF files"
    )


def _require_fpdf() -> None:
    try:
        import fpdf  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the installation
        raise ConfigError("letter channel: the PDF writer fpdf2 is not installed; install cobrokit[pdf]") from None


@functools.lru_cache(maxsize=16)
def _cmap(path: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # installed with fpdf2

    font = TTFont(path, lazy=True)
    try:
        return frozenset(font.getBestCmap() or {})
    finally:
        font.close()


def missing_glyphs(text: str, font_path: str | os.PathLike[str]) -> list[str]:
    """Characters of *text* that the TTF font at *font_path* cannot draw (``"U+4E2D 中"``)."""
    cmap = _cmap(str(font_path))
    missing = sorted({ch for ch in text if ch not in "\n\r\t" and ord(ch) not in cmap})
    return [f"U+{ord(ch):04X} {ch}" for ch in missing]


@attrs.frozen(slots=True)
class LetterSettings:
    """Validated settings of the letter channel."""

    folder: Path
    font_regular: Path
    font_bold: Path
    paper: str = "A4"

    @classmethod
    def from_mapping(cls, settings: Mapping[str, Any]) -> LetterSettings:
        """Validate a settings mapping (raises :class:`ConfigError`, also when fpdf2 is missing)."""
        _require_fpdf()
        unknown = sorted(set(settings) - _KNOWN)
        if unknown:
            raise ConfigError(
                f"letter channel: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(_KNOWN))}"
            )
        folder = str(settings.get("folder", "")).strip()
        if not folder:
            raise ConfigError("letter channel: folder is required (where the PDF letters are written)")
        paper = str(settings.get("paper", "A4"))
        if paper.lower() not in ("a4", "letter"):
            raise ConfigError(f"letter channel: paper must be 'A4' or 'letter', not {paper!r}")
        regular = Path(settings["font_regular"]) if settings.get("font_regular") else _default_font("DejaVuSans.ttf")
        bold = Path(settings["font_bold"]) if settings.get("font_bold") else _default_font("DejaVuSans-Bold.ttf")
        for label, path in (("font_regular", regular), ("font_bold", bold)):
            if not path.is_file():
                raise ConfigError(f"letter channel: {label}: {path} is not a file")
        return cls(Path(folder), regular, bold, paper)


def _new_pdf(page_label: str, paper: str) -> FPDF:
    """An FPDF document whose footer prints *page_label* (``{page}``/``{pages}``)."""
    from fpdf import FPDF

    class LetterPDF(FPDF):
        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Body", size=8)
            label = page_label.replace("{page}", str(self.page_no())).replace("{pages}", "{nb}")
            self.cell(0, 10, label, align="C")

    return LetterPDF(orientation="portrait", unit="mm", format=paper)


def _table(pdf: FPDF, table: LetterTable, width: float, *, bold_last: bool) -> None:  # float ok: millimetres
    from fpdf.fonts import FontFace

    pdf.ln(3)
    pdf.set_font("Body", "B", 10)
    pdf.multi_cell(0, 6, table.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Body", size=8.5)
    numeric = table.numeric or tuple(False for _ in table.headers)
    aligns = tuple("RIGHT" if flag else "LEFT" for flag in numeric)
    weights = [
        max(len(h), *(len(r[i]) for r in table.rows)) if table.rows else len(h) for i, h in enumerate(table.headers)
    ]
    with pdf.table(
        width=width,
        col_widths=tuple(max(w, 6) for w in weights),
        text_align=aligns,
        line_height=5,
        borders_layout="HORIZONTAL_LINES",
        first_row_as_headings=True,
        headings_style=FontFace(emphasis="BOLD"),
        align="LEFT",
    ) as grid:
        header = grid.row()
        for cell in table.headers:
            header.cell(cell)
        for row in table.rows:
            line = grid.row()
            for cell in row:
                line.cell(cell)
    pdf.ln(1)
    for index, (label, amount) in enumerate(table.totals):
        last = bold_last and index == len(table.totals) - 1
        pdf.set_font("Body", "B" if last else "", 9.5 if last else 9)
        pdf.cell(width - 40, 5.5, label)
        pdf.cell(40, 5.5, amount, align="R", new_x="LMARGIN", new_y="NEXT")


def letter_pdf(
    document: LetterDocument,
    *,
    font_regular: Path,
    font_bold: Path,
    paper: str = "A4",
    created: dt.datetime | None = None,
) -> bytes:
    """Lay *document* out as a PDF and return its bytes.

    Raises:
        ValidationError: the text has characters the font cannot draw (field ``text``
            lists them by code point).
    """
    missing = missing_glyphs(document.all_text(), font_regular)
    if missing:
        raise ValidationError(
            "letter", "text", f"characters not in font {font_regular.name}: {', '.join(missing[:20])}"
        )
    pdf = _new_pdf(document.page_label, "A4" if paper.lower() == "a4" else "letter")
    pdf.set_margins(25, 20, 20)
    pdf.set_auto_page_break(True, margin=22)
    pdf.add_font("Body", "", str(font_regular))
    pdf.add_font("Body", "B", str(font_bold))
    pdf.set_title(document.title or document.subject)
    if document.sender:
        pdf.set_author(document.sender[0])
    pdf.set_creator("cobrokit")
    if created is not None:
        pdf.set_creation_date(created)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    # Sender, top left.
    pdf.set_font("Body", "B", 10)
    if document.sender:
        pdf.cell(0, 5, document.sender[0], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Body", size=8.5)
    for line in document.sender[1:]:
        pdf.cell(0, 4.2, line, new_x="LMARGIN", new_y="NEXT")
    # Recipient, in the envelope window.
    top = max(pdf.get_y() + 6, 50)
    pdf.set_xy(110, top)
    pdf.set_font("Body", size=10)
    for line in document.recipient:
        pdf.set_x(110)
        pdf.cell(80, 5, line, new_x="LEFT", new_y="NEXT")
    pdf.set_y(max(pdf.get_y() + 12, 95))
    pdf.set_font("Body", size=10)
    if document.place_date:
        pdf.cell(0, 5, document.place_date, align="R", new_x="LMARGIN", new_y="NEXT")
    if document.reference:
        pdf.set_font("Body", size=8.5)
        pdf.cell(0, 5, document.reference, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Body", "B", 11)
    pdf.multi_cell(0, 6, document.subject, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Body", size=10)
    for paragraph in document.body:
        pdf.multi_cell(0, 5.2, paragraph, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2.5)
    for table in document.tables():
        _table(pdf, table, width, bold_last=table is document.debt)
    if document.sources:
        pdf.ln(2)
        pdf.set_font("Body", "B", 8.5)
        pdf.cell(0, 5, document.sources_title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Body", size=8.5)
        for source in document.sources:
            pdf.multi_cell(0, 4.5, f"– {source}", align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Body", size=10)
    # The signature never stands alone on a page: it stays with the valediction ("Yours
    # sincerely,", the closing's last paragraph) and the paragraph before it.
    closing = list(document.closing)
    kept = closing[-_KEEP_WITH_SIGNATURE:] if document.signature else []
    for paragraph in closing[: len(closing) - len(kept)]:
        pdf.multi_cell(0, 5.2, paragraph, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2.5)
    if document.signature:
        needed = sum(_paragraph_height(pdf, p) + 2.5 for p in kept) + _SIGNATURE_SPACE + 5 * len(document.signature)
        page_room = pdf.page_break_trigger - pdf.t_margin
        if pdf.get_y() + needed > pdf.page_break_trigger and needed <= page_room:
            pdf.add_page()
        for paragraph in kept:
            pdf.multi_cell(0, 5.2, paragraph, align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2.5)
        pdf.ln(_SIGNATURE_SPACE)  # room for the handwritten signature
        for index, line in enumerate(document.signature):
            pdf.set_font("Body", "B" if index == len(document.signature) - 1 else "", 10)
            pdf.cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


_KEEP_WITH_SIGNATURE = 2
"""Closing paragraphs kept on the signature's page: the valediction and the one before."""

_SIGNATURE_SPACE = 14  # millimetres left blank for the handwritten signature


def _paragraph_height(pdf: FPDF, text: str) -> float:  # float ok: millimetres
    """The height *text* takes as a body paragraph, without writing it."""
    from fpdf.enums import MethodReturnValue

    height = pdf.multi_cell(0, 5.2, text, align="L", dry_run=True, output=MethodReturnValue.HEIGHT)
    assert isinstance(height, (int, float))  # output=HEIGHT gives the height alone
    return float(height)  # float ok: millimetres


def _document(message: Message) -> LetterDocument:
    data = message.metadata.get("letter")
    if isinstance(data, Mapping):
        return letter_from_dict(data)
    # A message rendered without the letter layout: print its text as the body.
    return LetterDocument(
        sender=(),
        recipient=tuple(message.recipient.splitlines()),
        place_date="",
        reference="",
        subject=message.subject,
        body=split_paragraphs(message.text),
    )


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class LetterChannel:
    """Writes each message as a PDF letter into the print/burofax folder."""

    name = "letter"
    honours_idempotency = True

    def __init__(self, settings: LetterSettings, *, clock: Callable[[], dt.datetime] = _utc_now) -> None:
        self.settings = settings
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> LetterChannel:
        """Build the channel from a settings mapping (raises :class:`ConfigError`)."""
        return cls(LetterSettings.from_mapping(settings))

    def path_for(self, message: Message) -> Path:
        """Where the letter for *message* is (or will be) written."""
        return self.settings.folder / safe_filename(message.key, ".pdf")

    def send(self, message: Message) -> DeliveryReceipt:
        """Lay out and write the PDF; a letter that cannot be printed is a permanent failure."""
        if not message.recipient.strip():
            return DeliveryReceipt(DeliveryStatus.FAILED_PERMANENT, detail="no postal address for this debtor")
        try:
            document = _document(message)
            data = letter_pdf(
                document,
                font_regular=self.settings.font_regular,
                font_bold=self.settings.font_bold,
                paper=self.settings.paper,
                # the notice's business date, so the same notice gives the same file
                created=message_datetime(message) or self._clock(),
            )
        except ValidationError as exc:
            return DeliveryReceipt(DeliveryStatus.FAILED_PERMANENT, detail=str(exc))
        target = self.path_for(message)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("wb", dir=target.parent, delete=False, suffix=".tmp") as handle:
                handle.write(data)
                temp = Path(handle.name)
            os.replace(temp, target)
        except OSError as exc:
            return DeliveryReceipt(DeliveryStatus.FAILED_RETRYABLE, detail=f"could not write {target}: {exc}")
        return DeliveryReceipt(DeliveryStatus.SENT, provider_id=target.name, detail=f"{len(data)} bytes")


@hookimpl
def cobrokit_register_channels() -> list[ChannelType]:
    """Register the built-in ``letter`` channel."""
    return [
        ChannelType(
            name="letter",
            factory=LetterChannel.from_settings,
            summary="PDF letters (certified-letter ready) written to a print folder",
            settings=tuple(sorted(_KNOWN)),
        )
    ]
