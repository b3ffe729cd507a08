"""Invoice PDFs attached to email notices (``cobrokit_notice_attachments``), on Stripe's documented shapes.

Stripe's Invoice object: ``invoice_pdf`` is "the link to download the PDF for the invoice",
null until the invoice is finalized; the link is fetched afresh (it expires) and downloaded
without the secret key.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
import responses
from cobrokit_stripe import StripeBackend, StripeHooks
from cobrokit_stripe import plugin as stripe_plugin
from cobrokit_stripe.plugin import from_stripe

from cobrokit.channel import Attachment
from cobrokit.dispatch import dispatch
from cobrokit.engine import run_ladder
from cobrokit.ladder.config import default_config
from cobrokit.model import Debtor, Invoice
from cobrokit.money import Money
from cobrokit.notice import Creditor, Notice, NoticeLine
from cobrokit.plugins import get_plugin_host
from cobrokit.store.sqlite import SQLiteStore
from cobrokit.testing import FakeChannel, FakeClock

KEY = "sk_test_copies_secret_value"
API = "https://api.stripe.com/v1/invoices"
PDF_URL = "https://pay.stripe.com/invoice/acct_1Mt/test_YWNjdF8xTXQ/pdf?s=ap"
PDF_BYTES = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
DEBTOR = Debtor(id="cus_1", name="Talleres Ruiz SL", emails=("cuentas@ruiz.example",))


def stripe_invoice(invoice_id: str = "in_1", pdf: str | None = PDF_URL) -> dict[str, Any]:
    """The fields of Stripe's Invoice object this feature reads."""
    return {
        "id": invoice_id,
        "object": "invoice",
        "number": "2026-0001",
        "status": "open",
        "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1Mt/test_YWNjdF8xTXQ",
        "invoice_pdf": pdf,
    }


def line(invoice_id: str, number: str = "") -> NoticeLine:
    return NoticeLine(
        invoice_id=invoice_id,
        number=number or invoice_id,
        issue_date=dt.date(2026, 1, 31),
        due_date=dt.date(2026, 3, 2),
        days_overdue=30,
        amount=Money("1210.00", "EUR"),
        open=Money("1210.00", "EUR"),
    )


def notice(*lines: Any) -> Notice:
    return Notice(
        key="default/cus_1/oops/EUR1/email",
        tenant="default",
        debtor=DEBTOR,
        creditor=Creditor(),
        stage="oops",
        template="oops",
        tone="friendly",
        as_of=dt.date(2026, 4, 1),
        currency="EUR",
        lines=tuple(lines),
        principal=Money("1210.00", "EUR"),
        fees=Money("0.00", "EUR"),
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> StripeBackend:
    monkeypatch.setenv("STRIPE_TEST_KEY", KEY)
    monkeypatch.delenv(stripe_plugin.ENV_ATTACH, raising=False)
    return StripeBackend.from_settings({"api_key_env": "STRIPE_TEST_KEY"}, clock=clock)


@pytest.fixture
def hooks(backend: StripeBackend) -> StripeHooks:
    return StripeHooks(backend)


def test_the_pdf_of_each_stripe_invoice_is_attached_as_its_number(hooks: StripeHooks) -> None:
    with responses.RequestsMock() as mocked:
        mocked.get(f"{API}/in_1", json=stripe_invoice())
        mocked.get(PDF_URL, body=PDF_BYTES, content_type="application/pdf")
        files = hooks.cobrokit_notice_attachments(notice(line("in_1", "2026/0001"), line("F-17")), "email")
        api, download = mocked.calls
    assert files == [Attachment("2026-0001.pdf", "application/pdf", PDF_BYTES)]  # "/" is not safe in a file name
    assert api.request.headers["Authorization"] == f"Bearer {KEY}"
    assert "Authorization" not in download.request.headers  # the link is the credential: the key stays home
    assert download.request.headers["Accept"] == "application/pdf"


def test_the_same_invoice_twice_is_fetched_once(hooks: StripeHooks) -> None:
    with responses.RequestsMock() as mocked:
        mocked.get(f"{API}/in_1", json=stripe_invoice())
        mocked.get(PDF_URL, body=PDF_BYTES)
        files = hooks.cobrokit_notice_attachments(notice(line("in_1"), line("in_1")), "email")
        assert len(mocked.calls) == 2
    assert [f.filename for f in files] == ["in_1.pdf"]


def test_a_429_with_retry_after_is_waited_out_and_retried(hooks: StripeHooks, clock: FakeClock) -> None:
    with responses.RequestsMock() as mocked:
        mocked.get(f"{API}/in_1", json=stripe_invoice())
        mocked.get(PDF_URL, status=429, headers={"Retry-After": "3"})
        mocked.get(PDF_URL, body=PDF_BYTES)
        files = hooks.cobrokit_notice_attachments(notice(line("in_1")), "email")
        assert len(mocked.calls) == 3
    assert clock.sleeps == [3.0]
    assert [f.data for f in files] == [PDF_BYTES]


def failing(mocked: responses.RequestsMock, how: str) -> None:
    if how == "invoice 404":
        mocked.get(
            f"{API}/in_1",
            status=404,
            json={
                "error": {
                    "code": "resource_missing",
                    "message": "No such invoice: 'in_1'",
                    "type": "invalid_request_error",
                }
            },
        )
        return
    mocked.get(f"{API}/in_1", json=stripe_invoice())
    if how == "pdf 404":
        mocked.get(PDF_URL, status=404, body="Not Found")
    elif how == "pdf 503":
        mocked.get(PDF_URL, status=503, body="Service Unavailable")
    elif how == "pdf timeout":
        mocked.get(PDF_URL, body=requests.exceptions.ReadTimeout("read timed out"))


@pytest.mark.parametrize(
    ("how", "error", "calls"),
    [
        ("invoice 404", "PermanentError", 1),  # 4xx: not retried
        ("pdf 404", "PermanentError", 2),
        ("pdf 503", "TransientError", 1 + 4),  # retried up to max_attempts (4), then given up
        ("pdf timeout", "TransientError", 1 + 4),
    ],
)
def test_a_failed_fetch_attaches_nothing_and_logs_without_personal_data(
    hooks: StripeHooks, caplog: pytest.LogCaptureFixture, how: str, error: str, calls: int
) -> None:
    caplog.set_level(logging.DEBUG)
    with responses.RequestsMock() as mocked:
        failing(mocked, how)
        assert hooks.cobrokit_notice_attachments(notice(line("in_1")), "email") == []
        assert len(mocked.calls) == calls
    (warning,) = [r for r in caplog.records if r.levelno >= logging.WARNING and "not attached" in r.getMessage()]
    assert warning.getMessage() == f"stripe: invoice in_1: copy not attached, fetching it failed ({error})"
    logged = caplog.text
    for private in (DEBTOR.name, DEBTOR.emails[0], KEY, "test_YWNjdF8xTXQ"):  # the link's path is a credential
        assert private not in logged


@pytest.mark.parametrize(
    ("invoice", "body", "reason"),
    [
        # a 1,001-byte PDF against a 1,000-byte cap
        (stripe_invoice(), b"%PDF-" + b"0" * 996, "the PDF is 1,001 bytes, over the 1,000-byte cap"),
        (stripe_invoice(), b"<html>Sign in</html>", "the answer is not a PDF"),
        (stripe_invoice(pdf=None), None, "Stripe has no PDF for it (not finalized)"),
        (
            stripe_invoice(pdf="https://evil.example/x.pdf"),
            None,
            "its invoice_pdf link is not an https URL on stripe.com",
        ),
        (
            stripe_invoice(pdf="http://pay.stripe.com/x.pdf"),
            None,
            "its invoice_pdf link is not an https URL on stripe.com",
        ),
    ],
)
def test_a_copy_that_is_too_large_not_a_pdf_or_missing_is_skipped_with_its_reason(
    backend: StripeBackend, caplog: pytest.LogCaptureFixture, invoice: dict[str, Any], body: bytes | None, reason: str
) -> None:
    hooks = StripeHooks(backend, max_copy_bytes=1000)
    with responses.RequestsMock() as mocked:
        mocked.get(f"{API}/in_1", json=invoice)
        if body is not None:
            mocked.get(PDF_URL, body=body)
        assert hooks.cobrokit_notice_attachments(notice(line("in_1")), "email") == []
        assert len(mocked.calls) == (2 if body is not None else 1)  # a bad link is never followed
    assert f"stripe: invoice in_1: {reason}; not attached" in caplog.text


@pytest.mark.parametrize("channel", ["letter", "sms", "whatsapp", "call", "webhook"])
def test_other_channels_fetch_nothing(hooks: StripeHooks, channel: str) -> None:
    with responses.RequestsMock() as mocked:
        assert hooks.cobrokit_notice_attachments(notice(line("in_1")), channel) == []
        assert len(mocked.calls) == 0


def test_invoices_from_another_source_fetch_nothing(hooks: StripeHooks) -> None:
    imported = SimpleNamespace(invoice_id="in_7", number="F-7", source="csv")  # a line that says where it came from
    with responses.RequestsMock() as mocked:
        assert hooks.cobrokit_notice_attachments(notice(line("F-17"), line("INV-1"), imported), "email") == []
        assert len(mocked.calls) == 0
    assert not from_stripe(imported)  # type: ignore[arg-type]
    assert from_stripe(SimpleNamespace(invoice_id="in_7", source="stripe"))  # type: ignore[arg-type]
    assert not from_stripe(line("in_../../v1/customers"))  # an id that is not Stripe's never reaches a URL


def test_turned_off_by_the_environment(hooks: StripeHooks, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(stripe_plugin.ENV_ATTACH, "0")
    with responses.RequestsMock() as mocked:
        assert hooks.cobrokit_notice_attachments(notice(line("in_1")), "email") == []
        assert len(mocked.calls) == 0


def test_the_installed_plugin_attaches_nothing_without_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    monkeypatch.delenv("COBROKIT_STRIPE_API_KEY_ENV", raising=False)
    with responses.RequestsMock() as mocked:
        assert stripe_plugin.cobrokit_notice_attachments(notice(line("in_1")), "email") == []
        assert len(mocked.calls) == 0


@pytest.mark.parametrize("pdf_status", [200, 500])
def test_the_email_goes_with_the_copy_or_without_it(tmp_path: Path, hooks: StripeHooks, pdf_status: int) -> None:
    store = SQLiteStore.open(tmp_path / "ledger.db")
    due = dt.date(2026, 3, 2)
    store.save(
        debtors=[
            Debtor(
                id="cus_1",
                name="Talleres Ruiz SL",
                emails=("cuentas@ruiz.example",),
                locale="es_ES",
                timezone="Europe/Madrid",
                country="ES",
            )
        ],
        invoices=[
            Invoice(
                id="in_1",
                debtor_id="cus_1",
                issue_date=dt.date(2026, 1, 31),
                due_date=due,
                amount=Money("1210.00", "EUR"),
                number="2026-0001",
                source="stripe",
            )
        ],
    )
    day = due + dt.timedelta(days=1)  # the "oops" reminder, by email
    now = dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC)
    config = default_config()
    host = get_plugin_host(autoload=False, plugins=[("stripe-hooks", hooks)], environ={})
    email = FakeChannel("email")
    with responses.RequestsMock() as mocked:
        mocked.get(f"{API}/in_1", json=stripe_invoice())
        mocked.get(PDF_URL, status=pdf_status, body=PDF_BYTES if pdf_status == 200 else "Internal Server Error")
        run_ladder(store, day, config=config, now=now)
        result = dispatch(store, host, config=config, now=now, channels={"email": email, "sms": FakeChannel("sms")})
    store.close()
    assert result.outcomes["sent"] == 1
    (message,) = email.sent
    expected = [("2026-0001.pdf", PDF_BYTES)] if pdf_status == 200 else []
    assert [(a.filename, a.data) for a in message.attachments] == expected
