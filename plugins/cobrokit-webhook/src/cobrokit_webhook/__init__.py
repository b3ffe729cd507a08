"""cobrokit-webhook: the ``webhook`` channel (signed JSON) and the ``slack`` channel."""

from cobrokit_webhook.slack import SlackChannel
from cobrokit_webhook.webhook import WebhookChannel, notice_payload

__all__ = ["SlackChannel", "WebhookChannel", "notice_payload"]
