"""A SaaS on Stripe: overdue → reminders → subscription collection paused → paid → resumed.

Offline: Stripe's answers are recorded payloads (``recorded/*.json``) replayed with
``responses``; nothing leaves the machine. Day by day from 1 March 2025 the script syncs the
open invoices, runs the ladder (``cobrokit.toml``: reminders on days 1 and 7, suspension on
day 14) and dispatches: e-mails go to a temporary folder, the suspension pauses the
customer's subscription collection through the cobrokit-stripe hooks. On 18 March the
customer pays at Stripe: the next sync sees the invoice no longer open, the run thanks them
and the service is restored.

    python examples/saas_stripe/run.py
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import attrs
import responses
from cobrokit_stripe import StripeBackend, StripeHooks

from cobrokit.dispatch import dispatch
from cobrokit.engine import run_ladder
from cobrokit.ladder.config import load_config
from cobrokit.plugins import get_plugin_host
from cobrokit.store.sqlite import SQLiteStore
from cobrokit.sync import sync
from cobrokit.testing import FakeClock  # a clock we can move a day at a time

HERE = Path(__file__).resolve().parent
API = "https://api.stripe.com/v1"
FIRST_DAY, PAID_ON, LAST_DAY = dt.date(2025, 3, 1), dt.date(2025, 3, 18), dt.date(2025, 3, 19)


def recorded(name: str) -> Any:
    """A recorded Stripe answer."""
    return json.loads((HERE / "recorded" / f"{name}.json").read_text(encoding="utf-8"))


def replay_stripe(mocked: responses.RequestsMock) -> None:
    """Stripe as it answers before the payment."""
    mocked.get(f"{API}/invoices", json=recorded("invoices_open"))
    mocked.get(f"{API}/invoices/in_1NubeA0001", json=recorded("invoice_in_1NubeA0001"))  # pay-now link
    mocked.get(f"{API}/subscriptions", json=recorded("subscriptions_active"))
    mocked.post(f"{API}/subscriptions/sub_1NubeA", json=recorded("subscription_paused"))


def stripe_calls(mocked: responses.RequestsMock, seen: int) -> list[str]:
    """The subscription updates sent since call number *seen*, as readable lines."""
    lines = []
    for call in list(mocked.calls)[seen:]:
        if call.request.method == "POST":
            body = parse_qs(str(call.request.body), keep_blank_values=True)
            change = ", ".join(f"{k}={v[0]!r}" for k, v in body.items())
            lines.append(
                f"    Stripe: POST {call.request.path_url} {change} "
                f"(Idempotency-Key {call.request.headers['Idempotency-Key']})"
            )
    return lines


def main() -> int:
    """Replay March 2025."""
    clock = FakeClock(dt.datetime.combine(FIRST_DAY, dt.time(9), tzinfo=dt.UTC))
    backend = StripeBackend.from_settings(
        {"api_key_env": "STRIPE_API_KEY", "pause_behavior": "void"},
        clock=clock,
        environ={"STRIPE_API_KEY": "sk_test_recorded_example"},
    )
    host = get_plugin_host(autoload=False, plugins=[("stripe-hooks", StripeHooks(backend))], environ={})
    with (
        tempfile.TemporaryDirectory() as tmp,
        responses.RequestsMock(assert_all_requests_are_fired=False) as mocked,
    ):
        config = load_config(HERE / "cobrokit.toml")
        outbox = Path(tmp) / "outbox"
        email = {**config.channels["email"], "folder": str(outbox)}  # the outbox in a temporary folder
        config = attrs.evolve(config, channels={"email": email})
        replay_stripe(mocked)
        with SQLiteStore.open(Path(tmp) / "cobrokit.db") as store:
            day = FIRST_DAY
            while day <= LAST_DAY:
                if day == PAID_ON:
                    print(f"{day}: Estudio Pixel SL pays NUBE-0042 on Stripe's hosted invoice page")
                    mocked.replace(responses.GET, f"{API}/invoices", json=recorded("invoices_open_after_payment"))
                    mocked.replace(responses.GET, f"{API}/subscriptions", json=recorded("subscriptions_paused"))
                    mocked.replace(
                        responses.POST,
                        f"{API}/subscriptions/sub_1NubeA",
                        json=recorded("subscription_resumed"),
                    )
                seen = len(mocked.calls)
                now = clock.now()
                report = sync(store, backend, clock=clock)
                result = run_ladder(store, day, config=config, now=now, backend="stripe")
                delivered = dispatch(store, host, config=config, now=now)
                actions = [
                    f"{a.kind} {a.stage}" + (f" via {a.channel}" if a.kind == "notice" else "") for a in result.planned
                ]
                if actions or report.closed:
                    closed = f" sync closed {', '.join(report.closed)};" if report.closed else ""
                    print(f"{day}:{closed} {'; '.join(actions)} → {delivered.summary()}")
                    for line in stripe_calls(mocked, seen):
                        print(line)
                clock.advance(86400)
                day += dt.timedelta(days=1)
            rows = store.conn.execute(
                "SELECT as_of, kind, reason FROM journal "
                "WHERE kind IN ('suspend_service', 'restore_service') "
                "ORDER BY seq"
            ).fetchall()
            print("\nJournal of the service effects:")
            for as_of, kind, reason in rows:
                print(f"  {as_of} {kind}: {reason}")
            emails = sorted(p.name for p in outbox.rglob("*.eml"))
            print(f"\nE-mails written to the outbox: {len(emails)}")
            sample = next(outbox.rglob("*suspension*.eml"), None)
            if sample is not None and "invoice.stripe.com" in sample.read_text(encoding="utf-8", errors="replace"):
                print("The suspension e-mail carries Stripe's hosted invoice page as its pay-now link.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
