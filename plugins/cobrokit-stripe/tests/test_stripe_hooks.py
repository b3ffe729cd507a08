"""Stripe write-back through cobrokit's hooks: pausing/resuming subscription collection, pay-now links."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs

import pytest
import responses
from cobrokit_stripe import StripeBackend, StripeHooks
from cobrokit_stripe.plugin import from_environment

from cobrokit.model import Debtor
from cobrokit.money import Money
from cobrokit.notice import Creditor, Notice, NoticeLine
from cobrokit.plugins import get_plugin_host
from cobrokit.testing import FakeClock

KEY = "sk_test_hooks_secret_value"
SUBS = "https://api.stripe.com/v1/subscriptions"


def subscription(sub_id: str, status: str = "active", paused: str | None = None) -> dict[str, Any]:
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": "cus_1",
        "status": status,
        "pause_collection": {"behavior": paused, "resumes_at": None} if paused else None,
    }


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> StripeHooks:
    monkeypatch.setenv("STRIPE_TEST_KEY", KEY)
    backend = StripeBackend.from_settings(
        {"api_key_env": "STRIPE_TEST_KEY", "pause_behavior": "mark_uncollectible"}, clock=FakeClock()
    )
    return StripeHooks(backend)


def form(call: Any) -> dict[str, list[str]]:
    return parse_qs(call.request.body, keep_blank_values=True)


def test_suspend_pauses_live_subscriptions_with_one_key_each(hooks: StripeHooks) -> None:
    with responses.RequestsMock() as mocked:
        mocked.get(
            SUBS,
            json={
                "object": "list",
                "has_more": False,
                "data": [
                    subscription("sub_A"),
                    subscription("sub_B", "past_due"),
                    subscription("sub_C", "canceled"),
                    subscription("sub_D", paused="void"),
                ],
            },
            match=[responses.matchers.query_param_matcher({"customer": "cus_1", "status": "all", "limit": "100"})],
        )
        mocked.post(f"{SUBS}/sub_A", json=subscription("sub_A", paused="mark_uncollectible"))
        mocked.post(f"{SUBS}/sub_B", json=subscription("sub_B", paused="mark_uncollectible"))
        done = hooks.cobrokit_suspend_service(
            tenant="default", debtor_id="cus_1", stage="suspension", cycle="EUR1", payload={}
        )
        posts = [c for c in mocked.calls if c.request.method == "POST"]
    assert done == "stripe: paused collection (mark_uncollectible) of sub_A, sub_B"
    assert [form(c) for c in posts] == [{"pause_collection[behavior]": ["mark_uncollectible"]}] * 2
    assert [c.request.headers["Idempotency-Key"] for c in posts] == [
        "default/cus_1/suspension/EUR1/service:suspend#sub_A",
        "default/cus_1/suspension/EUR1/service:suspend#sub_B",
    ]


def test_restore_clears_pause_collection(hooks: StripeHooks) -> None:
    with responses.RequestsMock() as mocked:
        mocked.get(
            SUBS,
            json={
                "object": "list",
                "has_more": False,
                "data": [subscription("sub_A", paused="void"), subscription("sub_B")],
            },
        )
        mocked.post(f"{SUBS}/sub_A", json=subscription("sub_A"))
        done = hooks.cobrokit_restore_service(
            tenant="default", debtor_id="cus_1", stage="thank_you", cycle="EUR1", payload={}
        )
        (post,) = [c for c in mocked.calls if c.request.method == "POST"]
    assert done == "stripe: resumed collection of sub_A"
    assert form(post) == {"pause_collection": [""]}  # the empty value unsets it
    assert post.request.headers["Idempotency-Key"] == "default/cus_1/thank_you/EUR1/service:restore#sub_A"


def test_not_a_stripe_customer_is_not_ours(hooks: StripeHooks) -> None:
    with responses.RequestsMock() as mocked:
        assert (
            hooks.cobrokit_suspend_service(
                tenant="default", debtor_id="D-17", stage="suspension", cycle="EUR1", payload={}
            )
            is None
        )
        assert len(mocked.calls) == 0


def notice(*invoice_ids: str) -> Notice:
    lines = tuple(
        NoticeLine(
            invoice_id=i,
            number=i,
            issue_date=dt.date(2025, 1, 1),
            due_date=dt.date(2025, 1, 31),
            days_overdue=30,
            amount=Money("10.00", "EUR"),
            open=Money("10.00", "EUR"),
        )
        for i in invoice_ids
    )
    return Notice(
        key="k",
        tenant="default",
        debtor=Debtor(id="cus_1", name="Customer SL"),
        creditor=Creditor(),
        stage="oops",
        template="oops",
        tone="friendly",
        as_of=dt.date(2025, 3, 2),
        currency="EUR",
        lines=lines,
        principal=Money("10.00", "EUR"),
        fees=Money("0.00", "EUR"),
    )


def test_payment_link_is_the_hosted_invoice_page(hooks: StripeHooks) -> None:
    with responses.RequestsMock() as mocked:
        mocked.get(
            "https://api.stripe.com/v1/invoices/in_1",
            json={
                "id": "in_1",
                "object": "invoice",
                "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1/test_1",
            },
        )
        assert hooks.cobrokit_payment_link(notice("F-17", "in_1")) == "https://invoice.stripe.com/i/acct_1/test_1"
    assert hooks.cobrokit_payment_link(notice("F-17")) is None


def test_the_host_calls_the_hooks(hooks: StripeHooks) -> None:
    host = get_plugin_host(autoload=False, plugins=[("stripe-hooks", hooks)], environ={})
    with responses.RequestsMock() as mocked:
        mocked.get(SUBS, json={"object": "list", "has_more": False, "data": [subscription("sub_A")]})
        mocked.post(f"{SUBS}/sub_A", json=subscription("sub_A", paused="mark_uncollectible"))
        results = host.hook.cobrokit_suspend_service(
            tenant="default",
            debtor_id="cus_1",
            stage="suspension",
            cycle="EUR1",
            payload={"invoices": []},
            store=None,
            config=None,
            host=host,
        )
    assert results == ["stripe: paused collection (mark_uncollectible) of sub_A"]


def test_installed_plugin_stays_idle_without_a_key() -> None:
    assert from_environment({}) is None
    backend = from_environment(
        {
            "COBROKIT_STRIPE_API_KEY_ENV": "MY_KEY",
            "MY_KEY": KEY,
            "COBROKIT_STRIPE_PAUSE_BEHAVIOR": "keep_as_draft",
        }
    )
    assert backend is not None and backend.pause_behavior == "keep_as_draft"
