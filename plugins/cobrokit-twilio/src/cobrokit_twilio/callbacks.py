"""Twilio status callbacks: verify the ``X-Twilio-Signature``, then turn them into receipts.

Twilio POSTs ``MessageSid``, ``MessageStatus`` (``queued``, ``sent``, ``delivered``,
``undelivered``, ``failed``…) and, on failure, ``ErrorCode``. Callbacks can arrive out of
order and more than once: the caller applies a receipt only if it moves the message forward.
"""

from __future__ import annotations

from collections.abc import Mapping

from cobrokit.channel import DeliveryReceipt, DeliveryStatus
from cobrokit.errors import ValidationError
from cobrokit.signing import verify_twilio_signature

__all__ = ["RETRYABLE_DELIVERY_CODES", "parse_status_callback", "verified_status_callback"]

_STATUS = {
    "accepted": DeliveryStatus.SENT,
    "scheduled": DeliveryStatus.SENT,
    "queued": DeliveryStatus.SENT,
    "sending": DeliveryStatus.SENT,
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.DELIVERED,
    "failed": DeliveryStatus.FAILED_PERMANENT,
    "canceled": DeliveryStatus.FAILED_PERMANENT,
}

RETRYABLE_DELIVERY_CODES = frozenset({"30001", "30003", "30008"})
"""Delivery errors worth another attempt later: queue overflow, unreachable handset
(switched off), unknown error. Others (30006 landline, 30007 filtered…) are permanent."""


def parse_status_callback(params: Mapping[str, str]) -> DeliveryReceipt:
    """The receipt a status callback describes (call only after verifying it).

    Raises:
        ValidationError: ``MessageSid`` is missing or ``MessageStatus`` is unknown.
    """
    sid = (params.get("MessageSid") or params.get("SmsSid") or "").strip()
    if not sid:
        raise ValidationError("twilio status callback", "MessageSid", "is missing")
    raw = (params.get("MessageStatus") or params.get("SmsStatus") or "").strip().lower()
    code = (params.get("ErrorCode") or "").strip()
    detail = f"twilio: {raw}" + (f" (error {code})" if code else "")
    if raw == "undelivered":
        status = (
            DeliveryStatus.FAILED_RETRYABLE if code in RETRYABLE_DELIVERY_CODES else DeliveryStatus.FAILED_PERMANENT
        )
        return DeliveryReceipt(status, provider_id=sid, detail=detail)
    if raw not in _STATUS:
        raise ValidationError(f"twilio status callback {sid}", "MessageStatus", f"unknown status {raw!r}")
    return DeliveryReceipt(_STATUS[raw], provider_id=sid, detail=detail)


def verified_status_callback(auth_token: str, url: str, params: Mapping[str, str], signature: str) -> DeliveryReceipt:
    """Verify the callback's ``X-Twilio-Signature`` first, then parse it.

    Raises:
        SignatureError: the signature does not verify; nothing may be changed.
        ValidationError: the verified callback is malformed.
    """
    verify_twilio_signature(auth_token, url, params, signature)
    return parse_status_callback(params)
