"""The WhatsApp channel: ``POST https://graph.facebook.com/{version}/{phone-number-id}/messages``.

WhatsApp allows free-form messages only inside the 24-hour *customer-service window* that
opens when the debtor last wrote to the business; outside it only pre-approved *template*
messages may be sent. The window is decided from ``last_inbound_at`` (message metadata,
else settings): an aware datetime or ISO 8601 string. Unknown means outside.

If WhatsApp still answers error 131047 (outside the window) to a free-form message, the
channel sends the stage's template once, when one is configured. Meta offers no idempotency
key for sending, so ``honours_idempotency`` is false and a POST WhatsApp may have acted on is
never repeated (a 429 is).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from cobrokit.channel import DeliveryReceipt, DeliveryStatus, Message
from cobrokit.errors import (
    AdapterError,
    AuthError,
    ConfigError,
    MalformedResponseError,
    PermanentError,
    RateLimitedError,
    TransientError,
)
from cobrokit.http import (
    SYSTEM_CLOCK,
    Clock,
    HttpClient,
    HttpFailure,
    RetryPolicy,
    Timeout,
    bearer_token,
    secret_from_env,
)
from cobrokit_whatsapp.webhooks import Notification, parse_notification, verify_subscription

__all__ = [
    "API_BASE",
    "DEFAULT_API_VERSION",
    "SETTINGS",
    "WINDOW",
    "WhatsAppChannel",
    "classify_whatsapp_error",
    "in_service_window",
]

API_BASE = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v21.0"
WINDOW = dt.timedelta(hours=24)
"""The customer-service window after the debtor's last message."""

SETTINGS = (
    "phone_number_id",
    "access_token_env",
    "api_version",
    "base_url",
    "templates",
    "template_language",
    "last_inbound_at",
    "app_secret_env",
    "verify_token_env",
    "connect_timeout",
    "read_timeout",
    "max_attempts",
    "max_retry_after",
)
"""Setting names the factory understands (see README.md)."""

OUTSIDE_WINDOW = 131047
RATE_LIMIT_CODES = frozenset({130429, 131056, 80007})
"""Throughput limit, sender-recipient pair limit, WhatsApp Business Account limit."""
TRANSIENT_CODES = frozenset({1, 2, 131000})
"""Unknown error, service unavailable, generic "something went wrong"."""
PERMANENT_CODES: dict[int, str] = {
    OUTSIDE_WINDOW: "outside the 24-hour customer-service window: use an approved template",
    131026: "undeliverable: not a WhatsApp user, outdated client or terms not accepted",
    100: "invalid parameter",
    132000: "template parameter count mismatch",
    132001: "template does not exist in this language",
}

_PHONE = re.compile(r"^\+?[1-9]\d{6,14}$")


def classify_whatsapp_error(failure: HttpFailure) -> AdapterError | None:
    """Map a Graph API error body (``{"error": {"code": …}}``) to a typed error."""
    payload = failure.payload if isinstance(failure.payload, Mapping) else {}
    found = payload.get("error")
    error: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    code = error.get("code")
    label = f"error {code}" if code is not None else f"HTTP {failure.status}"
    if code == 190 or failure.status == 401:
        return AuthError("whatsapp", f"{label}: access token invalid or expired")
    if code in RATE_LIMIT_CODES or failure.status == 429:
        return RateLimitedError("whatsapp", f"{label}: rate limited", retry_after=failure.retry_after)
    if code in TRANSIENT_CODES:
        return TransientError("whatsapp", f"{label}: temporary failure")
    if isinstance(code, int) and code in PERMANENT_CODES:
        return PermanentError("whatsapp", f"{label}: {PERMANENT_CODES[code]}")
    return None


def _parse_instant(value: object) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        try:
            moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo is not None else None


def in_service_window(last_inbound_at: object, now: dt.datetime) -> bool:
    """True when *now* is less than 24 hours after *last_inbound_at*.

    *last_inbound_at* is an aware datetime or an ISO 8601 string with an offset; anything
    else (missing, naive, unreadable, in the future) counts as outside the window, so the
    channel falls back to a template rather than risk a refused free-form message.
    """
    moment = _parse_instant(last_inbound_at)
    if moment is None:
        return False
    return dt.timedelta(0) <= now - moment < WINDOW


class WhatsAppChannel:
    """Sends a message as WhatsApp text (inside the window) or an approved template (outside).

    Args:
        phone_number_id: the business phone number id (not the phone number).
        access_token: a system-user access token (from the environment).
        api_version: the Graph API version in the path (``v21.0``).
        templates: stage → approved template name.
        template_language: template language code (default: the message's locale).
        last_inbound_at: a default for messages whose metadata has none.
        app_secret, verify_token: for inbound webhooks (optional).
    """

    name = "whatsapp"
    honours_idempotency = False

    def __init__(
        self,
        phone_number_id: str,
        access_token: str,
        *,
        api_version: str = DEFAULT_API_VERSION,
        base_url: str = API_BASE,
        templates: Mapping[str, str] | None = None,
        template_language: str = "",
        last_inbound_at: object = None,
        app_secret: str = "",
        verify_token: str = "",
        timeout: Timeout | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        if not phone_number_id.strip().isdigit():
            raise ConfigError("whatsapp: setting 'phone_number_id' must be the numeric phone number id")
        if not re.fullmatch(r"v\d+\.\d+", api_version):
            raise ConfigError(f"whatsapp: setting 'api_version' must look like 'v21.0', got {api_version!r}")
        self.phone_number_id = phone_number_id.strip()
        self.api_version = api_version
        self.templates = dict(templates or {})
        self.template_language = template_language
        self.last_inbound_at = last_inbound_at
        self._app_secret = app_secret
        self._verify_token = verify_token
        self.clock = clock
        self.http = HttpClient(
            "whatsapp",
            base_url,
            auth=bearer_token(access_token),
            timeout=timeout or Timeout(),
            retry=retry or RetryPolicy(),
            classify=classify_whatsapp_error,
            idempotency_header=None,
            clock=clock,
        )

    def __repr__(self) -> str:
        return f"<WhatsAppChannel {self.phone_number_id}>"

    @classmethod
    def from_settings(
        cls,
        settings: Mapping[str, Any],
        *,
        clock: Clock = SYSTEM_CLOCK,
        environ: Mapping[str, str] | None = None,
    ) -> WhatsAppChannel:
        """Build the channel from its settings (secrets read from the environment).

        Raises:
            ConfigError: a setting is missing or invalid (the message names it).
        """
        templates = settings.get("templates", {})
        if not isinstance(templates, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in templates.items()
        ):
            raise ConfigError("whatsapp: setting 'templates' must map stage names to template names")
        optional = {
            name: secret_from_env(settings, name, environ=environ) if f"{name}_env" in settings else ""
            for name in ("app_secret", "verify_token")
        }
        return cls(
            str(settings.get("phone_number_id", "")),
            secret_from_env(settings, "access_token", environ=environ),
            api_version=str(settings.get("api_version", DEFAULT_API_VERSION)),
            base_url=str(settings.get("base_url", API_BASE)),
            templates=templates,
            template_language=str(settings.get("template_language", "")),
            last_inbound_at=settings.get("last_inbound_at"),
            app_secret=optional["app_secret"],
            verify_token=optional["verify_token"],
            timeout=Timeout.from_settings(settings, "whatsapp"),
            retry=RetryPolicy.from_settings(settings, "whatsapp"),
            clock=clock,
        )

    # -- sending ------------------------------------------------------------------------
    def send(self, message: Message) -> DeliveryReceipt:
        """Send *message*: text inside the window, the stage's template outside it."""
        to = message.recipient.strip()
        if not _PHONE.match(to):
            return DeliveryReceipt(
                DeliveryStatus.FAILED_PERMANENT,
                detail="whatsapp: recipient is not an international phone number",
            )
        to = to.lstrip("+")
        last = message.metadata.get("last_inbound_at", self.last_inbound_at)
        template = self._template_payload(message, to)
        if in_service_window(last, self.clock.now()):
            body = message.text.strip()
            if not body:
                return DeliveryReceipt(DeliveryStatus.FAILED_PERMANENT, detail="whatsapp: empty message text")
            text = {
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to,
                "type": "text",
                "text": {"preview_url": False, "body": body},
            }
            receipt = self._post(text, "text")
            refused = f"error {OUTSIDE_WINDOW}" in receipt.detail
            if receipt.status is DeliveryStatus.FAILED_PERMANENT and refused and template is not None:
                return self._post(template, f"template {template['template']['name']}")
            return receipt
        if template is None:
            return DeliveryReceipt(
                DeliveryStatus.FAILED_PERMANENT,
                detail=f"whatsapp: outside the 24-hour window and no approved template for stage "
                f"{message.stage!r} (settings: templates)",
            )
        return self._post(template, f"template {template['template']['name']}")

    def _template_payload(self, message: Message, to: str) -> dict[str, Any] | None:
        name = message.metadata.get("whatsapp_template") or self.templates.get(message.stage)
        if not name:
            return None
        language = (
            message.metadata.get("whatsapp_template_language") or self.template_language or message.locale
        ).replace("-", "_")
        template: dict[str, Any] = {
            "name": str(name),
            "language": {"code": language, "policy": "deterministic"},
        }
        parameters: Sequence[object] = message.metadata.get("whatsapp_template_parameters", ())
        if parameters:
            template["components"] = [
                {"type": "body", "parameters": [{"type": "text", "text": str(p)} for p in parameters]}
            ]
        return {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "template",
            "template": template,
        }

    def _post(self, payload: dict[str, Any], kind: str) -> DeliveryReceipt:
        try:
            answer = self.http.request_json(
                "POST", f"{self.api_version}/{self.phone_number_id}/messages", json_body=payload
            )
        except AuthError:
            raise
        except MalformedResponseError as exc:
            return DeliveryReceipt(DeliveryStatus.SENT, detail=f"accepted; the answer was unreadable: {exc}")
        except AdapterError as exc:
            return DeliveryReceipt.failed(exc)
        messages = answer.get("messages") if isinstance(answer, Mapping) else None
        wamid = ""
        if isinstance(messages, list) and messages and isinstance(messages[0], Mapping):
            wamid = str(messages[0].get("id") or "")
        return DeliveryReceipt(DeliveryStatus.SENT, provider_id=wamid, detail=f"whatsapp: {kind}")

    # -- inbound ------------------------------------------------------------------------
    def verify_subscription(self, params: Mapping[str, str]) -> str:
        """Answer Meta's verification GET with this channel's verify token (returns the challenge).

        Raises:
            ConfigError: no ``verify_token_env`` setting.
            SignatureError: the request does not carry the right token.
        """
        if not self._verify_token:
            raise ConfigError("whatsapp: setting 'verify_token_env' is needed to verify the webhook")
        return verify_subscription(params, self._verify_token)

    def parse_webhook(self, body: bytes, signature: str | None) -> Notification:
        """Verify a webhook POST with this channel's app secret, then parse it.

        Raises:
            ConfigError: no ``app_secret_env`` setting.
            SignatureError: ``X-Hub-Signature-256`` does not verify; nothing may change.
        """
        if not self._app_secret:
            raise ConfigError("whatsapp: setting 'app_secret_env' is needed to verify webhooks")
        return parse_notification(body, signature, self._app_secret)
