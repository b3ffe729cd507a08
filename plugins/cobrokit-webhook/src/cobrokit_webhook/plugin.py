"""The plugin module registered under the ``cobrokit`` entry point as ``webhook``."""

from __future__ import annotations

from cobrokit.channel import ChannelType
from cobrokit.plugins import hookimpl
from cobrokit_webhook import slack, webhook


@hookimpl
def cobrokit_register_channels() -> list[ChannelType]:
    """Announce the ``webhook`` and ``slack`` channels."""
    return [
        ChannelType(
            name="webhook",
            factory=webhook.WebhookChannel.from_settings,
            summary="JSON POST signed with Standard Webhooks HMAC-SHA256; webhook-id is the idempotency key",
            settings=webhook.SETTINGS,
        ),
        ChannelType(
            name="slack",
            factory=slack.SlackChannel.from_settings,
            summary="Slack incoming webhook (text and blocks)",
            settings=slack.SETTINGS,
        ),
    ]
