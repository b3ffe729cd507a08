"""The thank-you says what was paid and what is still owed, item by item; the hand-off letter
names the agency (or does not claim a referral to one it cannot name). Real SQLite store,
real ladder runs and the shipped templates."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Any

import attrs
import pytest

from cobrokit.builtin.handoff import handoff_contacts
from cobrokit.dispatch import build_notice, dispatch
from cobrokit.engine import run_ladder
from cobrokit.errors import ConfigError
from cobrokit.ladder.config import Config, default_config
from cobrokit.model import Address, Allocation, Debtor, Payment
from cobrokit.money import Money
from cobrokit.plugins import get_plugin_host
from cobrokit.rendering import BUILTIN_KINDS, NoticeRenderer
from cobrokit.store import journal as jr
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import Recorder, make_invoice, recorders

NBSP = "\xa0"
CONFIG = default_config()
DUE = dt.date(2026, 3, 2)
RENDERER = NoticeRenderer()
LOCALES = ("es_ES", "en_GB")
EMPTY_LABEL = re.compile(r"\(\s*[^()\s:]*:\s*\)|:\s*\)")
"""A label with nothing after it: ``(concepto: )``, ``reference: )``."""


def at(offset: int, hour: int = 10) -> tuple[dt.date, dt.datetime]:
    day = DUE + dt.timedelta(days=offset)
    return day, dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def _ledger(store: SQLiteStore, locale: str) -> SQLiteStore:
    debtor = Debtor(
        id="D1",
        name="Talleres Ruiz SL",
        emails=("cuentas@ruiz.example",),
        phones=("+34600000001",),
        address=Address(lines=("Calle Mayor 1",), city="Madrid", postal_code="28013", country="ES"),
        locale=locale,
        timezone="Europe/Madrid",
        country="ES",
    )
    store.save(
        debtors=[debtor], invoices=[make_invoice("F1", "D1", "1210.00", issue="2026-01-31", due=DUE.isoformat())]
    )
    return store


def _pay(store: SQLiteStore, offset: int, amount: str = "1210.00") -> None:
    store.save(
        payments=[
            Payment(
                id="P1",
                debtor_id="D1",
                date=at(offset)[0],
                amount=Money(amount, "EUR"),
                allocations=(Allocation("F1", Money(amount, "EUR")),),
            )
        ]
    )


def _days(store: SQLiteStore, offsets: range, chans: dict[str, Recorder], config: Config = CONFIG) -> None:
    host = get_plugin_host(autoload=False)
    for offset in offsets:
        day, now = at(offset)
        run_ladder(store, day, config=config, now=now)
        dispatch(store, host, config=config, now=now, channels=chans)


def _thank_you_after(store: SQLiteStore, locale: str, paid_on: int) -> tuple[str, jr.OutboxRow]:
    """Run and dispatch daily until the debtor pays the whole principal on *paid_on*, and a few
    days after: the text of the thank-you email, and its outbox row."""
    _ledger(store, locale)
    chans = recorders()
    _days(store, range(-8, paid_on), chans)
    _pay(store, paid_on)
    _days(store, range(paid_on, paid_on + 3), chans)
    [thanks] = [m for m in chans["email"].sent if m.stage == "thank_you"]
    [row] = [r for r in jr.iter_outbox(store, "default") if r.stage == "thank_you"]
    return thanks.text, row


# -- 4. the thank-you's remaining balance ---------------------------------------------------------

WITH_BALANCE = {
    # the ultimatum (+30) charged the stage's EUR 15 fee; the principal 1,210.00 is paid on +33:
    # the fee is what the notice knows is still owed
    "es_ES": [
        f"Le confirmamos que hemos recibido su pago de 1.210,00{NBSP}€. Muchas gracias. "
        "Con él queda al corriente la factura F1.",
        f"Queda un saldo pendiente de 15,00{NBSP}€, que corresponde a:\n- Gastos de gestión de cobro: 15,00{NBSP}€",
        "Transferencia bancaria a: ES91 2100 0418 4502 0005 1332 (concepto: F1)",
    ],
    "en_GB": [
        "Thank you: we have received your payment of €1,210.00. Your account is now settled for invoice F1.",
        "Your remaining balance is €15.00, made up of:\n- Collection fees: €15.00",
        "Bank transfer to: ES91 2100 0418 4502 0005 1332 (reference: F1)",
    ],
}


@pytest.mark.parametrize("locale", LOCALES)
def test_a_thank_you_with_a_balance_left_lists_what_is_still_owed(store: SQLiteStore, locale: str) -> None:
    text, row = _thank_you_after(store, locale, paid_on=33)
    for expected in WITH_BALANCE[locale]:
        assert expected in text
    assert "a continuación" not in text and "below" not in text  # no detail is promised that does not follow
    assert not EMPTY_LABEL.search(text)
    assert store.conn.execute("SELECT stage, amount_minor, voided_on FROM fee").fetchall() == [("ultimatum", 1500, "")]
    notice = build_notice(store, row, CONFIG)
    assert notice.extra["payment_amount"] == Money("1210.00", "EUR")
    assert [(line.invoice_id, line.open) for line in notice.lines] == [("F1", Money("0.00", "EUR"))]


WITHOUT_BALANCE = {
    # paid in full on +20, before the ultimatum and its fee: nothing is left
    "es_ES": (
        f"Le confirmamos que hemos recibido su pago de 1.210,00{NBSP}€. Muchas gracias. "
        "Con él queda al corriente la factura F1.",
        "Su cuenta está al corriente de pago.",
        ("Queda un saldo", "Transferencia", "concepto"),
    ),
    "en_GB": (
        "Thank you: we have received your payment of €1,210.00. Your account is now settled for invoice F1.",
        "Your account is now up to date.",
        ("remaining balance", "Bank transfer", "reference"),
    ),
}


@pytest.mark.parametrize("locale", LOCALES)
def test_a_thank_you_without_a_balance_says_the_account_is_up_to_date(store: SQLiteStore, locale: str) -> None:
    text, _ = _thank_you_after(store, locale, paid_on=20)
    payment, settled, absent = WITHOUT_BALANCE[locale]
    assert payment in text and settled in text
    for words in absent:
        assert words not in text
    assert store.conn.execute("SELECT COUNT(*) FROM fee").fetchone()[0] == 0


@pytest.mark.parametrize(("locale", "kind"), list(itertools.product((*LOCALES, "es_MX"), BUILTIN_KINDS)))
def test_every_kind_of_thank_you_names_the_remaining_items(store: SQLiteStore, locale: str, kind: str) -> None:
    """Letters, SMS and call scripts (and Latin-American Spanish) too: the items, and no
    detail promised "below" or empty labels."""
    _, row = _thank_you_after(store, "es_ES" if locale == "es_MX" else locale, paid_on=33)
    notice = build_notice(store, row, CONFIG)
    notice = attrs.evolve(notice, debtor=attrs.evolve(notice.debtor, locale=locale))
    text = RENDERER.render(notice, kind).text
    fees = {"es_ES": "gestión de cobro", "es_MX": "astos de cobranza", "en_GB": "ollection fees"}[locale]
    assert fees in text
    amount = {"es_ES": f"15,00{NBSP}€", "es_MX": f"EUR{NBSP}15.00", "en_GB": "€15.00"}[locale]
    assert amount in text
    assert "a continuación" not in text and "below" not in text
    assert not EMPTY_LABEL.search(text)


@pytest.mark.parametrize("locale", LOCALES)
def test_no_reference_is_printed_when_the_notice_names_no_invoice(store: SQLiteStore, locale: str) -> None:
    """A notice that lists no invoice (a thank-you whose cycle's notices named none) prints
    the bank account without an empty ``(concepto: )``."""
    _, row = _thank_you_after(store, locale, paid_on=33)
    notice = attrs.evolve(build_notice(store, row, CONFIG), lines=())
    for kind in ("email", "letter"):
        message = RENDERER.render(notice, kind)
        assert not EMPTY_LABEL.search(message.text) and not EMPTY_LABEL.search(message.html)
    email = RENDERER.render(notice, "email")
    assert "ES91 2100 0418 4502 0005 1332\n" in email.text


def test_the_letter_of_a_thank_you_in_full_shows_no_debt_table(store: SQLiteStore) -> None:
    _, row = _thank_you_after(store, "es_ES", paid_on=20)
    letter = RENDERER.render(build_notice(store, row, CONFIG), "letter")
    assert letter.metadata["letter"]["debt"] is None
    assert "Total adeudado" not in letter.text


def test_the_letter_of_a_thank_you_with_a_balance_shows_the_items_not_a_zero_principal(store: SQLiteStore) -> None:
    _, row = _thank_you_after(store, "es_ES", paid_on=33)
    letter = RENDERER.render(build_notice(store, row, CONFIG), "letter")
    totals = [tuple(t) for t in letter.metadata["letter"]["debt"]["totals"]]
    assert totals == [("Gastos de gestión de cobro", f"15,00{NBSP}€"), ("Total adeudado", f"15,00{NBSP}€")]


# -- 3. who the hand-off names ----------------------------------------------------------------------

AGENCY = {"agency_name": "Recobros Norte SL", "agency_contact": "900 000 000 · expedientes@norte.example"}
LAWYERS = {"lawyer_name": "Bufete Díaz Abogados", "lawyer_contact": "abogados@diaz.example"}


def _with_handoff(settings: dict[str, Any]) -> Config:
    return attrs.evolve(CONFIG, channels={**CONFIG.channels, "handoff": settings})


def _planned(store: SQLiteStore, locale: str, last: int) -> dict[str, jr.OutboxRow]:
    """The ladder run daily to *last* without dispatching: the letter rows by stage."""
    _ledger(store, locale)
    for offset in range(-8, last + 1):
        day, now = at(offset)
        run_ladder(store, day, config=CONFIG, now=now)
    return {r.stage: r for r in jr.iter_outbox(store, "default") if r.kind == "notice" and r.channel == "letter"}


HANDOFF_UNNAMED = {
    # 1 May 2026 (+60) is a public holiday in Spain: the hand-off is planned on 2 May
    "es_ES": (
        "vamos a remitir la deuda de",
        "a una empresa externa de recobro, que se pondrá en contacto con usted",
        "Si tiene cualquier pregunta sobre esta deuda, diríjase a nosotros (+34 910 000 000 · "
        "cobros@yourcompany.example).",
        ("hemos remitido", "dicha empresa"),
    ),
    "en_GB": (
        "we are passing the debt of",
        "to an external collection agency, who will contact you",
        "If you have any questions about this debt, please contact us (+34 910 000 000 · cobros@yourcompany.example).",
        ("referred", "the agency ("),
    ),
}


@pytest.mark.parametrize("locale", LOCALES)
def test_without_an_agency_name_the_handoff_announces_a_referral_and_gives_our_contact(
    store: SQLiteStore, locale: str
) -> None:
    rows = _planned(store, locale, 61)
    notice = build_notice(store, rows["handoff"], CONFIG)
    assert not {"agency_name", "agency_contact", "lawyer_name", "lawyer_contact"} & set(notice.extra)
    text = " ".join(RENDERER.render(notice, "letter").text.split())
    future, who, contact, absent = HANDOFF_UNNAMED[locale]
    assert future in text and who in text and contact in text
    for words in absent:
        assert words not in text


@pytest.mark.parametrize(("locale", "kind"), list(itertools.product((*LOCALES, "es_MX"), BUILTIN_KINDS)))
def test_every_kind_of_handoff_names_the_configured_agency(store: SQLiteStore, locale: str, kind: str) -> None:
    rows = _planned(store, "es_ES" if locale == "es_MX" else locale, 61)
    notice = build_notice(store, rows["handoff"], _with_handoff(AGENCY))
    assert {k: notice.extra[k] for k in AGENCY} == AGENCY
    notice = attrs.evolve(notice, debtor=attrs.evolve(notice.debtor, locale=locale))
    text = " ".join(RENDERER.render(notice, kind).text.split())
    assert "Recobros Norte SL" in text
    assert "900 000 000 · expedientes@norte.example" in text
    unnamed = ("una empresa externa", "una agencia externa", "an external collection agency", "dicha empresa")
    assert not any(words in text for words in unnamed)


def test_the_legal_letter_names_the_configured_lawyers(store: SQLiteStore) -> None:
    rows = _planned(store, "es_ES", 95)  # the legal step is planned on 1 June 2026 (+91)
    notice = build_notice(store, rows["legal"], _with_handoff({**AGENCY, **LAWYERS}))
    assert notice.extra["lawyer_name"] == "Bufete Díaz Abogados"
    text = " ".join(RENDERER.render(notice, "letter").text.split())
    assert "nuestros abogados, Bufete Díaz Abogados," in text
    assert "o con nuestros abogados (abogados@diaz.example)" in text


def test_a_dispatched_handoff_letter_names_the_agency(store: SQLiteStore) -> None:
    """End to end: run daily to +61 with the agency configured and dispatch each day; the
    hand-off letter that goes out names it, and the built-in hand-off plugin accepts the
    new settings (the effect is recorded: no case-file folder is configured)."""
    config = _with_handoff(AGENCY)
    _ledger(store, "es_ES")
    chans = recorders()
    _days(store, range(-8, 62), chans, config)
    [letter] = [m for m in chans["letter"].sent if m.stage == "handoff"]
    text = " ".join(letter.text.split())
    assert "hemos remitido la deuda de" in text and "a la empresa de recobro Recobros Norte SL" in text
    statuses = {(r.stage, r.kind): r.status for r in jr.iter_outbox(store, "default")}
    assert statuses[("handoff", "handoff")] == "recorded"


def test_handoff_contacts_are_checked() -> None:
    assert handoff_contacts(_with_handoff({"folder": "x", "agency_name": "  Recobros   Norte SL "})) == {
        "agency_name": "Recobros Norte SL"
    }
    assert handoff_contacts(CONFIG) == {}
    with pytest.raises(ConfigError, match=r"unknown setting\(s\) agency; known: folder, format, agency_name"):
        handoff_contacts(_with_handoff({"agency": "Recobros Norte SL"}))
    with pytest.raises(ConfigError, match="agency_contact must be a string, not int"):
        handoff_contacts(_with_handoff({"agency_name": "Recobros Norte SL", "agency_contact": 900000000}))
