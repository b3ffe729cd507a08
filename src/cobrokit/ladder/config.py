"""Ladder configuration: stages, ladders, run policy and guardrails, read from TOML.

``cobrokit.toml`` (see ``cobrokit init``) holds one or more ladders; each stage has an
offset from the due date of the debtor's oldest overdue invoice (negative: before the due
date), in calendar or business days, channels in preference order, a template and tone,
conditions, an optional fee and an optional repeat interval. Errors name the TOML path of
the bad value (``ladders[0].stages[2].offset``).

Pure: parsing a mapping does no I/O; :func:`load_config` reads the file.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import tomllib
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from cobrokit.errors import CobrokitError, ConfigError
from cobrokit.model import Address
from cobrokit.money import Money, to_decimal
from cobrokit.notice import Creditor
from cobrokit.promises import DEFAULT_PROMISE_GRACE_DAYS

__all__ = [
    "CATCH_UP_POLICIES",
    "WRITE_BACK_NAMES",
    "BackendPolicy",
    "Config",
    "Fee",
    "Guardrails",
    "Ladder",
    "PlanPolicy",
    "RunPolicy",
    "Stage",
    "default_config",
    "default_config_text",
    "load_config",
    "parse_config",
]

CATCH_UP_POLICIES = ("current", "replay", "skip")
ACTIONS = ("", "suspend_service", "handoff")
HANDOFF_TARGETS = ("agency", "legal")
"""Where a ``handoff`` stage sends the case: a collection agency or a lawyer (court)."""
TONES = ("friendly", "concerned", "firm", "formal", "grateful")
WRITE_BACK_NAMES = ("add_note", "post_charge")
"""What the dispatcher may write back to the accounting backend (``[backend] write_back``)."""


@attrs.frozen(slots=True)
class Fee:
    """A dunning fee: fixed, a percentage of the open balance, or both, with a cap.

    Charged at most once per stage and cycle. ``currency`` restricts a fixed fee to debts
    in that currency (a fixed EUR fee is never added to a USD debt).
    """

    fixed: Decimal = Decimal(0)
    percent: Decimal = Decimal(0)
    cap: Decimal | None = None
    currency: str = ""

    def amount(self, balance: Money) -> Money:
        """The fee on *balance*, rounded half-up to the minor unit, capped."""
        if self.currency and self.currency != balance.currency:
            return Money.zero(balance.currency)
        value = self.fixed + balance.amount * self.percent / 100
        if self.cap is not None:
            value = min(value, self.cap)
        return Money(max(value, Decimal(0)), balance.currency).rounded()


@attrs.frozen(slots=True)
class Stage:
    """One rung of the ladder."""

    id: str
    offset: int
    channels: tuple[str, ...]
    template: str = ""
    tone: str = "friendly"
    business_days: bool = False
    min_balance: Mapping[str, Decimal] = attrs.field(factory=dict)
    tags_any: frozenset[str] = frozenset()
    tags_none: frozenset[str] = frozenset()
    max_risk: int | None = None
    fee: Fee | None = None
    repeat_every: int = 0
    repeat_max: int = 0
    firm_date_days: int = 0
    action: str = ""
    offer_plan: bool = False
    show_interest: bool = False
    attach_statement: bool = False
    handoff_to: str = ""
    """For ``action = "handoff"``: ``agency`` (default) or ``legal``; given to the ``cobrokit_handoff`` hook."""
    has_conditions: bool = attrs.field(init=False, eq=False, repr=False)
    """True when the stage has a balance, segment or risk condition (derived)."""

    def __attrs_post_init__(self) -> None:
        conditions = bool(self.min_balance or self.tags_any or self.tags_none or self.max_risk is not None)
        object.__setattr__(self, "has_conditions", conditions)

    @property
    def pre_due(self) -> bool:
        """True for reminders before the due date."""
        return self.offset < 0

    @property
    def template_name(self) -> str:
        """The template to render (the stage id unless set)."""
        return self.template or self.id


@attrs.frozen(slots=True)
class Ladder:
    """An ordered list of stages, chosen per debtor by tags and countries."""

    name: str
    stages: tuple[Stage, ...]
    tags: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    thank_you_channels: tuple[str, ...] = ("email",)
    post_due: tuple[Stage, ...] = attrs.field(init=False, eq=False, repr=False)
    """Stages at or after the due date, in order (derived)."""
    pre_due: tuple[Stage, ...] = attrs.field(init=False, eq=False, repr=False)
    """Stages before the due date (derived)."""
    post_offsets: tuple[int, ...] = attrs.field(init=False, eq=False, repr=False)
    """Offsets of :attr:`post_due`, for a quick search by days overdue (derived)."""
    calendar_days_only: bool = attrs.field(init=False, eq=False, repr=False)
    """True when no stage counts business days (derived)."""
    _positions: Mapping[str, int] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        post = tuple(s for s in self.stages if not s.pre_due)
        object.__setattr__(self, "post_due", post)
        object.__setattr__(self, "pre_due", tuple(s for s in self.stages if s.pre_due))
        object.__setattr__(self, "post_offsets", tuple(s.offset for s in post))
        object.__setattr__(self, "calendar_days_only", not any(s.business_days for s in self.stages))
        object.__setattr__(self, "_positions", {s.id: i for i, s in enumerate(post)})

    def index(self, stage_id: str) -> int:
        """Position of *stage_id* among the post-due stages, or -1."""
        return self._positions.get(stage_id, -1)


@attrs.frozen(slots=True)
class RunPolicy:
    """How runs behave: catch-up, freshness guard, promise grace, limitation warnings."""

    catch_up: str = "current"
    catch_up_window_days: int = 2
    freshness_hours: int = 36
    promise_grace_days: int = DEFAULT_PROMISE_GRACE_DAYS
    limitation_warning_days: int = 90
    on_unknown: str = "resend"
    first_contact_max: str = "whats_wrong"


@attrs.frozen(slots=True)
class Guardrails:
    """Contact rules the engine never breaks."""

    window_start: dt.time = dt.time(8, 0)
    window_end: dt.time = dt.time(21, 0)
    no_contact_on_holidays: bool = True
    min_gap_days: int = 3
    caps: Mapping[str, tuple[int, int]] = attrs.field(factory=dict)
    """channel → (max contacts, in days)."""


@attrs.frozen(slots=True)
class PlanPolicy:
    """Payment plans offered on notices and followed by the ladder."""

    offer_instalments: int = 3
    offer_every: str = "month"
    reminder_days: int = 3
    grace_days: int = 5
    breach_resume: str = "penalty_warning"
    reward_percent: Decimal | None = None
    """A reward for paying by an agreed date (``[plans] reward_percent = "5"``: 5 % off the
    next purchase, shown on the thank-you); ``None``: no rewards."""
    reward_valid_days: int = 90
    reward_min_days_early: int = 0


@attrs.frozen(slots=True)
class BackendPolicy:
    """``[backend]``: the accounting backend the dispatcher writes back to after a delivery.

    Off unless ``write_back`` names something: ``true`` means every write-back in
    :data:`WRITE_BACK_NAMES` (``"add_note"``: note on the customer record what was sent;
    ``"post_charge"``: post the stage's fee), a list picks some. A write-back the backend
    does not declare is never called (see ``docs/backends.md``).
    """

    name: str = ""
    """The backend, as ``cobrokit sync --backend`` names it (``"xero"``)."""
    settings: Mapping[str, Any] = attrs.field(factory=dict)
    """Its settings (``[backend.settings]``; secrets through ``*_env`` names)."""
    write_back: frozenset[str] = frozenset()
    """The write-backs wanted, from :data:`WRITE_BACK_NAMES` (empty: none)."""


@attrs.frozen(slots=True)
class Config:
    """Everything a run needs besides the data."""

    ladders: tuple[Ladder, ...]
    creditor: Creditor = attrs.field(factory=Creditor)
    run: RunPolicy = attrs.field(factory=RunPolicy)
    guardrails: Guardrails = attrs.field(factory=Guardrails)
    plans: PlanPolicy = attrs.field(factory=PlanPolicy)
    interest_regime: str = ""
    """Regime for debtors whose country has no entry in :attr:`interest_by_country`."""
    interest_by_country: Mapping[str, str] = attrs.field(factory=dict)
    """Country (ISO 3166 alpha-2) → regime name; ``""`` means no statutory interest."""
    interest_rates: Mapping[str, Mapping[str, Decimal]] = attrs.field(factory=dict)
    """Rates for periods the shipped tables lack, by regime and period label
    (``{"es-commercial": {"2026-H2": Decimal("10.40")}}``); see :meth:`rates_for`."""
    channels: Mapping[str, Mapping[str, Any]] = attrs.field(factory=dict)
    template_dirs: tuple[str, ...] = ()
    """Folders searched before the shipped templates (your overrides)."""
    backend: BackendPolicy = attrs.field(factory=BackendPolicy)
    source: str = "<default>"

    def placeholders(self) -> list[str]:
        """The ``[creditor]`` fields still holding the starter file's sample values (notices would print them)."""
        sample = _STARTER_CREDITOR
        return [name for name, value in sample.items() if getattr(self.creditor, name) == value]

    def rates_for(self, regime: str) -> Mapping[str, Decimal]:
        """The configured rates of *regime* (period label → percent), for ``extra_rates=``."""
        return self.interest_rates.get(regime, {})

    def regime_for(self, country: str) -> str:
        """The interest regime for a debtor in *country* (``""``: none)."""
        return self.interest_by_country.get(country.upper(), self.interest_regime)

    def ladder_for(self, tags: frozenset[str], country: str = "") -> Ladder:
        """The first ladder whose tags or countries match, else the first untagged one."""
        fallback = None
        for ladder in self.ladders:
            if (ladder.tags and ladder.tags & tags) or (ladder.countries and country in ladder.countries):
                return ladder
            if not ladder.tags and not ladder.countries and fallback is None:
                fallback = ladder
        return fallback or self.ladders[0]


# -- parsing ---------------------------------------------------------------------------------


class _Reader:
    """Reads typed values from a TOML table, with errors naming the path."""

    def __init__(self, data: Mapping[str, Any], path: str, source: str) -> None:
        if not isinstance(data, Mapping):
            raise ConfigError(f"{source}: {path or 'top level'}: expected a table")
        self.data = data
        self.path = path
        self.source = source
        self.used: set[str] = set()

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.source}: {self.where(key)}: {message}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any) -> Any:
        self.used.add(key)
        if key not in self.data:
            return default
        value = self.data[key]
        if isinstance(value, bool) and kind is int:
            raise self.fail(key, f"expected an integer, got {value!r}")
        if not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise self.fail(key, f"expected {names}, got {type(value).__name__} {value!r}")
        return value

    def strings(self, key: str, default: Sequence[str] = ()) -> tuple[str, ...]:
        value = self.get(key, list, list(default))
        if not all(isinstance(v, str) for v in value):
            raise self.fail(key, "expected a list of strings")
        return tuple(value)

    def decimal(self, key: str, default: Decimal | None) -> Decimal | None:
        value = self.get(key, (str, int), None)
        if value is None:
            return default
        try:
            return to_decimal(value, record=self.source, field=self.where(key))
        except CobrokitError as exc:
            raise self.fail(key, str(exc)) from None

    def table(self, key: str) -> _Reader:
        return _Reader(self.get(key, dict, {}), self.where(key), self.source)

    def check_unknown(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            raise ConfigError(f"{self.source}: {self.path or 'top level'}: unknown key(s): {', '.join(unknown)}")


def _fee(reader: _Reader) -> Fee | None:
    if "fee" not in reader.data:
        reader.used.add("fee")
        return None
    table = reader.table("fee")
    fee = Fee(
        fixed=table.decimal("fixed", Decimal(0)) or Decimal(0),
        percent=table.decimal("percent", Decimal(0)) or Decimal(0),
        cap=table.decimal("cap", None),
        currency=table.get("currency", str, "").upper(),
    )
    table.check_unknown()
    if fee.fixed < 0 or fee.percent < 0:
        raise reader.fail("fee", "fixed and percent must not be negative")
    return fee


def _stage(reader: _Reader) -> Stage:
    stage_id = reader.get("id", str, "")
    if not stage_id:
        raise reader.fail("id", "every stage needs an id")
    if "offset" not in reader.data:
        raise reader.fail("offset", "every stage needs an offset (days from the due date)")
    min_balance_table = reader.table("min_balance")
    min_balance = {
        code.upper(): min_balance_table.decimal(code, Decimal(0)) or Decimal(0) for code in min_balance_table.data
    }
    tone = reader.get("tone", str, "friendly")
    if tone not in TONES:
        raise reader.fail("tone", f"{tone!r} is not one of {', '.join(TONES)}")
    action = reader.get("action", str, "")
    if action not in ACTIONS:
        raise reader.fail("action", f"{action!r} is not one of {', '.join(a for a in ACTIONS if a)}")
    channels = reader.strings("channels")
    if not channels:
        raise reader.fail("channels", "list at least one channel")
    handoff_to = reader.get("handoff_to", str, "agency" if action == "handoff" else "")
    if action == "handoff" and handoff_to not in HANDOFF_TARGETS:
        raise reader.fail("handoff_to", f"{handoff_to!r} is not one of {', '.join(HANDOFF_TARGETS)}")
    if action != "handoff" and handoff_to:
        raise reader.fail("handoff_to", 'only a stage with action = "handoff" hands the case over')
    stage = Stage(
        id=stage_id,
        offset=reader.get("offset", int, 0),
        channels=channels,
        template=reader.get("template", str, ""),
        tone=tone,
        business_days=reader.get("business_days", bool, False),
        min_balance=min_balance,
        tags_any=frozenset(reader.strings("tags_any")),
        tags_none=frozenset(reader.strings("tags_none")),
        max_risk=reader.get("max_risk", int, None),
        fee=_fee(reader),
        repeat_every=reader.get("repeat_every", int, 0),
        repeat_max=reader.get("repeat_max", int, 0),
        firm_date_days=reader.get("firm_date_days", int, 0),
        action=action,
        offer_plan=reader.get("offer_plan", bool, False),
        show_interest=reader.get("show_interest", bool, False),
        attach_statement=reader.get("attach_statement", bool, False),
        handoff_to=handoff_to,
    )
    if stage.repeat_every < 0 or stage.repeat_max < 0 or stage.firm_date_days < 0:
        raise reader.fail("repeat_every", "repeat_every, repeat_max and firm_date_days must not be negative")
    if stage.repeat_max and not stage.repeat_every:
        raise reader.fail("repeat_every", "repeat_max needs repeat_every (days between repeats)")
    if stage.repeat_every and not stage.repeat_max:
        raise reader.fail("repeat_max", "repeat_every needs repeat_max (how many repeats at most)")
    reader.check_unknown()
    return stage


def _ladder(reader: _Reader) -> Ladder:
    name = reader.get("name", str, "")
    if not name:
        raise reader.fail("name", "every ladder needs a name")
    stages_raw = reader.get("stages", list, [])
    if not stages_raw:
        raise reader.fail("stages", "a ladder needs at least one stage")
    stages = tuple(
        _stage(_Reader(raw, f"{reader.where('stages')}[{i}]", reader.source)) for i, raw in enumerate(stages_raw)
    )
    ids = [s.id for s in stages]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise reader.fail("stages", f"duplicate stage id(s): {', '.join(duplicates)}")
    offsets = [s.offset for s in stages]
    if offsets != sorted(offsets) or len(set(offsets)) != len(offsets):
        raise reader.fail("stages", f"offsets must strictly increase, got {offsets}")
    thanks = reader.table("thank_you")
    thank_channels = thanks.strings("channels", ("email",))
    thanks.check_unknown()
    ladder = Ladder(
        name=name,
        stages=stages,
        tags=frozenset(reader.strings("tags")),
        countries=frozenset(c.upper() for c in reader.strings("countries")),
        thank_you_channels=thank_channels,
    )
    reader.check_unknown()
    return ladder


def _backend(reader: _Reader) -> BackendPolicy:
    wanted = reader.get("write_back", (bool, list), False)
    if isinstance(wanted, bool):
        write_back = frozenset(WRITE_BACK_NAMES) if wanted else frozenset()
    else:
        unknown = [w for w in wanted if w not in WRITE_BACK_NAMES]
        if unknown:
            expected = f"expected true, false or a list of {', '.join(WRITE_BACK_NAMES)}"
            raise reader.fail("write_back", f"{unknown!r}: {expected}")
        write_back = frozenset(wanted)
    policy = BackendPolicy(
        name=reader.get("name", str, ""),
        settings=dict(reader.get("settings", dict, {})),
        write_back=write_back,
    )
    if policy.write_back and not policy.name:
        raise reader.fail("name", "write_back needs the backend's name (as `cobrokit sync --backend` takes it)")
    reader.check_unknown()
    return policy


def _time(reader: _Reader, text: str, key: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise reader.fail(key, f"{text!r} is not a time (HH:MM)") from None


def parse_config(data: Mapping[str, Any], *, source: str = "cobrokit.toml") -> Config:
    """Build a :class:`Config` from a parsed TOML mapping.

    Raises:
        ConfigError: naming the file and the path of the first bad value.
    """
    top = _Reader(data, "", source)
    creditor_table = top.table("creditor")
    address_lines = creditor_table.strings("address")
    creditor = Creditor(
        name=creditor_table.get("name", str, "Your Company"),
        tax_id=creditor_table.get("tax_id", str, ""),
        email=creditor_table.get("email", str, ""),
        phone=creditor_table.get("phone", str, ""),
        bank_account=creditor_table.get("bank_account", str, ""),
        signatory=creditor_table.get("signatory", str, ""),
        website=creditor_table.get("website", str, ""),
        address=Address(lines=address_lines),
    )
    creditor_table.check_unknown()

    run_table = top.table("run")
    run = RunPolicy(
        catch_up=run_table.get("catch_up", str, "current"),
        catch_up_window_days=run_table.get("catch_up_window_days", int, 2),
        freshness_hours=run_table.get("freshness_hours", int, 36),
        promise_grace_days=run_table.get("promise_grace_days", int, DEFAULT_PROMISE_GRACE_DAYS),
        limitation_warning_days=run_table.get("limitation_warning_days", int, 90),
        on_unknown=run_table.get("on_unknown", str, "resend"),
        first_contact_max=run_table.get("first_contact_max", str, "whats_wrong"),
    )
    if run.catch_up not in CATCH_UP_POLICIES:
        raise run_table.fail("catch_up", f"{run.catch_up!r} is not one of {', '.join(CATCH_UP_POLICIES)}")
    if run.on_unknown not in ("resend", "hold"):
        raise run_table.fail("on_unknown", f"{run.on_unknown!r} is not 'resend' or 'hold'")
    run_table.check_unknown()

    guard_table = top.table("guardrails")
    window = guard_table.strings("window", ("08:00", "21:00"))
    if len(window) != 2:
        raise guard_table.fail("window", 'expected [start, end], e.g. ["08:00", "21:00"]')
    caps_table = guard_table.table("caps")
    caps: dict[str, tuple[int, int]] = {}
    for channel in caps_table.data:
        cap = caps_table.table(channel)
        caps[channel] = (cap.get("max", int, 0), cap.get("days", int, 7))
        cap.check_unknown()
    caps_table.used.update(caps_table.data)
    guardrails = Guardrails(
        window_start=_time(guard_table, window[0], "window"),
        window_end=_time(guard_table, window[1], "window"),
        no_contact_on_holidays=guard_table.get("no_contact_on_holidays", bool, True),
        min_gap_days=guard_table.get("min_gap_days", int, 3),
        caps=caps,
    )
    if guardrails.window_start >= guardrails.window_end:
        raise guard_table.fail("window", "the window must start before it ends")
    guard_table.check_unknown()

    plan_table = top.table("plans")
    plans = PlanPolicy(
        offer_instalments=plan_table.get("offer_instalments", int, 3),
        offer_every=plan_table.get("offer_every", str, "month"),
        reminder_days=plan_table.get("reminder_days", int, 3),
        grace_days=plan_table.get("grace_days", int, 5),
        breach_resume=plan_table.get("breach_resume", str, "penalty_warning"),
        reward_percent=plan_table.decimal("reward_percent", None),
        reward_valid_days=plan_table.get("reward_valid_days", int, 90),
        reward_min_days_early=plan_table.get("reward_min_days_early", int, 0),
    )
    if plans.reward_percent is not None and not Decimal(0) < plans.reward_percent <= Decimal(100):
        raise plan_table.fail(
            "reward_percent", f"expected a percentage above 0 and at most 100, got {plans.reward_percent}"
        )
    if plans.reward_valid_days < 0 or plans.reward_min_days_early < 0:
        raise plan_table.fail("reward_valid_days", "reward_valid_days and reward_min_days_early must not be negative")
    if plans.offer_every not in ("week", "fortnight", "month"):
        raise plan_table.fail("offer_every", "expected week, fortnight or month")
    plan_table.check_unknown()

    interest_table = top.table("interest")
    regime = interest_table.get("regime", str, "")
    by_country_table = interest_table.table("by_country")
    by_country = {code.upper(): by_country_table.get(code, str, "") for code in by_country_table.data}
    rates = _rates(interest_table, regime, by_country)
    interest_table.check_unknown()

    templates_table = top.table("templates")
    template_dirs = templates_table.strings("dirs")
    templates_table.check_unknown()

    channels_table = top.table("channels")
    channels = {name: dict(channels_table.get(name, dict, {})) for name in channels_table.data}

    backend = _backend(top.table("backend"))

    ladders_raw = top.get("ladders", list, [])
    if not ladders_raw:
        raise top.fail("ladders", "define at least one [[ladders]] table")
    ladders = tuple(_ladder(_Reader(raw, f"ladders[{i}]", source)) for i, raw in enumerate(ladders_raw))
    names = [ladder.name for ladder in ladders]
    if len(set(names)) != len(names):
        raise top.fail("ladders", f"duplicate ladder names: {names}")
    for ladder in ladders:
        if ladder.index(plans.breach_resume) < 0:
            raise plan_table.fail("breach_resume", f"ladder {ladder.name!r} has no stage {plans.breach_resume!r}")
    if run.first_contact_max and all(ladder.index(run.first_contact_max) < 0 for ladder in ladders):
        stage_ids = sorted({st.id for ladder in ladders for st in ladder.post_due})
        raise run_table.fail(
            "first_contact_max",
            f"no ladder has a stage {run.first_contact_max!r} after the due date "
            f'(stages: {", ".join(stage_ids)}); name one of them, or "" for no limit',
        )
    top.check_unknown()
    return Config(
        ladders=ladders,
        creditor=creditor,
        run=run,
        guardrails=guardrails,
        plans=plans,
        interest_regime=regime,
        interest_by_country=by_country,
        interest_rates=rates,
        channels=channels,
        template_dirs=template_dirs,
        backend=backend,
        source=source,
    )


def _rates(table: _Reader, regime: str, by_country: Mapping[str, str]) -> dict[str, dict[str, Decimal]]:
    """``[interest] rates``: per regime (``[interest.rates.es-commercial] "2026-H2" = "10.15"``).

    The older flat form (``rates = { "2026-H2" = "10.15" }``) is read as the rates of the one
    regime the configuration uses; with several it is refused, since a rate belongs to one
    regime (the Spanish and the UK statutory rates differ).
    """
    rates_table = table.table("rates")
    nested: dict[str, dict[str, Decimal]] = {}
    flat: dict[str, Decimal] = {}
    for key in rates_table.data:
        if isinstance(rates_table.data[key], dict):
            per_regime = rates_table.table(key)
            nested[key] = {label: per_regime.decimal(label, None) or Decimal(0) for label in per_regime.data}
            per_regime.used.update(per_regime.data)
        else:
            flat[key] = rates_table.decimal(key, None) or Decimal(0)
    rates_table.used.update(rates_table.data)
    if flat:
        in_use = sorted({regime, *by_country.values()} - {""})
        if len(in_use) != 1:
            example = in_use[0] if in_use else "es-commercial"
            label = next(iter(flat))
            raise rates_table.fail(
                label,
                f'say which regime this rate is for: [interest.rates.{example}] {label!r} = "{flat[label]}" '
                f"(this configuration uses {', '.join(in_use) or 'no regime'})",
            )
        nested.setdefault(in_use[0], {}).update(flat)
    return nested


_STARTER_CREDITOR = {
    "name": "Your Company SL",
    "tax_id": "B00000000",
    "email": "cobros@yourcompany.example",
    "bank_account": "ES91 2100 0418 4502 0005 1332",
}


def default_config_text() -> str:
    """The commented starter configuration that ``cobrokit init`` writes."""
    return (importlib.resources.files("cobrokit.ladder") / "default.toml").read_text(encoding="utf-8")


def default_config() -> Config:
    """The default configuration (the starter file, parsed)."""
    return parse_config(tomllib.loads(default_config_text()), source="<default cobrokit.toml>")


def load_config(path: Path | None) -> Config:
    """Read ``cobrokit.toml`` at *path*; ``None`` gives the default configuration.

    Raises:
        ConfigError: the file is missing, is not valid TOML, or has a bad value.
    """
    if path is None:
        return default_config()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read configuration {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_config(data, source=str(path))
