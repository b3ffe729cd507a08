"""Business days and public holidays per country and region.

Used for ladder offsets in business days, for rolling instalment dates off weekends and
holidays, and for the "no contact on the debtor's public holidays" guardrail. Holiday
data comes from the ``holidays`` package; results are cached per (country, region, year).
An unknown country has no public holidays (weekends still count), which is logged once.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging

import holidays as _holidays

__all__ = ["BusinessCalendar", "calendar_for"]

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=4096)
def _holiday_dates(country: str, region: str, year: int) -> frozenset[dt.date]:
    if not country:
        return frozenset()
    try:
        table = _holidays.country_holidays(country.upper(), subdiv=region.upper() or None, years=year)
    except (NotImplementedError, KeyError):
        if region:
            return _holiday_dates(country, "", year)
        log.warning("no public-holiday data for country %r; only weekends are skipped", country)
        return frozenset()
    return frozenset(table.keys())


class BusinessCalendar:
    """Weekends (Saturday, Sunday) and the public holidays of one country and region."""

    __slots__ = ("_years", "country", "region")

    def __init__(self, country: str = "", region: str = "") -> None:
        self.country = country
        self.region = region
        self._years: dict[int, frozenset[dt.date]] = {}

    def is_holiday(self, day: dt.date) -> bool:
        """True on a public holiday of the country/region."""
        dates = self._years.get(day.year)
        if dates is None:
            dates = self._years[day.year] = _holiday_dates(self.country, self.region, day.year)
        return day in dates

    def is_business_day(self, day: dt.date) -> bool:
        """True on a weekday that is not a public holiday."""
        return day.weekday() < 5 and not self.is_holiday(day)

    def roll_forward(self, day: dt.date) -> dt.date:
        """*day* if it is a business day, else the next business day."""
        while not self.is_business_day(day):
            day += dt.timedelta(days=1)
        return day

    def add_business_days(self, day: dt.date, count: int) -> dt.date:
        """Move *count* business days from *day* (negative moves back); 0 rolls forward."""
        if count == 0:
            return self.roll_forward(day)
        step = dt.timedelta(days=1 if count > 0 else -1)
        remaining = abs(count)
        while remaining:
            day += step
            if self.is_business_day(day):
                remaining -= 1
        return day


@functools.lru_cache(maxsize=1024)
def calendar_for(country: str, region: str = "") -> BusinessCalendar:
    """The (cached) calendar of a country (ISO 3166 alpha-2) and optional subdivision."""
    return BusinessCalendar(country, region)
