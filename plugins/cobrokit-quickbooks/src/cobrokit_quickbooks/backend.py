"""The QuickBooks Online backend: the query endpoint, invoices with a balance, charges as invoices.

Facts used (see README.md for what was verified):

* ``GET /v3/company/<realmId>/query?query=<select>&minorversion=75`` with
  ``Authorization: Bearer <token>``; grammar ``SELECT * FROM Invoice WHERE … STARTPOSITION n
  MAXRESULTS m`` (1-based start, at most 1000 results); answer ``{"QueryResponse":
  {"Invoice": [...], "startPosition": n, "maxResults": m}, "time": …}`` — only properties
  with values are returned (an empty page has no ``Invoice`` key);
* invoice fields: ``Id``, ``DocNumber``, ``TxnDate``, ``DueDate`` (``YYYY-MM-DD``),
  ``TotalAmt``, ``Balance`` (JSON numbers), ``CustomerRef {value, name}``,
  ``CurrencyRef {value, name}``, ``BillEmail {Address}``, ``MetaData {LastUpdatedTime}``;
* errors: a ``Fault`` element (``{"Fault": {"Error": [{"Message", "Detail", "code"}],
  "type"}}``); 429 when throttled (500 requests per minute per realm);
* ``requestid`` query parameter on writes (unique per company, at most 50 characters): a
  replay returns the original answer instead of creating a duplicate;
* ``minorversion``: values below 75 are ignored since 2025-08-01.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from cobrokit.backend import Capability
from cobrokit.errors import AdapterError, AuthError, PermanentError
from cobrokit.http import (
    SYSTEM_CLOCK,
    Clock,
    HttpClient,
    HttpFailure,
    RateLimiter,
    RetryPolicy,
    Timeout,
    bearer_token,
    paginate_offset,
)
from cobrokit.model import Debtor, Invoice
from cobrokit.money import Money
from cobrokit.receivables import Receivable, ReceivablesBackend
from cobrokit.settings import Settings

__all__ = [
    "MINOR_VERSION",
    "PRODUCTION",
    "SANDBOX",
    "SETTINGS",
    "QuickBooksBackend",
    "classify_qbo_error",
    "receivable_from_qbo",
    "request_id",
]

PRODUCTION = "https://quickbooks.api.intuit.com"
SANDBOX = "https://sandbox-quickbooks.api.intuit.com"
MINOR_VERSION = "75"
MAX_REQUEST_ID = 50

SETTINGS = (
    "access_token_env",
    "realm_id",
    "sandbox",
    "home_currency",
    "page_size",
    "charge_item_id",
    "base_url",
    "connect_timeout",
    "read_timeout",
    "max_attempts",
    "max_retry_after",
)
"""Setting names the factory understands (see README.md)."""


def request_id(key: str) -> str:
    """A ``requestid`` (≤ 50 characters) for the effect *key*: the key itself when short enough,
    else a deterministic digest of it (the same key always gives the same id)."""
    if len(key) <= MAX_REQUEST_ID:
        return key
    return "ck-" + hashlib.sha256(key.encode()).hexdigest()[: MAX_REQUEST_ID - 3]


def _number(value: object, record: str, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{record}: {field}: {value!r} is not a number")
    return Decimal(value)


def receivable_from_qbo(record: Mapping[str, Any], tenant: str, home_currency: str) -> Receivable | None:
    """One QuickBooks invoice → :class:`Receivable` (``TotalAmt`` total, ``Balance`` open);
    ``CurrencyRef`` defaults to the company's home currency (single-currency companies omit it)."""
    invoice_id = str(record["Id"])
    label = f"invoice {invoice_id}"
    currency = str((record.get("CurrencyRef") or {}).get("value") or home_currency)
    total = Money(_number(record["TotalAmt"], label, "TotalAmt"), currency).rounded()
    if total.amount <= 0:
        return None
    customer = record["CustomerRef"]
    customer_id = str(customer["value"])
    email = (record.get("BillEmail") or {}).get("Address") or ""
    debtor = Debtor(id=customer_id, name=str(customer.get("name") or customer_id), tenant=tenant, emails=str(email))
    issued = dt.date.fromisoformat(str(record["TxnDate"]))
    invoice = Invoice(
        id=invoice_id,
        debtor_id=customer_id,
        issue_date=issued,
        tenant=tenant,
        amount=total,
        source="quickbooks",
        due_date=dt.date.fromisoformat(str(record.get("DueDate") or record["TxnDate"])),
        number=str(record.get("DocNumber") or ""),
    )
    updated = (record.get("MetaData") or {}).get("LastUpdatedTime")
    changed = dt.datetime.fromisoformat(updated).date() if isinstance(updated, str) else None
    balance = Money(_number(record["Balance"], label, "Balance"), currency).rounded()
    return Receivable(debtor=debtor, invoice=invoice, open=balance, changed_on=changed)


def classify_qbo_error(failure: HttpFailure) -> AdapterError | None:
    """Name the ``Fault`` in the error; ``AuthenticationFailed`` faults are auth errors."""
    payload = failure.payload if isinstance(failure.payload, Mapping) else {}
    fault = payload.get("Fault") or payload.get("fault")
    if not isinstance(fault, Mapping):
        return None
    errors = fault.get("Error") or fault.get("error") or []
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], Mapping) else {}
    text = f"{fault.get('type', 'Fault')}: {first.get('Message', '')} ({first.get('code', '')})"
    if failure.status in (401, 403) or "Authentication" in str(fault.get("type", "")):
        return AuthError("quickbooks", f"{failure.method} {failure.url}: {text}")
    if failure.status == 400:
        return PermanentError("quickbooks", f"{failure.method} {failure.url}: {text}")
    return None


class QuickBooksBackend(ReceivablesBackend):
    """QuickBooks Online as a cobrokit backend. Build it with :meth:`from_settings`.

    Writes back: interest or fees posted as a new invoice (``Capability.POST_CHARGE``), when
    ``charge_item_id`` names the service item to bill them with.
    """

    name = "quickbooks"

    def __init__(
        self,
        http: HttpClient,
        realm_id: str,
        *,
        home_currency: str = "USD",
        page_size: int = 100,
        charge_item_id: str = "",
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        super().__init__(clock=clock)
        self.http = http
        self.realm_id = realm_id
        self.home_currency = home_currency
        self.page_size = page_size
        self.charge_item_id = charge_item_id
        self.capabilities = frozenset({Capability.POST_CHARGE}) if charge_item_id else frozenset()

    @classmethod
    def from_settings(
        cls,
        settings: Mapping[str, Any],
        *,
        clock: Clock = SYSTEM_CLOCK,
        environ: Mapping[str, str] | None = None,
        token: str | Callable[[], str] | None = None,
    ) -> QuickBooksBackend:
        """Build from settings (see README.md); *token* may be a callable (OAuth2 refresh)."""
        s = Settings(settings, "quickbooks", known=SETTINGS, environ=environ)
        source = token if token is not None else s.secret("access_token")
        base = s.text("base_url", SANDBOX if s.flag("sandbox", False) else PRODUCTION)
        http = HttpClient(
            "quickbooks",
            base,
            auth=bearer_token(source),
            timeout=Timeout.from_settings(settings, "quickbooks"),
            retry=RetryPolicy.from_settings(settings, "quickbooks"),
            rate_limiter=RateLimiter(500, 60.0, clock=clock),
            classify=classify_qbo_error,
            idempotency_header=None,
            idempotency_param="requestid",
            clock=clock,
        )
        return cls(
            http,
            s.text("realm_id"),
            home_currency=s.text("home_currency", "USD").upper(),
            page_size=s.integer("page_size", 100, maximum=1000),
            charge_item_id=s.text("charge_item_id", ""),
            clock=clock,
        )

    def _query(self, select: str, start: int, size: int) -> Any:
        query = f"{select} STARTPOSITION {start} MAXRESULTS {size}"
        return self.http.get_json(
            f"v3/company/{self.realm_id}/query", params={"query": query, "minorversion": MINOR_VERSION}
        )

    def receivables(self, *, tenant: str, since: dt.datetime | None) -> Iterator[Receivable]:
        """Invoices with a balance; with *since*, every invoice updated since then."""
        if since is None:
            select = "select * from Invoice where Balance > '0'"
        else:
            stamp = since.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            select = f"select * from Invoice where Metadata.LastUpdatedTime >= '{stamp}'"
        pages = paginate_offset(
            lambda paging: self._query(select, paging["start"], paging["size"]),
            lambda payload: (payload.get("QueryResponse") or {}).get("Invoice") or [],
            offset_param="start",
            limit_param="size",
            page_size=self.page_size,
            first_offset=1,
            provider="quickbooks",
        )
        yield from self.convert(
            pages,
            lambda r: receivable_from_qbo(r, tenant, self.home_currency),
            kind="invoice",
            id_of=lambda r: r["Id"],
        )

    def post_charge(
        self, *, tenant: str, debtor_id: str, amount: Money, description: str, key: str, invoice_id: str = ""
    ) -> str:
        """Bill *amount* (interest, a fee) to the customer as a new invoice, once per *key*."""
        if not self.charge_item_id:
            raise PermanentError("quickbooks", "post_charge needs the charge_item_id setting")
        body = {
            "CustomerRef": {"value": debtor_id},
            "CurrencyRef": {"value": amount.currency},
            "PrivateNote": f"cobrokit {key}" + (f" (invoice {invoice_id})" if invoice_id else ""),
            "Line": [
                {
                    "Amount": amount.rounded().amount,
                    "DetailType": "SalesItemLineDetail",
                    "Description": description[:4000],
                    "SalesItemLineDetail": {"ItemRef": {"value": self.charge_item_id}},
                }
            ],
        }
        answer = self.http.request_json(
            "POST",
            f"v3/company/{self.realm_id}/invoice",
            params={"minorversion": MINOR_VERSION},
            json_body=body,
            idempotency_key=request_id(key),
        )
        created = (answer or {}).get("Invoice", {}) if isinstance(answer, Mapping) else {}
        return f"quickbooks: charge invoice {created.get('Id', '?')} for {amount}"
