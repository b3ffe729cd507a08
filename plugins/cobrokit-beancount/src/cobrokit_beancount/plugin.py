"""The plugin registered under the ``cobrokit`` entry point as ``beancount``."""

from __future__ import annotations

from cobrokit.backend import BackendType
from cobrokit.plugins import hookimpl
from cobrokit_beancount.backend import SETTINGS, BeancountBackend


@hookimpl
def cobrokit_register_backends() -> list[BackendType]:
    """Announce the ``beancount`` backend."""
    return [
        BackendType(
            name="beancount",
            factory=BeancountBackend.from_settings,
            settings=SETTINGS,
            summary="Beancount plain-text books: invoices and payments posted to Assets:Receivable",
        )
    ]
