"""Synthetic portfolios: realistic, deterministic test data for demos and benchmarks.

For a given seed the same portfolio comes out, byte for byte. The mix follows what a small
or mid-sized business sees: 1–5 invoices per debtor (most have one or two), amounts
skewed towards small invoices with a long tail, payment terms of 15–60 days, and four
payer profiles — punctual, late, partial payers and those who never pay — plus a few
disputed invoices. Amounts are drawn as integer minor units (no floats anywhere).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path

import attrs

from cobrokit.errors import ValidationError
from cobrokit.model import DEFAULT_TENANT
from cobrokit.money import Money, minor_units
from cobrokit.store.sqlite import SQLiteStore

__all__ = ["CURRENCY_PROFILES", "GeneratedCounts", "Portfolio", "generate_portfolio", "write_portfolio_csv"]

# currency -> (locale, country, timezone, phone prefix)
CURRENCY_PROFILES: dict[str, tuple[str, str, str, str]] = {
    "EUR": ("es_ES", "ES", "Europe/Madrid", "+34 6"),
    "USD": ("en_US", "US", "America/New_York", "+1 212"),
    "GBP": ("en_GB", "GB", "Europe/London", "+44 7"),
    "MXN": ("es_MX", "MX", "America/Mexico_City", "+52 55"),
    "COP": ("es_CO", "CO", "America/Bogota", "+57 3"),
}

_FIRST = (
    "Talleres",
    "Construcciones",
    "Distribuciones",
    "Estudio",
    "Panadería",
    "Transportes",
    "Clínica",
    "Consultora",
    "Imprenta",
    "Hostal",
    "Ferretería",
    "Academia",
    "Bodegas",
    "Gráficas",
    "Reformas",
    "Northwind",
    "Blue Harbor",
    "Summit",
    "Pioneer",
    "Oak & Stone",
)
_SECOND = (
    "Ruiz",
    "García",
    "del Sur",
    "Martín",
    "Atlántico",
    "Sierra",
    "López",
    "Levante",
    "Moreno",
    "Norte",
    "Castro",
    "Vidal",
    "Medina",
    "Iberia",
    "Delgado",
    "Trading",
    "Logistics",
    "Partners",
    "Studio",
    "Works",
)
_SUFFIX = ("SL", "SA", "SLU", "SC", "Ltd", "LLC", "SAS", "S.A. de C.V.")

# amount tiers in major units and their weights: most invoices are small
_TIERS = ((50, 500, 50), (500, 5_000, 35), (5_000, 50_000, 12), (50_000, 500_000, 3))
_PROFILES = (("punctual", 45), ("late", 30), ("partial", 12), ("never", 13))
_TERMS = (15, 30, 30, 30, 45, 60)


@attrs.frozen(slots=True)
class GeneratedCounts:
    """How many records a generation produced."""

    debtors: int
    invoices: int
    payments: int


@attrs.frozen(slots=True)
class Portfolio:
    """Generated rows, ready for the store (column tuples) or CSV files."""

    debtors: list[tuple[object, ...]]
    invoices: list[tuple[object, ...]]
    payments: list[tuple[object, ...]]
    allocations: list[tuple[object, ...]]


DEBTOR_COLUMNS = (
    "tenant",
    "id",
    "name",
    "tax_id",
    "emails",
    "phones",
    "address",
    "locale",
    "timezone",
    "country",
)
INVOICE_COLUMNS = (
    "tenant",
    "id",
    "debtor_id",
    "number",
    "issue_date",
    "due_date",
    "currency",
    "amount_minor",
    "source",
    "disputed",
)
PAYMENT_COLUMNS = ("tenant", "id", "debtor_id", "date", "currency", "amount_minor", "method")
ALLOCATION_COLUMNS = ("tenant", "payment_id", "invoice_id", "date", "amount_minor")


_STREETS = (
    "Calle Mayor",
    "Avenida de la Constitución",
    "Calle del Sol",
    "Paseo del Prado",
    "Main Street",
    "High Street",
    "Calle Real",
    "Avenida Juárez",
    "Carrera 7",
)
_CITIES = {
    "ES": (
        ("Madrid", "28013", "MD"),
        ("Valencia", "46002", "VC"),
        ("Sevilla", "41001", "AN"),
        ("Bilbao", "48001", "PV"),
    ),
    "US": (("New York", "10001", "NY"), ("Austin", "73301", "TX")),
    "GB": (("London", "EC1A 1BB", ""), ("Leeds", "LS1 1AA", "")),
    "MX": (("Ciudad de México", "06000", "CMX"), ("Guadalajara", "44100", "JAL")),
    "CO": (("Bogotá", "110111", "DC"), ("Medellín", "050001", "ANT")),
}


def _address_json(rng: random.Random, country: str) -> str:
    city, postal, region = rng.choice(_CITIES.get(country, (("Springfield", "00000", ""),)))
    street = f"{rng.choice(_STREETS)} {rng.randint(1, 180)}"
    return json.dumps(
        {"city": city, "country": country, "lines": [street], "postal_code": postal, "region": region},
        sort_keys=True,
    )


def _amount_minor(rng: random.Random, currency: str) -> int:
    low, high, _ = rng.choices(_TIERS, weights=[t[2] for t in _TIERS])[0]
    scale = 10 ** minor_units(currency)
    if currency in ("COP",):  # large nominal amounts
        low, high = low * 1000, high * 1000
    elif currency == "MXN":
        low, high = low * 10, high * 10
    return rng.randint(low * scale, high * scale)


def _iter_portfolio(
    *,
    debtors: int,
    seed: int,
    as_of: dt.date,
    currencies: Sequence[str],
    tenant: str,
    start: int = 1,
    unpaid: bool = False,
    counts: Sequence[int] = (40, 27, 16, 10, 7),
) -> Iterator[tuple[tuple[object, ...], list[tuple[object, ...]], list[tuple[object, ...]], list[tuple[object, ...]]]]:
    rng = random.Random(seed)
    width = max(6, len(str(start + debtors)))
    invoice_no = 0
    payment_no = 0
    for n in range(start, start + debtors):
        debtor_id = f"D{n:0{width}d}"
        currency = currencies[0] if len(currencies) == 1 else rng.choice(currencies)
        locale, country, timezone, phone = CURRENCY_PROFILES.get(currency, ("en", "", "UTC", "+1 555"))
        name = f"{rng.choice(_FIRST)} {rng.choice(_SECOND)} {rng.choice(_SUFFIX)}"
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        slug = "".join(ch for ch in ascii_name.lower() if ch.isalnum())[:20]
        debtor = (
            tenant,
            debtor_id,
            name,
            f"B{rng.randint(10_000_000, 99_999_999)}",
            f'["cuentas@{slug}.example"]',
            f'["{phone}{rng.randint(10_000_000, 99_999_999)}"]',
            _address_json(rng, country),
            locale,
            timezone,
            country,
        )
        profile = "never" if unpaid else rng.choices([p[0] for p in _PROFILES], weights=[p[1] for p in _PROFILES])[0]
        count = rng.choices(range(1, len(counts) + 1), weights=counts)[0]
        invoices: list[tuple[object, ...]] = []
        payments: list[tuple[object, ...]] = []
        allocations: list[tuple[object, ...]] = []
        for _ in range(count):
            invoice_no += 1
            invoice_id = f"F{seed % 1000:03d}-{invoice_no:07d}"
            issue = as_of - dt.timedelta(days=rng.randint(0, 240))
            due = issue + dt.timedelta(days=rng.choice(_TERMS))
            amount = _amount_minor(rng, currency)
            disputed = 1 if rng.random() < 0.02 else 0
            invoices.append(
                (
                    tenant,
                    invoice_id,
                    debtor_id,
                    invoice_id,
                    issue.isoformat(),
                    due.isoformat(),
                    currency,
                    amount,
                    "generated",
                    disputed,
                )
            )
            if profile == "never":
                continue
            if profile == "punctual":
                paid_on = due - dt.timedelta(days=rng.randint(0, 10))
                paid = amount
            elif profile == "late":
                paid_on = due + dt.timedelta(days=rng.randint(5, 120))
                paid = amount
            else:
                paid_on = due + dt.timedelta(days=rng.randint(0, 60))
                paid = amount * rng.randint(20, 80) // 100
            if paid_on > as_of or paid <= 0:
                continue  # not paid yet as of the portfolio date
            paid_on = max(paid_on, issue)
            payment_no += 1
            payment_id = f"P{seed % 1000:03d}-{payment_no:07d}"
            payments.append((tenant, payment_id, debtor_id, paid_on.isoformat(), currency, paid, "transfer"))
            allocations.append((tenant, payment_id, invoice_id, paid_on.isoformat(), paid))
        yield debtor, invoices, payments, allocations


def generate_portfolio(
    store: SQLiteStore,
    *,
    debtors: int,
    seed: int = 1,
    as_of: dt.date,
    currencies: Sequence[str] = ("EUR",),
    tenant: str = DEFAULT_TENANT,
    batch: int = 20_000,
    unpaid: bool = False,
    counts: Sequence[int] = (40, 27, 16, 10, 7),
) -> GeneratedCounts:
    """Write a synthetic portfolio of *debtors* debtors into *store*, in one transaction.

    Deterministic for a given ``(debtors, seed, as_of, currencies)``. Debtor ids continue
    after the tenant's existing ``D…`` ids, so generating twice adds a second portfolio
    rather than colliding. ``unpaid=True`` leaves every invoice open and ``counts`` gives
    the relative weights of 1, 2, 3… invoices per debtor (benchmarks use both).
    """
    for code in currencies:
        minor_units(code, record="generate", field="currencies")
    if debtors < 1:
        raise ValidationError("generate", "debtors", f"must be at least 1, got {debtors}")
    start = store.counts(tenant)["debtor"] + 1
    totals = [0, 0, 0]
    buffers: tuple[list[tuple[object, ...]], ...] = ([], [], [], [])
    with store.transaction():
        for debtor, invoices, payments, allocations in _iter_portfolio(
            debtors=debtors,
            seed=seed,
            as_of=as_of,
            currencies=tuple(currencies),
            tenant=tenant,
            start=start,
            unpaid=unpaid,
            counts=counts,
        ):
            buffers[0].append(debtor)
            buffers[1].extend(invoices)
            buffers[2].extend(payments)
            buffers[3].extend(allocations)
            if len(buffers[1]) >= batch:
                _flush(store, buffers, totals)
        _flush(store, buffers, totals)
    return GeneratedCounts(*totals)


def _flush(store: SQLiteStore, buffers: tuple[list[tuple[object, ...]], ...], totals: list[int]) -> None:
    store.insert_rows("debtor", DEBTOR_COLUMNS, buffers[0])
    store.insert_rows("invoice", INVOICE_COLUMNS, buffers[1])
    store.insert_rows("payment", PAYMENT_COLUMNS, buffers[2])
    store.insert_rows("allocation", ALLOCATION_COLUMNS, buffers[3])
    totals[0] += len(buffers[0])
    totals[1] += len(buffers[1])
    totals[2] += len(buffers[2])
    for buffer in buffers:
        buffer.clear()


def write_portfolio_csv(
    folder: Path, *, debtors: int, seed: int, as_of: dt.date, currencies: Sequence[str] = ("EUR",)
) -> tuple[Path, Path]:
    """Write a synthetic portfolio as ``invoices.csv`` and ``payments.csv`` in *folder*.

    The files follow the import format of :func:`cobrokit.importing.import_csv`.
    """
    folder.mkdir(parents=True, exist_ok=True)
    invoices_path, payments_path = folder / "invoices.csv", folder / "payments.csv"
    with (
        invoices_path.open("w", encoding="utf-8", newline="") as inv,
        payments_path.open("w", encoding="utf-8", newline="") as pay,
    ):
        iw, pw = csv.writer(inv), csv.writer(pay)
        iw.writerow(
            [
                "invoice_id",
                "debtor_id",
                "debtor_name",
                "email",
                "phone",
                "issue_date",
                "due_date",
                "amount",
                "currency",
                "locale",
                "country",
                "tax_id",
                "number",
                "address",
                "city",
                "postal_code",
                "region",
            ]
        )
        pw.writerow(["payment_id", "invoice_id", "date", "amount", "currency"])
        for debtor, invoices, _payments, allocations in _iter_portfolio(
            debtors=debtors, seed=seed, as_of=as_of, currencies=tuple(currencies), tenant=DEFAULT_TENANT
        ):
            email = str(debtor[4])[2:-2]
            phone = str(debtor[5])[2:-2]
            address = json.loads(str(debtor[6]))
            for row in invoices:
                amount = Money.from_minor(int(str(row[7])), str(row[6])).format_amount()
                iw.writerow(
                    [
                        row[1],
                        debtor[1],
                        debtor[2],
                        email,
                        phone,
                        row[4],
                        row[5],
                        amount,
                        row[6],
                        debtor[7],
                        debtor[9],
                        debtor[3],
                        row[3],
                        " | ".join(address["lines"]),
                        address["city"],
                        address["postal_code"],
                        address["region"],
                    ]
                )
            for row in allocations:
                currency = next(str(i[6]) for i in invoices if i[1] == row[2])
                amount = Money.from_minor(int(str(row[4])), currency).format_amount()
                pw.writerow([row[1], row[2], row[3], amount, currency])
    return invoices_path, payments_path
