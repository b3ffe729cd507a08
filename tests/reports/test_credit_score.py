"""The payment-behaviour score and the credit decision (pure), on hand-computed scenarios."""

import datetime as dt
import subprocess
import sys
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cobrokit.credit import (
    CreditOutcome,
    CreditPolicy,
    CurrencyLateness,
    ExternalCredit,
    PaymentHistory,
    ScoreWeights,
    combined_score,
    decide_credit,
    parse_policy,
    score_history,
)
from cobrokit.errors import ConfigError, InvalidAmountError, ValidationError
from cobrokit.money import Money

AS_OF = dt.date(2026, 6, 30)
SINCE = AS_OF - dt.timedelta(days=730)


def history(
    days_weighted: int = 0, weight: int = 1000_00, *, invoices: int = 1, open_eur: int = 0, **kw: object
) -> PaymentHistory:
    """EUR lateness: *days_weighted* = sum of amount x days late (minor units x days)."""
    lateness = (CurrencyLateness("EUR", invoices, weight, days_weighted),) if invoices else ()
    return PaymentHistory("D1", AS_OF, SINCE, lateness, open_minor={"EUR": open_eur} if open_eur else {}, **kw)  # type: ignore[arg-type]


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def test_score_deducts_each_factor_and_explains_it() -> None:
    # 1000.00 fell due, paid on average 20 days late: 20 x 0.5 = 10 points; one broken promise 10;
    # one disputed invoice 5; no plan breach: 100 - 25 = 75
    score = score_history(history(1000_00 * 20, promises_broken=1, promises_kept=2, disputes=1))
    assert score.score == 75 and score.risk == 25
    assert [(f.name, f.points) for f in score.factors] == [
        ("days_beyond_terms", 10),
        ("broken_promises", 10),
        ("disputes", 5),
        ("plan_breaches", 0),
    ]
    text = "\n".join(score.explain())
    assert "20.0 days beyond terms" in text and "1 broken promise(s) to pay (2 kept): -10" in text
    assert text.endswith("score 75 / 100 (risk 25)")


def test_each_factor_is_capped() -> None:
    # 365 days late: 182.5 -> capped at 45; 9 broken promises capped at 25; 9 disputes at 15; 3 breaches at 30
    score = score_history(history(1000_00 * 365, promises_broken=9, disputes=9, plan_breaches=3))
    assert [f.points for f in score.factors] == [45, 25, 15, 30]
    assert score.score == 0


def test_lateness_is_weighted_by_amount() -> None:
    # 900.00 paid 10 days late and 100.00 paid 100 days late: (900 x 10 + 100 x 100) / 1000 = 19.0 days
    lateness = CurrencyLateness("EUR", 2, 1000_00, 900_00 * 10 + 100_00 * 100)
    assert lateness.days == Decimal("19.0")
    # 19.0 x 0.5 = 9.5 -> 10 points (half up)
    assert score_history(history(900_00 * 10 + 100_00 * 100)).score == 90


def test_currencies_are_averaged_by_invoice_count_never_added() -> None:
    # EUR 10.0 days over 3 invoices, USD 40.0 over 1: (10 x 3 + 40 x 1) / 4 = 17.5 days -> 8.75 -> 9 points
    h = PaymentHistory(
        "D1",
        AS_OF,
        SINCE,
        (
            CurrencyLateness("EUR", 3, 500_00, 500_00 * 10),
            CurrencyLateness("USD", 1, 9_000_00, 9_000_00 * 40),
        ),
    )
    score = score_history(h)
    assert score.factors[0].points == 9 and score.score == 91


def test_no_history_means_no_score() -> None:
    score = score_history(history(invoices=0))
    assert score.score is None and score.risk is None
    assert "no payment history" in score.explain()[0]


def test_configured_weights_change_the_points() -> None:
    weights = ScoreWeights(points_per_late_day=Decimal(1), late_cap=60)
    assert score_history(history(1000_00 * 50), weights).score == 50


@given(
    days=st.integers(0, 2000),
    broken=st.integers(0, 20),
    disputes=st.integers(0, 20),
    breaches=st.integers(0, 5),
)
def test_score_is_always_between_0_and_100(days: int, broken: int, disputes: int, breaches: int) -> None:
    score = score_history(history(1000_00 * days, promises_broken=broken, disputes=disputes, plan_breaches=breaches))
    assert score.score is not None and 0 <= score.score <= 100
    assert score.score == 100 - sum(f.points for f in score.factors) or score.score == 0


# -- decisions ---------------------------------------------------------------------------------------------


def test_good_payer_is_allowed() -> None:
    decision = decide_credit(history(1000_00 * 4), eur("2500.00"))  # 4 days late: 2 points, score 98
    assert decision.outcome is CreditOutcome.ALLOW and decision.deposit == eur("0")
    assert "score 98 meets the deposit threshold 70" in decision.reasons[0]


def test_middling_payer_pays_a_deposit_of_the_policy_percent() -> None:
    # 60 days late: 30 points, one broken promise 10 -> 60 < 70: 30 % of 333.33 = 99.999 -> 100.00
    decision = decide_credit(history(1000_00 * 60, promises_broken=1), eur("333.33"))
    assert decision.combined_score == 60
    assert decision.outcome is CreditOutcome.DEPOSIT and decision.deposit == eur("100.00")


def test_bad_payer_is_refused() -> None:
    # 90 days late (45) + 2 broken promises (20) = 65 points -> 35 < 40
    decision = decide_credit(history(1000_00 * 90, promises_broken=2), eur("100.00"))
    assert decision.outcome is CreditOutcome.REFUSE and decision.deposit == eur("0")
    assert any("below the refusal threshold 40" in r for r in decision.reasons)


def test_hard_stops_refuse_whatever_the_score() -> None:
    assert decide_credit(history(insolvent=True), eur("1.00")).outcome is CreditOutcome.REFUSE
    overdue = decide_credit(history(oldest_days_overdue=61), eur("1.00"))
    assert overdue.outcome is CreditOutcome.REFUSE and "61 days overdue" in overdue.reasons[0]
    lenient = CreditPolicy(max_days_overdue=None)
    assert decide_credit(history(oldest_days_overdue=61), eur("1.00"), lenient).outcome is CreditOutcome.ALLOW
    flagged = decide_credit(history(), eur("1.00"), external=[ExternalCredit("acme", flags={"Court_Judgment"})])
    assert flagged.outcome is CreditOutcome.REFUSE and "acme reports court_judgment" in flagged.reasons


def test_credit_limit_asks_for_the_excess_up_front_or_refuses() -> None:
    policy = CreditPolicy(limits={"EUR": "5000.00"})
    # open 4500 + order 1000 = 5500: 500 above the limit is the deposit
    over = decide_credit(history(open_eur=4500_00), eur("1000.00"), policy)
    assert over.outcome is CreditOutcome.DEPOSIT and over.deposit == eur("500.00")
    assert over.exposure == eur("5500.00")
    assert any(lim.name == "credit limit EUR" and lim.value == "EUR 5000.00" for lim in over.limits)
    # the open balance alone reaches the limit: refuse
    full = decide_credit(history(open_eur=5000_00), eur("1.00"), policy)
    assert full.outcome is CreditOutcome.REFUSE
    # an outside limit lower than the policy's applies
    bureau = ExternalCredit("acme", limit=eur("4000.00"))
    lower = decide_credit(history(open_eur=3500_00), eur("1000.00"), policy, [bureau])
    assert lower.deposit == eur("500.00")  # 4500 - 4000
    # a limit in another currency is not applied, and says so
    usd = decide_credit(history(), eur("1000.00"), external=[ExternalCredit("acme", limit=Money("10", "USD"))])
    assert usd.outcome is CreditOutcome.ALLOW and any("another currency" in r for r in usd.reasons)


def test_new_clients() -> None:
    # no new-client limit: 30 % deposit
    assert decide_credit(history(invoices=0), eur("1000.00")).deposit == eur("300.00")
    policy = CreditPolicy(new_client_limits={"EUR": "1000"})
    assert decide_credit(history(invoices=0), eur("1000.00"), policy).outcome is CreditOutcome.ALLOW
    above = decide_credit(history(invoices=0), eur("1500.00"), policy)
    assert above.outcome is CreditOutcome.DEPOSIT and above.deposit == eur("500.00")
    # a bureau score stands in for the missing history
    known = decide_credit(history(invoices=0), eur("1500.00"), policy, [ExternalCredit("acme", score=90)])
    assert known.combined_score == 90 and known.outcome is CreditOutcome.ALLOW


def test_bureau_score_is_blended_by_its_weight() -> None:
    # internal 80, bureau 40, weight 50 %: 60 -> deposit; weight 25 %: 70 -> allow
    assert combined_score(80, [ExternalCredit("a", score=40)], Decimal(50)) == 60
    assert combined_score(80, [ExternalCredit("a", score=40)], Decimal(25)) == 70
    assert combined_score(None, [ExternalCredit("a", score=41), ExternalCredit("b", score=44)], Decimal(50)) == 43
    assert combined_score(None, [], Decimal(50)) is None


@given(
    order=st.integers(1, 10**9),
    open_minor=st.integers(0, 10**9),
    days=st.integers(0, 400),
    limit=st.one_of(st.none(), st.integers(0, 10**9)),
)
def test_deposit_is_never_negative_nor_above_the_order(
    order: int, open_minor: int, days: int, limit: int | None
) -> None:
    policy = CreditPolicy(limits={} if limit is None else {"EUR": Money.from_minor(limit, "EUR").amount})
    decision = decide_credit(history(1000_00 * days, open_eur=open_minor), Money.from_minor(order, "EUR"), policy)
    assert Money.zero("EUR") <= decision.deposit <= decision.order
    assert (decision.outcome is CreditOutcome.DEPOSIT) == (decision.deposit.amount > 0)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(InvalidAmountError, match="amount"):
        decide_credit(history(), eur("0"))
    with pytest.raises(ValidationError, match="score"):
        ExternalCredit("acme", score=101)
    with pytest.raises(ValidationError, match="deposit_below"):
        CreditPolicy(refuse_below=50, deposit_below=40)


def test_policy_from_toml() -> None:
    import tomllib

    data = tomllib.loads("""
[credit]
refuse_below = 30
deposit_below = 60
deposit_percent = "50"
max_days_overdue = -1
limits = { EUR = "10000.00", usd = 5000 }
refuse_flags = ["insolvency"]
[credit.weights]
points_per_late_day = "1"
""")
    policy = parse_policy(data)
    assert (policy.refuse_below, policy.deposit_below, policy.deposit_percent) == (30, 60, Decimal(50))
    assert policy.max_days_overdue is None and policy.limits == {
        "EUR": Decimal("10000.00"),
        "USD": Decimal(5000),
    }
    assert policy.weights.points_per_late_day == Decimal(1) and policy.refuse_flags == {"insolvency"}
    with pytest.raises(ConfigError, match=r"credit: unknown key\(s\): colour"):
        parse_policy({"credit": {"colour": 1}}, source="p.toml")
    with pytest.raises(ConfigError, match=r"p.toml: credit.refuse_below"):
        parse_policy({"refuse_below": "high"}, source="p.toml")


def test_the_credit_module_is_pure() -> None:
    code = (
        "import sys, cobrokit.credit\n"
        "print(','.join(m for m in ('pluggy', 'requests', 'sqlite3', 'smtplib') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
