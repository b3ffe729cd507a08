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

    Attributes:
        regime: the regime (or rate table) that lacks the rate, e.g. ``"es-commercial"``.
        period: the label of the missing period: ``"2026-H2"`` (half-year), ``"2026"``
            (year), ``"2026-07"`` (month) or an ISO date.
        start: first day of the missing period.
        end: last day of the missing period.
        coverage: what the table does cover, e.g. ``"2019-H1 to 2026-H1"``.
        unverified: a candidate value the shipped table holds but has not verified
            (``None`` when there is none); it is never used unless asked for.
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
    ) -> None:
        self.regime = regime
        self.period = period
        self.start = start
        self.end = end
        self.coverage = coverage
        self.unverified = unverified
        self.kind = kind
        span = f" ({start.isoformat()} to {end.isoformat()})" if start != end else ""
        covered = f"; the table covers {coverage}" if coverage else ""
        candidate = f" (it holds an unverified {unverified} %, not used)" if unverified is not None else ""
        python_hint = f"extra_rates={{'{period}': Decimal(...)}}"
        if unverified is not None:
            python_hint += " or include_unverified=True"
        super().__init__(
            f"{regime}: no published rate for the {kind} {period}{span}{covered}{candidate}; "
            f"supply it with --rate PCT (applies to the whole period) or, in Python, {python_hint}"
        )

    def __reduce__(self) -> tuple[object, ...]:
        return (
            _rebuild_missing_rate,
            (self.regime, self.period, self.start, self.end, self.kind, self.coverage, self.unverified),
        )


def _rebuild_missing_rate(
    regime: str,
    period: str,
    start: dt.date,
    end: dt.date,
    kind: str,
    coverage: str,
    unverified: Decimal | None,
) -> MissingRateError:
    return MissingRateError(regime, period, start, end, kind=kind, coverage=coverage, unverified=unverified)


class UnknownRegimeError(ValidationError):
    """A regime name that no built-in or plugin registers."""

    def __init__(self, name: str, known: list[str] | tuple[str, ...]) -> None:
        self.name = name
        self.known = tuple(known)
        super().__init__("interest", "regime", f"unknown regime {name!r}; known regimes: {', '.join(known) or 'none'}")

    def __reduce__(self) -> tuple[type[UnknownRegimeError], tuple[str, tuple[str, ...]]]:  # type: ignore[override]
        return (type(self), (self.name, self.known))
