"""A crash during a send: a channel that cannot deduplicate leaves the notice ``unknown``
(recorded), then ``run.on_unknown`` resends it or holds it; a channel that honours
idempotency keys is simply sent again with the same key."""

import datetime as dt
import email
import email.policy
from pathlib import Path

import attrs
import pytest

from cobrokit.channel import Message
from cobrokit.dispatch import HELD, RESEND_PENDING, dispatch
from cobrokit.engine import run_ladder
from cobrokit.ladder.config import default_config
from cobrokit.model import Address, Debtor
from cobrokit.notice import Notice
from cobrokit.plugins import get_plugin_host
from cobrokit.store import journal as jr
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import make_invoice, recorders

CONFIG = default_config()
HOLD = attrs.evolve(CONFIG, run=attrs.evolve(CONFIG.run, on_unknown="hold"))
HOST = get_plugin_host(autoload=False)
DUE = dt.date(2026, 3, 2)
OOPS_DAY = DUE + dt.timedelta(days=1)  # the default ladder's "oops", by email first
NOW = dt.datetime.combine(OOPS_DAY, dt.time(10), tzinfo=dt.UTC)  # 11:00 in Madrid: inside the window
KEY = "default/D1/oops/EUR1/email"


class Killed(BaseException):
    """Stands for the process dying (kill -9) in the middle of a dispatch."""


def plain_render(notice: Notice, channel: str) -> Message:
    return Message(
        key=notice.key,
        tenant=notice.tenant,
        debtor_id=notice.debtor.id,
        stage=notice.stage,
        channel=channel,
        recipient=notice.debtor.emails[0],
        subject=notice.stage,
        text=str(notice.total_due),
    )


def killed_render(notice: Notice, channel: str) -> Message:
    raise Killed


@pytest.fixture
def ledger(store: SQLiteStore) -> SQLiteStore:
    debtor = Debtor(
        id="D1",
        name="Talleres Ruiz SL",
        emails=("cuentas@ruiz.example",),
        phones=("+34600000001",),
        address=Address(lines=("Calle Mayor 1",), city="Madrid", postal_code="28013", country="ES"),
        locale="es_ES",
        timezone="Europe/Madrid",
        country="ES",
    )
    store.save(debtors=[debtor], invoices=[make_invoice("F1", "D1", "1210.00", issue="2026-01-31", due=str(DUE))])
    run_ladder(store, OOPS_DAY, config=CONFIG, now=NOW)
    return store


def crash_while_sending(store: SQLiteStore) -> None:
    """What a kill -9 between "sending" and "sent" leaves behind."""
    with store.transaction() as conn:
        conn.execute("UPDATE outbox SET status = 'sending', attempts = 1")


def row(store: SQLiteStore) -> jr.OutboxRow:
    [only] = jr.iter_outbox(store, "default")
    return only


def delivery_kinds(store: SQLiteStore) -> list[str]:
    return [r.kind for r in jr.iter_journal(store, "default") if r.key == KEY]


def test_resend_marks_the_row_unknown_first_then_sends_it_again(ledger: SQLiteStore) -> None:
    crash_while_sending(ledger)
    chans = recorders()
    chans["email"].honours_idempotency = False  # like SMTP
    result = dispatch(ledger, HOST, config=CONFIG, now=NOW, channels=chans, render=plain_render)
    assert result.outcomes == {"sent": 1} and [m.key for m in chans["email"].sent] == [KEY]
    assert row(ledger).status == "sent"
    assert delivery_kinds(ledger) == ["delivery_unknown", "delivery_retry_after_crash", "delivered"]
    unknown = next(r for r in jr.iter_journal(ledger, "default") if r.kind == "delivery_unknown")
    assert "cannot deduplicate" in unknown.reason and "may or may not have gone out" in unknown.reason
    # settled: the next dispatch leaves it alone
    assert dispatch(ledger, HOST, config=CONFIG, now=NOW, channels=chans, render=plain_render).outcomes == {}


def test_a_crash_between_unknown_and_the_resend_loses_nothing(ledger: SQLiteStore) -> None:
    crash_while_sending(ledger)
    chans = recorders()
    chans["email"].honours_idempotency = False
    with pytest.raises(Killed):  # dies while rendering, after the row was marked unknown
        dispatch(ledger, HOST, config=CONFIG, now=NOW, channels=chans, render=killed_render)
    assert (row(ledger).status, row(ledger).detail) == ("unknown", RESEND_PENDING)
    assert chans["email"].sent == []
    # the next dispatch resends it, without recording the uncertainty a second time
    result = dispatch(ledger, HOST, config=CONFIG, now=NOW, channels=chans, render=plain_render)
    assert result.outcomes == {"sent": 1} and len(chans["email"].sent) == 1
    assert delivery_kinds(ledger) == ["delivery_unknown", "delivery_retry_after_crash", "delivered"]


def test_a_pending_resend_still_respects_the_contact_window(ledger: SQLiteStore) -> None:
    crash_while_sending(ledger)
    chans = recorders()
    chans["email"].honours_idempotency = False
    late = NOW.replace(hour=21)  # 22:00 in Madrid (CET): after the window
    assert dispatch(ledger, HOST, config=CONFIG, now=late, channels=chans, render=plain_render).outcomes == {
        "waiting": 1
    }
    assert row(ledger).status == "unknown" and chans["email"].sent == []
    # next morning 08:00 Madrid = 07:00 UTC
    morning = dt.datetime.combine(OOPS_DAY + dt.timedelta(days=1), dt.time(7), tzinfo=dt.UTC)
    assert dispatch(ledger, HOST, config=CONFIG, now=morning, channels=chans, render=plain_render).outcomes == {
        "sent": 1
    }


def test_hold_keeps_the_row_unknown_and_never_resends_it(ledger: SQLiteStore) -> None:
    crash_while_sending(ledger)
    chans = recorders()
    chans["email"].honours_idempotency = False
    assert dispatch(ledger, HOST, config=HOLD, now=NOW, channels=chans, render=plain_render).outcomes == {"unknown": 1}
    assert (row(ledger).status, row(ledger).detail) == ("unknown", HELD)
    assert delivery_kinds(ledger) == ["delivery_unknown"]
    assert "not resent (run.on_unknown = hold)" in next(
        r.reason for r in jr.iter_journal(ledger, "default") if r.kind == "delivery_unknown"
    )
    # held for a person: neither a later dispatch nor one with on_unknown = resend sends it
    for config in (HOLD, CONFIG):
        assert dispatch(ledger, HOST, config=config, now=NOW, channels=chans, render=plain_render).outcomes == {}
    assert chans["email"].sent == []


def test_a_channel_that_honours_idempotency_keys_is_resent_with_the_same_key(ledger: SQLiteStore) -> None:
    crash_while_sending(ledger)
    chans = recorders()  # recorders honour idempotency keys
    for config in (CONFIG, HOLD):  # whatever on_unknown says: the provider drops a repeat
        with ledger.transaction() as conn:
            conn.execute("UPDATE outbox SET status = 'sending'")
        assert dispatch(ledger, HOST, config=config, now=NOW, channels=chans, render=plain_render).outcomes == {
            "sent": 1
        }
    assert [m.key for m in chans["email"].sent] == [KEY, KEY]
    kinds = delivery_kinds(ledger)
    assert "delivery_unknown" not in kinds
    assert kinds == ["delivery_retry_after_crash", "delivered"] * 2


def test_the_built_in_channel_is_asked_whether_it_deduplicates(ledger: SQLiteStore, tmp_path: Path) -> None:
    # no channel objects given: the dispatcher builds them from the plugin host. The folder
    # transport of the email channel honours idempotency keys (same key, same file).
    folder = tmp_path / "outbox"
    settings = {"transport": "folder", "folder": str(folder), "from_address": "Cobros <cobros@acme.example>"}
    config = attrs.evolve(HOLD, channels={**HOLD.channels, "email": settings})
    crash_while_sending(ledger)
    assert dispatch(ledger, HOST, config=config, now=NOW).outcomes == {"sent": 1}
    assert "delivery_unknown" not in delivery_kinds(ledger)
    [eml] = folder.glob("*.eml")
    parsed = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert parsed["To"] == "cuentas@ruiz.example"
