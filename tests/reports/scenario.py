"""Small ledgers for the report tests, built with the real store, engine and dispatcher."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from cobrokit.dispatch import dispatch
from cobrokit.engine import run_ladder
from cobrokit.ladder.config import Config, default_config
from cobrokit.model import Address, Allocation, Debtor, Payment
from cobrokit.money import Money
from cobrokit.plugins import get_plugin_host
from cobrokit.plugins.manager import PluginHost
from cobrokit.store import journal as jr
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import Recorder, recorders

CONFIG = default_config()


def spanish_debtor(debtor_id: str = "D1", name: str = "Talleres Ruiz SL") -> Debtor:
    """A Spanish company debtor reachable on every channel."""
    return Debtor(
        id=debtor_id,
        name=name,
        emails=(f"cuentas@{debtor_id.lower()}.example",),
        phones=("+34600000001",),
        address=Address(lines=("Calle Mayor 1",), city="Madrid", postal_code="28013", country="ES"),
        locale="es_ES",
        timezone="Europe/Madrid",
        country="ES",
        tax_id="B12345678",
    )


def pay(
    payment_id: str, debtor_id: str, day: str, amount: str, *alloc: tuple[str, str], currency: str = "EUR"
) -> Payment:
    """A payment with its allocations ``(invoice_id, amount)``."""
    return Payment(
        id=payment_id,
        debtor_id=debtor_id,
        date=dt.date.fromisoformat(day),
        amount=Money(amount, currency),
        allocations=tuple(Allocation(i, Money(a, currency)) for i, a in alloc),
    )


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """*day* at *hour* UTC."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def run_days(
    store: SQLiteStore,
    days: Iterable[dt.date],
    *,
    config: Config = CONFIG,
    host: PluginHost | None = None,
    channels: dict[str, Recorder] | None = None,
) -> dict[str, Recorder]:
    """Run the ladder and deliver, once a day at 10:00 UTC, with recording channels."""
    host = host or get_plugin_host(autoload=False)
    channels = channels if channels is not None else recorders()
    for day in days:
        run_ladder(store, day, config=config, now=at(day))
        dispatch(store, host, config=config, now=at(day), channels=channels)  # type: ignore[arg-type]
    return channels


def sent_notice(
    store: SQLiteStore,
    debtor_id: str,
    currency: str,
    stage: str,
    channel: str,
    day: str,
    *,
    status: str = "sent",
) -> str:
    """An outbox notice row written directly (for hand-computed report scenarios); returns its key."""
    key = f"default/{debtor_id}/{stage}/{currency}1/{channel}"
    row = jr.outbox_row(
        key=key,
        tenant="default",
        debtor_id=debtor_id,
        currency=currency,
        stage=stage,
        cycle=f"{currency}1",
        channel=channel,
        fallback=(),
        kind="notice",
        as_of=dt.date.fromisoformat(day),
        not_before="",
        payload={"invoices": []},
        now=f"{day}T10:00:00+00:00",
    )
    jr.insert_outbox(store, [row])
    with store.transaction() as conn:
        conn.execute("UPDATE outbox SET status = ?, provider_id = ? WHERE key = ?", (status, f"p-{key}", key))
    return key
