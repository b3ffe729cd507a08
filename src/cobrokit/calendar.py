"""Business days and public holidays per country and region.

Used for ladder offsets in business days, for rolling instalment dates off weekends and
holidays, and for the "no contact on the debtor's public holidays" guardrail. Holiday
data comes from the ``holidays`` package; results are cached per (country, region, year).
An unknown country has no public holidays (weekends still count), which is logged once per
country — unless the calendar was asked for with ``warn=False`` (``calendar_for(country,
warn=False)``: the pure ladder decision must not log; the engine warns instead, with
:func:`has_holiday_data`). An unknown region falls back to its country's national holidays.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging

import holidays as _holidays

__all__ = ["BusinessCalendar", "calendar_for", "has_holiday_data"]

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=4096)
def _holiday_table(country: str, region: str, year: int) -> frozenset[dt.date] | None:
    """The public holidays of *country*/*region* in *year*; ``None`` when there is no data."""
    if not country:
        return frozenset()
    try:
        table = _holidays.country_holidays(country.upper(), subdiv=region.upper() or None, years=year)
    except (NotImplementedError, KeyError):
        if region:
            return _holiday_table(country, "", year)
        return None
    return frozenset(table.keys())


@functools.lru_cache(maxsize=1024)
def _warn_no_data(country: str) -> None:
    """Log, once per country, that it has no holiday data."""
    log.warning("no public-holiday data for country %r; only weekends are skipped", country)


@functools.lru_cache(maxsize=1024)
def has_holiday_data(country: str) -> bool:
    """True when the ``holidays`` package knows *country* (ISO 3166 alpha-2).

    An empty country has no holidays and needs no warning: True. This is what
    :class:`BusinessCalendar` warns about when built with ``warn=True``.
    """
    if not country:
        return True
    try:
        _holidays.country_holidays(country.upper())
    except (NotImplementedError, KeyError):
        return False
    return True


class BusinessCalendar:
    """Weekends (Saturday, Sunday) and the public holidays of one country and region.

    With *warn* (the default), a country with no holiday data is logged once (a warning);
    ``warn=False`` is the quiet form, for callers that must not log (the pure decision).
    """

    __slots__ = ("_years", "country", "region", "warn")

    def __init__(self, country: str = "", region: str = "", *, warn: bool = True) -> None:
        self.country = country
        self.region = region
        self.warn = warn
        self._years: dict[int, frozenset[dt.date]] = {}

    def is_holiday(self, day: dt.date) -> bool:
        """True on a public holiday of the country/region."""
        dates = self._years.get(day.year)
        if dates is None:
            found = _holiday_table(self.country, self.region, day.year)
            if found is None and self.warn:
                _warn_no_data(self.country)
            dates = self._years[day.year] = found or frozenset()
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
def calendar_for(country: str, region: str = "", *, warn: bool = True) -> BusinessCalendar:
    """The (cached) calendar of a country (ISO 3166 alpha-2) and optional subdivision.

    ``warn=False`` gives the quiet form: a country with no holiday data is not logged (use
    :func:`has_holiday_data` to warn elsewhere). Both forms give the same dates.
    """
    return BusinessCalendar(country, region, warn=warn)
