"""cobrokit-odoo: the ``odoo`` backend (``account.move`` customer invoices, JSON-2 or JSON-RPC)."""

from cobrokit_odoo.backend import OdooBackend, debtor_from_partner, odoo_money, receivable_from_move

__all__ = ["OdooBackend", "debtor_from_partner", "odoo_money", "receivable_from_move"]
