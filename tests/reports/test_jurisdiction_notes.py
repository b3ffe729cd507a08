"""Jurisdiction notes of the case file: routes, pre-filing steps, small-claims warnings, limitation."""

import datetime as dt

import pytest

from cobrokit.money import Money
from cobrokit.reports.jurisdiction import DebtForLimitation, jurisdiction_notes

AFTER_MASC = dt.date(2026, 5, 2)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


@pytest.mark.parametrize(
    ("claim", "warned"),
    [
        ("2000.00", ()),  # up to EUR 2,000: no lawyer needed, no warning
        ("2000.01", ("EUR 2,000",)),
        ("15000.00", ("EUR 2,000",)),
        ("15000.01", ("EUR 15,000",)),
    ],
)
def test_spain_small_claims_and_verbal_limits(claim: str, warned: tuple[str, ...]) -> None:
    notes = jurisdiction_notes("ES", eur(claim), AFTER_MASC, letters=["2026-04-01 ultimatum by letter"])
    limits = [w for w in notes.warnings if "limit" in w]
    assert len(limits) == len(warned)
    for needle, warning in zip(warned, limits, strict=True):
        assert needle in warning
    assert notes.jurisdiction == "Spain" and notes.small_claims_limit == eur("2000")
    topics = {n.topic for n in notes.notes}
    assert {"pre-filing", "route", "representation"} <= topics


def test_spain_masc_step_is_required_since_april_2025() -> None:
    before = jurisdiction_notes("ES", eur("500.00"), dt.date(2025, 4, 2))
    assert not any("MASC" in n.text for n in before.notes)
    after = jurisdiction_notes("ES", eur("500.00"), dt.date(2025, 4, 3))
    assert any(n.text.startswith("MASC") and "LO 1/2025" in n.source for n in after.notes)
    assert any("no out-of-court demand by letter" in w for w in after.warnings)
    with_letter = jurisdiction_notes("ES", eur("500.00"), AFTER_MASC, letters=["2026-04-01 ultimatum (letter-1)"])
    assert not with_letter.warnings
    assert any("letter-1" in n.text for n in with_letter.notes)


def test_a_claim_in_another_currency_is_not_compared_with_euro_limits() -> None:
    notes = jurisdiction_notes("ES", Money("50000.00", "USD"), AFTER_MASC, letters=["x"])
    assert len(notes.warnings) == 1 and "convert at the filing date" in notes.warnings[0]


def test_england_wales_and_scotland() -> None:
    ew = jurisdiction_notes("GB", Money("10000.01", "GBP"), AFTER_MASC)
    assert ew.jurisdiction == "England and Wales" and ew.small_claims_limit == Money("10000", "GBP")
    assert any("GBP 10,000" in w for w in ew.warnings)
    assert any("Pre-Action Protocol" in n.source for n in ew.notes)
    assert not jurisdiction_notes("GB", Money("10000.00", "GBP"), AFTER_MASC).warnings
    scot = jurisdiction_notes("GB", Money("5000.01", "GBP"), AFTER_MASC, region="SCT")
    assert scot.jurisdiction == "Scotland" and any("GBP 5,000" in w for w in scot.warnings)


def test_unknown_country_says_so_and_never_guesses() -> None:
    notes = jurisdiction_notes("MX", Money("1000000.00", "MXN"), AFTER_MASC)
    assert notes.jurisdiction == "" and notes.small_claims_limit is None and notes.warnings == ()
    (note,) = notes.notes
    assert note.confidence == "U" and "no jurisdiction notes for country MX" in note.text


def test_eu_cross_border_small_claims() -> None:
    notes = jurisdiction_notes("FR", eur("5000.01"), AFTER_MASC, creditor_country="ES")
    assert any("European Small Claims" in n.text for n in notes.notes)
    assert any("EUR 5,000 European Small Claims" in w for w in notes.warnings)
    domestic = jurisdiction_notes("FR", eur("5000.01"), AFTER_MASC, creditor_country="FR")
    assert not any(n.topic == "cross-border" for n in domestic.notes)
    denmark = jurisdiction_notes("DK", eur("100.00"), AFTER_MASC, creditor_country="ES")
    assert not any(n.topic == "cross-border" for n in denmark.notes)


def test_limitation_dates_and_warnings() -> None:
    # Spain, 5 years from the due date; a part payment restarts the period (art. 1973 CC)
    debts = [
        DebtForLimitation("OLD", dt.date(2021, 6, 1)),  # ends 2026-06-01: 30 days after 2026-05-02
        DebtForLimitation("PAID", dt.date(2021, 1, 10), (dt.date(2024, 2, 29),)),  # restarted: 2029-02-28
    ]
    notes = jurisdiction_notes("ES", eur("100.00"), AFTER_MASC, letters=["x"], debts=debts)
    lines = [n.text for n in notes.notes if n.topic == "limitation"]
    assert "invoice PAID: in time until 2029-02-28" in lines[0]
    assert "invoice OLD: in time until 2026-06-01" in lines[1]
    assert [w for w in notes.warnings if "time-barred" in w] == [
        "invoice OLD becomes time-barred on 2026-06-01 (30 days left): act or interrupt now"
    ]
    barred = jurisdiction_notes(
        "ES", eur("100.00"), AFTER_MASC, letters=["x"], debts=[DebtForLimitation("X", dt.date(2020, 1, 1))]
    )
    assert any("may be time-barred since 2025-01-01" in w for w in barred.warnings)
