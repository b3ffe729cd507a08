import datetime as dt
import json
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from cobrokit.aging import BUCKETS, bucket_for, build_aging, dso
from cobrokit.cli import main
from cobrokit.model import Allocation, Payment
from cobrokit.money import Money
from cobrokit.reports.aging import aging_report
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import make_debtor, make_invoice

AS_OF = dt.date(2026, 6, 30)


def test_bucket_boundaries() -> None:
    # as_of - due_date: 0 and below is current; then 1-30, 31-60, 61-90, 91-120, over 120
    assert [BUCKETS[bucket_for(d)] for d in (-5, 0, 1, 30, 31, 60, 61, 90, 91, 120, 121, 999)] == [
        "current",
        "current",
        "1-30",
        "1-30",
        "31-60",
        "31-60",
        "61-90",
        "61-90",
        "91-120",
        "91-120",
        "over-120",
        "over-120",
    ]


items_strategy = st.lists(
    st.tuples(
        st.sampled_from(["D1", "D2", "D3"]),
        st.sampled_from(["EUR", "USD", "JPY"]),
        st.integers(min_value=-30, max_value=400),
        st.integers(min_value=0, max_value=10**9),
    ),
    max_size=60,
)


@given(items_strategy)
def test_bucket_totals_equal_sum_of_open_balances(raw: list[tuple[str, str, int, int]]) -> None:
    items = sorted((d, c, AS_OF - dt.timedelta(days=days), m) for d, c, days, m in raw)
    report = build_aging(items, AS_OF)
    for currency in {c for _, c, _, _ in items}:
        expected = sum(m for _, c, _, m in items if c == currency)
        assert sum(report.totals.get(currency, (0,))) == expected
        assert sum(r.total for r in report.rows if r.currency == currency) == expected
    # never summed across currencies: one row per debtor and currency
    keys = [(r.debtor_id, r.currency) for r in report.rows]
    assert len(keys) == len(set(keys))


def test_dso() -> None:
    # receivables 45,000 over credit sales 90,000 in 90 days -> 45.0 days
    assert dso(4_500_000, 9_000_000, 90) == Decimal("45.0")
    assert dso(100, 0, 90) is None


def _portfolio(store: SQLiteStore) -> None:
    store.save(
        debtors=[make_debtor("D1"), make_debtor("D2", "Gráficas Sierra SA")],
        invoices=[
            make_invoice("A", "D1", "100.00", issue="2026-05-01", due="2026-05-31"),  # 30 days -> 1-30
            make_invoice("B", "D1", "200.00", issue="2026-01-01", due="2026-02-28"),  # 122 days -> over-120
            make_invoice("C", "D2", "50.00", "USD", issue="2026-06-01", due="2026-07-01"),  # current
            make_invoice("D", "D2", "70.00", issue="2026-07-01", due="2026-07-31"),  # issued after as_of
        ],
        payments=[
            Payment(
                id="P1",
                debtor_id="D1",
                date=dt.date(2026, 6, 15),
                amount=Money("40.00", "EUR"),
                allocations=(Allocation("A", Money("40.00", "EUR")),),
            ),
            Payment(
                id="P2",
                debtor_id="D1",
                date=dt.date(2026, 7, 2),
                amount=Money("200.00", "EUR"),
                allocations=(Allocation("B", Money("200.00", "EUR")),),
            ),  # after as_of: ignored
        ],
    )


def test_aging_report_from_store(store: SQLiteStore) -> None:
    _portfolio(store)
    data = aging_report(store, AS_OF).to_json()
    assert data["as_of"] == "2026-06-30"
    assert data["totals"]["EUR"] == {
        "current": "0.00",
        "1-30": "60.00",
        "31-60": "0.00",
        "61-90": "0.00",
        "91-120": "0.00",
        "over-120": "200.00",
        "total": "260.00",
    }
    assert data["totals"]["USD"]["current"] == "50.00"
    assert [(d["debtor_id"], d["currency"], d["total"]) for d in data["debtors"]] == [
        ("D1", "EUR", "260.00"),
        ("D2", "USD", "50.00"),
    ]
    # DSO EUR: 260 open / sales issued 2026-04-02..2026-06-30 (invoice A: 100) * 90 = 234.0
    assert data["dso"]["EUR"] == "234.0"


def test_cli_json_csv_and_table(store: SQLiteStore, capsys) -> None:  # type: ignore[no-untyped-def]
    _portfolio(store)
    path = store.path
    assert main(["aging", "--db", path, "--as-of", "2026-06-30", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["totals"]["EUR"]["total"] == "260.00"
    assert main(["aging", "--db", path, "--as-of", "2026-06-30", "--csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "debtor_id,currency,current,1-30,31-60,61-90,91-120,over-120,total"
    assert lines[1] == "D1,EUR,0.00,60.00,0.00,0.00,0.00,200.00,260.00"
    assert main(["aging", "--db", path, "--as-of", "2026-06-30"]) == 0
    table = capsys.readouterr().out
    assert "TOTAL EUR" in table and "260.00" in table and "DSO" in table
