"""Channels date what they write from the notice's business date, never the machine's clock."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import zoneinfo
from pathlib import Path

import attrs
from pypdf import PdfReader

from cobrokit.builtin.calls import CallListChannel, load_call_tasks
from cobrokit.builtin.email import EmailChannel, EmailSettings
from cobrokit.builtin.letter import LetterChannel
from cobrokit.channel import DeliveryStatus, Message
from cobrokit.notice import Notice
from cobrokit.rendering import message_datetime, render_notice
from tests.notices.sample import make_notice

AS_OF = dt.date(2025, 8, 4)
MADRID = zoneinfo.ZoneInfo("Europe/Madrid")
WRONG_CLOCK = dt.datetime(2031, 12, 24, 23, 59, tzinfo=dt.UTC)  # what the machine would say


def notice(stage: str = "oops") -> Notice:
    base = make_notice(stage=stage, as_of=AS_OF)
    return attrs.evolve(base, debtor=attrs.evolve(base.debtor, timezone="Europe/Madrid"))


def eml(folder: Path, message: Message) -> email.message.EmailMessage:
    settings = EmailSettings.from_mapping(
        {"from_address": "Cobros <cobros@suministros.example>", "transport": "folder", "folder": str(folder)}
    )
    receipt = EmailChannel(settings, clock=lambda: WRONG_CLOCK).send(message)
    assert receipt.status is DeliveryStatus.SENT, receipt.detail
    [path] = folder.glob("*.eml")
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(parsed, email.message.EmailMessage)
    return parsed


def test_rendered_messages_carry_the_business_date_and_zone() -> None:
    message = render_notice(notice(), "email")
    assert message.metadata["as_of"] == "2025-08-04" and message.metadata["timezone"] == "Europe/Madrid"
    # 4 Aug 2025 at the default contact-window start (08:00) in Madrid (CEST, UTC+2)
    assert message_datetime(message) == dt.datetime(2025, 8, 4, 8, 0, tzinfo=MADRID)
    assert message_datetime(message).utcoffset() == dt.timedelta(hours=2)  # type: ignore[union-attr]


def test_email_date_header_is_the_notice_date(tmp_path: Path) -> None:
    parsed = eml(tmp_path, render_notice(notice(), "email"))
    assert parsed["Date"] == "Mon, 04 Aug 2025 08:00:00 +0200"
    assert email.utils.parsedate_to_datetime(str(parsed["Date"])) == dt.datetime(2025, 8, 4, 8, 0, tzinfo=MADRID)


def test_a_dispatch_time_given_by_the_caller_wins(tmp_path: Path) -> None:
    message = render_notice(notice(), "email")
    sent = attrs.evolve(message, metadata={**message.metadata, "sent_at": "2025-08-04T10:17:00+00:00"})
    assert eml(tmp_path, sent)["Date"] == "Mon, 04 Aug 2025 10:17:00 +0000"


def test_a_message_not_rendered_by_cobrokit_uses_the_channel_clock(tmp_path: Path) -> None:
    bare = Message("acme/D-1/oops/1/email", "acme", "D-1", "oops", "email", "a@b.example", "Hola", "Texto\n")
    assert message_datetime(bare) is None
    assert eml(tmp_path, bare)["Date"] == email.utils.format_datetime(WRONG_CLOCK)


def test_a_malformed_dispatch_time_is_a_permanent_failure(tmp_path: Path) -> None:
    message = render_notice(notice(), "email")
    broken = attrs.evolve(message, metadata={**message.metadata, "sent_at": "yesterday"})
    settings = EmailSettings.from_mapping(
        {"from_address": "c@x.example", "transport": "folder", "folder": str(tmp_path)}
    )
    receipt = EmailChannel(settings).send(broken)
    assert receipt.status is DeliveryStatus.FAILED_PERMANENT and "sent_at" in receipt.detail
    assert not list(tmp_path.glob("*.eml"))


def test_call_task_is_created_on_the_notice_date(tmp_path: Path) -> None:
    channel = CallListChannel(tmp_path, today=lambda: WRONG_CLOCK.date())
    assert channel.send(render_notice(notice("whats_wrong"), "call")).status is DeliveryStatus.SENT
    [task] = load_call_tasks(tmp_path)
    assert task.created == AS_OF


def test_letter_pdf_is_dated_on_the_notice_date(tmp_path: Path) -> None:
    settings = LetterChannel.from_settings({"folder": str(tmp_path)}).settings
    channel = LetterChannel(settings, clock=lambda: WRONG_CLOCK)
    message = render_notice(notice("ultimatum"), "letter")
    assert channel.send(message).status is DeliveryStatus.SENT
    metadata = PdfReader(channel.path_for(message)).metadata
    assert metadata is not None
    assert metadata.creation_date == dt.datetime(2025, 8, 4, 8, 0, tzinfo=MADRID)
