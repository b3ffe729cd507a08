"""Portfolio figures (aging, top debtors, recovery, promises, DSO, CEI) against hand computations."""

import csv
import datetime as dt
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cobrokit.aging import build_aging
from cobrokit.model import CreditNote, Debtor
from cobrokit.money import Money
from cobrokit.promises import PromiseState
from cobrokit.reports.figures import collection_effectiveness, portfolio_figures
from cobrokit.reports.html import figures_csv, figures_json, render_report_html, write_report
from cobrokit.store.plans import add_promise, promise_statuses
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import make_invoice
from tests.reports.scenario import pay, run_days, sent_notice, spanish_debtor

AS_OF = dt.date(2026, 3, 31)
PERIOD = 31  # 2026-03-01 .. 2026-03-31


@pytest.fixture
def ledger(store: SQLiteStore) -> SQLiteStore:
    """The hand-computed scenario of this module (see each test for the arithmetic)."""
    store.save(
        debtors=[
            Debtor(id="D1", name="Uno SL"),
            Debtor(id="D2", name="Dos <b>SA</b>"),
            Debtor(id="D3", name="Tres"),
            Debtor(id="D4", name="Cuatro"),
        ],
        invoices=[
            make_invoice("A1", "D1", "1000.00", issue="2026-01-01", due="2026-01-31"),
            make_invoice("A2", "D1", "500.00", issue="2026-03-10", due="2026-04-09"),
            make_invoice("B1", "D2", "300.00", issue="2026-02-01", due="2026-02-15"),
            make_invoice("B2", "D2", "2000.00", issue="2025-11-01", due="2025-11-30"),
            make_invoice("U1", "D3", "100.00", currency="USD", issue="2026-03-01", due="2026-03-16"),
            make_invoice("X1", "D4", "999.00", issue="2026-04-02", due="2026-05-02"),  # after the report date
        ],
        payments=[
            pay("P1", "D1", "2026-03-15", "200.00", ("A1", "200.00")),
            pay("P2", "D2", "2026-03-20", "300.00", ("B1", "300.00")),
            pay("P3", "D3", "2026-03-17", "50.00", ("U1", "50.00"), currency="USD"),
        ],
        credit_notes=[
            CreditNote(
                id="C1",
                debtor_id="D2",
                invoice_id="B2",
                date=dt.date(2026, 3, 5),
                amount=Money("100.00", "EUR"),
            )
        ],
    )
    sent_notice(store, "D1", "EUR", "oops", "email", "2026-03-10")
    sent_notice(store, "D1", "EUR", "whats_wrong", "call", "2026-03-12", status="delivered")  # confirmed: sent too
    sent_notice(store, "D2", "EUR", "ultimatum", "letter", "2026-03-01")
    sent_notice(store, "D2", "EUR", "penalty_warning", "email", "2026-03-18", status="failed_permanent")
    sent_notice(store, "D2", "EUR", "thank_you", "email", "2026-03-19")
    sent_notice(store, "D3", "USD", "oops", "email", "2026-03-17")
    add_promise(
        store,
        tenant="default",
        debtor_id="D1",
        promised_date=dt.date(2026, 3, 14),
        amount="200.00",
        currency="EUR",
        today=dt.date(2026, 3, 1),
    )
    add_promise(
        store,
        tenant="default",
        debtor_id="D2",
        promised_date=dt.date(2026, 3, 10),
        amount="300.00",
        currency="EUR",
        today=dt.date(2026, 3, 2),
    )
    add_promise(
        store,
        tenant="default",
        debtor_id="D2",
        promised_date=dt.date(2026, 3, 30),
        amount="100.00",
        currency="EUR",
        today=dt.date(2026, 3, 25),
    )
    return store


def test_aging_buckets_and_debtors_owing(ledger: SQLiteStore) -> None:
    eur = portfolio_figures(ledger, AS_OF, period_days=PERIOD).currency("EUR")
    # A1 1000 - 200 paid = 800, 59 days past due -> 31-60; A2 500 not yet due -> current;
    # B1 paid in full -> nothing; B2 2000 - 100 credit note = 1900, 121 days -> over-120; X1 issued later.
    assert eur.buckets == (500_00, 0, 800_00, 0, 0, 1900_00)
    assert eur.total == 3200_00 and eur.overdue == 2700_00
    assert eur.debtors_owing == 2


def test_dso_and_cei_over_the_period(ledger: SQLiteStore) -> None:
    figures = portfolio_figures(ledger, AS_OF, period_days=PERIOD)
    eur, usd = figures.currency("EUR"), figures.currency("USD")
    assert figures.period_start == dt.date(2026, 3, 1)
    # EUR: B = open on 2026-02-28 = A1 1000 + B1 300 + B2 2000 = 3300; S = A2 500; E = 3200; Ec = A2 500.
    assert (eur.receivables_begin, eur.credit_sales, eur.receivables_end, eur.current_end) == (
        3300_00,
        500_00,
        3200_00,
        500_00,
    )
    # CEI = (3300 + 500 - 3200) / (3300 + 500 - 500) x 100 = 600 / 3300 x 100 = 18.18... -> 18.2
    assert eur.cei == Decimal("18.2")
    # DSO = 3200 / 500 x 31 = 198.4
    assert eur.dso == Decimal("198.4")
    assert eur.collected == 500_00  # P1 200 + P2 300
    # USD: B 0, S 100, E 100 - 50 = 50, Ec 0 (U1 is past due): CEI 50 / 100 = 50.0; DSO 50 / 100 x 31 = 15.5
    assert (usd.cei, usd.dso, usd.collected) == (Decimal("50.0"), Decimal("15.5"), 50_00)


def test_cei_formula_edge_cases() -> None:
    # (100 + 200 - 120) / (100 + 200 - 60) = 180 / 240 = 75 %
    assert collection_effectiveness(100, 200, 120, 60) == Decimal("75.0")
    assert collection_effectiveness(0, 0, 0, 0) is None  # nothing to collect: undefined


def test_recovery_credits_each_payment_to_the_last_notice_within_the_window(ledger: SQLiteStore) -> None:
    figures = portfolio_figures(ledger, AS_OF, period_days=PERIOD, recovery_days=14)
    eur = {(r.stage, r.channel): r for r in figures.currency("EUR").recovery}
    # P1 (2026-03-15) follows oops (03-10) and whats_wrong (03-12): the last one takes it.
    assert (eur["whats_wrong", "call"].payments, eur["whats_wrong", "call"].recovered_minor) == (1, 200_00)
    assert (eur["oops", "email"].payments, eur["oops", "email"].recovered_minor) == (0, 0)
    # P2 (03-20) is 19 days after the ultimatum (03-01): outside 14 days; the thank-you takes no credit;
    # the failed penalty warning was never sent.
    assert eur["ultimatum", "letter"].recovered_minor == 0
    assert eur["thank_you", "email"].recovered_minor == 0
    assert ("penalty_warning", "email") not in eur
    assert {k: r.notices_sent for k, r in eur.items()} == {
        ("oops", "email"): 1,
        ("whats_wrong", "call"): 1,
        ("ultimatum", "letter"): 1,
        ("thank_you", "email"): 1,
    }
    # P3 is on the day of the USD notice, not after it: not credited
    (usd,) = figures.currency("USD").recovery
    assert (usd.notices_sent, usd.payments, usd.recovered_minor) == (1, 0, 0)
    # a 20-day window reaches P2 from the ultimatum
    wide = portfolio_figures(ledger, AS_OF, period_days=PERIOD, recovery_days=20).currency("EUR")
    assert {(r.stage, r.recovered_minor) for r in wide.recovery if r.recovered_minor} == {
        ("whats_wrong", 200_00),
        ("ultimatum", 300_00),
    }


def test_promises_kept_broken_pending_agree_with_evaluate_promise(ledger: SQLiteStore) -> None:
    tally = portfolio_figures(ledger, AS_OF, period_days=PERIOD, promise_grace_days=2).currency("EUR").promises
    assert tally is not None
    # PROM-1: 200 by 03-14 (+2 grace): P1 200 on 03-15 -> kept. PROM-2: 300 by 03-10 (+2): nothing by
    # 03-12 -> broken. PROM-3: 100 by 03-30 (+2 = 04-01): still in grace on 03-31 -> pending.
    assert (tally.kept, tally.broken, tally.pending) == (1, 1, 1)
    assert (tally.kept_minor, tally.broken_minor, tally.pending_minor) == (200_00, 300_00, 100_00)
    assert tally.kept_rate == Decimal("50.0")
    states = [s.state for s in promise_statuses(ledger, tenant="default", as_of=AS_OF, grace_days=2)]
    assert sorted(states) == sorted([PromiseState.KEPT, PromiseState.BROKEN, PromiseState.PENDING])


def test_top_debtors_are_ranked_by_balance(ledger: SQLiteStore) -> None:
    eur = portfolio_figures(ledger, AS_OF, period_days=PERIOD, top=1).currency("EUR")
    assert [t.debtor_id for t in eur.top] == ["D2"]  # 1900 > D1's 1300
    both = portfolio_figures(ledger, AS_OF, period_days=PERIOD).currency("EUR").top
    assert [(t.debtor_id, t.total, t.oldest_days) for t in both] == [
        ("D2", 1900_00, 121),
        ("D1", 1300_00, 59),
    ]


def test_csv_and_json_carry_the_same_figures(ledger: SQLiteStore) -> None:
    figures = portfolio_figures(ledger, AS_OF, period_days=PERIOD)
    data = json.loads(figures_json(figures))
    rows = list(csv.DictReader(io.StringIO(figures_csv(figures))))
    aging = {(r["currency"], r["item"]): r["value"] for r in rows if r["section"] == "aging"}
    for currency, body in data["currencies"].items():
        for bucket, value in body["aging"].items():
            assert aging[currency, bucket] == value
    kpi = {(r["currency"], r["item"]): r["value"] for r in rows if r["section"] == "kpi"}
    assert kpi["EUR", "cei"] == data["currencies"]["EUR"]["cei"] == "18.2"
    assert data["currencies"]["EUR"]["aging"]["total"] == "3200.00"


def test_html_escapes_names_and_stays_small(ledger: SQLiteStore) -> None:
    page = render_report_html(portfolio_figures(ledger, AS_OF, period_days=PERIOD))
    assert "Dos &lt;b&gt;SA&lt;/b&gt;" in page and "<b>SA</b>" not in page
    assert page.count('class="bar"') == 12  # 6 buckets x 2 currencies
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")  # no external asset


def test_report_size_does_not_grow_with_the_portfolio(tmp_path: Path) -> None:
    from cobrokit.generate import generate_portfolio

    sizes = []
    for debtors in (200, 4000):
        store = SQLiteStore.open(tmp_path / f"p{debtors}.db")
        generate_portfolio(store, debtors=debtors, as_of=AS_OF, currencies=("EUR", "USD"))
        out = tmp_path / f"r{debtors}.html"
        write_report(store, AS_OF, out, top=20)
        sizes.append(out.stat().st_size)
        store.close()
    assert sizes[1] < 60_000
    assert abs(sizes[1] - sizes[0]) < 2_000  # top 20 + aggregates either way


def test_recovery_after_a_real_run_and_dispatch(store: SQLiteStore) -> None:
    due = dt.date(2026, 3, 2)
    store.save(
        debtors=[spanish_debtor()],
        invoices=[make_invoice("F1", "D1", "1210.00", issue="2026-01-31", due=due.isoformat())],
    )
    run_days(store, [due + dt.timedelta(days=n) for n in range(-7, 16)])  # courtesy -7, oops +1, call +15
    store.save(payments=[pay("P1", "D1", "2026-03-20", "1210.00", ("F1", "1210.00"))])
    run_days(store, [dt.date(2026, 3, 21)])  # thank you
    eur = portfolio_figures(store, dt.date(2026, 3, 31), period_days=31).currency("EUR")
    credited = {(r.stage, r.channel): r.recovered_minor for r in eur.recovery}
    # the payment (03-20) came 3 days after the call of 03-17: the call recovered it
    assert credited[("whats_wrong", "call")] == 1210_00
    assert sum(credited.values()) == 1210_00
    assert {(r.stage, r.channel) for r in eur.recovery} >= {("oops", "email"), ("thank_you", "email")}


_items = st.lists(
    st.tuples(
        st.sampled_from(["D1", "D2", "D3"]),
        st.sampled_from(["EUR", "USD"]),
        st.integers(-20, 200),
        st.integers(1, 500_00),
        st.integers(0, 500_00),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=_items)
def test_sql_aging_equals_the_pure_aging(items: list[tuple[str, str, int, int, int]]) -> None:
    """Whatever the ledger, the aggregated buckets are those of cobrokit.aging.build_aging."""
    store = SQLiteStore.open(":memory:")
    store.save(debtors=[Debtor(id=d, name=d) for d in ("D1", "D2", "D3")])
    invoices, payments, expected = [], [], []
    for n, (debtor, currency, age, amount, paid) in enumerate(items):
        due = AS_OF - dt.timedelta(days=age)
        invoices.append(
            make_invoice(
                f"I{n}",
                debtor,
                Money.from_minor(amount, currency).format_amount(),
                currency,
                issue=(due - dt.timedelta(days=30)).isoformat(),
                due=due.isoformat(),
            )
        )
        paid = min(paid, amount)
        if paid:
            text = Money.from_minor(paid, currency).format_amount()
            payments.append(pay(f"P{n}", debtor, "2026-01-01", text, (f"I{n}", text), currency=currency))
        expected.append((debtor, currency, due, amount - paid))
    store.save(invoices=invoices, payments=payments)
    pure = build_aging(sorted(expected, key=lambda e: e[0]), AS_OF)
    figures = portfolio_figures(store, AS_OF)
    for currency, buckets in pure.totals.items():
        assert figures.currency(currency).buckets == buckets
    assert {c.currency for c in figures.currencies if c.total} == {c for c, b in pure.totals.items() if sum(b)}


def test_period_and_top_must_be_positive(ledger: SQLiteStore) -> None:
    from cobrokit.errors import ValidationError

    with pytest.raises(ValidationError, match="period_days"):
        portfolio_figures(ledger, AS_OF, period_days=0)
