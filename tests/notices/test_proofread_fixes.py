"""Fixes from proofreading the demo's notices: what a thank-you says was paid, the restored
service, how to pay after a hand-off, subjects without a stray article, no empty "days
overdue" column before the due date, day counts in words, US addresses with their state, and
call tasks replaced by a later stage. Shipped templates, real SQLite stores."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import attrs
import pytest

from cobrokit.builtin.calls import pending_call_tasks
from cobrokit.builtin.email import safe_filename
from cobrokit.calls import CallTask
from cobrokit.formatting import city_line
from cobrokit.ladder.config import default_config
from cobrokit.model import Address, Debtor
from cobrokit.money import Money
from cobrokit.notice import Notice
from cobrokit.rendering import NoticeRenderer, day_count_words
from cobrokit.store import journal as jr
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import make_invoice
from tests.notices.sample import make_notice

RENDERER = NoticeRenderer()
KINDS = ("email", "letter", "call", "sms")
LOCALES = ("es_ES", "es_MX", "en_GB")


def _thanks(locale: str, **extra: object) -> Notice:
    """A thank-you after both invoices were settled (one of them earlier: the payment of
    1,234.56 covered only one), nothing left to pay."""
    notice = make_notice(stage="thank_you", locale=locale, full=False)
    zero = Money("0.00", "EUR")
    return attrs.evolve(
        notice,
        lines=tuple(attrs.evolve(line, open=zero) for line in notice.lines),
        principal=zero,
        extra={"payment_amount": Money("1234.56", "EUR"), **extra},
    )


def _text(notice: Notice, kind: str) -> str:
    return " ".join(RENDERER.render(notice, kind).text.split())


# -- 1. a thank-you never says the payment was "for" every settled invoice -------------------

SETTLED = {
    "es_ES": "Con él quedan al corriente las facturas F-2025-101, F-2025-117.",
    "es_MX": "Con él quedan al día las facturas F-2025-101, F-2025-117.",
    "en_GB": "Your account is now settled for invoices F-2025-101, F-2025-117.",
}
RECEIVED = {"es_ES": "1.234,56 €", "es_MX": "EUR 1,234.56", "en_GB": "€1,234.56"}  # no-break spaces folded by _text


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", ("email", "letter", "call"))
def test_a_thank_you_states_the_payment_then_the_settled_invoices(locale: str, kind: str) -> None:
    text = _text(_thanks(locale), kind)
    assert RECEIVED[locale] in text
    assert SETTLED[locale] in text
    assert text.index(RECEIVED[locale]) < text.index(SETTLED[locale])
    assert "correspondiente a" not in text
    assert not re.search(r"payment of \S+ for invoice", text)


@pytest.mark.parametrize("locale", LOCALES)
def test_a_thank_you_for_one_settled_invoice_is_singular(locale: str) -> None:
    notice = _thanks(locale)
    notice = attrs.evolve(notice, lines=notice.lines[:1])
    text = _text(notice, "email")
    expected = {
        "es_ES": "Con él queda al corriente la factura F-2025-101.",
        "es_MX": "Con él queda al día la factura F-2025-101.",
        "en_GB": "Your account is now settled for invoice F-2025-101.",
    }[locale]
    assert expected in text


# -- 2. the restored service ----------------------------------------------------------------

RESTORED = {
    "es_ES": "Hemos restablecido el servicio de su cuenta.",
    "es_MX": "Hemos restablecido el servicio de su cuenta.",
    "en_GB": "We have restored the service on your account.",
}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", KINDS)
def test_a_thank_you_says_the_service_was_restored_only_when_it_was(locale: str, kind: str) -> None:
    assert RESTORED[locale] in _text(_thanks(locale, service_restored=True), kind)
    assert RESTORED[locale] not in _text(_thanks(locale), kind)
    assert RESTORED[locale] not in _text(_thanks(locale, service_restored=False), kind)


# -- 3. how to pay after a hand-off ---------------------------------------------------------

HOW_TO_PAY = {
    "es_ES": "transferencia a la cuenta ES91 2100 0418 4502 0005 1332, indicando en el concepto F-2025-101, F-2025-117",
    "es_MX": "a la cuenta ES91 2100 0418 4502 0005 1332, indicando como referencia F-2025-101, F-2025-117",
    "en_GB": "bank transfer to ES91 2100 0418 4502 0005 1332, quoting F-2025-101, F-2025-117",
}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("agency", ("", "Recobros Norte S.L."))
def test_a_handoff_letter_gives_the_bank_account_and_the_reference(locale: str, agency: str) -> None:
    notice = attrs.evolve(make_notice(stage="handoff", locale=locale, full=False), extra={"agency_name": agency})
    assert HOW_TO_PAY[locale] in _text(notice, "letter")
    no_bank = attrs.evolve(notice, creditor=attrs.evolve(notice.creditor, bank_account=""))
    assert "ES91" not in _text(no_bank, "letter")


@pytest.mark.parametrize("locale", LOCALES)
def test_a_handoff_email_gives_the_bank_account_and_the_reference(locale: str) -> None:
    text = _text(make_notice(stage="handoff", locale=locale, full=False), "email")
    assert "ES91 2100 0418 4502 0005 1332" in text
    assert "F-2025-101, F-2025-117)" in text  # the layout's "(concepto: …)" / "(reference: …)"


# -- 4. subjects without a stray article ----------------------------------------------------

OOPS_SUBJECTS = {
    "es_ES": ("Recordatorio de pago: factura F-2025-101", "Recordatorio de pago: facturas F-2025-101 y F-2025-117"),
    "es_MX": ("Recordatorio de pago: factura F-2025-101", "Recordatorio de pago: facturas F-2025-101 y F-2025-117"),
    "en_GB": ("Payment reminder: invoice F-2025-101", "Payment reminder: invoices F-2025-101 and F-2025-117"),
}


@pytest.mark.parametrize("locale", LOCALES)
def test_reminder_subjects_name_the_invoices_without_an_article(locale: str) -> None:
    notice = make_notice(stage="oops", locale=locale, full=False)
    one, two = OOPS_SUBJECTS[locale]
    assert RENDERER.render(attrs.evolve(notice, lines=notice.lines[:1]), "email").subject == one
    assert RENDERER.render(notice, "email").subject == two
    courtesy = RENDERER.render(make_notice(stage="courtesy", locale=locale, as_of=dt.date(2025, 5, 1)), "email")
    assert not re.search(r"\b(la|las) factura", courtesy.subject)
    assert "F-2025-101 y F-2025-117" in courtesy.subject or "F-2025-101 and F-2025-117" in courtesy.subject
    # the body keeps its article
    assert "la factura" not in courtesy.subject and ("las facturas" in courtesy.text or "invoices" in courtesy.text)


# -- 5. no empty "days overdue" column before the due date ----------------------------------

DAYS_OVERDUE = {"es_ES": "Días de retraso", "es_MX": "Días de atraso", "en_GB": "Days overdue"}


@pytest.mark.parametrize("locale", LOCALES)
def test_a_courtesy_notice_has_no_days_overdue_column(locale: str) -> None:
    # 1 May 2025: both invoices (due 15 May and 16 Jun) are not yet due
    courtesy = make_notice(stage="courtesy", locale=locale, full=False, as_of=dt.date(2025, 5, 1))
    email = RENDERER.render(courtesy, "email")
    assert DAYS_OVERDUE[locale] not in email.html
    assert "<td></td>" not in email.html.replace("\n", "")
    assert re.search(r'colspan="2"[^>]*>[^<]+</td><td[^>]*>[^<]+</td></tr>', email.html)
    letter = RENDERER.render(courtesy, "letter")
    assert DAYS_OVERDUE[locale] not in letter.text
    assert len(letter.metadata["letter"]["debt"]["headers"]) == 5
    # an overdue notice keeps the column (77 and 45 days on 31 Jul 2025)
    overdue = make_notice(stage="oops", locale=locale, full=False)
    html = RENDERER.render(overdue, "email").html
    assert DAYS_OVERDUE[locale] in html and ">77</td>" in html and ">45</td>" in html
    assert DAYS_OVERDUE[locale] in RENDERER.render(overdue, "letter").text


# -- 6. day counts in words --------------------------------------------------------------------

WORDS = {
    "es_ES": ("base de cálculo: días naturales / 365", "días naturales / 365 o 366, según el año"),
    "es_MX": ("base de cálculo: días calendario / 365", "días calendario / 365 o 366, según el año"),
    "en_GB": ("day count: actual days / 365", "actual days / 365 or 366, by calendar year"),
}


@pytest.mark.parametrize("locale", LOCALES)
def test_letters_name_the_day_count_in_words(locale: str) -> None:
    notice = make_notice(stage="penalty_warning", locale=locale)  # day_count "ACT/365"
    text = RENDERER.render(notice, "letter").text
    assert f"({WORDS[locale][0]})" in text
    assert not re.search(r"act/\d|ACT/", text, re.IGNORECASE)
    act_act = attrs.evolve(notice, interest=attrs.evolve(notice.interest, day_count="act/act"))
    assert f"{WORDS[locale][1]})" in RENDERER.render(act_act, "letter").text
    unknown = attrs.evolve(notice, interest=attrs.evolve(notice.interest, day_count="nl/365"))
    assert "nl/365" not in RENDERER.render(unknown, "letter").text


def test_every_day_count_has_words_in_every_locale() -> None:
    labels = {
        "es": {
            "day_count_act_act": "días naturales / 365 o 366",
            "day_count_act_365": "días naturales / 365",
            "day_count_act_360": "días naturales / 360",
            "day_count_30_360": "meses de 30 días / 360",
        }
    }["es"]
    assert day_count_words("ACT/360", labels) == "días naturales / 360"
    assert day_count_words("30E/360", labels) == "meses de 30 días / 360"
    assert day_count_words("act/365f", labels) == "días naturales / 365"
    assert day_count_words("", labels) == ""
    assert day_count_words("bogus", labels) == ""
    assert day_count_words("act/act", {}) == ""  # a locale without the label prints nothing
    # the shipped labels name all four conventions
    for locale in ("es", "es_419", "en"):
        shipped = (Path(__file__).parents[2] / "src/cobrokit/templates" / locale / "labels.txt").read_text()
        for key in ("act_act", "act_365", "act_360", "30_360"):
            assert f"{{% block day_count_{key} %}}" in shipped


# -- 7. US addresses keep their state -------------------------------------------------------


def test_city_lines_follow_the_country() -> None:
    assert city_line("Austin", "73301", "TX", "US") == "Austin, TX 73301"
    assert city_line("Austin", "73301", "US-TX", "us") == "Austin, TX 73301"
    assert city_line("Austin", "73301", "", "US") == "Austin 73301"
    assert city_line("Toronto", "M5V 2T6", "ON", "CA") == "Toronto, ON M5V 2T6"
    assert city_line("Madrid", "28014", "MD", "ES") == "28014 Madrid"  # a holiday code, not printed
    assert city_line("", "", "", "ES") == ""


def test_a_letter_to_a_us_debtor_prints_city_state_and_zip() -> None:
    notice = make_notice(stage="oops", locale="en_US", currency="USD", full=False)
    us = Address(lines=("100 Congress Ave",), city="Austin", postal_code="73301", region="TX", country="US")
    notice = attrs.evolve(notice, debtor=attrs.evolve(notice.debtor, address=us))
    text = RENDERER.render(notice, "letter").text
    assert "Austin, TX 73301\nUnited States" in text
    assert "73301 Austin" not in text


# -- 8. a later stage replaces the first call ------------------------------------------------

CREATED = dt.date(2025, 8, 1)
LIST_DAY = dt.date(2025, 9, 1)


def _task(folder: Path, debtor_id: str) -> CallTask:
    task = CallTask(
        key=f"default/{debtor_id}/whats_wrong/EUR1/call",
        tenant="default",
        debtor_id=debtor_id,
        debtor_name=f"Cliente {debtor_id}",
        phone="+34 600 000 000",
        stage="whats_wrong",
        script="¿Va todo bien?",
        total_due=Money("500.00", "EUR"),
        oldest_days_overdue=27,
        created=CREATED,
    )
    path = folder / "tasks" / safe_filename(task.key, ".json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(task.to_dict()), encoding="utf-8")
    return task


def _notice_row(debtor_id: str, stage: str, as_of: dt.date, *, cycle: str = "EUR1", channel: str = "letter") -> object:
    return jr.outbox_row(
        key=f"default/{debtor_id}/{stage}/{cycle}/{channel}",
        tenant="default",
        debtor_id=debtor_id,
        currency="EUR",
        stage=stage,
        cycle=cycle,
        channel=channel,
        fallback=(),
        kind="notice",
        as_of=as_of,
        not_before="",
        payload={},
        now=f"{as_of.isoformat()}T10:00:00+00:00",
    )


@pytest.fixture
def call_folder(store: SQLiteStore, tmp_path: Path) -> Path:
    """D1…D5 each owe 500.00 due 5 Jul 2025 and have a whats_wrong call task of 1 Aug.
    D1: nothing else; D2: a legal letter on 25 Aug (later stage); D3: a legal letter of
    another cycle; D4: a legal letter refused (never reached them); D5: a legal letter planned
    after the list's day."""
    debtors = [
        Debtor(id=d, name=f"Cliente {d}", phones=("+34 600 000 000",), locale="es_ES", country="ES")
        for d in ("D1", "D2", "D3", "D4", "D5")
    ]
    store.save(
        debtors=debtors,
        invoices=[make_invoice(f"F-{d.id}", d.id, "500.00", issue="2025-06-01", due="2025-07-05") for d in debtors],
    )
    rows = [
        _notice_row("D2", "legal", dt.date(2025, 8, 25)),
        _notice_row("D3", "legal", dt.date(2025, 8, 25), cycle="EUR2"),
        _notice_row("D4", "legal", dt.date(2025, 8, 25)),
        _notice_row("D5", "legal", dt.date(2025, 9, 5)),
    ]
    jr.insert_outbox(store, rows)  # type: ignore[arg-type]
    store.conn.execute("UPDATE outbox SET status = 'refused' WHERE debtor_id = 'D4'")
    store.conn.commit()
    folder = tmp_path / "calls"
    for d in debtors:
        _task(folder, d.id)
    return folder


@pytest.mark.parametrize("with_config", (False, True))
def test_a_call_task_is_dropped_once_the_debtor_has_a_later_stage(
    store: SQLiteStore, call_folder: Path, with_config: bool
) -> None:
    config = default_config() if with_config else None
    pending = pending_call_tasks(store, call_folder, as_of=LIST_DAY, config=config)
    assert sorted(t.debtor_id for t in pending) == ["D1", "D3", "D4", "D5"]


def test_an_earlier_stage_does_not_replace_the_call(store: SQLiteStore, call_folder: Path) -> None:
    # with the ladder's order, an oops (before whats_wrong) dated later does not replace it
    jr.insert_outbox(store, [_notice_row("D1", "oops", dt.date(2025, 8, 20), channel="email")])  # type: ignore[list-item]
    store.conn.commit()
    pending = pending_call_tasks(store, call_folder, as_of=LIST_DAY, config=default_config())
    assert "D1" in [t.debtor_id for t in pending]
    # without configuration, any notice planned on a later day of the cycle replaces it
    assert "D1" not in [t.debtor_id for t in pending_call_tasks(store, call_folder, as_of=LIST_DAY)]
