"""The shipped rate tables: consistent with their own rules, sourced, unverified rows kept apart."""

from __future__ import annotations

import datetime as dt
import tomllib
from decimal import Decimal

import pytest

from cobrokit.errors import ValidationError
from cobrokit.interest import (
    Evidence,
    MissingRateError,
    PeriodKind,
    RateSchedule,
    cap_from_ibc,
    get_regime,
    load_table,
    parse_table,
    usury_check,
)
from cobrokit.interest.rates import RatePeriod, period_from_label
from cobrokit.interest.tables import SHIPPED_TABLES

D = dt.date


@pytest.mark.parametrize("name", sorted(SHIPPED_TABLES))
def test_every_row_has_a_source_and_a_version(name: str) -> None:
    table = load_table(name, include_unverified=True)
    assert table.version
    assert table.legal_basis
    assert table.schedule.periods
    for row in table.schedule.periods:
        assert row.source, row.label


def test_spanish_table_matches_the_ecb_rule() -> None:
    # Ley 3/2004 art. 7.2: MRO in force on the half-year's first day + 8 points; the eu-directive
    # regime derives the same from ecb_mro.toml. The two independent tables must agree.
    spanish = load_table("es-commercial").schedule
    directive = get_regime("eu-directive").schedule(D(2019, 1, 1))
    for row in spanish.periods:
        assert directive.rate_on(row.first).rate == row.rate, row.label
        assert row.reference is not None and row.reference + 8 == row.rate


def test_uk_rate_is_base_plus_8() -> None:
    for row in load_table("uk-late-payment", include_unverified=True).schedule.periods:
        assert row.reference is not None and row.reference + 8 == row.rate, row.label


def test_colombian_cap_is_one_and_a_half_ibc() -> None:
    # e.g. Feb 2024: 23.31 × 1.5 = 34.965 → 34.97 half-up (the published cap)
    assert cap_from_ibc(Decimal("23.31")) == Decimal("34.97")
    for row in load_table("co-usury").schedule.periods:
        assert row.reference is not None and cap_from_ibc(row.reference) == row.rate, row.label


def test_usury_check() -> None:
    check = usury_check(Decimal("30"), D(2026, 1, 10))
    assert (check.month, check.cap, check.ibc) == ("2026-01", Decimal("24.36"), Decimal("16.24"))
    assert check.exceeds
    assert not usury_check(Decimal("24.36"), D(2026, 1, 10)).exceeds
    with pytest.raises(MissingRateError, match="2025-09"):
        usury_check(Decimal("20"), D(2025, 9, 10))


def test_unverified_rows_are_left_out_unless_asked_for() -> None:
    default = load_table("es-commercial").schedule
    assert all(row.evidence is not Evidence.UNVERIFIED for row in default.periods)
    assert default.unverified == {"2026-H2": Decimal("10.40")}
    everything = load_table("es-commercial", include_unverified=True).schedule
    assert everything.rate_on(D(2026, 7, 1)).rate == Decimal("10.40")


def test_period_labels() -> None:
    assert period_from_label("2026-H2").first == D(2026, 7, 1)
    assert period_from_label("2024-02").last == D(2024, 2, 29)
    assert period_from_label("2025").last == D(2025, 12, 31)
    with pytest.raises(ValidationError):
        period_from_label("2025-13")
    with pytest.raises(ValidationError):
        period_from_label("H2-2025")


def test_custom_table_from_toml() -> None:
    text = """
    [table]
    name = "acme"
    kind = "year"
    [[rates]]
    period = "2025"
    rate = "4.00"
    source = "ACME terms"
    """
    table = parse_table(tomllib.loads(text))
    assert table.kind is PeriodKind.YEAR
    assert table.schedule.rate_on(D(2025, 6, 1)).rate == Decimal("4.00")
    with pytest.raises(ValidationError, match="strings"):
        parse_table(tomllib.loads(text.replace('rate = "4.00"', "rate = 4.0")))


def test_with_rates_replaces_overlapped_rows() -> None:
    schedule = RateSchedule.from_periods(
        "t",
        PeriodKind.YEAR,
        [
            RatePeriod(D(2024, 1, 1), D(2024, 12, 31), Decimal("3"), "2024"),
        ],
    )
    patched = schedule.with_rates({"2024-H2": Decimal("5"), "2025": Decimal("6")})
    assert [(p.first, p.last, p.rate) for p in patched.periods] == [
        (D(2024, 1, 1), D(2024, 6, 30), Decimal("3")),
        (D(2024, 7, 1), D(2024, 12, 31), Decimal("5")),
        (D(2025, 1, 1), D(2025, 12, 31), Decimal("6")),
    ]
    with pytest.raises(ValidationError, match="overlap"):
        RateSchedule(
            "t",
            PeriodKind.YEAR,
            (
                RatePeriod(D(2024, 1, 1), D(2024, 12, 31), Decimal("3"), "a"),
                RatePeriod(D(2024, 6, 1), D(2025, 12, 31), Decimal("3"), "b"),
            ),
        )


def test_coverage_lists_runs_of_consecutive_periods() -> None:
    # the Colombian table has gaps: 2024-01..02, 2025-01, 2025-07..08, 2025-10..2026-02
    # (the months listed in co_ibc.toml); a range "2024-01 to 2026-02" would hide them
    caps = load_table("co-usury").schedule
    assert caps.coverage == "2024-01 to 2024-02, 2025-01, 2025-07 to 2025-08, 2025-10 to 2026-02"
    assert get_regime("co-usury").rate_rule.coverage() == caps.coverage
    # a table without gaps keeps the short form
    assert load_table("es-commercial").schedule.coverage == "2019-H1 to 2026-H1"


def test_missing_rate_lists_every_missing_period_of_the_range() -> None:
    caps = load_table("co-usury").schedule
    # 2024-12-16 .. 2025-03-10 crosses 2024-12 (missing), 2025-01 (covered), 2025-02 and 2025-03 (missing)
    with pytest.raises(MissingRateError) as info:
        caps.slices(D(2024, 12, 16), D(2025, 3, 10))
    assert info.value.period == "2024-12"
    assert info.value.periods == ("2024-12", "2025-02", "2025-03")
    assert "also missing: 2025-02, 2025-03" in str(info.value)


def test_missing_rate_error_survives_pickling() -> None:
    import pickle

    error = MissingRateError(
        "co-usury", "2024-12", D(2024, 12, 1), D(2024, 12, 31), kind="month", periods=("2024-12", "2025-02")
    )
    again = pickle.loads(pickle.dumps(error))
    assert (again.periods, str(again)) == (error.periods, str(error))
