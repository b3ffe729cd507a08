import csv
from pathlib import Path

import pytest

from cobrokit.errors import ImportRejectedError
from cobrokit.importing import import_csv
from cobrokit.money import Money
from cobrokit.store.sqlite import SQLiteStore

HEADER = "invoice_id,debtor_id,debtor_name,email,phone,issue_date,due_date,amount,currency\n"
GOOD = HEADER + (
    "F-1,D1,Talleres Ruiz SL,cuentas@ruiz.example,+34 600 000 001,2026-01-10,2026-02-09,1210.00,EUR\n"
    "F-2,D1,Talleres Ruiz SL,cuentas@ruiz.example,+34 600 000 001,2026-02-10,2026-03-12,300.50,EUR\n"
    'F-3,D2,"Gráficas Sierra, S.A.",admin@sierra.example,,2026-01-05,2026-01-20,99.99,USD\n'
)


def test_good_file_with_bom_blank_lines_and_quoted_commas(store: SQLiteStore, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv("inv.csv", GOOD.replace("\n", "\n\n", 1) + "\n\n", bom=True)
    result = import_csv(store, invoices=path)
    assert result.inserted == {"debtors": 2, "invoices": 3}
    assert store.get_debtor("default", "D2").name == "Gráficas Sierra, S.A."  # type: ignore[union-attr]
    amounts = {i.id: i.amount for i in store.iter_invoices()}
    assert amounts == {
        "F-1": Money("1210.00", "EUR"),
        "F-2": Money("300.50", "EUR"),
        "F-3": Money("99.99", "USD"),
    }


def test_reimport_changes_nothing(store: SQLiteStore, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv("inv.csv", GOOD)
    import_csv(store, invoices=path)
    again = import_csv(store, invoices=path)
    assert again.inserted == {} and again.unchanged == {"debtors": 2, "invoices": 3}


def test_changed_amount_refused_unless_update(store: SQLiteStore, write_csv) -> None:  # type: ignore[no-untyped-def]
    import_csv(store, invoices=write_csv("inv.csv", GOOD))
    changed = write_csv("inv2.csv", GOOD.replace("300.50", "350.00"))
    with pytest.raises(ImportRejectedError, match="invoice F-2 already exists with different amount_minor"):
        import_csv(store, invoices=changed)
    assert {i.id: i.amount for i in store.iter_invoices()}["F-2"] == Money("300.50", "EUR")
    result = import_csv(store, invoices=changed, update=True)
    assert result.updated == {"invoices": 1}


def test_every_bad_row_is_reported_and_nothing_imported(store: SQLiteStore, write_csv) -> None:  # type: ignore[no-untyped-def]
    text = HEADER + (
        "F-1,D1,Ruiz,a@x.example,,2026-01-10,2026-02-09,10.00,EUR\n"  # line 2: good
        "F-2,D1,Ruiz,a@x.example,,2026-13-01,2026-02-09,10.00,EUR\n"  # line 3: malformed date
        "F-3,D1,Ruiz,a@x.example,,2026-02-10,2026-01-09,10.00,EUR\n"  # line 4: due before issue
        "F-4,D1,Ruiz,a@x.example,,2026-01-10,2026-02-09,-3.00,EUR\n"  # line 5: negative
        "F-5,D1,Ruiz,a@x.example,,2026-01-10,2026-02-09,10.00,EURO\n"  # line 6: unknown currency
        "F-1,D1,Ruiz,a@x.example,,2026-01-10,2026-02-09,10.00,EUR\n"  # line 7: duplicate id
        'F-6,D1,Ruiz,a@x.example,,2026-01-10,2026-02-09,"1,5",EUR\n'  # line 8: decimal comma
    )
    with pytest.raises(ImportRejectedError) as err:
        import_csv(store, invoices=write_csv("bad.csv", text))
    found = [(e.record.split(" (")[0], e.field) for e in err.value.errors]
    assert found == [
        ("bad.csv line 3", "issue_date"),
        ("bad.csv line 4", "due_date"),
        ("bad.csv line 5", "amount"),
        ("bad.csv line 6", "currency"),
        ("bad.csv line 7", "invoice_id"),
        ("bad.csv line 8", "amount"),
    ]
    assert "already on line 2" in str(err.value)
    assert store.counts()["invoice"] == 0


def test_skip_invalid_imports_good_rows_and_writes_rejects(store: SQLiteStore, write_csv, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = GOOD + "F-9,D3,Bad Date SL,,,2026-01-01,yesterday,5.00,EUR\n"
    rejects = tmp_path / "rejects.csv"
    result = import_csv(store, invoices=write_csv("inv.csv", text), skip_invalid=True, rejects=rejects)
    assert result.inserted["invoices"] == 3
    rows = list(csv.DictReader(rejects.open(encoding="utf-8")))
    assert len(rows) == 1
    assert rows[0]["line"] == "5" and rows[0]["field"] == "due_date" and rows[0]["invoice_id"] == "F-9"
    assert "not an ISO date" in rows[0]["error"]


def test_missing_column_is_named(store: SQLiteStore, write_csv) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ImportRejectedError, match="currency: required column missing"):
        import_csv(
            store,
            invoices=write_csv(
                "inv.csv",
                "invoice_id,debtor_id,debtor_name,email,phone,issue_date,"
                "due_date,amount\nF-1,D1,X,,,2026-01-01,2026-01-02,1\n",
            ),
        )


def test_payments_mixed_currencies_unknown_invoices_and_overpayment(store: SQLiteStore, write_csv) -> None:  # type: ignore[no-untyped-def]
    import_csv(store, invoices=write_csv("inv.csv", GOOD))
    payments = write_csv(
        "pay.csv",
        (
            "payment_id,invoice_id,date,amount,currency\n"
            "P-1,F-1,2026-02-20,1000.00,EUR\n"  # good
            "P-2,F-3,2026-01-25,50.00,EUR\n"  # invoice is in USD
            "P-3,F-404,2026-01-25,5.00,EUR\n"  # unknown invoice
            "P-4,F-1,2026-02-21,300.00,EUR\n"  # 1000 + 300 > 1210
        ),
    )
    with pytest.raises(ImportRejectedError) as err:
        import_csv(store, payments=payments)
    kinds = [type(e).__name__ for e in err.value.errors]
    assert kinds == ["CurrencyMismatchError", "UnknownReferenceError", "InvalidAmountError"]
    assert "more than its amount EUR 1210.00" in str(err.value)
    assert store.counts()["payment"] == 0


def test_payments_reduce_open_balance(store: SQLiteStore, write_csv) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    result = import_csv(
        store,
        invoices=write_csv("inv.csv", GOOD),
        payments=write_csv("pay.csv", "payment_id,invoice_id,date,amount,currency\nP-1,F-1,2026-02-20,1000.00,EUR\n"),
    )
    assert result.inserted["payments"] == 1
    open_f1 = [i.open_minor for i in store.open_items("default", dt.date(2026, 3, 1)) if i.invoice_id == "F-1"]
    assert open_f1 == [21000]


def test_same_debtor_with_conflicting_details_in_one_file(store: SQLiteStore, write_csv) -> None:  # type: ignore[no-untyped-def]
    text = GOOD + "F-4,D1,Another Name SL,cuentas@ruiz.example,+34 600 000 001,2026-01-10,2026-02-09,5.00,EUR\n"
    with pytest.raises(ImportRejectedError, match="debtor 'D1' has different name than on line 2"):
        import_csv(store, invoices=write_csv("inv.csv", text))
