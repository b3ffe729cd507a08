"""Errors of the interest engine.

:class:`MissingRateError` is raised instead of guessing when a rate table has no published
rate for a period the computation needs; :class:`UnknownRegimeError` when a regime name is
not registered.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from cobrokit.errors import CobrokitError, ValidationError

__all__ = ["MissingRateError", "UnknownRegimeError"]


class MissingRateError(CobrokitError):
    """A period with no published rate: the computation stops instead of guessing.

    The message names the period, what the table covers, and how to supply the rate for
    exactly that period (the rest of the table still applies)::

        co-usury: no published rate for the month 2024-12 (2024-12-01 to 2024-12-31); the
        table covers 2024-01 to 2024-02, 2025-01, …; supply it with --period-rate 2024-12=PCT
        (cobrokit interest), [interest.rates.co-usury] "2024-12" = "PCT" in cobrokit.toml,
        or extra_rates={'2024-12': Decimal(...)} in Python

    Attributes:
        regime: the regime (or rate table) that lacks the rate, e.g. ``"es-commercial"``.
        period: the label of the (first) missing period: ``"2026-H2"`` (half-year),
            ``"2026"`` (year), ``"2026-07"`` (month) or an ISO date.
        start: first day of the missing period.
        end: last day of the missing period.
        coverage: what the table does cover, e.g. ``"2019-H1 to 2026-H1"``.
        unverified: a candidate value the shipped table holds but has not verified
            (``None`` when there is none); it is never used unless asked for.
        periods: every missing period of the computation, the first one included, when
            the caller knows them (``("2024-12", "2025-02")``); else just ``(period,)``.
    """

    def __init__(
        self,
        regime: str,
        period: str,
        start: dt.date,
        end: dt.date,
        *,
        kind: str = "period",
        coverage: str = "",
        unverified: Decimal | None = None,
        periods: tuple[str, ...] = (),
    ) -> None:
        self.regime = regime
        self.period = period
        self.start = start
        self.end = end
        self.coverage = coverage
        self.unverified = unverified
        self.kind = kind
        self.periods = periods or (period,)
        span = f" ({start.isoformat()} to {end.isoformat()})" if start != end else ""
        others = [p for p in self.periods if p != period]
        also = f"; also missing: {', '.join(others)}" if others else ""
        covered = f"; the table covers {coverage}" if coverage else ""
        candidate = f" (it holds an unverified {unverified} %, not used)" if unverified is not None else ""
        if kind == "period from":
            # a table keyed by dates of change: no period label to supply
            hint = "supply an agreed rate with --rate PCT (rate=Decimal(...) in Python), or extend the rate table"
        else:
            flags = " ".join(f"--period-rate {p}=PCT" for p in self.periods)
            toml = ", ".join(f'"{p}" = "PCT"' for p in self.periods)
            toml = f"[interest.rates.{regime}] {toml}"
            python = ", ".join(f"'{p}': Decimal(...)" for p in self.periods)
            hint = (
                f"supply it with {flags} (cobrokit interest), {toml} in cobrokit.toml, "
                f"or extra_rates={{{python}}} in Python"
            )
            if unverified is not None:
                hint += " (or include_unverified=True to use the unverified value)"
        super().__init__(f"{regime}: no published rate for the {kind} {period}{span}{also}{covered}{candidate}; {hint}")

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild_missing_rate,
            (
                self.regime,
                self.period,
                self.start,
                self.end,
                self.kind,
                self.coverage,
                self.unverified,
                self.periods,
            ),
        )


def _rebuild_missing_rate(
    regime: str,
    period: str,
    start: dt.date,
    end: dt.date,
    kind: str,
    coverage: str,
    unverified: Decimal | None,
    periods: tuple[str, ...] = (),
) -> MissingRateError:
    return MissingRateError(
        regime, period, start, end, kind=kind, coverage=coverage, unverified=unverified, periods=periods
    )


class UnknownRegimeError(ValidationError):
    """A regime name that no built-in or plugin registers."""

    def __init__(self, name: str, known: list[str] | tuple[str, ...]) -> None:
        self.name = name
        self.known = tuple(known)
        super().__init__("interest", "regime", f"unknown regime {name!r}; known regimes: {', '.join(known) or 'none'}")

    def __reduce__(self) -> tuple[type[UnknownRegimeError], tuple[str, tuple[str, ...]]]:  # type: ignore[override]
        return (type(self), (self.name, self.known))
