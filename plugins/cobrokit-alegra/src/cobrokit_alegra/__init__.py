"""cobrokit-alegra: the ``alegra`` backend (``GET /api/v1/invoices``)."""

from cobrokit_alegra.backend import AlegraBackend, receivable_from_alegra

__all__ = ["AlegraBackend", "receivable_from_alegra"]
