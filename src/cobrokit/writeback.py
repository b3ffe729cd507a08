"""Writing back to the debtor's accounting backend after a notice is delivered.

A backend may declare optional write-backs (:mod:`cobrokit.backend`). After the dispatcher
delivers a notice (:func:`cobrokit.dispatch.dispatch`) it uses two of them:

* :attr:`~cobrokit.backend.Capability.ADD_NOTE`: a note on the debtor's customer record
  saying what was sent — stage, channel, date, invoices and amounts; never an address, a
  pay-now link, a token or any other secret (:func:`note_text`);
* :attr:`~cobrokit.backend.Capability.POST_CHARGE`: the dunning fee the run charged for the
  notice's stage and cycle, posted as a charge — once per fee.

Each is called only when it is wanted (``[backend] write_back``) **and** the backend declares
it (:func:`cobrokit.backend.supports`), and only for a debtor whose invoices came from that
backend (``Invoice.source``). Every call carries a deterministic idempotency key derived from
the key of the effect it reports (:func:`note_key`, :func:`charge_key`), which the backend
passes on to its provider, so a retry after a crash never writes twice; the dispatcher also
journals each write-back and checks the journal before writing again.

This module plans and performs the calls; the dispatcher reads the store and journals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

import attrs

from cobrokit.backend import Capability, supports
from cobrokit.ladder.config import BackendPolicy
from cobrokit.money import Money
from cobrokit.notice import Notice

__all__ = [
    "CHARGE",
    "NOTE",
    "WRITE_BACKS",
    "WriteBack",
    "WriteBackCall",
    "charge_description",
    "charge_key",
    "note_key",
    "note_text",
]

WRITE_BACKS = frozenset({Capability.ADD_NOTE, Capability.POST_CHARGE})
"""The write-backs the dispatcher knows how to make."""

NOTE = "backend_note"
"""Journal kind of a note written on the customer record (``backend_note_failed`` when it failed)."""
CHARGE = "backend_charge"
"""Journal kind of a fee posted as a charge (``backend_charge_failed`` when it failed)."""

_METHODS = {Capability.ADD_NOTE: "add_note", Capability.POST_CHARGE: "post_charge"}


def note_key(notice_key: str) -> str:
    """The idempotency key of the note about the notice with key *notice_key*."""
    return f"{notice_key}:note"


def charge_key(fee_key: str) -> str:
    """The idempotency key of the charge posting the fee with key *fee_key*."""
    return f"{fee_key}:charge"


def note_text(notice: Notice, *, channel: str, sent_on: dt.date) -> str:
    """What was sent, for the customer record: plain text, amounts exact, no secret.

    Example: ``cobrokit sent the "ultimatum" notice by letter on 2026-04-01: invoices F1
    (EUR 1210.00 open, due 2026-03-02); principal EUR 1210.00, fees EUR 15.00, total due
    EUR 1225.00; pay by 2026-04-11. Ref default/D1/ultimatum/EUR1/letter.``
    """
    what = f'cobrokit sent the "{notice.stage}" notice by {channel} on {sent_on.isoformat()}'
    details: list[str] = []
    if notice.lines:
        listed = ", ".join(
            f"{line.number} ({line.open} open, due {line.due_date.isoformat()})" for line in notice.lines
        )
        details.append(f"invoices {listed}")
    amounts = [f"principal {notice.principal}"]
    if not notice.fees.is_zero():
        amounts.append(f"fees {notice.fees}")
    if notice.interest is not None:
        amounts.append(f"interest {notice.interest.interest}")
        if not notice.interest.compensation.is_zero():
            amounts.append(f"compensation {notice.interest.compensation}")
    amounts.append(f"total due {notice.total_due}")
    details.append(", ".join(amounts))
    if notice.firm_date is not None:
        details.append(f"pay by {notice.firm_date.isoformat()}")
    return f"{what}: {'; '.join(details)}. Ref {notice.key}."


def charge_description(notice: Notice, *, sent_on: dt.date) -> str:
    """The charge's description: which fee, announced by which notice."""
    numbers = ", ".join(line.number for line in notice.lines)
    about = f" (invoices {numbers})" if numbers else ""
    return f'Dunning fee: "{notice.stage}" notice of {sent_on.isoformat()}{about}'


@attrs.frozen(slots=True)
class WriteBackCall:
    """One write-back to make: the capability's method, its arguments and its key.

    Attributes:
        kind: :data:`NOTE` or :data:`CHARGE` (the journal kind).
        capability: which capability's method is called.
        key: the deterministic idempotency key passed to the backend.
        arguments: the method's other keyword arguments (``tenant``, ``debtor_id``…).
        detail: what the journal records about it (plain data, no secret).
    """

    kind: str
    capability: Capability
    key: str
    arguments: Mapping[str, Any]
    detail: Mapping[str, Any]


class WriteBack:
    """A backend to write back to, and which write-backs are wanted.

    Args:
        backend: the backend object.
        wanted: the capabilities to use (default :data:`WRITE_BACKS`); the backend must also
            declare each one.

    Example::

        dispatch(store, host, config=config, now=now, write_back=WriteBack(my_backend))
    """

    def __init__(self, backend: object, *, wanted: Iterable[Capability] = WRITE_BACKS) -> None:
        self.wanted = frozenset(wanted) & WRITE_BACKS
        self._build: Callable[[], object] = lambda: backend
        self._built: object | None = backend
        self._error: Exception | None = None

    @classmethod
    def lazy(cls, build: Callable[[], object], *, wanted: Iterable[Capability] = WRITE_BACKS) -> WriteBack:
        """A write-back whose backend is built by *build* on first use: a backend that cannot be
        built fails its write-backs (journaled), never the dispatch."""
        write_back = cls(None, wanted=wanted)
        write_back._build = build
        write_back._built = None
        return write_back

    @classmethod
    def from_config(cls, build: Callable[[str, Mapping[str, Any]], object], policy: BackendPolicy) -> WriteBack | None:
        """From the ``[backend]`` table; ``None`` when it wants no write-back.

        Args:
            build: builds a backend from its name and settings (``PluginHost.backend``).
            policy: the configuration's :attr:`~cobrokit.ladder.config.Config.backend`.
        """
        wanted = frozenset(Capability(name) for name in policy.write_back)
        if not policy.name or not wanted:
            return None
        return cls.lazy(lambda: build(policy.name, policy.settings), wanted=wanted)

    def backend(self) -> object:
        """The backend, built on first use.

        Raises:
            Exception: it could not be built (the same error on every later call).
        """
        if self._built is None:
            if self._error is not None:
                raise self._error
            try:
                self._built = self._build()
            except Exception as exc:  # a plugin's factory may raise anything
                self._error = exc
                raise
        return self._built

    def backend_name(self) -> str:
        """The backend's name — the ``source`` of the invoices it owns (builds the backend)."""
        return str(getattr(self.backend(), "name", ""))

    def uses(self, capability: Capability) -> bool:
        """True when *capability* is wanted and the (built) backend supports it."""
        return capability in self.wanted and supports(self.backend(), capability)

    def plan(
        self,
        notice: Notice,
        *,
        channel: str,
        sent_on: dt.date,
        owned: Collection[str],
        fee: tuple[str, Money] | None = None,
    ) -> list[WriteBackCall]:
        """The write-backs for *notice*, delivered on *channel* on *sent_on*.

        Args:
            owned: ids of the debtor's invoices that came from this backend; none means the
                debtor is not the backend's, and nothing is written.
            fee: ``(fee key, amount)`` of the fee charged for the notice's stage and cycle.

        Raises:
            Exception: the backend could not be built.
        """
        if not owned:
            return []
        calls: list[WriteBackCall] = []
        base = {"tenant": notice.tenant, "debtor_id": notice.debtor.id}
        if self.uses(Capability.ADD_NOTE):
            text = note_text(notice, channel=channel, sent_on=sent_on)
            calls.append(
                WriteBackCall(NOTE, Capability.ADD_NOTE, note_key(notice.key), {**base, "text": text}, {"text": text})
            )
        if fee is not None and not fee[1].is_zero() and self.uses(Capability.POST_CHARGE):
            fee_key, amount = fee
            invoice_id = next((line.invoice_id for line in notice.lines if line.invoice_id in owned), "")
            description = charge_description(notice, sent_on=sent_on)
            calls.append(
                WriteBackCall(
                    CHARGE,
                    Capability.POST_CHARGE,
                    charge_key(fee_key),
                    {**base, "amount": amount, "description": description, "invoice_id": invoice_id},
                    {
                        "fee_key": fee_key,
                        "amount": amount.format_amount(),
                        "currency": amount.currency,
                        "invoice_id": invoice_id,
                    },
                )
            )
        return calls

    def keys(self, notice_key: str, fee_key: str | None) -> list[tuple[str, str]]:
        """``(journal kind, idempotency key)`` of every wanted write-back for a delivered notice
        (with *fee_key* when a fee was charged), whether the backend supports it or not."""
        keys = [(NOTE, note_key(notice_key))] if Capability.ADD_NOTE in self.wanted else []
        if fee_key is not None and Capability.POST_CHARGE in self.wanted:
            keys.append((CHARGE, charge_key(fee_key)))
        return keys

    def perform(self, call: WriteBackCall) -> str:
        """Make *call*; returns the backend's description of what it did.

        Raises:
            Exception: whatever the backend raised (the dispatcher journals it).
        """
        method = getattr(self.backend(), _METHODS[call.capability])
        return str(method(key=call.key, **call.arguments))
