"""Regimes: which rate, day count, compensation, imputation and limitation a debt follows.

A :class:`Regime` bundles everything a jurisdiction (or a contract) decides:

* a **rate rule** that turns the debt's dates into a :class:`~cobrokit.interest.rates.RateSchedule`
  (a statutory table, a reference rate plus a margin, one rate fixed when interest starts,
  a fixed statutory rate, a usury-capped rate, or the agreed rate);
* the default **day count**, the **compensation** per late invoice, the **imputation**
  order of partial payments, simple interest or an **effective annual** rate, and the
  **limitation** rule;
* the legal **sources** cited on letters.

The built-in regimes come from :func:`builtin_regimes` (no plugin machinery needed); a
plugin adds more through the ``cobrokit_register_regimes`` hook, e.g.::

    @hookimpl
    def cobrokit_register_regimes():
        return [eu_directive_regime("fr-commercial", margin=Decimal("10"), country="FR",
                                    sources=("Code de commerce art. L441-10",))]

Pure: no I/O (tables are package data), no clock.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol, runtime_checkable

import attrs

from cobrokit.errors import ValidationError
from cobrokit.interest.compensation import (
    UK_FIXED_SUMS,
    CompensationRule,
    FixedCompensation,
    NoCompensation,
)
from cobrokit.interest.daycount import DayCount
from cobrokit.interest.errors import UnknownRegimeError
from cobrokit.interest.limitation import SPAIN_CIVIL, UK_SIMPLE_CONTRACT, LimitationRule
from cobrokit.interest.rates import (
    Evidence,
    PeriodKind,
    RatePeriod,
    RateSchedule,
    format_rate,
    period_of,
)
from cobrokit.interest.tables import load_table
from cobrokit.money import Money

__all__ = [
    "AgreedRate",
    "Compounding",
    "FixedAtStart",
    "Imputation",
    "RateRule",
    "ReferencePlusMargin",
    "Regime",
    "StatutoryRate",
    "TableRate",
    "UsuryCap",
    "UsuryCheck",
    "builtin_regimes",
    "cap_from_ibc",
    "contractual_regime",
    "eu_directive_regime",
    "get_regime",
    "usury_check",
]

_ONE_DAY = dt.timedelta(days=1)


class Imputation(enum.Enum):
    """Order in which a partial payment is applied."""

    INTEREST_FIRST = "interest-first"
    """Accrued interest, then principal, then compensation and fees (Spanish Civil Code arts. 1173, 1174)."""
    PRINCIPAL_FIRST = "principal-first"
    """Principal, then accrued interest, then compensation and fees (a contract or court may choose it)."""


class Compounding(enum.Enum):
    """How an annual rate becomes interest for a number of days."""

    SIMPLE = "simple"
    """``base × rate × days / basis``: no capitalisation (Directive art. 2(6), CC art. 1109)."""
    EFFECTIVE_ANNUAL = "effective-annual"
    """The rate is effective annual (EA, Colombia): each day accrues ``base × ((1 + EA)^(1/basis) − 1)``,
    the equivalent daily rate, applied to the base without capitalising interest."""


@runtime_checkable
class RateRule(Protocol):
    """Turns a debt's dates into the rate schedule that applies to it."""

    def schedule(
        self,
        regime: str,
        interest_start: dt.date,
        *,
        agreed_rate: Decimal | None,
        extra_rates: Mapping[str, Decimal],
        include_unverified: bool,
    ) -> RateSchedule:
        """The schedule for a debt whose interest starts on *interest_start*.

        Raises:
            MissingRateError: the rule needs a rate that no table publishes (may also be
                raised later, when the schedule is asked for an uncovered day).
            ValidationError: the rule needs an agreed rate and none was given.
        """
        ...

    def describe(self) -> str:
        """One line: how the rate is determined."""
        ...

    def coverage(self) -> str:
        """Which periods the shipped data covers (``"2019-H1 to 2026-H1"``), or ``"any date"``."""
        ...


def _agreed(regime: str, rate: Decimal, source: str) -> RateSchedule:
    return RateSchedule.fixed(rate, name=regime, source=source, label="agreed")


@attrs.frozen(slots=True)
class TableRate:
    """The rate of a shipped table, period by period (es-commercial by half-year, es-legal by year).

    An agreed rate replaces the table (Ley 3/2004 art. 7.1, CC art. 1108: the agreed
    interest applies first).
    """

    table: str
    agreed_source: str = "agreed rate"

    def schedule(
        self,
        regime: str,
        interest_start: dt.date,
        *,
        agreed_rate: Decimal | None,
        extra_rates: Mapping[str, Decimal],
        include_unverified: bool,
    ) -> RateSchedule:
        """The table's schedule, with *extra_rates* added; or the agreed rate."""
        if agreed_rate is not None:
            return _agreed(regime, agreed_rate, self.agreed_source)
        schedule = load_table(self.table, include_unverified=include_unverified).schedule
        return attrs.evolve(schedule, name=regime).with_rates(extra_rates)

    def describe(self) -> str:
        """How the rate is found."""
        table = load_table(self.table)
        return f"{table.title}, {table.kind.value} by {table.kind.value}"

    def coverage(self) -> str:
        """The verified range of the table."""
        return load_table(self.table).schedule.coverage


@attrs.frozen(slots=True)
class ReferencePlusMargin:
    """A reference rate in force on the first day of each half-year plus a margin.

    Directive 2011/7/EU art. 2(6)-(7), 3(2): the ECB MRO rate in force on 1 January applies
    to the first half-year and the one in force on 1 July to the second, plus at least
    8 points. The rate is re-priced every half-year while the debt stays unpaid.
    """

    margin: Decimal = Decimal("8")
    reference_table: str = "ecb-mro"
    agreed_source: str = "agreed rate (Directive 2011/7/EU art. 3: agreed interest applies)"

    def _semesters(self, regime: str, include_unverified: bool) -> RateSchedule:
        table = load_table(self.reference_table, include_unverified=include_unverified)
        reference = table.schedule
        rows: list[RatePeriod] = []
        unverified: dict[str, Decimal] = {}
        if reference.periods:
            first_half = period_of(PeriodKind.HALF_YEAR, reference.periods[0].first)
            day = first_half.first
            if day < reference.periods[0].first:  # the table starts mid half-year
                day = first_half.last + _ONE_DAY
            known = table.known_through or reference.periods[-1].last
            while day <= known:
                half = period_of(PeriodKind.HALF_YEAR, day)
                row = reference.rate_on(day)
                rows.append(
                    RatePeriod(
                        half.first,
                        half.last,
                        row.rate + self.margin,
                        half.label,
                        f"{table.title} {format_rate(row.rate)} % in force on {day.isoformat()} "
                        f"(from {row.first.isoformat()}; {row.source}) + {format_rate(self.margin)} points",
                        Evidence.UNVERIFIED if row.evidence is Evidence.UNVERIFIED else Evidence.DERIVED,
                        row.rate,
                    )
                )
                day = half.last + _ONE_DAY
            # an unverified candidate for the next half-year only, quoted by the error message
            half = period_of(PeriodKind.HALF_YEAR, day)
            candidates = [
                (dt.date.fromisoformat(k), v)
                for k, v in reference.unverified.items()
                if dt.date.fromisoformat(k) <= half.first
            ]
            if candidates:
                unverified[half.label] = max(candidates)[1] + self.margin
        return RateSchedule(regime, PeriodKind.HALF_YEAR, tuple(rows), unverified)

    def schedule(
        self,
        regime: str,
        interest_start: dt.date,
        *,
        agreed_rate: Decimal | None,
        extra_rates: Mapping[str, Decimal],
        include_unverified: bool,
    ) -> RateSchedule:
        """Half-year rates derived from the reference table, with *extra_rates* added."""
        if agreed_rate is not None:
            return _agreed(regime, agreed_rate, self.agreed_source)
        return self._semesters(regime, include_unverified).with_rates(extra_rates)

    def describe(self) -> str:
        """How the rate is found."""
        return (
            f"{load_table(self.reference_table).title} in force on 1 January / 1 July "
            f"+ {format_rate(self.margin)} points, re-priced each half-year"
        )

    def coverage(self) -> str:
        """The half-years the reference table covers."""
        return self._semesters("coverage", False).coverage


@attrs.frozen(slots=True)
class FixedAtStart:
    """One rate for the whole life of the debt, chosen by the half-year in which interest starts.

    UK SI 2002/1675 art. 4: base rate on 31 December (interest starting 1 Jan-30 Jun) or
    30 June (interest starting 1 Jul-31 Dec) + 8 points. The rate does **not** step at
    later half-years.
    """

    table: str = "uk-late-payment"
    agreed_source: str = "agreed rate (a substantial contractual remedy displaces statutory interest, 1998 Act s.8)"

    def schedule(
        self,
        regime: str,
        interest_start: dt.date,
        *,
        agreed_rate: Decimal | None,
        extra_rates: Mapping[str, Decimal],
        include_unverified: bool,
    ) -> RateSchedule:
        """A fixed schedule at the rate of the half-year of *interest_start*."""
        if agreed_rate is not None:
            return _agreed(regime, agreed_rate, self.agreed_source)
        table = load_table(self.table, include_unverified=include_unverified)
        row = attrs.evolve(table.schedule, name=regime).with_rates(extra_rates).rate_on(interest_start)
        fixed = attrs.evolve(
            row,
            first=dt.date.min,
            last=dt.date.max,
            label=f"{row.label}, fixed for the debt's life",
        )
        return RateSchedule(regime, PeriodKind.DATE, (fixed,))

    def describe(self) -> str:
        """How the rate is found."""
        return (
            "Bank of England base rate on 31 Dec / 30 Jun before interest starts + 8 points, "
            "fixed for the life of the debt"
        )

    def coverage(self) -> str:
        """Half-years of interest start that the table covers."""
        return load_table(self.table).schedule.coverage


@attrs.frozen(slots=True)
class StatutoryRate:
    """A fixed statutory rate (Mexico: 6 % commercial, 9 % civil); an agreed rate replaces it."""

    rate: Decimal
    source: str

    def schedule(
        self,
        regime: str,
        interest_start: dt.date,
        *,
        agreed_rate: Decimal | None,
        extra_rates: Mapping[str, Decimal],
        include_unverified: bool,
    ) -> RateSchedule:
        """One period at :attr:`rate` (or at the agreed rate)."""
        if agreed_rate is not None:
            return _agreed(regime, agreed_rate, f"agreed rate ({self.source}: the agreed rate applies first)")
        return RateSchedule.fixed(
            self.rate, name=regime, source=self.source, label="statutory", evidence=Evidence.SECONDARY
        )

    def describe(self) -> str:
        """How the rate is found."""
        return f"{format_rate(self.rate)} % a year ({self.source})"

    def coverage(self) -> str:
        """Any date."""
        return "any date"


@attrs.frozen(slots=True)
class AgreedRate:
    """The rate the parties agreed; there is no fallback (``contractual`` regime)."""

    def schedule(
        self,
        regime: str,
        interest_start: dt.date,
        *,
        agreed_rate: Decimal | None,
        extra_rates: Mapping[str, Decimal],
        include_unverified: bool,
    ) -> RateSchedule:
        """A fixed schedule at the agreed rate.

        Raises:
            ValidationError: no agreed rate was given.
        """
        if agreed_rate is None:
            raise ValidationError(
                "interest",
                "rate",
                f"the {regime} regime needs the agreed annual rate: pass --rate PCT (rate=Decimal(...) in Python)",
            )
        return _agreed(regime, agreed_rate, "agreed rate (contract)")

    def describe(self) -> str:
        """How the rate is found."""
        return "the agreed annual rate (required)"

    def coverage(self) -> str:
        """Any date."""
        return "any date"


@attrs.frozen(slots=True)
class UsuryCheck:
    """An agreed effective annual rate compared with the Colombian usury cap of its month."""

    month: str
    rate: Decimal
    ibc: Decimal | None
    cap: Decimal
    exceeds: bool
    source: str


@attrs.frozen(slots=True)
class UsuryCap:
    """Colombia: monthly cap of 1.5 × the certified bank rate (IBC), effective annual.

    Without an agreed rate, default interest **is** the cap (Código de Comercio art. 884:
    1.5 × IBC when no default rate was agreed). With an agreed rate, each month uses the
    lower of the agreed rate and the cap, and a month where the agreed rate is above the
    cap is flagged (charging above it is usury, Código Penal art. 305).
    """

    table: str = "co-usury"

    def schedule(
        self,
        regime: str,
        interest_start: dt.date,
        *,
        agreed_rate: Decimal | None,
        extra_rates: Mapping[str, Decimal],
        include_unverified: bool,
    ) -> RateSchedule:
        """Monthly rates: the cap, or the agreed rate capped."""
        caps = load_table(self.table, include_unverified=include_unverified).schedule
        caps = attrs.evolve(caps, name=regime).with_rates(extra_rates)
        if agreed_rate is None:
            return caps
        rows = []
        for row in caps.periods:
            if agreed_rate > row.rate:
                rows.append(
                    attrs.evolve(
                        row,
                        source=f"usury cap {row.label}: {row.source}",
                        warning=(
                            f"agreed rate {format_rate(agreed_rate)} % EA exceeds the usury cap "
                            f"{format_rate(row.rate)} % EA for {row.label} (1.5 × IBC, Código de Comercio "
                            f"art. 884; Código Penal art. 305); interest computed at the cap"
                        ),
                    )
                )
            else:
                rows.append(
                    attrs.evolve(
                        row,
                        rate=agreed_rate,
                        source="agreed rate (below the usury cap)",
                        evidence=Evidence.SUPPLIED,
                    )
                )
        return attrs.evolve(caps, periods=tuple(rows))

    def describe(self) -> str:
        """How the rate is found."""
        return "1.5 × the monthly certified bank rate (IBC), effective annual; agreed rates capped"

    def coverage(self) -> str:
        """Months the table covers, as runs of consecutive months (the table has gaps)."""
        return load_table(self.table).schedule.coverage


def usury_check(rate: Decimal, on: dt.date, *, include_unverified: bool = False, table: str = "co-usury") -> UsuryCheck:
    """Compare an agreed effective annual *rate* with the Colombian usury cap in force on *on*.

    A nominal monthly rate must first be converted to EA: ``(1 + monthly)^12 − 1``.

    Raises:
        MissingRateError: no certified IBC for that month.
    """
    row = load_table(table, include_unverified=include_unverified).schedule.rate_on(on)
    return UsuryCheck(row.label, rate, row.reference, row.rate, rate > row.rate, row.source)


def cap_from_ibc(ibc: Decimal, multiplier: Decimal = Decimal("1.5")) -> Decimal:
    """The usury cap for a certified IBC: ``1.5 × IBC`` rounded half-up to 2 decimals."""
    return (ibc * multiplier).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@attrs.frozen(slots=True)
class Regime:
    """Everything a jurisdiction or contract decides about late-payment interest.

    Attributes:
        name: unique name (``"es-commercial"``), used by ``--regime``.
        title: one line for humans.
        rate_rule: how the rate schedule is found.
        day_count: the default day count.
        compensation: the fixed sum per late invoice.
        imputation: the default order for partial payments.
        compounding: simple interest or an effective annual rate.
        limitation: the limitation rule, or ``None`` when the regime ships none.
        country: ISO 3166 code (``"ES"``), ``"EU"``, or empty.
        sources: legal sources cited on letters.
        notes: caveats (unverified points, scope).
    """

    name: str
    title: str
    rate_rule: RateRule
    day_count: DayCount
    compensation: CompensationRule = attrs.field(factory=NoCompensation)
    imputation: Imputation = Imputation.INTEREST_FIRST
    compounding: Compounding = Compounding.SIMPLE
    limitation: LimitationRule | None = None
    country: str = ""
    sources: tuple[str, ...] = ()
    notes: str = ""

    def __attrs_post_init__(self) -> None:
        if not self.name or self.name != self.name.strip() or " " in self.name:
            raise ValidationError("regime", "name", f"{self.name!r} must be a non-empty word like 'es-commercial'")

    def schedule(
        self,
        interest_start: dt.date,
        *,
        agreed_rate: Decimal | None = None,
        extra_rates: Mapping[str, Decimal] | None = None,
        include_unverified: bool = False,
    ) -> RateSchedule:
        """The rate schedule for a debt whose interest starts on *interest_start*."""
        return self.rate_rule.schedule(
            self.name,
            interest_start,
            agreed_rate=agreed_rate,
            extra_rates=dict(extra_rates or {}),
            include_unverified=include_unverified,
        )


_EUR40 = FixedCompensation(
    Money("40", "EUR"),
    "Ley 3/2004, art. 8 (indemnización de 40 € por cada factura pagada con retraso, STS 612/2021)",
)


def eu_directive_regime(
    name: str = "eu-directive",
    *,
    margin: Decimal = Decimal("8"),
    country: str = "EU",
    title: str | None = None,
    sources: tuple[str, ...] = (),
    day_count: DayCount = DayCount.ACT_ACT,
) -> Regime:
    """A Late Payment Directive regime: ECB MRO on 1 Jan / 1 Jul + *margin*, EUR 40 per invoice.

    A country that raises the margin (art. 12(3)) gets its own regime, e.g.
    ``eu_directive_regime("fr-commercial", margin=Decimal("10"), country="FR")``. A
    non-euro State's reference rate needs its own table and rule.
    """
    if margin < 8:
        raise ValidationError("regime", "margin", f"the Directive's minimum margin is 8 points, got {margin}")
    return Regime(
        name=name,
        title=title or f"Late Payment Directive 2011/7/EU: ECB rate + {format_rate(margin)} points",
        rate_rule=ReferencePlusMargin(margin=margin),
        day_count=day_count,
        compensation=FixedCompensation(Money("40", "EUR"), "Directive 2011/7/EU art. 6 (EUR 40 per late invoice)"),
        country=country,
        sources=(
            "Directive 2011/7/EU arts. 2(6)-(7), 3(2)-(3) (reference rate + margin, re-priced each half-year)",
            "Directive 2011/7/EU art. 6 (EUR 40 per late invoice)",
            *sources,
        ),
    )


def contractual_regime(
    name: str = "contractual",
    *,
    day_count: DayCount = DayCount.ACT_365,
    compounding: Compounding = Compounding.SIMPLE,
    imputation: Imputation = Imputation.INTEREST_FIRST,
    title: str | None = None,
) -> Regime:
    """A regime that only uses the agreed rate (which every computation must supply)."""
    return Regime(
        name=name,
        title=title or "Agreed (contractual) late-payment rate",
        rate_rule=AgreedRate(),
        day_count=day_count,
        imputation=imputation,
        compounding=compounding,
        sources=("the contract's late-payment clause",),
    )


def _build() -> dict[str, Regime]:
    regimes = [
        Regime(
            name="es-commercial",
            title=("Spain, Ley 3/2004 (B2B and public sector): ECB rate + 8 points by half-year, EUR 40 per invoice"),
            rate_rule=TableRate("es-commercial", "agreed rate (Ley 3/2004 art. 7.1)"),
            day_count=DayCount.ACT_ACT,
            compensation=_EUR40,
            limitation=SPAIN_CIVIL,
            country="ES",
            sources=(
                "Ley 3/2004, de 29 de diciembre, art. 7 "
                "(tipo legal de interés de demora, publicado en el BOE cada semestre)",
                "Ley 3/2004, art. 8 (indemnización de 40 € por cada factura pagada con retraso, STS 612/2021)",
                "Código Civil, art. 1173 (los pagos se imputan primero a los intereses y después al capital)",
            ),
            notes="Not for consumers. Rate tables: BOE resolutions of the Secretaría General del Tesoro.",
        ),
        Regime(
            name="es-legal",
            title=("Spain, Código Civil art. 1108: interés legal del dinero by year (civil and consumer debts)"),
            rate_rule=TableRate("es-legal", "agreed rate (Código Civil art. 1108)"),
            day_count=DayCount.ACT_ACT,
            limitation=SPAIN_CIVIL,
            country="ES",
            sources=(
                "Código Civil, arts. 1100 y 1108 (interés legal del dinero, fijado por la Ley de Presupuestos)",
                "Código Civil, art. 1173 (los pagos se imputan primero a los intereses y después al capital)",
            ),
            notes="Default normally starts with a demand (art. 1100 CC): use the demand date as --due.",
        ),
        eu_directive_regime(),
        Regime(
            name="uk-late-payment",
            title=(
                "UK, Late Payment of Commercial Debts (Interest) Act 1998: base rate + 8, fixed for the debt's life"
            ),
            rate_rule=FixedAtStart(),
            day_count=DayCount.ACT_365,
            compensation=UK_FIXED_SUMS,
            limitation=UK_SIMPLE_CONTRACT,
            country="GB",
            sources=(
                "Late Payment of Commercial Debts (Interest) Act 1998 ss.4, 6; SI 2002/1675 art. 4 (base rate + 8)",
                "Late Payment of Commercial Debts (Interest) Act 1998 s.5A (GBP 40 / 70 / 100)",
            ),
            notes="B2B only. Scotland has parallel instruments at the same rate.",
        ),
        Regime(
            name="mx-commercial",
            title="Mexico, Código de Comercio art. 362: 6 % a year unless agreed",
            rate_rule=StatutoryRate(Decimal("6"), "Código de Comercio art. 362"),
            day_count=DayCount.ACT_365,
            country="MX",
            sources=("Código de Comercio, art. 362 (6 % anual desde el día siguiente al vencimiento)",),
        ),
        Regime(
            name="mx-civil",
            title="Mexico, Código Civil Federal art. 2395: 9 % a year unless agreed",
            rate_rule=StatutoryRate(Decimal("9"), "Código Civil Federal art. 2395"),
            day_count=DayCount.ACT_365,
            country="MX",
            sources=("Código Civil Federal, art. 2395 (interés legal del 9 % anual)",),
            notes="Some state civil codes set other legal rates.",
        ),
        Regime(
            name="co-usury",
            title="Colombia: default interest at most 1.5 × the monthly IBC (effective annual)",
            rate_rule=UsuryCap(),
            day_count=DayCount.ACT_365,
            compounding=Compounding.EFFECTIVE_ANNUAL,
            country="CO",
            sources=(
                "Código de Comercio, art. 884 (interés moratorio hasta 1,5 veces el interés bancario corriente)",
                "Código Penal, art. 305 (usura); certificación mensual del IBC por la Superintendencia Financiera",
            ),
        ),
        contractual_regime(),
    ]
    return {regime.name: regime for regime in regimes}


_BUILTIN: dict[str, Regime] = _build()


def builtin_regimes() -> dict[str, Regime]:
    """The shipped regimes by name (a fresh dict; no plugin machinery involved)."""
    return dict(_BUILTIN)


def get_regime(name: str, regimes: Mapping[str, Regime] | None = None) -> Regime:
    """Look *name* up in *regimes* (default: :func:`builtin_regimes`).

    Raises:
        UnknownRegimeError: listing the known names.
    """
    known = builtin_regimes() if regimes is None else regimes
    try:
        return known[name]
    except KeyError:
        raise UnknownRegimeError(name, sorted(known)) from None
