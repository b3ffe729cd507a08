"""Day counts, by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from cobrokit.errors import ValidationError
from cobrokit.interest import DayCount, accruals
from cobrokit.interest.daycount import days_in_year, thirty_e_360_days

D = dt.date


def test_parse() -> None:
    assert DayCount.parse("ACT/365F") is DayCount.ACT_365
    assert DayCount.parse("30E/360") is DayCount.THIRTY_360
    assert DayCount.parse("act/act") is DayCount.ACT_ACT
    with pytest.raises(ValidationError, match="act/act, act/365, act/360, 30/360"):
        DayCount.parse("bus/252")


def test_leap_years() -> None:
    assert [days_in_year(y) for y in (1900, 2000, 2023, 2024)] == [365, 366, 365, 366]


def test_act_act_slices_per_calendar_year() -> None:
    # 15 Dec 2023 .. 10 Jan 2025: 17 days of 2023 /365, 366 days of 2024 /366, 10 days of 2025 /365
    slices = accruals(D(2023, 12, 15), D(2025, 1, 10), DayCount.ACT_ACT)
    assert [(s.days, s.basis) for s in slices] == [(17, 365), (366, 366), (10, 365)]


def test_act_360_and_365() -> None:
    (a360,) = accruals(D(2024, 2, 1), D(2024, 3, 1), DayCount.ACT_360)
    assert (a360.days, a360.accrual_days, a360.basis) == (30, 30, 360)
    (a365,) = accruals(D(2024, 2, 1), D(2024, 3, 1), DayCount.ACT_365)
    assert a365.basis == 365


def test_thirty_e_360() -> None:
    # f(d) = 360·y + 30·m + min(day, 30); days = f(last) − f(first − 1)
    # 1 Feb .. 28 Feb 2025 (after 31 Jan): (60 + 28) − (30 + 30) = 28
    assert thirty_e_360_days(D(2025, 2, 1), D(2025, 2, 28)) == 28
    # 1 Mar .. 31 Mar: (90 + 30) − (60 + 28) = 32 (the 29th and 30th of February are counted)
    assert thirty_e_360_days(D(2025, 3, 1), D(2025, 3, 31)) == 32
    # a whole year: 1 Jan .. 31 Dec 2025 = 360
    assert thirty_e_360_days(D(2025, 1, 1), D(2025, 12, 31)) == 360


def test_empty_and_reversed_periods() -> None:
    assert accruals(D(2025, 1, 2), D(2025, 1, 1), DayCount.ACT_365) == []
    with pytest.raises(ValidationError):
        accruals(D(2025, 1, 3), D(2025, 1, 1), DayCount.ACT_365)
