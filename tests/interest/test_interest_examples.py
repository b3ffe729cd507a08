"""Worked examples derived by hand from the statutes; the arithmetic is in the comments.

Rates come from the shipped tables (src/cobrokit/interest/data/*.toml):
es-commercial 2024-H1 12.50 %, 2024-H2 12.25 % (Ley 3/2004 art. 7, BOE); es-legal 2023-2024
3.25 %; uk-late-payment 2025-H1 12.75 %, 2025-H2 12.25 %; Mexico 6 % / 9 %.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from cobrokit.errors import CurrencyMismatchError, DateOrderError, InvalidAmountError, ValidationError
from cobrokit.interest import (
    DayCount,
    Imputation,
    MissingRateError,
    PartialPayment,
    compute_interest,
    explain,
    get_regime,
)
from cobrokit.money import Money

D = dt.date


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def gbp(amount: str) -> Money:
    return Money(amount, "GBP")


# -- Spain, Ley 3/2004: a half-year boundary ---------------------------------------------------


def test_es_commercial_half_year_boundary() -> None:
    # EUR 25,000 due 15 May 2024, paid (until) 14 Aug 2024: 91 days late.
    #   16 May-30 Jun 2024: 46 days at 12.50 % (2024-H1), 2024 is a leap year (ACT/ACT: /366)
    #     25000 × 0.1250 × 46 / 366 = 143750 / 366   = 392.759562…
    #   1 Jul-14 Aug 2024: 45 days at 12.25 % (2024-H2)
    #     25000 × 0.1225 × 45 / 366 = 137812.5 / 366 = 376.536885…
    #   sum 769.296448… → 769.30; compensation EUR 40 (art. 8); total 25000 + 769.30 + 40
    r = compute_interest(get_regime("es-commercial"), eur("25000"), D(2024, 5, 15), D(2024, 8, 14))
    assert r.days_late == 91
    assert r.day_count is DayCount.ACT_ACT
    assert [(s.start, s.end, s.days, s.annual_rate) for s in r.segments] == [
        (D(2024, 5, 16), D(2024, 6, 30), 46, Decimal("12.50")),
        (D(2024, 7, 1), D(2024, 8, 14), 45, Decimal("12.25")),
    ]
    assert [s.interest.rounded() for s in r.segments] == [eur("392.76"), eur("376.54")]
    assert r.interest == eur("769.30")
    assert r.interest_outstanding == eur("769.30")
    assert r.compensation == eur("40")
    assert r.total_due == eur("25809.30")
    assert explain(r)[0] == "interest from 16 May to 30 June at 12.50 %: EUR 392.76"
    assert explain(r)[1] == "interest from 1 July to 14 August at 12.25 %: EUR 376.54"


def test_segments_are_summed_unrounded_then_rounded_once() -> None:
    # EUR 1,001 over the same dates:
    #   1001 × 0.1250 × 46 / 366 = 5755.75 / 366   = 15.726093… (15.73 if rounded alone)
    #   1001 × 0.1225 × 45 / 366 = 5518.0125 / 366 = 15.076537… (15.08 if rounded alone)
    #   exact sum 30.802630… → 30.80 (rounding each segment first would give 30.81)
    r = compute_interest(get_regime("es-commercial"), eur("1001"), D(2024, 5, 15), D(2024, 8, 14))
    assert r.interest == eur("30.80")


# -- leap year: ACT/ACT vs ACT/365 -------------------------------------------------------------


def test_leap_year_act_act_and_act_365() -> None:
    # es-legal 2024: 3.25 %. EUR 10,000 due 31 Dec 2023, until 31 Dec 2024: 366 days, all in 2024.
    #   ACT/ACT: 10000 × 0.0325 × 366/366 = 325.00
    #   ACT/365: 10000 × 0.0325 × 366/365 = 118950/365 = 325.890410… → 325.89
    regime = get_regime("es-legal")
    act_act = compute_interest(regime, eur("10000"), D(2023, 12, 31), D(2024, 12, 31))
    act_365 = compute_interest(regime, eur("10000"), D(2023, 12, 31), D(2024, 12, 31), day_count=DayCount.ACT_365)
    assert act_act.days_late == act_365.days_late == 366
    assert act_act.interest == eur("325.00")
    assert act_365.interest == eur("325.89")
    assert act_act.compensation == eur("0")  # no fixed sum for civil debts


def test_act_act_splits_at_new_year() -> None:
    # es-legal 3.25 % in 2023 and 2024. EUR 10,000 due 1 Dec 2023, until 31 Jan 2024.
    #   2 Dec-31 Dec 2023: 30 days /365: 10000 × 0.0325 × 30/365 = 9750/365  = 26.712328…
    #   1 Jan-31 Jan 2024: 31 days /366: 10000 × 0.0325 × 31/366 = 10075/366 = 27.527322…
    #   sum 54.239651… → 54.24.   ACT/365 on 61 days: 19825/365 = 54.315068… → 54.32
    regime = get_regime("es-legal")
    r = compute_interest(regime, eur("10000"), D(2023, 12, 1), D(2024, 1, 31))
    assert [(s.start, s.end, s.basis) for s in r.segments] == [
        (D(2023, 12, 2), D(2023, 12, 31), 365),
        (D(2024, 1, 1), D(2024, 1, 31), 366),
    ]
    assert r.interest == eur("54.24")
    r365 = compute_interest(regime, eur("10000"), D(2023, 12, 1), D(2024, 1, 31), day_count=DayCount.ACT_365)
    # es-legal is keyed by calendar year, so ACT/365 still cuts at 1 January, both slices over 365
    assert [s.basis for s in r365.segments] == [365, 365]
    assert r365.interest == eur("54.32")


# -- partial payments --------------------------------------------------------------------------


def test_partial_payment_interest_first() -> None:
    # EUR 10,000 due 31 Jan 2024 (es-commercial, 12.50 % in 2024-H1); EUR 5,000 paid 1 Mar 2024.
    #   1 Feb-1 Mar: 30 days: 10000 × 0.125 × 30/366 = 37500/366 = 102.459016… → 102.46 at the payment
    #   payment 5000: 102.46 to interest, 4897.54 to principal → principal 5102.46   (CC art. 1173)
    #   2 Mar-31 Mar: 30 days: 5102.46 × 0.125 × 30/366 = 19134.225/366 = 52.279303… → 52.28
    #   accrued 102.46 + 52.28 = 154.74; outstanding 52.28; total 5102.46 + 52.28 + 40 = 5194.74
    r = compute_interest(
        get_regime("es-commercial"),
        eur("10000"),
        D(2024, 1, 31),
        D(2024, 3, 31),
        payments=[PartialPayment(D(2024, 3, 1), eur("5000"))],
    )
    (alloc,) = r.payments
    assert alloc.interest_accrued == eur("102.46")
    assert alloc.to_interest == eur("102.46")
    assert alloc.to_principal == eur("4897.54")
    assert r.principal_outstanding == eur("5102.46")
    assert r.interest == eur("154.74")
    assert r.interest_paid == eur("102.46")
    assert r.interest_outstanding == eur("52.28")
    assert r.total_due == eur("5194.74")
    assert r.segments[1].base == eur("5102.46")


def test_partial_payment_principal_first() -> None:
    # Same debt, principal-first: 5000 all to principal → principal 5000; 102.46 stays due.
    #   2 Mar-31 Mar: 5000 × 0.125 × 30/366 = 18750/366 = 51.229508… → 51.23
    #   accrued 102.46 + 51.23 = 153.69, all outstanding; total 5000 + 153.69 + 40 = 5193.69
    r = compute_interest(
        get_regime("es-commercial"),
        eur("10000"),
        D(2024, 1, 31),
        D(2024, 3, 31),
        payments=[PartialPayment(D(2024, 3, 1), eur("5000"))],
        imputation=Imputation.PRINCIPAL_FIRST,
    )
    assert r.principal_outstanding == eur("5000")
    assert r.interest == eur("153.69")
    assert r.interest_outstanding == eur("153.69")
    assert r.total_due == eur("5193.69")


def test_payment_on_or_before_due_date_reduces_principal_without_interest() -> None:
    # EUR 1,000 due 31 Jan 2024, EUR 400 paid on the due date: 600 runs late.
    #   1 Feb-1 Mar: 30 days: 600 × 0.125 × 30/366 = 2250/366 = 6.147540… → 6.15
    r = compute_interest(
        get_regime("es-commercial"),
        eur("1000"),
        D(2024, 1, 31),
        D(2024, 3, 1),
        payments=[PartialPayment(D(2024, 1, 31), eur("400"))],
    )
    assert r.payments[0].to_principal == eur("400")
    assert r.interest == eur("6.15")


def test_paid_in_full_on_time_owes_nothing() -> None:
    r = compute_interest(
        get_regime("es-commercial"),
        eur("1000"),
        D(2024, 1, 31),
        D(2024, 3, 1),
        payments=[PartialPayment(D(2024, 1, 20), eur("1000"))],
    )
    assert r.segments == ()
    assert r.total_due == eur("0")
    assert r.compensation == eur("0")  # never late: no fixed sum


def test_surplus_goes_to_compensation_and_overpayment_is_refused() -> None:
    # EUR 1,000 due 31 Jan 2024; until 1 Feb: 1 day: 1000 × 0.125 / 366 = 0.341530… → 0.34
    # paying 1040.34 on 1 Feb clears interest 0.34, principal 1000 and the EUR 40.
    regime = get_regime("es-commercial")
    r = compute_interest(
        regime,
        eur("1000"),
        D(2024, 1, 31),
        D(2024, 2, 1),
        payments=[PartialPayment(D(2024, 2, 1), eur("1040.34"))],
    )
    assert r.compensation_paid == eur("40")
    assert r.total_due == eur("0")
    with pytest.raises(InvalidAmountError, match="exceeds"):
        compute_interest(
            regime,
            eur("1000"),
            D(2024, 1, 31),
            D(2024, 2, 1),
            payments=[PartialPayment(D(2024, 2, 1), eur("1040.35"))],
        )


# -- United Kingdom ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("debt", "fixed_sum"),
    [("999.99", "40"), ("1000.00", "70"), ("9999.99", "70"), ("10000.00", "100")],
)
def test_uk_compensation_tiers(debt: str, fixed_sum: str) -> None:
    # s.5A: GBP 40 below 1,000; GBP 70 from 1,000 to below 10,000; GBP 100 from 10,000.
    r = compute_interest(get_regime("uk-late-payment"), gbp(debt), D(2025, 3, 31), D(2025, 4, 30))
    assert r.compensation == gbp(fixed_sum)


def test_uk_rate_is_fixed_across_1_july() -> None:
    # Due 15 Jun 2025: interest starts 16 Jun 2025 (2025-H1: base 4.75 on 31 Dec 2024 + 8 = 12.75 %)
    # and keeps 12.75 % after 1 July although 2025-H2 is 12.25 % (SI 2002/1675 art. 4).
    #   16 Jun-31 Jul: 15 + 31 = 46 days, ACT/365: 10000 × 0.1275 × 46/365 = 58650/365 = 160.684931… → 160.68
    r = compute_interest(get_regime("uk-late-payment"), gbp("10000"), D(2025, 6, 15), D(2025, 7, 31))
    assert [(s.start, s.end, s.annual_rate) for s in r.segments] == [(D(2025, 6, 16), D(2025, 7, 31), Decimal("12.75"))]
    assert r.interest == gbp("160.68")
    assert r.compensation == gbp("100")
    # Due 30 Jun 2025: interest starts 1 Jul (2025-H2, base 4.25 on 30 Jun + 8 = 12.25 %)
    #   1 Jul-31 Jul: 31 days: 10000 × 0.1225 × 31/365 = 37975/365 = 104.041095… → 104.04
    later = compute_interest(get_regime("uk-late-payment"), gbp("10000"), D(2025, 6, 30), D(2025, 7, 31))
    assert later.segments[0].annual_rate == Decimal("12.25")
    assert later.interest == gbp("104.04")


def test_gov_uk_example_at_full_precision() -> None:
    # gov.uk: GBP 1,000, base rate 0.5 % → 8.5 %, 50 days. Rounding the daily rate first gives
    # 23p × 50 = GBP 11.50; at full precision: 1000 × 0.085 × 50/365 = 4250/365 = 11.643835… → 11.64
    r = compute_interest(get_regime("contractual"), gbp("1000"), D(2025, 1, 31), D(2025, 3, 22), rate=Decimal("8.5"))
    assert r.days_late == 50
    assert r.interest == gbp("11.64")
    # the same through the UK regime, supplying the 2012-H1 statutory rate (base 0.5 % + 8):
    # due 10 Jan 2012, until 29 Feb 2012 = 21 + 29 = 50 days; fixed sum GBP 70 (1,000.00 tier)
    uk = compute_interest(
        get_regime("uk-late-payment"),
        gbp("1000"),
        D(2012, 1, 10),
        D(2012, 2, 29),
        extra_rates={"2012-H1": Decimal("8.5")},
    )
    assert uk.interest == gbp("11.64")
    assert uk.compensation == gbp("70")
    assert uk.day_count is DayCount.ACT_365


# -- Mexico ------------------------------------------------------------------------------------


def test_mexico_commercial_6_percent_act_365_and_30_360() -> None:
    # Código de Comercio art. 362: 6 %. MXN 100,000 due 31 Jan 2025, until 31 Mar 2025.
    #   ACT/365: 28 + 31 = 59 days: 100000 × 0.06 × 59/365 = 354000/365 = 969.863013… → 969.86
    #   30/360 (30E): (3·30 + 30) − (1·30 + 30) = 60 days: 100000 × 0.06 × 60/360 = 1000.00
    regime = get_regime("mx-commercial")
    r = compute_interest(regime, Money("100000", "MXN"), D(2025, 1, 31), D(2025, 3, 31))
    assert r.interest == Money("969.86", "MXN")
    assert r.compensation == Money("0", "MXN")
    r360 = compute_interest(
        regime, Money("100000", "MXN"), D(2025, 1, 31), D(2025, 3, 31), day_count=DayCount.THIRTY_360
    )
    assert r360.segments[0].accrual_days == 60
    assert r360.interest == Money("1000.00", "MXN")


def test_mexico_civil_9_percent() -> None:
    # Código Civil Federal art. 2395: 9 %. MXN 50,000 due 15 Mar 2025, until 15 Jun 2025:
    #   16 + 30 + 31 + 15 = 92 days: 50000 × 0.09 × 92/365 = 414000/365 = 1134.246575… → 1134.25
    r = compute_interest(get_regime("mx-civil"), Money("50000", "MXN"), D(2025, 3, 15), D(2025, 6, 15))
    assert r.days_late == 92
    assert r.interest == Money("1134.25", "MXN")


def test_mexico_agreed_rate_replaces_the_statutory_one() -> None:
    # agreed 12 %: 100000 × 0.12 × 59/365 = 708000/365 = 1939.726027… → 1939.73
    r = compute_interest(
        get_regime("mx-commercial"),
        Money("100000", "MXN"),
        D(2025, 1, 31),
        D(2025, 3, 31),
        rate=Decimal("12"),
    )
    assert r.interest == Money("1939.73", "MXN")


# -- Colombia: usury cap -----------------------------------------------------------------------


def test_co_usury_flags_and_caps_an_agreed_rate_above_the_cap() -> None:
    # Agreed 30 % EA; caps: Jan 2026 24.36 % (1.5 × IBC 16.24), Feb 2026 25.23 % (1.5 × 16.82).
    # EA → equivalent daily rate, applied to the principal without capitalising:
    #   Jan: 1.2436^(1/365) − 1 = 0.000597467177…; × 16 days × 1,000,000 = 9559.4748…
    #   Feb: 1.2523^(1/365) − 1 = 0.000616578665…; × 14 days × 1,000,000 = 8632.1013…
    #   sum 18191.5761… → COP 18191.58
    r = compute_interest(
        get_regime("co-usury"), Money("1000000", "COP"), D(2026, 1, 15), D(2026, 2, 14), rate=Decimal("30")
    )
    assert [s.annual_rate for s in r.segments] == [Decimal("24.36"), Decimal("25.23")]
    assert r.interest == Money("18191.58", "COP")
    assert len(r.warnings) == 2
    assert "exceeds the usury cap 24.36 % EA for 2026-01" in r.warnings[0]


def test_co_usury_without_agreed_rate_uses_the_cap_and_below_cap_uses_the_agreed_rate() -> None:
    # Código de Comercio art. 884: no agreed default rate → 1.5 × IBC, i.e. the cap: same 18191.58.
    regime = get_regime("co-usury")
    default = compute_interest(regime, Money("1000000", "COP"), D(2026, 1, 15), D(2026, 2, 14))
    assert default.interest == Money("18191.58", "COP")
    assert default.warnings == ()
    # agreed 20 % EA (below both caps): 1.20^(1/365) − 1 = 0.000499635890…;
    #   × 30 days × 1,000,000 = 14989.0767… → 14989.08
    low = compute_interest(regime, Money("1000000", "COP"), D(2026, 1, 15), D(2026, 2, 14), rate=Decimal("20"))
    assert low.interest == Money("14989.08", "COP")
    assert low.warnings == ()


# -- missing data and bad input ----------------------------------------------------------------


def test_missing_half_year_names_the_period_and_the_remedy() -> None:
    with pytest.raises(MissingRateError) as info:
        compute_interest(get_regime("es-commercial"), eur("1000"), D(2026, 6, 15), D(2026, 7, 31))
    assert info.value.period == "2026-H2"
    assert info.value.start == D(2026, 7, 1)
    assert "--period-rate 2026-H2=PCT" in str(info.value)
    assert "extra_rates={'2026-H2': Decimal(...)}" in str(info.value)


def test_missing_rate_names_the_year_and_the_month() -> None:
    with pytest.raises(MissingRateError, match="year 2026") as info:
        compute_interest(get_regime("es-legal"), eur("1000"), D(2025, 12, 15), D(2026, 1, 31))
    assert info.value.unverified == Decimal("3.25")  # quoted, never used
    with pytest.raises(MissingRateError, match="month 2025-09"):
        compute_interest(get_regime("co-usury"), Money("1000", "COP"), D(2025, 8, 15), D(2025, 9, 30))


def test_a_supplied_or_unverified_rate_fills_the_gap() -> None:
    # 2026-H2 at 10.40 %: 1 Jul-31 Jul = 31 days, 2026 not leap:
    #   1000 × 0.104 × 31/365 = 3224/365 = 8.832876… → 8.83
    regime = get_regime("es-commercial")
    supplied = compute_interest(
        regime, eur("1000"), D(2026, 6, 30), D(2026, 7, 31), extra_rates={"2026-H2": Decimal("10.40")}
    )
    assert supplied.interest == eur("8.83")
    unverified = compute_interest(regime, eur("1000"), D(2026, 6, 30), D(2026, 7, 31), include_unverified=True)
    assert unverified.interest == eur("8.83")


def test_no_rate_needed_when_nothing_accrues() -> None:
    # until == due: zero days late; no rate is looked up, so even an uncovered period is fine
    r = compute_interest(get_regime("es-commercial"), eur("1000"), D(2030, 1, 1), D(2030, 1, 1))
    assert r.days_late == 0
    assert r.total_due == eur("1000")


def test_bad_input_is_refused() -> None:
    regime = get_regime("es-commercial")
    with pytest.raises(DateOrderError):
        compute_interest(regime, eur("1000"), D(2024, 3, 1), D(2024, 2, 1))
    with pytest.raises(InvalidAmountError):
        compute_interest(regime, eur("-1"), D(2024, 1, 1), D(2024, 2, 1))
    with pytest.raises(DateOrderError):
        compute_interest(
            regime,
            eur("1000"),
            D(2024, 1, 1),
            D(2024, 2, 1),
            payments=[PartialPayment(D(2024, 2, 2), eur("1"))],
        )
    with pytest.raises(CurrencyMismatchError):
        compute_interest(
            regime,
            eur("1000"),
            D(2024, 1, 1),
            D(2024, 2, 1),
            payments=[PartialPayment(D(2024, 1, 15), gbp("1"))],
        )
    with pytest.raises(ValidationError, match="agreed annual rate"):
        compute_interest(get_regime("contractual"), eur("1000"), D(2024, 1, 1), D(2024, 2, 1))
    with pytest.raises(ValidationError, match="negative"):
        compute_interest(get_regime("contractual"), eur("1000"), D(2024, 1, 1), D(2024, 2, 1), rate=Decimal("-1"))
    with pytest.raises(CurrencyMismatchError, match="EUR"):  # EUR 40 cannot be added to a USD debt
        compute_interest(regime, Money("1000", "USD"), D(2024, 1, 1), D(2024, 2, 1))


def test_summary_for_notices() -> None:
    r = compute_interest(get_regime("es-commercial"), eur("25000"), D(2024, 5, 15), D(2024, 8, 14))
    summary = r.to_summary()
    assert summary.regime == "es-commercial"
    assert summary.interest == eur("769.30")
    assert summary.compensation == eur("40")
    assert summary.day_count == "act/act"
    assert [line.interest for line in summary.segments] == [eur("392.76"), eur("376.54")]
    assert any("Ley 3/2004" in source for source in summary.sources)


def test_explain_in_spanish_with_years_when_spanning_years() -> None:
    r = compute_interest(get_regime("es-legal"), eur("10000"), D(2023, 12, 1), D(2024, 1, 31))
    lines = explain(r, lang="es")
    # 26.712328… → 26,71 ; 27.527322… → 27,53 (see test_act_act_splits_at_new_year)
    assert lines[0] == "intereses del 2 de diciembre de 2023 al 31 de diciembre de 2023 al 3,25 %: 26,71 EUR"
    assert lines[1] == "intereses del 1 de enero de 2024 al 31 de enero de 2024 al 3,25 %: 27,53 EUR"
