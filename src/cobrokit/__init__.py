"""cobrokit: get unpaid invoices paid.

The public API is re-exported here; see ``docs/`` for the guides.
"""

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
    "ValidationError",
    "__version__",
]
