"""The built-in email channel against a real SMTP server (aiosmtpd), and its folder mode."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from cobrokit.builtin.email import EmailChannel, EmailSettings, build_email, message_id_for, safe_filename
from cobrokit.channel import Attachment, DeliveryStatus, Message
from cobrokit.errors import ConfigError
from cobrokit.rendering import render_notice
from tests.notices.sample import make_notice

# aiosmtpd warns when AUTH is offered without TLS; on localhost in a test that is intended.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

SECRET = "s3cret-Pa55"  # the test server's password; must never show up in a receipt


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Handler:
    """Accepts mail, refuses nobody@ (550) and busy@ (450), can drop the connection."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.drop = False

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user"
        if address.startswith("busy@"):
            return "450 4.2.1 Mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.drop:
            server.transport.close()
            return "421 closing"
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"cobros" and auth_data.password == SECRET.encode()
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server() -> Iterator[tuple[Handler, int]]:
    handler = Handler()
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture
def auth_server() -> Iterator[tuple[Handler, int]]:
    handler = Handler()
    port = _free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        authenticator=_authenticator,
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def _channel(port: int, **extra: Any) -> EmailChannel:
    settings = {
        "from_address": "Cobros Suministros <cobros@suministros.example>",
        "reply_to": "ana@suministros.example",
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "timeout": 5,
        **extra,
    }
    return EmailChannel(EmailSettings.from_mapping(settings), environ={})


def _message(recipient: str = "pagos@pena.example", **changes: Any) -> Message:
    message = render_notice(make_notice(stage="penalty_warning", locale="es_ES"), "email")
    return attrs.evolve(message, recipient=recipient, **changes)


@pytest.mark.slow
def test_sends_text_and_html_with_a_deterministic_message_id(smtp_server: tuple[Handler, int]) -> None:
    handler, port = smtp_server
    pdf = Attachment("extracto.pdf", "application/pdf", b"%PDF-1.4 test")
    message = _message(attachments=(pdf,))
    receipt = _channel(port, bcc="archivo@suministros.example").send(message)
    assert receipt.status is DeliveryStatus.SENT, receipt.detail
    assert receipt.provider_id == message_id_for(message.key, "suministros.example")
    [(mail_from, rcpts, raw)] = handler.messages
    assert mail_from == "cobros@suministros.example"
    assert rcpts == ["pagos@pena.example", "archivo@suministros.example"]
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Message-ID"] == receipt.provider_id
    assert parsed["Subject"] == message.subject
    assert parsed["Subject"].endswith("(13.445,98 €)")  # whitespace in subjects is collapsed
    assert parsed["Reply-To"] == "ana@suministros.example"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert "Bcc" not in parsed  # the archive copy is envelope-only
    text = parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = parsed.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "13.445,98\xa0€" in text and "13.445,98\xa0€" in html
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_filename() == "extracto.pdf"
    assert attachment.get_content() == b"%PDF-1.4 test"


@pytest.mark.slow
def test_all_recipients_refused_is_permanent(smtp_server: tuple[Handler, int]) -> None:
    _, port = smtp_server
    receipt = _channel(port).send(_message("nobody@pena.example"))
    assert receipt.status is DeliveryStatus.FAILED_PERMANENT
    assert "550" in receipt.detail


@pytest.mark.slow
def test_temporarily_refused_recipient_is_retryable(smtp_server: tuple[Handler, int]) -> None:
    _, port = smtp_server
    receipt = _channel(port).send(_message("busy@pena.example"))
    assert receipt.status is DeliveryStatus.FAILED_RETRYABLE
    assert "450" in receipt.detail


@pytest.mark.slow
def test_partly_refused_recipients_still_count_as_sent(smtp_server: tuple[Handler, int]) -> None:
    handler, port = smtp_server
    receipt = _channel(port).send(_message("pagos@pena.example, nobody@pena.example"))
    assert receipt.status is DeliveryStatus.SENT
    assert "1 of 2 recipient(s) refused" in receipt.detail
    assert handler.messages[0][1] == ["pagos@pena.example"]


@pytest.mark.slow
def test_dropped_connection_is_retryable(smtp_server: tuple[Handler, int]) -> None:
    handler, port = smtp_server
    handler.drop = True
    receipt = _channel(port).send(_message())
    assert receipt.status is DeliveryStatus.FAILED_RETRYABLE
    assert handler.messages == []


@pytest.mark.slow
def test_no_server_listening_is_retryable() -> None:
    receipt = _channel(_free_port()).send(_message())
    assert receipt.status is DeliveryStatus.FAILED_RETRYABLE
    assert "cannot reach SMTP server" in receipt.detail


@pytest.mark.slow
def test_starttls_on_a_plain_server_is_a_permanent_configuration_failure(
    smtp_server: tuple[Handler, int],
) -> None:
    handler, port = smtp_server
    receipt = _channel(port, security="starttls").send(_message())
    assert receipt.status is DeliveryStatus.FAILED_PERMANENT
    assert "does not support" in receipt.detail
    assert handler.messages == []


@pytest.mark.slow
def test_login_with_the_password_from_the_environment(auth_server: tuple[Handler, int]) -> None:
    handler, port = auth_server
    settings = EmailSettings.from_mapping(
        {
            "from_address": "cobros@suministros.example",
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "username": "cobros",
            "password_env": "TEST_SMTP_PASSWORD",
        }
    )
    receipt = EmailChannel(settings, environ={"TEST_SMTP_PASSWORD": SECRET}).send(_message())
    assert receipt.status is DeliveryStatus.SENT, receipt.detail
    assert len(handler.messages) == 1


@pytest.mark.slow
def test_auth_failure_is_permanent_and_never_shows_the_password(auth_server: tuple[Handler, int]) -> None:
    handler, port = auth_server
    settings = EmailSettings.from_mapping(
        {
            "from_address": "cobros@suministros.example",
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "username": "cobros",
            "password_env": "TEST_SMTP_PASSWORD",
        }
    )
    wrong = "wrong-" + SECRET
    receipt = EmailChannel(settings, environ={"TEST_SMTP_PASSWORD": wrong}).send(_message())
    assert receipt.status is DeliveryStatus.FAILED_PERMANENT
    assert "authentication failed for user 'cobros'" in receipt.detail
    assert "TEST_SMTP_PASSWORD" in receipt.detail
    assert wrong not in receipt.detail and SECRET not in receipt.detail
    assert handler.messages == []


@pytest.mark.slow
def test_unauthenticated_send_to_a_server_requiring_auth_is_permanent(
    auth_server: tuple[Handler, int],
) -> None:
    _, port = auth_server
    receipt = _channel(port).send(_message())
    assert receipt.status is DeliveryStatus.FAILED_PERMANENT
    assert "530" in receipt.detail


def test_missing_password_variable_is_permanent_and_named() -> None:
    settings = EmailSettings.from_mapping(
        {"from_address": "cobros@suministros.example", "username": "cobros", "security": "none"}
    )
    receipt = EmailChannel(settings, environ={}).send(_message())
    assert receipt.status is DeliveryStatus.FAILED_PERMANENT
    assert "COBROKIT_SMTP_PASSWORD" in receipt.detail


def test_message_id_depends_only_on_key_and_domain() -> None:
    settings = EmailSettings.from_mapping({"from_address": "cobros@suministros.example"})

    first = build_email(_message(), settings, now=dt.datetime(2025, 7, 31, 9, tzinfo=dt.UTC))
    again = build_email(_message(), settings, now=dt.datetime(2025, 8, 1, 9, tzinfo=dt.UTC))
    other = build_email(
        _message(key="acme/D-042/penalty_warning/2/email"),
        settings,
        now=dt.datetime(2025, 7, 31, 9, tzinfo=dt.UTC),
    )
    assert first["Message-ID"] == again["Message-ID"] != other["Message-ID"]
    assert first["Message-ID"] == message_id_for("acme/D-042/penalty_warning/1/email", "suministros.example")
    custom = EmailSettings.from_mapping({"from_address": "c@x.example", "message_id_domain": "mail.example"})
    assert str(build_email(_message(), custom, now=dt.datetime(2025, 7, 31, tzinfo=dt.UTC))["Message-ID"]).endswith(
        "@mail.example>"
    )


def test_folder_mode_writes_parseable_eml_files(tmp_path: Path) -> None:
    channel = EmailChannel.from_settings(
        {
            "from_address": "Cobros <cobros@suministros.example>",
            "transport": "folder",
            "folder": str(tmp_path),
        }
    )
    assert channel.honours_idempotency is True
    message = _message()
    first = channel.send(message)
    second = channel.send(message)  # the same key rewrites the same file
    assert first.status is second.status is DeliveryStatus.SENT
    files = list(tmp_path.glob("*.eml"))
    assert [f.name for f in files] == [safe_filename(message.key, ".eml")]
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
    assert parsed["To"] == "pagos@pena.example"
    assert parsed["Subject"] == message.subject
    assert parsed["Message-ID"] == first.provider_id
    assert "Estimado cliente:" in parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert parsed.get_body(("html",)) is not None


def test_smtp_does_not_honour_idempotency() -> None:
    assert EmailChannel.from_settings({"from_address": "c@x.example"}).honours_idempotency is False


def test_a_debtor_without_email_is_a_permanent_failure(tmp_path: Path) -> None:
    channel = EmailChannel.from_settings(
        {"from_address": "c@x.example", "transport": "folder", "folder": str(tmp_path)}
    )
    receipt = channel.send(_message(recipient=""))
    assert receipt.status is DeliveryStatus.FAILED_PERMANENT
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("settings", "match"),
    [
        ({"from_address": "c@x.example", "password": "hunter2"}, "environment variable"),
        ({"from_address": "c@x.example", "hots": "smtp"}, "unknown setting"),
        ({}, "from_address is required"),
        ({"from_address": "c@x.example", "security": "ssl3"}, "security"),
        ({"from_address": "c@x.example", "transport": "folder"}, "needs a folder"),
        ({"from_address": "c@x.example", "port": 70000}, "out of range"),
        ({"from_address": "c@x.example", "reply_to": "not an address"}, "reply_to"),
    ],
)
def test_settings_are_validated(settings: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        EmailSettings.from_mapping(settings)
    if "password" in settings:
        with pytest.raises(ConfigError) as info:
            EmailSettings.from_mapping(settings)
        assert "hunter2" not in str(info.value)


def test_default_ports_follow_the_security_mode() -> None:
    assert EmailSettings.from_mapping({"from_address": "c@x.example"}).port == 587
    assert EmailSettings.from_mapping({"from_address": "c@x.example", "security": "tls"}).port == 465
    assert EmailSettings.from_mapping({"from_address": "c@x.example", "security": "none"}).port == 25


@pytest.mark.parametrize("attachments", [(), (Attachment("extracto.pdf", "application/pdf", b"%PDF-1.4 test"),)])
def test_every_eml_carries_the_content_language_of_the_debtor(
    tmp_path: Path, attachments: tuple[Attachment, ...]
) -> None:
    channel = EmailChannel.from_settings(
        {"from_address": "c@x.example", "transport": "folder", "folder": str(tmp_path)}
    )
    message = _message(attachments=attachments)  # es_ES debtor, text + HTML (+ a PDF)
    assert channel.send(message).status is DeliveryStatus.SENT
    [path] = tmp_path.glob("*.eml")
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert parsed["Content-Language"] == "es-ES"  # on the message itself, not on one of its parts
    assert all(part["Content-Language"] is None for part in parsed.iter_parts())
