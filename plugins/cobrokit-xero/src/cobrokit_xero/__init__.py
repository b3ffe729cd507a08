"""cobrokit-xero: the ``xero`` backend (Accounting API ``GET /Invoices``, ACCREC, AUTHORISED) and invoice PDFs."""

from cobrokit_xero.backend import XeroBackend, parse_ms_date, receivable_from_xero
from cobrokit_xero.plugin import XeroHooks

__all__ = ["XeroBackend", "XeroHooks", "parse_ms_date", "receivable_from_xero"]
