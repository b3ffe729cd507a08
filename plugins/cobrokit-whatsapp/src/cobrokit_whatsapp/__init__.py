"""cobrokit-whatsapp: the ``whatsapp`` channel over Meta's WhatsApp Cloud API."""

from cobrokit_whatsapp.channel import WhatsAppChannel, in_service_window
from cobrokit_whatsapp.webhooks import InboundMessage, Notification, parse_notification, verify_subscription

__all__ = [
    "InboundMessage",
    "Notification",
    "WhatsAppChannel",
    "in_service_window",
    "parse_notification",
    "verify_subscription",
]
