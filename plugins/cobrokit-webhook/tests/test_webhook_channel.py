"""cobrokit-webhook: the ``webhook`` channel passes the contract and signs what receivers verify."""

from __future__ import annotations

import json
from decimal import Decimal

import cobrokit_webhook.plugin
import pytest
import requests
import responses
from cobrokit_webhook import WebhookChannel

from cobrokit.channel import DeliveryStatus, Message
from cobrokit.errors import ConfigError
from cobrokit.money import Money
from cobrokit.plugins import get_plugin_host
from cobrokit.signing import generate_webhook_secret, verify_webhook
from cobrokit.testing import ChannelContract, FakeClock, register_temp
from cobrokit.testing.contracts import Reply

URL = "https://receiver.example.test/cobrokit/hooks"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NOW_TS = 1736931600  # the FakeClock's start, 2025-01-15T09:00:00Z, in Unix seconds


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_WEBHOOK_SECRET", SECRET)


class TestWebhookContract(ChannelContract):
    send_url = URL
    expected_provider_id = "default:D-1:oops:1:webhook"  # the message key, sent as webhook-id
    secrets = (SECRET, SECRET.removeprefix("whsec_"))
    recipient = "ana@example.com"

    @pytest.fixture
    def channel(self, clock, env):  # type: ignore[no-untyped-def]
        return WebhookChannel.from_settings({"url": URL, "secret_env": "TEST_WEBHOOK_SECRET"}, clock=clock)

    def idempotency_key_of(self, request: requests.PreparedRequest) -> str | None:
        return request.headers.get("webhook-id")

    def success_response(self) -> Reply:
        return Reply(204)

    def permanent_failure_response(self) -> Reply:
        return Reply(422, json={"error": "unknown debtor"})


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def channel(env, fake_clock):  # type: ignore[no-untyped-def]
    return WebhookChannel.from_settings({"url": URL, "secret_env": "TEST_WEBHOOK_SECRET"}, clock=fake_clock)


def message() -> Message:
    return Message(
        key="acme:D-7:ultimatum:2:webhook",
        tenant="acme",
        debtor_id="D-7",
        stage="ultimatum",
        channel="webhook",
        recipient="crm",
        subject="Requerimiento",
        text="Texto",
        locale="es-ES",
        metadata={"total": Money("1234.56", "EUR"), "rate": Decimal("0.1015"), "invoices": ("F-1", "F-2")},
    )


def test_receiver_verifies_the_signature_and_reads_the_notice(channel, mocked):
    mocked.add("POST", URL, status=200)
    receipt = channel.send(message())
    assert receipt.ok and receipt.provider_id == "acme:D-7:ultimatum:2:webhook"
    request = mocked.calls[0].request
    assert request.headers["webhook-timestamp"] == str(NOW_TS)
    assert verify_webhook(SECRET, request.headers, request.body, now=NOW_TS) == "acme:D-7:ultimatum:2:webhook"
    document = json.loads(request.body, parse_float=Decimal)
    assert document["type"] == "cobrokit.notice"
    assert document["timestamp"] == "2025-01-15T09:00:00+00:00"
    assert document["data"]["metadata"] == {
        "total": {"amount": "1234.56", "currency": "EUR"},
        "rate": Decimal("0.1015"),
        "invoices": ["F-1", "F-2"],
    }
    assert b'"rate":0.1015' in request.body  # an exact JSON number, never a float's repr


def test_rotation_signs_with_every_secret(monkeypatch, fake_clock, mocked):
    new = generate_webhook_secret()
    monkeypatch.setenv("ROTATING", f"{SECRET} {new}")
    channel = WebhookChannel.from_settings({"url": URL, "secret_env": "ROTATING"}, clock=fake_clock)
    mocked.add("POST", URL, status=200)
    channel.send(message())
    request = mocked.calls[0].request
    assert len(request.headers["webhook-signature"].split()) == 2
    for secret in (SECRET, new):
        verify_webhook(secret, request.headers, request.body, now=NOW_TS)


def test_outage_is_retried_with_the_same_webhook_id(channel, mocked, fake_clock):
    mocked.add("POST", URL, status=503)
    mocked.add("POST", URL, body=requests.exceptions.ConnectionError("reset"))
    mocked.add("POST", URL, status=200)
    assert channel.send(message()).ok
    assert {c.request.headers["webhook-id"] for c in mocked.calls} == {"acme:D-7:ultimatum:2:webhook"}
    assert fake_clock.sleeps == [0.25, 0.5]  # full-jitter caps 0.5 and 1.0, FakeClock jitter 0.5


def test_gone_receiver_is_permanent(channel, mocked):
    mocked.add("POST", URL, status=410, body="gone")
    receipt = channel.send(message())
    assert receipt.status is DeliveryStatus.FAILED_PERMANENT and "410" in receipt.detail


def test_settings(monkeypatch, env):
    monkeypatch.setenv("HOOK_URL", URL + "?token=abc")
    channel = WebhookChannel.from_settings({"url_env": "HOOK_URL", "secret_env": "TEST_WEBHOOK_SECRET"})
    assert channel.url.endswith("token=abc")
    with pytest.raises(ConfigError, match="secret_env"):
        WebhookChannel.from_settings({"url": URL})
    monkeypatch.setenv("BAD_SECRET", "whsec_***")
    with pytest.raises(ConfigError, match="base64"):
        WebhookChannel.from_settings({"url": URL, "secret_env": "BAD_SECRET"})
    with pytest.raises(ConfigError, match="url"):
        WebhookChannel.from_settings({"url": "ftp://x", "secret_env": "TEST_WEBHOOK_SECRET"})


def test_fake_clock_default_start_matches_the_constant():
    assert int(FakeClock().now().timestamp()) == NOW_TS


def test_registers_webhook_and_slack(cobrokit_host):
    with register_temp(cobrokit_host, cobrokit_webhook.plugin, "webhook-test"):
        assert {"webhook", "slack"} <= set(cobrokit_host.channels())


def test_installed_entry_point_is_found():
    assert {"webhook", "slack"} <= set(get_plugin_host(autoload=True, environ={}).channels())
