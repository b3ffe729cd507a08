"""The plugin registered under the ``cobrokit`` entry point as ``erpnext``."""

from __future__ import annotations

from cobrokit.backend import BackendType
from cobrokit.plugins import hookimpl
from cobrokit_erpnext.backend import SETTINGS, ErpNextBackend


@hookimpl
def cobrokit_register_backends() -> list[BackendType]:
    """Announce the ``erpnext`` backend."""
    return [
        BackendType(
            name="erpnext",
            factory=ErpNextBackend.from_settings,
            settings=SETTINGS,
            summary="ERPNext / Frappe REST: submitted Sales Invoices with an outstanding amount",
        )
    ]
