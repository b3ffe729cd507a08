"""cobrokit: get unpaid invoices paid.

The most used names are re-exported here; each lives in its own module:

* the domain: :class:`Money`, :class:`Debtor`, :class:`Invoice`, :class:`Payment`,
  :class:`CreditNote` (:mod:`cobrokit.money`, :mod:`cobrokit.model`);
* the store and imports: :class:`SQLiteStore` (:mod:`cobrokit.store`),
  :func:`import_csv` (:mod:`cobrokit.importing`);
* the run: :func:`sync_backend` (:mod:`cobrokit.sync`: an accounting backend into the
  store), :func:`load_config` (:mod:`cobrokit.ladder`), :func:`run_ladder` and
  :func:`preview_debtor` (:mod:`cobrokit.engine`), :func:`dispatch` (:mod:`cobrokit.dispatch`),
  :func:`simulate` (:mod:`cobrokit.simulation`), :func:`record_contact`
  (:mod:`cobrokit.casework`), :func:`journal_entries` (:mod:`cobrokit.store.journal`);
* interest: :func:`compute_interest` (:mod:`cobrokit.interest`);
* reports: :func:`aging_report` (:mod:`cobrokit.reports`);
* plugins: :func:`get_plugin_host`, :data:`hookimpl` (:mod:`cobrokit.plugins`).

See ``docs/`` for the guides.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cobrokit.errors import CobrokitError, ValidationError
from cobrokit.model import (
    DEFAULT_TENANT,
    Address,
    Allocation,
    CreditNote,
    Debtor,
    Invoice,
    Payment,
    PaymentMethod,
)
from cobrokit.money import Money

__version__ = "0.1.0"

_LAZY = {
    "SQLiteStore": "cobrokit.store.sqlite",
    "import_csv": "cobrokit.importing",
    "load_config": "cobrokit.ladder.config",
    "run_ladder": "cobrokit.engine",
    "preview_debtor": "cobrokit.engine",
    "journal_entries": "cobrokit.store.journal",
    "sync_backend": "cobrokit.sync",
    "dispatch": "cobrokit.dispatch",
    "simulate": "cobrokit.simulation",
    "record_contact": "cobrokit.casework",
    "compute_interest": "cobrokit.interest",
    "aging_report": "cobrokit.reports.aging",
    "get_plugin_host": "cobrokit.plugins",
    "hookimpl": "cobrokit.plugins",
}

if TYPE_CHECKING:
    from cobrokit.casework import record_contact
    from cobrokit.dispatch import dispatch
    from cobrokit.engine import preview_debtor, run_ladder
    from cobrokit.importing import import_csv
    from cobrokit.interest import compute_interest
    from cobrokit.ladder.config import load_config
    from cobrokit.plugins import get_plugin_host, hookimpl
    from cobrokit.reports.aging import aging_report
    from cobrokit.simulation import simulate
    from cobrokit.store.journal import journal_entries
    from cobrokit.store.sqlite import SQLiteStore
    from cobrokit.sync import sync_backend


def __getattr__(name: str) -> Any:
    """Import the heavier entry points on first use, keeping ``import cobrokit`` light."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cobrokit' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_TENANT",
    "Address",
    "Allocation",
    "CobrokitError",
    "CreditNote",
    "Debtor",
    "Invoice",
    "Money",
    "Payment",
    "PaymentMethod",
    "SQLiteStore",
    "ValidationError",
    "__version__",
    "aging_report",
    "compute_interest",
    "dispatch",
    "get_plugin_host",
    "hookimpl",
    "import_csv",
    "journal_entries",
    "load_config",
    "preview_debtor",
    "record_contact",
    "run_ladder",
    "simulate",
    "sync_backend",
]
