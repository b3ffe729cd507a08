"""The channel protocol: how a notice reaches a debtor (email, letter, SMS, webhook…).

Plugins announce channels through ``cobrokit_register_channels`` by returning
:class:`ChannelType` objects. A :class:`Channel` sends one rendered :class:`Message` and
returns a :class:`DeliveryReceipt`; it must pass the idempotency key to providers that
honour one (``honours_idempotency = True``), which is what makes a resend after a crash
harmless.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

import attrs

from cobrokit.errors import AdapterError

__all__ = [
    "Attachment",
    "Channel",
    "ChannelType",
    "DeliveryReceipt",
    "DeliveryStatus",
    "Message",
]


@attrs.frozen(slots=True)
class Attachment:
    """A file sent with a message (statement PDF, invoice copy)."""

    filename: str
    content_type: str
    data: bytes = attrs.field(repr=lambda d: f"<{len(d)} bytes>")


@attrs.frozen(slots=True)
class Message:
    """A rendered notice, ready for one channel.

    Attributes:
        key: the deterministic idempotency key (tenant, debtor, stage, cycle, channel).
        recipient: channel address (email address, phone number, postal block, URL…).
        subject: subject line (email, letter reference).
        text: the plain-text body.
        html: an optional HTML body.
        attachments: files to attach.
        metadata: extra, channel-specific values (template name, language, figures).
    """

    key: str
    tenant: str
    debtor_id: str
    stage: str
    channel: str
    recipient: str
    subject: str
    text: str
    html: str = ""
    locale: str = "en"
    attachments: tuple[Attachment, ...] = ()
    metadata: Mapping[str, Any] = attrs.field(factory=dict)


class DeliveryStatus(enum.StrEnum):
    """Outcome of one send attempt."""

    SENT = "sent"
    """Accepted by the provider (or written, for file channels)."""
    DELIVERED = "delivered"
    """Confirmed delivered (from a status callback)."""
    FAILED_RETRYABLE = "failed_retryable"
    """Failed, but trying again later may succeed."""
    FAILED_PERMANENT = "failed_permanent"
    """Failed for good: the next channel of the stage takes over."""


@attrs.frozen(slots=True)
class DeliveryReceipt:
    """What a channel reports after a send."""

    status: DeliveryStatus
    provider_id: str = ""
    detail: str = ""

    @property
    def ok(self) -> bool:
        """True when the message was accepted."""
        return self.status in (DeliveryStatus.SENT, DeliveryStatus.DELIVERED)

    @classmethod
    def failed(cls, error: AdapterError, provider_id: str = "") -> DeliveryReceipt:
        """The receipt for a send refused with *error*: retryable or permanent, with its reason."""
        status = DeliveryStatus.FAILED_RETRYABLE if error.retryable else DeliveryStatus.FAILED_PERMANENT
        return cls(status, provider_id=provider_id, detail=str(error))


@runtime_checkable
class Channel(Protocol):
    """Sends messages through one medium."""

    name: str
    honours_idempotency: bool

    def send(self, message: Message) -> DeliveryReceipt:
        """Send *message*; never raise for a provider refusal, return a failed receipt."""
        ...


ChannelFactory = Callable[[Mapping[str, Any]], Channel]


@attrs.frozen(slots=True)
class ChannelType:
    """A kind of channel a plugin offers (``"email"``, ``"letter"``, ``"sms"``…)."""

    name: str
    factory: ChannelFactory
    summary: str = ""
    settings: tuple[str, ...] = ()
