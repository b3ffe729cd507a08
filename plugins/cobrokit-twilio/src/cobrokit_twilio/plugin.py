"""The plugin module registered under the ``cobrokit`` entry point as ``twilio``."""

from __future__ import annotations

from cobrokit.channel import ChannelType
from cobrokit.plugins import hookimpl
from cobrokit_twilio.channel import SETTINGS, TwilioSmsChannel


@hookimpl
def cobrokit_register_channels() -> list[ChannelType]:
    """Announce the ``sms`` channel."""
    return [
        ChannelType(
            name="sms",
            factory=TwilioSmsChannel.from_settings,
            summary="SMS through Twilio's Messages API (basic auth, status callbacks)",
            settings=SETTINGS,
        )
    ]
