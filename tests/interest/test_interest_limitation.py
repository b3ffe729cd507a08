"""Limitation dates (Spain art. 1964/1973 CC, UK Limitation Act 1980), counted date to date."""

from __future__ import annotations

import datetime as dt

from cobrokit.interest import (
    SPAIN_CIVIL,
    UK_SIMPLE_CONTRACT,
    Interruption,
    InterruptionKind,
    add_years,
    get_regime,
    limitation_date,
)

D = dt.date
ACK = InterruptionKind.ACKNOWLEDGEMENT


def test_add_years_clamps_to_month_end() -> None:
    assert add_years(D(2024, 2, 29), 5) == D(2029, 2, 28)
    assert add_years(D(2024, 2, 29), 4) == D(2028, 2, 29)
    assert add_years(D(2023, 1, 31), 6) == D(2029, 1, 31)


def test_spain_five_years_from_due_date() -> None:
    result = limitation_date(SPAIN_CIVIL, D(2020, 3, 31))
    assert result.limitation_date == D(2025, 3, 31)
    assert not result.is_time_barred(D(2025, 3, 31))
    assert result.is_time_barred(D(2025, 4, 1))
    assert result.days_left(D(2025, 3, 1)) == 30


def test_acknowledgement_on_29_february_restarts_to_28_february() -> None:
    # due 10 Jan 2022 → 10 Jan 2027; acknowledged 29 Feb 2024 → 29 Feb 2029 does not exist → 28 Feb 2029
    result = limitation_date(SPAIN_CIVIL, D(2022, 1, 10), [Interruption(D(2024, 2, 29), ACK)])
    assert result.limitation_date == D(2029, 2, 28)
    assert result.restarted_by == Interruption(D(2024, 2, 29), ACK)


def test_out_of_court_claim_interrupts_in_spain_not_in_the_uk() -> None:
    burofax = Interruption(D(2023, 6, 1), InterruptionKind.OUT_OF_COURT_CLAIM)
    assert limitation_date(SPAIN_CIVIL, D(2020, 1, 15), [burofax]).limitation_date == D(2028, 6, 1)
    uk = limitation_date(UK_SIMPLE_CONTRACT, D(2020, 1, 15), [burofax])
    assert uk.limitation_date == D(2026, 1, 15)  # 6 years, the letter ignored
    assert uk.ignored[0][0] == burofax
    paid = Interruption(D(2023, 6, 1), InterruptionKind.PART_PAYMENT)
    assert limitation_date(UK_SIMPLE_CONTRACT, D(2020, 1, 15), [paid]).limitation_date == D(2029, 6, 1)


def test_interruptions_after_expiry_or_before_start_do_not_count() -> None:
    late = Interruption(D(2026, 1, 1), ACK)
    early = Interruption(D(2019, 1, 1), ACK)
    result = limitation_date(SPAIN_CIVIL, D(2020, 3, 31), [late, early])
    assert result.limitation_date == D(2025, 3, 31)
    assert [event for event, _ in result.ignored] == [early, late]


def test_chained_interruptions() -> None:
    events = [Interruption(D(2024, 5, 1), ACK), Interruption(D(2028, 5, 1), InterruptionKind.COURT_CLAIM)]
    assert limitation_date(SPAIN_CIVIL, D(2020, 3, 31), events).limitation_date == D(2033, 5, 1)


def test_regimes_carry_their_rule() -> None:
    assert get_regime("es-commercial").limitation is SPAIN_CIVIL
    assert get_regime("uk-late-payment").limitation is UK_SIMPLE_CONTRACT
    assert get_regime("mx-commercial").limitation is None
