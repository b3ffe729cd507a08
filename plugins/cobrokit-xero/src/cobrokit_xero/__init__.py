"""cobrokit-xero: the ``xero`` backend (Accounting API ``GET /Invoices``, ACCREC, AUTHORISED)."""

from cobrokit_xero.backend import XeroBackend, parse_ms_date, receivable_from_xero

__all__ = ["XeroBackend", "parse_ms_date", "receivable_from_xero"]
