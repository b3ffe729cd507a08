"""cobrokit-whatsapp: webhooks are verified (X-Hub-Signature-256) before they are parsed."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging

import pytest
from cobrokit_whatsapp import InboundMessage, WhatsAppChannel, parse_notification, verify_subscription

from cobrokit.channel import DeliveryStatus
from cobrokit.errors import ConfigError, SignatureError, ValidationError

SECRET = "whatsapp-app-secret"


def sign(body: bytes, secret: str = SECRET) -> str:
    """By hand: "sha256=" + hex HMAC-SHA256(app secret, raw body)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def notification(statuses=(), messages=()) -> bytes:  # type: ignore[no-untyped-def]
    """A webhook body in the documented shape (entry → changes → value)."""
    return json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "102290129340398",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": "34910000000",
                                    "phone_number_id": "106540352242922",
                                },
                                "statuses": list(statuses),
                                "messages": list(messages),
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()


def status(wamid: str, state: str, **extra: object) -> dict[str, object]:
    return {"id": wamid, "status": state, "timestamp": "1736931600", "recipient_id": "34600111222", **extra}


def test_status_events_become_receipts():
    body = notification(
        [
            status("wamid.1", "sent"),
            status("wamid.1", "delivered"),
            status("wamid.2", "read"),
            status("wamid.3", "failed", errors=[{"code": 131026, "title": "Message undeliverable"}]),
            status("wamid.4", "failed", errors=[{"code": 130429, "title": "Rate limit hit"}]),
        ]
    )
    got = parse_notification(body, sign(body), SECRET)
    assert [(r.provider_id, r.status) for r in got.receipts] == [
        ("wamid.1", DeliveryStatus.SENT),
        ("wamid.1", DeliveryStatus.DELIVERED),
        ("wamid.2", DeliveryStatus.DELIVERED),
        ("wamid.3", DeliveryStatus.FAILED_PERMANENT),
        ("wamid.4", DeliveryStatus.FAILED_RETRYABLE),
    ]
    assert "131026" in got.receipts[3].detail


def test_inbound_message_opens_the_window():
    body = notification(
        messages=[
            {
                "from": "34600111222",
                "id": "wamid.in",
                "timestamp": "1736931600",
                "type": "text",
                "text": {"body": "¿Puedo pagar en dos plazos?"},
            }
        ]
    )
    got = parse_notification(body, sign(body), SECRET)
    # 1736931600 = 2025-01-15T09:00:00Z (20103 days * 86400 + 9 * 3600)
    at = dt.datetime(2025, 1, 15, 9, tzinfo=dt.UTC)
    assert got.inbound == (InboundMessage("34600111222", at, "wamid.in"),)


def test_forged_or_unsigned_notifications_change_nothing():
    body = notification([status("wamid.1", "delivered")])
    with pytest.raises(SignatureError):
        parse_notification(body, sign(body, "another-secret"), SECRET)
    with pytest.raises(SignatureError):
        parse_notification(body.replace(b"delivered", b"failed"), sign(body), SECRET)
    with pytest.raises(SignatureError):
        parse_notification(body, None, SECRET)


def test_bad_events_are_skipped_with_their_id(caplog):
    caplog.set_level(logging.WARNING)
    body = notification([status("wamid.ok", "sent"), status("wamid.bad", "teleported")])
    got = parse_notification(body, sign(body), SECRET)
    assert [r.provider_id for r in got.receipts] == ["wamid.ok"]
    assert "wamid.bad" in caplog.text


def test_verified_body_must_be_a_whatsapp_notification():
    body = b'{"object": "page"}'
    with pytest.raises(ValidationError, match="whatsapp_business_account"):
        parse_notification(body, sign(body), SECRET)


def test_subscription_handshake():
    params = {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "42"}
    assert verify_subscription(params, "verify-me") == "42"
    with pytest.raises(SignatureError):
        verify_subscription(params, "other")


def test_channel_uses_its_configured_secrets(monkeypatch):
    monkeypatch.setenv("WA_TOKEN", "t")
    monkeypatch.setenv("WA_SECRET", SECRET)
    monkeypatch.setenv("WA_VERIFY", "verify-me")
    channel = WhatsAppChannel.from_settings(
        {
            "phone_number_id": "1",
            "access_token_env": "WA_TOKEN",
            "app_secret_env": "WA_SECRET",
            "verify_token_env": "WA_VERIFY",
        }
    )
    body = notification([status("wamid.1", "delivered")])
    assert channel.parse_webhook(body, sign(body)).receipts[0].status is DeliveryStatus.DELIVERED
    assert (
        channel.verify_subscription({"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "c"})
        == "c"
    )
    bare = WhatsAppChannel.from_settings({"phone_number_id": "1", "access_token_env": "WA_TOKEN"})
    with pytest.raises(ConfigError, match="app_secret_env"):
        bare.parse_webhook(body, sign(body))
    with pytest.raises(ConfigError, match="verify_token_env"):
        bare.verify_subscription({})
