"""The portfolio report as one self-contained HTML file, plus the same figures as CSV and JSON.

Open it in any browser, mail it, archive it: no server, no script, no external asset (the
CSS is inline, the aging chart is inline SVG, the favicon is a ``data:`` URL). The page
holds only aggregates and the top debtors (:mod:`cobrokit.reports.figures`), so a
portfolio of 300,000 debtors gives the same few tens of kilobytes as one of 300.

Every text that comes from the data (debtor names, stage ids…) is HTML-escaped. Amounts
are formatted with Babel in the report's locale; chart geometry is integer arithmetic.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
from collections.abc import Sequence
from pathlib import Path

from cobrokit import __version__
from cobrokit.aging import BUCKETS
from cobrokit.formatting import format_date, format_money, normalize_locale
from cobrokit.model import DEFAULT_TENANT
from cobrokit.money import Money
from cobrokit.reports.figures import CurrencyFigures, PortfolioFigures, portfolio_figures
from cobrokit.store.sqlite import SQLiteStore

__all__ = ["aging_chart_svg", "figures_csv", "figures_json", "render_report_html", "write_report"]

BAR_COLOURS: tuple[str, ...] = ("#2e7d32", "#9e9d24", "#f9a825", "#ef6c00", "#d84315", "#b71c1c")
"""Bar colour per bucket, from current (green) to over 120 days (dark red)."""

_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: #1d2733; background: #f4f6f8; margin: 0; }
header { background: #1d3557; color: #fff; padding: 20px 32px; }
header h1 { margin: 0 0 4px; font-size: 24px; font-weight: 600; }
header p { margin: 0; opacity: .85; }
main { max-width: 1180px; margin: 0 auto; padding: 16px 24px 48px; }
section.currency { background: #fff; border-radius: 10px; box-shadow: 0 1px 3px rgba(0,0,0,.08);
                   padding: 20px 24px; margin: 20px 0; }
h2 { font-size: 20px; margin: 0 0 12px; }
h3 { font-size: 16px; margin: 22px 0 8px; color: #34495e; }
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(165px, 1fr)); gap: 10px; }
.kpi { background: #f7f9fb; border: 1px solid #e3e8ee; border-radius: 8px; padding: 10px 12px; }
.kpi .label { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: #5c6b7a; }
.kpi .value { font-size: 20px; font-weight: 600; margin-top: 2px; font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { padding: 6px 8px; border-bottom: 1px solid #e6eaee; text-align: left; vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .03em; color: #5c6b7a; background: #fafbfc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.total td { font-weight: 600; border-top: 2px solid #cfd8e0; }
.chart { width: 100%; max-width: 720px; height: auto; display: block; }
.chart text { font: 12px system-ui, sans-serif; fill: #34495e; }
.chart .axis { stroke: #9aa7b4; stroke-width: 1; }
.muted { color: #6b7a89; font-size: 13px; }
footer { max-width: 1180px; margin: 0 auto; padding: 0 24px 32px; color: #6b7a89; font-size: 13px; }
dl.defs dt { font-weight: 600; margin-top: 8px; }
dl.defs dd { margin: 2px 0 0 0; }
.scroll { overflow-x: auto; }
table.top { font-size: 13px; }
table.top th, table.top td { padding: 5px 6px; }
"""

_BUCKET_LABELS = {
    "current": "current",
    "1-30": "1-30 days",
    "31-60": "31-60 days",
    "61-90": "61-90 days",
    "91-120": "91-120 days",
    "over-120": "over 120 days",
}

_CHART_W = 720
_CHART_H = 260
_PLOT_TOP = 28
_PLOT_BOTTOM = 216
_PLOT_LEFT = 20
_SLOT = 112
_BAR_W = 72


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _money(minor: int, currency: str, locale: str) -> str:
    return format_money(Money.from_minor(minor, currency), locale)


def _percent(value: object) -> str:
    return "n/a" if value is None else f"{value} %"


def aging_chart_svg(figures: CurrencyFigures, locale: str = "en") -> str:
    """The aging buckets of one currency as an inline SVG bar chart (one ``rect.bar`` per bucket).

    Bar heights are proportional to the amounts, computed in integers (no floats).
    """
    currency = figures.currency
    biggest = max(figures.buckets) if figures.buckets else 0
    plot_h = _PLOT_BOTTOM - _PLOT_TOP
    parts = [
        f'<svg class="chart aging-chart" data-currency="{_e(currency)}" role="img" '
        f'viewBox="0 0 {_CHART_W} {_CHART_H}" xmlns="http://www.w3.org/2000/svg" '
        f'aria-labelledby="chart-title-{_e(currency)}">',
        f'<title id="chart-title-{_e(currency)}">Aging of {_e(currency)} receivables by days past due</title>',
        f'<line class="axis" x1="{_PLOT_LEFT}" y1="{_PLOT_BOTTOM}" x2="{_CHART_W - 10}" y2="{_PLOT_BOTTOM}"/>',
    ]
    for index, (bucket, minor) in enumerate(zip(BUCKETS, figures.buckets, strict=True)):
        height = (minor * plot_h) // biggest if biggest > 0 else 0
        if minor > 0:
            height = max(height, 1)
        x = _PLOT_LEFT + index * _SLOT + (_SLOT - _BAR_W) // 2
        y = _PLOT_BOTTOM - height
        amount = _money(minor, currency, locale)
        centre = x + _BAR_W // 2
        label = _BUCKET_LABELS[bucket]
        parts += [
            f'<rect class="bar" data-bucket="{_e(bucket)}" data-amount-minor="{minor}" x="{x}" y="{y}" '
            f'width="{_BAR_W}" height="{height}" rx="3" fill="{BAR_COLOURS[index]}">'
            f"<title>{_e(label)}: {_e(amount)}</title></rect>",
            f'<text x="{centre}" y="{max(y - 6, 14)}" text-anchor="middle">{_e(amount)}</text>',
            f'<text x="{centre}" y="{_PLOT_BOTTOM + 18}" text-anchor="middle">{_e(label)}</text>',
        ]
    parts.append("</svg>")
    return "".join(parts)


def _kpis(f: CurrencyFigures, locale: str) -> str:
    c = f.currency
    items = [
        ("Receivables", _money(f.total, c, locale)),
        ("Overdue", _money(f.overdue, c, locale)),
        ("Debtors owing", str(f.debtors_owing)),
        ("Collected in period", _money(f.collected, c, locale)),
        ("DSO", "n/a" if f.dso is None else f"{f.dso} days"),
        ("CEI", _percent(f.cei)),
    ]
    cells = "".join(
        f'<div class="kpi" data-kpi="{_e(label.lower().replace(" ", "_"))}">'
        f'<div class="label">{_e(label)}</div>'
        f'<div class="value">{_e(value)}</div></div>'
        for label, value in items
    )
    return f'<div class="kpis">{cells}</div>'


def _aging_table(f: CurrencyFigures, locale: str) -> str:
    c = f.currency
    head = "".join(f'<th class="num">{_e(b)}</th>' for b in BUCKETS) + '<th class="num">total</th>'
    cells = "".join(f'<td class="num">{_e(_money(v, c, locale))}</td>' for v in f.buckets)
    cells += f'<td class="num">{_e(_money(f.total, c, locale))}</td>'
    return f'<table class="aging"><thead><tr>{head}</tr></thead><tbody><tr>{cells}</tr></tbody></table>'


def _top_table(f: CurrencyFigures, locale: str) -> str:
    c = f.currency
    if not f.top:
        return '<p class="muted">Nobody owes anything in this currency.</p>'
    head = (
        "<th>#</th><th>Debtor</th>"
        + "".join(f'<th class="num">{_e(b)}</th>' for b in BUCKETS)
        + '<th class="num">total</th>'
        + '<th class="num" title="days past due of the oldest open invoice">oldest</th><th>stage</th>'
    )
    rows = []
    for rank, t in enumerate(f.top, start=1):
        buckets = "".join(f'<td class="num">{_e(_money(v, c, locale)) if v else "–"}</td>' for v in t.buckets)
        rows.append(
            f'<tr class="top-debtor" data-debtor="{_e(t.debtor_id)}"><td class="num">{rank}</td>'
            f'<td>{_e(t.name)}<br><span class="muted">{_e(t.debtor_id)}</span></td>{buckets}'
            f'<td class="num">{_e(_money(t.total, c, locale))}</td><td class="num">{t.oldest_days}</td>'
            f"<td>{_e(t.stage or '—')}</td></tr>"
        )
    return (
        f'<div class="scroll"><table class="top"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _recovery_table(f: CurrencyFigures, locale: str, window: int) -> str:
    c = f.currency
    if not f.recovery:
        return '<p class="muted">No notice was sent and no payment followed one in this period.</p>'
    rows = []
    total_minor = 0
    total_sent = 0
    total_payments = 0
    for r in f.recovery:
        total_minor += r.recovered_minor
        total_sent += r.notices_sent
        total_payments += r.payments
        rows.append(
            f'<tr class="recovery" data-stage="{_e(r.stage)}" data-channel="{_e(r.channel)}">'
            f'<td>{_e(r.stage)}</td><td>{_e(r.channel)}</td><td class="num">{r.notices_sent}</td>'
            f'<td class="num">{r.payments}</td>'
            f'<td class="num">{_e(_money(r.recovered_minor, c, locale))}</td></tr>'
        )
    rows.append(
        f'<tr class="total"><td>all stages</td><td></td><td class="num">{total_sent}</td>'
        f'<td class="num">{total_payments}</td><td class="num">{_e(_money(total_minor, c, locale))}</td></tr>'
    )
    head = (
        '<th>stage</th><th>channel</th><th class="num">notices sent</th>'
        f'<th class="num">payments within {window} days</th><th class="num">recovered</th>'
    )
    return f'<table class="recovery"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _promise_table(f: CurrencyFigures, locale: str) -> str:
    c = f.currency
    p = f.promises
    if p is None or not (p.kept or p.broken or p.pending):
        return '<p class="muted">No promise to pay fell due in this period.</p>'
    rows = "".join(
        f'<tr class="promise" data-outcome="{name}"><td>{name}</td><td class="num">{count}</td>'
        f'<td class="num">{_e(_money(minor, c, locale))}</td></tr>'
        for name, count, minor in (
            ("kept", p.kept, p.kept_minor),
            ("broken", p.broken, p.broken_minor),
            ("pending", p.pending, p.pending_minor),
        )
    )
    rate = "n/a" if p.kept_rate is None else f"{p.kept_rate} %"
    return (
        '<table class="promises"><thead><tr><th>outcome</th><th class="num">promises</th>'
        f'<th class="num">amount</th></tr></thead><tbody>{rows}</tbody></table>'
        f'<p class="muted">Kept rate (kept ÷ decided): {_e(rate)}</p>'
    )


def _section(f: CurrencyFigures, figures: PortfolioFigures, locale: str) -> str:
    c = f.currency
    cei_detail = (
        f"Start receivables {_money(f.receivables_begin, c, locale)} + credit sales "
        f"{_money(f.credit_sales, c, locale)} − end receivables {_money(f.receivables_end, c, locale)} "
        f"(of which current {_money(f.current_end, c, locale)})."
    )
    return (
        f'<section class="currency" id="currency-{_e(c)}" data-currency="{_e(c)}">'
        f"<h2>{_e(c)}</h2>"
        f"{_kpis(f, locale)}"
        f'<p class="muted">{_e(cei_detail)}</p>'
        f"<h3>Aging</h3>{aging_chart_svg(f, locale)}{_aging_table(f, locale)}"
        f"<h3>Top {len(f.top)} debtors by balance</h3>{_top_table(f, locale)}"
        f"<h3>What each ladder stage recovered</h3>{_recovery_table(f, locale, figures.recovery_days)}"
        f"<h3>Promises to pay</h3>{_promise_table(f, locale)}"
        "</section>"
    )


def render_report_html(figures: PortfolioFigures, *, locale: str = "en", title: str = "Receivables report") -> str:
    """The report page for *figures* (a complete, self-contained HTML document)."""
    loc = normalize_locale(locale)
    as_of = format_date(figures.as_of, loc, "long")
    start = format_date(figures.period_start, loc, "long")
    body = "".join(_section(f, figures, loc) for f in figures.currencies) or (
        '<section class="currency"><p>The ledger has no receivables as of this date.</p></section>'
    )
    definitions = (
        '<dl class="defs">'
        "<dt>Aging</dt><dd>Open principal of each invoice as of the report date, by days past its due date; "
        "payments and credit notes dated later do not count.</dd>"
        f"<dt>DSO</dt><dd>Receivables at the end ÷ credit sales of the {figures.period_days}-day period × "
        f"{figures.period_days}.</dd>"
        "<dt>CEI</dt><dd>(start receivables + credit sales − end receivables) ÷ (start receivables + credit "
        "sales − end current receivables) × 100.</dd>"
        f"<dt>Recovered</dt><dd>Payments received in the period within {figures.recovery_days} days after a "
        "notice was sent, each credited to the last notice sent to that debtor in that currency before it "
        "(thank-you notices excluded).</dd>"
        f"<dt>Promises</dt><dd>Promises to pay whose date fell in the period; kept when the promised amount "
        f"arrived by the promised date plus {figures.promise_grace_days} days of grace.</dd>"
        "</dl>"
    )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{_e(loc.split("_")[0])}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f'<meta name="generator" content="cobrokit {_e(__version__)}">'
        f"<title>{_e(title)} — {_e(figures.as_of.isoformat())}</title><style>{_CSS}</style></head>"
        f"<body><header><h1>{_e(title)}</h1><p>Tenant {_e(figures.tenant)} · as of {_e(as_of)} · "
        f"period {_e(start)} – {_e(as_of)} ({figures.period_days} days)</p></header>"
        f"<main>{body}</main>"
        f"<footer><h3>How the figures are computed</h3>{definitions}"
        f"<p>Generated by cobrokit {_e(__version__)}. Amounts per currency; currencies are never added "
        "together.</p></footer></body></html>\n"
    )


def figures_json(figures: PortfolioFigures) -> str:
    """The figures as JSON text (see :meth:`PortfolioFigures.to_json`)."""
    return json.dumps(figures.to_json(), indent=2, ensure_ascii=False) + "\n"


def figures_csv(figures: PortfolioFigures) -> str:
    """The figures as CSV text, one figure per row: ``section,currency,item,field,value``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "currency", "item", "field", "value"])
    writer.writerows(figures.csv_rows())
    return out.getvalue()


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_report(
    store: SQLiteStore,
    as_of: dt.date,
    out: Path | None,
    *,
    tenant: str = DEFAULT_TENANT,
    csv_path: Path | None = None,
    json_path: Path | None = None,
    period_days: int = 90,
    recovery_days: int = 14,
    top: int = 20,
    promise_grace_days: int = 2,
    locale: str = "en",
) -> PortfolioFigures:
    """Compute the figures once and write the HTML report and, if asked, the CSV and JSON files.

    Returns the figures (for callers that print a summary).
    """
    figures = portfolio_figures(
        store,
        as_of,
        tenant=tenant,
        period_days=period_days,
        recovery_days=recovery_days,
        top=top,
        promise_grace_days=promise_grace_days,
    )
    written: Sequence[tuple[Path | None, str]] = (
        (out, render_report_html(figures, locale=locale) if out is not None else ""),
        (csv_path, figures_csv(figures) if csv_path is not None else ""),
        (json_path, figures_json(figures) if json_path is not None else ""),
    )
    for path, text in written:
        if path is not None:
            _write(path, text)
    return figures
