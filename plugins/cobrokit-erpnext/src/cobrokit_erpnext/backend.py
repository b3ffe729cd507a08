"""The ERPNext backend: ``GET /api/resource/Sales Invoice`` through Frappe's REST API.

Facts used (see README.md for what was verified):

* ``Authorization: token <api_key>:<api_secret>``;
* ``GET /api/resource/Sales%20Invoice?fields=[...]&filters=[[field, op, value], ...]
  &limit_start=n&limit_page_length=m&order_by=...`` → ``{"data": [...]}``; without ``fields``
  only ``name`` comes back; the default page length is 20;
* fields: ``name``, ``customer``, ``customer_name``, ``posting_date``, ``due_date``
  (``YYYY-MM-DD``), ``grand_total``, ``outstanding_amount`` (JSON numbers), ``currency``,
  ``docstatus`` (1 submitted, 2 cancelled), ``is_return``, ``modified`` (server local time),
  ``contact_email``.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from cobrokit.errors import ConfigError
from cobrokit.http import (
    SYSTEM_CLOCK,
    Clock,
    HttpClient,
    RetryPolicy,
    Timeout,
    header_auth,
    paginate_offset,
)
from cobrokit.model import Debtor, Invoice
from cobrokit.money import Money
from cobrokit.receivables import Receivable, ReceivablesBackend
from cobrokit.settings import Settings

__all__ = ["FIELDS", "SETTINGS", "ErpNextBackend", "receivable_from_sales_invoice"]

SETTINGS = (
    "url",
    "api_key_env",
    "api_secret_env",
    "page_size",
    "server_timezone",
    "company",
    "connect_timeout",
    "read_timeout",
    "max_attempts",
    "max_retry_after",
)
"""Setting names the factory understands (see README.md)."""

FIELDS = [
    "name",
    "customer",
    "customer_name",
    "posting_date",
    "due_date",
    "grand_total",
    "outstanding_amount",
    "currency",
    "docstatus",
    "status",
    "is_return",
    "modified",
    "contact_email",
    "company",
]


def _number(value: object, record: str, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{record}: {field}: {value!r} is not a number")
    return Decimal(value)


def receivable_from_sales_invoice(record: Mapping[str, Any], tenant: str) -> Receivable | None:
    """One ``Sales Invoice`` → :class:`Receivable`; ``None`` for a return (credit note).

    Amount ``grand_total``, open ``outstanding_amount`` (zero once cancelled:
    ``docstatus = 2``), both rounded explicitly to the currency's minor unit.
    """
    if record.get("is_return"):
        return None
    name = str(record["name"])
    label = f"invoice {name}"
    currency = str(record["currency"])
    total = Money(_number(record["grand_total"], label, "grand_total"), currency).rounded()
    if total.amount <= 0:
        return None
    outstanding = Money(_number(record["outstanding_amount"], label, "outstanding_amount"), currency).rounded()
    open_ = Money.zero(currency) if record.get("docstatus") == 2 else outstanding
    customer = str(record["customer"])
    debtor = Debtor(
        id=customer,
        name=str(record.get("customer_name") or customer),
        tenant=tenant,
        emails=str(record.get("contact_email") or ""),
    )
    issued = dt.date.fromisoformat(str(record["posting_date"]))
    invoice = Invoice(
        id=name,
        debtor_id=customer,
        issue_date=issued,
        tenant=tenant,
        amount=total,
        due_date=dt.date.fromisoformat(str(record.get("due_date") or record["posting_date"])),
        number=name,
        source="erpnext",
    )
    modified = record.get("modified")
    changed = dt.date.fromisoformat(modified[:10]) if isinstance(modified, str) else None
    return Receivable(debtor=debtor, invoice=invoice, open=max(open_, Money.zero(currency)), changed_on=changed)


class ErpNextBackend(ReceivablesBackend):
    """ERPNext as a cobrokit backend (read-only). Build it with :meth:`from_settings`."""

    name = "erpnext"

    def __init__(
        self,
        http: HttpClient,
        *,
        page_size: int = 100,
        server_timezone: str = "UTC",
        company: str = "",
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        super().__init__(clock=clock)
        self.http = http
        self.page_size = page_size
        self.company = company
        try:
            self.zone = zoneinfo.ZoneInfo(server_timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"erpnext: setting 'server_timezone' {server_timezone!r} is not a time zone") from None

    @classmethod
    def from_settings(
        cls,
        settings: Mapping[str, Any],
        *,
        clock: Clock = SYSTEM_CLOCK,
        environ: Mapping[str, str] | None = None,
    ) -> ErpNextBackend:
        """Build from settings (see README.md); key and secret via ``api_key_env``/``api_secret_env``."""
        s = Settings(settings, "erpnext", known=SETTINGS, environ=environ)
        key, secret = s.secret("api_key"), s.secret("api_secret")
        http = HttpClient(
            "erpnext",
            s.text("url"),
            auth=header_auth("Authorization", f"{key}:{secret}", prefix="token "),
            timeout=Timeout.from_settings(settings, "erpnext"),
            retry=RetryPolicy.from_settings(settings, "erpnext"),
            clock=clock,
        )
        return cls(
            http,
            page_size=s.integer("page_size", 100, maximum=1000),
            server_timezone=s.text("server_timezone", "UTC"),
            company=s.text("company", ""),
            clock=clock,
        )

    def _filters(self, since: dt.datetime | None) -> list[list[Any]]:
        if since is None:
            filters: list[list[Any]] = [["docstatus", "=", 1], ["outstanding_amount", ">", 0]]
        else:  # Frappe stores `modified` in the server's local time
            local = since.astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S")
            filters = [["docstatus", "in", [1, 2]], ["modified", ">=", local]]
        if self.company:
            filters.append(["company", "=", self.company])
        return filters

    def receivables(self, *, tenant: str, since: dt.datetime | None) -> Iterator[Receivable]:
        """Submitted invoices with something outstanding; with *since*, every one changed since then."""
        params = {
            "fields": json.dumps(FIELDS),
            "filters": json.dumps(self._filters(since)),
            "order_by": "name asc",
        }
        pages = paginate_offset(
            lambda paging: self.http.get_json("api/resource/Sales Invoice", params={**params, **paging}),
            lambda payload: payload["data"],
            offset_param="limit_start",
            limit_param="limit_page_length",
            page_size=self.page_size,
            provider="erpnext",
        )
        yield from self.convert(
            pages,
            lambda r: receivable_from_sales_invoice(r, tenant),
            kind="invoice",
            id_of=lambda r: r["name"],
        )
