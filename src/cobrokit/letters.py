"""The layout of a dunning letter, as data: blocks a PDF writer places on the page.

A :class:`LetterDocument` holds only finished, localised strings (amounts and dates are
already formatted by :mod:`cobrokit.rendering`), so any writer — the built-in fpdf2
channel, a print-shop plugin, a test — can lay it out without knowing about money or
locales. It travels inside :attr:`cobrokit.channel.Message.metadata` under the key
``"letter"`` as plain JSON-compatible data (:meth:`LetterDocument.to_dict` /
:func:`letter_from_dict`).

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from cobrokit.errors import ValidationError

__all__ = ["LetterDocument", "LetterTable", "letter_from_dict", "split_paragraphs", "table_text"]


def _strings(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)  # type: ignore[attr-defined]


def _flags(value: object) -> tuple[bool, ...]:
    return tuple(bool(x) for x in value)  # type: ignore[attr-defined]


def _rows(value: object) -> tuple[tuple[str, ...], ...]:
    if value is None:
        return ()
    return tuple(_strings(row) for row in value)  # type: ignore[attr-defined]


@attrs.frozen(slots=True)
class LetterTable:
    """A table of figures: a header row, body rows and (label, amount) total rows.

    Every row has as many cells as ``headers``; ``numeric`` marks the columns to align
    right (amounts, days, rates).
    """

    title: str
    headers: tuple[str, ...] = attrs.field(converter=_strings)
    rows: tuple[tuple[str, ...], ...] = attrs.field(converter=_rows)
    totals: tuple[tuple[str, ...], ...] = attrs.field(default=(), converter=_rows)
    numeric: tuple[bool, ...] = attrs.field(default=(), converter=_flags)

    def __attrs_post_init__(self) -> None:
        width = len(self.headers)
        for index, row in enumerate(self.rows, start=1):
            if len(row) != width:
                raise ValidationError(
                    f"letter table {self.title!r} row {index}",
                    "cells",
                    f"has {len(row)} cells, the header has {width}",
                )
        for index, row in enumerate(self.totals, start=1):
            if len(row) != 2:
                raise ValidationError(
                    f"letter table {self.title!r} total {index}", "cells", "a total is (label, amount)"
                )
        if self.numeric and len(self.numeric) != width:
            raise ValidationError(
                f"letter table {self.title!r}", "numeric", f"needs {width} flags, got {len(self.numeric)}"
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible data."""
        return {
            "title": self.title,
            "headers": list(self.headers),
            "rows": [list(r) for r in self.rows],
            "totals": [list(r) for r in self.totals],
            "numeric": list(self.numeric),
        }


@attrs.frozen(slots=True)
class LetterDocument:
    """Everything printed on a dunning letter, top to bottom.

    Attributes:
        sender: the creditor's block (name, tax id, address, contact).
        recipient: the debtor's postal block, as it must appear in the envelope window.
        place_date: ``"Madrid, 16 de mayo de 2025"``.
        reference: ``"Ref.: …"`` line (the debtor's account and the notice).
        subject: the subject line (printed in bold).
        body: paragraphs before the figures (salutation included).
        debt: the itemised invoices with totals.
        interest: the interest computation (one row per rate segment), if any.
        plan: the instalments of a payment plan (offered or agreed), if any.
        sources: the legal sources of the interest and compensation, if any.
        closing: paragraphs after the figures (firm date, next steps, farewell).
        signature: the signature block (signatory, role, company).
        page_label: the footer, with ``{page}`` and ``{pages}`` placeholders.
        title: the document title (PDF metadata).
    """

    sender: tuple[str, ...] = attrs.field(converter=_strings)
    recipient: tuple[str, ...] = attrs.field(converter=_strings)
    place_date: str
    reference: str
    subject: str
    body: tuple[str, ...] = attrs.field(converter=_strings)
    debt: LetterTable | None = None
    interest: LetterTable | None = None
    plan: LetterTable | None = None
    sources_title: str = ""
    sources: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    closing: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    signature: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    page_label: str = "{page}/{pages}"
    title: str = ""

    def all_text(self) -> str:
        """Every string of the letter, joined (to check a font covers all characters)."""
        parts: list[str] = [
            *self.sender,
            *self.recipient,
            self.place_date,
            self.reference,
            self.subject,
            *self.body,
            self.sources_title,
            *self.sources,
            *self.closing,
            *self.signature,
            self.page_label,
            self.title,
        ]
        for table in self.tables():
            if table is not None:
                parts.append(table.title)
                parts.extend(table.headers)
                for row in (*table.rows, *table.totals):
                    parts.extend(row)
        return "\n".join(parts)

    def tables(self) -> tuple[LetterTable, ...]:
        """The tables present, in print order: debt, interest, plan."""
        return tuple(t for t in (self.debt, self.interest, self.plan) if t is not None)

    def to_text(self) -> str:
        """The letter as plain text (the ``Message.text`` of a letter; also an archive copy)."""
        out: list[str] = [
            *self.sender,
            "",
            *self.recipient,
            "",
            self.place_date,
            self.reference,
            "",
            self.subject,
            "",
        ]
        for paragraph in self.body:
            out += [paragraph, ""]
        for table in self.tables():
            out += [*table_text(table), ""]
        if self.sources:
            out.append(self.sources_title)
            out += [f"- {source}" for source in self.sources]
            out.append("")
        for paragraph in self.closing:
            out += [paragraph, ""]
        out += list(self.signature)
        return "\n".join(out).strip() + "\n"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-compatible data (what goes into ``Message.metadata["letter"]``)."""
        return {
            "sender": list(self.sender),
            "recipient": list(self.recipient),
            "place_date": self.place_date,
            "reference": self.reference,
            "subject": self.subject,
            "body": list(self.body),
            "debt": self.debt.to_dict() if self.debt else None,
            "interest": self.interest.to_dict() if self.interest else None,
            "plan": self.plan.to_dict() if self.plan else None,
            "sources_title": self.sources_title,
            "sources": list(self.sources),
            "closing": list(self.closing),
            "signature": list(self.signature),
            "page_label": self.page_label,
            "title": self.title,
        }


def _table(data: object, where: str) -> LetterTable | None:
    if data is None:
        return None
    if not isinstance(data, Mapping):
        raise ValidationError("letter", where, "must be a mapping")
    try:
        return LetterTable(
            title=str(data.get("title", "")),
            headers=data["headers"],
            rows=data.get("rows", ()),
            totals=data.get("totals", ()),
            numeric=data.get("numeric", ()),
        )
    except KeyError as exc:
        raise ValidationError("letter", f"{where}.{exc.args[0]}", "is missing") from None


def letter_from_dict(data: Mapping[str, Any]) -> LetterDocument:
    """Rebuild a :class:`LetterDocument` from :meth:`LetterDocument.to_dict` output.

    Raises:
        ValidationError: a required block is missing or malformed (field names it).
    """
    for name in ("sender", "recipient", "place_date", "reference", "subject", "body"):
        if name not in data:
            raise ValidationError("letter", name, "is missing")
    return LetterDocument(
        sender=data["sender"],
        recipient=data["recipient"],
        place_date=str(data["place_date"]),
        reference=str(data["reference"]),
        subject=str(data["subject"]),
        body=data["body"],
        debt=_table(data.get("debt"), "debt"),
        interest=_table(data.get("interest"), "interest"),
        plan=_table(data.get("plan"), "plan"),
        sources_title=str(data.get("sources_title", "")),
        sources=data.get("sources", ()),
        closing=data.get("closing", ()),
        signature=data.get("signature", ()),
        page_label=str(data.get("page_label", "{page}/{pages}")),
        title=str(data.get("title", "")),
    )


def split_paragraphs(text: str) -> tuple[str, ...]:
    """Split rendered text into paragraphs at blank lines; single newlines stay inside."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        if line.strip():
            current.append(line.rstrip())
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return tuple(paragraphs)


def table_text(table: LetterTable) -> list[str]:
    """*table* as aligned plain-text lines (title, header, rows, totals)."""
    widths = [len(h) for h in table.headers]
    for row in table.rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    numeric = table.numeric or tuple(False for _ in table.headers)

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            cell.rjust(w) if right else cell.ljust(w) for cell, w, right in zip(cells, widths, numeric, strict=True)
        ).rstrip()

    lines = [table.title, line(table.headers), "  ".join("-" * w for w in widths)]
    lines += [line(row) for row in table.rows]
    total_width = sum(widths) + 2 * (len(widths) - 1)
    for label, amount in table.totals:
        gap = max(total_width - len(label) - len(amount), 2)
        lines.append(f"{label}{' ' * gap}{amount}")
    return lines
