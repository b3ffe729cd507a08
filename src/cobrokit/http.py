"""The one HTTP helper every HTTP adapter uses (backends and channels alike).

:class:`HttpClient` wraps a :class:`requests.Session` with what talking to a provider needs:

* a base URL, default headers and an auth callable (:func:`bearer_token`,
  :func:`basic_auth`, :func:`header_auth`), whose secrets come from environment variables
  named in the settings (:func:`secret_from_env`);
* a connect/read :class:`Timeout` on every request;
* bounded retries (:class:`RetryPolicy`) with exponential backoff and full jitter on 429,
  5xx and connection errors, honouring ``Retry-After`` (seconds or an HTTP date);
* typed errors: 401/403 → :class:`~cobrokit.errors.AuthError`, other 4xx →
  :class:`~cobrokit.errors.PermanentError`, 429 after the last attempt →
  :class:`~cobrokit.errors.RateLimitedError` (with ``retry_after``), 5xx →
  :class:`~cobrokit.errors.TransientError`, a body that is not JSON →
  :class:`~cobrokit.errors.MalformedResponseError`; a plugin refines the mapping from its
  provider's error codes with an :data:`ErrorClassifier`;
* JSON parsed with ``parse_float=Decimal`` (no float ever reaches an amount);
* a client-side :class:`RateLimiter` (N calls per period, e.g. Xero's 60/min);
* an idempotency key sent as a header (``Idempotency-Key``, ``webhook-id``) or a query
  parameter (QuickBooks ``requestid``);
* log lines with secrets redacted (:func:`redact_url`, :func:`redact_headers`); bodies are
  never logged (they carry debtors' personal data);
* generic pagination iterators — :func:`paginate_offset`, :func:`paginate_pages`,
  :func:`paginate_cursor` — and :func:`convert_records`, which turns raw provider records
  into model objects and skips (with a logged reason naming the provider's id) those that
  do not convert.

Time is injectable through a :class:`Clock` (sleep, monotonic time, wall time, jitter), so
tests never sleep: :class:`cobrokit.testing.FakeClock` records the sleeps instead.

Retrying a request that is *not idempotent* (a ``POST`` without an idempotency key) after
the provider may have acted on it would send a second SMS; such requests are retried only
when the provider certainly did not act (429, or a failure to connect). See ``docs/http.md``.
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import json
import logging
import os
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol, TypeVar
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import attrs
import requests

from cobrokit.backend import report_skip
from cobrokit.errors import (
    AdapterError,
    AuthError,
    ConfigError,
    MalformedResponseError,
    PermanentError,
    RateLimitedError,
    TransientError,
    ValidationError,
)

__all__ = [
    "SYSTEM_CLOCK",
    "Clock",
    "ErrorClassifier",
    "HttpClient",
    "HttpFailure",
    "RateLimiter",
    "RetryPolicy",
    "SystemClock",
    "Timeout",
    "basic_auth",
    "bearer_token",
    "convert_records",
    "default_error",
    "dump_json",
    "header_auth",
    "paginate_cursor",
    "paginate_offset",
    "paginate_pages",
    "parse_json",
    "parse_retry_after",
    "redact_headers",
    "redact_url",
    "secret_from_env",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

REDACTED = "***"

_SECRET_NAME = re.compile(
    r"(authorization|api[-_]?key|apikey|^key$|token|secret|password|passwd|signature|^sig$|session|cookie"
    r"|credential|client[-_]?secret|^code$)",
    re.IGNORECASE,
)
"""Header or query-parameter names whose values are secrets."""


# -- secrets --------------------------------------------------------------------------------


def secret_from_env(settings: Mapping[str, Any], key: str, *, environ: Mapping[str, str] | None = None) -> str:
    """Read the secret *key* through the environment variable named by ``settings[key + "_env"]``.

    Secrets never sit in configuration files: the settings name a variable
    (``auth_token_env = "TWILIO_AUTH_TOKEN"``) and the value is read from the environment.

    Raises:
        ConfigError: the ``<key>_env`` setting is missing, the settings hold the secret
            itself under *key*, or the named variable is unset or empty (the message names
            the variable, never a value).
    """
    env = os.environ if environ is None else environ
    ref = f"{key}_env"
    if key in settings and ref not in settings:
        raise ConfigError(
            f"setting {key!r} must not hold a secret: put it in an environment variable and "
            f"name that variable in {ref!r}"
        )
    name = settings.get(ref)
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"setting {ref!r} is missing: name the environment variable that holds the {key}")
    value = env.get(name.strip(), "")
    if not value.strip():
        raise ConfigError(f"environment variable {name.strip()} (setting {ref!r}) is not set or empty")
    return value.strip()


# -- auth -----------------------------------------------------------------------------------

TokenSource = str | Callable[[], str]
"""A secret, or a callable returning the current one (OAuth2 tokens that refresh)."""


def _token(source: TokenSource) -> str:
    return source() if callable(source) else source


class _HeaderAuth(requests.auth.AuthBase):
    """Sets one header from a (possibly refreshing) secret; its repr never shows the secret."""

    def __init__(self, header: str, source: TokenSource, prefix: str) -> None:
        self.header = header
        self.source = source
        self.prefix = prefix

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers[self.header] = f"{self.prefix}{_token(self.source)}"
        return r

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.header}: {REDACTED}>"


def bearer_token(token: TokenSource) -> requests.auth.AuthBase:
    """``Authorization: Bearer <token>``; *token* may be a callable for refreshing tokens."""
    return _HeaderAuth("Authorization", token, "Bearer ")


def basic_auth(username: str, password: TokenSource) -> requests.auth.AuthBase:
    """HTTP Basic auth (Twilio ``AccountSid:AuthToken``, Alegra ``email:token``)."""

    def encoded() -> str:
        raw = f"{username}:{_token(password)}".encode()
        return base64.b64encode(raw).decode("ascii")

    return _HeaderAuth("Authorization", encoded, "Basic ")


def header_auth(name: str, value: TokenSource, *, prefix: str = "") -> requests.auth.AuthBase:
    """A custom header carrying a secret (Holded ``key: …``, Frappe ``Authorization: token k:s``)."""
    return _HeaderAuth(name, value, prefix)


# -- redaction ------------------------------------------------------------------------------


def redact_url(url: str, *, hide_path: bool = False) -> str:
    """*url* with secret-looking query parameters (and user info) masked.

    With *hide_path* the path is masked too (Slack webhook URLs are themselves secrets).
    """
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    if parts.username or parts.password:
        netloc = f"{REDACTED}@{netloc}"
    query = urlencode(
        [(k, REDACTED if _SECRET_NAME.search(k) else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)],
        safe="*",
    )
    path = "/" + REDACTED if hide_path and parts.path not in ("", "/") else parts.path
    return urlunsplit((parts.scheme, netloc, path, query, ""))


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """A copy of *headers* with secret values (Authorization, keys, tokens, signatures) masked."""
    return {k: (REDACTED if _SECRET_NAME.search(k) else v) for k, v in headers.items()}


# -- time -----------------------------------------------------------------------------------


class Clock(Protocol):
    """The time source of an :class:`HttpClient` (and of backends recording sync times).

    ``monotonic`` measures intervals (rate limiter), ``now`` is the aware UTC wall time
    (``Retry-After`` dates, ``last_synced``), ``jitter`` returns a float in [0, 1).
    """

    def sleep(self, seconds: float) -> None:  # float ok: seconds
        """Wait *seconds*."""
        ...

    def monotonic(self) -> float:  # float ok: seconds
        """Seconds on a clock that never goes back."""
        ...

    def now(self) -> dt.datetime:
        """The current aware UTC datetime."""
        ...

    def jitter(self) -> float:  # float ok: seconds
        """A random float in [0, 1) for backoff jitter."""
        ...


class SystemClock:
    """The real clock: :func:`time.sleep`, :func:`time.monotonic`, UTC now, :mod:`random`."""

    def sleep(self, seconds: float) -> None:  # float ok: seconds
        """Really wait."""
        time.sleep(seconds)

    def monotonic(self) -> float:  # float ok: seconds
        """:func:`time.monotonic`."""
        return time.monotonic()

    def now(self) -> dt.datetime:
        """The current UTC time."""
        return dt.datetime.now(dt.UTC)

    def jitter(self) -> float:  # float ok: seconds
        """:func:`random.random` (not for cryptography: only spreads retries)."""
        return random.random()


SYSTEM_CLOCK: Clock = SystemClock()
"""The shared real clock."""


# -- policies -------------------------------------------------------------------------------


@attrs.frozen(slots=True)
class Timeout:
    """Per-request timeouts in seconds: to connect, and between bytes of the answer."""

    connect: float = 5.0  # float ok: seconds
    read: float = 30.0  # float ok: seconds

    def as_tuple(self) -> tuple[float, float]:
        """The ``(connect, read)`` tuple requests expects."""
        return (self.connect, self.read)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], provider: str = "http") -> Timeout:
        """Read ``connect_timeout`` and ``read_timeout`` (seconds) from adapter settings.

        Raises:
            ConfigError: a value is not a positive number (the message names the setting).
        """
        default = cls()
        return cls(
            _positive(settings, "connect_timeout", default.connect, provider),
            _positive(settings, "read_timeout", default.read, provider),
        )


@attrs.frozen(slots=True)
class RetryPolicy:
    """How often and how patiently to retry.

    Attributes:
        max_attempts: total attempts including the first (1 = never retry).
        base_delay: backoff base in seconds; attempt *n* (0-based) waits a random time in
            ``[0, min(max_delay, base_delay * 2**n))`` ("full jitter").
        max_delay: cap of one backoff wait.
        max_retry_after: a ``Retry-After`` longer than this is not waited for; the error
            (e.g. :class:`RateLimitedError` with ``retry_after``) is raised at once so the
            caller can reschedule.
    """

    max_attempts: int = 4
    base_delay: float = 0.5  # float ok: seconds
    max_delay: float = 30.0  # float ok: seconds
    max_retry_after: float = 120.0  # float ok: seconds

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], provider: str = "http") -> RetryPolicy:
        """Read ``max_attempts`` (a whole number ≥ 1) and ``max_retry_after`` (seconds).

        Raises:
            ConfigError: a value is invalid (the message names the setting).
        """
        default = cls()
        attempts = settings.get("max_attempts", default.max_attempts)
        valid = isinstance(attempts, int | str) and not isinstance(attempts, bool) and str(attempts).isdigit()
        if not valid or int(attempts) < 1:
            raise ConfigError(f"{provider}: setting 'max_attempts' must be a whole number ≥ 1, got {attempts!r}")
        return cls(
            max_attempts=int(attempts),
            max_retry_after=_positive(settings, "max_retry_after", default.max_retry_after, provider),
        )

    def backoff(self, attempt: int, jitter: float) -> float:  # float ok: seconds
        """The full-jitter delay before retry number *attempt* (0-based)."""
        cap = min(self.max_delay, self.base_delay * (2.0**attempt))
        return cap * jitter


def _positive(settings: Mapping[str, Any], name: str, default: float, provider: str) -> float:  # float ok: seconds
    value = settings.get(name, default)
    try:
        number = float(Decimal(str(value)))  # float ok: a duration in seconds
    except ArithmeticError:
        number = -1.0
    if isinstance(value, bool) or not number > 0:
        raise ConfigError(f"{provider}: setting {name!r} must be a positive number of seconds, got {value!r}")
    return number


class RateLimiter:
    """At most *calls* requests per *period* seconds (sliding window), waiting when needed.

    One limiter is shared by every request of a client (Xero: ``RateLimiter(60, 60.0)``
    per tenant connection). Thread-safe.
    """

    def __init__(self, calls: int, period: float, *, clock: Clock = SYSTEM_CLOCK) -> None:  # float ok: seconds
        if calls < 1 or period <= 0:
            raise ConfigError(f"rate limit must allow at least one call per positive period, got {calls}/{period}s")
        self.calls = calls
        self.period = period
        self.clock = clock
        self._stamps: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> float:  # float ok: seconds
        """Wait until a call is allowed, record it, and return how long we waited."""
        waited = 0.0
        with self._lock:
            while True:
                now = self.clock.monotonic()
                while self._stamps and self._stamps[0] <= now - self.period:
                    self._stamps.popleft()
                if len(self._stamps) < self.calls:
                    self._stamps.append(now)
                    return waited
                wait = self._stamps[0] + self.period - now
                log.debug("rate limiter: %d calls in %.1fs, waiting %.2fs", self.calls, self.period, wait)
                self.clock.sleep(wait)
                waited += wait


# -- failures -------------------------------------------------------------------------------


@attrs.frozen(slots=True)
class HttpFailure:
    """A non-2xx answer, handed to an :data:`ErrorClassifier`.

    Attributes:
        provider: the adapter name used in error messages.
        method: the HTTP method.
        url: the redacted URL (safe to put in messages).
        status: the HTTP status code.
        headers: the response headers.
        text: the response body as text (truncated to 2,000 characters).
        payload: the body parsed as JSON (``parse_float=Decimal``), or ``None``.
        retry_after: the ``Retry-After`` delay in seconds, if the provider sent one.
    """

    provider: str
    method: str
    url: str
    status: int
    headers: Mapping[str, str]
    text: str
    payload: Any
    retry_after: float | None  # float ok: seconds


ErrorClassifier = Callable[[HttpFailure], AdapterError | None]
"""Turns a provider's error answer into a precise :class:`~cobrokit.errors.AdapterError`.

Return ``None`` to fall back to :func:`default_error`. Returning a retryable error
(:class:`RateLimitedError`, :class:`TransientError`) makes the client retry when that is safe.
"""


def default_error(failure: HttpFailure) -> AdapterError:
    """The status-code mapping: 401/403 auth, 408/5xx transient, 429 rate limited, other 4xx permanent."""
    what = f"{failure.method} {failure.url} answered {failure.status}"
    detail = _short(failure.text)
    message = f"{what}: {detail}" if detail else what
    if failure.status in (401, 403):
        return AuthError(failure.provider, message)
    if failure.status == 429:
        return RateLimitedError(failure.provider, message, retry_after=failure.retry_after)
    if failure.status == 408 or failure.status >= 500:
        return TransientError(failure.provider, message)
    return PermanentError(failure.provider, message)


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:  # float ok: seconds
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date.

    Returns ``None`` for a missing or unreadable value; never negative.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(Decimal(text))  # float ok: a duration in seconds, not money
    except ArithmeticError:
        seconds = None
    if seconds is not None:
        return max(0.0, seconds) if seconds == seconds else None  # NaN → None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    reference = now if now is not None else dt.datetime.now(dt.UTC)
    return max(0.0, (when - reference).total_seconds())


def parse_json(response: requests.Response, provider: str, *, hide_path: bool = False) -> Any:
    """The JSON body of *response* with floats as :class:`~decimal.Decimal`; ``None`` if empty.

    Raises:
        MalformedResponseError: the body is not JSON (the message names the redacted URL).
    """
    text = response.text
    if not text.strip():
        return None
    try:
        return json.loads(text, parse_float=Decimal)
    except ValueError as exc:
        url = redact_url(response.url or "", hide_path=hide_path)
        raise MalformedResponseError(
            provider, f"{url} answered {response.status_code} with a body that is not JSON ({exc})"
        ) from None


# -- the client -----------------------------------------------------------------------------

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class HttpClient:
    """A requests session configured for one provider. See the module docstring.

    Args:
        provider: adapter name used in errors and logs (``"twilio"``).
        base_url: prefix of relative paths (``"https://api.twilio.com"``).
        auth: a requests auth callable (:func:`bearer_token`, :func:`basic_auth`, …).
        headers: default headers for every request.
        timeout: default connect/read timeout.
        retry: retry policy.
        rate_limiter: optional client-side limiter shared by every request.
        classify: refines the error for a non-2xx answer (provider error codes).
        idempotency_header: header that carries an idempotency key (``None``: not a header).
        idempotency_param: query parameter that carries it instead (QuickBooks ``requestid``).
        hide_path: mask URL paths in logs and errors (the path itself is a secret).
        clock: time source (sleep, monotonic, now, jitter); tests pass a fake one.
        session: a ``requests.Session`` to reuse (one is created otherwise).
    """

    def __init__(
        self,
        provider: str,
        base_url: str = "",
        *,
        auth: requests.auth.AuthBase | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: Timeout = Timeout(),
        retry: RetryPolicy = RetryPolicy(),
        rate_limiter: RateLimiter | None = None,
        classify: ErrorClassifier | None = None,
        idempotency_header: str | None = "Idempotency-Key",
        idempotency_param: str | None = None,
        hide_path: bool = False,
        clock: Clock = SYSTEM_CLOCK,
        session: requests.Session | None = None,
    ) -> None:
        import cobrokit

        self.provider = provider
        self.base_url = base_url.rstrip("/") + "/" if base_url else ""
        self.timeout = timeout
        self.retry = retry
        self.rate_limiter = rate_limiter
        self.classify = classify
        self.idempotency_header = idempotency_header
        self.idempotency_param = idempotency_param
        self.hide_path = hide_path
        self.clock = clock
        self.session = session or requests.Session()
        self.session.auth = auth
        self.session.headers.update({"User-Agent": f"cobrokit/{cobrokit.__version__}", "Accept": "application/json"})
        if headers:
            self.session.headers.update(headers)

    def __repr__(self) -> str:
        return f"<HttpClient {self.provider} {redact_url(self.base_url, hide_path=self.hide_path)}>"

    def close(self) -> None:
        """Close the underlying session."""
        self.session.close()

    def url(self, path: str) -> str:
        """The absolute URL of *path* (absolute URLs are kept as they are)."""
        if not self.base_url or re.match(r"^[a-z][a-z0-9+.-]*://", path, re.IGNORECASE):
            return path
        return urljoin(self.base_url, path.lstrip("/"))

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
        json_body: Any = None,
        data: Mapping[str, Any] | list[tuple[str, Any]] | bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        idempotent: bool | None = None,
        timeout: Timeout | None = None,
    ) -> requests.Response:
        """Send one request with rate limiting, retries and error mapping; return a 2xx response.

        Args:
            method: HTTP method.
            path: path relative to the base URL, or an absolute URL.
            params: query parameters.
            json_body: a JSON body (serialised with Decimals as numbers, exactly).
            data: a form body (mapping or pairs) or raw bytes/str.
            headers: extra headers for this request.
            idempotency_key: sent as the client's idempotency header or query parameter;
                it also makes the request safe to retry.
            idempotent: override whether a retry after the provider may have acted is safe
                (default: safe methods, or an idempotency key was given).
            timeout: override the client's timeout.

        Raises:
            AuthError, PermanentError, RateLimitedError, TransientError: as mapped from the
                last answer (see :func:`default_error` and the client's classifier).
        """
        method = method.upper()
        url = self.url(path)
        extra = dict(headers or {})
        query: list[tuple[str, Any]] = list(params.items() if isinstance(params, Mapping) else params or [])
        if idempotency_key is not None:
            if self.idempotency_header:
                extra[self.idempotency_header] = idempotency_key
            elif self.idempotency_param:
                query.append((self.idempotency_param, idempotency_key))
            else:
                raise ConfigError(f"{self.provider}: this client has no idempotency header or parameter")
        full = url + ("&" if "?" in url else "?") + urlencode(query) if query else url
        shown = redact_url(full, hide_path=self.hide_path)
        body: bytes | None = None
        if json_body is not None:
            body = dump_json(json_body).encode()
            extra.setdefault("Content-Type", "application/json")
        if idempotent is None:
            idempotent = method in _SAFE_METHODS or idempotency_key is not None
        tmo = (timeout or self.timeout).as_tuple()

        attempt = 0
        while True:
            if self.rate_limiter is not None:
                self.rate_limiter.acquire()
            log.debug("%s: %s %s (attempt %d)", self.provider, method, shown, attempt + 1)
            try:
                response = self.session.request(
                    method,
                    url,
                    params=query or None,
                    data=body if body is not None else data,
                    headers=extra,
                    timeout=tmo,
                )
            except requests.exceptions.RequestException as exc:
                # A failure to connect means the provider never saw the request.
                never_sent = isinstance(exc, requests.exceptions.ConnectTimeout) or (
                    isinstance(exc, requests.exceptions.ConnectionError)
                    and not isinstance(exc, requests.exceptions.ReadTimeout)
                    and _is_connect_failure(exc)
                )
                error: AdapterError = TransientError(self.provider, f"{method} {shown} failed: {type(exc).__name__}")
                if attempt + 1 < self.retry.max_attempts and (idempotent or never_sent):
                    delay = self.retry.backoff(attempt, self.clock.jitter())
                    self._warn_retry(method, shown, type(exc).__name__, delay, attempt)
                    self.clock.sleep(delay)
                    attempt += 1
                    continue
                raise error from None

            if 200 <= response.status_code < 300:
                log.debug("%s: %s %s → %d", self.provider, method, shown, response.status_code)
                return response

            failure = self._failure(method, shown, response)
            error = (self.classify(failure) if self.classify else None) or default_error(failure)
            # 429 means the provider refused the request: always safe to repeat.
            safe = idempotent or isinstance(error, RateLimitedError)
            if error.retryable and safe and attempt + 1 < self.retry.max_attempts:
                wait = self._delay(failure, attempt)
                if wait is not None:
                    self._warn_retry(method, shown, str(response.status_code), wait, attempt)
                    self.clock.sleep(wait)
                    attempt += 1
                    continue
            log.debug(
                "%s: %s %s → %d, giving up: %s",
                self.provider,
                method,
                shown,
                response.status_code,
                type(error).__name__,
            )
            raise error

    def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        """:meth:`request`, then :func:`parse_json` (``Decimal`` floats; ``None`` for an empty body)."""
        response = self.request(method, path, **kwargs)
        return parse_json(response, self.provider, hide_path=self.hide_path)

    def get_json(self, path: str, *, params: Mapping[str, Any] | None = None, **kwargs: Any) -> Any:
        """``GET`` *path* and return its JSON body."""
        return self.request_json("GET", path, params=params, **kwargs)

    # -- internals ------------------------------------------------------------------------
    def _failure(self, method: str, shown: str, response: requests.Response) -> HttpFailure:
        text = response.text[:2000]
        try:
            payload = json.loads(response.text, parse_float=Decimal) if text.strip() else None
        except ValueError:
            payload = None
        return HttpFailure(
            provider=self.provider,
            method=method,
            url=shown,
            status=response.status_code,
            headers=dict(response.headers),
            text=text,
            payload=payload,
            retry_after=parse_retry_after(response.headers.get("Retry-After"), now=self.clock.now()),
        )

    def _delay(self, failure: HttpFailure, attempt: int) -> float | None:  # float ok: seconds
        """How long to wait before the next attempt; ``None`` when Retry-After is too long."""
        if failure.retry_after is not None:
            if failure.retry_after > self.retry.max_retry_after:
                return None
            return failure.retry_after
        return self.retry.backoff(attempt, self.clock.jitter())

    def _warn_retry(self, method: str, shown: str, why: str, delay: float, attempt: int) -> None:  # float ok: seconds
        log.warning(
            "%s: %s %s failed (%s); retry %d/%d in %.2fs",
            self.provider,
            method,
            shown,
            why,
            attempt + 1,
            self.retry.max_attempts - 1,
            delay,
        )


def _is_connect_failure(exc: requests.exceptions.RequestException) -> bool:
    """True when the connection was never established (refused, DNS), not dropped mid-answer."""
    text = repr(exc.args)
    return any(
        marker in text
        for marker in ("NewConnectionError", "NameResolutionError", "Failed to establish", "ConnectTimeout")
    )


def dump_json(value: Any) -> str:
    """Serialise *value* to compact JSON, writing Decimals exactly as JSON numbers.

    Dates and datetimes become ISO strings; floats are refused (amounts must be Decimals).

    Raises:
        TypeError: for a float or any other value JSON cannot carry.
    """
    if value is None or isinstance(value, bool | int | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError(f"{value} cannot be sent as a JSON number")
        return format(value, "f")
    if isinstance(value, float):
        raise TypeError("a float cannot be sent: use Decimal for amounts")
    if isinstance(value, dt.date | dt.datetime):
        return json.dumps(value.isoformat())
    if isinstance(value, Mapping):
        return (
            "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{dump_json(v)}" for k, v in value.items()) + "}"
        )
    if isinstance(value, list | tuple):
        return "[" + ",".join(dump_json(v) for v in value) + "]"
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# -- pagination -----------------------------------------------------------------------------

Fetch = Callable[[dict[str, Any]], Any]
"""Fetch one page: called with the paging parameters, returns the parsed payload."""
Items = Callable[[Any], Sequence[Any]]
"""Extract the records of one page from its payload."""

MAX_PAGES = 100_000
"""Safety bound: a paginator that has not ended after this many pages raises."""


def _too_many(provider: str, pages: int) -> PermanentError:
    return PermanentError(provider, f"pagination did not end after {pages} pages; giving up")


def paginate_offset(
    fetch: Fetch,
    items: Items,
    *,
    offset_param: str = "start",
    limit_param: str = "limit",
    page_size: int = 100,
    first_offset: int = 0,
    total: Callable[[Any], int | None] | None = None,
    provider: str = "http",
    max_pages: int = MAX_PAGES,
) -> Iterator[Any]:
    """Offset/limit paging: ``start``/``limit`` (Alegra), ``limit_start``/``limit_page_length``
    (Frappe), ``STARTPOSITION``/``MAXRESULTS`` (QuickBooks, ``first_offset=1``), ``offset``/``limit``.

    Calls ``fetch({offset_param: offset, limit_param: page_size})`` and yields the page's
    records, until a page is short (fewer than *page_size*), empty, or the offset reaches
    ``total(payload)`` when given.
    """
    offset = first_offset
    for _ in range(max_pages):
        payload = fetch({offset_param: offset, limit_param: page_size})
        records = items(payload)
        yield from records
        offset += len(records)
        known = total(payload) if total is not None else None
        if len(records) < page_size or not records:
            return
        if known is not None and offset - first_offset >= known:
            return
    raise _too_many(provider, max_pages)


def paginate_pages(
    fetch: Fetch,
    items: Items,
    *,
    page_param: str = "page",
    size_param: str | None = "pageSize",
    page_size: int = 100,
    first_page: int = 1,
    page_count: Callable[[Any], int | None] | None = None,
    provider: str = "http",
    max_pages: int = MAX_PAGES,
) -> Iterator[Any]:
    """Page-number paging (Xero ``page``/``pageSize``, Holded ``page``).

    Calls ``fetch({page_param: n, size_param: page_size})`` (no size parameter when
    *size_param* is ``None``) and stops after a short or empty page, or when
    ``page_count(payload)`` (e.g. Xero's ``pagination.pageCount``) says it was the last.
    """
    page = first_page
    for _ in range(max_pages):
        params: dict[str, Any] = {page_param: page}
        if size_param:
            params[size_param] = page_size
        payload = fetch(params)
        records = items(payload)
        yield from records
        count = page_count(payload) if page_count is not None else None
        if not records or len(records) < page_size:
            return
        if count is not None and page - first_page + 1 >= count:
            return
        page += 1
    raise _too_many(provider, max_pages)


def paginate_cursor(
    fetch: Fetch,
    items: Items,
    *,
    cursor_param: str = "starting_after",
    has_more: Callable[[Any], bool] = lambda payload: bool(payload.get("has_more")),
    cursor_of: Callable[[Any], str] = lambda record: str(record["id"]),
    limit_param: str | None = "limit",
    page_size: int = 100,
    provider: str = "http",
    max_pages: int = MAX_PAGES,
) -> Iterator[Any]:
    """Cursor paging, Stripe style: ``starting_after=<last id>`` while ``has_more``.

    The first call has no cursor; each next call passes ``cursor_of(last record)``.
    A cursor that does not move (the same last id twice) raises instead of looping.
    """
    cursor: str | None = None
    for _ in range(max_pages):
        params: dict[str, Any] = {}
        if limit_param:
            params[limit_param] = page_size
        if cursor is not None:
            params[cursor_param] = cursor
        payload = fetch(params)
        records = items(payload)
        yield from records
        if not records or not has_more(payload):
            return
        following = cursor_of(records[-1])
        if following == cursor:
            raise PermanentError(provider, f"pagination cursor {following!r} did not advance")
        cursor = following
    raise _too_many(provider, max_pages)


# -- records --------------------------------------------------------------------------------

_CONVERSION_ERRORS = (
    ValidationError,
    KeyError,
    TypeError,
    ValueError,
    ArithmeticError,
    AttributeError,
    IndexError,
)


def convert_records(
    records: Iterable[Any],
    convert: Callable[[Any], T | None],
    *,
    provider: str,
    kind: str,
    id_of: Callable[[Any], object],
    logger: logging.Logger | None = None,
) -> Iterator[T]:
    """Convert raw provider records with *convert*, skipping the ones that fail.

    A record whose conversion raises (missing key, wrong type, bad amount or date, a
    model :class:`~cobrokit.errors.ValidationError`) is skipped with a WARNING naming the
    provider, the *kind* and the provider's id — never its personal data — and the stream
    goes on. *convert* may return ``None`` to skip a record on purpose (e.g. a paid invoice).
    """
    out = logger or log
    for record in records:
        try:
            converted = convert(record)
        except _CONVERSION_ERRORS as exc:
            try:
                ident = str(id_of(record))
            except _CONVERSION_ERRORS:
                ident = "<no id>"
            reason = _short(str(exc) or type(exc).__name__, 200)
            out.warning("%s: skipped %s %s: %s: %s", provider, kind, ident, type(exc).__name__, reason)
            report_skip(kind, ident)  # counted in the sync's report
            continue
        if converted is not None:
            yield converted
