"""Signing outbound webhooks and verifying inbound ones (pure functions: hmac, hashlib, base64).

Three schemes:

* **Standard Webhooks** (outbound ``webhook`` channel, and any receiver of it): headers
  ``webhook-id``, ``webhook-timestamp`` (Unix seconds) and ``webhook-signature`` — a
  space-separated list of ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`` entries,
  one per secret, so secrets can be rotated. Secrets are ``whsec_`` + base64 key bytes.
  Receivers reject timestamps more than 5 minutes off and compare in constant time.
* **Twilio** ``X-Twilio-Signature``: base64 HMAC-SHA1, keyed with the auth token, of the
  full URL followed by the POST parameters sorted by name (name and value appended with no
  separator). JSON bodies are covered by a ``bodySHA256`` query parameter instead.
* **Meta** ``X-Hub-Signature-256``: ``sha256=`` + hex HMAC-SHA256 of the raw body, keyed
  with the app secret; plus the ``hub.challenge`` subscription handshake.

Every ``verify_*`` function returns nothing and raises :class:`~cobrokit.errors.SignatureError`
when the message must not be trusted: an inbound status callback is verified before it
changes anything.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as _secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from cobrokit.errors import ConfigError, SignatureError

__all__ = [
    "SECRET_PREFIX",
    "TOLERANCE_SECONDS",
    "decode_webhook_secret",
    "generate_webhook_secret",
    "meta_signature",
    "sign_webhook",
    "twilio_signature",
    "verify_meta_signature",
    "verify_meta_subscription",
    "verify_twilio_signature",
    "verify_webhook",
    "webhook_headers",
]

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
"""Prefix of Standard Webhooks secrets."""

TOLERANCE_SECONDS = 300
"""How far (either way) a ``webhook-timestamp`` may be from now: 5 minutes."""


# -- Standard Webhooks ----------------------------------------------------------------------


def generate_webhook_secret(nbytes: int = 32) -> str:
    """A new random ``whsec_…`` secret of *nbytes* key bytes."""
    return SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(nbytes)).decode("ascii")


def decode_webhook_secret(secret: str) -> bytes:
    """The key bytes of a ``whsec_<base64>`` secret.

    Raises:
        ConfigError: the secret is empty or not base64 (the message never shows it).
    """
    text = secret.strip()
    if text.startswith(SECRET_PREFIX):
        text = text[len(SECRET_PREFIX) :]
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError("webhook secret is not 'whsec_' followed by base64 key bytes") from None
    if not key:
        raise ConfigError("webhook secret is empty")
    return key


def sign_webhook(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<base64>`` signature of *body* for *msg_id* at *timestamp* (Unix seconds)."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(decode_webhook_secret(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def _as_list(secrets: str | Sequence[str]) -> list[str]:
    items = secrets.split() if isinstance(secrets, str) else [s for s in secrets if s.strip()]
    if not items:
        raise ConfigError("no webhook secret given")
    return items


def webhook_headers(secrets: str | Sequence[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for *body*.

    *secrets* is one secret, a space-separated string of them or a sequence: during a
    rotation, sign with the old and the new secret and receivers accept either.
    """
    signatures = " ".join(sign_webhook(s, msg_id, timestamp, body) for s in _as_list(secrets))
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": signatures}


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    raise SignatureError(f"missing header {name}")


def verify_webhook(
    secrets: str | Sequence[str],
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,  # float ok: unix seconds
    tolerance: int = TOLERANCE_SECONDS,
) -> str:
    """Verify a Standard Webhooks request and return its ``webhook-id`` (the dedupe key).

    Accepts the message when any ``v1`` signature in ``webhook-signature`` matches any of
    *secrets* (rotation on either side). *now* is Unix seconds (default: the current time).

    Raises:
        SignatureError: a header is missing, the timestamp is not an integer or is more
            than *tolerance* seconds off, or no signature matches.
    """
    msg_id = _header(headers, "webhook-id")
    raw_ts = _header(headers, "webhook-timestamp").strip()
    signature_header = _header(headers, "webhook-signature")
    if not raw_ts.isdigit():
        raise SignatureError(f"webhook {msg_id}: timestamp {raw_ts!r} is not Unix seconds")
    timestamp = int(raw_ts)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureError(f"webhook {msg_id}: timestamp {timestamp} is more than {tolerance}s from now")
    offered = [part.split(",", 1)[1] for part in signature_header.split() if part.startswith("v1,") and len(part) > 3]
    if not offered:
        raise SignatureError(f"webhook {msg_id}: no v1 signature")
    for secret in _as_list(secrets):
        expected = sign_webhook(secret, msg_id, timestamp, body).split(",", 1)[1]
        for candidate in offered:
            if hmac.compare_digest(expected.encode(), candidate.encode()):
                return msg_id
    raise SignatureError(f"webhook {msg_id}: signature does not match")


# -- Twilio ---------------------------------------------------------------------------------

Params = Mapping[str, str | Sequence[str]] | Iterable[tuple[str, str]]


def _pairs(params: Params) -> list[tuple[str, str]]:
    if isinstance(params, Mapping):
        pairs: list[tuple[str, str]] = []
        for key, value in params.items():
            if isinstance(value, str):
                pairs.append((key, value))
            else:
                pairs.extend((key, v) for v in value)
        return pairs
    return [(k, v) for k, v in params]


def twilio_signature(auth_token: str, url: str, params: Params = ()) -> str:
    """The ``X-Twilio-Signature`` Twilio computes: base64 HMAC-SHA1 of URL + sorted params.

    Parameters are sorted by name (then value, for repeated names) and appended as
    ``name + value`` with no separators.
    """
    data = url + "".join(k + v for k, v in sorted(_pairs(params)))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _port_variants(url: str) -> list[str]:
    """The URL as given, with the default port added, and without it (Twilio may sign either)."""
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    host = parts.hostname or ""
    variants = [url]
    if default is None:
        return variants
    if parts.port is None:
        variants.append(urlunsplit(parts._replace(netloc=f"{host}:{default}")))
    elif parts.port == default:
        variants.append(urlunsplit(parts._replace(netloc=host)))
    return variants


def verify_twilio_signature(
    auth_token: str, url: str, params: Params, signature: str, *, body: bytes | None = None
) -> None:
    """Verify an inbound Twilio request (a status callback) before trusting it.

    For form posts pass the POST parameters; for JSON posts pass the raw *body*: the URL
    then carries ``bodySHA256`` (hex SHA-256 of the body), which is checked too.

    Raises:
        SignatureError: no signature, or it does not match (Twilio's error 57012).
    """
    if not signature:
        raise SignatureError("Twilio request without X-Twilio-Signature")
    if body is not None:
        query = dict(parse_qsl(urlsplit(url).query))
        claimed = query.get("bodySHA256", "")
        actual = hashlib.sha256(body).hexdigest()
        if not claimed or not hmac.compare_digest(claimed.lower(), actual):
            raise SignatureError("Twilio request body does not match its bodySHA256")
        params = ()
    for candidate in _port_variants(url):
        expected = twilio_signature(auth_token, candidate, params)
        if hmac.compare_digest(expected.encode(), signature.strip().encode()):
            return
    raise SignatureError("X-Twilio-Signature does not match")


# -- Meta (WhatsApp Cloud API) --------------------------------------------------------------


def meta_signature(app_secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` header value: ``sha256=`` + hex HMAC-SHA256 of *body*."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def verify_meta_signature(app_secret: str, body: bytes, header: str | None) -> None:
    """Verify a Meta webhook notification against its ``X-Hub-Signature-256`` header.

    Raises:
        SignatureError: the header is missing, not ``sha256=…``, or does not match.
    """
    if not header or not header.startswith("sha256="):
        raise SignatureError("missing or malformed X-Hub-Signature-256")
    expected = meta_signature(app_secret, body)
    if not hmac.compare_digest(expected.encode(), header.strip().lower().encode()):
        raise SignatureError("X-Hub-Signature-256 does not match")


def verify_meta_subscription(params: Mapping[str, str], verify_token: str) -> str:
    """Answer Meta's webhook verification GET: return ``hub.challenge`` to echo back.

    Raises:
        SignatureError: ``hub.mode`` is not ``subscribe`` or ``hub.verify_token`` differs.
    """
    if params.get("hub.mode") != "subscribe":
        raise SignatureError("webhook verification: hub.mode is not 'subscribe'")
    offered = params.get("hub.verify_token", "")
    if not verify_token or not hmac.compare_digest(offered.encode(), verify_token.encode()):
        raise SignatureError("webhook verification: hub.verify_token does not match")
    challenge = params.get("hub.challenge", "")
    if not challenge:
        raise SignatureError("webhook verification: hub.challenge is missing")
    return challenge
