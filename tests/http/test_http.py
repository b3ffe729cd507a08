"""Tests for cobrokit.http: retries, Retry-After, error mapping, JSON, redaction, rate limiting, paging."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses
from hypothesis import given
from hypothesis import strategies as st

from cobrokit.errors import (
    AuthError,
    ConfigError,
    MalformedResponseError,
    PermanentError,
    RateLimitedError,
    TransientError,
)
from cobrokit.http import (
    HttpClient,
    HttpFailure,
    RateLimiter,
    RetryPolicy,
    basic_auth,
    bearer_token,
    convert_records,
    dump_json,
    header_auth,
    paginate_cursor,
    paginate_offset,
    paginate_pages,
    parse_retry_after,
    redact_headers,
    redact_url,
    secret_from_env,
)
from cobrokit.testing import FakeClock

BASE = "https://api.example.test/v1"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()  # starts 2025-01-15 09:00:00 UTC, jitter 0.5


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def client(clock: FakeClock, **kwargs: Any) -> HttpClient:
    return HttpClient("acme", BASE, clock=clock, **kwargs)


# -- retries and backoff -----------------------------------------------------------------------


def test_get_retries_5xx_with_full_jitter_backoff_then_succeeds(clock, mocked):
    mocked.add("GET", f"{BASE}/things", status=503, body="down")
    mocked.add("GET", f"{BASE}/things", status=502, body="down")
    mocked.add("GET", f"{BASE}/things", json={"ok": True})
    data = client(clock).get_json("things")
    assert data == {"ok": True}
    assert len(mocked.calls) == 3
    # attempt 0: cap = min(30, 0.5 * 2**0) = 0.5, times jitter 0.5 → 0.25
    # attempt 1: cap = min(30, 0.5 * 2**1) = 1.0, times jitter 0.5 → 0.5
    assert clock.sleeps == [0.25, 0.5]


def test_5xx_exhausts_attempts_then_transient_error(clock, mocked):
    mocked.add("GET", f"{BASE}/things", status=500, body="boom")
    with pytest.raises(TransientError) as err:
        client(clock, retry=RetryPolicy(max_attempts=4)).get_json("things")
    assert len(mocked.calls) == 4
    # caps 0.5, 1, 2 (base 0.5 doubling) times jitter 0.5
    assert clock.sleeps == [0.25, 0.5, 1.0]
    assert err.value.retryable and "500" in str(err.value) and err.value.provider == "acme"


def test_backoff_is_capped_by_max_delay(clock, mocked):
    mocked.add("GET", f"{BASE}/x", status=503)
    with pytest.raises(TransientError):
        client(clock, retry=RetryPolicy(max_attempts=5, base_delay=4, max_delay=10)).get_json("x")
    # caps: min(10, 4)=4, min(10, 8)=8, min(10, 16)=10, min(10, 32)=10; jitter 0.5
    assert clock.sleeps == [2.0, 4.0, 5.0, 5.0]


@given(
    attempt=st.integers(min_value=0, max_value=60),
    jitter=st.floats(min_value=0, max_value=1, exclude_max=True),
    base=st.floats(min_value=0.001, max_value=10),
    cap=st.floats(min_value=0.001, max_value=100),
)
def test_backoff_stays_within_zero_and_cap(attempt, jitter, base, cap):
    policy = RetryPolicy(base_delay=base, max_delay=cap)
    delay = policy.backoff(attempt, jitter)
    assert 0 <= delay <= min(cap, base * 2.0**attempt)


def test_429_retry_after_seconds_is_honoured(clock, mocked):
    mocked.add("GET", f"{BASE}/x", status=429, headers={"Retry-After": "7"})
    mocked.add("GET", f"{BASE}/x", json=[1])
    assert client(clock).get_json("x") == [1]
    assert clock.sleeps == [7.0]


def test_429_retry_after_http_date_is_honoured(clock, mocked):
    # the fake clock reads Wed 2025-01-15 09:00:00 UTC; the date is 30 s later
    mocked.add("GET", f"{BASE}/x", status=429, headers={"Retry-After": "Wed, 15 Jan 2025 09:00:30 GMT"})
    mocked.add("GET", f"{BASE}/x", json=[1])
    client(clock).get_json("x")
    assert clock.sleeps == [30.0]


def test_429_exhausted_raises_rate_limited_with_retry_after(clock, mocked):
    mocked.add("GET", f"{BASE}/x", status=429, headers={"Retry-After": "2"})
    with pytest.raises(RateLimitedError) as err:
        client(clock, retry=RetryPolicy(max_attempts=3)).get_json("x")
    assert err.value.retry_after == 2.0
    assert clock.sleeps == [2.0, 2.0]
    assert len(mocked.calls) == 3


def test_retry_after_longer_than_allowed_is_not_waited(clock, mocked):
    mocked.add("GET", f"{BASE}/x", status=429, headers={"Retry-After": "3600"})
    with pytest.raises(RateLimitedError) as err:
        client(clock, retry=RetryPolicy(max_retry_after=60)).get_json("x")
    assert err.value.retry_after == 3600.0
    assert clock.sleeps == []
    assert len(mocked.calls) == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("Wed, 15 Jan 2025 09:01:00 GMT", 60.0),  # one minute after the reference
        ("Wed, 15 Jan 2025 08:00:00 GMT", 0.0),  # in the past: no wait
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value, expected):
    now = dt.datetime(2025, 1, 15, 9, 0, tzinfo=dt.UTC)
    assert parse_retry_after(value, now=now) == expected


def test_connection_error_on_get_is_retried(clock, mocked):
    mocked.add("GET", f"{BASE}/x", body=requests.exceptions.ConnectionError("connection reset"))
    mocked.add("GET", f"{BASE}/x", json={"a": 1})
    assert client(clock).get_json("x") == {"a": 1}
    assert clock.sleeps == [0.25]


def test_connection_errors_exhausted_give_transient_error(clock, mocked):
    mocked.add("GET", f"{BASE}/x", body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(TransientError, match="ReadTimeout"):
        client(clock, retry=RetryPolicy(max_attempts=2)).get_json("x")
    assert len(mocked.calls) == 2


def test_post_without_key_is_not_retried_after_5xx(clock, mocked):
    """The provider may have acted: a second POST could send a second SMS."""
    mocked.add("POST", f"{BASE}/messages", status=503)
    with pytest.raises(TransientError):
        client(clock).request("POST", "messages", data={"Body": "hi"})
    assert len(mocked.calls) == 1
    assert clock.sleeps == []


def test_post_without_key_is_not_retried_after_read_timeout(clock, mocked):
    mocked.add("POST", f"{BASE}/messages", body=requests.exceptions.ReadTimeout("slow"))
    with pytest.raises(TransientError):
        client(clock).request("POST", "messages", data={"Body": "hi"})
    assert len(mocked.calls) == 1


def test_post_is_retried_after_429(clock, mocked):
    """A 429 means the provider refused the request: repeating it is safe."""
    mocked.add("POST", f"{BASE}/messages", status=429, headers={"Retry-After": "1"})
    mocked.add("POST", f"{BASE}/messages", status=201, json={"sid": "SM1"})
    response = client(clock).request("POST", "messages", data={"Body": "hi"})
    assert response.status_code == 201
    assert clock.sleeps == [1.0]


def test_post_with_idempotency_key_is_retried_and_keeps_the_key(clock, mocked):
    mocked.add("POST", f"{BASE}/charges", status=500)
    mocked.add("POST", f"{BASE}/charges", json={"id": "ch_1"})
    data = client(clock).request_json("POST", "charges", json_body={"amount": 100}, idempotency_key="k-1")
    assert data == {"id": "ch_1"}
    assert [c.request.headers["Idempotency-Key"] for c in mocked.calls] == ["k-1", "k-1"]


def test_idempotency_key_as_query_parameter(clock, mocked):
    mocked.add("POST", f"{BASE}/invoice", json={})
    client(clock, idempotency_header=None, idempotency_param="requestid").request(
        "POST", "invoice", json_body={}, idempotency_key="req-9"
    )
    assert mocked.calls[0].request.url == f"{BASE}/invoice?requestid=req-9"
    assert "Idempotency-Key" not in mocked.calls[0].request.headers


def test_idempotency_key_without_a_carrier_is_a_config_error(clock):
    with pytest.raises(ConfigError):
        client(clock, idempotency_header=None).request("POST", "x", idempotency_key="k")


# -- error mapping -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (401, AuthError),
        (403, AuthError),
        (400, PermanentError),
        (404, PermanentError),
        (410, PermanentError),
        (422, PermanentError),
    ],
)
def test_4xx_mapping_without_retry(clock, mocked, status, error):
    mocked.add("GET", f"{BASE}/x", status=status, body="nope")
    with pytest.raises(error) as err:
        client(clock).get_json("x")
    assert not err.value.retryable
    assert len(mocked.calls) == 1 and clock.sleeps == []
    assert str(status) in str(err.value)


def test_classifier_refines_errors_and_can_make_them_retryable(clock, mocked):
    def classify(failure: HttpFailure) -> Any:
        code = (failure.payload or {}).get("code")
        if code == 21610:
            return PermanentError("acme", "recipient unsubscribed")
        if code == 1:
            return TransientError("acme", "try later")
        return None

    mocked.add("GET", f"{BASE}/x", status=400, json={"code": 1})
    mocked.add("GET", f"{BASE}/x", status=400, json={"code": 21610})
    with pytest.raises(PermanentError, match="unsubscribed"):
        client(clock, classify=classify).get_json("x")
    assert len(mocked.calls) == 2  # the transient one was retried (GET is idempotent)


def test_classifier_sees_decimal_payload(clock, mocked):
    seen: list[Any] = []

    def classify(failure: HttpFailure) -> None:
        seen.append(failure.payload)

    mocked.add("GET", f"{BASE}/x", status=400, body='{"limit": 0.1}', content_type="application/json")
    with pytest.raises(PermanentError):
        client(clock, classify=classify).get_json("x")
    assert seen == [{"limit": Decimal("0.1")}]


# -- JSON ----------------------------------------------------------------------------------------


def test_json_floats_become_decimals(clock, mocked):
    mocked.add(
        "GET",
        f"{BASE}/inv",
        body='{"AmountDue": 0.1, "Total": 1234.567, "n": 3}',
        content_type="application/json",
    )
    data = client(clock).get_json("inv")
    assert data == {"AmountDue": Decimal("0.1"), "Total": Decimal("1234.567"), "n": 3}
    assert isinstance(data["AmountDue"], Decimal)


def test_malformed_json_names_the_url_without_secrets(clock, mocked):
    mocked.add("GET", f"{BASE}/inv", body="<html>oops</html>")
    with pytest.raises(MalformedResponseError) as err:
        client(clock).get_json("inv", params={"api_key": "s3cr3t", "page": "2"})
    assert isinstance(err.value, PermanentError)
    message = str(err.value)
    assert f"{BASE}/inv" in message and "page=2" in message
    assert "s3cr3t" not in message


def test_empty_body_is_none(clock, mocked):
    mocked.add("DELETE", f"{BASE}/x/1", status=204)
    assert client(clock).request_json("DELETE", "x/1") is None


def test_dump_json_writes_decimals_exactly_and_refuses_floats():
    assert dump_json({"a": Decimal("0.10"), "b": [1, "x", None, True], "d": dt.date(2025, 1, 2)}) == (
        '{"a":0.10,"b":[1,"x",null,true],"d":"2025-01-02"}'
    )
    with pytest.raises(TypeError):
        dump_json({"a": 0.1})


def test_json_body_is_sent_with_exact_decimals(clock, mocked):
    mocked.add("POST", f"{BASE}/charges", json={})
    client(clock).request("POST", "charges", json_body={"amount": Decimal("12.30")}, idempotency_key="k")
    assert mocked.calls[0].request.body == b'{"amount":12.30}'
    assert mocked.calls[0].request.headers["Content-Type"] == "application/json"


# -- auth and secrets ----------------------------------------------------------------------------


def test_auth_helpers_set_headers(clock, mocked):
    mocked.add("GET", f"{BASE}/x", json={})
    tokens = iter(["t1", "t2"])
    http = client(clock, auth=bearer_token(lambda: next(tokens)))
    http.get_json("x")
    http.get_json("x")
    assert [c.request.headers["Authorization"] for c in mocked.calls] == ["Bearer t1", "Bearer t2"]
    # base64("AC1:tok") == "QUMxOnRvaw=="
    assert basic_auth("AC1", "tok")(requests.Request("GET", BASE).prepare()).headers["Authorization"] == (
        "Basic QUMxOnRvaw=="
    )
    prepared = header_auth("key", "abc")(requests.Request("GET", BASE).prepare())
    assert prepared.headers["key"] == "abc"
    assert "abc" not in repr(header_auth("key", "abc"))


def test_secret_from_env_reads_the_named_variable():
    assert secret_from_env({"token_env": "ACME_TOKEN"}, "token", environ={"ACME_TOKEN": " t0k "}) == "t0k"


def test_secret_from_env_errors_name_the_variable_not_the_value():
    with pytest.raises(ConfigError, match="token_env"):
        secret_from_env({}, "token", environ={})
    with pytest.raises(ConfigError, match="ACME_TOKEN"):
        secret_from_env({"token_env": "ACME_TOKEN"}, "token", environ={})
    with pytest.raises(ConfigError, match="must not hold a secret") as err:
        secret_from_env({"token": "literal-secret"}, "token", environ={})
    assert "literal-secret" not in str(err.value)


def test_secrets_are_redacted_in_logs(clock, mocked, caplog):
    caplog.set_level(logging.DEBUG)
    mocked.add("GET", f"{BASE}/x", status=503)
    mocked.add("GET", f"{BASE}/x", status=401, body="bad token")
    http = client(clock, auth=bearer_token("sk_live_TOPSECRET"), headers={"X-Api-Key": "HDRSECRET"})
    with pytest.raises(AuthError) as err:
        http.get_json("x", params={"access_token": "QUERYSECRET", "page": "1"})
    text = caplog.text + str(err.value)
    assert "retry" in caplog.text  # the retry was logged…
    for secret in ("sk_live_TOPSECRET", "HDRSECRET", "QUERYSECRET"):
        assert secret not in text  # …without any secret
    assert "page=1" in caplog.text


def test_hidden_path_is_not_logged(clock, mocked, caplog):
    caplog.set_level(logging.DEBUG)
    url = "https://hooks.example.test/services/T000/B000/XXXXSECRETPATH"
    mocked.add("POST", url, status=404, body="no_service")
    with pytest.raises(PermanentError) as err:
        HttpClient("slack", clock=clock, hide_path=True).request("POST", url, json_body={"text": "x"})
    assert "XXXXSECRETPATH" not in caplog.text + str(err.value)


def test_redact_url_and_headers():
    assert redact_url("https://u:p@x.test/a?token=1&page=2&key=3&sig=4") == (
        "https://***@x.test/a?token=***&page=2&key=***&sig=***"
    )
    assert redact_url("https://x.test/services/T/B/C", hide_path=True) == "https://x.test/***"
    assert redact_headers({"Authorization": "Bearer x", "key": "k", "Accept": "json", "X-Twilio-Signature": "s"}) == {
        "Authorization": "***",
        "key": "***",
        "Accept": "json",
        "X-Twilio-Signature": "***",
    }


# -- rate limiter --------------------------------------------------------------------------------


def test_rate_limiter_waits_for_the_window(clock):
    limiter = RateLimiter(3, 10.0, clock=clock)
    assert limiter.acquire() == 0.0  # t=1000
    clock.advance(4)
    assert limiter.acquire() == 0.0  # t=1004
    assert limiter.acquire() == 0.0  # t=1004
    # 4th call at t=1004: the oldest call (t=1000) leaves the window at 1010 → wait 6 s
    assert limiter.acquire() == 6.0
    assert clock.sleeps == [6.0]
    # at t=1010 the window holds 1004, 1004, 1010: the next call waits until 1014
    assert limiter.acquire() == 4.0


def test_client_applies_rate_limiter_to_every_request(clock, mocked):
    mocked.add("GET", f"{BASE}/x", json={})
    http = client(clock, rate_limiter=RateLimiter(60, 60.0, clock=clock))
    for _ in range(61):
        http.get_json("x")
    # 60 calls fit in the first minute; the 61st waits until the first leaves the window
    assert clock.sleeps == [60.0]


def test_rate_limiter_rejects_nonsense():
    with pytest.raises(ConfigError):
        RateLimiter(0, 60)


# -- pagination ----------------------------------------------------------------------------------


class Source:
    """Serves slices of *items* and records the parameters asked for."""

    def __init__(self, items: list[int]) -> None:
        self.items = items
        self.asked: list[dict[str, Any]] = []


def test_offset_paging_reads_all_and_stops_on_short_page():
    src = Source(list(range(7)))

    def fetch(params: dict[str, Any]) -> Any:
        src.asked.append(params)
        return {"data": src.items[params["start"] : params["start"] + params["limit"]]}

    assert list(paginate_offset(fetch, lambda p: p["data"], page_size=3)) == list(range(7))
    assert src.asked == [{"start": 0, "limit": 3}, {"start": 3, "limit": 3}, {"start": 6, "limit": 3}]


def test_offset_paging_full_last_page_ends_with_an_empty_page():
    src = Source(list(range(6)))

    def fetch(params: dict[str, Any]) -> Any:
        src.asked.append(params)
        start = params["limit_start"]
        return {"data": src.items[start : start + params["limit_page_length"]]}

    got = list(
        paginate_offset(
            fetch,
            lambda p: p["data"],
            offset_param="limit_start",
            limit_param="limit_page_length",
            page_size=3,
        )
    )
    assert got == list(range(6))
    assert [p["limit_start"] for p in src.asked] == [0, 3, 6]


def test_offset_paging_stops_at_total_quickbooks_style():
    src = Source(list(range(6)))

    def fetch(params: dict[str, Any]) -> Any:
        src.asked.append(params)
        start = params["STARTPOSITION"] - 1  # QuickBooks positions are 1-based
        return {"items": src.items[start : start + params["MAXRESULTS"]], "total": 6}

    got = list(
        paginate_offset(
            fetch,
            lambda p: p["items"],
            offset_param="STARTPOSITION",
            limit_param="MAXRESULTS",
            first_offset=1,
            page_size=3,
            total=lambda p: p["total"],
        )
    )
    assert got == list(range(6))
    assert [p["STARTPOSITION"] for p in src.asked] == [1, 4]  # no third, empty request


def test_page_number_paging_stops_at_page_count_and_on_short_page():
    pages = {1: [1, 2], 2: [3, 4]}
    asked: list[dict[str, Any]] = []

    def fetch(params: dict[str, Any]) -> Any:
        asked.append(params)
        return {"Invoices": pages.get(params["page"], []), "pagination": {"pageCount": 2}}

    got = list(
        paginate_pages(fetch, lambda p: p["Invoices"], page_size=2, page_count=lambda p: p["pagination"]["pageCount"])
    )
    assert got == [1, 2, 3, 4]
    assert asked == [{"page": 1, "pageSize": 2}, {"page": 2, "pageSize": 2}]

    asked.clear()
    short = {1: [1, 2], 2: [3]}
    got = list(
        paginate_pages(lambda p: asked.append(p) or short.get(p["page"], []), lambda p: p, size_param=None, page_size=2)
    )
    assert got == [1, 2, 3]
    assert asked == [{"page": 1}, {"page": 2}]


def test_cursor_paging_stripe_style():
    data = [{"id": f"in_{i}"} for i in range(5)]
    asked: list[dict[str, Any]] = []

    def fetch(params: dict[str, Any]) -> Any:
        asked.append(params)
        start = 0
        if "starting_after" in params:
            start = [d["id"] for d in data].index(params["starting_after"]) + 1
        chunk = data[start : start + params["limit"]]
        return {"object": "list", "data": chunk, "has_more": start + len(chunk) < len(data)}

    got = list(paginate_cursor(fetch, lambda p: p["data"], page_size=2))
    assert got == data
    assert asked == [
        {"limit": 2},
        {"limit": 2, "starting_after": "in_1"},
        {"limit": 2, "starting_after": "in_3"},
    ]


def test_cursor_that_does_not_advance_raises():
    page = {"data": [{"id": "in_1"}], "has_more": True}
    with pytest.raises(PermanentError, match="did not advance"):
        list(paginate_cursor(lambda p: page, lambda p: p["data"], provider="stripe"))


def test_paginators_are_bounded():
    with pytest.raises(PermanentError, match="did not end after 5 pages"):
        list(paginate_pages(lambda p: [1, 2], lambda p: p, page_size=2, max_pages=5))
    with pytest.raises(PermanentError, match="did not end after 4 pages"):
        list(paginate_offset(lambda p: [1], lambda p: p, page_size=1, max_pages=4))


# -- record conversion ---------------------------------------------------------------------------


def test_convert_records_skips_bad_ones_naming_the_provider_id(caplog):
    caplog.set_level(logging.WARNING)
    raw = [{"id": "A", "amount": "1.00"}, {"id": "B"}, {"id": "C", "amount": "x"}, {"id": "D", "amount": "0"}]

    def convert(record: dict[str, str]) -> Decimal | None:
        amount = Decimal(record["amount"])
        return amount if amount else None  # zero: skipped on purpose, silently

    got = list(convert_records(raw, convert, provider="acme", kind="invoice", id_of=lambda r: r["id"]))
    assert got == [Decimal("1.00")]
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert "acme: skipped invoice B: KeyError" in messages[0]
    assert "acme: skipped invoice C: InvalidOperation" in messages[1]
