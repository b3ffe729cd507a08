"""The plugin registered under the ``cobrokit`` entry point as ``quickbooks``."""

from __future__ import annotations

from cobrokit.backend import BackendType
from cobrokit.plugins import hookimpl
from cobrokit_quickbooks.backend import SETTINGS, QuickBooksBackend


@hookimpl
def cobrokit_register_backends() -> list[BackendType]:
    """Announce the ``quickbooks`` backend."""
    return [
        BackendType(
            name="quickbooks",
            factory=QuickBooksBackend.from_settings,
            settings=SETTINGS,
            summary="QuickBooks Online: invoices with a balance (query API); posts charges with requestid",
        )
    ]
