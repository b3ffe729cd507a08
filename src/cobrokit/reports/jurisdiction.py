"""Jurisdiction notes for a case file: which court route, what must come first, what limits apply.

:func:`jurisdiction_notes` gives, for the debtor's country (and region) and the amount
claimed, the notes a lawyer or an agency expects on the first page of a case file, each
with its legal source and a confidence marker — ``V`` seen in a primary or official text,
``S`` consistent secondary sources, ``U`` unverified — and **warnings** (a claim above
the small-claims limit, a missing pre-filing step, a debt close to limitation).

Known: Spain (MASC since LO 1/2025, juicio monitorio, juicio verbal up to EUR 15,000,
no lawyer up to EUR 2,000, limitation 5 years), England and Wales (small claims track up
to GBP 10,000, Pre-Action Protocol for Debt Claims, limitation 6 years), Scotland (simple
procedure up to GBP 5,000) and cross-border claims inside the EU (European Small Claims
Procedure up to EUR 5,000, European order for payment). Elsewhere the notes say that
nothing is known — never a guess. These are orientation notes for professionals, not
legal advice; the thresholds are data with their sources (``docs/reports.md``).

Pure: no I/O, no clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import attrs

from cobrokit.interest.limitation import (
    SPAIN_CIVIL,
    UK_SIMPLE_CONTRACT,
    Interruption,
    InterruptionKind,
    LimitationRule,
    limitation_date,
)
from cobrokit.money import Money

__all__ = ["EU_MEMBERS", "CourtNote", "DebtForLimitation", "JurisdictionNotes", "jurisdiction_notes"]

EU_MEMBERS = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "EL",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
    }
)
"""EU member states (ISO 3166 codes; Greece also as ``EL``)."""

ES_MASC_SINCE = dt.date(2025, 4, 3)
ES_NO_LAWYER_LIMIT = Money("2000", "EUR")
ES_VERBAL_LIMIT = Money("15000", "EUR")
EW_SMALL_CLAIMS_LIMIT = Money("10000", "GBP")
SCOTLAND_SIMPLE_PROCEDURE_LIMIT = Money("5000", "GBP")
EU_SMALL_CLAIMS_LIMIT = Money("5000", "EUR")
LIMITATION_WARNING_DAYS = 90


@attrs.frozen(slots=True)
class CourtNote:
    """One note: what applies, its source and how sure we are (``V``, ``S`` or ``U``)."""

    topic: str
    text: str
    source: str
    confidence: str = "S"

    def line(self) -> str:
        """``[S] text (source)``."""
        return f"[{self.confidence}] {self.text} ({self.source})"


@attrs.frozen(slots=True)
class DebtForLimitation:
    """An open invoice for the limitation check: when it fell due and when it was part-paid."""

    invoice_id: str
    due: dt.date
    part_payments: tuple[dt.date, ...] = ()


@attrs.frozen(slots=True)
class JurisdictionNotes:
    """The notes for one claim in one jurisdiction."""

    country: str
    jurisdiction: str
    """``"Spain"``, ``"England and Wales"``, ``"Scotland"`` or ``""`` when unknown."""
    claim: Money
    small_claims_limit: Money | None
    notes: tuple[CourtNote, ...]
    warnings: tuple[str, ...]

    def lines(self) -> list[str]:
        """Warnings first, then the notes, as text lines."""
        return [f"WARNING: {w}" for w in self.warnings] + [n.line() for n in self.notes]

    def to_json(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        return {
            "country": self.country,
            "jurisdiction": self.jurisdiction,
            "claim": self.claim.format_amount(),
            "currency": self.claim.currency,
            "small_claims_limit": None if self.small_claims_limit is None else str(self.small_claims_limit),
            "warnings": list(self.warnings),
            "notes": [attrs.asdict(n) for n in self.notes],
        }


def _limitation(
    rule: LimitationRule,
    debts: Sequence[DebtForLimitation],
    as_of: dt.date,
    notes: list[CourtNote],
    warnings: list[str],
) -> None:
    for debt in sorted(debts, key=lambda d: (d.due, d.invoice_id)):
        result = limitation_date(
            rule, debt.due, [Interruption(day, InterruptionKind.PART_PAYMENT) for day in debt.part_payments]
        )
        restarted = (
            f", restarted by a part payment on {result.restarted_by.on.isoformat()}"
            if result.restarted_by is not None
            else ""
        )
        notes.append(
            CourtNote(
                "limitation",
                f"invoice {debt.invoice_id}: in time until {result.limitation_date.isoformat()} "
                f"(due {debt.due.isoformat()}{restarted}; other interruptions not counted)",
                rule.source,
                "S",
            )
        )
        left = result.days_left(as_of)
        if left < 0:
            warnings.append(
                f"invoice {debt.invoice_id} may be time-barred since "
                f"{result.limitation_date.isoformat()} unless an interruption not on record "
                "applies"
            )
        elif left <= LIMITATION_WARNING_DAYS:
            warnings.append(
                f"invoice {debt.invoice_id} becomes time-barred on "
                f"{result.limitation_date.isoformat()} ({left} days left): act or interrupt now"
            )


def _currency_warning(claim: Money, currency: str, where: str, warnings: list[str]) -> bool:
    if claim.currency != currency:
        warnings.append(
            f"the thresholds of {where} are in {currency} and the claim is in {claim.currency}: "
            f"convert at the filing date before choosing the route"
        )
        return False
    return True


def _spain(claim: Money, as_of: dt.date, letters: Sequence[str], notes: list[CourtNote], warnings: list[str]) -> None:
    comparable = _currency_warning(claim, "EUR", "Spanish courts", warnings)
    if as_of >= ES_MASC_SINCE:
        notes.append(
            CourtNote(
                "pre-filing",
                "MASC: since 3 Apr 2025 a claim is admitted only with proof of a prior attempt at an "
                "out-of-court settlement (negotiation, mediation, conciliation, binding confidential "
                "offer); courts in Madrid (26 Sep 2025) and Bilbao require it for the juicio monitorio "
                "too. Proof: burofax, buromail or certified mail with acknowledgement of receipt; "
                "waiting periods of 1 or 3 months apply",
                "LO 1/2025, de 2 de enero (BOE 3 Jan 2025), arts. 5 and 10; LEC art. 399.3 as amended",
                "S",
            )
        )
        if letters:
            notes.append(
                CourtNote(
                    "pre-filing",
                    "letters on record that may support the MASC attempt if sent with proof of content and "
                    "receipt: " + "; ".join(letters),
                    "the journal of this case",
                    "V",
                )
            )
        else:
            warnings.append(
                "no out-of-court demand by letter is on record: a MASC attempt with proof "
                "(e.g. burofax) is needed before filing in Spain"
            )
    notes.append(
        CourtNote(
            "route",
            "juicio monitorio for a documented, liquid, due and payable money debt (invoices, delivery notes); "
            "the initial petition needs no lawyer or procurador at any amount; if the debtor opposes, the case "
            "continues as a juicio verbal or ordinario by amount. Whether any upper cap remains is unverified",
            "LEC arts. 812-818; arts. 23.2.1 and 31.2.1",
            "S",
        )
    )
    notes.append(
        CourtNote(
            "route",
            "juicio verbal for claims up to EUR 15,000 (since 20 Mar 2024; EUR 6,000 before); above it, "
            "juicio ordinario",
            "RD-ley 6/2023; LEC arts. 249.2 and 250.2",
            "S",
        )
    )
    notes.append(
        CourtNote(
            "representation",
            "no lawyer (abogado) or court agent (procurador) needed in a juicio verbal up to EUR 2,000",
            "LEC arts. 23.2.1 and 31.2.1 (Ley 42/2015)",
            "S",
        )
    )
    if comparable:
        if claim > ES_VERBAL_LIMIT:
            warnings.append(
                f"the claim ({claim}) is above the EUR 15,000 limit of the juicio verbal: "
                "an opposed monitorio continues as a juicio ordinario, with lawyer and "
                "procurador"
            )
        elif claim > ES_NO_LAWYER_LIMIT:
            warnings.append(
                f"the claim ({claim}) is above the EUR 2,000 small-claims limit: a lawyer and a "
                "procurador are needed in a juicio verbal and if the monitorio is opposed"
            )


def _england_wales(claim: Money, notes: list[CourtNote], warnings: list[str]) -> None:
    comparable = _currency_warning(claim, "GBP", "the courts of England and Wales", warnings)
    notes.append(
        CourtNote(
            "pre-filing",
            "if the debtor is an individual or a sole trader, the Pre-Action Protocol for Debt Claims "
            "applies: a letter of claim with the Information Sheet, Reply Form and Financial Statement, "
            "and 30 days to reply before issuing (it does not apply to a company debtor)",
            "Pre-Action Protocol for Debt Claims (in force 1 Oct 2017)",
            "S",
        )
    )
    notes.append(
        CourtNote(
            "route",
            "the small claims track is the normal track for claims up to GBP 10,000 (since 1 Apr 2013); costs "
            "recovery there is limited; larger claims go to the fast or multi-track",
            "Civil Procedure Rules r. 26.6(3)",
            "S",
        )
    )
    if comparable and claim > EW_SMALL_CLAIMS_LIMIT:
        warnings.append(
            f"the claim ({claim}) is above the GBP 10,000 small claims track limit: fast or "
            "multi-track, with costs risk"
        )


def _scotland(claim: Money, notes: list[CourtNote], warnings: list[str]) -> None:
    comparable = _currency_warning(claim, "GBP", "the Scottish courts", warnings)
    notes.append(
        CourtNote(
            "route",
            "simple procedure in the sheriff court for claims of GBP 5,000 or less; above it, ordinary cause",
            "Simple Procedure Rules (scotcourts.gov.uk, 'Simple Procedure')",
            "S",
        )
    )
    if comparable and claim > SCOTLAND_SIMPLE_PROCEDURE_LIMIT:
        warnings.append(f"the claim ({claim}) is above the GBP 5,000 simple procedure limit: ordinary cause")


def _eu_cross_border(claim: Money, notes: list[CourtNote], warnings: list[str]) -> None:
    notes.append(
        CourtNote(
            "cross-border",
            "creditor and debtor in different EU states (not Denmark): the European Small Claims Procedure "
            "takes claims up to EUR 5,000 in writing and without a lawyer; the European order for payment has "
            "no amount limit but becomes ordinary proceedings if opposed",
            "Regulation (EC) 861/2007 as amended by Regulation (EU) 2015/2421 (EUR 5,000 since 14 Jul 2017); "
            "Regulation (EC) 1896/2006",
            "S",
        )
    )
    if claim.currency == "EUR" and claim > EU_SMALL_CLAIMS_LIMIT:
        warnings.append(f"the claim ({claim}) is above the EUR 5,000 European Small Claims limit")


def jurisdiction_notes(
    country: str,
    claim: Money,
    as_of: dt.date,
    *,
    region: str = "",
    creditor_country: str = "",
    letters: Sequence[str] = (),
    debts: Sequence[DebtForLimitation] = (),
) -> JurisdictionNotes:
    """Notes and warnings for claiming *claim* from a debtor in *country* (ISO 3166 alpha-2).

    Args:
        region: the debtor's region, to tell Scotland (``"SCT"``, ``"Scotland"``) from
            England and Wales inside ``GB``.
        creditor_country: the creditor's country (EU cross-border procedures).
        letters: descriptions of the letters sent ("2025-06-02 ultimatum by letter,
            provider id …"): evidence for Spain's MASC step.
        debts: the open invoices, for the limitation dates.
    """
    code = country.strip().upper()
    reg = region.strip().upper()
    notes: list[CourtNote] = []
    warnings: list[str] = []
    jurisdiction = ""
    small: Money | None = None
    if code == "ES":
        jurisdiction = "Spain"
        small = ES_NO_LAWYER_LIMIT
        _spain(claim, as_of, letters, notes, warnings)
        _limitation(SPAIN_CIVIL, debts, as_of, notes, warnings)
    elif code in ("GB", "UK") and reg in ("SCT", "SCOTLAND", "GB-SCT"):
        jurisdiction = "Scotland"
        small = SCOTLAND_SIMPLE_PROCEDURE_LIMIT
        _scotland(claim, notes, warnings)
        notes.append(
            CourtNote(
                "limitation",
                "Scotland applies prescription (5 years for most contract debts); not computed here",
                "Prescription and Limitation (Scotland) Act 1973",
                "U",
            )
        )
    elif code in ("GB", "UK") and reg in ("NIR", "NORTHERN IRELAND", "GB-NIR"):
        jurisdiction = "Northern Ireland"
        notes.append(
            CourtNote(
                "route",
                "no notes for Northern Ireland: check the small claims limit before filing",
                "none",
                "U",
            )
        )
    elif code in ("GB", "UK"):
        jurisdiction = "England and Wales"
        small = EW_SMALL_CLAIMS_LIMIT
        _england_wales(claim, notes, warnings)
        _limitation(UK_SIMPLE_CONTRACT, debts, as_of, notes, warnings)
    else:
        notes.append(
            CourtNote(
                "route",
                f"no jurisdiction notes for country {code or '(unknown)'}: check the local court routes, any "
                "pre-filing step and the small-claims limit before filing",
                "none",
                "U",
            )
        )
    creditor = creditor_country.strip().upper()
    if code in EU_MEMBERS and creditor in EU_MEMBERS and creditor != code and "DK" not in (code, creditor):
        _eu_cross_border(claim, notes, warnings)
    return JurisdictionNotes(code, jurisdiction, claim, small, tuple(notes), tuple(warnings))
