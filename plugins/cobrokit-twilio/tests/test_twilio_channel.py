"""cobrokit-twilio: the contract, plus Twilio's documented request and response shapes."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs

import cobrokit_twilio.plugin
import pytest
import responses
from cobrokit_twilio import TwilioSmsChannel

from cobrokit.channel import DeliveryStatus
from cobrokit.errors import ConfigError
from cobrokit.plugins import get_plugin_host
from cobrokit.testing import ChannelContract, register_temp
from cobrokit.testing.contracts import Reply

ACCOUNT = "AC0123456789abcdef0123456789abcdef"
TOKEN = "twilio-auth-token-not-for-logs"
SEND_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
SID = "SM1f0e8ae6ade43cb3c0ce4525424e404f"
SETTINGS = {
    "account_sid": ACCOUNT,
    "auth_token_env": "TEST_TWILIO_AUTH_TOKEN",
    "from_number": "+34910000000",
    "status_callback": "https://collect.example.test/twilio/status",
}


def created(status: str = "queued") -> dict[str, object]:
    """Twilio's 201 answer to Message create (fields from the Messages resource docs)."""
    return {
        "account_sid": ACCOUNT,
        "api_version": "2010-04-01",
        "body": "Hello",
        "date_created": "Thu, 24 Aug 2023 05:01:45 +0000",
        "date_sent": None,
        "date_updated": "Thu, 24 Aug 2023 05:01:45 +0000",
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": "+34910000000",
        "messaging_service_sid": None,
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": SID,
        "status": status,
        "to": "+34600111222",
        "uri": f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{SID}.json",
    }


def twilio_error(code: int, status: int, message: str) -> dict[str, object]:
    """Twilio's error body: code, message, more_info, status."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_TWILIO_AUTH_TOKEN", TOKEN)


class TestTwilioContract(ChannelContract):
    send_url = SEND_URL
    expected_provider_id = SID
    secrets = (TOKEN,)
    no_idempotency_reason = (
        "Twilio's Message create has no idempotency key; the channel never retries a POST Twilio may "
        "have acted on, so a crash can cause at most one duplicate SMS"
    )

    @pytest.fixture
    def channel(self, clock, env):  # type: ignore[no-untyped-def]
        return TwilioSmsChannel.from_settings(SETTINGS, clock=clock)

    def success_response(self) -> Reply:
        return Reply(201, json=created())

    def permanent_failure_response(self) -> Reply:
        body = twilio_error(21211, 400, "The 'To' number +34600111222 is not a valid phone number.")
        return Reply(400, json=body)

    def auth_failure_response(self) -> Reply:
        return Reply(401, json=twilio_error(20003, 401, "Authenticate"))

    def rate_limited_response(self, retry_after: str) -> Reply:
        body = twilio_error(20429, 429, "Too Many Requests")
        return Reply(429, json=body, headers={"Retry-After": retry_after})


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def channel(env, fake_clock):  # type: ignore[no-untyped-def]
    return TwilioSmsChannel.from_settings(SETTINGS, clock=fake_clock)


@pytest.fixture
def message():  # type: ignore[no-untyped-def]
    from cobrokit.channel import Message

    return Message(
        key="default:D-1:oops:1:sms",
        tenant="default",
        debtor_id="D-1",
        stage="oops",
        channel="sms",
        recipient="+34600111222",
        subject="",
        text="Invoice INV-1 is overdue.",
    )


def test_request_is_the_documented_form_post_with_basic_auth(channel, mocked, message):
    mocked.add("POST", SEND_URL, status=201, json=created())
    receipt = channel.send(message)
    assert receipt.ok and receipt.provider_id == SID and receipt.detail == "twilio: queued"
    request = mocked.calls[0].request
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.body) == {
        "To": ["+34600111222"],
        "Body": ["Invoice INV-1 is overdue."],
        "From": ["+34910000000"],
        "StatusCallback": ["https://collect.example.test/twilio/status"],
    }
    expected = base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"


def test_messaging_service_instead_of_from(env, fake_clock, mocked, message):
    settings = {k: v for k, v in SETTINGS.items() if k != "from_number"}
    settings["messaging_service_sid"] = "MG0123456789abcdef0123456789abcdef"
    channel = TwilioSmsChannel.from_settings(settings, clock=fake_clock)
    mocked.add("POST", SEND_URL, status=201, json=created())
    channel.send(message)
    form = parse_qs(mocked.calls[0].request.body)
    assert form["MessagingServiceSid"] == ["MG0123456789abcdef0123456789abcdef"]
    assert "From" not in form


def test_unsubscribed_recipient_is_permanent(channel, mocked, message):
    mocked.add(
        "POST",
        SEND_URL,
        status=400,
        json=twilio_error(21610, 400, "Attempt to send to unsubscribed recipient"),
    )
    receipt = channel.send(message)
    assert receipt.status is DeliveryStatus.FAILED_PERMANENT
    assert "21610" in receipt.detail and "unsubscribed" in receipt.detail


def test_server_error_is_retryable_but_never_resent(channel, mocked, message, fake_clock):
    """Twilio may have created the message before failing: a second POST could duplicate it."""
    mocked.add("POST", SEND_URL, status=500, body="Internal Server Error")
    receipt = channel.send(message)
    assert receipt.status is DeliveryStatus.FAILED_RETRYABLE
    assert len(mocked.calls) == 1 and fake_clock.sleeps == []


def test_immediately_failed_status_is_permanent(channel, mocked, message):
    answer = created("failed") | {"error_code": 30007}
    mocked.add("POST", SEND_URL, status=201, json=answer)
    receipt = channel.send(message)
    assert receipt.status is DeliveryStatus.FAILED_PERMANENT and receipt.provider_id == SID


def test_unreadable_2xx_answer_counts_as_sent(channel, mocked, message):
    """A 2xx means Twilio accepted the message: never report it as retryable (duplicate SMS)."""
    mocked.add("POST", SEND_URL, status=201, body="<html>proxy</html>")
    receipt = channel.send(message)
    assert receipt.status is DeliveryStatus.SENT and "unreadable" in receipt.detail


@pytest.mark.parametrize("recipient", ["600111222", "+0600111222", "hello", "+34 600 111 222"])
def test_non_e164_recipient_fails_without_calling_twilio(channel, mocked, message, recipient):
    from attrs import evolve

    receipt = channel.send(evolve(message, recipient=recipient))
    assert receipt.status is DeliveryStatus.FAILED_PERMANENT and "E.164" in receipt.detail
    assert recipient not in receipt.detail
    assert len(mocked.calls) == 0


def test_too_long_text_fails_without_calling_twilio(channel, mocked, message):
    from attrs import evolve

    receipt = channel.send(evolve(message, text="x" * 1601))
    assert receipt.status is DeliveryStatus.FAILED_PERMANENT and "1601" in receipt.detail
    assert len(mocked.calls) == 0


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({**SETTINGS, "auth_token_env": None}, "auth_token_env"),
        ({**SETTINGS, "auth_token_env": "UNSET_TWILIO_VAR"}, "UNSET_TWILIO_VAR"),
        ({**SETTINGS, "auth_token": "literal"}, "must not hold a secret"),
        ({**SETTINGS, "messaging_service_sid": "MG1"}, "exactly one"),
        ({**SETTINGS, "account_sid": "XX1"}, "account_sid"),
        ({**SETTINGS, "from_number": "910000000"}, "E.164"),
        ({**SETTINGS, "max_attempts": "0"}, "max_attempts"),
        ({**SETTINGS, "read_timeout": "soon"}, "read_timeout"),
    ],
)
def test_bad_settings_are_config_errors(env, settings, match):
    settings = {k: v for k, v in settings.items() if v is not None}
    if "auth_token" in settings:
        settings.pop("auth_token_env")
    with pytest.raises(ConfigError, match=match):
        TwilioSmsChannel.from_settings(settings)


def test_registers_the_sms_channel(cobrokit_host):
    with register_temp(cobrokit_host, cobrokit_twilio.plugin, "twilio-test"):
        types = cobrokit_host.channels()
        assert types["sms"].factory == TwilioSmsChannel.from_settings
        assert "auth_token_env" in types["sms"].settings


def test_installed_entry_point_is_found():
    host = get_plugin_host(autoload=True, environ={})
    assert "sms" in host.channels()
    assert any(p.distribution == "cobrokit-twilio" for p in host.plugins())
