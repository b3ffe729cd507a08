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
from decimal import Decimal
from pathlib import Path

from cobrokit import __version__
from cobrokit.aging import BUCKETS
from cobrokit.formatting import format_date, format_money, format_number, format_percent, normalize_locale
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

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Receivables report",
        "subtitle": "Tenant {tenant} · as of {as_of} · period {start} – {end} ({days} days)",
        "chart_title": "Aging of {currency} receivables by days past due",
        "bucket_current": "current",
        "bucket_1-30": "1-30 days",
        "bucket_31-60": "31-60 days",
        "bucket_61-90": "61-90 days",
        "bucket_91-120": "91-120 days",
        "bucket_over-120": "over 120 days",
        "receivables": "Receivables",
        "overdue": "Overdue",
        "debtors_owing": "Debtors owing",
        "collected": "Collected in period",
        "dso": "DSO",
        "cei": "CEI",
        "dso_value": "{days} days",
        "dso_none": "no sales in the period",
        "n_a": "n/a",
        "total": "total",
        "debtor": "Debtor",
        "oldest": "oldest",
        "oldest_title": "days past due of the oldest open invoice",
        "stage": "stage",
        "channel": "channel",
        "nobody": "Nobody owes anything in this currency.",
        "no_recovery": "No notice was sent and no payment followed one in this period.",
        "all_stages": "all stages",
        "notices_sent": "notices sent",
        "payments_within": "payments within {days} days",
        "recovered": "recovered",
        "no_promises": "No promise to pay fell due in this period.",
        "outcome": "outcome",
        "promises": "promises",
        "amount": "amount",
        "kept": "kept",
        "broken": "broken",
        "pending": "pending",
        "kept_rate": "Kept rate (kept ÷ decided): {rate}",
        "cei_detail": "Start receivables {begin} + credit sales {sales} − end receivables {end} (of which current "
        "{current}).",
        "aging": "Aging",
        "top": "Top {n} debtors by balance",
        "recovery": "What each ladder stage recovered",
        "promises_title": "Promises to pay",
        "empty": "The ledger has no receivables as of this date.",
        "how": "How the figures are computed",
        "def_aging": "Open principal of each invoice as of the report date, by days past its due date; payments "
        "and credit notes dated later do not count.",
        "def_dso": "Receivables at the end ÷ credit sales of the {days}-day period × {days}.",
        "def_cei": "(start receivables + credit sales − end receivables) ÷ (start receivables + credit sales − end "
        "current receivables) × 100.",
        "def_recovered": "Payments received in the period within {days} days after a notice was sent, each "
        "credited to the last notice sent to that debtor in that currency before it (thank-you notices "
        "excluded).",
        "def_promises": "Promises to pay whose date fell in the period; kept when the promised amount arrived by "
        "the promised date plus {days} days of grace.",
        "recovered_term": "Recovered",
        "promises_term": "Promises",
        "generated": "Generated by cobrokit {version}. Amounts per currency; currencies are never added together.",
    },
    "es": {
        "title": "Informe de cuentas a cobrar",
        "subtitle": "Empresa {tenant} · a {as_of} · periodo {start} – {end} ({days} días)",
        "chart_title": "Antigüedad de los saldos en {currency} por días de retraso",
        "bucket_current": "sin vencer",
        "bucket_1-30": "1-30 días",
        "bucket_31-60": "31-60 días",
        "bucket_61-90": "61-90 días",
        "bucket_91-120": "91-120 días",
        "bucket_over-120": "más de 120 días",
        "receivables": "Saldo pendiente",
        "overdue": "Vencido",
        "debtors_owing": "Deudores con saldo",
        "collected": "Cobrado en el periodo",
        "dso": "DSO (periodo medio de cobro)",
        "cei": "CEI (eficacia de cobro)",
        "dso_value": "{days} días",
        "dso_none": "sin ventas en el periodo",
        "n_a": "n/d",
        "total": "total",
        "debtor": "Deudor",
        "oldest": "más antigua",
        "oldest_title": "días de retraso de la factura pendiente más antigua",
        "stage": "etapa",
        "channel": "canal",
        "nobody": "Nadie debe nada en esta moneda.",
        "no_recovery": "En este periodo no se envió ninguna notificación seguida de un pago.",
        "all_stages": "todas las etapas",
        "notices_sent": "notificaciones enviadas",
        "payments_within": "pagos en {days} días",
        "recovered": "recuperado",
        "no_promises": "Ninguna promesa de pago venció en este periodo.",
        "outcome": "resultado",
        "promises": "promesas",
        "amount": "importe",
        "kept": "cumplidas",
        "broken": "incumplidas",
        "pending": "pendientes",
        "kept_rate": "Tasa de cumplimiento (cumplidas ÷ decididas): {rate}",
        "cei_detail": "Saldo inicial {begin} + ventas a crédito {sales} − saldo final {end} (del que sin vencer "
        "{current}).",
        "aging": "Antigüedad de saldos",
        "top": "Los {n} deudores con mayor saldo",
        "recovery": "Lo que recuperó cada etapa de la escalera",
        "promises_title": "Promesas de pago",
        "empty": "No hay saldos pendientes de cobro a esta fecha.",
        "how": "Cómo se calculan las cifras",
        "def_aging": "Principal pendiente de cada factura a la fecha del informe, por días transcurridos desde su "
        "vencimiento; los pagos y abonos de fecha posterior no cuentan.",
        "def_dso": "Saldo pendiente al final ÷ ventas a crédito del periodo de {days} días × {days}.",
        "def_cei": "(saldo inicial + ventas a crédito − saldo final) ÷ (saldo inicial + ventas a crédito − saldo "
        "final sin vencer) × 100.",
        "def_recovered": "Pagos recibidos en el periodo en los {days} días siguientes al envío de una "
        "notificación; cada uno se atribuye a la última notificación enviada a ese deudor en esa moneda antes "
        "del pago (sin contar las de agradecimiento).",
        "def_promises": "Promesas de pago cuya fecha cayó en el periodo; cumplidas cuando el importe prometido "
        "llegó antes de la fecha prometida más {days} días de gracia.",
        "recovered_term": "Recuperado",
        "promises_term": "Promesas",
        "generated": "Generado por cobrokit {version}. Importes por moneda; las monedas nunca se suman entre sí.",
    },
}

_CHANNELS_ES = {
    "email": "correo electrónico",
    "letter": "carta",
    "call": "llamada",
    "sms": "SMS",
    "whatsapp": "WhatsApp",
    "service": "servicio",
}


def _words(locale: str) -> dict[str, str]:
    """The report's words for *locale*: Spanish for ``es*``, English otherwise."""
    return _TEXT["es" if locale.startswith("es") else "en"]


def _channel(name: str, locale: str) -> str:
    return _CHANNELS_ES.get(name, name) if locale.startswith("es") else name


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


def _percent(value: Decimal | None, locale: str) -> str:
    if value is None:
        return _words(locale)["n_a"]
    return format_percent(value, locale, min_decimals=1)


def aging_chart_svg(figures: CurrencyFigures, locale: str = "en") -> str:
    """The aging buckets of one currency as an inline SVG bar chart (one ``rect.bar`` per bucket).

    Bar heights are proportional to the amounts, computed in integers (no floats).
    """
    currency = figures.currency
    words = _words(normalize_locale(locale))
    biggest = max(figures.buckets) if figures.buckets else 0
    plot_h = _PLOT_BOTTOM - _PLOT_TOP
    parts = [
        f'<svg class="chart aging-chart" data-currency="{_e(currency)}" role="img" '
        f'viewBox="0 0 {_CHART_W} {_CHART_H}" xmlns="http://www.w3.org/2000/svg" '
        f'aria-labelledby="chart-title-{_e(currency)}">',
        f'<title id="chart-title-{_e(currency)}">{_e(words["chart_title"].format(currency=currency))}</title>',
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
        label = words[f"bucket_{bucket}"]
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
    w = _words(locale)
    items = [
        ("receivables", w["receivables"], _money(f.total, c, locale)),
        ("overdue", w["overdue"], _money(f.overdue, c, locale)),
        ("debtors_owing", w["debtors_owing"], str(f.debtors_owing)),
        ("collected_in_period", w["collected"], _money(f.collected, c, locale)),
        (
            "dso",
            w["dso"],
            w["dso_none"] if f.dso is None else w["dso_value"].format(days=format_number(f.dso, locale, decimals=1)),
        ),
        ("cei", w["cei"], _percent(f.cei, locale)),
    ]
    cells = "".join(
        f'<div class="kpi" data-kpi="{_e(key)}">'
        f'<div class="label">{_e(label)}</div>'
        f'<div class="value">{_e(value)}</div></div>'
        for key, label, value in items
    )
    return f'<div class="kpis">{cells}</div>'


def _bucket_heads(locale: str) -> str:
    w = _words(locale)
    return "".join(f'<th class="num" data-bucket="{_e(b)}">{_e(w[f"bucket_{b}"])}</th>' for b in BUCKETS)


def _aging_table(f: CurrencyFigures, locale: str) -> str:
    c = f.currency
    head = _bucket_heads(locale) + f'<th class="num">{_e(_words(locale)["total"])}</th>'
    cells = "".join(f'<td class="num">{_e(_money(v, c, locale))}</td>' for v in f.buckets)
    cells += f'<td class="num">{_e(_money(f.total, c, locale))}</td>'
    return f'<table class="aging"><thead><tr>{head}</tr></thead><tbody><tr>{cells}</tr></tbody></table>'


def _top_table(f: CurrencyFigures, locale: str) -> str:
    c = f.currency
    w = _words(locale)
    if not f.top:
        return f'<p class="muted">{_e(w["nobody"])}</p>'
    head = (
        f"<th>#</th><th>{_e(w['debtor'])}</th>"
        + _bucket_heads(locale)
        + f'<th class="num">{_e(w["total"])}</th>'
        + f'<th class="num" title="{_e(w["oldest_title"])}">{_e(w["oldest"])}</th><th>{_e(w["stage"])}</th>'
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
    w = _words(locale)
    if not f.recovery:
        return f'<p class="muted">{_e(w["no_recovery"])}</p>'
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
            f"<td>{_e(r.stage)}</td><td>{_e(_channel(r.channel, locale))}</td>"
            f'<td class="num">{r.notices_sent}</td>'
            f'<td class="num">{r.payments}</td>'
            f'<td class="num">{_e(_money(r.recovered_minor, c, locale))}</td></tr>'
        )
    rows.append(
        f'<tr class="total"><td>{_e(w["all_stages"])}</td><td></td><td class="num">{total_sent}</td>'
        f'<td class="num">{total_payments}</td><td class="num">{_e(_money(total_minor, c, locale))}</td></tr>'
    )
    head = (
        f"<th>{_e(w['stage'])}</th><th>{_e(w['channel'])}</th>"
        f'<th class="num">{_e(w["notices_sent"])}</th>'
        f'<th class="num">{_e(w["payments_within"].format(days=window))}</th>'
        f'<th class="num">{_e(w["recovered"])}</th>'
    )
    return f'<table class="recovery"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _promise_table(f: CurrencyFigures, locale: str) -> str:
    c = f.currency
    w = _words(locale)
    p = f.promises
    if p is None or not (p.kept or p.broken or p.pending):
        return f'<p class="muted">{_e(w["no_promises"])}</p>'
    rows = "".join(
        f'<tr class="promise" data-outcome="{name}"><td>{_e(w[name])}</td><td class="num">{count}</td>'
        f'<td class="num">{_e(_money(minor, c, locale))}</td></tr>'
        for name, count, minor in (
            ("kept", p.kept, p.kept_minor),
            ("broken", p.broken, p.broken_minor),
            ("pending", p.pending, p.pending_minor),
        )
    )
    rate = _percent(p.kept_rate, locale)
    return (
        f'<table class="promises"><thead><tr><th>{_e(w["outcome"])}</th><th class="num">{_e(w["promises"])}</th>'
        f'<th class="num">{_e(w["amount"])}</th></tr></thead><tbody>{rows}</tbody></table>'
        f'<p class="muted">{_e(w["kept_rate"].format(rate=rate))}</p>'
    )


def _section(f: CurrencyFigures, figures: PortfolioFigures, locale: str) -> str:
    c = f.currency
    w = _words(locale)
    cei_detail = w["cei_detail"].format(
        begin=_money(f.receivables_begin, c, locale),
        sales=_money(f.credit_sales, c, locale),
        end=_money(f.receivables_end, c, locale),
        current=_money(f.current_end, c, locale),
    )
    return (
        f'<section class="currency" id="currency-{_e(c)}" data-currency="{_e(c)}">'
        f"<h2>{_e(c)}</h2>"
        f"{_kpis(f, locale)}"
        f'<p class="muted">{_e(cei_detail)}</p>'
        f"<h3>{_e(w['aging'])}</h3>{aging_chart_svg(f, locale)}{_aging_table(f, locale)}"
        f"<h3>{_e(w['top'].format(n=len(f.top)))}</h3>{_top_table(f, locale)}"
        f"<h3>{_e(w['recovery'])}</h3>{_recovery_table(f, locale, figures.recovery_days)}"
        f"<h3>{_e(w['promises_title'])}</h3>{_promise_table(f, locale)}"
        "</section>"
    )


def render_report_html(figures: PortfolioFigures, *, locale: str = "en", title: str | None = None) -> str:
    """The report page for *figures* (a complete, self-contained HTML document).

    Headings, labels and explanations are in Spanish for an ``es`` locale and in English
    otherwise; amounts, dates and percentages are formatted for *locale* with Babel. *title*
    defaults to the report's name in that language.
    """
    loc = normalize_locale(locale)
    w = _words(loc)
    title = title or w["title"]
    as_of = format_date(figures.as_of, loc, "long")
    start = format_date(figures.period_start, loc, "long")
    body = "".join(_section(f, figures, loc) for f in figures.currencies) or (
        f'<section class="currency"><p>{_e(w["empty"])}</p></section>'
    )
    terms = (
        (w["aging"], w["def_aging"]),
        ("DSO", w["def_dso"].format(days=figures.period_days)),
        ("CEI", w["def_cei"]),
        (w["recovered_term"], w["def_recovered"].format(days=figures.recovery_days)),
        (w["promises_term"], w["def_promises"].format(days=figures.promise_grace_days)),
    )
    definitions = '<dl class="defs">' + "".join(f"<dt>{_e(t)}</dt><dd>{_e(d)}</dd>" for t, d in terms) + "</dl>"
    subtitle = w["subtitle"].format(
        tenant=figures.tenant, as_of=as_of, start=start, end=as_of, days=figures.period_days
    )
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{_e(loc.split("_")[0])}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,">'
        f'<meta name="generator" content="cobrokit {_e(__version__)}">'
        f"<title>{_e(title)} — {_e(figures.as_of.isoformat())}</title><style>{_CSS}</style></head>"
        f"<body><header><h1>{_e(title)}</h1><p>{_e(subtitle)}</p></header>"
        f"<main>{body}</main>"
        f"<footer><h3>{_e(w['how'])}</h3>{definitions}"
        f"<p>{_e(w['generated'].format(version=__version__))}</p></footer></body></html>\n"
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
