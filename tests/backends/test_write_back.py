"""Write-back after delivery: a note on the customer record and the stage's fee as a charge — once each,
only when the backend declares it, never blocking the notice."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs
import pytest
import responses

from cobrokit.backend import Capability
from cobrokit.channel import DeliveryReceipt, DeliveryStatus, Message
from cobrokit.dispatch import DispatchResult, build_notice, dispatch, record_receipt
from cobrokit.engine import run_ladder
from cobrokit.errors import ConfigError, TransientError
from cobrokit.ladder.config import Config, parse_config
from cobrokit.model import Address, Debtor, Invoice
from cobrokit.money import Money
from cobrokit.notice import InterestSummary, Notice
from cobrokit.plugins import get_plugin_host
from cobrokit.plugins.manager import PluginHost
from cobrokit.store import journal as jr
from cobrokit.store.sqlite import SQLiteStore
from cobrokit.testing import FakeBackend, FakeChannel, FakeClock, backend_plugin
from cobrokit.writeback import WriteBack, note_text

DUE = dt.date(2026, 3, 2)  # a Monday
DAY = DUE + dt.timedelta(days=10)  # the ultimatum's offset
NOW = dt.datetime.combine(DAY, dt.time(10), tzinfo=dt.UTC)
BOTH = (Capability.ADD_NOTE, Capability.POST_CHARGE)


def config(**backend: Any) -> Config:
    """A two-stage ladder; the ultimatum (email, then letter) charges a EUR 15.00 fee."""
    data: dict[str, Any] = {
        "guardrails": {"no_contact_on_holidays": False, "min_gap_days": 0},
        "run": {"first_contact_max": "ultimatum"},
        "plans": {"breach_resume": "ultimatum"},
        "ladders": [
            {
                "name": "default",
                "stages": [
                    {"id": "oops", "offset": 1, "channels": ["email"]},
                    {
                        "id": "ultimatum",
                        "offset": 10,
                        "channels": ["email", "letter"],
                        "fee": {"fixed": "15.00", "currency": "EUR"},
                    },
                ],
            }
        ],
    }
    if backend:
        data["backend"] = backend
    return parse_config(data, source="test")


def render(notice: Notice, channel: str) -> Message:
    return Message(
        key=notice.key,
        tenant=notice.tenant,
        debtor_id=notice.debtor.id,
        stage=notice.stage,
        channel=channel,
        recipient=notice.debtor.emails[0],
        subject=f"{notice.stage} {notice.total_due}",
        text=str(notice.total_due),
    )


def seed(store: SQLiteStore, source: str) -> SQLiteStore:
    """One debtor with one overdue invoice synced from the backend named *source*, and today's run."""
    store.save(
        debtors=[
            Debtor(
                id="D1",
                name="Talleres Ruiz SL",
                emails=("cuentas@ruiz.example",),
                address=Address(lines=("Calle Mayor 1",), city="Madrid", postal_code="28013", country="ES"),
            )
        ],
        invoices=[
            Invoice(
                id="F1",
                debtor_id="D1",
                issue_date=dt.date(2026, 1, 31),
                due_date=DUE,
                amount=Money("1210.00", "EUR"),
                number="2026-0001",
                source=source,
            )
        ],
    )
    run_ladder(store, DAY, config=config(), now=NOW)
    return store


@pytest.fixture
def ledger(store: SQLiteStore) -> SQLiteStore:
    """The ledger of a debtor whose invoice came from the backend named "fake"."""
    return seed(store, "fake")


@pytest.fixture
def channels() -> dict[str, FakeChannel]:
    return {"email": FakeChannel("email"), "letter": FakeChannel("letter")}


def deliver(
    store: SQLiteStore,
    channels: dict[str, FakeChannel],
    write_back: WriteBack | None = None,
    *,
    cfg: Config | None = None,
    host: PluginHost | None = None,
) -> DispatchResult:
    return dispatch(
        store,
        host or get_plugin_host(autoload=False),
        config=cfg or config(),
        now=NOW,
        channels=channels,  # type: ignore[arg-type]
        render=render,
        write_back=write_back,
    )


def journal(store: SQLiteStore, *kinds: str) -> list[jr.JournalRow]:
    return [row for row in jr.iter_journal(store, "default") if row.kind in kinds]


def outbox_key(store: SQLiteStore, channel: str) -> str:
    (key,) = store.conn.execute("SELECT key FROM outbox WHERE channel = ?", (channel,)).fetchone()
    return str(key)


def fee_key(store: SQLiteStore) -> str:
    (key,) = store.conn.execute("SELECT key FROM fee WHERE stage = 'ultimatum'").fetchone()
    return str(key)


def test_a_delivered_notice_is_noted_and_its_fee_charged_with_the_effects_keys(
    ledger: SQLiteStore, channels: dict[str, FakeChannel]
) -> None:
    backend = FakeBackend(capabilities=BOTH)
    assert deliver(ledger, channels, WriteBack(backend)).outcomes == {"sent": 1}
    notice_key, charged = outbox_key(ledger, "email"), fee_key(ledger)
    assert [method for method, _ in backend.attempts] == ["add_note", "post_charge"]
    (_, note), (_, charge) = backend.attempts
    assert note["key"] == f"{notice_key}:note" and note["debtor_id"] == "D1" and note["invoice_id"] == ""
    # what was sent: stage, channel, date, amounts — 1210.00 open + 15.00 fee = 1225.00 due
    for fact in ('"ultimatum"', "by email", DAY.isoformat(), "EUR 1210.00", "fees EUR 15.00", "total due EUR 1225.00"):
        assert fact in note["text"], fact
    assert "cuentas@ruiz.example" not in note["text"] and "Calle Mayor" not in note["text"]  # no contact detail
    assert charge["key"] == f"{charged}:charge" and charge["amount"] == Money("15.00", "EUR")
    assert charge["invoice_id"] == "F1" and "ultimatum" in charge["description"]
    lines = journal(ledger, "backend_note", "backend_charge")
    assert [(r.kind, r.key) for r in lines] == [("backend_note", note["key"]), ("backend_charge", charge["key"])]
    assert all(r.reason.startswith("fake: ") for r in lines)  # the backend's own description


def test_re_dispatching_or_delivering_the_stage_again_never_writes_twice(
    ledger: SQLiteStore, channels: dict[str, FakeChannel]
) -> None:
    backend = FakeBackend(capabilities=BOTH)
    write_back = WriteBack(backend)
    deliver(ledger, channels, write_back)
    assert deliver(ledger, channels, write_back).outcomes == {}  # nothing due: nothing written
    assert len(backend.attempts) == 2
    # the email bounces later: the stage's letter goes out — a new note, but the fee was posted already
    record_receipt(ledger, DeliveryReceipt(DeliveryStatus.FAILED_PERMANENT, provider_id="email-1"), now=NOW)
    assert deliver(ledger, channels, write_back).outcomes == {"sent": 1}
    assert [(m, c["key"]) for m, c in backend.attempts[2:]] == [("add_note", f"{outbox_key(ledger, 'letter')}:note")]
    assert "by letter" in backend.attempts[2][1]["text"]
    assert [r.key for r in journal(ledger, "backend_charge")] == [f"{fee_key(ledger)}:charge"]


def test_a_journaled_write_back_is_not_made_again_after_a_crash(
    ledger: SQLiteStore, channels: dict[str, FakeChannel]
) -> None:
    """The journal, not the backend's memory, decides: a fresh backend object is not asked again."""
    deliver(ledger, channels, WriteBack(FakeBackend(capabilities=BOTH)))
    record_receipt(ledger, DeliveryReceipt(DeliveryStatus.FAILED_PERMANENT, provider_id="email-1"), now=NOW)
    after_restart = FakeBackend(capabilities=BOTH)
    deliver(ledger, channels, WriteBack(after_restart))
    assert [m for m, _ in after_restart.attempts] == ["add_note"]  # the letter's note; no second charge


@pytest.mark.parametrize(
    ("declared", "called"),
    [
        ((), []),
        ((Capability.ADD_NOTE,), ["add_note"]),
        ((Capability.POST_CHARGE,), ["post_charge"]),
        ((Capability.PAYMENT_LINK, Capability.SUSPEND_SERVICE), []),
    ],
)
def test_only_what_the_backend_declares_is_called(
    ledger: SQLiteStore, channels: dict[str, FakeChannel], declared: tuple[Capability, ...], called: list[str]
) -> None:
    backend = FakeBackend(capabilities=declared)  # it has every method; only the declared ones may be used
    assert deliver(ledger, channels, WriteBack(backend)).outcomes == {"sent": 1}
    assert [method for method, _ in backend.attempts] == called
    assert [r.kind for r in journal(ledger, "backend_note", "backend_charge")] == [
        f"backend_{c.split('_')[1]}" for c in called
    ]


def test_only_the_wanted_write_backs_are_made(ledger: SQLiteStore, channels: dict[str, FakeChannel]) -> None:
    backend = FakeBackend(capabilities=BOTH)
    deliver(ledger, channels, WriteBack(backend, wanted={Capability.ADD_NOTE}))
    assert [method for method, _ in backend.attempts] == ["add_note"]


def test_a_failed_write_back_is_journaled_and_the_notice_stays_sent(
    ledger: SQLiteStore, channels: dict[str, FakeChannel]
) -> None:
    backend = FakeBackend(capabilities=BOTH, write_failures=[TransientError("fake", "503 from the provider")])
    assert deliver(ledger, channels, WriteBack(backend)).outcomes == {"sent": 1}
    assert len(channels["email"].sent) == 1
    (status,) = ledger.conn.execute("SELECT status FROM outbox WHERE channel = 'email'").fetchone()
    assert status == "sent"
    (failed,) = journal(ledger, "backend_note_failed")
    assert failed.key == f"{outbox_key(ledger, 'email')}:note"
    assert "TransientError" in failed.reason and "503 from the provider" in failed.reason
    assert [r.kind for r in journal(ledger, "backend_note", "backend_charge")] == ["backend_charge"]  # the next one ran


def test_a_charge_that_failed_is_posted_with_the_next_delivery_of_its_stage(
    ledger: SQLiteStore, channels: dict[str, FakeChannel]
) -> None:
    class ChargeFailsOnce(FakeBackend):
        def post_charge(self, **arguments: Any) -> str:
            if not any(m == "post_charge" for m, _ in self.attempts):
                self.attempts.append(("post_charge", arguments))
                raise RuntimeError("connection reset")
            return super().post_charge(**arguments)

    backend = ChargeFailsOnce(capabilities=BOTH)
    deliver(ledger, channels, WriteBack(backend))
    record_receipt(ledger, DeliveryReceipt(DeliveryStatus.FAILED_PERMANENT, provider_id="email-1"), now=NOW)
    deliver(ledger, channels, WriteBack(backend))
    charge = f"{fee_key(ledger)}:charge"
    assert [c["key"] for m, c in backend.attempts if m == "post_charge"] == [charge, charge]  # same key both times
    assert [r.kind for r in journal(ledger, "backend_charge_failed", "backend_charge")] == [
        "backend_charge_failed",
        "backend_charge",
    ]
    # the letter's delivery notes first, then posts the fee that failed with the email's
    assert list(backend.writes) == [
        f"{outbox_key(ledger, 'email')}:note",
        f"{outbox_key(ledger, 'letter')}:note",
        charge,
    ]


def test_a_debtor_whose_invoices_came_from_elsewhere_is_not_written(
    store: SQLiteStore, channels: dict[str, FakeChannel]
) -> None:
    store.save(
        debtors=[Debtor(id="D2", name="Panadería Sol", emails=("hola@sol.example",))],
        invoices=[
            Invoice(
                id="F2",
                debtor_id="D2",
                issue_date=dt.date(2026, 1, 31),
                due_date=DUE,
                amount=Money("363.00", "EUR"),
            )  # imported into the embedded ledger: source "sqlite"
        ],
    )
    run_ladder(store, DAY, config=config(), now=NOW)
    backend = FakeBackend(capabilities=BOTH)
    assert deliver(store, channels, WriteBack(backend)).outcomes == {"sent": 1}
    assert backend.attempts == []


def test_without_a_configured_backend_nothing_is_called(ledger: SQLiteStore, channels: dict[str, FakeChannel]) -> None:
    backend = FakeBackend(capabilities=BOTH)
    host = get_plugin_host(autoload=False, plugins=[("fake-backend", backend_plugin(backend))])
    assert deliver(ledger, channels, host=host).outcomes == {"sent": 1}
    switched_off = config(name="fake", write_back=False)
    record_receipt(ledger, DeliveryReceipt(DeliveryStatus.FAILED_PERMANENT, provider_id="email-1"), now=NOW)
    assert deliver(ledger, channels, cfg=switched_off, host=host).outcomes == {"sent": 1}
    assert backend.attempts == [] and journal(ledger, "backend_note", "backend_charge") == []


def test_the_backend_table_of_the_configuration_turns_write_back_on(
    ledger: SQLiteStore, channels: dict[str, FakeChannel]
) -> None:
    backend = FakeBackend(capabilities=BOTH)
    host = get_plugin_host(autoload=False, plugins=[("fake-backend", backend_plugin(backend))])
    cfg = config(name="fake", write_back=["post_charge"], settings={"page_size": 10})
    assert deliver(ledger, channels, cfg=cfg, host=host).outcomes == {"sent": 1}
    assert [method for method, _ in backend.attempts] == ["post_charge"]


def test_a_backend_that_cannot_be_built_fails_its_write_backs_not_the_notice(
    ledger: SQLiteStore, channels: dict[str, FakeChannel]
) -> None:
    cfg = config(name="not-installed", write_back=True)
    assert deliver(ledger, channels, cfg=cfg).outcomes == {"sent": 1}
    failed = journal(ledger, "backend_note_failed", "backend_charge_failed")
    assert [(r.kind, r.key) for r in failed] == [
        ("backend_note_failed", f"{outbox_key(ledger, 'email')}:note"),
        ("backend_charge_failed", f"{fee_key(ledger)}:charge"),
    ]
    assert all("PluginError" in r.reason and "not-installed" in r.reason for r in failed)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"write_back": True}, "write_back needs the backend's name"),
        ({"name": "xero", "write_back": ["notes"]}, "expected true, false or a list of add_note, post_charge"),
        ({"name": "xero", "write_back": "yes"}, "backend.write_back: expected bool or list"),
        ({"name": "xero", "writeback": True}, "unknown key(s): writeback"),
    ],
)
def test_bad_backend_tables_are_refused_naming_the_key(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        config(**table)


def test_write_back_is_off_unless_asked_for() -> None:
    assert config().backend.write_back == frozenset()
    assert config(name="xero").backend.write_back == frozenset()
    assert config(name="xero", write_back=True).backend.write_back == {"add_note", "post_charge"}


def test_the_note_carries_interest_and_the_firm_date_when_the_notice_does(ledger: SQLiteStore) -> None:
    (row,) = jr.iter_outbox(ledger, "default")
    interest = InterestSummary(
        regime="es-commercial", interest=Money("12.34", "EUR"), compensation=Money("40.00", "EUR"), day_count="act/365"
    )
    notice = attrs.evolve(build_notice(ledger, row, config()), interest=interest, firm_date=DAY)
    text = note_text(notice, channel="letter", sent_on=DAY)
    # 1210.00 open + 15.00 fee + 12.34 interest + 40.00 compensation = 1277.34
    assert "interest EUR 12.34" in text and "compensation EUR 40.00" in text
    assert "total due EUR 1277.34" in text and f"pay by {DAY.isoformat()}" in text and "by letter" in text


# -- the first-party backends that declare these write-backs, over (mocked) HTTP -------------------------


def test_xero_gets_a_history_note_on_the_contact_with_the_key(
    store: SQLiteStore, channels: dict[str, FakeChannel], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cobrokit_xero import XeroBackend

    monkeypatch.setenv("XERO_TEST_TOKEN", "xero-token")
    backend = XeroBackend.from_settings(
        {"access_token_env": "XERO_TEST_TOKEN", "tenant_id": "70784a63-d24b-46a9-a4db-0e70a274b056"}, clock=FakeClock()
    )
    seed(store, "xero")
    with responses.RequestsMock() as mocked:  # any other request (a charge) would fail the test
        mocked.put("https://api.xero.com/api.xro/2.0/Contacts/D1/History", json={"HistoryRecords": []})
        assert deliver(store, channels, WriteBack(backend)).outcomes == {"sent": 1}
        (call,) = mocked.calls
    assert call.request.headers["Idempotency-Key"] == f"{outbox_key(store, 'email')}:note"
    details = json.loads(call.request.body or "{}")["HistoryRecords"][0]["Details"]
    assert '"ultimatum" notice by email' in details and "total due EUR 1225.00" in details
    assert [r.reason for r in journal(store, "backend_note")] == ["xero: note added to contact D1"]


def test_quickbooks_gets_the_fee_as_a_charge_invoice_with_the_request_id(
    store: SQLiteStore, channels: dict[str, FakeChannel], monkeypatch: pytest.MonkeyPatch
) -> None:
    from cobrokit_quickbooks import QuickBooksBackend
    from cobrokit_quickbooks.backend import request_id

    realm = "9130350396253926"
    monkeypatch.setenv("QBO_TEST_TOKEN", "qbo-token")
    backend = QuickBooksBackend.from_settings(
        {"access_token_env": "QBO_TEST_TOKEN", "realm_id": realm, "charge_item_id": "21"}, clock=FakeClock()
    )
    seed(store, "quickbooks")
    with responses.RequestsMock() as mocked:  # any other request (a note) would fail the test
        mocked.post(f"https://quickbooks.api.intuit.com/v3/company/{realm}/invoice", json={"Invoice": {"Id": "240"}})
        assert deliver(store, channels, WriteBack(backend)).outcomes == {"sent": 1}
        (call,) = mocked.calls
    assert parse_qs(urlsplit(call.request.url or "").query)["requestid"] == [request_id(f"{fee_key(store)}:charge")]
    body = json.loads(call.request.body or "{}", parse_float=Decimal)
    assert body["CustomerRef"] == {"value": "D1"} and body["Line"][0]["Amount"] == Decimal("15.00")
    assert [r.reason for r in journal(store, "backend_charge")] == ["quickbooks: charge invoice 240 for EUR 15.00"]
