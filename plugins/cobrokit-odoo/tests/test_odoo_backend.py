"""The Odoo backend: the contract kit on the JSON-2 and JSON-RPC APIs, float → exact Decimal, partners."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses
from cobrokit_odoo import OdooBackend, receivable_from_move

from cobrokit.backend import Backend
from cobrokit.errors import AuthError, ConfigError, MalformedResponseError, PermanentError
from cobrokit.http import dump_json
from cobrokit.money import Money
from cobrokit.testing import BackendContract, FakeClock, PageServer
from cobrokit.testing.contracts import Reply

KEY = "odoo-api-key-0123456789abcdef-never-logged"
URL = "https://acme.odoo.example"
MOVES = f"{URL}/json/2/account.move/search_read"
PARTNERS = f"{URL}/json/2/res.partner/search_read"


def move(n: int, **overrides: Any) -> dict[str, Any]:
    """An account.move as search_read returns it (floats on the wire, many2one pairs, false for empty)."""
    record: dict[str, Any] = {
        "id": 100 + n,
        "name": f"INV/2025/{n:05d}",
        "move_type": "out_invoice",
        "state": "posted",
        "payment_state": "not_paid",
        "partner_id": [7, "Talleres Ruiz SL, Ana Ruiz"],
        "commercial_partner_id": [7, "Talleres Ruiz SL"],
        "invoice_date": "2025-01-15",
        "invoice_date_due": "2025-02-14",
        "currency_id": [1, "EUR"],
        # a float as Odoo computes it: 1001.01 + binary noise; cobrokit rounds it explicitly
        "amount_total": Decimal(f"{1000 + n}.{n:02d}00000000001"),
        "amount_residual": Decimal(f"{1000 + n}.{n:02d}00000000001"),
        "write_date": "2025-01-15 10:00:00",
        "payment_reference": f"INV/2025/{n:05d}",
    }
    record.update(overrides)
    return record


PARTNER = {
    "id": 7,
    "name": "Talleres Ruiz SL",
    "email": "cuentas@ruiz.example",
    "phone": "+34 910 000 001",
    "vat": "ESB12345678",
    "street": "Calle Mayor 1",
    "street2": False,
    "city": "Madrid",
    "zip": "28013",
    "country_code": "ES",
    "lang": "es_ES",
}


def partners_callback(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    body = json.loads(request.body or "{}")
    (_, _, ids) = body["domain"][0]
    return 200, {"Content-Type": "application/json"}, dump_json([PARTNER] if 7 in ids else [])


def make_backend(clock: FakeClock, monkeypatch: pytest.MonkeyPatch, **settings: Any) -> OdooBackend:
    monkeypatch.setenv("ODOO_TEST_KEY", KEY)
    return OdooBackend.from_settings({"url": URL, "api_key_env": "ODOO_TEST_KEY", **settings}, clock=clock)


class TestOdooJson2Contract(BackendContract):
    list_method = "POST"
    list_url = MOVES
    page_size = 3
    secrets = (KEY,)

    @pytest.fixture
    def backend(self, clock: FakeClock, mocked: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch) -> Backend:
        mocked.add_callback("POST", PARTNERS, callback=partners_callback)
        return make_backend(clock, monkeypatch, page_size=self.page_size, database="acme")

    def make_record(self, n: int) -> Any:
        return move(n)

    def break_record(self, record: Any) -> Any:
        return {**record, "amount_residual": "lots"}

    def provider_id(self, record: Any) -> str:
        return str(record["id"])

    def envelope(self, records: Sequence[Any], *, page: int, last: bool) -> Reply:
        return Reply(200, json=list(records))

    def expected(self, n: int) -> Mapping[str, Any]:
        # 1001.0100000000001 rounded half-up to cents = 1001.01
        return {
            "id": str(100 + n),
            "number": f"INV/2025/{n:05d}",
            "debtor_id": "7",
            "amount": Money(f"{1000 + n}.{n:02d}", "EUR"),
            "issue_date": dt.date(2025, 1, 15),
            "due_date": dt.date(2025, 2, 14),
            "tenant": self.tenant,
            "source": "odoo",
        }

    def auth_failure_response(self) -> Reply:
        return Reply(
            401,
            json={
                "name": "werkzeug.exceptions.Unauthorized",
                "message": "Invalid apikey",
                "arguments": ["Invalid apikey", 401],
                "context": {},
                "debug": "",
            },
        )


def test_the_request_carries_domain_fields_paging_and_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = make_backend(FakeClock(), monkeypatch, database="acme", page_size=50)
    with responses.RequestsMock() as mocked:
        mocked.post(MOVES, body=dump_json([move(1)]), content_type="application/json")
        mocked.add_callback("POST", PARTNERS, callback=partners_callback)
        (debtor,) = list(backend.iter_debtors(tenant="default"))
        request = mocked.calls[0].request
        body = json.loads(request.body)
    assert request.headers["Authorization"] == f"Bearer {KEY}" and request.headers["X-Odoo-Database"] == "acme"
    assert body["domain"] == [
        ["move_type", "=", "out_invoice"],
        ["state", "=", "posted"],
        ["payment_state", "in", ["not_paid", "partial"]],
    ]
    assert body["offset"] == 0 and body["limit"] == 50 and "amount_residual" in body["fields"]
    assert debtor.name == "Talleres Ruiz SL" and debtor.emails == ("cuentas@ruiz.example",)
    assert debtor.tax_id == "ESB12345678" and debtor.country == "ES" and debtor.locale == "es_ES"
    assert debtor.address.lines == ("Calle Mayor 1",)


def test_an_incremental_read_filters_on_write_date_in_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = make_backend(FakeClock(), monkeypatch)
    paid = move(1, payment_state="paid", amount_residual=Decimal("0.0"))
    with responses.RequestsMock() as mocked:
        mocked.post(MOVES, body=dump_json([paid]), content_type="application/json")
        mocked.add_callback("POST", PARTNERS, callback=partners_callback)
        since = dt.datetime(2025, 3, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
        payments = list(backend.iter_payments(tenant="default", since=since))
        body = json.loads(mocked.calls[0].request.body)
    assert body["domain"][-1] == ["write_date", ">=", "2025-03-01 09:00:00"]
    assert [p.amount for p in payments] == [Money("1001.01", "EUR")]
    assert payments[0].date == dt.date(2025, 1, 15)  # dated on write_date


@pytest.mark.parametrize(
    ("payment_state", "state", "open_"),
    [
        ("not_paid", "posted", "1001.01"),
        ("partial", "posted", "400.00"),
        ("in_payment", "posted", "0.00"),
        ("blocked", "posted", "400.00"),  # an unknown newer state: trust the residual
        ("paid", "posted", "0.00"),
        ("reversed", "posted", "0.00"),
        ("not_paid", "cancel", "0.00"),
    ],
)
def test_open_balance_by_payment_state(payment_state: str, state: str, open_: str) -> None:
    residual = Decimal("1001.01") if open_ == "1001.01" else Decimal("400.0")
    record = move(1, payment_state=payment_state, state=state, amount_residual=residual)
    receivable = receivable_from_move(record, "default")
    assert receivable is not None and receivable.open == Money(open_, "EUR")


def test_in_payment_can_count_as_unpaid() -> None:
    record = move(1, payment_state="in_payment", amount_residual=Decimal("400.0"))
    receivable = receivable_from_move(record, "default", in_payment_is_paid=False)
    assert receivable is not None and receivable.open == Money("400.00", "EUR")  # the residual is still owed
    assert receivable_from_move(move(1, move_type="out_refund"), "default") is None


def rpc_answer(result: Any = None, error: Any = None, id_: int = 1) -> str:
    answer: dict[str, Any] = {"jsonrpc": "2.0", "id": id_}
    answer["error" if error is not None else "result"] = error if error is not None else result
    return dump_json(answer)


def test_legacy_json_rpc_authenticates_then_calls_execute_kw(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = make_backend(
        FakeClock(), monkeypatch, api="jsonrpc", database="acme", login="bot@acme.example", page_size=2
    )
    seen: list[dict[str, Any]] = []

    def jsonrpc(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        call = json.loads(request.body or "{}")
        seen.append(call)
        params = call["params"]
        if params["service"] == "common":
            return 200, {}, rpc_answer(42, id_=call["id"])
        db, uid, key, model, method, (_domain,), kwargs = params["args"]
        assert (db, uid, key, method) == ("acme", 42, KEY, "search_read")
        if model == "res.partner":
            return 200, {}, rpc_answer([PARTNER], id_=call["id"])
        pages = {0: [move(1), move(2)], 2: [move(3)]}
        return 200, {}, rpc_answer(pages[kwargs["offset"]], id_=call["id"])

    with responses.RequestsMock() as mocked:
        mocked.add_callback("POST", f"{URL}/jsonrpc", callback=jsonrpc, content_type="application/json")
        invoices = list(backend.iter_invoices(tenant="default"))
    assert [i.id for i in invoices] == ["101", "102", "103"]
    assert seen[0]["params"] == {
        "service": "common",
        "method": "authenticate",
        "args": ["acme", "bot@acme.example", KEY, {}],
    }
    assert seen[0]["jsonrpc"] == "2.0" and seen[0]["method"] == "call"
    assert sum(1 for c in seen if c["params"]["service"] == "common") == 1  # the uid is kept


def test_json_rpc_errors_come_in_the_body(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = make_backend(FakeClock(), monkeypatch, api="jsonrpc", database="acme", uid="2")
    denied = {
        "code": 200,
        "message": "Odoo Server Error",
        "data": {"name": "odoo.exceptions.AccessDenied", "message": "Access Denied"},
    }
    broken = {
        "code": 200,
        "message": "Odoo Server Error",
        "data": {"name": "builtins.ValueError", "message": "Invalid field 'amount_residual'"},
    }
    for error, expected in ((denied, AuthError), (broken, PermanentError)):
        with responses.RequestsMock() as mocked:
            mocked.post(f"{URL}/jsonrpc", body=rpc_answer(error=error), content_type="application/json")
            with pytest.raises(expected) as failure:
                list(backend.iter_invoices(tenant="default"))
        assert KEY not in str(failure.value)


def test_json_rpc_needs_a_database_and_a_user(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="database and uid"):
        make_backend(FakeClock(), monkeypatch, api="jsonrpc")


# -- the contract kit on the legacy JSON-RPC transport ------------------------------------------------

JSONRPC = f"{URL}/jsonrpc"


def rpc_error(name: str, message: str) -> dict[str, Any]:
    """The ``error`` member Odoo's JSON-RPC dispatcher answers (HTTP 200) when a call raises."""
    return {
        "code": 200,
        "message": "Odoo Server Error",
        "data": {
            "name": name,
            "debug": "Traceback (most recent call last): …",
            "message": message,
            "arguments": [message],
            "context": {},
        },
    }


class TestOdooJsonRpcContract(BackendContract):
    """``POST /jsonrpc`` ``call`` ``object.execute_kw``: every answer is a JSON-RPC 2.0 envelope.

    One URL serves every model, so the account.move pages are routed by the ``args`` of the
    call; partners are answered on the side, and each envelope echoes its request's ``id``.
    """

    list_method = "POST"
    list_url = JSONRPC
    page_size = 3
    secrets = (KEY,)

    @pytest.fixture
    def backend(self, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Backend:
        return make_backend(clock, monkeypatch, api="jsonrpc", database="acme", uid="2", page_size=self.page_size)

    def register_pages(
        self, mocked: responses.RequestsMock, pages: Sequence[Sequence[Any]], *, prelude: Sequence[Reply] = ()
    ) -> PageServer:
        server = PageServer(self.envelope, pages, prelude)

        def route(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
            call = json.loads(request.body or "{}")
            params = call["params"]
            assert call["jsonrpc"] == "2.0" and call["method"] == "call"
            assert (params["service"], params["method"]) == ("object", "execute_kw")
            db, uid, key, model, method, (domain,), _kwargs = params["args"]
            assert (db, uid, key, method) == ("acme", 2, KEY, "search_read")
            if model == "res.partner":
                ids = domain[0][2]
                return (
                    200,
                    {"Content-Type": "application/json"},
                    rpc_answer([PARTNER] if 7 in ids else [], id_=call["id"]),
                )
            assert model == "account.move"
            status, headers, body = server(request)
            answer = (
                json.loads(body, parse_float=Decimal) if headers.get("Content-Type") == "application/json" else None
            )
            if isinstance(answer, dict) and "jsonrpc" in answer:
                body = dump_json({**answer, "id": call["id"]})  # JSON-RPC answers echo the call's id
            return status, headers, body

        mocked.add_callback(self.list_method, self.list_url, callback=route)
        return server

    def make_record(self, n: int) -> Any:
        return move(n)

    def break_record(self, record: Any) -> Any:
        return {**record, "invoice_date": False}  # Odoo sends false for an empty date

    def provider_id(self, record: Any) -> str:
        return str(record["id"])

    def envelope(self, records: Sequence[Any], *, page: int, last: bool) -> Reply:
        return Reply(200, json={"jsonrpc": "2.0", "id": None, "result": list(records)})  # id: set by the route

    def expected(self, n: int) -> Mapping[str, Any]:
        # 1001.0100000000001 rounded half-up to cents = 1001.01
        return {
            "id": str(100 + n),
            "number": f"INV/2025/{n:05d}",
            "debtor_id": "7",
            "amount": Money(f"{1000 + n}.{n:02d}", "EUR"),
            "issue_date": dt.date(2025, 1, 15),
            "due_date": dt.date(2025, 2, 14),
            "tenant": self.tenant,
            "source": "odoo",
        }

    def auth_failure_response(self) -> Reply:
        # a revoked API key: execute_kw raises AccessDenied, which JSON-RPC answers with HTTP 200
        return Reply(
            200,
            json={"jsonrpc": "2.0", "id": None, "error": rpc_error("odoo.exceptions.AccessDenied", "Access Denied")},
        )

    # -- beyond the kit: what else the JSON-RPC transport meets -----------------------------------
    def test_a_server_error_is_retried(
        self, backend: Backend, mocked: responses.RequestsMock, clock: FakeClock
    ) -> None:
        """A 502 from the proxy in front of Odoo is retried (a read is safe to repeat)."""
        server = self.register_pages(mocked, self._pages(2), prelude=[Reply(502, body="Bad Gateway")])
        assert [i.id for i in self.stream(backend)] == ["101", "102"]
        assert server.calls == 2 and len(clock.sleeps) == 1  # the 502, then the one (short, so last) page

    @pytest.mark.parametrize(
        "answer",
        [
            Reply(200, body="<html><body>Odoo is upgrading</body></html>"),  # not JSON
            Reply(200, json=[1, 2]),  # JSON, but not a JSON-RPC envelope
            Reply(200, json={"jsonrpc": "2.0", "id": None}),  # neither result nor error
            Reply(200, json={"jsonrpc": "2.0", "id": None, "result": {"records": []}}),  # not a list
            Reply(200, json={"jsonrpc": "2.0", "id": None, "error": "Internal Server Error"}),  # not an object
        ],
        ids=["html", "list", "empty-envelope", "result-not-a-list", "error-not-an-object"],
    )
    def test_a_malformed_answer_raises_malformed_response(
        self, backend: Backend, mocked: responses.RequestsMock, answer: Reply
    ) -> None:
        """Every malformed answer is a MalformedResponseError (a PermanentError), never a crash."""
        self.register_pages(mocked, [], prelude=[answer])
        with pytest.raises(MalformedResponseError) as failure:
            list(self.stream(backend))
        assert KEY not in str(failure.value)
        assert backend.last_synced(tenant=self.tenant) is None

    def test_a_server_side_exception_is_permanent_and_names_it(
        self, backend: Backend, mocked: responses.RequestsMock
    ) -> None:
        """An exception raised in Odoo comes back in ``error.data``: a PermanentError naming it."""
        error = rpc_error("builtins.ValueError", "Invalid field 'amount_residual' on model 'account.move'")
        self.register_pages(mocked, [], prelude=[Reply(200, json={"jsonrpc": "2.0", "id": None, "error": error})])
        with pytest.raises(PermanentError, match="ValueError: Invalid field 'amount_residual'") as failure:
            list(self.stream(backend))
        assert not isinstance(failure.value, AuthError)
