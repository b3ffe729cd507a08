"""The plugin registered under the ``cobrokit`` entry point as ``xero``.

* ``cobrokit_register_backends`` announces the ``xero`` backend;
* ``cobrokit_notice_attachments`` attaches the PDF of each Xero invoice of an email notice
  (``<number>.pdf``; see :mod:`cobrokit.invoice_copies` for the rules).

The attachment hook runs inside ``cobrokit run``/``dispatch``, which pass it no backend
settings: the installed plugin reads them from the environment — the access token from
``XERO_ACCESS_TOKEN`` (or the variable named by ``COBROKIT_XERO_ACCESS_TOKEN_ENV``) and the
organisation from ``COBROKIT_XERO_TENANT_ID`` — and attaches nothing when either is missing.
``COBROKIT_XERO_ATTACH_INVOICES=0`` turns the copies off. An application that embeds cobrokit
registers its own :class:`XeroHooks` instead (with a backend whose token refreshes).
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Mapping

from cobrokit.backend import BackendType, LazyBackend
from cobrokit.channel import Attachment
from cobrokit.invoice_copies import MAX_COPY_BYTES, attach_copies, switched_on
from cobrokit.notice import Notice, NoticeLine
from cobrokit.plugins import hookimpl
from cobrokit_xero.backend import SETTINGS, XeroBackend

__all__ = ["XeroHooks", "cobrokit_register_backends", "from_environment", "from_xero"]

log = logging.getLogger(__name__)

ENV_ATTACH = "COBROKIT_XERO_ATTACH_INVOICES"
"""Set to ``0`` (``false``, ``no``, ``off``) to stop attaching invoice copies."""


@hookimpl
def cobrokit_register_backends() -> list[BackendType]:
    """Announce the ``xero`` backend."""
    return [
        BackendType(
            name="xero",
            factory=XeroBackend.from_settings,
            settings=SETTINGS,
            summary="Xero Accounting API: AUTHORISED ACCREC invoices, 60 calls/min, notes in invoice history",
        )
    ]


def from_xero(line: NoticeLine) -> bool:
    """True when the invoice of notice line *line* came from Xero.

    The line's ``source`` decides when it has one (``Invoice.source``, ``"xero"``
    for invoices synced from Xero); without it, the shape of Xero's ``InvoiceID`` (a UUID).
    Either way the id must be a UUID, since it goes into a URL.
    """
    if line.source and line.source != "xero":
        return False
    try:
        return str(uuid.UUID(line.invoice_id)) == line.invoice_id.lower()
    except ValueError:
        return False


class XeroHooks:
    """The attachment hook, bound to one :class:`XeroBackend` (or a factory building it lazily).

    Args:
        backend: the backend, or a callable returning it (or ``None`` when unconfigured).
        attach_invoices: attach invoice PDFs to email notices; ``None`` reads
            ``COBROKIT_XERO_ATTACH_INVOICES`` at each notice (on unless ``0``/``false``/``no``/``off``).
        max_copy_bytes: the cap on one invoice PDF (larger ones are skipped and logged).
    """

    def __init__(
        self,
        backend: XeroBackend | Callable[[], XeroBackend | None],
        *,
        attach_invoices: bool | None = None,
        max_copy_bytes: int = MAX_COPY_BYTES,
    ) -> None:
        self.backend = LazyBackend(backend, XeroBackend)
        """The backend, built on first use; ``None`` when not configured."""
        self.attach_invoices = attach_invoices
        self.max_copy_bytes = max_copy_bytes

    @hookimpl
    def cobrokit_notice_attachments(self, notice: Notice, channel: str) -> list[Attachment]:
        """The PDFs of the notice's Xero invoices, for email notices; nothing on any failure."""
        if not switched_on(self.attach_invoices, ENV_ATTACH):
            return []
        return attach_copies(
            notice,
            channel,
            provider="xero",
            owns=from_xero,
            backend=self.backend,
            max_bytes=self.max_copy_bytes,
            logger=log,
        )


def from_environment(environ: Mapping[str, str] | None = None) -> XeroBackend | None:
    """A backend configured from the environment, or ``None`` without a token or a tenant id."""
    env = os.environ if environ is None else environ
    token_var = env.get("COBROKIT_XERO_ACCESS_TOKEN_ENV", "XERO_ACCESS_TOKEN")
    tenant_id = env.get("COBROKIT_XERO_TENANT_ID", "").strip()
    if not env.get(token_var, "").strip() or not tenant_id:
        log.debug("xero: %s or COBROKIT_XERO_TENANT_ID is not set; no invoice copies", token_var)
        return None
    return XeroBackend.from_settings({"access_token_env": token_var, "tenant_id": tenant_id}, environ=env)


_default = XeroHooks(from_environment)
cobrokit_notice_attachments = _default.cobrokit_notice_attachments
