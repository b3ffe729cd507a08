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
from collections.abc import Mapping

from cobrokit.backend import BackendType
from cobrokit.invoice_copies import InvoiceCopyHooks
from cobrokit.notice import NoticeLine
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


class XeroHooks(InvoiceCopyHooks[XeroBackend]):
    """The attachment hook, bound to one :class:`XeroBackend` (or a factory building it lazily).

    Args:
        backend: the backend, or a callable returning it (or ``None`` when unconfigured).
        attach_invoices: attach invoice PDFs to email notices; ``None`` reads
            ``COBROKIT_XERO_ATTACH_INVOICES`` at each notice (on unless ``0``/``false``/``no``/``off``).
        max_copy_bytes: the cap on one invoice PDF (larger ones are skipped and logged).
    """

    provider = "xero"
    backend_type = XeroBackend
    attach_env = ENV_ATTACH
    logger = log
    owns = staticmethod(from_xero)


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
