"""cobrokit-holded: the ``holded`` backend (``GET /api/invoicing/v1/documents/invoice``)."""

from cobrokit_holded.backend import HoldedBackend, debtor_from_contact, receivable_from_holded

__all__ = ["HoldedBackend", "debtor_from_contact", "receivable_from_holded"]
