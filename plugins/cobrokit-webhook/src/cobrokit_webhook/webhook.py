"""The ``webhook`` channel: a JSON POST signed with Standard Webhooks headers.

Every request carries ``webhook-id`` (the message's idempotency key: receivers dedupe on
it), ``webhook-timestamp`` (Unix seconds) and ``webhook-signature``
(``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``, one per secret while rotating).
Receivers verify with :func:`cobrokit.signing.verify_webhook`.

The body follows the Standard Webhooks shape::

    {"type": "cobrokit.notice", "timestamp": "2025-01-15T09:00:00+00:00",
     "data": {"key": …, "tenant": …, "debtor_id": …, "stage": …, "channel": …,
              "recipient": …, "subject": …, "text": …, "html": …, "locale": …, "metadata": {…}}}

Because receivers dedupe on ``webhook-id``, ``honours_idempotency`` is true and the
request is retried on 408, 429, 5xx and connection errors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from cobrokit.channel import DeliveryReceipt, DeliveryStatus, Message
from cobrokit.errors import AdapterError, AuthError, ConfigError
from cobrokit.http import SYSTEM_CLOCK, Clock, HttpClient, RetryPolicy, Timeout, dump_json, secret_from_env
from cobrokit.money import Money
from cobrokit.signing import decode_webhook_secret, webhook_headers

__all__ = ["EVENT_TYPE", "SETTINGS", "WebhookChannel", "notice_payload"]

EVENT_TYPE = "cobrokit.notice"
SETTINGS = (
    "url",
    "url_env",
    "secret_env",
    "event_type",
    "connect_timeout",
    "read_timeout",
    "max_attempts",
    "max_retry_after",
)
"""Setting names the factory understands (see README.md)."""


def _jsonable(value: Any) -> Any:
    """Metadata as JSON values: Money as ``{"amount": "1234.56", "currency": "EUR"}``."""
    if isinstance(value, Money):
        return {"amount": format(value.amount, "f"), "currency": value.currency}
    if value is None or isinstance(value, bool | int | str | Decimal | dt.date):
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return str(value)


def notice_payload(message: Message, sent_at: dt.datetime, event_type: str = EVENT_TYPE) -> dict[str, Any]:
    """The JSON document a webhook receiver gets for *message*."""
    return {
        "type": event_type,
        "timestamp": sent_at.isoformat(),
        "data": {
            "key": message.key,
            "tenant": message.tenant,
            "debtor_id": message.debtor_id,
            "stage": message.stage,
            "channel": message.channel,
            "recipient": message.recipient,
            "subject": message.subject,
            "text": message.text,
            "html": message.html,
            "locale": message.locale,
            "metadata": _jsonable(message.metadata),
        },
    }


class WebhookChannel:
    """POSTs each message as signed JSON to one URL.

    Args:
        url: the receiver's endpoint (``https://``).
        secrets: one or more ``whsec_…`` secrets (several while rotating).
        event_type: the ``type`` field of the body.
    """

    name = "webhook"
    honours_idempotency = True

    def __init__(
        self,
        url: str,
        secrets: str,
        *,
        event_type: str = EVENT_TYPE,
        timeout: Timeout | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        if not url.startswith(("https://", "http://")):
            raise ConfigError("webhook: setting 'url' must be an http(s) URL")
        self._secrets = secrets.split()
        if not self._secrets:
            raise ConfigError("webhook: no signing secret")
        for secret in self._secrets:
            decode_webhook_secret(secret)  # fail at configuration time, not at the first send
        self.url = url
        self.event_type = event_type
        self.clock = clock
        self.http = HttpClient(
            "webhook",
            timeout=timeout or Timeout(),
            retry=retry or RetryPolicy(),
            idempotency_header="webhook-id",
            clock=clock,
        )

    def __repr__(self) -> str:
        return "<WebhookChannel>"

    @classmethod
    def from_settings(
        cls,
        settings: Mapping[str, Any],
        *,
        clock: Clock = SYSTEM_CLOCK,
        environ: Mapping[str, str] | None = None,
    ) -> WebhookChannel:
        """Build the channel: ``url`` (or ``url_env`` when the URL holds a token) and ``secret_env``.

        Raises:
            ConfigError: a setting is missing or invalid (the message names it).
        """
        url = (
            secret_from_env(settings, "url", environ=environ)
            if "url_env" in settings
            else str(settings.get("url", "")).strip()
        )
        if not url:
            raise ConfigError("webhook: setting 'url' (or 'url_env') is missing")
        return cls(
            url,
            secret_from_env(settings, "secret", environ=environ),
            event_type=str(settings.get("event_type", EVENT_TYPE)),
            timeout=Timeout.from_settings(settings, "webhook"),
            retry=RetryPolicy.from_settings(settings, "webhook"),
            clock=clock,
        )

    def send(self, message: Message) -> DeliveryReceipt:
        """POST *message*; the receipt's provider id is the ``webhook-id`` (the message key)."""
        now = self.clock.now()
        body = dump_json(notice_payload(message, now, self.event_type)).encode()
        headers = webhook_headers(self._secrets, message.key, int(now.timestamp()), body)
        headers["Content-Type"] = "application/json"
        try:
            self.http.request("POST", self.url, data=body, headers=headers, idempotency_key=message.key)
        except AuthError:
            raise
        except AdapterError as exc:
            return DeliveryReceipt.failed(exc, provider_id=message.key)
        return DeliveryReceipt(DeliveryStatus.SENT, provider_id=message.key, detail="webhook: accepted")
