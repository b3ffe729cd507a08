"""The plugin registered under the ``cobrokit`` entry point as ``xero``."""

from __future__ import annotations

from cobrokit.backend import BackendType
from cobrokit.plugins import hookimpl
from cobrokit_xero.backend import SETTINGS, XeroBackend


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
