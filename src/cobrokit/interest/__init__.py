"""Late-payment interest, compensation, dunning fees and limitation: exact and explained.

Pure core: no pluggy, no network, no database, no clock. Start with
:func:`compute_interest`::

    import datetime as dt
    from cobrokit.interest import compute_interest, get_regime
    from cobrokit.money import Money

    result = compute_interest(get_regime("es-commercial"), Money("25000", "EUR"),
                              dt.date(2024, 5, 15), dt.date(2024, 8, 14))
    result.interest            # Money('769.30', 'EUR')
    explain(result)            # ["interest from 16 May to 30 June at 12.50 %: EUR 392.76", …]

Regimes shipped with cobrokit come from :func:`builtin_regimes`; plugins add more through
the ``cobrokit_register_regimes`` hook (``PluginHost.regimes()`` merges both). See
``docs/interest.md`` and ``docs/jurisdictions.md``.
"""

from cobrokit.interest.calculator import (
    InterestResult,
    PartialPayment,
    PaymentAllocation,
    Segment,
    accrue,
    compute_interest,
    round_half_up,
)
from cobrokit.interest.compensation import (
    UK_FIXED_SUMS,
    CompensationRule,
    FixedCompensation,
    NoCompensation,
    TieredCompensation,
)
from cobrokit.interest.daycount import Accrual, DayCount, accruals
from cobrokit.interest.errors import MissingRateError, UnknownRegimeError
from cobrokit.interest.explain import (
    describe_payment,
    describe_segment,
    explain,
    explain_events,
    explain_totals,
)
from cobrokit.interest.fees import DunningFee, FeeCharge, FeeKind, charge_fee, fee_amount, fee_key
from cobrokit.interest.limitation import (
    SPAIN_CIVIL,
    UK_SIMPLE_CONTRACT,
    Interruption,
    InterruptionKind,
    LimitationResult,
    LimitationRule,
    add_years,
    limitation_date,
)
from cobrokit.interest.rates import Evidence, PeriodKind, RatePeriod, RateSchedule, format_rate
from cobrokit.interest.regimes import (
    AgreedRate,
    Compounding,
    FixedAtStart,
    Imputation,
    RateRule,
    ReferencePlusMargin,
    Regime,
    StatutoryRate,
    TableRate,
    UsuryCap,
    UsuryCheck,
    builtin_regimes,
    cap_from_ibc,
    contractual_regime,
    eu_directive_regime,
    get_regime,
    usury_check,
)
from cobrokit.interest.tables import RateTable, load_table, parse_table

__all__ = [
    "SPAIN_CIVIL",
    "UK_FIXED_SUMS",
    "UK_SIMPLE_CONTRACT",
    "Accrual",
    "AgreedRate",
    "CompensationRule",
    "Compounding",
    "DayCount",
    "DunningFee",
    "Evidence",
    "FeeCharge",
    "FeeKind",
    "FixedAtStart",
    "FixedCompensation",
    "Imputation",
    "InterestResult",
    "Interruption",
    "InterruptionKind",
    "LimitationResult",
    "LimitationRule",
    "MissingRateError",
    "NoCompensation",
    "PartialPayment",
    "PaymentAllocation",
    "PeriodKind",
    "RatePeriod",
    "RateRule",
    "RateSchedule",
    "RateTable",
    "ReferencePlusMargin",
    "Regime",
    "Segment",
    "StatutoryRate",
    "TableRate",
    "TieredCompensation",
    "UnknownRegimeError",
    "UsuryCap",
    "UsuryCheck",
    "accruals",
    "accrue",
    "add_years",
    "builtin_regimes",
    "cap_from_ibc",
    "charge_fee",
    "compute_interest",
    "contractual_regime",
    "describe_payment",
    "describe_segment",
    "eu_directive_regime",
    "explain",
    "explain_events",
    "explain_totals",
    "fee_amount",
    "fee_key",
    "format_rate",
    "get_regime",
    "limitation_date",
    "load_table",
    "parse_table",
    "round_half_up",
    "usury_check",
]
