"""Reports computed from the store: aging, the HTML portfolio report, statements and case files.

* :func:`aging_report` — who owes what, for how long (:mod:`cobrokit.reports.aging`);
* :func:`portfolio_figures` / :func:`write_report` — aggregates, top debtors, recovery by
  ladder stage, promises, DSO and CEI, as HTML, CSV and JSON (:mod:`cobrokit.reports.figures`,
  :mod:`cobrokit.reports.html`);
* :func:`debtor_statement` — a debtor's statement of account, HTML and PDF
  (:mod:`cobrokit.reports.statement`);
* :func:`build_dossier` — the case file for an agency or a lawyer (:mod:`cobrokit.reports.dossier`).
"""

from cobrokit.reports.aging import aging_report
from cobrokit.reports.dossier import build_dossier
from cobrokit.reports.figures import portfolio_figures
from cobrokit.reports.html import write_report
from cobrokit.reports.statement import debtor_statement

__all__ = ["aging_report", "build_dossier", "debtor_statement", "portfolio_figures", "write_report"]
