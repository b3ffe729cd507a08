"""cobrokit-webhook: the ``slack`` channel against Slack's incoming-webhook answers."""

from __future__ import annotations

import json

import pytest
import responses
from cobrokit_webhook import SlackChannel

from cobrokit.channel import DeliveryStatus, Message
from cobrokit.errors import AuthError, ConfigError
from cobrokit.testing import ChannelContract
from cobrokit.testing.contracts import Reply

HOOK_SECRET = "B0123456789/AbCdEfGhIjKlMnOpQrStUvWx"
URL = f"https://hooks.slack.com/services/T0123456789/{HOOK_SECRET}"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_SLACK_URL", URL)


class TestSlackContract(ChannelContract):
    send_url = URL
    expected_provider_id = ""  # Slack answers "ok" and no message id
    secrets = (URL, HOOK_SECRET)
    no_idempotency_reason = "Slack incoming webhooks accept no idempotency key; a POST is never repeated"

    @pytest.fixture
    def channel(self, clock, env):  # type: ignore[no-untyped-def]
        return SlackChannel.from_settings({"url_env": "TEST_SLACK_URL"}, clock=clock)

    def success_response(self) -> Reply:
        return Reply(200, body="ok")

    def permanent_failure_response(self) -> Reply:
        return Reply(404, body="channel_not_found")

    def auth_failure_response(self) -> Reply:
        return Reply(403, body="invalid_token")


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def channel(env, fake_clock):  # type: ignore[no-untyped-def]
    return SlackChannel.from_settings({"url_env": "TEST_SLACK_URL"}, clock=fake_clock)


def message(**metadata: object) -> Message:
    return Message(
        key="k",
        tenant="default",
        debtor_id="D-1",
        stage="breach",
        channel="slack",
        recipient="#collections",
        subject="Plan breached",
        text="D-1 missed instalment 2.",
        metadata=metadata,
    )


def test_posts_text_and_blocks(channel, mocked):
    mocked.add("POST", URL, body="ok")
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*D-1* missed instalment 2"}}]
    receipt = channel.send(message(slack_blocks=blocks))
    assert receipt.status is DeliveryStatus.SENT and receipt.detail == "slack: ok"
    assert json.loads(mocked.calls[0].request.body) == {
        "text": "*Plan breached*\nD-1 missed instalment 2.",
        "blocks": blocks,
    }


@pytest.mark.parametrize(
    ("status", "code"),
    [(400, "invalid_payload"), (400, "no_text"), (403, "action_prohibited"), (410, "channel_is_archived")],
)
def test_plain_text_errors_are_permanent(channel, mocked, status, code):
    mocked.add("POST", URL, status=status, body=code)
    receipt = channel.send(message())
    assert receipt.status is DeliveryStatus.FAILED_PERMANENT and code in receipt.detail
    assert len(mocked.calls) == 1


@pytest.mark.parametrize("code", ["no_service", "no_active_hooks", "team_disabled"])
def test_dead_hook_raises_auth_error(channel, mocked, code):
    mocked.add("POST", URL, status=404, body=code)
    with pytest.raises(AuthError, match=code) as err:
        channel.send(message())
    assert HOOK_SECRET not in str(err.value)


def test_server_error_is_not_resent(channel, mocked):
    mocked.add("POST", URL, status=500, body="")
    assert channel.send(message()).status is DeliveryStatus.FAILED_RETRYABLE
    assert len(mocked.calls) == 1


def test_url_comes_from_the_environment(monkeypatch):
    with pytest.raises(ConfigError, match="must not hold a secret"):
        SlackChannel.from_settings({"url": URL})
    monkeypatch.setenv("PLAIN", "http://hooks.slack.com/services/x")
    with pytest.raises(ConfigError, match="https"):
        SlackChannel.from_settings({"url_env": "PLAIN"})
