"""The plugin registered under the ``cobrokit`` entry point as ``holded``."""

from __future__ import annotations

from cobrokit.backend import BackendType
from cobrokit.plugins import hookimpl
from cobrokit_holded.backend import SETTINGS, HoldedBackend


@hookimpl
def cobrokit_register_backends() -> list[BackendType]:
    """Announce the ``holded`` backend."""
    return [
        BackendType(
            name="holded",
            factory=HoldedBackend.from_settings,
            settings=SETTINGS,
            summary="Holded (Spain): unpaid and partly paid sales invoices, with their contacts",
        )
    ]
