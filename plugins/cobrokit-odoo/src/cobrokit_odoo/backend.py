"""The Odoo backend: customer invoices (``account.move``) and their partners (``res.partner``).

Two transports, chosen by the ``api`` setting:

* ``json2`` (Odoo 19+): ``POST /json/2/<model>/search_read`` with ``Authorization: bearer
  <API key>``, optional ``X-Odoo-Database``, and a JSON body of named parameters
  (``domain``, ``fields``, ``offset``, ``limit``, ``order``); the answer is the JSON list of
  records; errors are 4xx/5xx with ``{name, message, …}``;
* ``jsonrpc`` (legacy, deprecated in 19): ``POST /jsonrpc`` with ``{"jsonrpc": "2.0",
  "method": "call", "params": {"service": "object", "method": "execute_kw", "args": [db, uid,
  key, model, method, [domain], {fields, offset, limit, order}]}, "id": n}``; errors come
  back in an ``error`` member with HTTP 200.

Fields read: ``id``, ``name`` (number), ``partner_id`` and ``commercial_partner_id``
(``[id, "display name"]``), ``invoice_date``, ``invoice_date_due`` (``YYYY-MM-DD``),
``currency_id`` (``[id, "EUR"]``), ``amount_total``, ``amount_residual`` (floats on the
wire: parsed as Decimal from the JSON text, then rounded to the currency's minor unit),
``state``, ``payment_state``, ``write_date``, ``payment_reference``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from cobrokit.errors import AuthError, ConfigError, MalformedResponseError, PermanentError
from cobrokit.http import (
    SYSTEM_CLOCK,
    Clock,
    HttpClient,
    RetryPolicy,
    Timeout,
    bearer_token,
    paginate_offset,
)
from cobrokit.model import Address, Debtor, Invoice
from cobrokit.money import Money
from cobrokit.receivables import Receivable, ReceivablesBackend
from cobrokit.settings import Settings

__all__ = [
    "MOVE_FIELDS",
    "PARTNER_FIELDS",
    "SETTINGS",
    "OdooBackend",
    "debtor_from_partner",
    "odoo_money",
    "receivable_from_move",
]

log = logging.getLogger(__name__)

SETTINGS = (
    "url",
    "api",
    "api_key_env",
    "database",
    "uid",
    "login",
    "page_size",
    "in_payment_is_paid",
    "connect_timeout",
    "read_timeout",
    "max_attempts",
    "max_retry_after",
)
"""Setting names the factory understands (see README.md)."""

MOVE_FIELDS = [
    "id",
    "name",
    "move_type",
    "state",
    "payment_state",
    "partner_id",
    "commercial_partner_id",
    "invoice_date",
    "invoice_date_due",
    "currency_id",
    "amount_total",
    "amount_residual",
    "write_date",
    "payment_reference",
]
PARTNER_FIELDS = [
    "id",
    "name",
    "email",
    "phone",
    "vat",
    "street",
    "street2",
    "city",
    "zip",
    "country_code",
    "lang",
]

_OPEN_STATES = ("not_paid", "partial")
_CLOSED_STATES = frozenset({"paid", "reversed", "invoicing_legacy"})


def odoo_money(value: object, currency: str, *, record: str, field: str) -> Money:
    """An Odoo float amount (already a Decimal from the JSON text) → Money rounded half-up to
    the currency's minor unit (``1210.0000000001`` → ``1210.00``)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{record}: {field}: {value!r} is not a number")
    return Money(Decimal(value), currency).rounded()


def _many2one(value: object, field: str) -> tuple[int, str]:
    if (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], int)
        and not isinstance(value[0], bool)
        and isinstance(value[1], str)
    ):
        return value[0], value[1]
    raise TypeError(f"{field}: {value!r} is not a many2one [id, name]")


def _date(value: object, record: str, field: str) -> dt.date:
    if not isinstance(value, str):
        raise TypeError(f"{record}: {field}: {value!r} is not a date")
    return dt.date.fromisoformat(value[:10])


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""  # Odoo sends false for empty fields


def debtor_from_partner(partner: Mapping[str, Any], tenant: str) -> Debtor:
    """A ``res.partner`` record → :class:`Debtor` (``false`` values read as empty)."""
    country = _text(partner.get("country_code")).upper()
    lines = tuple(t for t in (_text(partner.get("street")), _text(partner.get("street2"))) if t)
    return Debtor(
        id=str(partner["id"]),
        name=_text(partner.get("name")) or str(partner["id"]),
        tenant=tenant,
        tax_id=_text(partner.get("vat")),
        emails=_text(partner.get("email")),
        phones=_text(partner.get("phone")),
        address=Address(
            lines=lines,
            city=_text(partner.get("city")),
            postal_code=_text(partner.get("zip")),
            country=country,
        ),
        locale=_text(partner.get("lang")) or "en",
        country=country,
    )


def receivable_from_move(
    move: Mapping[str, Any],
    tenant: str,
    partners: Mapping[int, Mapping[str, Any]] | None = None,
    *,
    in_payment_is_paid: bool = True,
) -> Receivable | None:
    """One ``account.move`` → :class:`Receivable`; ``None`` for anything but a customer invoice.

    The debtor is the commercial partner (the company, not the contact person), described by
    its ``res.partner`` record when *partners* has it. The open balance is ``amount_residual``
    while the invoice is posted and not paid (``payment_state`` ``not_paid``/``partial``, and
    unknown newer states, conservatively); zero when paid, reversed, cancelled — or
    ``in_payment`` unless *in_payment_is_paid* is false.
    """
    if move.get("move_type", "out_invoice") != "out_invoice":
        return None
    move_id = str(move["id"])
    label = f"invoice {move_id}"
    partner_id, partner_name = _many2one(move.get("commercial_partner_id") or move["partner_id"], "partner_id")
    _, currency = _many2one(move["currency_id"], "currency_id")
    total = odoo_money(move["amount_total"], currency, record=label, field="amount_total")
    if total.amount <= 0:
        return None
    residual = odoo_money(move["amount_residual"], currency, record=label, field="amount_residual")
    state, payment_state = move.get("state"), move.get("payment_state")
    settled = (
        state != "posted" or payment_state in _CLOSED_STATES or (payment_state == "in_payment" and in_payment_is_paid)
    )
    partner = (partners or {}).get(partner_id)
    debtor = (
        debtor_from_partner(partner, tenant)
        if partner is not None
        else Debtor(id=str(partner_id), name=partner_name or str(partner_id), tenant=tenant)
    )
    issued = _date(move["invoice_date"], label, "invoice_date")
    invoice = Invoice(
        id=move_id,
        debtor_id=str(partner_id),
        issue_date=issued,
        tenant=tenant,
        amount=total,
        source="odoo",
        due_date=_date(move.get("invoice_date_due") or move["invoice_date"], label, "invoice_date_due"),
        number=_text(move.get("name")),
        external_ref=_text(move.get("payment_reference")),
    )
    changed = _date(move["write_date"], label, "write_date") if isinstance(move.get("write_date"), str) else None
    return Receivable(
        debtor=debtor, invoice=invoice, open=Money.zero(currency) if settled else residual, changed_on=changed
    )


class OdooBackend(ReceivablesBackend):
    """Odoo as a cobrokit backend (read-only). Build it with :meth:`from_settings`."""

    name = "odoo"

    def __init__(
        self,
        http: HttpClient,
        *,
        api: str = "json2",
        database: str = "",
        key: str = "",
        uid: int | None = None,
        login: str = "",
        page_size: int = 200,
        in_payment_is_paid: bool = True,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        super().__init__(clock=clock)
        self.http = http
        self.api = api
        self.database = database
        self._key = key
        self.uid = uid
        self.login = login
        self.page_size = page_size
        self.in_payment_is_paid = in_payment_is_paid
        self._ids = itertools.count(1)

    @classmethod
    def from_settings(
        cls,
        settings: Mapping[str, Any],
        *,
        clock: Clock = SYSTEM_CLOCK,
        environ: Mapping[str, str] | None = None,
    ) -> OdooBackend:
        """Build from settings (see README.md); the API key comes from ``api_key_env``."""
        s = Settings(settings, "odoo", known=SETTINGS, environ=environ)
        api = s.choice("api", ("json2", "jsonrpc"), "json2")
        key = s.secret("api_key")
        database = s.text("database", "")
        headers = {"X-Odoo-Database": database} if database and api == "json2" else {}
        http = HttpClient(
            "odoo",
            s.text("url"),
            auth=bearer_token(key) if api == "json2" else None,
            headers=headers,
            timeout=Timeout.from_settings(settings, "odoo"),
            retry=RetryPolicy.from_settings(settings, "odoo"),
            clock=clock,
        )
        uid = s.integer("uid", 0, minimum=0) if s.has("uid") else None
        if api == "jsonrpc" and (not database or (uid is None and not s.has("login"))):
            raise ConfigError("odoo: the jsonrpc api needs the settings database and uid (or login)")
        return cls(
            http,
            api=api,
            database=database,
            key=key,
            uid=uid,
            login=s.text("login", ""),
            page_size=s.integer("page_size", 200, maximum=2000),
            in_payment_is_paid=s.flag("in_payment_is_paid", True),
            clock=clock,
        )

    # -- transport ------------------------------------------------------------------------------
    def _rpc(self, service: str, method: str, args: list[Any]) -> Any:
        body = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": args},
            "id": next(self._ids),
        }
        payload = self.http.request_json("POST", "jsonrpc", json_body=body, idempotent=True)
        if not isinstance(payload, Mapping):
            raise MalformedResponseError("odoo", "the JSON-RPC answer is not an object")
        error = payload.get("error")
        if error is not None:
            if not isinstance(error, Mapping):  # JSON-RPC 2.0: the error member is an object
                raise MalformedResponseError("odoo", f"{method} failed with a malformed JSON-RPC error member")
            data = error.get("data")
            name = str(data.get("name", "")) if isinstance(data, Mapping) else ""
            message = str(data.get("message", "")) if isinstance(data, Mapping) else ""
            text = f"{method} failed: {name or 'error'}: {message or str(error.get('message', ''))}"
            if "AccessDenied" in name or "AccessError" in name:
                raise AuthError("odoo", text)
            raise PermanentError("odoo", text)
        if "result" not in payload:
            raise MalformedResponseError("odoo", f"the JSON-RPC answer to {method} has neither result nor error")
        return payload["result"]

    def _uid(self) -> int:
        if self.uid is None:
            uid = self._rpc("common", "authenticate", [self.database, self.login, self._key, {}])
            if not isinstance(uid, int) or isinstance(uid, bool) or uid <= 0:
                raise AuthError("odoo", "authenticate refused the login and API key")
            self.uid = uid
        return self.uid

    def search_read(
        self,
        model: str,
        domain: list[Any],
        fields: Sequence[str],
        *,
        offset: int = 0,
        limit: int | None = None,
        order: str = "id",
    ) -> list[Any]:
        """``search_read`` on *model* through the configured API; a list of records."""
        params: dict[str, Any] = {"domain": domain, "fields": list(fields), "offset": offset, "order": order}
        if limit is not None:
            params["limit"] = limit
        if self.api == "json2":
            result = self.http.request_json("POST", f"json/2/{model}/search_read", json_body=params, idempotent=True)
        else:
            kwargs = {k: v for k, v in params.items() if k != "domain"}
            result = self._rpc(
                "object",
                "execute_kw",
                [self.database, self._uid(), self._key, model, "search_read", [domain], kwargs],
            )
        if not isinstance(result, list):
            raise MalformedResponseError("odoo", f"{model}.search_read did not answer a list")
        return result

    # -- reading --------------------------------------------------------------------------------
    def _domain(self, since: dt.datetime | None) -> list[Any]:
        if since is None:
            states = [*_OPEN_STATES] if self.in_payment_is_paid else [*_OPEN_STATES, "in_payment"]
            return [
                ["move_type", "=", "out_invoice"],
                ["state", "=", "posted"],
                ["payment_state", "in", states],
            ]
        stamp = since.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")  # Odoo stores UTC datetimes
        return [
            ["move_type", "=", "out_invoice"],
            ["state", "in", ["posted", "cancel"]],
            ["write_date", ">=", stamp],
        ]

    def _with_partners(self, moves: list[Any], partners: dict[int, Mapping[str, Any]]) -> list[Any]:
        wanted = set()
        for move in moves:
            try:
                wanted.add(_many2one(move.get("commercial_partner_id") or move["partner_id"], "partner_id")[0])
            except (TypeError, KeyError, AttributeError):
                continue  # a malformed move: skipped (and logged) when converted
        missing = sorted(wanted - partners.keys())
        if missing:
            for partner in self.search_read("res.partner", [["id", "in", missing]], PARTNER_FIELDS):
                if isinstance(partner, Mapping) and isinstance(partner.get("id"), int):
                    partners[partner["id"]] = partner
        return moves

    def receivables(self, *, tenant: str, since: dt.datetime | None) -> Iterator[Receivable]:
        """Posted customer invoices not (fully) paid; with *since*, every one changed since then."""
        domain = self._domain(since)
        partners: dict[int, Mapping[str, Any]] = {}
        pages = paginate_offset(
            lambda paging: self.search_read(
                "account.move", domain, MOVE_FIELDS, offset=paging["offset"], limit=paging["limit"]
            ),
            lambda payload: self._with_partners(payload, partners),
            offset_param="offset",
            limit_param="limit",
            page_size=self.page_size,
            provider="odoo",
        )
        yield from self.convert(
            pages,
            lambda m: receivable_from_move(m, tenant, partners, in_payment_is_paid=self.in_payment_is_paid),
            kind="invoice",
            id_of=lambda m: m["id"],
        )
