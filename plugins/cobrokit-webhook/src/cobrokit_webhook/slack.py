"""The ``slack`` channel: a Slack incoming webhook (``POST`` JSON with ``text`` and ``blocks``).

The webhook URL is itself the credential, so it is read from the environment
(``url_env``) and its path is never logged. Slack answers ``200`` with the body ``ok``;
errors are plain-text codes with 400/403/404/410. Codes saying the hook itself is dead or
refused (``invalid_token``, ``no_service``, ``no_service_id``, ``no_team``,
``team_disabled``, ``no_active_hooks``) raise :class:`~cobrokit.errors.AuthError`: every
message would fail until the URL is replaced. The others (``invalid_payload``,
``no_text``, ``channel_not_found``, ``channel_is_archived``, ``action_prohibited``,
``posting_to_general_channel_denied``…) are permanent for the message. 429 is retried after
``Retry-After``. Slack has no idempotency key, so a POST Slack may have acted on is never
repeated.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cobrokit.channel import DeliveryReceipt, DeliveryStatus, Message
from cobrokit.errors import AdapterError, AuthError, ConfigError, PermanentError
from cobrokit.http import (
    SYSTEM_CLOCK,
    Clock,
    HttpClient,
    HttpFailure,
    RetryPolicy,
    Timeout,
    secret_from_env,
)

__all__ = ["DEAD_HOOK_CODES", "SETTINGS", "SlackChannel", "classify_slack_error"]

SETTINGS = ("url_env", "connect_timeout", "read_timeout", "max_attempts", "max_retry_after")
"""Setting names the factory understands (see README.md)."""

DEAD_HOOK_CODES = frozenset(
    {"invalid_token", "no_service", "no_service_id", "no_team", "team_disabled", "no_active_hooks"}
)
"""Error codes meaning the webhook URL itself no longer works."""


def classify_slack_error(failure: HttpFailure) -> AdapterError | None:
    """Map Slack's plain-text error codes (400/403/404/410) to typed errors."""
    code = failure.text.strip().split()[0] if failure.text.strip() else ""
    if failure.status in (400, 403, 404, 410):
        if code in DEAD_HOOK_CODES:
            return AuthError("slack", f"HTTP {failure.status} {code}: the webhook URL no longer works")
        return PermanentError("slack", f"HTTP {failure.status} {code or 'error'}")
    return None


class SlackChannel:
    """Posts each message to one Slack channel through an incoming webhook.

    ``message.metadata["slack_blocks"]`` (a list of Block Kit blocks) is sent as ``blocks``;
    the text is always sent too, as the notification fallback.
    """

    name = "slack"
    honours_idempotency = False

    def __init__(
        self,
        url: str,
        *,
        timeout: Timeout | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        if not url.startswith("https://"):
            raise ConfigError("slack: the webhook URL (setting 'url_env') must start with https://")
        self._url = url
        self.http = HttpClient(
            "slack",
            timeout=timeout or Timeout(),
            retry=retry or RetryPolicy(),
            classify=classify_slack_error,
            idempotency_header=None,
            hide_path=True,
            clock=clock,
        )

    def __repr__(self) -> str:
        return "<SlackChannel>"

    @classmethod
    def from_settings(
        cls,
        settings: Mapping[str, Any],
        *,
        clock: Clock = SYSTEM_CLOCK,
        environ: Mapping[str, str] | None = None,
    ) -> SlackChannel:
        """Build the channel; the webhook URL comes from the variable named by ``url_env``.

        Raises:
            ConfigError: ``url_env`` is missing or names an unset variable.
        """
        return cls(
            secret_from_env(settings, "url", environ=environ),
            timeout=Timeout.from_settings(settings, "slack"),
            retry=RetryPolicy.from_settings(settings, "slack"),
            clock=clock,
        )

    def send(self, message: Message) -> DeliveryReceipt:
        """Post *message*; Slack gives no message id, so the receipt's provider id is empty."""
        text = message.text.strip()
        if message.subject.strip():
            text = f"*{message.subject.strip()}*\n{text}"
        payload: dict[str, Any] = {"text": text}
        blocks = message.metadata.get("slack_blocks")
        if isinstance(blocks, Sequence) and not isinstance(blocks, str) and blocks:
            payload["blocks"] = list(blocks)
        try:
            response = self.http.request("POST", self._url, json_body=payload)
        except AuthError:
            raise
        except AdapterError as exc:
            return DeliveryReceipt.failed(exc)
        return DeliveryReceipt(DeliveryStatus.SENT, detail=f"slack: {response.text.strip()[:40] or 'ok'}")
