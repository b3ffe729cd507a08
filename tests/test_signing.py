"""Tests for cobrokit.signing: Standard Webhooks, Twilio and Meta signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobrokit.errors import ConfigError, SignatureError
from cobrokit.signing import (
    decode_webhook_secret,
    generate_webhook_secret,
    meta_signature,
    sign_webhook,
    twilio_signature,
    verify_meta_signature,
    verify_meta_subscription,
    verify_twilio_signature,
    verify_webhook,
    webhook_headers,
)

# -- Standard Webhooks ---------------------------------------------------------------------------

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TS = 1614265330
BODY = b'{"test": 2432232314}'


def test_standard_webhooks_vector_by_hand():
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    digest = hmac.new(key, f"{MSG_ID}.{TS}.".encode() + BODY, hashlib.sha256).digest()
    by_hand = "v1," + base64.b64encode(digest).decode()
    assert sign_webhook(SECRET, MSG_ID, TS, BODY) == by_hand
    # and the example published in the Standard Webhooks specification for these inputs
    assert by_hand == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_round_trip_returns_the_message_id():
    headers = webhook_headers(SECRET, MSG_ID, TS, BODY)
    assert verify_webhook(SECRET, headers, BODY, now=TS + 10) == MSG_ID


@given(
    body=st.binary(max_size=200),
    msg_id=st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=40),
)
def test_round_trip_property(body, msg_id):
    secret = generate_webhook_secret()
    headers = webhook_headers(secret, msg_id, TS, body)
    assert verify_webhook(secret, headers, body, now=TS) == msg_id


def test_tampered_body_is_rejected():
    headers = webhook_headers(SECRET, MSG_ID, TS, BODY)
    with pytest.raises(SignatureError, match="does not match"):
        verify_webhook(SECRET, headers, b'{"test": 2432232315}', now=TS)


def test_tampered_id_or_timestamp_is_rejected():
    headers = webhook_headers(SECRET, MSG_ID, TS, BODY)
    with pytest.raises(SignatureError):
        verify_webhook(SECRET, {**headers, "webhook-id": "msg_other"}, BODY, now=TS)
    with pytest.raises(SignatureError):
        verify_webhook(SECRET, {**headers, "webhook-timestamp": str(TS + 1)}, BODY, now=TS)


def test_wrong_secret_is_rejected():
    headers = webhook_headers(SECRET, MSG_ID, TS, BODY)
    with pytest.raises(SignatureError):
        verify_webhook(generate_webhook_secret(), headers, BODY, now=TS)


@pytest.mark.parametrize("offset", [301, -301, 10_000])
def test_timestamp_outside_five_minutes_is_rejected(offset):
    headers = webhook_headers(SECRET, MSG_ID, TS, BODY)
    with pytest.raises(SignatureError, match="300s"):
        verify_webhook(SECRET, headers, BODY, now=TS + offset)


@pytest.mark.parametrize("offset", [300, -300, 0])
def test_timestamp_within_five_minutes_is_accepted(offset):
    headers = webhook_headers(SECRET, MSG_ID, TS, BODY)
    assert verify_webhook(SECRET, headers, BODY, now=TS + offset) == MSG_ID


def test_rotation_sender_signs_with_both_receiver_knows_either():
    old, new = SECRET, generate_webhook_secret()
    headers = webhook_headers([old, new], MSG_ID, TS, BODY)
    assert len(headers["webhook-signature"].split()) == 2
    assert verify_webhook(old, headers, BODY, now=TS) == MSG_ID
    assert verify_webhook(new, headers, BODY, now=TS) == MSG_ID
    # a receiver mid-rotation knows both secrets and gets a single-secret signature
    single = webhook_headers(new, MSG_ID, TS, BODY)
    assert verify_webhook(f"{old} {new}", single, BODY, now=TS) == MSG_ID


def test_headers_are_case_insensitive_and_unknown_versions_ignored():
    headers = webhook_headers(SECRET, MSG_ID, TS, BODY)
    upper = {k.upper(): v for k, v in headers.items()}
    upper["WEBHOOK-SIGNATURE"] = "v2,somethingelse " + upper["WEBHOOK-SIGNATURE"]
    assert verify_webhook(SECRET, upper, BODY, now=TS) == MSG_ID


def test_missing_or_malformed_headers_are_rejected():
    headers = webhook_headers(SECRET, MSG_ID, TS, BODY)
    for name in headers:
        partial = {k: v for k, v in headers.items() if k != name}
        with pytest.raises(SignatureError, match=f"missing header {name}"):
            verify_webhook(SECRET, partial, BODY, now=TS)
    with pytest.raises(SignatureError, match="not Unix seconds"):
        verify_webhook(SECRET, {**headers, "webhook-timestamp": "yesterday"}, BODY, now=TS)
    with pytest.raises(SignatureError, match="no v1 signature"):
        verify_webhook(SECRET, {**headers, "webhook-signature": "v1a,xyz"}, BODY, now=TS)


def test_bad_secret_is_a_config_error_without_the_secret():
    with pytest.raises(ConfigError) as err:
        decode_webhook_secret("whsec_not*base64!")
    assert "not*base64" not in str(err.value)
    with pytest.raises(ConfigError):
        decode_webhook_secret("whsec_")
    assert decode_webhook_secret(SECRET) == base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")


# -- Twilio --------------------------------------------------------------------------------------

TWILIO_TOKEN = "12345"
TWILIO_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
TWILIO_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+12349013030",
    "Digits": "1234",
    "From": "+12349013030",
    "To": "+18005551212",
}


def test_twilio_vector_by_hand():
    # URL, then params sorted by name, each as name+value with no separator
    data = (
        TWILIO_URL
        + "CallSid"
        + "CA1234567890ABCDE"
        + "Caller"
        + "+12349013030"
        + "Digits"
        + "1234"
        + "From"
        + "+12349013030"
        + "To"
        + "+18005551212"
    )
    by_hand = base64.b64encode(hmac.new(b"12345", data.encode(), hashlib.sha1).digest()).decode()
    assert twilio_signature(TWILIO_TOKEN, TWILIO_URL, TWILIO_PARAMS) == by_hand
    # the value Twilio's webhook-security documentation gives for this example
    assert by_hand == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    verify_twilio_signature(TWILIO_TOKEN, TWILIO_URL, TWILIO_PARAMS, by_hand)


def test_twilio_order_of_params_does_not_matter():
    reordered = list(reversed(list(TWILIO_PARAMS.items())))
    assert twilio_signature(TWILIO_TOKEN, TWILIO_URL, reordered) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_twilio_tampering_is_rejected():
    good = twilio_signature(TWILIO_TOKEN, TWILIO_URL, TWILIO_PARAMS)
    with pytest.raises(SignatureError):
        verify_twilio_signature(TWILIO_TOKEN, TWILIO_URL, {**TWILIO_PARAMS, "Digits": "9999"}, good)
    with pytest.raises(SignatureError):
        verify_twilio_signature("other-token", TWILIO_URL, TWILIO_PARAMS, good)
    with pytest.raises(SignatureError):
        verify_twilio_signature(TWILIO_TOKEN, TWILIO_URL.replace("foo=1", "foo=2"), TWILIO_PARAMS, good)
    with pytest.raises(SignatureError):
        verify_twilio_signature(TWILIO_TOKEN, TWILIO_URL, TWILIO_PARAMS, "")


def test_twilio_signature_over_url_with_default_port_is_accepted():
    url = "https://example.com/status"
    signed_with_port = twilio_signature(TWILIO_TOKEN, "https://example.com:443/status", {"A": "1"})
    verify_twilio_signature(TWILIO_TOKEN, url, {"A": "1"}, signed_with_port)
    signed_without = twilio_signature(TWILIO_TOKEN, url, {"A": "1"})
    verify_twilio_signature(TWILIO_TOKEN, "https://example.com:443/status", {"A": "1"}, signed_without)


def test_twilio_json_body_checked_through_body_sha256():
    body = b'{"MessageSid":"SM1"}'
    url = "https://example.com/status?bodySHA256=" + hashlib.sha256(body).hexdigest()
    signature = twilio_signature(TWILIO_TOKEN, url)
    verify_twilio_signature(TWILIO_TOKEN, url, {}, signature, body=body)
    with pytest.raises(SignatureError, match="bodySHA256"):
        verify_twilio_signature(TWILIO_TOKEN, url, {}, signature, body=b'{"MessageSid":"SM2"}')


def test_twilio_repeated_params_sorted_by_value():
    by_hand = base64.b64encode(hmac.new(b"t", b"https://x.test/aMediaUrl1MediaUrl2", hashlib.sha1).digest()).decode()
    assert twilio_signature("t", "https://x.test/a", {"MediaUrl": ["2", "1"]}) == by_hand


# -- Meta ----------------------------------------------------------------------------------------

APP_SECRET = "meta-app-secret"
META_BODY = b'{"object":"whatsapp_business_account","entry":[]}'


def test_meta_vector_by_hand():
    by_hand = "sha256=" + hmac.new(APP_SECRET.encode(), META_BODY, hashlib.sha256).hexdigest()
    assert meta_signature(APP_SECRET, META_BODY) == by_hand
    verify_meta_signature(APP_SECRET, META_BODY, by_hand)
    verify_meta_signature(APP_SECRET, META_BODY, by_hand.upper().replace("SHA256=", "sha256="))


def test_meta_tampering_and_bad_headers_are_rejected():
    good = meta_signature(APP_SECRET, META_BODY)
    with pytest.raises(SignatureError, match="does not match"):
        verify_meta_signature(APP_SECRET, META_BODY + b" ", good)
    with pytest.raises(SignatureError, match="does not match"):
        verify_meta_signature("other", META_BODY, good)
    for header in (None, "", good.removeprefix("sha256="), "sha1=abc"):
        with pytest.raises(SignatureError, match="malformed"):
            verify_meta_signature(APP_SECRET, META_BODY, header)


def test_meta_subscription_handshake():
    params = {"hub.mode": "subscribe", "hub.verify_token": "vt", "hub.challenge": "1158201444"}
    assert verify_meta_subscription(params, "vt") == "1158201444"
    with pytest.raises(SignatureError, match="verify_token"):
        verify_meta_subscription(params, "other")
    with pytest.raises(SignatureError, match=r"hub\.mode"):
        verify_meta_subscription({**params, "hub.mode": "unsubscribe"}, "vt")
    with pytest.raises(SignatureError, match="challenge"):
        verify_meta_subscription({**params, "hub.challenge": ""}, "vt")
    with pytest.raises(SignatureError):
        verify_meta_subscription(params, "")
