"""The Holded backend: sales invoices (``/documents/invoice``) and their contacts.

Facts used (see README.md for what was verified — several are secondary):

* base ``https://api.holded.com/api/invoicing/v1``, header ``key: <API key>``;
* ``GET /documents/invoice?paid=0|2`` (0 not paid, 1 paid, 2 partially paid); documents carry
  ``id``, ``contact`` (contact id), ``contactName``, ``docNumber``, ``date`` and ``dueDate``
  (Unix timestamps, seconds), ``total``, ``paymentsPending`` (what is still owed — preferred
  over the stored status), ``paymentsTotal``, ``currency`` (lowercase code), ``status``;
* ``GET /contacts/{id}`` → ``{id, name, code (tax id), email, phone, mobile,
  billAddress {address, city, postalCode, province, country, countryCode}}``;
* paging with ``page`` (and ``limit``, default 50, at most 500) is **unverified**: a page
  identical to the previous one (an API that ignores ``page``) ends the listing.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from cobrokit.errors import ConfigError, PermanentError
from cobrokit.http import (
    SYSTEM_CLOCK,
    Clock,
    HttpClient,
    RetryPolicy,
    Timeout,
    header_auth,
    paginate_pages,
)
from cobrokit.model import Address, Debtor, Invoice
from cobrokit.money import Money
from cobrokit.receivables import Receivable, ReceivablesBackend
from cobrokit.settings import Settings

__all__ = ["API_BASE", "SETTINGS", "HoldedBackend", "debtor_from_contact", "receivable_from_holded"]

log = logging.getLogger(__name__)

API_BASE = "https://api.holded.com/api/invoicing/v1"
SETTINGS = (
    "api_key_env",
    "currency",
    "timezone",
    "page_size",
    "contact_details",
    "base_url",
    "connect_timeout",
    "read_timeout",
    "max_attempts",
    "max_retry_after",
)
"""Setting names the factory understands (see README.md)."""

PAID_FILTERS = ("0", "2")
"""``paid`` values listed: not paid, partially paid."""


def _number(value: object, record: str, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{record}: {field}: {value!r} is not a number")
    return Decimal(value)


def _day(value: object, zone: dt.tzinfo, record: str, field: str) -> dt.date:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{record}: {field}: {value!r} is not a Unix timestamp")
    return dt.datetime.fromtimestamp(value, dt.UTC).astimezone(zone).date()


def debtor_from_contact(contact: Mapping[str, Any], tenant: str) -> Debtor:
    """A Holded contact → :class:`Debtor`."""
    address = contact.get("billAddress") or {}
    country = str(address.get("countryCode") or "").upper()
    phones = ",".join(str(p) for p in (contact.get("phone"), contact.get("mobile")) if p)
    return Debtor(
        id=str(contact["id"]),
        name=str(contact.get("name") or contact["id"]),
        tenant=tenant,
        tax_id=str(contact.get("code") or ""),
        emails=str(contact.get("email") or ""),
        phones=phones,
        address=Address(
            lines=str(address.get("address") or ""),
            city=str(address.get("city") or ""),
            postal_code=str(address.get("postalCode") or ""),
            country=country,
        ),
        locale="es_ES" if country in ("", "ES") else "en",
        timezone="Europe/Madrid" if country in ("", "ES") else "UTC",
        country=country,
    )


def receivable_from_holded(
    record: Mapping[str, Any],
    tenant: str,
    *,
    currency: str = "EUR",
    zone: dt.tzinfo = dt.UTC,
    contacts: Mapping[str, Mapping[str, Any]] | None = None,
) -> Receivable | None:
    """One Holded invoice document → :class:`Receivable` (``total`` amount, ``paymentsPending`` open).

    Timestamps become dates in *zone* (Holded stamps local midnights: in UTC they would fall
    on the previous day).
    """
    invoice_id = str(record["id"])
    label = f"invoice {invoice_id}"
    code = str(record.get("currency") or currency).upper()
    total = Money(_number(record["total"], label, "total"), code).rounded()
    if total.amount <= 0:
        return None
    pending = Money(_number(record["paymentsPending"], label, "paymentsPending"), code).rounded()
    contact_id = str(record["contact"])
    contact = (contacts or {}).get(contact_id)
    debtor = (
        debtor_from_contact(contact, tenant)
        if contact is not None
        else Debtor(id=contact_id, name=str(record.get("contactName") or contact_id), tenant=tenant)
    )
    issued = _day(record["date"], zone, label, "date")
    due = _day(record.get("dueDate") or record["date"], zone, label, "dueDate")
    invoice = Invoice(
        id=invoice_id,
        debtor_id=contact_id,
        issue_date=issued,
        due_date=max(due, issued),
        tenant=tenant,
        amount=total,
        number=str(record.get("docNumber") or ""),
        source="holded",
    )
    return Receivable(debtor=debtor, invoice=invoice, open=min(max(pending, Money.zero(code)), total))


class HoldedBackend(ReceivablesBackend):
    """Holded as a cobrokit backend (read-only). Build it with :meth:`from_settings`.

    ``since`` is ignored: every read lists the unpaid and partly paid invoices, and invoices
    no longer listed are closed by :func:`cobrokit.sync.sync`.
    """

    name = "holded"

    def __init__(
        self,
        http: HttpClient,
        *,
        currency: str = "EUR",
        timezone: str = "Europe/Madrid",
        page_size: int = 50,
        contact_details: bool = True,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        super().__init__(clock=clock)
        self.http = http
        self.currency = currency
        self.page_size = page_size
        self.contact_details = contact_details
        try:
            self.zone: dt.tzinfo = zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"holded: setting 'timezone' {timezone!r} is not a time zone") from None

    @classmethod
    def from_settings(
        cls,
        settings: Mapping[str, Any],
        *,
        clock: Clock = SYSTEM_CLOCK,
        environ: Mapping[str, str] | None = None,
    ) -> HoldedBackend:
        """Build from settings (see README.md); the key comes from ``api_key_env``."""
        s = Settings(settings, "holded", known=SETTINGS, environ=environ)
        http = HttpClient(
            "holded",
            s.text("base_url", API_BASE),
            auth=header_auth("key", s.secret("api_key")),
            timeout=Timeout.from_settings(settings, "holded"),
            retry=RetryPolicy.from_settings(settings, "holded"),
            clock=clock,
        )
        return cls(
            http,
            currency=s.text("currency", "EUR").upper(),
            timezone=s.text("timezone", "Europe/Madrid"),
            page_size=s.integer("page_size", 50, maximum=500),
            contact_details=s.flag("contact_details", True),
            clock=clock,
        )

    def _documents(self, paid: str) -> Iterator[Any]:
        seen_first: set[str] = set()

        def records(payload: Any) -> list[Any]:
            if not isinstance(payload, list):
                raise PermanentError("holded", "the document listing is not a JSON list")
            first = str(payload[0].get("id")) if payload and isinstance(payload[0], Mapping) else ""
            if first and first in seen_first:
                log.warning("holded: page repeats an earlier one (page parameter ignored?); listing ends")
                return []
            seen_first.add(first)
            return payload

        return paginate_pages(
            lambda paging: self.http.get_json("documents/invoice", params={"paid": paid, **paging}),
            records,
            page_param="page",
            size_param="limit",
            page_size=self.page_size,
            provider="holded",
        )

    def _contacts(self, documents: list[Any]) -> dict[str, Mapping[str, Any]]:
        found: dict[str, Mapping[str, Any]] = {}
        if not self.contact_details:
            return found
        for document in documents:
            contact_id = document.get("contact") if isinstance(document, Mapping) else None
            if not isinstance(contact_id, str) or not contact_id or contact_id in found:
                continue
            contact = self.http.get_json(f"contacts/{contact_id}")
            if isinstance(contact, Mapping) and contact.get("id"):
                found[contact_id] = contact
        return found

    def receivables(self, *, tenant: str, since: dt.datetime | None) -> Iterator[Receivable]:
        """Unpaid and partly paid invoices, with their contacts' details."""
        documents = [d for paid in PAID_FILTERS for d in self._documents(paid)]
        contacts = self._contacts(documents)
        yield from self.convert(
            documents,
            lambda r: receivable_from_holded(r, tenant, currency=self.currency, zone=self.zone, contacts=contacts),
            kind="invoice",
            id_of=lambda r: r["id"],
        )
