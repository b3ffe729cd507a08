"""cobrokit-stripe: the ``stripe`` backend (open invoices), pay-now links, service suspension, invoice PDFs."""

from cobrokit_stripe.backend import StripeBackend, receivable_from_stripe, stripe_money
from cobrokit_stripe.plugin import StripeHooks

__all__ = ["StripeBackend", "StripeHooks", "receivable_from_stripe", "stripe_money"]
