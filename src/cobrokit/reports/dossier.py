"""The case file (*expediente*) for a collection agency, a lawyer or a factoring company.

Seed advice: before going further, gather every email, message and contract about the
debt into one folder. :func:`build_dossier` does that from the store, into a folder or a
``.zip``:

============================  ==============================================================
file                          what it holds
============================  ==============================================================
``index.pdf`` / ``index.txt``  the first pages: who, how much, status, jurisdiction notes
                              and warnings, the open invoices, the interest, the timeline,
                              the list of files
``case.json``                 everything below, machine-readable
``timeline.csv``              every event in date order: each journal line (decisions,
                              notices planned and delivered, failures, disputes, holds,
                              promises…), contact-log notes, ledger movements, plan events
``invoices.csv``              every invoice with its open amount, days overdue, dispute flag
``notices.csv``               every notice of the outbox: stage, channel, status, attempts,
                              provider id (the delivery receipt), file names
``notices/``                  the content of each notice that went out, re-rendered from
                              the decision recorded in the outbox (``dispatch.build_notice``
                              + the templates): ``.txt``, ``.html`` for emails, ``.pdf`` for
                              letters
``statement.pdf`` / ``.html``  the statement of account (:mod:`cobrokit.reports.statement`)
``interest.txt``              the interest computation, line by line, per invoice
``MANIFEST.sha256``           the SHA-256 of every other file (``sha256sum -c``)
============================  ==============================================================

Notices are **re-rendered** from the recorded facts (invoices and amounts in the outbox
payload, the date of the decision, fees and interest as of that date) with the current
templates; where the journal kept the subject that was sent, ``notices.csv`` shows both
and flags a difference. Nothing is fetched from outside the store.

The ``.zip`` is deterministic for the same store and date (sorted entries, fixed
timestamps), so handing the same case twice gives the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from cobrokit import __version__
from cobrokit.errors import CobrokitError, UnknownReferenceError, ValidationError
from cobrokit.formatting import Formatter, babel_locale, normalize_locale
from cobrokit.interest import explain
from cobrokit.letters import LetterDocument, LetterTable
from cobrokit.model import DEFAULT_TENANT, Debtor
from cobrokit.money import Money
from cobrokit.reports.jurisdiction import DebtForLimitation, JurisdictionNotes, jurisdiction_notes
from cobrokit.reports.pdf import render_pdf
from cobrokit.reports.statement import (
    CurrencyStatement,
    InvoiceInterest,
    Statement,
    country_name,
    debtor_statement,
    open_by_invoice,
    statement_html,
    statement_pdf,
)
from cobrokit.store import journal as jr
from cobrokit.store.sqlite import SQLiteStore

if TYPE_CHECKING:
    from cobrokit.ladder.config import Config
    from cobrokit.plugins.manager import PluginHost

__all__ = [
    "CONTENT_STATUSES",
    "Dossier",
    "DossierFile",
    "NoticeRecord",
    "TimelineEntry",
    "build_dossier",
    "dossier_locale",
]

CONTENT_STATUSES = frozenset({"sent", "delivered", "sending", "unknown"})
"""Outbox statuses whose notice (may have) reached the debtor: their content is included."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_SOURCE_ORDER = {"ledger": 0, "plan": 1, "promise": 2, "contact": 3, "journal": 4}


@attrs.frozen(slots=True)
class TimelineEntry:
    """One event of the case, from the journal, the contact log, the ledger or the plans."""

    at: str
    """The business date (ISO)."""
    source: str
    """``journal``, ``contact``, ``ledger``, ``plan`` or ``promise``."""
    kind: str
    detail: str
    recorded_at: str = ""
    stage: str = ""
    channel: str = ""
    key: str = ""
    journal_seq: int | None = None
    files: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        data = attrs.asdict(self)
        data["files"] = list(self.files)
        return data


@attrs.frozen(slots=True)
class NoticeRecord:
    """One outbox row with its delivery receipt and the files of its content."""

    key: str
    as_of: str
    stage: str
    cycle: str
    channel: str
    kind: str
    status: str
    attempts: int
    provider_id: str
    detail: str
    updated_at: str
    subject_sent: str = ""
    """The subject the journal recorded at delivery (emails, letters), when known."""
    subject_rendered: str = ""
    files: tuple[str, ...] = ()
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        """JSON-ready mapping."""
        data = attrs.asdict(self)
        data["files"] = list(self.files)
        return data


@attrs.frozen(slots=True)
class DossierFile:
    """A file of the case file and its SHA-256."""

    path: str
    description: str
    sha256: str
    size: int


@attrs.frozen(slots=True)
class Dossier:
    """What :func:`build_dossier` wrote."""

    tenant: str
    debtor_id: str
    as_of: dt.date
    path: Path
    claims: tuple[Money, ...]
    """The total due per currency (statement: ledger balance + interest + compensation)."""
    timeline: tuple[TimelineEntry, ...]
    notices: tuple[NoticeRecord, ...]
    jurisdiction: tuple[JurisdictionNotes, ...]
    files: tuple[DossierFile, ...]


def _safe(text: str) -> str:
    return _UNSAFE.sub("_", text).strip("._")[:60] or "x"


def _detail_json(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text or "{}")
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


# -- gathering -------------------------------------------------------------------------------------


def _ledger_entries(store: SQLiteStore, tenant: str, debtor_id: str, as_of: dt.date) -> list[TimelineEntry]:
    out = []
    for inv in store.iter_invoices(tenant, debtor_id):
        if inv.issue_date <= as_of:
            out.append(
                TimelineEntry(
                    inv.issue_date.isoformat(),
                    "ledger",
                    "invoice_issued",
                    f"invoice {inv.number or inv.id} of {inv.amount}, due {inv.due_date.isoformat()}"
                    + (" (disputed)" if inv.disputed else ""),
                )
            )
    for pay in store.iter_payments(tenant, debtor_id):
        if pay.date <= as_of:
            applied = ", ".join(f"{a.invoice_id} {a.amount}" for a in pay.allocations) or "on account"
            out.append(
                TimelineEntry(
                    pay.date.isoformat(),
                    "ledger",
                    "payment_received",
                    f"payment {pay.id} of {pay.amount} ({pay.method.value}): {applied}",
                )
            )
    for note in store.iter_credit_notes(tenant, debtor_id):
        if note.date <= as_of:
            out.append(
                TimelineEntry(
                    note.date.isoformat(),
                    "ledger",
                    "credit_note",
                    f"credit note {note.id} of {note.amount}"
                    + (f" on invoice {note.invoice_id}" if note.invoice_id else "")
                    + (f": {note.reason}" if note.reason else ""),
                )
            )
    return out


def _plan_entries(
    store: SQLiteStore, tenant: str, debtor_id: str, as_of: dt.date, grace_days: int
) -> tuple[list[TimelineEntry], list[dict[str, Any]], list[dict[str, Any]]]:
    from cobrokit.promises import promise_as_json
    from cobrokit.store.plans import PlanRepository, plan_status, promise_statuses

    repo = PlanRepository(store)
    entries: list[TimelineEntry] = []
    plans: list[dict[str, Any]] = []
    for plan in repo.iter_plans(tenant, debtor_id=debtor_id):
        if plan.created_on > as_of:
            continue
        for event in plan.events:
            if event.on <= as_of:
                entries.append(
                    TimelineEntry(
                        event.on.isoformat(),
                        "plan",
                        f"plan_{event.kind}",
                        f"plan {plan.id} v{plan.version}: {event.from_state or '-'} → {event.to_state}"
                        + (f" ({event.note})" if event.note else ""),
                    )
                )
        status = plan_status(store, plan, as_of)
        plans.append(
            {
                "plan_id": plan.id,
                "version": plan.version,
                "state": plan.state.value,
                "evaluated_state": status.state.value,
                "created_on": plan.created_on.isoformat(),
                "currency": plan.currency,
                "balance": plan.balance.format_amount(),
                "total": plan.total.format_amount(),
                "invoices": list(plan.invoice_ids),
                "previous_version": plan.previous_version,
                "paid": status.paid.format_amount(),
                "remaining": status.remaining.format_amount(),
                "breached_on": status.breached_on.isoformat() if status.breached_on else None,
                "instalments": [
                    {
                        "number": s.number,
                        "due_date": s.due_date.isoformat(),
                        "amount": s.instalment.amount.format_amount(),
                        "paid": s.paid.format_amount(),
                        "state": s.state.value,
                    }
                    for s in status.instalments
                ],
                "events": [
                    {
                        "on": e.on.isoformat(),
                        "kind": e.kind,
                        "from": e.from_state.value if e.from_state else None,
                        "to": e.to_state.value,
                        "note": e.note,
                    }
                    for e in plan.events
                ],
            }
        )
    promises: list[dict[str, Any]] = []
    evaluated = promise_statuses(store, tenant=tenant, as_of=as_of, debtor_id=debtor_id, grace_days=grace_days)
    for outcome in evaluated:
        promise = outcome.promise
        if promise.created_on > as_of:
            continue
        promises.append(promise_as_json(promise, outcome))
        entries.append(
            TimelineEntry(
                promise.created_on.isoformat(),
                "promise",
                "promise_made",
                f"promise {promise.id} to pay {promise.amount} by {promise.promised_date.isoformat()}"
                + (f" via {promise.channel}" if promise.channel else "")
                + (f" ({promise.note})" if promise.note else ""),
                channel=promise.channel,
            )
        )
        if outcome.kept_on is not None:
            entries.append(
                TimelineEntry(
                    outcome.kept_on.isoformat(),
                    "promise",
                    "promise_kept",
                    f"promise {promise.id} kept ({outcome.paid} paid)",
                )
            )
        elif outcome.broken_on is not None:
            entries.append(
                TimelineEntry(
                    outcome.broken_on.isoformat(),
                    "promise",
                    "promise_broken",
                    f"promise {promise.id} broken ({outcome.paid} paid of {promise.amount})",
                )
            )
    return entries, plans, promises


def _journal_and_contacts(
    store: SQLiteStore,
    tenant: str,
    debtor_id: str,
    as_of: dt.date,
    notice_files: Mapping[str, tuple[str, ...]],
) -> list[TimelineEntry]:
    contacts = {row[0]: row for row in jr.contact_rows(store, tenant, debtor_id)}
    referenced: set[int] = set()
    out: list[TimelineEntry] = []
    for row in jr.iter_journal(store, tenant, debtor_id=debtor_id):
        if row.as_of > as_of.isoformat():
            continue
        detail = _detail_json(row.detail)
        text = row.reason
        seq = detail.get("contact_seq")
        if isinstance(seq, int) and seq in contacts:
            referenced.add(seq)
            contact = contacts[seq]
            if contact[6]:
                text = f"{text}; note: {contact[6]}"
        if detail.get("provider_id"):
            text = f"{text}; provider id {detail['provider_id']}".lstrip("; ")
        if detail.get("subject"):
            text = f"{text}; subject: {detail['subject']}".lstrip("; ")
        out.append(
            TimelineEntry(
                row.as_of,
                "journal",
                row.kind,
                text,
                recorded_at=row.recorded_at,
                stage=row.stage,
                channel=row.channel,
                key=row.key,
                journal_seq=row.seq,
                files=notice_files.get(row.key, ()) if row.kind == "delivered" else (),
            )
        )
    for seq, day, channel, outcome, reason, invoice_id, note, recorded_at in contacts.values():
        if seq in referenced or day > as_of.isoformat():
            continue
        text = (
            f"{channel}: {outcome}"
            + (f" ({reason})" if reason else "")
            + (f", invoice {invoice_id}" if invoice_id else "")
            + (f"; note: {note}" if note else "")
        )
        out.append(TimelineEntry(day, "contact", "contact", text, recorded_at=recorded_at, channel=channel))
    return out


# -- notices ---------------------------------------------------------------------------------------


def _delivered_subjects(store: SQLiteStore, tenant: str, debtor_id: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for row in jr.iter_journal(store, tenant, debtor_id=debtor_id):
        if row.kind == "delivered":
            subject = _detail_json(row.detail).get("subject")
            if isinstance(subject, str):
                out[row.key] = subject
    return out


def _render_notices(
    store: SQLiteStore,
    tenant: str,
    debtor_id: str,
    as_of: dt.date,
    config: Config,
    host: PluginHost | None,
    folder: Path,
) -> list[NoticeRecord]:
    from cobrokit.dispatch import build_notice
    from cobrokit.rendering import NoticeRenderer

    renderer: NoticeRenderer | None = None
    subjects = _delivered_subjects(store, tenant, debtor_id)
    records: list[NoticeRecord] = []
    rows = [r for r in jr.iter_outbox(store, tenant, debtor_id=debtor_id) if r.as_of <= as_of.isoformat()]
    for index, row in enumerate(rows, start=1):
        files: list[str] = []
        note = ""
        rendered_subject = ""
        if row.kind == "notice" and row.status in CONTENT_STATUSES:
            base = f"notices/{index:03d}_{row.as_of}_{_safe(row.stage)}_{_safe(row.channel)}"
            try:
                if renderer is None:
                    renderer = NoticeRenderer(override_dirs=config.template_dirs)
                notice = build_notice(store, row, config, host)
                message = renderer.render(notice, row.channel)
                rendered_subject = message.subject
                (folder / "notices").mkdir(exist_ok=True)
                (folder / f"{base}.txt").write_text(message.text, encoding="utf-8")
                files.append(f"{base}.txt")
                if message.html:
                    (folder / f"{base}.html").write_text(message.html, encoding="utf-8")
                    files.append(f"{base}.html")
                letter = message.metadata.get("letter")
                if isinstance(letter, Mapping):
                    from cobrokit.letters import letter_from_dict

                    created = dt.datetime.combine(dt.date.fromisoformat(row.as_of), dt.time(12), tzinfo=dt.UTC)
                    (folder / f"{base}.pdf").write_bytes(render_pdf(letter_from_dict(letter), created=created))
                    files.append(f"{base}.pdf")
                note = "re-rendered from the recorded decision with the current templates"
            except CobrokitError as exc:
                note = f"content could not be re-rendered: {exc}"
        elif row.kind == "notice":
            note = f"not sent ({row.status}): no content"
        sent_subject = subjects.get(row.key, "")
        if sent_subject and rendered_subject and sent_subject != rendered_subject:
            note += "; the subject differs from the one recorded at delivery"
        records.append(
            NoticeRecord(
                key=row.key,
                as_of=row.as_of,
                stage=row.stage,
                cycle=row.cycle,
                channel=row.channel,
                kind=row.kind,
                status=row.status,
                attempts=row.attempts,
                provider_id=row.provider_id,
                detail=row.detail,
                updated_at=row.updated_at,
                subject_sent=sent_subject,
                subject_rendered=rendered_subject,
                files=tuple(files),
                note=note,
            )
        )
    return records


# -- the index -------------------------------------------------------------------------------------


_INDEX_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Case file",
        "as_of": "Case file as of {date}",
        "claim": "Claim in {currency}: {total} = ledger balance {balance} (open principal {principal}, fees "
        "{fees}, unapplied {unapplied}) + interest {interest} + fixed compensation {compensation}",
        "under": " under {regime}",
        "pending": "Interest still to be computed (no published rate yet) on: {invoices}.",
        "ladder": "Ladder ({currency}): stage {stage}, cycle {cycle}",
        "flags": "Debtor flags: {flags}.",
        "insolvent": "insolvent",
        "cease_contact": "cease-contact",
        "on_hold": "on hold",
        "disputed": "Disputed invoices: {invoices}.",
        "plan": "Payment plan {plan} v{version}: {state}, {paid} paid, {remaining} remaining.",
        "promise": "Promise {promise}: {amount} {currency} by {date}, {state}.",
        "none": "none",
        "notices": "{notices} notice(s) and effects on record, {sent} notice(s) sent; {events} events in the timeline.",
        "jurisdiction": "Jurisdiction notes — {title}, claim {claim}:",
        "unknown_jurisdiction": "unknown jurisdiction",
        "warning": "WARNING",
        "open_invoices": "Open invoices",
        "invoice": "Invoice",
        "due": "Due",
        "days_overdue": "Days overdue",
        "open": "Open",
        "interest": "Late-payment interest",
        "days_late": "Days late",
        "interest_col": "Interest",
        "compensation": "Compensation",
        "regime": "Regime",
        "not_yet": "pending: {periods}",
        "not_computed": "not computed (interest.txt)",
        "sources": "Sources",
        "timeline": "Timeline ({events} events; in full in timeline.csv and case.json):",
        "contents": "Contents of this case file:",
        "disclaimer": "These notes orient the reader; they are not legal advice. Check the current rules before "
        "filing.",
        "prepared": "Prepared with cobrokit {version}",
        "notice_content": "notice content",
        "index.pdf": "this index",
        "index.txt": "this index as plain text",
        "case.json": "the whole case, machine-readable",
        "timeline.csv": "every event in date order",
        "notices.csv": "every notice with its delivery receipt",
        "invoices.csv": "every invoice with its open amount",
        "statement.pdf": "statement of account",
        "statement.html": "statement of account (HTML)",
        "interest.txt": "interest computation, line by line",
        "MANIFEST.sha256": "SHA-256 of every other file",
    },
    "es": {
        "title": "Expediente",
        "as_of": "Expediente a {date}",
        "claim": "Reclamación en {currency}: {total} = saldo contable {balance} (principal pendiente {principal}, "
        "gastos {fees}, no aplicado {unapplied}) + intereses {interest} + indemnización fija {compensation}",
        "under": " según {regime}",
        "pending": "Intereses pendientes de cálculo (tipo aún no publicado) de: {invoices}.",
        "ladder": "Escalado ({currency}): etapa {stage}, ciclo {cycle}",
        "flags": "Marcas del deudor: {flags}.",
        "insolvent": "insolvente",
        "cease_contact": "no contactar",
        "on_hold": "en pausa",
        "disputed": "Facturas en disputa: {invoices}.",
        "plan": "Plan de pagos {plan} v{version}: {state}, pagado {paid}, pendiente {remaining}.",
        "promise": "Promesa de pago {promise}: {amount} {currency} antes del {date}, {state}.",
        "none": "ninguna",
        "notices": "{notices} notificación(es) y efectos registrados, {sent} notificación(es) enviada(s); "
        "{events} eventos en la cronología.",
        "jurisdiction": "Notas de jurisdicción — {title}, reclamación {claim}:",
        "unknown_jurisdiction": "jurisdicción desconocida",
        "warning": "AVISO",
        "open_invoices": "Facturas pendientes",
        "invoice": "Factura",
        "due": "Vencimiento",
        "days_overdue": "Días de retraso",
        "open": "Pendiente",
        "interest": "Intereses de demora",
        "days_late": "Días de retraso",
        "interest_col": "Intereses",
        "compensation": "Indemnización",
        "regime": "Régimen",
        "not_yet": "pendiente: {periods}",
        "not_computed": "no calculados (interest.txt)",
        "sources": "Fuentes",
        "timeline": "Cronología ({events} eventos; completa en timeline.csv y case.json):",
        "contents": "Contenido de este expediente:",
        "disclaimer": "Estas notas orientan al lector; no son asesoramiento jurídico. Compruebe las normas "
        "vigentes antes de presentar la demanda.",
        "prepared": "Preparado con cobrokit {version}",
        "notice_content": "contenido de la notificación",
        "index.pdf": "este índice",
        "index.txt": "este índice en texto plano",
        "case.json": "todo el expediente, legible por máquina",
        "timeline.csv": "todos los eventos por fecha",
        "notices.csv": "todas las notificaciones con su acuse de entrega",
        "invoices.csv": "todas las facturas con su importe pendiente",
        "statement.pdf": "extracto de cuenta",
        "statement.html": "extracto de cuenta (HTML)",
        "interest.txt": "cálculo de los intereses, línea a línea",
        "MANIFEST.sha256": "SHA-256 de todos los demás archivos",
    },
}

_STATES_ES = {
    # plans (cobrokit.plans.PlanState)
    "proposed": "propuesto",
    "accepted": "aceptado",
    "active": "en curso",
    "completed": "cumplido",
    "breached": "incumplido",
    "cancelled": "cancelado",
    "renegotiated": "renegociado",
    # promises (cobrokit.promises.PromiseState)
    "pending": "pendiente",
    "kept": "cumplida",
    "broken": "incumplida",
}


def _state(value: str, labels: Mapping[str, str]) -> str:
    return _STATES_ES.get(value, value) if labels is _INDEX_LABELS["es"] else value


_JURISDICTIONS_ES = {
    "Spain": "España",
    "England and Wales": "Inglaterra y Gales",
    "Scotland": "Escocia",
    "Northern Ireland": "Irlanda del Norte",
}


def _index_lang(locale: str) -> str:
    return "es" if normalize_locale(locale).startswith("es") else "en"


def _creditor_country(config: Config) -> str:
    """The creditor's country code: ``address.country``, else a last address line naming a
    country in Spanish or English (``España``, ``Spain``); ``""`` when unknown."""
    address = config.creditor.address
    code = address.country.strip().upper()
    if len(code) == 2 and code.isalpha():
        return code
    named = (address.country or (address.lines[-1] if address.lines else "")).strip().casefold()
    if not named:
        return ""
    for language in _INDEX_LABELS:
        for territory, name in babel_locale(language).territories.items():
            if len(territory) == 2 and territory.isalpha() and name.casefold() == named:
                return str(territory)
    return ""


def dossier_locale(config: Config, debtor: Debtor, locale: str | None = None) -> str:
    """The locale of the case file's index: it is read by the creditor's lawyer or agency.

    *locale* when given; else the language of the creditor's country
    (``[creditor] address.country`` in ``cobrokit.toml``, or a last address line that names a
    country, ``España`` or ``Spain``: ``ES`` gives ``es_ES``, ``GB`` ``en_GB``; a country
    whose language the index has no words for gives ``en``); else the debtor's locale. The
    index has Spanish and English labels; amounts and dates follow the locale.

    Raises:
        ValidationError: *locale* is not a locale Babel knows.
    """
    if locale:
        return normalize_locale(locale)
    country = _creditor_country(config)
    if country:
        from babel.languages import get_official_languages

        for language in get_official_languages(country, de_facto=True):
            if language in _INDEX_LABELS:
                try:
                    return normalize_locale(f"{language}_{country}")
                except ValidationError:
                    return language
        return "en"
    return normalize_locale(debtor.locale or "en")


_FILE_DESCRIPTIONS = {
    "index.pdf": "this index",
    "index.txt": "this index as plain text",
    "case.json": "the whole case, machine-readable",
    "timeline.csv": "every event in date order",
    "notices.csv": "every notice with its delivery receipt",
    "invoices.csv": "every invoice with its open amount",
    "statement.pdf": "statement of account",
    "statement.html": "statement of account (HTML)",
    "interest.txt": "interest computation, line by line",
    "MANIFEST.sha256": "SHA-256 of every other file",
}


def _creditor_block(config: Config, locale: str) -> list[str]:
    c = config.creditor
    a = c.address
    lines = [
        c.name,
        *([c.tax_id] if c.tax_id else []),
        *a.lines,
        " ".join(p for p in (a.postal_code, a.city) if p),
        country_name(a.country, locale),
        c.phone,
        c.email,
    ]
    return [line for line in lines if line]


def _debtor_block(debtor: Debtor, locale: str) -> list[str]:
    a = debtor.address
    lines = [
        debtor.name,
        f"id {debtor.id}" + (f" · {debtor.tax_id}" if debtor.tax_id else ""),
        *a.lines,
        " ".join(p for p in (a.postal_code, a.city) if p),
        country_name(a.country or debtor.country, locale),
        ", ".join(debtor.emails),
        ", ".join(debtor.phones),
    ]
    return [line for line in lines if line]


def _timeline_line(entry: TimelineEntry) -> str:
    where = " / ".join(p for p in (entry.stage.split("#")[0], entry.channel) if p)
    head = f"{entry.at} · {entry.kind.replace('_', ' ')}" + (f" · {where}" if where else "")
    detail = entry.detail if len(entry.detail) <= 200 else entry.detail[:199] + "…"
    return f"{head} — {detail}" if detail else head


def _interest_row(
    item: InvoiceInterest, c: CurrencyStatement, fmt: Formatter, labels: Mapping[str, str]
) -> tuple[str, ...]:
    if item.result is None:
        comp = fmt.money(c.money(item.compensation_minor))
        if item.missing_periods:
            what = labels["not_yet"].format(periods=", ".join(item.missing_periods))
        elif item.pending and item.missing_from is not None:
            what = labels["not_yet"].format(periods=fmt.date(item.missing_from, "medium"))
        else:
            what = labels["not_computed"]
        return (item.number, "-", what, comp, "-")
    r = item.result
    return (
        item.number,
        str(r.days_late),
        fmt.money(c.money(item.interest_minor)),
        fmt.money(r.compensation),
        r.regime,
    )


def _index_document(
    debtor: Debtor,
    statement: Statement,
    config: Config,
    as_of: dt.date,
    timeline: Sequence[TimelineEntry],
    notices: Sequence[NoticeRecord],
    notes: Sequence[JurisdictionNotes],
    files: Sequence[str],
    status_lines: Sequence[str],
    locale: str = "en",
) -> LetterDocument:
    labels = _INDEX_LABELS[_index_lang(locale)]
    fmt = Formatter(locale)
    body: list[str] = []
    for c in statement.currencies:
        m = c.money
        body.append(
            labels["claim"].format(
                currency=c.currency,
                total=fmt.money(m(c.total_due_minor)),
                balance=fmt.money(m(c.ledger_balance_minor)),
                principal=fmt.money(m(c.open_principal_minor)),
                fees=fmt.money(m(c.fees_minor)),
                unapplied=fmt.money(m(c.unapplied_minor)),
                interest=fmt.money(m(c.interest_minor)),
                compensation=fmt.money(m(c.compensation_minor)),
            )
            + (labels["under"].format(regime=statement.regime) if statement.regime else "")
            + "."
        )
        pending = [i.number for i in c.interest if i.pending]
        if pending:
            body.append(labels["pending"].format(invoices=", ".join(pending)))
    body += list(status_lines)
    sent = sum(1 for n in notices if n.kind == "notice" and n.status in ("sent", "delivered"))
    body.append(labels["notices"].format(notices=len(notices), sent=sent, events=len(timeline)))
    for n in notes:
        title = n.jurisdiction or (country_name(n.country, locale) if n.country else "")
        if labels is _INDEX_LABELS["es"]:
            title = _JURISDICTIONS_ES.get(n.jurisdiction, title)
        body.append(
            labels["jurisdiction"].format(title=title or labels["unknown_jurisdiction"], claim=fmt.money(n.claim))
        )
        body += [f"• {labels['warning']}: {w}" for w in n.warnings]
        body += [f"• {note.line()}" for note in n.notes]
    invoice_rows: list[tuple[str, ...]] = []
    for c in statement.currencies:
        for _, number, due, minor, days in c.open_invoices:
            invoice_rows.append((number, fmt.date(due, "medium"), str(max(days, 0)), fmt.money(c.money(minor))))
    debt = (
        LetterTable(
            labels["open_invoices"],
            (labels["invoice"], labels["due"], labels["days_overdue"], labels["open"]),
            invoice_rows,
            numeric=(False, False, True, True),
        )
        if invoice_rows
        else None
    )
    interest_rows = [_interest_row(item, c, fmt, labels) for c in statement.currencies for item in c.interest]
    interest = (
        LetterTable(
            labels["interest"],
            (labels["invoice"], labels["days_late"], labels["interest_col"], labels["compensation"], labels["regime"]),
            interest_rows,
            numeric=(False, True, True, True, False),
        )
        if interest_rows
        else None
    )
    sources: list[str] = []
    for n in notes:
        for note in n.notes:
            if note.source not in ("none", "the journal of this case") and note.source not in sources:
                sources.append(note.source)
    closing = [labels["timeline"].format(events=len(timeline))]
    closing += [_timeline_line(e) for e in timeline]
    closing.append(labels["contents"])
    closing += [f"{name} — {labels.get(name, labels['notice_content'])}" for name in files]
    closing.append(labels["disclaimer"])
    return LetterDocument(
        sender=_creditor_block(config, locale),
        recipient=_debtor_block(debtor, locale),
        place_date=labels["as_of"].format(date=fmt.date(as_of, "long")),
        reference=f"Ref.: {statement.tenant}/{debtor.id}",
        subject=f"{labels['title']} — {debtor.name}",
        body=body,
        debt=debt,
        interest=interest,
        sources_title=labels["sources"],
        sources=sources,
        closing=closing,
        signature=(labels["prepared"].format(version=__version__),),
        title=f"{labels['title']} {debtor.id} {as_of.isoformat()}",
    )


# -- writing ---------------------------------------------------------------------------------------


def _csv(rows: Iterable[Sequence[Any]], header: Sequence[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _status_lines(
    store: SQLiteStore,
    tenant: str,
    debtor: Debtor,
    plans: Sequence[Mapping[str, Any]],
    promises: Sequence[Mapping[str, Any]],
    locale: str = "en",
) -> list[str]:
    labels = _INDEX_LABELS[_index_lang(locale)]
    lines = []
    for currency, stage, cycle, status in store.conn.execute(
        "SELECT currency, stage, cycle, status FROM ladder_state WHERE tenant = ? AND debtor_id = ? ORDER BY currency",
        (tenant, debtor.id),
    ):
        lines.append(
            labels["ladder"].format(currency=currency, stage=stage.split("#")[0] or labels["none"], cycle=cycle)
            + (f", {status}" if status else "")
            + "."
        )
    flags = [
        labels[name]
        for name, on in (
            ("insolvent", debtor.insolvent),
            ("cease_contact", debtor.cease_contact),
            ("on_hold", debtor.hold),
        )
        if on
    ]
    if flags:
        lines.append(labels["flags"].format(flags=", ".join(flags)))
    disputed = [
        row[0]
        for row in store.conn.execute(
            "SELECT id FROM invoice WHERE tenant = ? AND debtor_id = ? AND disputed = 1 ORDER BY id",
            (tenant, debtor.id),
        )
    ]
    if disputed:
        lines.append(labels["disputed"].format(invoices=", ".join(disputed)))
    for plan in plans:
        lines.append(
            labels["plan"].format(
                plan=plan["plan_id"],
                version=plan["version"],
                state=_state(str(plan["evaluated_state"]), labels),
                paid=plan["paid"],
                remaining=plan["remaining"],
            )
        )
    for promise in promises:
        lines.append(
            labels["promise"].format(
                promise=promise["promise_id"],
                amount=promise["amount"],
                currency=promise["currency"],
                date=promise["promised_date"],
                state=_state(str(promise["state"]), labels),
            )
        )
    return lines


def build_dossier(
    store: SQLiteStore,
    debtor_id: str,
    out: Path,
    *,
    as_of: dt.date,
    tenant: str = DEFAULT_TENANT,
    config: Config | None = None,
    host: PluginHost | None = None,
    now: dt.datetime | None = None,
    replace: bool = False,
    locale: str | None = None,
) -> Dossier:
    """Write the case file of *debtor_id* as of *as_of* into *out* (a folder, or a ``.zip``).

    Args:
        config: creditor, interest regime and templates (default: the default configuration).
        host: for plugin interest regimes (optional).
        now: the generation time written in ``case.json`` (default: the clock).
        replace: replace an existing ``.zip``, or a folder holding a previous case file
            (one with a ``MANIFEST.sha256``).
        locale: the language of the index (``index.pdf``, ``index.txt``) and of the status
            lines; default: the creditor's, else the debtor's (:func:`dossier_locale`). The
            statement inside stays in the debtor's language: it is the debtor's document.

    Raises:
        UnknownReferenceError: no such debtor.
        ValidationError: *out* exists and *replace* is false (or is a folder that is not a
            case file).
    """
    from cobrokit.ladder.config import default_config

    cfg = config or default_config()
    debtor = store.get_debtor(tenant, debtor_id)
    if debtor is None:
        raise UnknownReferenceError(
            f"debtor {debtor_id}", "debtor_id", f"no debtor {debtor_id!r} for tenant {tenant!r}"
        )
    index_locale = dossier_locale(cfg, debtor, locale)
    as_zip = out.suffix.lower() == ".zip"
    if out.exists():
        if not replace:
            raise ValidationError("dossier", "out", f"{out} already exists (use replace / --force)")
        if not as_zip and not (out / "MANIFEST.sha256").is_file():
            raise ValidationError("dossier", "out", f"{out} exists and is not a case file: not replaced")
    generated = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat(timespec="seconds")
    regimes = host.regimes() if host is not None else None
    statement = debtor_statement(
        store,
        debtor_id,
        as_of,
        tenant=tenant,
        creditor=cfg.creditor,
        regime=cfg.regime_for(debtor.country or debtor.address.country),
        regimes=regimes,
        extra_rates=cfg.rates_for(cfg.regime_for(debtor.country or debtor.address.country)),
    )
    with tempfile.TemporaryDirectory(prefix="cobrokit-dossier-") as tmp:
        work = Path(tmp) / "case"
        work.mkdir()
        notices = _render_notices(store, tenant, debtor_id, as_of, cfg, host, work)
        notice_files = {n.key: n.files for n in notices}
        plan_entries, plans, promises = _plan_entries(store, tenant, debtor_id, as_of, cfg.run.promise_grace_days)
        timeline = sorted(
            _ledger_entries(store, tenant, debtor_id, as_of)
            + plan_entries
            + _journal_and_contacts(store, tenant, debtor_id, as_of, notice_files),
            key=lambda e: (
                e.at,
                _SOURCE_ORDER[e.source],
                e.recorded_at,
                e.journal_seq or 0,
                e.kind,
                e.detail,
            ),
        )
        letters = [
            f"{n.as_of} {n.stage.split('#')[0]} by letter ({n.provider_id or n.key})"
            for n in notices
            if n.channel == "letter" and n.status in ("sent", "delivered")
        ]
        jurisdiction = _jurisdiction(store, tenant, debtor, statement, cfg, as_of, letters)
        status_lines = _status_lines(store, tenant, debtor, plans, promises, index_locale)

        (work / "statement.html").write_text(statement_html(statement), encoding="utf-8")
        (work / "statement.pdf").write_bytes(statement_pdf(statement))
        (work / "interest.txt").write_text(_interest_text(statement, index_locale), encoding="utf-8")
        (work / "timeline.csv").write_text(
            _csv(
                (
                    (
                        e.at,
                        e.recorded_at,
                        e.source,
                        e.kind,
                        e.stage,
                        e.channel,
                        e.key,
                        "" if e.journal_seq is None else e.journal_seq,
                        e.detail,
                        " ".join(e.files),
                    )
                    for e in timeline
                ),
                (
                    "date",
                    "recorded_at",
                    "source",
                    "kind",
                    "stage",
                    "channel",
                    "key",
                    "journal_seq",
                    "detail",
                    "files",
                ),
            ),
            encoding="utf-8",
        )
        (work / "invoices.csv").write_text(_invoices_csv(store, tenant, debtor_id, as_of), encoding="utf-8")
        (work / "notices.csv").write_text(
            _csv(
                (
                    (
                        n.as_of,
                        n.stage,
                        n.cycle,
                        n.channel,
                        n.kind,
                        n.status,
                        n.attempts,
                        n.provider_id,
                        n.updated_at,
                        n.subject_sent,
                        n.subject_rendered,
                        " ".join(n.files),
                        n.note,
                        n.key,
                    )
                    for n in notices
                ),
                (
                    "date",
                    "stage",
                    "cycle",
                    "channel",
                    "kind",
                    "status",
                    "attempts",
                    "provider_id",
                    "updated_at",
                    "subject_sent",
                    "subject_rendered",
                    "files",
                    "note",
                    "key",
                ),
            ),
            encoding="utf-8",
        )
        notice_paths = [f for n in notices for f in n.files]
        names = [
            "index.pdf",
            "index.txt",
            "case.json",
            "timeline.csv",
            "notices.csv",
            "invoices.csv",
            "statement.pdf",
            "statement.html",
            "interest.txt",
            *notice_paths,
            "MANIFEST.sha256",
        ]
        case = {
            "format": "cobrokit-dossier/1",
            "generated_at": generated,
            "generator": f"cobrokit {__version__}",
            "tenant": tenant,
            "as_of": as_of.isoformat(),
            "locale": index_locale,
            "debtor": _debtor_json(debtor),
            "creditor": {
                "name": cfg.creditor.name,
                "tax_id": cfg.creditor.tax_id,
                "email": cfg.creditor.email,
            },
            "claims": {c.currency: c.money(c.total_due_minor).format_amount() for c in statement.currencies},
            "statement": statement.to_json(),
            "status": status_lines,
            "jurisdiction": [n.to_json() for n in jurisdiction],
            "plans": plans,
            "promises": promises,
            "disputes": [e.to_json() for e in timeline if e.kind in ("dispute_opened", "dispute_closed")],
            "notices": [n.to_json() for n in notices],
            "timeline": [e.to_json() for e in timeline],
            "files": names,
        }
        (work / "case.json").write_text(json.dumps(case, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        document = _index_document(
            debtor, statement, cfg, as_of, timeline, notices, jurisdiction, names, status_lines, index_locale
        )
        (work / "index.txt").write_text(document.to_text(), encoding="utf-8")
        created = dt.datetime.combine(as_of, dt.time(12), tzinfo=dt.UTC)
        (work / "index.pdf").write_bytes(render_pdf(document, created=created))
        listed = [n for n in names if n != "MANIFEST.sha256"]
        (work / "MANIFEST.sha256").write_text("".join(f"{_sha256(work / n)}  {n}\n" for n in listed), encoding="utf-8")
        files = tuple(
            DossierFile(n, _FILE_DESCRIPTIONS.get(n, "notice content"), _sha256(work / n), (work / n).stat().st_size)
            for n in names
        )
        _publish(work, out, as_zip, as_of)
    claims = tuple(c.money(c.total_due_minor) for c in statement.currencies)
    return Dossier(tenant, debtor_id, as_of, out, claims, tuple(timeline), tuple(notices), tuple(jurisdiction), files)


def _invoices_csv(store: SQLiteStore, tenant: str, debtor_id: str, as_of: dt.date) -> str:
    open_minor = open_by_invoice(store, tenant, debtor_id, as_of)
    rows = []
    for inv in store.iter_invoices(tenant, debtor_id):
        if inv.issue_date > as_of:
            continue
        rows.append(
            (
                inv.id,
                inv.number,
                inv.issue_date.isoformat(),
                inv.due_date.isoformat(),
                inv.currency,
                inv.amount.format_amount(),
                Money.from_minor(open_minor.get(inv.id, 0), inv.currency).format_amount(),
                max((as_of - inv.due_date).days, 0),
                "yes" if inv.disputed else "",
                "yes" if inv.hold else "",
                inv.external_ref,
                inv.source,
            )
        )
    return _csv(
        rows,
        (
            "invoice_id",
            "number",
            "issue_date",
            "due_date",
            "currency",
            "amount",
            "open",
            "days_overdue",
            "disputed",
            "on_hold",
            "external_ref",
            "source",
        ),
    )


def _debtor_json(debtor: Debtor) -> dict[str, Any]:
    return {
        "id": debtor.id,
        "name": debtor.name,
        "tax_id": debtor.tax_id,
        "emails": list(debtor.emails),
        "phones": list(debtor.phones),
        "address": attrs.asdict(debtor.address),
        "country": debtor.country,
        "locale": debtor.locale,
        "timezone": debtor.timezone,
        "tags": sorted(debtor.tags),
        "cease_contact": debtor.cease_contact,
        "insolvent": debtor.insolvent,
        "hold": debtor.hold,
    }


def _jurisdiction(
    store: SQLiteStore,
    tenant: str,
    debtor: Debtor,
    statement: Statement,
    config: Config,
    as_of: dt.date,
    letters: Sequence[str],
) -> list[JurisdictionNotes]:
    out = []
    for c in statement.currencies:
        claim = c.money(c.total_due_minor)
        if claim.amount <= 0:
            continue
        debts = []
        for invoice_id, _, due, _, _ in c.open_invoices:
            rows = store.conn.execute(
                "SELECT DISTINCT date FROM allocation WHERE tenant = ? AND invoice_id = ? "
                "AND date > ? AND date <= ? "
                "ORDER BY date",
                (tenant, invoice_id, due.isoformat(), as_of.isoformat()),
            )
            debts.append(DebtForLimitation(invoice_id, due, tuple(dt.date.fromisoformat(r[0]) for r in rows)))
        out.append(
            jurisdiction_notes(
                debtor.country or debtor.address.country,
                claim,
                as_of,
                region=debtor.address.region,
                creditor_country=config.creditor.address.country,
                letters=letters,
                debts=debts,
            )
        )
    return out


_INTEREST_TEXT = {
    "en": {
        "head": "Late-payment interest as of {date}",
        "under": " under {regime}",
        "no_regime": " (no interest regime configured)",
        "invoice": "Invoice {number} ({currency})",
        "not_computed": "not computed",
        "compensation": "fixed compensation",
        "source": "source",
    },
    "es": {
        "head": "Intereses de demora a {date}",
        "under": " según {regime}",
        "no_regime": " (sin régimen de intereses configurado)",
        "invoice": "Factura {number} ({currency})",
        "not_computed": "no calculados",
        "compensation": "indemnización fija",
        "source": "fuente",
    },
}


def _interest_text(statement: Statement, locale: str = "en") -> str:
    """The interest computation for the case file, in the index's language; the technical
    reason of an interest not computed is kept as the program gave it (for the professional)."""
    language = _index_lang(locale)
    words = _INTEREST_TEXT[language]
    lines = [
        words["head"].format(date=statement.as_of.isoformat())
        + (words["under"].format(regime=statement.regime) if statement.regime else words["no_regime"]),
        "",
    ]
    for c in statement.currencies:
        for item in c.interest:
            lines.append(words["invoice"].format(number=item.number, currency=c.currency))
            if item.result is None:
                lines.append(f"  {words['not_computed']}: {item.error}")
                if item.compensation_minor:
                    lines.append(f"  {words['compensation']}: {c.money(item.compensation_minor)}")
            else:
                lines += [f"  {line}" for line in explain(item.result, lang=language)]
                lines += [f"  {words['source']}: {source}" for source in item.result.sources]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _publish(work: Path, out: Path, as_zip: bool, as_of: dt.date) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if as_zip:
        stamp = (as_of.year, as_of.month, as_of.day, 12, 0, 0)
        fd, temp_name = tempfile.mkstemp(dir=out.parent, suffix=".zip.tmp")
        os.close(fd)
        try:
            with zipfile.ZipFile(temp_name, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for path in sorted(p for p in work.rglob("*") if p.is_file()):
                    info = zipfile.ZipInfo(path.relative_to(work).as_posix(), date_time=stamp)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = 0o644 << 16
                    archive.writestr(info, path.read_bytes())
            os.replace(temp_name, out)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        return
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(work, out)
