"""The shipped rate tables: versioned TOML data with a legal source on every row.

The files live in ``cobrokit/interest/data/`` (``es_commercial.toml``, ``es_legal.toml``,
``ecb_mro.toml``, ``uk_late_payment.toml``, ``co_ibc.toml``) and are read with
:mod:`tomllib` through :mod:`importlib.resources`, so they work from a wheel or a zip.

Table format (see any shipped file)::

    [table]
    name = "es-commercial"          # used in error messages
    kind = "half-year"              # half-year | year | month | date
    version = "2026.11.26"
    legal_basis = "…"

    [[rates]]                       # kind half-year / year / month
    period = "2024-H1"              # or "2024", "2024-07"
    rate = "12.50"                  # percent per year, as a STRING (never a float)
    reference = "4.50"              # optional underlying reference rate
    evidence = "V"                  # V, S, D or U (unverified: skipped by default)
    source = "BOE-A-2023-26709"

    [[changes]]                     # kind date: a rate from each date of effect
    effective = 2024-06-12
    rate = "4.25"

Rows marked ``evidence = "U"`` are **not** used unless ``include_unverified=True``; without
it a computation that needs them raises
:class:`~cobrokit.interest.errors.MissingRateError`, which quotes the unverified value.

Reading package data is the only I/O here; everything else in the package is pure.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.resources
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from cobrokit.errors import ConfigError, ValidationError
from cobrokit.interest.rates import (
    Evidence,
    PeriodKind,
    RatePeriod,
    RateSchedule,
    parse_rate,
    period_from_label,
)

__all__ = ["SHIPPED_TABLES", "RateTable", "load_table", "parse_table"]

SHIPPED_TABLES: dict[str, str] = {
    "es-commercial": "es_commercial.toml",
    "es-legal": "es_legal.toml",
    "ecb-mro": "ecb_mro.toml",
    "uk-late-payment": "uk_late_payment.toml",
    "co-usury": "co_ibc.toml",
}
"""Table name → file name in ``cobrokit/interest/data/``."""

_ONE_DAY = dt.timedelta(days=1)


@attrs.frozen(slots=True)
class RateTable:
    """A loaded rate table: its metadata and its schedule.

    Attributes:
        name: table name (``"es-commercial"``).
        title: what the rate is, in the words of the law.
        version: data version (date of the last review).
        legal_basis: the statute that defines the rate.
        publisher: where the official values are published.
        schedule: the usable rows (unverified ones only if asked for).
        known_through: for ``date`` tables, the last date the table is known complete.
        settings: the remaining ``[table]`` keys (``margin``, ``multiplier``…), as strings.
    """

    name: str
    title: str
    version: str
    legal_basis: str
    publisher: str
    schedule: RateSchedule
    known_through: dt.date | None = None
    settings: Mapping[str, str] = attrs.field(factory=dict, eq=False, hash=False)

    @property
    def kind(self) -> PeriodKind:
        """What the rows are keyed by."""
        return self.schedule.kind

    def setting(self, key: str) -> Decimal | None:
        """A numeric ``[table]`` setting (``margin``, ``multiplier``) or ``None``."""
        value = self.settings.get(key)
        return None if value is None else parse_rate(value, record=f"rate table {self.name}", field=key)


def _evidence(row: Mapping[str, Any], record: str) -> Evidence:
    value = str(row.get("evidence", "S"))
    try:
        return Evidence(value)
    except ValueError:
        raise ValidationError(record, "evidence", f"{value!r} is not one of V, S, D, U") from None


def _rate(row: Mapping[str, Any], key: str, record: str) -> Decimal:
    value = row.get(key)
    if isinstance(value, float):
        raise ValidationError(record, key, 'write rates as strings ("12.50"), never as TOML floats')
    return parse_rate(value, record=record, field=key)


def _date(value: object, record: str, field: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise ValidationError(record, field, f"{value!r} is not a TOML date (write 2026-07-01 unquoted)")


def parse_table(data: Mapping[str, Any], *, include_unverified: bool = False) -> RateTable:
    """Build a :class:`RateTable` from parsed TOML (*data* as :func:`tomllib.loads` returns).

    Use it for your own tables::

        table = parse_table(tomllib.loads(Path("my_rates.toml").read_text()))

    Raises:
        ValidationError: a row is malformed (the message names the row and field).
    """
    head = data.get("table")
    if not isinstance(head, Mapping):
        raise ValidationError("rate table", "table", "missing [table] section")
    name = str(head.get("name", "")).strip()
    if not name:
        raise ValidationError("rate table", "name", "must not be empty")
    try:
        kind = PeriodKind(str(head.get("kind", "")))
    except ValueError:
        raise ValidationError(f"rate table {name}", "kind", "must be half-year, year, month or date") from None
    rows: list[RatePeriod] = []
    unverified: dict[str, Decimal] = {}
    known_through: dt.date | None = None
    if kind is PeriodKind.DATE:
        known_through = _date(head.get("known_through"), f"rate table {name}", "known_through")
        if include_unverified and "unverified_through" in head:
            known_through = max(
                known_through, _date(head["unverified_through"], f"rate table {name}", "unverified_through")
            )
        changes = []
        for index, row in enumerate(data.get("changes", ())):
            record = f"rate table {name} change {index + 1}"
            evidence = _evidence(row, record)
            effective = _date(row.get("effective"), record, "effective")
            rate = _rate(row, "rate", record)
            if evidence is Evidence.UNVERIFIED and not include_unverified:
                unverified[effective.isoformat()] = rate
                continue
            changes.append((effective, rate, str(row.get("source", "")), evidence))
        changes.sort(key=lambda c: c[0])
        for position, (effective, rate, source, evidence) in enumerate(changes):
            last = changes[position + 1][0] - _ONE_DAY if position + 1 < len(changes) else known_through
            if last < effective:
                continue  # a change after known_through: not usable
            rows.append(RatePeriod(effective, last, rate, effective.isoformat(), source, evidence))
    else:
        for index, row in enumerate(data.get("rates", ())):
            label = str(row.get("period", ""))
            record = f"rate table {name} period {label or index + 1}"
            period = period_from_label(label, record=record)
            if period.kind is not kind:
                raise ValidationError(record, "period", f"{label!r} is not a {kind.value} label")
            evidence = _evidence(row, record)
            rate = _rate(row, "rate", record)
            reference = _rate(row, "reference", record) if "reference" in row else None
            if evidence is Evidence.UNVERIFIED and not include_unverified:
                unverified[period.label] = rate
                continue
            rows.append(
                RatePeriod(
                    period.first,
                    period.last,
                    rate,
                    period.label,
                    str(row.get("source", "")),
                    evidence,
                    reference,
                )
            )
    schedule = RateSchedule.from_periods(name, kind, rows)
    schedule = attrs.evolve(schedule, unverified=unverified)
    settings = {
        str(k): str(v)
        for k, v in head.items()
        if k
        not in {
            "name",
            "title",
            "kind",
            "version",
            "legal_basis",
            "publisher",
            "known_through",
            "unverified_through",
        }
    }
    return RateTable(
        name=name,
        title=str(head.get("title", name)),
        version=str(head.get("version", "")),
        legal_basis=str(head.get("legal_basis", "")),
        publisher=str(head.get("publisher", "")),
        schedule=schedule,
        known_through=known_through,
        settings=settings,
    )


@functools.cache
def load_table(name: str, *, include_unverified: bool = False) -> RateTable:
    """Load a shipped table by name (see :data:`SHIPPED_TABLES`); cached.

    Raises:
        ConfigError: *name* is not a shipped table, or its file is missing or not TOML.
    """
    filename = SHIPPED_TABLES.get(name)
    if filename is None:
        raise ConfigError(f"no shipped rate table {name!r}; shipped: {', '.join(SHIPPED_TABLES)}")
    try:
        resource = importlib.resources.files("cobrokit.interest").joinpath("data").joinpath(filename)
        text = resource.read_text("utf-8")
        data = tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"rate table {name!r} ({filename}) cannot be read: {exc}") from exc
    return parse_table(data, include_unverified=include_unverified)
