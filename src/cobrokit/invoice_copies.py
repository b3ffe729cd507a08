"""Copies of a backend's invoices attached to email notices (``cobrokit_notice_attachments``).

A copy is a courtesy: fetching it must never stop, delay for long or fail a notice. So
:func:`collect_copies` attaches what it could fetch and, for every other invoice, logs one
WARNING naming the provider and the invoice id — never the debtor, an address, a URL or a
secret — and attaches nothing.

Rules: only for email notices (letters are printed, SMS and the like carry no files); only
for the invoices the backend owns (``owns``); each PDF at most ``max_bytes`` (5 MiB by
default) and really a PDF (it starts with ``%PDF-``); named ``<invoice number>.pdf``.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from cobrokit.backend import LazyBackend
from cobrokit.channel import Attachment
from cobrokit.errors import PermanentError
from cobrokit.notice import Notice, NoticeLine
from cobrokit.plugins.markers import hookimpl

__all__ = [
    "ATTACHING_CHANNELS",
    "MAX_COPY_BYTES",
    "PDF",
    "CopyRefused",
    "InvoiceCopyHooks",
    "PdfSource",
    "attach_copies",
    "checked_pdf",
    "collect_copies",
    "copy_filename",
    "switched_on",
]

MAX_COPY_BYTES = 5 * 1024 * 1024
"""Default cap on one invoice copy: 5 MiB (larger ones are skipped, with a logged reason)."""

PDF = "application/pdf"

ATTACHING_CHANNELS = frozenset({"email"})
"""Channels whose notices get invoice copies."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class CopyRefused(PermanentError):
    """An invoice copy that is not attached although the provider answered: there is no PDF
    (yet), it is too large, or it is not a PDF. The message names only the invoice id and sizes."""


def checked_pdf(data: bytes, *, provider: str, invoice_id: str, max_bytes: int) -> bytes:
    """*data* if it is a PDF of at most *max_bytes* bytes.

    Raises:
        CopyRefused: it is larger than the cap, or does not start with ``%PDF-``.
    """
    if len(data) > max_bytes:
        raise CopyRefused(
            provider, f"invoice {invoice_id}: the PDF is {len(data):,} bytes, over the {max_bytes:,}-byte cap"
        )
    if not data.startswith(b"%PDF-"):
        raise CopyRefused(provider, f"invoice {invoice_id}: the answer is not a PDF")
    return data


def copy_filename(number: str, fallback: str) -> str:
    """``<number>.pdf`` with characters unsafe in a file name replaced (``2026/01`` → ``2026-01.pdf``).

    *fallback* (the invoice id) is used when nothing of the number is left.
    """
    for candidate in (number, fallback):
        stem = _UNSAFE.sub("-", candidate).strip(".-")[:100]
        if stem:
            return f"{stem}.pdf"
    return "invoice.pdf"


def collect_copies(
    notice: Notice,
    channel: str,
    *,
    provider: str,
    owns: Callable[[NoticeLine], bool],
    fetch: Callable[[str], bytes],
    logger: logging.Logger,
) -> list[Attachment]:
    """The PDF copies of the invoices of *notice* that *owns* accepts, fetched with ``fetch(invoice_id)``.

    Nothing for a channel other than email. A fetch that raises (an HTTP error after the
    client's retries, a timeout, :class:`CopyRefused`) attaches nothing for that invoice and
    logs a WARNING; the other invoices, and the notice, go on.
    """
    if channel not in ATTACHING_CHANNELS:
        return []
    files: list[Attachment] = []
    seen: set[str] = set()
    for line in notice.lines:
        if line.invoice_id in seen or not owns(line):
            continue
        seen.add(line.invoice_id)
        try:
            data = fetch(line.invoice_id)
        except CopyRefused as exc:
            logger.warning("%s; not attached", exc)
            continue
        except Exception as exc:  # a copy is a courtesy: no failure may stop the notice
            logger.warning(
                "%s: invoice %s: copy not attached, fetching it failed (%s)",
                provider,
                line.invoice_id,
                type(exc).__name__,
            )
            continue
        files.append(Attachment(copy_filename(line.number, line.invoice_id), PDF, data))
    return files


def switched_on(setting: bool | None, variable: str) -> bool:
    """Whether copies are wanted: *setting* when given, else the environment *variable*
    (anything but ``0``, ``false``, ``no``, ``off`` — or unset — means yes)."""
    if setting is not None:
        return setting
    return os.environ.get(variable, "1").strip().lower() not in ("0", "false", "no", "off")


def attach_copies(
    notice: Notice,
    channel: str,
    *,
    provider: str,
    owns: Callable[[NoticeLine], bool],
    backend: Callable[[], PdfSource | None],
    max_bytes: int = MAX_COPY_BYTES,
    logger: logging.Logger,
) -> list[Attachment]:
    """What a backend plugin's ``cobrokit_notice_attachments`` returns: the copies of its invoices.

    Nothing for other channels or when no line is the plugin's (the backend is not even
    built); a backend that cannot be built (misconfigured) attaches nothing, with a warning.
    *backend* returns an object with ``invoice_pdf(invoice_id, max_bytes=…) -> bytes``, or
    ``None`` when the plugin is not configured.
    """
    if channel not in ATTACHING_CHANNELS or not any(map(owns, notice.lines)):
        return []
    try:
        source = backend()
    except Exception as exc:  # misconfigured: the notice goes without copies
        logger.warning(
            "%s: invoice copies not attached, the backend is not available (%s)", provider, type(exc).__name__
        )
        return []
    if source is None:
        return []
    return collect_copies(
        notice,
        channel,
        provider=provider,
        owns=owns,
        fetch=lambda invoice_id: source.invoice_pdf(invoice_id, max_bytes=max_bytes),
        logger=logger,
    )


class PdfSource(Protocol):
    """A backend that can hand over the PDF of one of its invoices."""

    def invoice_pdf(self, invoice_id: str, *, max_bytes: int) -> bytes:
        """The invoice's PDF (at most *max_bytes* bytes)."""
        ...


S = TypeVar("S", bound=PdfSource)


class InvoiceCopyHooks(Generic[S]):
    """The ``cobrokit_notice_attachments`` hook of a backend plugin, bound to one backend.

    A plugin subclasses it and sets :attr:`provider`, :attr:`backend_type`,
    :attr:`attach_env` and :attr:`logger`, and :meth:`owns`; its other hooks may live on the
    same class. *backend* is the backend or a factory building it on first use (``None``:
    not configured); *attach_invoices* ``None`` reads :attr:`attach_env` at each notice.
    """

    provider: ClassVar[str]
    backend_type: ClassVar[type[Any]]
    attach_env: ClassVar[str]
    logger: ClassVar[logging.Logger]

    def __init__(
        self,
        backend: S | Callable[[], S | None],
        *,
        attach_invoices: bool | None = None,
        max_copy_bytes: int = MAX_COPY_BYTES,
    ) -> None:
        self.backend: LazyBackend[S] = LazyBackend(backend, self.backend_type)
        """The backend, built on first use; ``None`` when not configured."""
        self.attach_invoices = attach_invoices
        self.max_copy_bytes = max_copy_bytes

    @staticmethod
    def owns(line: NoticeLine) -> bool:
        """True when the invoice of *line* is this backend's."""
        raise NotImplementedError

    @hookimpl
    def cobrokit_notice_attachments(self, notice: Notice, channel: str) -> list[Attachment]:
        """The PDFs of the notice's invoices from this backend, for email notices; nothing on any failure."""
        if not switched_on(self.attach_invoices, self.attach_env):
            return []
        return attach_copies(
            notice,
            channel,
            provider=self.provider,
            owns=self.owns,
            backend=self.backend,
            max_bytes=self.max_copy_bytes,
            logger=self.logger,
        )
