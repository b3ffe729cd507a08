"""cobrokit-quickbooks: the ``quickbooks`` backend (QuickBooks Online Accounting API, query endpoint)."""

from cobrokit_quickbooks.backend import QuickBooksBackend, receivable_from_qbo, request_id

__all__ = ["QuickBooksBackend", "receivable_from_qbo", "request_id"]
