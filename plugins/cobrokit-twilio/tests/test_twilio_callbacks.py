"""cobrokit-twilio: status callbacks are verified (X-Twilio-Signature) before they are parsed."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from cobrokit_twilio import TwilioSmsChannel, parse_status_callback, verified_status_callback

from cobrokit.channel import DeliveryStatus
from cobrokit.errors import SignatureError, ValidationError

TOKEN = "twilio-auth-token-for-callbacks"
URL = "https://collect.example.test/twilio/status"
PARAMS = {
    "AccountSid": "AC0123456789abcdef0123456789abcdef",
    "ApiVersion": "2010-04-01",
    "From": "+34910000000",
    "MessageSid": "SM1f0e8ae6ade43cb3c0ce4525424e404f",
    "MessageStatus": "delivered",
    "SmsSid": "SM1f0e8ae6ade43cb3c0ce4525424e404f",
    "SmsStatus": "delivered",
    "To": "+34600111222",
}


def sign(params: dict[str, str], url: str = URL, token: str = TOKEN) -> str:
    """By hand: HMAC-SHA1(token, url + name1 + value1 + … sorted by name), base64."""
    data = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def test_verified_delivered_callback():
    receipt = verified_status_callback(TOKEN, URL, PARAMS, sign(PARAMS))
    assert receipt.status is DeliveryStatus.DELIVERED
    assert receipt.provider_id == PARAMS["MessageSid"]


def test_tampered_callback_changes_nothing():
    forged = {**PARAMS, "MessageStatus": "failed"}
    with pytest.raises(SignatureError):
        verified_status_callback(TOKEN, URL, forged, sign(PARAMS))
    with pytest.raises(SignatureError):
        verified_status_callback(TOKEN, URL, PARAMS, sign(PARAMS, token="someone-else"))
    with pytest.raises(SignatureError):
        verified_status_callback(TOKEN, URL, PARAMS, "")


def test_channel_verifies_with_its_own_token(monkeypatch):
    monkeypatch.setenv("T_TOKEN", TOKEN)
    channel = TwilioSmsChannel.from_settings(
        {"account_sid": PARAMS["AccountSid"], "auth_token_env": "T_TOKEN", "from_number": "+34910000000"}
    )
    assert channel.status_from_callback(URL, PARAMS, sign(PARAMS)).status is DeliveryStatus.DELIVERED
    with pytest.raises(SignatureError):
        channel.status_from_callback(URL + "?x=1", PARAMS, sign(PARAMS))


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        ("queued", "", DeliveryStatus.SENT),
        ("sent", "", DeliveryStatus.SENT),
        ("delivered", "", DeliveryStatus.DELIVERED),
        ("failed", "30007", DeliveryStatus.FAILED_PERMANENT),
        ("undelivered", "30003", DeliveryStatus.FAILED_RETRYABLE),  # handset unreachable (off)
        ("undelivered", "30006", DeliveryStatus.FAILED_PERMANENT),  # landline
    ],
)
def test_status_mapping(status, code, expected):
    params = {**PARAMS, "MessageStatus": status, "ErrorCode": code}
    receipt = parse_status_callback(params)
    assert receipt.status is expected
    if code:
        assert code in receipt.detail


def test_malformed_callbacks_are_validation_errors():
    with pytest.raises(ValidationError, match="MessageSid"):
        parse_status_callback({"MessageStatus": "sent"})
    with pytest.raises(ValidationError, match="MessageStatus"):
        parse_status_callback({**PARAMS, "MessageStatus": "teleported", "SmsStatus": ""})
