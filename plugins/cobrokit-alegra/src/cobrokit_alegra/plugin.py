"""The plugin registered under the ``cobrokit`` entry point as ``alegra``."""

from __future__ import annotations

from cobrokit.backend import BackendType
from cobrokit.plugins import hookimpl
from cobrokit_alegra.backend import SETTINGS, AlegraBackend


@hookimpl
def cobrokit_register_backends() -> list[BackendType]:
    """Announce the ``alegra`` backend."""
    return [
        BackendType(
            name="alegra",
            factory=AlegraBackend.from_settings,
            settings=SETTINGS,
            summary="Alegra (Latin America): open invoices and their balance, 150 requests/min",
        )
    ]
