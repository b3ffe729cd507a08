"""Invoice PDFs attached to email notices (``cobrokit_notice_attachments``), on Xero's documented shapes.

Xero answers ``GET /api.xro/2.0/Invoices/{InvoiceID}`` with the invoice as a PDF when the
request says ``Accept: application/pdf`` (``getInvoiceAsPdf``); ``xero-tenant-id`` and the
bearer token as on every call.
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
from cobrokit_xero import XeroBackend, XeroHooks
from cobrokit_xero import plugin as xero_plugin
from cobrokit_xero.plugin import from_environment, from_xero

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

TOKEN = "xero-access-token-never-logged"
TENANT_ID = "70784a63-d24b-46a9-a4db-0e70a274b056"
INVOICE_ID = "9b9ba9e5-e907-4b4e-8210-54d82b0aa001"
URL = f"https://api.xero.com/api.xro/2.0/Invoices/{INVOICE_ID}"
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
DEBTOR = Debtor(id="025867f1-d741-4d6b-b1af-9ac774b59ba7", name="City Agency", emails=("accounts@cityagency.example",))


def line(invoice_id: str, number: str = "") -> NoticeLine:
    return NoticeLine(
        invoice_id=invoice_id,
        number=number or invoice_id,
        issue_date=dt.date(2026, 1, 31),
        due_date=dt.date(2026, 3, 2),
        days_overdue=30,
        amount=Money("1001.01", "NZD"),
        open=Money("1001.01", "NZD"),
    )


def notice(*lines: Any) -> Notice:
    return Notice(
        key=f"default/{DEBTOR.id}/oops/NZD1/email",
        tenant="default",
        debtor=DEBTOR,
        creditor=Creditor(),
        stage="oops",
        template="oops",
        tone="friendly",
        as_of=dt.date(2026, 4, 1),
        currency="NZD",
        lines=tuple(lines),
        principal=Money("1001.01", "NZD"),
        fees=Money("0.00", "NZD"),
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> XeroBackend:
    monkeypatch.setenv("XERO_TEST_TOKEN", TOKEN)
    monkeypatch.delenv(xero_plugin.ENV_ATTACH, raising=False)
    return XeroBackend.from_settings({"access_token_env": "XERO_TEST_TOKEN", "tenant_id": TENANT_ID}, clock=clock)


@pytest.fixture
def hooks(backend: XeroBackend) -> XeroHooks:
    return XeroHooks(backend)


def test_the_pdf_of_each_xero_invoice_is_attached_as_its_number(hooks: XeroHooks) -> None:
    with responses.RequestsMock() as mocked:
        mocked.get(URL, body=PDF_BYTES, content_type="application/pdf")
        files = hooks.cobrokit_notice_attachments(notice(line(INVOICE_ID, "INV-0001"), line("F-17")), "email")
        (call,) = mocked.calls
    assert files == [Attachment("INV-0001.pdf", "application/pdf", PDF_BYTES)]
    assert call.request.headers["Accept"] == "application/pdf"
    assert call.request.headers["xero-tenant-id"] == TENANT_ID
    assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_a_429_with_retry_after_is_waited_out_and_retried(hooks: XeroHooks, clock: FakeClock) -> None:
    with responses.RequestsMock() as mocked:
        mocked.get(URL, status=429, headers={"Retry-After": "5"})
        mocked.get(URL, body=PDF_BYTES)
        files = hooks.cobrokit_notice_attachments(notice(line(INVOICE_ID, "INV-0001")), "email")
        assert len(mocked.calls) == 2
    assert clock.sleeps == [5.0]
    assert [f.data for f in files] == [PDF_BYTES]


def failing(mocked: responses.RequestsMock, how: str) -> None:
    if how == "404":
        mocked.get(URL, status=404, body="The resource you're looking for cannot be found")
    elif how == "401":
        mocked.get(
            URL,
            status=401,
            json={"Title": "Unauthorized", "Status": 401, "Detail": "AuthenticationUnsuccessful"},
        )
    elif how == "503":
        mocked.get(URL, status=503, body="Service Unavailable")
    elif how == "timeout":
        mocked.get(URL, body=requests.exceptions.ReadTimeout("read timed out"))


@pytest.mark.parametrize(
    ("how", "error", "calls"),
    [
        ("404", "PermanentError", 1),  # 4xx: not retried
        ("401", "AuthError", 1),  # an expired token
        ("503", "TransientError", 4),  # retried up to max_attempts (4), then given up
        ("timeout", "TransientError", 4),
    ],
)
def test_a_failed_fetch_attaches_nothing_and_logs_without_personal_data(
    hooks: XeroHooks, caplog: pytest.LogCaptureFixture, how: str, error: str, calls: int
) -> None:
    caplog.set_level(logging.DEBUG)
    with responses.RequestsMock() as mocked:
        failing(mocked, how)
        assert hooks.cobrokit_notice_attachments(notice(line(INVOICE_ID, "INV-0001")), "email") == []
        assert len(mocked.calls) == calls
    (warning,) = [r for r in caplog.records if r.levelno >= logging.WARNING and "not attached" in r.getMessage()]
    assert warning.getMessage() == f"xero: invoice {INVOICE_ID}: copy not attached, fetching it failed ({error})"
    for private in (DEBTOR.name, DEBTOR.emails[0], TOKEN):
        assert private not in caplog.text


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        # a 1,001-byte PDF against a 1,000-byte cap
        (b"%PDF-" + b"0" * 996, "the PDF is 1,001 bytes, over the 1,000-byte cap"),
        (b'{"Invoices": []}', "the answer is not a PDF"),  # JSON where a PDF was asked for
    ],
)
def test_a_copy_that_is_too_large_or_not_a_pdf_is_skipped_with_its_reason(
    backend: XeroBackend, caplog: pytest.LogCaptureFixture, body: bytes, reason: str
) -> None:
    hooks = XeroHooks(backend, max_copy_bytes=1000)
    with responses.RequestsMock() as mocked:
        mocked.get(URL, body=body)
        assert hooks.cobrokit_notice_attachments(notice(line(INVOICE_ID)), "email") == []
    assert f"xero: invoice {INVOICE_ID}: {reason}; not attached" in caplog.text


@pytest.mark.parametrize("channel", ["letter", "sms", "whatsapp", "call", "webhook"])
def test_other_channels_fetch_nothing(hooks: XeroHooks, channel: str) -> None:
    with responses.RequestsMock() as mocked:
        assert hooks.cobrokit_notice_attachments(notice(line(INVOICE_ID)), channel) == []
        assert len(mocked.calls) == 0


def test_invoices_from_another_source_fetch_nothing(hooks: XeroHooks) -> None:
    other = "5e2a4a4c-3d6c-4f1f-9f5b-6a8f0c1d2e3f"
    imported = SimpleNamespace(invoice_id=other, number="F-7", source="csv")  # a line that says where it came from
    with responses.RequestsMock() as mocked:
        assert hooks.cobrokit_notice_attachments(notice(line("F-17"), line("in_1"), imported), "email") == []
        assert len(mocked.calls) == 0
    assert not from_xero(imported)  # type: ignore[arg-type]
    assert from_xero(SimpleNamespace(invoice_id=other, source="xero"))  # type: ignore[arg-type]
    assert not from_xero(line("../Contacts"))  # an id that is not a UUID never reaches a URL


def test_turned_off_by_the_environment(hooks: XeroHooks, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(xero_plugin.ENV_ATTACH, "off")
    with responses.RequestsMock() as mocked:
        assert hooks.cobrokit_notice_attachments(notice(line(INVOICE_ID)), "email") == []
        assert len(mocked.calls) == 0


def test_the_installed_plugin_needs_a_token_and_a_tenant_id(monkeypatch: pytest.MonkeyPatch) -> None:
    assert from_environment({}) is None
    assert from_environment({"XERO_ACCESS_TOKEN": TOKEN}) is None  # no organisation
    assert from_environment({"COBROKIT_XERO_TENANT_ID": TENANT_ID}) is None  # no token
    built = from_environment(
        {"COBROKIT_XERO_ACCESS_TOKEN_ENV": "MY_TOKEN", "MY_TOKEN": TOKEN, "COBROKIT_XERO_TENANT_ID": TENANT_ID}
    )
    assert built is not None and built.http.session.headers["xero-tenant-id"] == TENANT_ID
    for name in ("XERO_ACCESS_TOKEN", "COBROKIT_XERO_ACCESS_TOKEN_ENV", "COBROKIT_XERO_TENANT_ID"):
        monkeypatch.delenv(name, raising=False)
    with responses.RequestsMock() as mocked:
        assert xero_plugin.cobrokit_notice_attachments(notice(line(INVOICE_ID)), "email") == []
        assert len(mocked.calls) == 0


@pytest.mark.parametrize("status", [200, 404])
def test_the_email_goes_with_the_copy_or_without_it(tmp_path: Path, hooks: XeroHooks, status: int) -> None:
    store = SQLiteStore.open(tmp_path / "ledger.db")
    due = dt.date(2026, 3, 2)
    store.save(
        debtors=[
            Debtor(
                id=DEBTOR.id,
                name=DEBTOR.name,
                emails=DEBTOR.emails,
                locale="en_NZ",
                timezone="Pacific/Auckland",
                country="NZ",
            )
        ],
        invoices=[
            Invoice(
                id=INVOICE_ID,
                debtor_id=DEBTOR.id,
                issue_date=dt.date(2026, 1, 31),
                due_date=due,
                amount=Money("1001.01", "NZD"),
                number="INV-0001",
                source="xero",
            )
        ],
    )
    day = due + dt.timedelta(days=1)  # the "oops" reminder, by email
    now = dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)  # 13:00 in Auckland
    config = default_config()
    host = get_plugin_host(autoload=False, plugins=[("xero-hooks", hooks)], environ={})
    email = FakeChannel("email")
    with responses.RequestsMock() as mocked:
        mocked.get(URL, status=status, body=PDF_BYTES if status == 200 else "Not Found")
        run_ladder(store, day, config=config, now=now)
        result = dispatch(store, host, config=config, now=now, channels={"email": email, "sms": FakeChannel("sms")})
    store.close()
    assert result.outcomes["sent"] == 1
    (message,) = email.sent
    expected = [("INV-0001.pdf", PDF_BYTES)] if status == 200 else []
    assert [(a.filename, a.data) for a in message.attachments] == expected
