"""Reports computed from the store: aging, and (later) the HTML report, statements, dossiers."""

from cobrokit.reports.aging import aging_report

__all__ = ["aging_report"]
