"""The plugin registered under the ``cobrokit`` entry point as ``odoo``."""

from __future__ import annotations

from cobrokit.backend import BackendType
from cobrokit.plugins import hookimpl
from cobrokit_odoo.backend import SETTINGS, OdooBackend


@hookimpl
def cobrokit_register_backends() -> list[BackendType]:
    """Announce the ``odoo`` backend."""
    return [
        BackendType(
            name="odoo",
            factory=OdooBackend.from_settings,
            settings=SETTINGS,
            summary="Odoo account.move customer invoices (JSON-2 API, or legacy JSON-RPC execute_kw)",
        )
    ]
