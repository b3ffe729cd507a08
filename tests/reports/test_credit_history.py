"""Payment histories read from the store, risk scores for the ladder, the bureau hook and the CLI."""

import datetime as dt
import json
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cobrokit.cli import main
from cobrokit.credit import CreditOutcome, CreditPolicy, ExternalCredit, score_history
from cobrokit.errors import PluginError
from cobrokit.ladder.config import default_config
from cobrokit.ladder.decide import OpenInvoice, Position, decide
from cobrokit.model import Debtor
from cobrokit.money import Money
from cobrokit.plans import PlanTerms
from cobrokit.plugins import get_plugin_host, hookimpl
from cobrokit.store.credit import check_credit, iter_payment_histories, payment_history, risk_scores
from cobrokit.store.plans import accept_plan, add_promise, propose_for_debtor
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import make_invoice
from tests.reports.scenario import pay

AS_OF = dt.date(2026, 3, 31)


@pytest.fixture
def ledger(store: SQLiteStore) -> SQLiteStore:
    store.save(
        debtors=[
            Debtor(id="D1", name="Uno SL"),
            Debtor(id="D2", name="Dos SL"),
            Debtor(id="D3", name="Nuevo SL"),
        ],
        invoices=[
            make_invoice("A", "D1", "1000.00", issue="2026-02-01", due="2026-03-01"),
            make_invoice("B", "D1", "500.00", issue="2026-02-21", due="2026-03-21"),
            make_invoice("C", "D1", "200.00", issue="2026-03-16", due="2026-04-15"),  # not due yet
            attrs.evolve(make_invoice("D", "D1", "300.00", issue="2026-01-02", due="2026-02-01"), disputed=True),
            make_invoice("E", "D2", "900.00", issue="2025-12-01", due="2025-12-31"),
        ],
        payments=[
            pay("P1", "D1", "2026-03-11", "600.00", ("A", "600.00")),
            pay("P2", "D1", "2026-03-31", "400.00", ("A", "400.00")),
            pay("P3", "D1", "2026-04-02", "500.00", ("B", "500.00")),  # after the date: does not count
        ],
    )
    add_promise(
        store,
        tenant="default",
        debtor_id="D1",
        promised_date=dt.date(2026, 3, 5),
        amount="100.00",
        currency="EUR",
        today=dt.date(2026, 3, 1),
    )  # P1 came on 03-11, after 03-05 + 2: broken
    add_promise(
        store,
        tenant="default",
        debtor_id="D1",
        promised_date=dt.date(2026, 3, 12),
        amount="500.00",
        currency="EUR",
        today=dt.date(2026, 3, 9),
    )  # P1 (600) on 03-11: kept
    plan = propose_for_debtor(
        store,
        tenant="default",
        debtor_id="D2",
        today=dt.date(2026, 1, 10),
        terms=PlanTerms(instalments=2, frequency="month", start=dt.date(2026, 1, 20)),
    )
    accept_plan(store, tenant="default", plan_id=plan.id, on=dt.date(2026, 1, 11))  # nothing paid: breached
    return store


def test_history_from_the_ledger(ledger: SQLiteStore) -> None:
    h = payment_history(ledger, "default", "D1", AS_OF)
    (eur,) = h.lateness
    # A: 600 paid 10 days late, 400 paid 30 days late; B: 500 open 10 days; C not due; D disputed (left out)
    assert (eur.invoices, eur.weight_minor, eur.weighted_days_minor) == (
        3,
        1500_00,
        (600 * 10 + 400 * 30 + 500 * 10) * 100,
    )
    assert eur.days.to_eng_string() == "15.3"  # 23000 / 1500 = 15.33
    assert (h.promises_kept, h.promises_broken, h.disputes, h.plan_breaches) == (1, 1, 1, 0)
    assert h.oldest_days_overdue == 10  # B; the disputed D does not count
    assert h.open_minor == {"EUR": 500_00 + 200_00 + 300_00}
    # 15.3 x 0.5 = 7.65 -> 8; broken promise 10; dispute 5: 100 - 23 = 77
    assert score_history(h).score == 77


def test_plan_breach_counts(ledger: SQLiteStore) -> None:
    h = payment_history(ledger, "default", "D2", AS_OF)
    assert h.plan_breaches == 1
    # 900 open 90 days: 45 (cap); breach 15: 40
    assert score_history(h).score == 40


def test_risk_scores_for_the_ladder(ledger: SQLiteStore) -> None:
    risks = risk_scores(ledger, "default", AS_OF)
    assert risks == {"D1": 23, "D2": 60}  # D3 has no history: no risk, no filtering
    # the ladder's stage conditions: a stage with max_risk 20 is skipped for D1 (risk 23)
    config = default_config()
    ladder = config.ladders[0]
    strict = attrs.evolve(
        ladder, stages=tuple(attrs.evolve(s, max_risk=20) if s.id == "oops" else s for s in ladder.stages)
    )
    due = dt.date(2026, 3, 30)
    pos = Position(
        "default",
        "D1",
        "EUR",
        [OpenInvoice("B", due - dt.timedelta(days=30), due, 500_00, 500_00)],
        risk=risks["D1"],
    )
    decision = decide(pos, strict, config, due + dt.timedelta(days=1))
    assert not decision.actions
    assert any("risk score 23 above 20" in e.reason for e in decision.journal)
    assert decide(pos._replace(risk=None), strict, config, due + dt.timedelta(days=1)).actions


_ledgers = st.lists(
    st.tuples(
        st.integers(-30, 200),
        st.integers(1, 900_00),
        st.lists(st.tuples(st.integers(-20, 220), st.integers(1, 400_00)), max_size=3),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=_ledgers)
def test_sql_lateness_equals_a_plain_computation(items: list[tuple[int, int, list[tuple[int, int]]]]) -> None:
    """Σ amount x days late over paid pieces and open amounts, computed two ways."""
    store = SQLiteStore.open(":memory:")
    store.save(debtors=[Debtor(id="D1", name="D1")])
    weight = weighted = count = 0
    invoices, payments = [], []
    for n, (age, amount, pieces) in enumerate(items):
        due = AS_OF - dt.timedelta(days=age)
        invoices.append(
            make_invoice(
                f"I{n}",
                "D1",
                Money.from_minor(amount, "EUR").format_amount(),
                issue=(due - dt.timedelta(days=30)).isoformat(),
                due=due.isoformat(),
            )
        )
        left = amount
        for m, (offset, piece) in enumerate(pieces):
            day = due + dt.timedelta(days=offset)
            piece = min(piece, left)
            if piece <= 0 or day > AS_OF + dt.timedelta(days=30):
                continue
            left -= piece
            text = Money.from_minor(piece, "EUR").format_amount()
            payments.append(pay(f"P{n}-{m}", "D1", day.isoformat(), text, (f"I{n}", text)))
            if day <= AS_OF and due <= AS_OF:
                weight += piece
                weighted += piece * max(0, (day - due).days)
        if due <= AS_OF:
            paid_by = sum(
                int(a.amount.to_minor())
                for pm in payments
                if pm.date <= AS_OF
                for a in pm.allocations
                if a.invoice_id == f"I{n}"
            )
            still_open = amount - paid_by
            weight += still_open
            weighted += still_open * (AS_OF - due).days
            count += 1
    store.save(invoices=invoices, payments=payments)
    found = list(iter_payment_histories(store, "default", AS_OF, lookback_days=3650))
    if not count:
        assert found == []
        return
    (eur,) = found[0].lateness
    assert (eur.invoices, eur.weight_minor, eur.weighted_days_minor) == (count, weight, weighted)


class Bureau:
    """A fake credit bureau plugin."""

    def __init__(self, answer: object) -> None:
        self.answer = answer

    @hookimpl
    def cobrokit_credit_data(self, tenant: str, debtor_id: str) -> object:
        return self.answer


def test_bureau_data_through_the_hook(ledger: SQLiteStore) -> None:
    order = Money("100.00", "EUR")
    low = get_plugin_host(autoload=False, plugins=[("bureau", Bureau(ExternalCredit("acme", score=10)))])
    decision = check_credit(ledger, "default", "D1", order, AS_OF, host=low)
    # internal 77 and bureau 10 at 50 %: 43.5 -> 44 (half up): above 40, below 70: deposit
    assert decision.combined_score == 44 and decision.outcome is CreditOutcome.DEPOSIT
    assert decision.external[0].source == "acme"
    flagged = get_plugin_host(
        autoload=False, plugins=[("bureau", Bureau(ExternalCredit("acme", flags={"insolvency"})))]
    )
    assert check_credit(ledger, "default", "D1", order, AS_OF, host=flagged).outcome is CreditOutcome.REFUSE
    silent = get_plugin_host(autoload=False, plugins=[("bureau", Bureau(None))])
    assert check_credit(ledger, "default", "D1", order, AS_OF, host=silent).external == ()
    broken = get_plugin_host(autoload=False, plugins=[("bureau", Bureau({"score": 90}))])
    with pytest.raises(PluginError, match="expected ExternalCredit"):
        check_credit(ledger, "default", "D1", order, AS_OF, host=broken)


def test_credit_check_command(ledger: SQLiteStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = ledger.path
    code = main(
        [
            "credit",
            "check",
            "--db",
            db,
            "--debtor",
            "D1",
            "--amount",
            "1000",
            "--as-of",
            AS_OF.isoformat(),
            "--no-plugins",
            "--json",
        ]
    )
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["outcome"] == "allow" and data["score"]["score"] == 77
    assert (data["order"], data["open_balance"], data["exposure"]) == ("1000.00", "1000.00", "2000.00")
    policy = tmp_path / "credit.toml"
    policy.write_text('[credit]\nlimits = { EUR = "1500.00" }\n', encoding="utf-8")
    code = main(
        [
            "credit",
            "check",
            "--db",
            db,
            "--debtor",
            "D1",
            "--amount",
            "1000",
            "--as-of",
            AS_OF.isoformat(),
            "--no-plugins",
            "--policy",
            str(policy),
        ]
    )
    out = capsys.readouterr().out
    # open 1000 + 1000 = 2000, 500 above the EUR 1500 limit
    assert code == 3 and "REQUIRE A DEPOSIT of EUR 500.00" in out
    code = main(
        [
            "credit",
            "check",
            "--db",
            db,
            "--debtor",
            "D2",
            "--amount",
            "1",
            "--as-of",
            AS_OF.isoformat(),
            "--no-plugins",
        ]
    )
    assert code == 4 and "REFUSE" in capsys.readouterr().out  # 90 days overdue
    code = main(["credit", "check", "--db", db, "--debtor", "D3", "--amount", "1", "--no-plugins"])
    assert code == 2 and "give --currency" in capsys.readouterr().err  # a new client: which currency?


def test_default_policy_is_documented_values() -> None:
    p = CreditPolicy()
    assert (p.refuse_below, p.deposit_below, p.max_days_overdue, p.lookback_days) == (40, 70, 60, 730)
