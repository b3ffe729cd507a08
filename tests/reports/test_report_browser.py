"""The HTML report in a real headless browser (Debian's Chromium, driven by Playwright).

CI installs the browser from the distribution (``apt-get install -y chromium``); Playwright's
own browser download is never used.
"""

import datetime as dt
from pathlib import Path

import pytest

from cobrokit.generate import generate_portfolio
from cobrokit.model import Debtor
from cobrokit.reports.html import write_report
from cobrokit.store.sqlite import SQLiteStore
from tests.factories import make_invoice

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AS_OF = dt.date(2026, 3, 31)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)",
    ),
]


def test_report_renders_in_chromium_with_its_chart_and_no_errors(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright  # a dev dependency: its absence is a failure

    store = SQLiteStore.open(tmp_path / "ledger.db")
    generate_portfolio(store, debtors=400, as_of=AS_OF, currencies=("EUR", "USD"))
    # a hostile name must be shown as text, never run
    store.save(
        debtors=[Debtor(id="Z1", name="<script>console.error('pwned')</script> & Co")],
        invoices=[make_invoice("Z-1", "Z1", "999999.00", issue="2026-01-01", due="2026-01-31")],
    )
    out = tmp_path / "report.html"
    figures = write_report(store, AS_OF, out, top=10)
    store.close()

    console: list[tuple[str, str]] = []
    page_errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: console.append((m.type, m.text)))
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(out.as_uri())
            page.wait_for_load_state("load")
            assert page.title().startswith("Receivables report")
            charts = page.locator("svg.aging-chart")
            assert charts.count() == len(figures.currencies) == 2
            for index in range(charts.count()):
                chart = charts.nth(index)
                assert chart.is_visible()
                assert chart.locator("rect.bar").count() == 6  # one bar per aging bucket
            # the tallest EUR bar is the largest EUR bucket
            eur = figures.currency("EUR")
            bars = page.locator('svg.aging-chart[data-currency="EUR"] rect.bar')
            heights = [int(bars.nth(i).get_attribute("height") or "0") for i in range(6)]
            assert heights.index(max(heights)) == eur.buckets.index(max(eur.buckets))
            assert page.locator("tr.top-debtor").count() == 20  # top 10 per currency
            assert "<script>console.error('pwned')</script> & Co" in page.locator("table.top").first.inner_text()
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert page_errors == []
    assert [m for m in console if m[0] in ("error", "warning")] == []
    assert requests == [out.as_uri()]  # self-contained: nothing else is fetched
    assert (tmp_path / "report.png").stat().st_size > 10_000
