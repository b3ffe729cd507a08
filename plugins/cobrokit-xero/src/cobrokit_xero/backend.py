"""The Xero backend: ``GET /api.xro/2.0/Invoices`` (sales invoices still to be paid).

Facts used (see README.md for what was verified):

* ``GET /Invoices?Statuses=AUTHORISED&where=Type=="ACCREC"&page=N&pageSize=M`` with headers
  ``Authorization: Bearer <token>`` and ``xero-tenant-id``; up to 100 invoices per page;
  envelope ``{Id, Status, DateTimeUTC, pagination: {page, pageSize, pageCount, itemCount},
  Invoices: [...]}``; ``If-Modified-Since`` returns only invoices created or changed since;
* invoice fields: ``InvoiceID`` (uuid), ``InvoiceNumber``, ``Type``, ``Status``, ``Contact``
  (``ContactID``, ``Name``, ``EmailAddress``), ``CurrencyCode``, ``Date`` and ``DueDate`` as
  MS-JSON dates ``/Date(1546128000000+0000)/`` (``DateString``/``DueDateString`` as ISO),
  ``Total``, ``AmountDue``, ``AmountPaid``, ``AmountCredited`` (JSON numbers),
  ``UpdatedDateUTC``, ``Payments[]`` (``PaymentID``, ``Date``, ``Amount``);
* 60 calls per minute per tenant, 429 with ``Retry-After``; ``Idempotency-Key`` on writes;
* ``PUT /Invoices/{InvoiceID}/History`` and ``PUT /Contacts/{ContactID}/History`` with
  ``{"HistoryRecords": [{"Details": "…"}]}`` (``Details`` at most 450 characters);
* ``GET /Invoices/{InvoiceID}`` with ``Accept: application/pdf`` answers the invoice as a PDF
  (``getInvoiceAsPdf`` in Xero's OpenAPI spec and generated SDKs; scope
  ``accounting.transactions.read``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from cobrokit.backend import Capability
from cobrokit.errors import MalformedDateError
from cobrokit.http import (
    SYSTEM_CLOCK,
    Clock,
    HttpClient,
    RateLimiter,
    RetryPolicy,
    Timeout,
    bearer_token,
    paginate_pages,
)
from cobrokit.invoice_copies import MAX_COPY_BYTES, PDF, checked_pdf
from cobrokit.model import Allocation, Debtor, Invoice, Payment, PaymentMethod
from cobrokit.money import Money
from cobrokit.receivables import Receivable, ReceivablesBackend
from cobrokit.settings import Settings

__all__ = ["API_BASE", "SETTINGS", "XeroBackend", "parse_ms_date", "receivable_from_xero"]

API_BASE = "https://api.xero.com/api.xro/2.0"
SETTINGS = (
    "access_token_env",
    "tenant_id",
    "page_size",
    "calls_per_minute",
    "base_url",
    "connect_timeout",
    "read_timeout",
    "max_attempts",
    "max_retry_after",
)
"""Setting names the factory understands (see README.md)."""

MAX_DETAILS = 450
"""Xero's limit on a history record's ``Details``."""

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def parse_ms_date(value: object, *, record: str = "xero", field: str = "date") -> dt.date:
    """A Xero date → :class:`datetime.date`.

    Accepts the MS-JSON form ``/Date(1546128000000+0000)/`` (milliseconds since the epoch,
    with an optional offset of the wall time) and ISO strings (``2018-12-30T00:00:00``).

    Raises:
        MalformedDateError: anything else.
    """
    if isinstance(value, str):
        match = _MS_DATE.match(value.strip())
        if match:
            millis = int(match.group(1))
            offset = match.group(2) or "+0000"
            minutes = int(offset[1:3]) * 60 + int(offset[3:5])
            shift = dt.timedelta(minutes=minutes if offset[0] == "+" else -minutes)
            return (dt.datetime.fromtimestamp(millis / 1000, dt.UTC) + shift).date()
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise MalformedDateError(record, field, f"{value!r} is not a Xero date")


def _decimal(value: object, record: str, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{record}: {field}: {value!r} is not a number")
    return Decimal(value)


def _payments(record: Mapping[str, Any], invoice: Invoice) -> tuple[Payment, ...]:
    out = []
    for item in record.get("Payments") or ():
        amount = Money(_decimal(item["Amount"], invoice.record, "Payments.Amount"), invoice.currency).rounded()
        if amount.amount <= 0:
            continue
        out.append(
            Payment(
                id=str(item["PaymentID"]),
                debtor_id=invoice.debtor_id,
                tenant=invoice.tenant,
                amount=amount,
                date=parse_ms_date(item["Date"], record=invoice.record, field="Payments.Date"),
                method=PaymentMethod.TRANSFER,
                allocations=(Allocation(invoice.id, amount),),
                external_ref=str(item.get("Reference") or ""),
            )
        )
    return tuple(out)


def receivable_from_xero(record: Mapping[str, Any], tenant: str) -> Receivable | None:
    """One Xero invoice → :class:`Receivable`; ``None`` for anything but a sales invoice (ACCREC).

    The amount is ``Total`` and the open balance ``AmountDue`` (both rounded explicitly to the
    currency's minor unit); the reported ``Payments`` are kept with their dates; credits make
    up the rest of the settled part. ``UpdatedDateUTC`` dates that settlement.
    """
    if record.get("Type") != "ACCREC":
        return None
    invoice_id = str(record["InvoiceID"])
    label = f"invoice {invoice_id}"
    currency = str(record["CurrencyCode"])
    contact = record["Contact"]
    contact_id = str(contact["ContactID"])
    status = record.get("Status")
    total = Money(_decimal(record["Total"], label, "Total"), currency).rounded()
    if total.amount <= 0:
        return None
    due = _decimal(record["AmountDue"], label, "AmountDue")
    open_ = Money(due, currency).rounded() if status == "AUTHORISED" else Money.zero(currency)
    issued = parse_ms_date(record["Date"], record=label, field="Date")
    invoice = Invoice(
        id=invoice_id,
        debtor_id=contact_id,
        issue_date=issued,
        tenant=tenant,
        amount=total,
        source="xero",
        due_date=parse_ms_date(record.get("DueDate") or record["DueDateString"], record=label, field="DueDate"),
        number=str(record.get("InvoiceNumber") or ""),
        external_ref=str(record.get("Reference") or ""),
    )
    debtor = Debtor(
        id=contact_id,
        name=str(contact.get("Name") or contact_id),
        tenant=tenant,
        emails=str(contact.get("EmailAddress") or ""),
    )
    updated = record.get("UpdatedDateUTC")
    changed = parse_ms_date(updated, record=label, field="UpdatedDateUTC") if updated else None
    return Receivable(
        debtor=debtor, invoice=invoice, open=open_, changed_on=changed, payments=_payments(record, invoice)
    )


class XeroBackend(ReceivablesBackend):
    """Xero as a cobrokit backend. Build it with :meth:`from_settings`.

    A complete read lists the AUTHORISED sales invoices (the open ones); with ``since`` it
    sends ``If-Modified-Since`` and also asks for PAID and VOIDED ones, so invoices settled
    since then are seen settled. Writes back: notes in the invoice or contact history.
    """

    name = "xero"
    capabilities = frozenset({Capability.ADD_NOTE})

    def __init__(self, http: HttpClient, *, page_size: int = 100, clock: Clock = SYSTEM_CLOCK) -> None:
        super().__init__(clock=clock)
        self.http = http
        self.page_size = page_size

    @classmethod
    def from_settings(
        cls,
        settings: Mapping[str, Any],
        *,
        clock: Clock = SYSTEM_CLOCK,
        environ: Mapping[str, str] | None = None,
        token: str | Callable[[], str] | None = None,
    ) -> XeroBackend:
        """Build from settings (see README.md).

        Args:
            token: an access token or a callable returning the current one (OAuth2 tokens
                expire after 30 minutes); default: read ``access_token_env`` once.

        Raises:
            ConfigError: a missing or invalid setting, or an unset variable.
        """
        s = Settings(settings, "xero", known=SETTINGS, environ=environ)
        source = token if token is not None else s.secret("access_token")
        http = HttpClient(
            "xero",
            s.text("base_url", API_BASE),
            auth=bearer_token(source),
            headers={"xero-tenant-id": s.text("tenant_id")},
            timeout=Timeout.from_settings(settings, "xero"),
            retry=RetryPolicy.from_settings(settings, "xero"),
            rate_limiter=RateLimiter(s.integer("calls_per_minute", 60, maximum=60), 60.0, clock=clock),
            idempotency_header="Idempotency-Key",
            clock=clock,
        )
        return cls(http, page_size=s.integer("page_size", 100, maximum=100), clock=clock)

    def receivables(self, *, tenant: str, since: dt.datetime | None) -> Iterator[Receivable]:
        """AUTHORISED sales invoices; with *since*, every sales invoice changed since then."""
        params = {"where": 'Type=="ACCREC"', "Statuses": "AUTHORISED", "order": "UpdatedDateUTC ASC"}
        headers: dict[str, str] = {}
        if since is not None:
            params["Statuses"] = "AUTHORISED,PAID,VOIDED"
            headers["If-Modified-Since"] = since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
        pages = paginate_pages(
            lambda paging: self.http.get_json("Invoices", params={**params, **paging}, headers=headers),
            lambda payload: payload["Invoices"],
            page_param="page",
            size_param="pageSize",
            page_size=self.page_size,
            page_count=_page_count,
            provider="xero",
        )
        yield from self.convert(
            pages, lambda r: receivable_from_xero(r, tenant), kind="invoice", id_of=lambda r: r["InvoiceID"]
        )

    def add_note(self, *, tenant: str, debtor_id: str, text: str, key: str, invoice_id: str = "") -> str:
        """Add a history record to the invoice (or, without one, to the contact)."""
        path = f"Invoices/{invoice_id}/History" if invoice_id else f"Contacts/{debtor_id}/History"
        details = text if len(text) <= MAX_DETAILS else text[: MAX_DETAILS - 1] + "…"
        self.http.request_json(
            "PUT", path, json_body={"HistoryRecords": [{"Details": details}]}, idempotency_key=key[:128]
        )
        return f"xero: note added to {'invoice ' + invoice_id if invoice_id else 'contact ' + debtor_id}"

    def invoice_pdf(self, invoice_id: str, *, max_bytes: int = MAX_COPY_BYTES) -> bytes:
        """The invoice *invoice_id* as Xero renders it: ``GET /Invoices/{InvoiceID}`` with
        ``Accept: application/pdf`` (rate-limited and retried like every call of this backend).

        Raises:
            CopyRefused: the file is over *max_bytes* or not a PDF.
            AdapterError: the request failed (after the client's retries).
        """
        response = self.http.request("GET", f"Invoices/{quote(invoice_id, safe='')}", headers={"Accept": PDF})
        return checked_pdf(response.content, provider="xero", invoice_id=invoice_id, max_bytes=max_bytes)


def _page_count(payload: Any) -> int | None:
    pagination = payload.get("pagination") if isinstance(payload, Mapping) else None
    count = pagination.get("pageCount") if isinstance(pagination, Mapping) else None
    return count if isinstance(count, int) and not isinstance(count, bool) else None
