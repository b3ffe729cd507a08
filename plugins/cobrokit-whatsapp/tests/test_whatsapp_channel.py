"""cobrokit-whatsapp: the contract, the 24-hour window and Graph API request/response shapes."""

from __future__ import annotations

import datetime as dt
import json

import cobrokit_whatsapp.plugin
import pytest
import responses
from attrs import evolve
from cobrokit_whatsapp import WhatsAppChannel, in_service_window

from cobrokit.channel import DeliveryStatus, Message
from cobrokit.errors import AuthError, ConfigError
from cobrokit.plugins import get_plugin_host
from cobrokit.testing import ChannelContract, register_temp
from cobrokit.testing.contracts import Reply

PNID = "106540352242922"
TOKEN = "EAAGm0PX4ZCpsBA-whatsapp-token-not-for-logs"
SEND_URL = f"https://graph.facebook.com/v21.0/{PNID}/messages"
WAMID = "wamid.HBgLMzQ2MDAxMTEyMjIVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"
NOW = dt.datetime(2025, 1, 15, 9, 0, tzinfo=dt.UTC)  # the FakeClock's start
SETTINGS = {
    "phone_number_id": PNID,
    "access_token_env": "TEST_WA_TOKEN",
    "templates": {"oops": "payment_reminder_oops", "ultimatum": "formal_demand"},
}


def accepted() -> dict[str, object]:
    """The Cloud API's answer to a send."""
    return {
        "messaging_product": "whatsapp",
        "contacts": [{"input": "34600111222", "wa_id": "34600111222"}],
        "messages": [{"id": WAMID}],
    }


def graph_error(code: int, message: str, http: int = 400) -> Reply:
    """A Graph API error answer."""
    return Reply(
        http,
        json={
            "error": {
                "message": message,
                "type": "OAuthException",
                "code": code,
                "error_data": {"messaging_product": "whatsapp", "details": message},
                "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam",
            }
        },
    )


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_WA_TOKEN", TOKEN)
    monkeypatch.setenv("TEST_WA_APP_SECRET", "app-secret")
    monkeypatch.setenv("TEST_WA_VERIFY", "verify-me")


class TestWhatsAppContract(ChannelContract):
    send_url = SEND_URL
    expected_provider_id = WAMID
    secrets = (TOKEN,)
    no_idempotency_reason = (
        "the Cloud API has no idempotency key for sending; the wamid is stored and a POST WhatsApp "
        "may have acted on is never repeated"
    )

    @pytest.fixture
    def channel(self, clock, env):  # type: ignore[no-untyped-def]
        return WhatsAppChannel.from_settings(SETTINGS, clock=clock)

    def message_metadata(self) -> dict[str, object]:
        return {"last_inbound_at": "2025-01-15T08:00:00+00:00"}  # one hour before the clock: in window

    def success_response(self) -> Reply:
        return Reply(200, json=accepted())

    def permanent_failure_response(self) -> Reply:
        return graph_error(131026, "Message Undeliverable.")

    def auth_failure_response(self) -> Reply:
        return graph_error(190, "Error validating access token: Session has expired.", http=401)

    def rate_limited_response(self, retry_after: str) -> Reply:
        error = graph_error(130429, "Rate limit hit", http=429)
        return evolve(error, headers={"Retry-After": retry_after})


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def channel(env, fake_clock):  # type: ignore[no-untyped-def]
    return WhatsAppChannel.from_settings(SETTINGS, clock=fake_clock)


def message(**metadata: object) -> Message:
    return Message(
        key="default:D-1:oops:1:whatsapp",
        tenant="default",
        debtor_id="D-1",
        stage="oops",
        channel="whatsapp",
        recipient="+34600111222",
        subject="",
        locale="es-ES",
        text="Hola, la factura INV-1 de 1.234,56 € está vencida.",
        metadata=metadata,
    )


def sent_json(mocked: responses.RequestsMock, index: int = 0) -> dict[str, object]:
    return json.loads(mocked.calls[index].request.body)


def test_inside_window_sends_free_text_with_bearer_token(channel, mocked):
    mocked.add("POST", SEND_URL, json=accepted())
    receipt = channel.send(message(last_inbound_at=NOW - dt.timedelta(hours=23)))
    assert receipt.ok and receipt.provider_id == WAMID and receipt.detail == "whatsapp: text"
    assert mocked.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent_json(mocked) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "34600111222",
        "type": "text",
        "text": {"preview_url": False, "body": "Hola, la factura INV-1 de 1.234,56 € está vencida."},
    }


def test_outside_window_sends_the_stage_template(channel, mocked):
    mocked.add("POST", SEND_URL, json=accepted())
    receipt = channel.send(
        message(
            last_inbound_at="2025-01-13T09:00:00Z",
            whatsapp_template_parameters=["Ana", "1.234,56 €", "20/01/2025"],
        )
    )
    assert receipt.ok and receipt.detail == "whatsapp: template payment_reminder_oops"
    assert sent_json(mocked) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "34600111222",
        "type": "template",
        "template": {
            "name": "payment_reminder_oops",
            "language": {"code": "es_ES", "policy": "deterministic"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Ana"},
                        {"type": "text", "text": "1.234,56 €"},
                        {"type": "text", "text": "20/01/2025"},
                    ],
                }
            ],
        },
    }


def test_unknown_window_counts_as_outside(channel, mocked):
    mocked.add("POST", SEND_URL, json=accepted())
    channel.send(message())
    assert sent_json(mocked)["type"] == "template"


def test_outside_window_without_template_fails_without_calling(channel, mocked):
    receipt = channel.send(evolve(message(), stage="thanks"))
    assert receipt.status is DeliveryStatus.FAILED_PERMANENT
    assert "no approved template" in receipt.detail and "'thanks'" in receipt.detail
    assert len(mocked.calls) == 0


def test_131047_on_free_text_falls_back_to_the_template(channel, mocked):
    mocked.add("POST", SEND_URL, **_kw(graph_error(131047, "(#131047) Re-engagement message")))
    mocked.add("POST", SEND_URL, json=accepted())
    receipt = channel.send(message(last_inbound_at=NOW - dt.timedelta(hours=1)))
    assert receipt.ok and "template" in receipt.detail
    assert [sent_json(mocked, i)["type"] for i in range(2)] == ["text", "template"]


def test_131047_without_template_is_permanent(channel, mocked):
    mocked.add("POST", SEND_URL, **_kw(graph_error(131047, "(#131047) Re-engagement message")))
    receipt = channel.send(evolve(message(last_inbound_at=NOW - dt.timedelta(hours=1)), stage="thanks"))
    assert receipt.status is DeliveryStatus.FAILED_PERMANENT
    assert "131047" in receipt.detail and "template" in receipt.detail


def test_throughput_limit_code_is_retried(channel, mocked, fake_clock):
    mocked.add("POST", SEND_URL, **_kw(graph_error(130429, "Rate limit hit")))
    mocked.add("POST", SEND_URL, json=accepted())
    assert channel.send(message()).ok
    assert len(mocked.calls) == 2 and len(fake_clock.sleeps) == 1


def test_pair_rate_limit_exhausted_is_retryable(channel, mocked):
    mocked.add("POST", SEND_URL, **_kw(graph_error(131056, "(#131056) Pair rate limit hit")))
    receipt = channel.send(message())
    assert receipt.status is DeliveryStatus.FAILED_RETRYABLE and "131056" in receipt.detail


def test_expired_token_raises_auth_error(channel, mocked):
    mocked.add("POST", SEND_URL, **_kw(graph_error(190, "Session has expired", http=400)))
    with pytest.raises(AuthError, match="190"):
        channel.send(message())


def test_server_error_is_not_resent(channel, mocked):
    mocked.add("POST", SEND_URL, status=500, body="oops")
    assert channel.send(message()).status is DeliveryStatus.FAILED_RETRYABLE
    assert len(mocked.calls) == 1


def test_bad_recipient_fails_without_calling(channel, mocked):
    receipt = channel.send(evolve(message(), recipient="ana@example.com"))
    assert receipt.status is DeliveryStatus.FAILED_PERMANENT and len(mocked.calls) == 0


@pytest.mark.parametrize(
    ("last", "inside"),
    [
        (NOW - dt.timedelta(hours=23, minutes=59, seconds=59), True),
        (NOW - dt.timedelta(hours=24), False),  # the window is strictly less than 24 hours
        (NOW, True),
        (NOW + dt.timedelta(minutes=5), False),  # in the future: not trusted
        ("2025-01-15T08:30:00+01:00", True),  # 07:30 UTC, 1.5 h before
        ("2025-01-15T08:30:00", False),  # naive: unknown zone
        ("yesterday", False),
        (None, False),
    ],
)
def test_service_window(last, inside):
    assert in_service_window(last, NOW) is inside


def test_settings_errors(env):
    with pytest.raises(ConfigError, match="phone_number_id"):
        WhatsAppChannel.from_settings({**SETTINGS, "phone_number_id": "+34 600"})
    with pytest.raises(ConfigError, match="api_version"):
        WhatsAppChannel.from_settings({**SETTINGS, "api_version": "21"})
    with pytest.raises(ConfigError, match="templates"):
        WhatsAppChannel.from_settings({**SETTINGS, "templates": ["x"]})
    with pytest.raises(ConfigError, match="access_token_env"):
        WhatsAppChannel.from_settings({k: v for k, v in SETTINGS.items() if k != "access_token_env"})


def test_registers_the_whatsapp_channel(cobrokit_host):
    with register_temp(cobrokit_host, cobrokit_whatsapp.plugin, "whatsapp-test"):
        assert cobrokit_host.channels()["whatsapp"].factory == WhatsAppChannel.from_settings


def test_installed_entry_point_is_found():
    assert "whatsapp" in get_plugin_host(autoload=True, environ={}).channels()


def _kw(reply: Reply) -> dict[str, object]:
    status, headers, body = reply.render()
    return {"status": status, "body": body, "content_type": headers["Content-Type"]}
