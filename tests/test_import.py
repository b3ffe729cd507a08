import csv
from pathlib import Path

import pytest

from cobrokit.errors import ChangedRecordError, ConflictError, ImportRejectedError
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
    with pytest.raises(ImportRejectedError) as err:
        import_csv(store, invoices=changed)
    # F-2 is the second data row: line 3 of the file; the CSV column is "amount"
    [error] = err.value.errors
    assert isinstance(error, ChangedRecordError) and isinstance(error, ConflictError)
    assert (error.record, error.field) == ("inv2.csv line 3 (invoice F-2)", "amount")
    assert str(error) == (
        "inv2.csv line 3 (invoice F-2): amount: invoice F-2 already exists with a different amount "
        "(stored EUR 300.50, this file EUR 350.00); use --update to replace it"
    )
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
    # P-4 is on line 5; P-1 (1000.00) + P-4 (300.00) = 1300.00 > 1210.00
    assert str(err.value.errors[2]) == (
        "pay.csv line 5 (payment P-4): amount: payments to invoice F-1 would total EUR 1300.00, "
        "more than its amount EUR 1210.00"
    )
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
    with pytest.raises(ImportRejectedError) as err:
        import_csv(store, invoices=write_csv("inv.csv", text))
    [error] = err.value.errors
    assert (error.record, error.field) == ("inv.csv line 5 (invoice F-4)", "debtor_name")
    assert error.reason == "debtor 'D1' has a different debtor_name than on line 2"


EXTENDED = (
    "invoice_id,debtor_id,debtor_name,email,phone,issue_date,due_date,amount,currency,"
    "locale,country,tax_id,address,city\n"
)


def test_blank_optional_debtor_columns_mean_not_given(store: SQLiteStore, write_csv) -> None:  # type: ignore[no-untyped-def]
    text = EXTENDED + (
        "F-1,D1,Ruiz SL,a@ruiz.example,,2026-01-10,2026-02-09,10.00,EUR,es,ES,B12345678,Calle Mayor 1|2º,Madrid\n"
        "F-2,D1,Ruiz SL,,,2026-02-10,2026-03-12,20.00,EUR,,,,,\n"  # everything optional left blank
        "F-3,D1,Ruiz SL,,+34 600 000 001,2026-03-10,2026-04-09,30.00,eur,,es,,,\n"  # adds a phone; "es" = "ES"
    )
    result = import_csv(store, invoices=write_csv("inv.csv", text))
    assert result.inserted == {"debtors": 1, "invoices": 3}
    debtor = store.get_debtor("default", "D1")
    assert debtor is not None
    assert (debtor.tax_id, debtor.locale, debtor.country) == ("B12345678", "es", "ES")
    assert debtor.emails == ("a@ruiz.example",) and debtor.phones == ("+34 600 000 001",)
    assert debtor.address.lines == ("Calle Mayor 1", "2º") and debtor.address.city == "Madrid"
    # the same file again changes nothing
    assert import_csv(store, invoices=write_csv("inv.csv", text)).unchanged == {"debtors": 1, "invoices": 3}


def test_a_real_conflicting_debtor_value_names_the_columns_and_lines(store: SQLiteStore, write_csv) -> None:  # type: ignore[no-untyped-def]
    text = EXTENDED + (
        "F-1,D1,Ruiz SL,a@ruiz.example,,2026-01-10,2026-02-09,10.00,EUR,es,,B1,,\n"  # line 2
        "F-2,D1,Ruiz SL,,,2026-02-10,2026-03-12,20.00,EUR,,ES,,,\n"  # line 3: gives the country
        "F-3,D1,Ruiz SL,,,2026-03-10,2026-04-09,30.00,EUR,en,PT,B2,,\n"  # line 4: three conflicts
    )
    with pytest.raises(ImportRejectedError) as err:
        import_csv(store, invoices=write_csv("inv.csv", text))
    [error] = err.value.errors
    assert error.record == "inv.csv line 4 (invoice F-3)"
    assert error.field == "tax_id, locale, country"
    assert error.reason == (
        "debtor 'D1' has a different tax_id, locale than on line 2 and a different country than on line 3"
    )


def test_blank_debtor_columns_keep_the_stored_values(store: SQLiteStore, write_csv) -> None:  # type: ignore[no-untyped-def]
    first = EXTENDED + "F-1,D1,Ruiz SL,a@ruiz.example,,2026-01-10,2026-02-09,10.00,EUR,es,ES,B1,Calle Mayor 1,Madrid\n"
    import_csv(store, invoices=write_csv("jan.csv", first))
    # next month's export leaves the debtor details blank: not a change
    later = EXTENDED + "F-2,D1,Ruiz SL,,,2026-02-10,2026-03-12,20.00,EUR,,,,,\n"
    result = import_csv(store, invoices=write_csv("feb.csv", later))
    assert result.inserted == {"invoices": 1} and result.unchanged == {"debtors": 1}
    debtor = store.get_debtor("default", "D1")
    assert debtor is not None and (debtor.tax_id, debtor.address.city) == ("B1", "Madrid")


def test_a_changed_debtor_is_named_by_its_csv_columns(store: SQLiteStore, write_csv, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import_csv(store, invoices=write_csv("inv.csv", GOOD))
    changed = HEADER + (
        "F-1,D1,Talleres Ruiz SL,pagos@ruiz.example,+34 600 000 001,2026-01-10,2026-02-09,1210.00,EUR\n"
        "F-2,D1,Talleres Ruiz SL,,,2026-02-10,2026-03-12,300.50,EUR\n"
        'F-3,D2,"Gráficas Sierra, S.A.",admin@sierra.example,,2026-01-05,2026-01-20,99.99,USD\n'
    )
    rejects = tmp_path / "rj.csv"
    result = import_csv(store, invoices=write_csv("inv2.csv", changed), skip_invalid=True, rejects=rejects)
    # both D1 rows (lines 2 and 3) are rejected: the merged debtor's email changed
    # (line 3's blank phone keeps line 2's phone); D2 (line 4) is unchanged
    rows = list(csv.DictReader(rejects.open(encoding="utf-8")))
    assert [(r["line"], r["field"]) for r in rows] == [("2", "email"), ("3", "email")]
    assert rows[0]["error"] == (
        "inv2.csv line 2 (debtor D1): email: debtor D1 already exists with a different email; "
        "use --update to replace it"
    )
    assert result.unchanged == {"debtors": 1, "invoices": 1}
    updated = import_csv(store, invoices=write_csv("inv2.csv", changed), update=True)
    assert updated.updated == {"debtors": 1}
    assert store.get_debtor("default", "D1").emails == ("pagos@ruiz.example",)  # type: ignore[union-attr]


def test_rejects_file_names_the_field_of_conflicts_and_overpayments(  # type: ignore[no-untyped-def]
    store: SQLiteStore, write_csv, tmp_path: Path
) -> None:
    import_csv(store, invoices=write_csv("inv.csv", GOOD))
    rejects = tmp_path / "rj.csv"
    import_csv(
        store,
        invoices=write_csv("inv.csv", GOOD.replace("99.99,USD", "109.99,USD")),  # F-3 on line 4
        payments=write_csv(
            "pay.csv",
            "payment_id,invoice_id,date,amount,currency\n"
            "P-1,F-2,2026-03-01,300.00,EUR\n"  # line 2: good (300.00 <= 300.50)
            "P-2,F-2,2026-03-02,0.51,EUR\n",  # line 3: 300.00 + 0.51 = 300.51 > 300.50
        ),
        skip_invalid=True,
        rejects=rejects,
    )
    rows = list(csv.DictReader(rejects.open(encoding="utf-8")))
    assert [(r["file"], r["line"], r["field"]) for r in rows] == [
        ("inv.csv", "4", "amount"),
        ("pay.csv", "3", "amount"),
    ]
    assert rows[0]["error"].startswith("inv.csv line 4 (invoice F-3): amount: invoice F-3 already exists")
    assert rows[1]["error"] == (
        "pay.csv line 3 (payment P-2): amount: payments to invoice F-2 would total EUR 300.51, "
        "more than its amount EUR 300.50"
    )
    assert store.counts()["payment"] == 1


def test_a_changed_payment_is_named_by_its_csv_columns(store: SQLiteStore, write_csv) -> None:  # type: ignore[no-untyped-def]
    header = "payment_id,invoice_id,date,amount,currency\n"
    import_csv(
        store,
        invoices=write_csv("inv.csv", GOOD),
        payments=write_csv("p.csv", header + "P-1,F-1,2026-02-20,100.00,EUR\n"),
    )
    with pytest.raises(ImportRejectedError) as err:
        import_csv(store, payments=write_csv("p.csv", header + "P-1,F-1,2026-02-21,90.00,EUR\n"))
    [error] = err.value.errors
    assert (error.record, error.field) == ("p.csv line 2 (payment P-1)", "date, amount")


def test_flags_set_in_cobrokit_survive_reimport_and_update(store: SQLiteStore, write_csv) -> None:  # type: ignore[no-untyped-def]
    import_csv(store, invoices=write_csv("inv.csv", GOOD))
    store.set_flag("debtor", "default", "D1", "cease_contact", True)
    store.set_flag("invoice", "default", "F-1", "disputed", True)
    again = import_csv(store, invoices=write_csv("inv.csv", GOOD))
    assert again.unchanged == {"debtors": 2, "invoices": 3}
    import_csv(store, invoices=write_csv("inv.csv", GOOD.replace("1210.00", "1200.00")), update=True)
    debtor = store.get_debtor("default", "D1")
    invoice = store.get_invoice("default", "F-1")
    assert debtor is not None and debtor.cease_contact
    assert invoice is not None and invoice.disputed and invoice.amount == Money("1200.00", "EUR")


def test_cli_prints_file_line_and_column(tmp_path: Path, write_csv, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    from cobrokit.cli import main

    db = str(tmp_path / "cli.db")
    assert main(["import", "--db", db, "--invoices", str(write_csv("inv.csv", GOOD))]) == 0
    changed = write_csv("inv.csv", GOOD.replace("1210.00", "1300.00"))
    assert main(["import", "--db", db, "--invoices", str(changed)]) == 2
    err = capsys.readouterr().err
    assert "inv.csv line 2 (invoice F-1): amount: invoice F-1 already exists with a different amount" in err


def test_the_same_growing_payments_file_imports_every_day(tmp_path: Path) -> None:
    """The daily job re-imports one payments file that grows: what it already holds counts once."""
    invoices = tmp_path / "invoices.csv"
    invoices.write_text(
        "invoice_id,debtor_id,debtor_name,email,phone,issue_date,due_date,amount,currency\n"
        "F1,D1,Almagro SL,a@x.example,,2026-09-01,2026-10-01,2420.00,EUR\n",
        encoding="utf-8",
    )
    payments = tmp_path / "payments.csv"
    first = "payment_id,debtor_id,date,amount,currency,invoice_id\nT1,D1,2026-10-20,1000.00,EUR,F1\n"
    payments.write_text(first, encoding="utf-8")
    with SQLiteStore.open(tmp_path / "books.db") as store:
        import_csv(store, invoices=invoices, payments=payments)
        payments.write_text(first + "T2,D1,2026-11-05,1420.00,EUR,F1\n", encoding="utf-8")  # the rest, paid
        counts = import_csv(store, invoices=invoices, payments=payments)  # the next day: same file, one more row
        assert store.allocated_minor("default", "F1") == 242000
        assert counts.inserted["payments"] == 1 and counts.unchanged["payments"] == 1
        again = import_csv(store, invoices=invoices, payments=payments)  # the day after: nothing new
        assert again.unchanged["payments"] == 2 and store.allocated_minor("default", "F1") == 242000
        payments.write_text(first + "T2,D1,2026-11-05,1420.00,EUR,F1\nT3,D1,2026-11-06,5.00,EUR,F1\n", encoding="utf-8")
        with pytest.raises(ImportRejectedError, match=r"would total EUR 2425\.00, more than its amount EUR 2420\.00"):
            import_csv(store, invoices=invoices, payments=payments)  # a real over-payment is still refused
