"""The Alegra backend: ``GET /api/v1/invoices`` (open invoices and their balance).

Facts used (see README.md for what was verified):

* HTTP Basic ``email:token``; base ``https://api.alegra.com/api/v1``; 401 on bad credentials;
* ``start``/``limit`` paging, ``limit`` at most 30; ``status`` values ``open``, ``closed``,
  ``draft``, ``void``;
* invoice fields: ``id`` (a string since 2025-01-06), ``date``, ``dueDate`` (``YYYY-MM-DD``),
  ``status``, ``client {id, name, identification, email, phonePrimary, mobile}``, ``total``,
  ``totalPaid``, ``balance`` (JSON numbers), ``numberTemplate {prefix, number}``, and in
  multi-currency accounts ``currency {code}``;
* 150 requests per minute per user, then 429.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from cobrokit.http import (
    SYSTEM_CLOCK,
    Clock,
    HttpClient,
    RateLimiter,
    RetryPolicy,
    Timeout,
    basic_auth,
    paginate_offset,
)
from cobrokit.model import Debtor, Invoice
from cobrokit.money import Money
from cobrokit.receivables import Receivable, ReceivablesBackend
from cobrokit.settings import Settings

__all__ = ["API_BASE", "MAX_LIMIT", "SETTINGS", "AlegraBackend", "receivable_from_alegra"]

API_BASE = "https://api.alegra.com/api/v1"
MAX_LIMIT = 30
SETTINGS = (
    "email",
    "token_env",
    "currency",
    "page_size",
    "requests_per_minute",
    "base_url",
    "connect_timeout",
    "read_timeout",
    "max_attempts",
    "max_retry_after",
)
"""Setting names the factory understands (see README.md)."""


def _number(value: object, record: str, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{record}: {field}: {value!r} is not a number")
    return Decimal(value)


def _number_text(template: object) -> str:
    if not isinstance(template, Mapping):
        return ""
    return f"{template.get('prefix') or ''}{template.get('number') or ''}"


def receivable_from_alegra(record: Mapping[str, Any], tenant: str, currency: str) -> Receivable | None:
    """One Alegra invoice → :class:`Receivable` (``total`` amount, ``balance`` open); ``None`` for a
    draft. Ids are kept as strings; ``currency.code`` overrides the account's *currency*."""
    status = record.get("status")
    if status == "draft":
        return None
    invoice_id = str(record["id"])
    label = f"invoice {invoice_id}"
    code = str((record.get("currency") or {}).get("code") or currency).upper()
    total = Money(_number(record["total"], label, "total"), code).rounded()
    if total.amount <= 0:
        return None
    balance = Money(_number(record["balance"], label, "balance"), code).rounded()
    client = record["client"]
    client_id = str(client["id"])
    phones = ",".join(str(p) for p in (client.get("phonePrimary"), client.get("mobile")) if p)
    identification = client.get("identification")
    if isinstance(identification, Mapping):  # some countries send {type, number}
        identification = identification.get("number")
    debtor = Debtor(
        id=client_id,
        name=str(client.get("name") or client_id),
        tenant=tenant,
        tax_id=str(identification or ""),
        emails=str(client.get("email") or ""),
        phones=phones,
    )
    issued = dt.date.fromisoformat(str(record["date"]))
    invoice = Invoice(
        id=invoice_id,
        debtor_id=client_id,
        issue_date=issued,
        tenant=tenant,
        amount=total,
        due_date=dt.date.fromisoformat(str(record.get("dueDate") or record["date"])),
        number=_number_text(record.get("numberTemplate")),
        source="alegra",
    )
    open_ = Money.zero(code) if status in ("void", "closed") else balance
    return Receivable(debtor=debtor, invoice=invoice, open=open_)


class AlegraBackend(ReceivablesBackend):
    """Alegra as a cobrokit backend (read-only). Build it with :meth:`from_settings`.

    ``since`` is ignored (the listing has no documented change filter): every read is
    complete, and invoices no longer open are closed by :func:`cobrokit.sync.sync`.
    """

    name = "alegra"

    def __init__(
        self, http: HttpClient, *, currency: str, page_size: int = MAX_LIMIT, clock: Clock = SYSTEM_CLOCK
    ) -> None:
        super().__init__(clock=clock)
        self.http = http
        self.currency = currency
        self.page_size = page_size

    @classmethod
    def from_settings(
        cls,
        settings: Mapping[str, Any],
        *,
        clock: Clock = SYSTEM_CLOCK,
        environ: Mapping[str, str] | None = None,
    ) -> AlegraBackend:
        """Build from settings (see README.md); the token comes from ``token_env``."""
        s = Settings(settings, "alegra", known=SETTINGS, environ=environ)
        http = HttpClient(
            "alegra",
            s.text("base_url", API_BASE),
            auth=basic_auth(s.text("email"), s.secret("token")),
            timeout=Timeout.from_settings(settings, "alegra"),
            retry=RetryPolicy.from_settings(settings, "alegra"),
            rate_limiter=RateLimiter(s.integer("requests_per_minute", 150, maximum=150), 60.0, clock=clock),
            clock=clock,
        )
        return cls(
            http,
            currency=s.text("currency").upper(),
            page_size=s.integer("page_size", MAX_LIMIT, maximum=MAX_LIMIT),
            clock=clock,
        )

    def receivables(self, *, tenant: str, since: dt.datetime | None) -> Iterator[Receivable]:
        """Every open invoice, 30 per request."""
        pages = paginate_offset(
            lambda paging: self.http.get_json("invoices", params={"status": "open", **paging}),
            lambda payload: payload["data"] if isinstance(payload, Mapping) else payload,
            offset_param="start",
            limit_param="limit",
            page_size=self.page_size,
            provider="alegra",
        )
        yield from self.convert(
            pages,
            lambda r: receivable_from_alegra(r, tenant, self.currency),
            kind="invoice",
            id_of=lambda r: r["id"],
        )
