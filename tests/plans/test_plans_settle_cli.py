"""``cobrokit plan settle`` (quita with a floor) and ``cobrokit plan discount`` (2/10 net 30)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from cobrokit.cli import main
from cobrokit.model import Allocation, Debtor, Invoice, Payment
from cobrokit.money import Money
from cobrokit.settlements import SettlementState, evaluate_settlement
from cobrokit.store.plans import PlanRepository
from cobrokit.store.sqlite import SQLiteStore


def eur(text: str) -> Money:
    return Money(text, "EUR")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.db"
    with SQLiteStore.open(path) as store:
        store.save(
            debtors=[Debtor("D1", "Bar Pepe", country="ES")],
            invoices=[
                Invoice("I1", "D1", dt.date(2025, 1, 1), dt.date(2025, 1, 31), eur("600.00")),
                Invoice("I2", "D1", dt.date(2025, 1, 10), dt.date(2025, 2, 10), eur("400.00")),
                Invoice("I3", "D1", dt.date(2025, 1, 10), dt.date(2025, 2, 10), eur("50.00"), disputed=True),
                Invoice("I4", "D1", dt.date(2025, 3, 1), dt.date(2025, 3, 31), eur("1234.56")),
            ],
            payments=[
                Payment("P0", "D1", dt.date(2025, 2, 1), eur("100.00"), allocations=[Allocation("I1", eur("100.00"))])
            ],
        )
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


SETTLE = ("plan", "settle", "--debtor", "D1", "--today", "2025-03-01", "--pay-by", "2025-03-15")


def settlements(db: Path) -> int:
    with SQLiteStore.open(db) as store:
        return PlanRepository(store).counts("default")["settlement"]


def test_settle_prints_the_offer_and_saves_it(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, *SETTLE, "--db", str(db), "--invoice", "I1", "--invoice", "I2", "--discount", "25",
                       "--floor", "70%", "--json")  # fmt: skip
    assert code == 0
    data = json.loads(out)
    # balance: I1 600 − 100 = 500.00, I2 400.00 → 900.00; 25 % off = 225.00 → pay 675.00;
    # floor 70 % of 900.00 = 630.00 ≤ 675.00
    assert {k: data[k] for k in ("settlement_id", "balance", "amount", "discount", "discount_percent", "floor")} == {
        "settlement_id": "SETT-00001",
        "balance": "900.00",
        "amount": "675.00",
        "discount": "225.00",
        "discount_percent": "25.00",
        "floor": "630.00",
    }
    assert (data["pay_by"], data["invoices"], data["saved"]) == ("2025-03-15", ["I1", "I2"], True)
    with SQLiteStore.open(db) as store:
        (offer,) = PlanRepository(store).iter_settlements("default", "D1")
        # paying the lump sum by the deadline honours it: the 225.00 discount is written off
        paid = Payment("P1", "D1", dt.date(2025, 3, 14), eur("675.00"))
        status = evaluate_settlement(offer, [paid], dt.date(2025, 3, 20))
        assert (status.state, status.write_off) == (SettlementState.HONOURED, eur("225.00"))


def test_settle_text_and_dry_run(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # every undisputed open invoice: 500.00 + 400.00 + 1234.56 = 2134.56; I3 (disputed) is left out
    code, out, _ = run(capsys, *SETTLE, "--db", str(db), "--amount", "1800", "--floor", "1500.00", "--dry-run")
    assert code == 0
    assert out.splitlines() == [
        "Settlement SETT-00001 for debtor D1 (offered 2025-03-01)",
        # 2134.56 − 1800.00 = 334.56 = 15.67 % of the balance (334.56 / 2134.56 = 0.156735…)
        "Pay EUR 1800.00 by 2025-03-15 to settle EUR 2134.56 (discount EUR 334.56, 15.67 %)",
        "Floor EUR 1500.00: respected",
        "Invoices: I1, I2, I4",
        "If not paid in full by 2025-03-15, the whole balance is owed again.",
        "(dry run: nothing saved)",
    ]
    assert settlements(db) == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--amount", "600", "--floor", "70%", "--invoice", "I1", "--invoice", "I2"), "is below the floor EUR 630.00"),
        (("--amount", "5000", "--floor", "70%"), "is not below the balance"),
        (("--discount", "25", "--floor", "abc"), "floor"),
        (("--discount", "25", "--floor", "70%", "--invoice", "I3"), "invoice I3: disputed"),
        (("--discount", "120", "--floor", "70%"), "percentage must be between 0 and 100"),
    ],
)
def test_bad_offers_exit_2_and_save_nothing(
    db: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    code, out, err = run(capsys, *SETTLE, "--db", str(db), *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and message in err, err
    assert settlements(db) == 0


def test_a_deadline_in_the_past_is_refused(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["plan", "settle", "--db", str(db), "--debtor", "D1", "--today", "2025-03-01", "--pay-by", "2025-02-28",
            "--discount", "10", "--floor", "50%"]  # fmt: skip
    code, _, err = run(capsys, *argv)
    assert code == 2 and "pay_by: 2025-02-28 is in the past" in err
    assert settlements(db) == 0


def test_discount_shows_what_early_payment_terms_mean(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "plan", "discount", "--db", str(db), "--invoice", "I4", "--terms", "2/10 net 30", "--json"
    )
    assert code == 0
    # 2 % of 1234.56 = 24.6912 → 24.69; issued 1 Mar: discount up to 11 Mar, net due 31 Mar
    assert json.loads(out) == {
        "invoice_id": "I4",
        "terms": "2/10 net 30",
        "currency": "EUR",
        "amount": "1234.56",
        "discount": "24.69",
        "discounted_amount": "1209.87",
        "discount_deadline": "2025-03-11",
        "net_due_date": "2025-03-31",
    }
    code, out, _ = run(capsys, "plan", "discount", "--db", str(db), "--invoice", "I4", "--terms", "2/10 net 30")
    assert out.strip() == (
        "Invoice I4 (EUR 1234.56, issued 2025-03-01) on 2/10 net 30: pay EUR 1209.87 by 2025-03-11 "
        "(discount EUR 24.69), else EUR 1234.56 by 2025-03-31"
    )
    code, _, err = run(capsys, "plan", "discount", "--db", str(db), "--invoice", "I4", "--terms", "two percent")
    assert code == 2 and "terms" in err
    code, _, err = run(capsys, "plan", "discount", "--db", str(db), "--invoice", "NOPE", "--terms", "2/10 net 30")
    assert code == 2 and "no invoice 'NOPE'" in err
