"""cobrokit-twilio: the ``sms`` channel, sending through Twilio's Messages API."""

from cobrokit_twilio.callbacks import parse_status_callback, verified_status_callback
from cobrokit_twilio.channel import TwilioSmsChannel

__all__ = ["TwilioSmsChannel", "parse_status_callback", "verified_status_callback"]
