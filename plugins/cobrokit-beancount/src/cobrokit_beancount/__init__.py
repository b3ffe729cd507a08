"""cobrokit-beancount: the ``beancount`` backend (receivables from a Beancount ledger)."""

from cobrokit_beancount.backend import BeancountBackend, LedgerRecords, read_ledger

__all__ = ["BeancountBackend", "LedgerRecords", "read_ledger"]
