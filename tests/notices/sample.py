"""Sample notices for the notice tests: one with every figure, one with the minimum."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from cobrokit.model import Address, Debtor
from cobrokit.money import Money
from cobrokit.notice import (
    Creditor,
    InterestLine,
    InterestSummary,
    Notice,
    NoticeLine,
    PlanOffer,
    PlanOfferInstalment,
)

AS_OF = dt.date(2025, 7, 31)
FIRM = dt.date(2025, 8, 14)


def make_creditor() -> Creditor:
    return Creditor(
        name="Suministros Ibéricos S.L.",
        tax_id="B12345678",
        address=Address(lines=("Calle de Alcalá 42",), city="Madrid", postal_code="28014", country="ES"),
        email="cobros@suministros.example",
        phone="+34 910 000 000",
        bank_account="ES91 2100 0418 4502 0005 1332",
        signatory="María Núñez, Responsable de Cobros",
        website="https://suministros.example",
    )


def make_notice(
    *,
    stage: str = "penalty_warning",
    locale: str = "es_ES",
    currency: str = "EUR",
    full: bool = True,
    as_of: dt.date = AS_OF,
) -> Notice:
    """A notice for Construcciones Peña with two overdue invoices.

    Figures (hand computed):
      F-2025-101: 12 345.67 invoiced, 12 345.67 open, due 2025-05-15 → 77 days overdue on 2025-07-31
      F-2025-117:  1 234.56 invoiced,    734.56 open, due 2025-06-16 → 45 days overdue
      principal = 12 345.67 + 734.56 = 13 080.23
      interest = 150.50 + 120.25 = 270.75 (two segments); compensation = 2 × 40.00 = 80.00
      fees = 15.00
      total_due = 13 080.23 + 15.00 + 270.75 + 80.00 = 13 445.98
    """
    debtor = Debtor(
        id="D-042",
        name="Construcciones Peña S.A.",
        tax_id="A87654321",
        emails=("pagos@pena.example", "admin@pena.example"),
        phones=("+34 600 111 222",),
        address=Address(
            lines=("Avenida de la Constitución 3", "2.º B"), city="Sevilla", postal_code="41001", country="ES"
        ),
        locale=locale,
    )
    lines = (
        NoticeLine(
            "INV-101",
            "F-2025-101",
            dt.date(2025, 4, 15),
            dt.date(2025, 5, 15),
            (as_of - dt.date(2025, 5, 15)).days,
            Money("12345.67", currency),
            Money("12345.67", currency),
        ),
        NoticeLine(
            "INV-117",
            "F-2025-117",
            dt.date(2025, 5, 17),
            dt.date(2025, 6, 16),
            (as_of - dt.date(2025, 6, 16)).days,
            Money("1234.56", currency),
            Money("734.56", currency),
        ),
    )
    interest = None
    plan = None
    if full:
        interest = InterestSummary(
            regime="es-commercial",
            interest=Money("270.75", currency),
            compensation=Money("80.00", currency),
            day_count="ACT/365",
            segments=(
                InterestLine(
                    dt.date(2025, 5, 16),
                    dt.date(2025, 6, 30),
                    46,
                    Decimal("10.15"),
                    Money("12345.67", currency),
                    Money("150.50", currency),
                ),
                InterestLine(
                    dt.date(2025, 7, 1),
                    dt.date(2025, 7, 31),
                    31,
                    Decimal("10.15"),
                    Money("13080.23", currency),
                    Money("120.25", currency),
                ),
            ),
            sources=("Ley 3/2004, art. 7", "Resolución de 27 de junio de 2025 (BOE)"),
        )
        plan = PlanOffer(
            instalments=(
                PlanOfferInstalment(dt.date(2025, 8, 31), Money("4360.08", currency), Money("4481.99", currency)),
                PlanOfferInstalment(dt.date(2025, 9, 30), Money("4360.08", currency), Money("4481.99", currency)),
                PlanOfferInstalment(dt.date(2025, 10, 31), Money("4360.07", currency), Money("4482.00", currency)),
            ),
            frequency="month",
        )
    return Notice(
        key=f"acme/D-042/{stage}/1/email",
        tenant="acme",
        debtor=debtor,
        creditor=make_creditor(),
        stage=stage,
        template=stage,
        tone="firm",
        as_of=as_of,
        currency=currency,
        lines=lines,
        principal=Money("13080.23", currency),
        fees=Money("15.00", currency) if full else Money("0", currency),
        interest=interest,
        firm_date=FIRM if full else None,
        plan_offer=plan,
        pay_link="https://pay.example/acme/D-042" if full else "",
        action="suspend_service" if full else "",
    )
