"""The built-in ``email`` channel: SMTP (stdlib ``smtplib``) or ``.eml`` files in a folder.

Settings (a mapping, e.g. the ``[channels.email]`` table of ``cobrokit.toml``):

``transport``        ``"smtp"`` (default) or ``"folder"``
``from_address``     ``"Cobros <cobros@example.com>"`` (required)
``reply_to``         optional Reply-To address
``bcc``              optional archive copy (address or list), not shown to the debtor
``message_id_domain`` right-hand side of the Message-ID (default: the From domain)
``host``, ``port``   SMTP server (default ``localhost``, 587 for STARTTLS, 465 for TLS, 25 otherwise)
``security``         ``"starttls"`` (default), ``"tls"`` (SMTPS) or ``"none"`` (only for localhost relays)
``username``         SMTP login; the password is **never** in the settings:
``password_env``     name of the environment variable holding the password
                     (default ``COBROKIT_SMTP_PASSWORD``)
``timeout``          seconds (default 30)
``folder``           where ``transport = "folder"`` writes ``<key>.eml`` files

Failures are receipts, never exceptions: a refused recipient or sender (5xx) and an
authentication failure are ``FAILED_PERMANENT``; a dropped connection, a timeout or a 4xx
reply are ``FAILED_RETRYABLE``.

Dates: the ``Date`` header is the notice's business date, not the machine's clock (see
:func:`cobrokit.rendering.message_datetime`): ``metadata["sent_at"]`` when the caller
set it, else the notice date (``metadata["as_of"]``) at 08:00 in the debtor's time zone.
Only a message that carries neither (not rendered by cobrokit) is dated by the
channel's ``clock``.

Idempotency: the ``Message-ID`` is derived from the idempotency key
(``<sha256(key)[:32]@domain>``), so a resend carries the same id and mail clients thread
or de-duplicate it, but SMTP itself has no idempotency: if the process dies after the
server accepted the message and before the outbox recorded it, the next run sends it once
more (at most one duplicate per crash). ``honours_idempotency`` is therefore ``False`` for
SMTP and ``True`` for the folder transport (same key → same file, rewritten).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Callable, Mapping
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, getaddresses, parseaddr
from pathlib import Path
from typing import Any

import attrs

from cobrokit.channel import ChannelType, DeliveryReceipt, DeliveryStatus, Message
from cobrokit.errors import ConfigError, ValidationError
from cobrokit.plugins.markers import hookimpl
from cobrokit.rendering import message_datetime

__all__ = [
    "DEFAULT_PASSWORD_ENV",
    "EmailChannel",
    "EmailSettings",
    "build_email",
    "message_id_for",
    "safe_filename",
]

DEFAULT_PASSWORD_ENV = "COBROKIT_SMTP_PASSWORD"  # noqa: S105 - the variable name, not a password
"""Environment variable read for the SMTP password when ``password_env`` is not set."""

_HEADER_POLICY = SMTP_POLICY.clone(max_line_length=998)

_KNOWN = {
    "transport",
    "from_address",
    "reply_to",
    "bcc",
    "message_id_domain",
    "host",
    "port",
    "security",
    "username",
    "password_env",
    "timeout",
    "folder",
}


def message_id_for(key: str, domain: str) -> str:
    """The deterministic ``Message-ID`` of the message with idempotency *key*.

    >>> message_id_for("acme/D-1/oops/1/email", "example.com")
    '<4be4781e0ba700af429f9f0890cdf5e8@example.com>'
    """
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{domain}>"


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(key: str, suffix: str) -> str:
    """A file name for *key*: readable, filesystem-safe, and unique (a hash is appended)."""
    readable = _UNSAFE.sub("_", key).strip("._")[:100] or "message"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]
    return f"{readable}-{digest}{suffix}"


def _addresses(value: object, field: str) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    items = [value] if isinstance(value, str) else list(value)  # type: ignore[call-overload]
    result = []
    for item in items:
        for name, addr in getaddresses([str(item)]):
            if "@" not in addr:
                raise ConfigError(f"email channel: {field}: {item!r} is not an email address")
            result.append(str(Address(display_name=name, addr_spec=addr)) if name else addr)
    return tuple(result)


@attrs.frozen(slots=True)
class EmailSettings:
    """Validated settings of the email channel (see the module docstring)."""

    from_address: str
    transport: str = "smtp"
    reply_to: str = ""
    bcc: tuple[str, ...] = ()
    message_id_domain: str = ""
    host: str = "localhost"
    port: int = 0
    security: str = "starttls"
    username: str = ""
    password_env: str = DEFAULT_PASSWORD_ENV
    timeout: float = 30.0  # float ok: seconds
    folder: str = ""

    @classmethod
    def from_mapping(cls, settings: Mapping[str, Any]) -> EmailSettings:
        """Validate a settings mapping.

        Raises:
            ConfigError: unknown keys, a password in the settings, a bad transport,
                security mode, port or address.
        """
        if "password" in settings:
            raise ConfigError(
                "email channel: do not put the SMTP password in the settings; set it in an "
                f"environment variable and name it with password_env (default {DEFAULT_PASSWORD_ENV})"
            )
        unknown = sorted(set(settings) - _KNOWN)
        if unknown:
            raise ConfigError(
                f"email channel: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(_KNOWN))}"
            )
        from_address = str(settings.get("from_address", "")).strip()
        if not from_address or "@" not in parseaddr(from_address)[1]:
            raise ConfigError("email channel: from_address is required (e.g. 'Cobros <cobros@example.com>')")
        transport = str(settings.get("transport", "smtp"))
        if transport not in ("smtp", "folder"):
            raise ConfigError(f"email channel: transport must be 'smtp' or 'folder', not {transport!r}")
        security = str(settings.get("security", "starttls"))
        if security not in ("starttls", "tls", "none"):
            raise ConfigError(f"email channel: security must be 'starttls', 'tls' or 'none', not {security!r}")
        folder = str(settings.get("folder", ""))
        if transport == "folder" and not folder:
            raise ConfigError("email channel: transport 'folder' needs a folder setting")
        default_port = {"starttls": 587, "tls": 465, "none": 25}[security]
        try:
            port = int(settings.get("port", default_port))
            timeout = float(settings.get("timeout", 30))  # float ok: seconds
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"email channel: port/timeout: {exc}") from None
        if not 0 < port < 65536:
            raise ConfigError(f"email channel: port {port} is out of range")
        domain = str(settings.get("message_id_domain", "")) or parseaddr(from_address)[1].rsplit("@", 1)[1]
        reply_to = _addresses(settings.get("reply_to"), "reply_to")
        return cls(
            from_address=from_address,
            transport=transport,
            reply_to=", ".join(reply_to),
            bcc=_addresses(settings.get("bcc"), "bcc"),
            message_id_domain=domain,
            host=str(settings.get("host", "localhost")),
            port=port,
            security=security,
            username=str(settings.get("username", "")),
            password_env=str(settings.get("password_env", DEFAULT_PASSWORD_ENV)),
            timeout=timeout,
            folder=folder,
        )


def build_email(message: Message, settings: EmailSettings, *, now: dt.datetime) -> EmailMessage:
    """The RFC 5322 message for *message*: text part, optional HTML alternative, attachments.

    Headers: From, To, Reply-To, Subject, Date, a deterministic Message-ID,
    ``Auto-Submitted: auto-generated`` (RFC 3834, so auto-responders do not answer) and
    Content-Language.
    """
    email = EmailMessage(policy=SMTP_POLICY)
    email["From"] = settings.from_address
    email["To"] = message.recipient
    if settings.reply_to:
        email["Reply-To"] = settings.reply_to
    email["Subject"] = message.subject
    email["Date"] = format_datetime(now)
    email["Message-ID"] = message_id_for(message.key, settings.message_id_domain)
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.text)
    if message.html:
        email.add_alternative(message.html, subtype="html")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        email.add_attachment(
            attachment.data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    # Set last: set_content() drops every Content-* header, and making the message
    # multipart (HTML, attachments) moves them into the first part.
    email["Content-Language"] = message.locale.replace("_", "-")
    # Generate headers unfolded (RFC 5322 allows 998 characters): the stdlib folder of
    # Python 3.11 doubles spaces when it folds before an encoded word, which would turn
    # "13.445,98 €" into "13.445,98  €" in the subject. Bodies are already encoded above.
    email.policy = _HEADER_POLICY
    return email


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _reply(code: int, text: bytes | str) -> str:
    message = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {message}".strip()


class EmailChannel:
    """Sends :class:`~cobrokit.channel.Message` objects as email (see the module docstring)."""

    name = "email"

    def __init__(
        self,
        settings: EmailSettings,
        *,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        self.settings = settings
        self.honours_idempotency = settings.transport == "folder"
        """True for the folder transport; SMTP has no idempotency (see the module docstring)."""
        self._environ = os.environ if environ is None else environ
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> EmailChannel:
        """Build the channel from a settings mapping (raises :class:`ConfigError`)."""
        return cls(EmailSettings.from_mapping(settings))

    def send(self, message: Message) -> DeliveryReceipt:
        """Send (or write) *message*; failures come back as receipts."""
        recipients = [addr for _, addr in getaddresses([message.recipient]) if "@" in addr]
        if not recipients:
            return DeliveryReceipt(DeliveryStatus.FAILED_PERMANENT, detail="no email address for this debtor")
        try:  # dated from the notice's business date, not the machine's clock
            sent = message_datetime(message) or self._clock()
        except ValidationError as exc:
            return DeliveryReceipt(DeliveryStatus.FAILED_PERMANENT, detail=str(exc))
        email = build_email(message, self.settings, now=sent)
        message_id = str(email["Message-ID"])
        if self.settings.transport == "folder":
            return self._write(message, email, message_id)
        return self._smtp(email, recipients + list(self.settings.bcc), message_id)

    # -- folder ---------------------------------------------------------------------------
    def _write(self, message: Message, email: EmailMessage, message_id: str) -> DeliveryReceipt:
        folder = Path(self.settings.folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / safe_filename(message.key, ".eml")
            with tempfile.NamedTemporaryFile("wb", dir=folder, delete=False, suffix=".tmp") as handle:
                handle.write(email.as_bytes())
                temp = Path(handle.name)
            os.replace(temp, target)
        except OSError as exc:
            return DeliveryReceipt(
                DeliveryStatus.FAILED_RETRYABLE,
                message_id,
                f"could not write to {folder}: {exc.strerror or exc}",
            )
        return DeliveryReceipt(DeliveryStatus.SENT, message_id, f"written to {target.name}")

    # -- SMTP -----------------------------------------------------------------------------
    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security == "tls":
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=ssl.create_default_context())
        return smtplib.SMTP(s.host, s.port, timeout=s.timeout)

    def _smtp(self, email: EmailMessage, recipients: list[str], message_id: str) -> DeliveryReceipt:
        s = self.settings
        password = ""
        if s.username:
            password = self._environ.get(s.password_env, "")
            if not password:
                return DeliveryReceipt(
                    DeliveryStatus.FAILED_PERMANENT,
                    message_id,
                    f"SMTP username is set but the environment variable {s.password_env} is empty or unset",
                )
        permanent, retryable = DeliveryStatus.FAILED_PERMANENT, DeliveryStatus.FAILED_RETRYABLE
        try:
            with self._connect() as smtp:
                if s.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if s.username:
                    smtp.login(s.username, password)
                sender = parseaddr(s.from_address)[1]
                refused = smtp.send_message(email, from_addr=sender, to_addrs=recipients)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            status = retryable if codes and all(400 <= c < 500 for c in codes) else permanent
            replies = "; ".join(_reply(c, t) for c, t in exc.recipients.values())
            return DeliveryReceipt(status, message_id, f"all recipients refused: {replies}")
        except smtplib.SMTPAuthenticationError as exc:
            return DeliveryReceipt(
                permanent,
                message_id,
                f"SMTP authentication failed for user {s.username!r} "
                f"({_reply(exc.smtp_code, exc.smtp_error)}); check the password in {s.password_env}",
            )
        except smtplib.SMTPNotSupportedError as exc:
            return DeliveryReceipt(permanent, message_id, f"SMTP server does not support what is configured: {exc}")
        except smtplib.SMTPServerDisconnected as exc:
            return DeliveryReceipt(retryable, message_id, f"SMTP connection dropped: {exc}")
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, …
            status = retryable if 400 <= exc.smtp_code < 500 else permanent
            return DeliveryReceipt(status, message_id, f"SMTP server replied {_reply(exc.smtp_code, exc.smtp_error)}")
        except smtplib.SMTPException as exc:
            return DeliveryReceipt(retryable, message_id, f"SMTP error: {exc}")
        except ssl.SSLCertVerificationError as exc:
            return DeliveryReceipt(
                permanent, message_id, f"TLS certificate of {s.host} not trusted: {exc.verify_message}"
            )
        except TimeoutError as exc:
            return DeliveryReceipt(retryable, message_id, f"SMTP timeout talking to {s.host}:{s.port}: {exc}")
        except OSError as exc:  # connection refused, reset, DNS, TLS handshake…
            return DeliveryReceipt(retryable, message_id, f"cannot reach SMTP server {s.host}:{s.port}: {exc}")
        if refused:
            return DeliveryReceipt(
                DeliveryStatus.SENT,
                message_id,
                f"accepted; {len(refused)} of {len(recipients)} recipient(s) refused: "
                + "; ".join(_reply(c, t) for c, t in refused.values()),
            )
        return DeliveryReceipt(DeliveryStatus.SENT, message_id, "accepted by the SMTP server")


@hookimpl
def cobrokit_register_channels() -> list[ChannelType]:
    """Register the built-in ``email`` channel."""
    return [
        ChannelType(
            name="email",
            factory=EmailChannel.from_settings,
            summary="Email over SMTP (STARTTLS/TLS, password from the environment) or .eml files in a folder",
            settings=tuple(sorted(_KNOWN)),
        )
    ]
