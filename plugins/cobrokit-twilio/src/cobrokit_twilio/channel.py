"""The Twilio SMS channel: ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``.

Facts used (see README.md for what was verified): form-encoded ``To``, ``From`` or
``MessagingServiceSid``, ``Body``, ``StatusCallback``; HTTP Basic ``AccountSid:AuthToken``;
answers ``201`` with ``{"sid": "SM…", "status": "queued", …}``; errors carry
``{"code", "message", "more_info", "status"}``.

Twilio has no idempotency key for creating a message: ``honours_idempotency`` is false, so
this channel never retries a POST the provider may have acted on (only a 429, which Twilio
refused, is retried). At most one duplicate SMS can follow a crash between Twilio's answer
and cobrokit's journal write; the outbox marks such sends ``unknown`` for reconciliation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cobrokit.channel import DeliveryReceipt, DeliveryStatus, Message
from cobrokit.errors import (
    AdapterError,
    AuthError,
    ConfigError,
    MalformedResponseError,
    PermanentError,
    RateLimitedError,
)
from cobrokit.http import (
    SYSTEM_CLOCK,
    Clock,
    HttpClient,
    HttpFailure,
    RetryPolicy,
    Timeout,
    basic_auth,
    secret_from_env,
)
from cobrokit.signing import verify_twilio_signature
from cobrokit_twilio.callbacks import parse_status_callback

__all__ = ["API_BASE", "MAX_BODY", "SETTINGS", "TwilioSmsChannel", "classify_twilio_error"]

API_BASE = "https://api.twilio.com"
MAX_BODY = 1600
"""Twilio refuses bodies longer than 1,600 characters."""

SETTINGS = (
    "account_sid",
    "account_sid_env",
    "auth_token_env",
    "from_number",
    "messaging_service_sid",
    "status_callback",
    "base_url",
    "connect_timeout",
    "read_timeout",
    "max_attempts",
    "max_retry_after",
)
"""Setting names the factory understands (see README.md)."""

_E164 = re.compile(r"^(whatsapp:)?\+[1-9]\d{6,14}$")

PERMANENT_CODES: dict[int, str] = {
    21211: "invalid 'To' number",
    21606: "the 'From' number cannot send SMS",
    21608: "unverified 'To' number (trial account)",
    21610: "recipient unsubscribed (replied STOP)",
    21612: "'To' number is not reachable from this 'From' number",
    21614: "'To' number cannot receive SMS",
    21617: "body exceeds 1,600 characters",
}
"""Send-time error codes that retrying will not fix."""


def classify_twilio_error(failure: HttpFailure) -> AdapterError | None:
    """Map Twilio's error body (``code``) to a typed error; ``None`` = status-code default."""
    payload = failure.payload if isinstance(failure.payload, Mapping) else {}
    code = payload.get("code")
    label = f"error {code}" if code is not None else f"HTTP {failure.status}"
    if code == 20003:
        return AuthError("twilio", f"{label}: authentication failed (check the account SID and token)")
    if code == 20429 or failure.status == 429:
        return RateLimitedError("twilio", f"{label}: too many requests", retry_after=failure.retry_after)
    if isinstance(code, int) and code in PERMANENT_CODES:
        return PermanentError("twilio", f"{label}: {PERMANENT_CODES[code]}")
    if 400 <= failure.status < 500 and failure.status not in (401, 403, 408) and code is not None:
        more = payload.get("more_info", "")
        return PermanentError("twilio", f"{label} (HTTP {failure.status}); see {more}")
    return None


class TwilioSmsChannel:
    """Sends a message's plain text as an SMS.

    Args:
        account_sid: the Twilio account SID (``AC…``), also the basic-auth user.
        auth_token: the auth token (from the environment, see :meth:`from_settings`).
        from_number: the sending number (E.164), or
        messaging_service_sid: a Messaging Service (``MG…``) instead of ``from_number``.
        status_callback: the URL Twilio POSTs delivery updates to (optional).
        base_url, timeout, retry, clock: HTTP client options (tests pass a fake clock).
    """

    name = "sms"
    honours_idempotency = False

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        from_number: str = "",
        messaging_service_sid: str = "",
        status_callback: str = "",
        base_url: str = API_BASE,
        timeout: Timeout | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        if not account_sid.startswith("AC"):
            raise ConfigError("twilio: account_sid must be an account SID starting with 'AC'")
        if bool(from_number) == bool(messaging_service_sid):
            raise ConfigError("twilio: set exactly one of from_number and messaging_service_sid")
        if from_number and not _E164.match(from_number):
            raise ConfigError(f"twilio: from_number {from_number!r} is not an E.164 number (+34…)")
        self.account_sid = account_sid
        self._auth_token = auth_token
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.status_callback = status_callback
        self.http = HttpClient(
            "twilio",
            base_url,
            auth=basic_auth(account_sid, auth_token),
            timeout=timeout or Timeout(),
            retry=retry or RetryPolicy(),
            classify=classify_twilio_error,
            idempotency_header=None,
            clock=clock,
        )

    def __repr__(self) -> str:
        return f"<TwilioSmsChannel {self.account_sid}>"

    @classmethod
    def from_settings(
        cls,
        settings: Mapping[str, Any],
        *,
        clock: Clock = SYSTEM_CLOCK,
        environ: Mapping[str, str] | None = None,
    ) -> TwilioSmsChannel:
        """Build the channel from its settings (secrets read from the environment).

        Raises:
            ConfigError: a setting is missing or invalid (the message names it).
        """
        if "account_sid_env" in settings:
            account_sid = secret_from_env(settings, "account_sid", environ=environ)
        else:
            account_sid = str(settings.get("account_sid", "")).strip()
        if not account_sid:
            raise ConfigError("twilio: setting 'account_sid' (or 'account_sid_env') is missing")
        return cls(
            account_sid,
            secret_from_env(settings, "auth_token", environ=environ),
            from_number=str(settings.get("from_number", "")).strip(),
            messaging_service_sid=str(settings.get("messaging_service_sid", "")).strip(),
            status_callback=str(settings.get("status_callback", "")).strip(),
            base_url=str(settings.get("base_url", API_BASE)),
            timeout=Timeout.from_settings(settings, "twilio"),
            retry=RetryPolicy.from_settings(settings, "twilio"),
            clock=clock,
        )

    def send(self, message: Message) -> DeliveryReceipt:
        """Send *message* as an SMS; failed receipts for refusals, AuthError for bad credentials."""
        to = message.recipient.strip()
        if not _E164.match(to):
            return DeliveryReceipt(
                DeliveryStatus.FAILED_PERMANENT, detail="twilio: recipient is not an E.164 phone number"
            )
        body = message.text.strip()
        if not body:
            return DeliveryReceipt(DeliveryStatus.FAILED_PERMANENT, detail="twilio: empty message text")
        if len(body) > MAX_BODY:
            return DeliveryReceipt(
                DeliveryStatus.FAILED_PERMANENT,
                detail=f"twilio: text is {len(body)} characters, the limit is {MAX_BODY}",
            )
        form: list[tuple[str, Any]] = [("To", to), ("Body", body)]
        if self.from_number:
            form.append(("From", self.from_number))
        else:
            form.append(("MessagingServiceSid", self.messaging_service_sid))
        if self.status_callback:
            form.append(("StatusCallback", self.status_callback))
        try:
            answer = self.http.request_json("POST", f"2010-04-01/Accounts/{self.account_sid}/Messages.json", data=form)
        except AuthError:
            raise
        except MalformedResponseError as exc:
            # A 2xx was received: Twilio accepted the message. Do not let a retry duplicate it.
            return DeliveryReceipt(DeliveryStatus.SENT, detail=f"accepted; the answer was unreadable: {exc}")
        except AdapterError as exc:
            return DeliveryReceipt.failed(exc)
        answer = answer if isinstance(answer, Mapping) else {}
        sid = str(answer.get("sid") or "")
        status = str(answer.get("status") or "")
        if status in ("failed", "undelivered"):
            code = answer.get("error_code")
            return DeliveryReceipt(
                DeliveryStatus.FAILED_PERMANENT,
                provider_id=sid,
                detail=f"twilio: status {status} (error {code})",
            )
        return DeliveryReceipt(DeliveryStatus.SENT, provider_id=sid, detail=f"twilio: {status or 'accepted'}")

    def status_from_callback(self, url: str, params: Mapping[str, str], signature: str) -> DeliveryReceipt:
        """Verify a status callback with this channel's auth token, then parse it.

        Args:
            url: the full URL Twilio called (as configured in ``status_callback``).
            params: the POSTed form parameters.
            signature: the ``X-Twilio-Signature`` header.

        Raises:
            SignatureError: the callback is not from Twilio; nothing may change.
        """
        verify_twilio_signature(self._auth_token, url, params, signature)
        return parse_status_callback(params)
