"""Late charges on a plan: interest, compensation and dunning fees itemised; the regime's order.

The fee scenario runs the real ladder and dispatcher over a real SQLite file (the default
ladder charges EUR 15 at the ultimatum, 30 days after the due date).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cobrokit.allocation import COSTS_FIRST, DEFAULT_ORDER, PRINCIPAL_FIRST, Component, DebtComponents
from cobrokit.cli import main
from cobrokit.errors import CurrencyMismatchError, InvalidAmountError
from cobrokit.ladder.config import default_config_text
from cobrokit.model import Payment
from cobrokit.money import Money
from cobrokit.notice import InterestSummary
from cobrokit.plans import (
    LateCharges,
    PaymentPlan,
    PlanDebt,
    PlanState,
    PlanTerms,
    accept,
    evaluate_plan,
    plan_offer,
    propose_plan,
)
from cobrokit.store.plans import (
    PlanRepository,
    accept_plan,
    current_cycle_fees,
    late_charges_for,
    propose_for_debtor,
    refresh_plans,
)
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import make_invoice
from tests.reports.scenario import run_days, spanish_debtor

DUE = dt.date(2025, 3, 3)
TODAY = dt.date(2025, 4, 3)
NOW = dt.datetime(2025, 7, 1, 9, 0, tzinfo=dt.UTC)


def eur(text: str) -> Money:
    return Money(text, "EUR")


@pytest.fixture(scope="module")
def dunned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """D1 owes F1 (EUR 1210.00, due 3 Mar 2025); the ladder ran daily until 3 Apr and charged its fee."""
    path = tmp_path_factory.mktemp("charges") / "ledger.db"
    with SQLiteStore.open(path) as store:
        store.save(
            debtors=[spanish_debtor()],
            invoices=[make_invoice("F1", "D1", "1210.00", issue="2025-02-01", due=DUE.isoformat())],
        )
        run_days(store, [DUE + dt.timedelta(days=n) for n in range(-7, 32)])
    return path


@pytest.fixture
def store(dunned: Path, tmp_path: Path) -> SQLiteStore:
    """A private copy of the dunned ledger (each test may write plans)."""
    copy = tmp_path / "ledger.db"
    copy.write_bytes(dunned.read_bytes())
    return SQLiteStore.open(copy)


def terms(n: int = 3) -> PlanTerms:
    return PlanTerms(instalments=n, frequency="month", start=dt.date(2025, 4, 10))


def test_the_ladders_fee_is_in_the_late_charges_itemised(store: SQLiteStore) -> None:
    assert current_cycle_fees(store, "default", "D1", "EUR", TODAY) == eur("15.00")
    assert current_cycle_fees(store, "default", "D1", "EUR", dt.date(2025, 4, 1)) == eur("0.00")  # charged 2 Apr
    plan = propose_for_debtor(
        store,
        tenant="default",
        debtor_id="D1",
        today=TODAY,
        terms=terms(),
        late_charges=late_charges_for(store, tenant="default", regime="es-commercial", today=TODAY),
    )
    # interest: 1210.00 × 11.15 % (2025-H1) × 31 days (4 Mar – 3 Apr) / 365 = 11.4585 → 11.46;
    # compensation EUR 40 (Ley 3/2004 art. 8); the ultimatum fee EUR 15.00
    assert plan.charges == LateCharges(eur("11.46"), eur("40.00"), eur("15.00"), "es-commercial", DEFAULT_ORDER)
    assert plan.late_charges == eur("66.46")
    # without: 1210.00 / 3 = 403.33, 403.33, 403.34; with: 1276.46 / 3 = 425.48, 425.48, 425.50
    assert [(i.amount, i.amount_with_charges) for i in plan.instalments] == [
        (eur("403.33"), eur("425.48")),
        (eur("403.33"), eur("425.48")),
        (eur("403.34"), eur("425.50")),
    ]
    # the breakdown is stored with the plan
    assert PlanRepository(store).load_plan("default", plan.id) == plan


def test_without_a_regime_only_the_fees_count(store: SQLiteStore) -> None:
    charges = late_charges_for(store, tenant="default", regime=None, today=TODAY)([PlanDebt("F1", eur("1210.00"))])
    assert charges == LateCharges(eur("0.00"), eur("0.00"), eur("15.00"))
    # before the fee was charged there is nothing to show at all
    before = late_charges_for(store, tenant="default", regime="", today=dt.date(2025, 4, 1))
    assert before([PlanDebt("F1", eur("1210.00"))]) is None


def test_a_plan_with_late_charges_consumes_interest_then_principal_then_fees(store: SQLiteStore) -> None:
    plan = propose_for_debtor(
        store,
        tenant="default",
        debtor_id="D1",
        today=TODAY,
        terms=terms(),
        late_charges=late_charges_for(store, tenant="default", regime="es-commercial", today=TODAY),
    )
    accept_plan(store, tenant="default", plan_id=plan.id, on=TODAY)
    store.save(payments=[Payment("P1", "D1", dt.date(2025, 4, 10), eur("403.33"))])  # instalment 1, on account
    changes = refresh_plans(store, "default", dt.date(2025, 5, 20), now=NOW)
    # instalment 2 (due Mon 12 May) unpaid after 5 grace days → breached on 18 May
    assert [(c.kind, c.on) for c in changes] == [
        ("activated", dt.date(2025, 4, 10)),
        ("breached", dt.date(2025, 5, 18)),
    ]
    stored = PlanRepository(store).load_plan("default", plan.id)
    assert stored is not None and stored.state is PlanState.BREACHED
    status = evaluate_plan(stored, store.iter_payments("default", "D1"), dt.date(2025, 5, 20))
    # as agreed (charges waived): the 403.33 paid all went to principal → 1210.00 − 403.33 = 806.67 left
    assert status.remaining_principal == eur("806.67")
    # with the charges claimed, the regime (interest-first, as the interest calculator) takes the
    # interest 11.46 first, then 403.33 − 11.46 = 391.87 of principal, and nothing for the fees
    # 15.00 + compensation 40.00 = 55.00: principal 1210.00 − 391.87 = 818.13 left, 818.13 + 55.00 = 873.13 owed
    split = status.with_charges
    assert split is not None and split.order == DEFAULT_ORDER
    assert (split.interest, split.principal, split.fees) == (eur("11.46"), eur("391.87"), eur("0.00"))
    assert split.remaining == DebtComponents(eur("818.13"), eur("0.00"), eur("55.00"))
    assert split.remaining.total == eur("873.13")
    # costs first (BGB §367) instead: fees 55.00, interest 11.46, then 403.33 − 66.46 = 336.87 of
    # principal: 1210.00 − 336.87 = 873.13 left, all of it principal
    costs_first = evaluate_plan(stored, store.iter_payments("default", "D1"), dt.date(2025, 5, 20), order=COSTS_FIRST)
    split = costs_first.with_charges
    assert split is not None and split.order == COSTS_FIRST
    assert (split.fees, split.interest, split.principal) == (eur("55.00"), eur("11.46"), eur("336.87"))
    assert split.remaining == DebtComponents(eur("873.13"), eur("0.00"), eur("0.00"))


def _write_config(tmp_path: Path, by_country: str) -> Path:
    text = default_config_text()
    line = next(x for x in text.splitlines() if x.startswith("by_country"))
    path = tmp_path / "cobrokit.toml"
    path.write_text(text.replace(line, f"by_country = {by_country}"), encoding="utf-8")
    return path


PROPOSE = ("plan", "propose", "--debtor", "D1", "--instalments", "3", "--every", "month", "--today", "2025-04-03")


def _propose(capsys: pytest.CaptureFixture[str], db: Path, *extra: str) -> dict[str, object]:
    assert main([*PROPOSE, "--db", str(db), "--dry-run", "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_cli_falls_back_to_the_configured_regime(
    store: SQLiteStore, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./cobrokit.toml: the built-in configuration (ES → es-commercial)
    db = Path(store.path)
    detail = _propose(capsys, db)["late_charges_detail"]
    assert detail == {
        "regime": "es-commercial",
        "interest": "11.46",
        "compensation": "40.00",
        "fees": "15.00",
        "total": "66.46",
        "allocation_order": ["interest", "principal", "fees"],  # es-commercial imputes interest-first
    }
    # --config maps Spain to the civil-law regime: legal interest, no fixed compensation
    config = _write_config(tmp_path, '{ ES = "es-legal" }')
    detail = _propose(capsys, db, "--config", str(config))["late_charges_detail"]
    assert isinstance(detail, dict) and (detail["regime"], detail["compensation"], detail["fees"]) == (
        "es-legal",
        "0.00",
        "15.00",
    )
    # ./cobrokit.toml is read when --config is not given
    _write_config(tmp_path, "{}")
    data = _propose(capsys, db)
    assert data["late_charges_detail"] == {
        "regime": "",
        "interest": "0.00",
        "compensation": "0.00",
        "fees": "15.00",
        "total": "15.00",
        "allocation_order": ["interest", "principal", "fees"],  # no regime: DEFAULT_ORDER
    }
    assert data["late_charges"] == "15.00"
    # an explicit --regime wins; "none" leaves the fees only
    assert _propose(capsys, db, "--regime", "es-commercial")["late_charges"] == "66.46"
    assert _propose(capsys, db, "--regime", "none")["late_charges"] == "15.00"


def test_cli_text_itemises_the_charges(
    store: SQLiteStore, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main([*PROPOSE, "--db", str(store.path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "late charges if no plan is agreed: EUR 66.46" in out
    assert (
        "Late charges (es-commercial, as of 2025-04-03): interest EUR 11.46, compensation EUR 40.00, "
        "dunning fees EUR 15.00; a payment goes to interest → principal → fees"
    ) in out


# -- pure: LateCharges, the regime's order in evaluate_plan ----------------------------------

START = dt.date(2025, 3, 3)


def test_late_charges_from_a_notice_summary() -> None:
    summary = InterestSummary(regime="es-commercial", interest=eur("12.345"), compensation=eur("40"))
    charges = LateCharges.from_summary(summary, eur("15.00"))
    assert charges == LateCharges(eur("12.35"), eur("40.00"), eur("15.00"), "es-commercial")  # rounded half-up
    assert charges is not None and charges.total == eur("67.35")
    assert LateCharges.from_summary(None, eur("0")) is None
    assert LateCharges.from_summary(None, eur("15")) == LateCharges(eur("0"), eur("0"), eur("15.00"))
    # the offer a notice shows: each instalment with the itemised charges, as with their total
    offer = plan_offer(eur("300.00"), PlanTerms(instalments=3, frequency="month", start=START), late_charges=charges)
    # (300.00 + 67.35) / 3 = 122.45 each
    assert [i.amount_with_interest for i in offer.instalments] == [eur("122.45")] * 3
    with pytest.raises(InvalidAmountError):
        LateCharges(eur("-1"), eur("0"), eur("0"))
    with pytest.raises(CurrencyMismatchError):
        LateCharges(eur("1"), Money("0", "GBP"), eur("0"))


def _plan(charges: LateCharges | None, annual_rate: str = "0") -> PaymentPlan:
    return accept(
        propose_plan(
            plan_id="PLAN-1",
            debtor_id="D1",
            debts=[PlanDebt("I1", eur("900.00"))],
            terms=PlanTerms(
                instalments=6,
                frequency="month",
                start=START,
                annual_rate=annual_rate,
                method="french" if annual_rate != "0" else "equal",
            ),
            today=dt.date(2025, 3, 1),
            late_charges=charges,
        ),
        dt.date(2025, 3, 1),
    )


def test_principal_first_regime_covers_the_plan_principal_before_its_interest() -> None:
    charges = LateCharges(eur("6.60"), eur("40.00"), eur("15.00"), "contract", PRINCIPAL_FIRST)
    plan = _plan(charges, annual_rate="6")
    payment = Payment("P1", "D1", START, eur("10.00"))
    # instalment 1 is 4.50 plan interest (900.00 × 0.5 %) + 148.13 principal; principal-first puts
    # the 10.00 on principal → 900.00 − 10.00 = 890.00 left (interest-first would leave 894.50)
    status = evaluate_plan(plan, [payment], START)
    assert status.remaining_principal == eur("890.00")
    assert evaluate_plan(plan, [payment], START, order=DEFAULT_ORDER).remaining_principal == eur("894.50")
    # with the charges claimed, principal-first as well: all 10.00 to principal
    assert status.with_charges is not None
    assert (status.with_charges.principal, status.with_charges.fees) == (eur("10.00"), eur("0.00"))


cents = st.integers(0, 200_000)


@settings(deadline=None, max_examples=80)
@given(
    st.lists(st.tuples(st.integers(0, 200), cents), max_size=6),
    cents,
    cents,
    cents,
    st.sampled_from([DEFAULT_ORDER, PRINCIPAL_FIRST]),
    st.sampled_from(["0", "6"]),
)
def test_with_charges_split_never_creates_or_loses_money(
    raw: list[tuple[int, int]],
    interest: int,
    compensation: int,
    fees: int,
    order: tuple[Component, ...],
    rate: str,
) -> None:
    charges = LateCharges(
        Money.from_minor(interest, "EUR"),
        Money.from_minor(compensation, "EUR"),
        Money.from_minor(fees, "EUR"),
        "x",
        order,
    )
    plan = _plan(charges, annual_rate=rate)
    payments = [
        Payment(f"P{k}", "D1", START + dt.timedelta(days=day), Money.from_minor(amount, "EUR"))
        for k, (day, amount) in enumerate(raw)
        if amount > 0
    ]
    status = evaluate_plan(plan, payments, START + dt.timedelta(days=250))
    split = status.with_charges
    assert split is not None and split.order == order
    # everything received is applied or left over, to the cent
    assert split.fees + split.interest + split.principal + split.unapplied == status.paid
    # the debt with charges is the balance, the charges and the plan interest of the "with" schedule
    total_with = Money.total((i.amount_with_charges or eur("0") for i in plan.instalments), "EUR")
    assert split.remaining.total + split.fees + split.interest + split.principal == total_with
    # the regime's order: a later component only gets money once the earlier ones are covered
    for earlier, later in zip(split.steps, split.steps[1:], strict=False):
        if not later.applied.is_zero():
            assert earlier.remaining.is_zero()
    # per instalment, the principal still owed never exceeds the balance nor goes negative
    assert eur("0") <= status.remaining_principal <= eur("900.00")
