"""cobrokit-erpnext: the ``erpnext`` backend (Frappe REST ``Sales Invoice``)."""

from cobrokit_erpnext.backend import ErpNextBackend, receivable_from_sales_invoice

__all__ = ["ErpNextBackend", "receivable_from_sales_invoice"]
