"""The plugin registered under the ``cobrokit`` entry point as ``stripe``.

* ``cobrokit_register_backends`` announces the ``stripe`` backend;
* ``cobrokit_suspend_service`` / ``cobrokit_restore_service`` carry out the ladder's
  "no pay, no service" step by pausing (and later resuming) the customer's subscription
  collection;
* ``cobrokit_payment_link`` gives the hosted invoice page as the notice's pay-now link;
* ``cobrokit_notice_attachments`` attaches the PDF of each Stripe invoice of an email notice
  (``<number>.pdf``; see :mod:`cobrokit.invoice_copies` for the rules).

The effect hooks run inside ``cobrokit run``/``dispatch``, where no backend settings are
passed around: the installed plugin reads them from the environment —
``STRIPE_API_KEY`` (or the variable named by ``COBROKIT_STRIPE_API_KEY_ENV``) and
``COBROKIT_STRIPE_PAUSE_BEHAVIOR`` — and does nothing (answers ``None``: "not mine") when no
key is set. ``COBROKIT_STRIPE_ATTACH_INVOICES=0`` turns the invoice copies off. An
application that embeds cobrokit registers its own :class:`StripeHooks` instead
(``get_plugin_host(plugins=[("stripe-hooks", StripeHooks(backend))])``).
Only Stripe customers (``cus_…``) and invoices (``in_…``) are handled.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from typing import Any

from cobrokit.backend import BackendType, Capability, supports
from cobrokit.engine import outbox_key
from cobrokit.invoice_copies import InvoiceCopyHooks
from cobrokit.notice import Notice, NoticeLine
from cobrokit.plugins import hookimpl
from cobrokit_stripe.backend import SETTINGS, StripeBackend

__all__ = ["StripeHooks", "cobrokit_register_backends", "from_environment", "from_stripe"]

log = logging.getLogger(__name__)

ENV_ATTACH = "COBROKIT_STRIPE_ATTACH_INVOICES"
"""Set to ``0`` (``false``, ``no``, ``off``) to stop attaching invoice copies."""

_INVOICE_ID = re.compile(r"^in_[A-Za-z0-9]+$")


def from_stripe(line: NoticeLine) -> bool:
    """True when the invoice of notice line *line* came from Stripe.

    The line's ``source`` decides when it has one (``Invoice.source``, ``"stripe"``
    for invoices synced from Stripe); without it, the shape of Stripe invoice ids (``in_…``).
    Either way the id must look like a Stripe invoice id, since it goes into a URL.
    """
    if line.source and line.source != "stripe":
        return False
    return bool(_INVOICE_ID.match(line.invoice_id))


@hookimpl
def cobrokit_register_backends() -> list[BackendType]:
    """Announce the ``stripe`` backend."""
    return [
        BackendType(
            name="stripe",
            factory=StripeBackend.from_settings,
            settings=SETTINGS,
            summary="Stripe open invoices; pay-now links; pauses subscription collection on suspension",
        )
    ]


class StripeHooks(InvoiceCopyHooks[StripeBackend]):
    """The effect hooks, bound to one :class:`StripeBackend` (or a factory building it lazily).

    Args:
        backend: the backend, or a callable returning it (or ``None`` when unconfigured).
        attach_invoices: attach invoice PDFs to email notices; ``None`` reads
            ``COBROKIT_STRIPE_ATTACH_INVOICES`` at each notice (on unless ``0``/``false``/``no``/``off``).
        max_copy_bytes: the cap on one invoice PDF (larger ones are skipped and logged).
    """

    provider = "stripe"
    backend_type = StripeBackend
    attach_env = ENV_ATTACH
    logger = log
    owns = staticmethod(from_stripe)

    @staticmethod
    def _key(tenant: str, debtor_id: str, stage: str, cycle: str, action: str) -> str:
        return f"{outbox_key(tenant, debtor_id, stage, cycle, 'service')}:{action}"

    @hookimpl
    def cobrokit_suspend_service(
        self, tenant: str, debtor_id: str, stage: str, cycle: str, payload: Mapping[str, Any]
    ) -> str | None:
        """Pause the customer's subscription collection."""
        backend = self.backend()
        if backend is None or not debtor_id.startswith("cus_") or not supports(backend, Capability.SUSPEND_SERVICE):
            return None
        return backend.suspend_service(
            tenant=tenant, debtor_id=debtor_id, key=self._key(tenant, debtor_id, stage, cycle, "suspend")
        )

    @hookimpl
    def cobrokit_restore_service(
        self, tenant: str, debtor_id: str, stage: str, cycle: str, payload: Mapping[str, Any]
    ) -> str | None:
        """Resume the customer's subscription collection."""
        backend = self.backend()
        if backend is None or not debtor_id.startswith("cus_") or not supports(backend, Capability.SUSPEND_SERVICE):
            return None
        return backend.restore_service(
            tenant=tenant, debtor_id=debtor_id, key=self._key(tenant, debtor_id, stage, cycle, "restore")
        )

    @hookimpl
    def cobrokit_payment_link(self, notice: Notice) -> str | None:
        """The hosted invoice page of the notice's first Stripe invoice."""
        backend = self.backend()
        ids = [line.invoice_id for line in notice.lines if line.invoice_id.startswith("in_")]
        if backend is None or not ids or not supports(backend, Capability.PAYMENT_LINK):
            return None
        return backend.payment_link(tenant=notice.tenant, debtor_id=notice.debtor.id, invoice_ids=ids)


def from_environment(environ: Mapping[str, str] | None = None) -> StripeBackend | None:
    """A backend configured from the environment, or ``None`` when no key is set."""
    env = os.environ if environ is None else environ
    key_var = env.get("COBROKIT_STRIPE_API_KEY_ENV", "STRIPE_API_KEY")
    if not env.get(key_var, "").strip():
        log.debug("stripe: %s is not set; the effect hooks stay idle", key_var)
        return None
    settings = {"api_key_env": key_var, "pause_behavior": env.get("COBROKIT_STRIPE_PAUSE_BEHAVIOR", "void")}
    return StripeBackend.from_settings(settings, environ=env)


_default = StripeHooks(from_environment)
cobrokit_suspend_service = _default.cobrokit_suspend_service
cobrokit_restore_service = _default.cobrokit_restore_service
cobrokit_payment_link = _default.cobrokit_payment_link
cobrokit_notice_attachments = _default.cobrokit_notice_attachments
