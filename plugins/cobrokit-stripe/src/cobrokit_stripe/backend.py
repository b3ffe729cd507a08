"""The Stripe backend: open invoices, pay-now links, pausing and resuming subscription collection.

Facts used (see README.md for what was verified):

* ``GET /v1/invoices?status=open&limit=N[&starting_after=<last id>]`` → ``{object: "list",
  has_more, data: [...]}``, newest first; ``limit`` 1–100;
* invoice fields: ``id``, ``number``, ``customer`` (id, or the expanded object),
  ``customer_name``, ``customer_email``, ``customer_phone``, ``customer_address``,
  ``currency`` (lowercase ISO), ``amount_due``, ``amount_paid``, ``amount_remaining`` (integers
  in the currency's smallest unit — *not* multiplied for zero-decimal currencies),
  ``created``, ``due_date`` (nullable Unix timestamp), ``status_transitions.finalized_at``,
  ``hosted_invoice_url``;
* ``GET /v1/subscriptions?customer=<id>&status=all``; ``POST /v1/subscriptions/<id>`` with
  ``pause_collection[behavior]=void|mark_uncollectible|keep_as_draft`` pauses collection,
  ``pause_collection=`` (empty) clears it;
* ``invoice_pdf``: "the link to download the PDF for the invoice", null until the invoice is
  finalized; the link itself grants access (it is downloaded without the secret key, following
  Stripe's redirect) and expires after a while, so it is read afresh before each download;
* ``Idempotency-Key`` header on POSTs (up to 255 characters); auth with the secret key as a
  bearer token; 429 when rate limited (25 requests/s in test mode).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlsplit

from cobrokit.backend import Capability
from cobrokit.errors import InvalidAmountError
from cobrokit.http import (
    SYSTEM_CLOCK,
    Clock,
    HttpClient,
    RateLimiter,
    RetryPolicy,
    Timeout,
    bearer_token,
    paginate_cursor,
)
from cobrokit.invoice_copies import MAX_COPY_BYTES, PDF, CopyRefused, checked_pdf
from cobrokit.model import Address, Debtor, Invoice
from cobrokit.money import Money, minor_units
from cobrokit.receivables import Receivable, ReceivablesBackend
from cobrokit.settings import Settings

__all__ = [
    "API_BASE",
    "PAUSE_BEHAVIORS",
    "SETTINGS",
    "STRIPE_ZERO_DECIMAL",
    "StripeBackend",
    "date_from_unix",
    "is_stripe_file_url",
    "receivable_from_stripe",
    "stripe_money",
]

log = logging.getLogger(__name__)

API_BASE = "https://api.stripe.com"
SETTINGS = (
    "api_key_env",
    "pause_behavior",
    "page_size",
    "collection_method",
    "base_url",
    "requests_per_second",
    "connect_timeout",
    "read_timeout",
    "max_attempts",
    "max_retry_after",
)
"""Setting names the factory understands (see README.md)."""

PAUSE_BEHAVIORS = ("void", "mark_uncollectible", "keep_as_draft")

STRIPE_ZERO_DECIMAL = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)
"""Currencies whose Stripe amounts are whole units (Stripe's list; MGA differs from ISO 4217)."""

_STRIPE_TWO_DECIMAL = frozenset({"ISK"})
"""Zero-decimal in ISO 4217 but sent by Stripe with two decimals (a multiple of 100)."""

_LIVE_STATUSES = frozenset({"active", "past_due", "unpaid", "trialing"})


def stripe_money(units: object, currency: str, *, record: str = "stripe amount") -> Money:
    """An integer Stripe amount in *currency*'s smallest Stripe unit → exact :class:`Money`.

    ``1234, "eur"`` → 12.34 EUR; ``500, "jpy"`` → 500 JPY (zero-decimal: not divided);
    ``50000, "isk"`` → 500 ISK (Stripe's two-decimal special case, which must be whole).

    Raises:
        InvalidAmountError: *units* is not an integer, or does not fit the ISO minor unit.
    """
    code = currency.upper()
    if isinstance(units, bool) or not isinstance(units, int):
        raise InvalidAmountError(record, "amount", f"{units!r} is not an integer of minor units")
    if code in STRIPE_ZERO_DECIMAL:
        exponent = 0
    elif code in _STRIPE_TWO_DECIMAL:
        exponent = 2
    else:
        exponent = minor_units(code, record=record)
    amount = Decimal(units).scaleb(-exponent)
    money = Money(amount, code)
    if money.rounded() != money:
        raise InvalidAmountError(record, "amount", f"{amount} {code} is finer than ISO 4217 allows")
    return money.rounded()


def date_from_unix(value: object, *, record: str = "stripe", field: str = "date") -> dt.date:
    """A Unix timestamp (seconds) → its UTC calendar date."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{record}: {field}: {value!r} is not a Unix timestamp")
    return dt.datetime.fromtimestamp(value, dt.UTC).date()


def is_stripe_file_url(url: object) -> bool:
    """True for an ``https://`` URL on ``stripe.com`` or one of its subdomains (``pay.stripe.com``).

    Only such links are downloaded: an ``invoice_pdf`` pointing elsewhere is refused.
    """
    if not isinstance(url, str):
        return False
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and (host == "stripe.com" or host.endswith(".stripe.com"))


def _customer_id(record: Mapping[str, Any]) -> str:
    customer = record["customer"]
    if isinstance(customer, Mapping):
        customer = customer["id"]
    if not isinstance(customer, str) or not customer:
        raise TypeError(f"customer {customer!r} is not a customer id")
    return customer


def _address(value: Any) -> Address:
    if not isinstance(value, Mapping):
        return Address()
    lines = tuple(str(value[k]) for k in ("line1", "line2") if value.get(k))
    return Address(
        lines=lines,
        city=str(value.get("city") or ""),
        postal_code=str(value.get("postal_code") or ""),
        region=str(value.get("state") or ""),
        country=str(value.get("country") or ""),
    )


def receivable_from_stripe(record: Mapping[str, Any], tenant: str) -> Receivable | None:
    """One Stripe invoice → :class:`Receivable`; ``None`` for an invoice with nothing to collect.

    The invoice's amount is ``amount_due`` (what the customer was asked to pay, after any
    customer credit), the open balance ``amount_remaining``. Without a ``due_date``
    (``charge_automatically`` invoices) the invoice is due when it was finalized.
    """
    invoice_id = str(record["id"])
    currency = str(record["currency"])
    amount = stripe_money(record["amount_due"], currency, record=f"invoice {invoice_id}")
    if amount.is_zero():
        return None
    open_ = stripe_money(record["amount_remaining"], currency, record=f"invoice {invoice_id}")
    customer = _customer_id(record)
    issued = date_from_unix(record["created"], record=f"invoice {invoice_id}", field="created")
    due_ts = record.get("due_date")
    if due_ts is None:
        due_ts = (record.get("status_transitions") or {}).get("finalized_at") or record["created"]
    due = max(date_from_unix(due_ts, record=f"invoice {invoice_id}", field="due_date"), issued)
    name = record.get("customer_name") or record.get("customer_email") or customer
    address = _address(record.get("customer_address"))
    debtor = Debtor(
        id=customer,
        name=str(name),
        tenant=tenant,
        emails=str(record.get("customer_email") or ""),
        phones=str(record.get("customer_phone") or ""),
        address=address,
        country=address.country,
    )
    invoice = Invoice(
        id=invoice_id,
        debtor_id=customer,
        issue_date=issued,
        due_date=due,
        amount=amount,
        tenant=tenant,
        number=str(record.get("number") or ""),
        source="stripe",
    )
    return Receivable(debtor=debtor, invoice=invoice, open=open_)


class StripeBackend(ReceivablesBackend):
    """Stripe as a cobrokit backend. Build it with :meth:`from_settings`.

    Reads open invoices (``since`` is ignored: Stripe lists invoices by creation, not by
    change, so every read is complete and invoices paid since the last sync are closed by
    :func:`cobrokit.sync.sync`). Writes back: pay-now links and service suspension.
    """

    name = "stripe"
    capabilities = frozenset({Capability.PAYMENT_LINK, Capability.SUSPEND_SERVICE})

    def __init__(
        self,
        http: HttpClient,
        *,
        pause_behavior: str = "void",
        page_size: int = 100,
        collection_method: str = "",
        clock: Clock = SYSTEM_CLOCK,
        files: HttpClient | None = None,
    ) -> None:
        super().__init__(clock=clock)
        self.http = http
        # Invoice PDFs are downloaded from their own links: no secret key, paths hidden in logs.
        self.files = files or HttpClient(
            "stripe",
            headers={"Accept": PDF},
            timeout=http.timeout,
            retry=http.retry,
            idempotency_header=None,
            hide_path=True,
            clock=clock,
        )
        self.pause_behavior = pause_behavior
        self.page_size = page_size
        self.collection_method = collection_method

    @classmethod
    def from_settings(
        cls,
        settings: Mapping[str, Any],
        *,
        clock: Clock = SYSTEM_CLOCK,
        environ: Mapping[str, str] | None = None,
    ) -> StripeBackend:
        """Build from settings (see README.md); the secret key comes from ``api_key_env``.

        Raises:
            ConfigError: a missing or invalid setting, or an unset variable.
        """
        s = Settings(settings, "stripe", known=SETTINGS, environ=environ)
        key = s.secret("api_key")
        per_second = s.integer("requests_per_second", 25, maximum=100)
        http = HttpClient(
            "stripe",
            s.text("base_url", API_BASE),
            auth=bearer_token(key),
            timeout=Timeout.from_settings(settings, "stripe"),
            retry=RetryPolicy.from_settings(settings, "stripe"),
            rate_limiter=RateLimiter(per_second, 1.0, clock=clock),
            idempotency_header="Idempotency-Key",
            clock=clock,
        )
        return cls(
            http,
            pause_behavior=s.choice("pause_behavior", PAUSE_BEHAVIORS, "void"),
            page_size=s.integer("page_size", 100, maximum=100),
            collection_method=s.choice("collection_method", ("", "charge_automatically", "send_invoice"), ""),
            clock=clock,
        )

    # -- reading ------------------------------------------------------------------------------
    def receivables(self, *, tenant: str, since: dt.datetime | None) -> Iterator[Receivable]:
        """Every open invoice, newest first, cursor-paged."""
        params: dict[str, Any] = {"status": "open"}
        if self.collection_method:
            params["collection_method"] = self.collection_method
        pages = paginate_cursor(
            lambda paging: self.http.get_json("v1/invoices", params={**params, **paging}),
            lambda payload: payload["data"],
            page_size=self.page_size,
            provider="stripe",
        )
        yield from self.convert(
            pages, lambda r: receivable_from_stripe(r, tenant), kind="invoice", id_of=lambda r: r["id"]
        )

    # -- writing back -------------------------------------------------------------------------
    def payment_link(self, *, tenant: str, debtor_id: str, invoice_ids: Sequence[str]) -> str | None:
        """The hosted invoice page of the first Stripe invoice in *invoice_ids* (the oldest on a
        notice), if Stripe still offers one."""
        for invoice_id in invoice_ids:
            if not invoice_id.startswith("in_"):
                continue
            payload = self.http.get_json(f"v1/invoices/{invoice_id}")
            url = payload.get("hosted_invoice_url") if isinstance(payload, Mapping) else None
            if isinstance(url, str) and url.startswith("https://"):
                return url
        return None

    def invoice_pdf(self, invoice_id: str, *, max_bytes: int = MAX_COPY_BYTES) -> bytes:
        """The PDF Stripe renders for invoice *invoice_id*.

        Reads the invoice (``GET /v1/invoices/{id}``) for a fresh ``invoice_pdf`` link and
        downloads it without the secret key; both requests retry on 429 (``Retry-After``),
        5xx and timeouts.

        Raises:
            CopyRefused: the invoice has no PDF (not finalized), its link is not on
                ``stripe.com``, or the file is over *max_bytes* or not a PDF.
            AdapterError: a request failed (after the client's retries).
        """
        payload = self.http.get_json(f"v1/invoices/{quote(invoice_id, safe='')}")
        url = payload.get("invoice_pdf") if isinstance(payload, Mapping) else None
        if not url:
            raise CopyRefused("stripe", f"invoice {invoice_id}: Stripe has no PDF for it (not finalized)")
        if not is_stripe_file_url(url):
            raise CopyRefused("stripe", f"invoice {invoice_id}: its invoice_pdf link is not an https URL on stripe.com")
        response = self.files.request("GET", str(url))
        return checked_pdf(response.content, provider="stripe", invoice_id=invoice_id, max_bytes=max_bytes)

    def _subscriptions(self, customer: str) -> list[Mapping[str, Any]]:
        pages = paginate_cursor(
            lambda paging: self.http.get_json(
                "v1/subscriptions", params={"customer": customer, "status": "all", **paging}
            ),
            lambda payload: payload["data"],
            page_size=100,
            provider="stripe",
        )
        return [s for s in pages if isinstance(s, Mapping) and s.get("status") in _LIVE_STATUSES]

    def suspend_service(self, *, tenant: str, debtor_id: str, key: str) -> str:
        """Pause collection of the customer's live subscriptions (``pause_behavior``).

        Each subscription gets its own ``Idempotency-Key``: ``<key>#<subscription id>``.
        """
        done = []
        for subscription in self._subscriptions(debtor_id):
            if subscription.get("pause_collection"):
                continue  # already paused (by us before a crash, or by hand)
            sub_id = str(subscription["id"])
            self.http.request_json(
                "POST",
                f"v1/subscriptions/{sub_id}",
                data={"pause_collection[behavior]": self.pause_behavior},
                idempotency_key=f"{key}#{sub_id}",
            )
            done.append(sub_id)
        if not done:
            return f"stripe: no live subscription with running collection for customer {debtor_id}"
        return f"stripe: paused collection ({self.pause_behavior}) of {', '.join(done)}"

    def restore_service(self, *, tenant: str, debtor_id: str, key: str) -> str:
        """Resume collection of the customer's subscriptions whose collection is paused."""
        done = []
        for subscription in self._subscriptions(debtor_id):
            if not subscription.get("pause_collection"):
                continue
            sub_id = str(subscription["id"])
            self.http.request_json(
                "POST",
                f"v1/subscriptions/{sub_id}",
                data={"pause_collection": ""},
                idempotency_key=f"{key}#{sub_id}",
            )
            done.append(sub_id)
        if not done:
            return f"stripe: no paused subscription for customer {debtor_id}"
        return f"stripe: resumed collection of {', '.join(done)}"
