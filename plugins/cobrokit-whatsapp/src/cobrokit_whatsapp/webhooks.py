"""WhatsApp Cloud API webhooks: the verification handshake, status events and inbound messages.

A notification is trusted only after its ``X-Hub-Signature-256`` verifies against the app
secret. Status events (``sent``, ``delivered``, ``read``, ``failed``) become
:class:`~cobrokit.channel.DeliveryReceipt` objects keyed by the ``wamid``; they can arrive
out of order and more than once, so the caller applies one only if it moves a message
forward. Inbound messages give the sender and time that open the 24-hour window.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from cobrokit.channel import DeliveryReceipt, DeliveryStatus
from cobrokit.errors import ValidationError
from cobrokit.signing import verify_meta_signature, verify_meta_subscription

__all__ = ["InboundMessage", "Notification", "parse_notification", "verify_subscription"]

log = logging.getLogger(__name__)

_STATUS = {
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.DELIVERED,
}
RETRYABLE_FAILURES = frozenset({130429, 131056, 131000})
"""Failure codes in a status event that may succeed later (rate limits, generic error)."""


@attrs.frozen(slots=True)
class InboundMessage:
    """A message the debtor sent: it opens (or extends) the 24-hour window."""

    sender: str
    """The sender's WhatsApp id (phone number digits)."""
    at: dt.datetime
    """When it was sent (aware UTC)."""
    provider_id: str


@attrs.frozen(slots=True)
class Notification:
    """What one verified webhook POST carried."""

    receipts: tuple[DeliveryReceipt, ...] = ()
    inbound: tuple[InboundMessage, ...] = ()


def verify_subscription(params: Mapping[str, str], verify_token: str) -> str:
    """Answer the webhook verification GET: the ``hub.challenge`` to echo back.

    Raises:
        SignatureError: wrong mode or token.
    """
    return verify_meta_subscription(params, verify_token)


def _timestamp(value: object, record: str) -> dt.datetime:
    if not isinstance(value, str) or not value.isdigit():
        raise ValidationError(record, "timestamp", f"{value!r} is not Unix seconds")
    return dt.datetime.fromtimestamp(int(value), dt.UTC)


def _status_receipt(status: Mapping[str, Any]) -> DeliveryReceipt:
    wamid = status.get("id")
    if not isinstance(wamid, str) or not wamid:
        raise ValidationError("whatsapp status", "id", "is missing")
    raw = status.get("status")
    if raw in _STATUS:
        return DeliveryReceipt(_STATUS[raw], provider_id=wamid, detail=f"whatsapp: {raw}")
    if raw == "failed":
        errors = status.get("errors") or [{}]
        first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], Mapping) else {}
        code = first.get("code")
        title = str(first.get("title") or "")
        retryable = code in RETRYABLE_FAILURES
        kind = DeliveryStatus.FAILED_RETRYABLE if retryable else DeliveryStatus.FAILED_PERMANENT
        detail = f"whatsapp: failed (error {code}) {title}".strip()
        return DeliveryReceipt(kind, provider_id=wamid, detail=detail)
    raise ValidationError(f"whatsapp status {wamid}", "status", f"unknown status {raw!r}")


def parse_notification(body: bytes, signature: str | None, app_secret: str) -> Notification:
    """Verify *body* against its ``X-Hub-Signature-256`` header, then parse it.

    Events that cannot be read are skipped with a WARNING naming their id; the others are
    returned.

    Raises:
        SignatureError: the signature does not verify (checked before anything is parsed).
        ValidationError: the verified body is not a WhatsApp notification.
    """
    verify_meta_signature(app_secret, body, signature)
    try:
        data = json.loads(body, parse_float=Decimal)
    except ValueError:
        raise ValidationError("whatsapp webhook", "body", "is not JSON") from None
    if not isinstance(data, Mapping) or data.get("object") != "whatsapp_business_account":
        raise ValidationError("whatsapp webhook", "object", "is not 'whatsapp_business_account'")
    receipts: list[DeliveryReceipt] = []
    inbound: list[InboundMessage] = []
    for entry in data.get("entry") or []:
        for change in (entry.get("changes") or []) if isinstance(entry, Mapping) else []:
            value = change.get("value") if isinstance(change, Mapping) else None
            if not isinstance(value, Mapping):
                continue
            for status in value.get("statuses") or []:
                try:
                    receipts.append(_status_receipt(status))
                except (ValidationError, AttributeError, TypeError) as exc:
                    ident = status.get("id", "<no id>") if isinstance(status, Mapping) else "<no id>"
                    log.warning("whatsapp: skipped status event %s: %s", ident, exc)
            for message in value.get("messages") or []:
                try:
                    ident = str(message["id"])
                    inbound.append(
                        InboundMessage(
                            sender=str(message["from"]),
                            at=_timestamp(message.get("timestamp"), f"whatsapp message {ident}"),
                            provider_id=ident,
                        )
                    )
                except (ValidationError, KeyError, TypeError) as exc:
                    ident = message.get("id", "<no id>") if isinstance(message, Mapping) else "<no id>"
                    log.warning("whatsapp: skipped inbound message %s: %s", ident, exc)
    return Notification(tuple(receipts), tuple(inbound))
