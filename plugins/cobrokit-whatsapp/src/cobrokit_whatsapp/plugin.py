"""The plugin module registered under the ``cobrokit`` entry point as ``whatsapp``."""

from __future__ import annotations

from cobrokit.channel import ChannelType
from cobrokit.plugins import hookimpl
from cobrokit_whatsapp.channel import SETTINGS, WhatsAppChannel


@hookimpl
def cobrokit_register_channels() -> list[ChannelType]:
    """Announce the ``whatsapp`` channel."""
    return [
        ChannelType(
            name="whatsapp",
            factory=WhatsAppChannel.from_settings,
            summary="WhatsApp Cloud API: free text inside the 24-hour window, approved templates outside",
            settings=SETTINGS,
        )
    ]
