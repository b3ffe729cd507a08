"""PDF output of reports (statements, case-file index) through the letter writer.

cobrokit has one PDF engine: :func:`cobrokit.builtin.letter.letter_pdf` (fpdf2 with the
embedded DejaVu fonts). Reports describe their pages as a
:class:`~cobrokit.letters.LetterDocument` and call :func:`render_pdf`, which resolves the
default fonts and — unlike a letter, which must never print with a character missing —
replaces the few characters the font cannot draw (an emoji in a contact note) with ``?``,
so a case file is always produced; the untouched text stays in the JSON and CSV files.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from cobrokit.letters import LetterDocument, letter_from_dict

__all__ = ["default_fonts", "printable", "render_pdf"]


def default_fonts() -> tuple[Path, Path]:
    """The regular and bold fonts the letter channel uses by default."""
    from cobrokit.builtin.letter import LetterSettings

    settings = LetterSettings.from_mapping({"folder": "."})
    return settings.font_regular, settings.font_bold


def printable(document: LetterDocument, font: Path) -> LetterDocument:
    """*document* with every character *font* lacks replaced by ``?``."""
    from cobrokit.builtin.letter import missing_glyphs

    missing = {entry.split(" ", 1)[1] for entry in missing_glyphs(document.all_text(), font)}
    if not missing:
        return document

    def fix(value: Any) -> Any:
        if isinstance(value, str):
            return "".join("?" if ch in missing else ch for ch in value)
        if isinstance(value, list):
            return [fix(v) for v in value]
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        return value

    return letter_from_dict(fix(document.to_dict()))


def render_pdf(
    document: LetterDocument,
    *,
    created: dt.datetime,
    font_regular: Path | None = None,
    font_bold: Path | None = None,
) -> bytes:
    """Lay *document* out as an A4 PDF with the letter writer (``created`` goes in the metadata)."""
    from cobrokit.builtin.letter import letter_pdf

    regular, bold = default_fonts()
    regular = font_regular or regular
    bold = font_bold or bold
    return letter_pdf(printable(document, regular), font_regular=regular, font_bold=bold, created=created)
