"""The report as one self-contained HTML page: inline CSS, charts as data URIs, no scripts.

A Content-Security-Policy forbids loading anything, so the page behaves the same offline.
The print stylesheet sets A4 pages and keeps each chart and short table on one page.
"""

from __future__ import annotations

import base64
import re
import struct
from html import escape

from sendsim.report.build import Chart, Report
from sendsim.report.tables import Table

CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f4f2; color: #1a1a1a;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
    "Liberation Sans", "DejaVu Sans", sans-serif; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem 2rem 3rem; background: #fff; }
h1 { font-size: 1.8rem; line-height: 1.2; margin: 0.5rem 0 0.25rem; }
h2 { font-size: 1.35rem; margin: 2.2rem 0 0.6rem; border-bottom: 2px solid #0072B2;
  padding-bottom: 0.2rem; }
.subtitle { color: #444; margin: 0 0 1rem; }
.box { border-left: 6px solid; padding: 0.6rem 1rem; margin: 1rem 0; }
.box h2 { border: 0; margin: 0.2rem 0 0.4rem; font-size: 1.2rem; }
.caveats { border-color: #E69F00; background: #fff6e5; }
.messages { border-color: #0072B2; background: #eaf3fa; }
.messages li { margin: 0.45rem 0; font-size: 1.05rem; }
.caveats li { margin: 0.3rem 0; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 0.3rem; font-size: 0.88rem;
  font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: 0.3rem 0; }
th, td { border-bottom: 1px solid #d0d0d0; padding: 0.3rem 0.45rem; text-align: left;
  vertical-align: top; overflow-wrap: break-word; }
tbody th { min-width: 9em; }
tbody th { font-weight: normal; }
thead th { border-bottom: 2px solid #555; background: #f2f2f2; }
td.num { text-align: right; }
.range { display: block; font-size: 0.86em; color: #444; }
.nw { white-space: nowrap; }
table.assumptions td:last-child { min-width: 15em; font-size: 0.8rem; }
.note { color: #444; font-size: 0.88rem; margin: 0.2rem 0 1rem; }
figure { margin: 1.6rem 0; }
figure img { display: block; max-width: 100%; height: auto; }
figcaption { font-size: 0.9rem; color: #333; margin-top: 0.3rem; }
details { margin: 0.4rem 0 0; }
summary { cursor: pointer; color: #0b5394; font-size: 0.92rem; }
footer { margin-top: 2.5rem; font-size: 0.85rem; color: #333; }
footer dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.15rem 1rem; }
footer dt { font-weight: 600; }
footer dd { margin: 0; overflow-wrap: anywhere; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { background: #fff; font-size: 11pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; page-break-after: avoid; }
  figure, .box, table.short, tr, footer dl, .keep {
    break-inside: avoid; page-break-inside: avoid; }
  .scroll { overflow: visible; }
  details { display: none; }
  table { font-size: 9pt; }
  .box, thead th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
SHORT_TABLE_ROWS = 12  # shorter tables are kept on one printed page
#: A figure in a table cell (not digits inside a word or an HTML entity such as ``&#x27;``).
NUMBER = re.compile("(?<![\\w#&])[\u2212+]?£?[0-9][0-9,.]*[mk%]?")


def render(report: Report, files_folder: str) -> str:
    """The whole page as a string."""
    d = report.data
    n_runs = len(d.runs)
    subtitle = (
        f"{d.area_name} ({d.area_code}) · {len(d.scenarios)} scenario"
        f"{'s' if len(d.scenarios) > 1 else ''} · {n_runs} run{'s' if n_runs > 1 else ''} · "
        f"{d.series['date'].min():%B %Y} to {d.end:%B %Y}"
    )
    parts = [
        f"<header><h1>{escape(report.title)}</h1>",
        f'<p class="subtitle">{escape(subtitle)}</p></header>',
        _box("caveats", "Before the numbers", report.caveats, ordered=False),
        _box("messages", "Key messages", report.messages, ordered=True),
        section("Scenarios", table_html(report.scenarios), keep=True),
        *(section(table.title, table_html(table)) for table in report.comparison),
        section(
            "Projections",
            "".join(figure_html(c, i) for i, c in enumerate(report.charts, start=1)),
        ),
    ]
    if report.sensitivity:
        intro = (
            '<p class="note">Which assumptions move the results most, from a sensitivity '
            "analysis: the model run many times with its uncertain parameters varied together "
            "over their plausible ranges.</p>"
        )
        start = len(report.charts) + 1
        figures = "".join(figure_html(c, i) for i, c in enumerate(report.sensitivity, start=start))
        parts.append(section("What drives the results", intro + figures))
    parts += [
        section(
            "Caseload and unit cost by provision",
            '<p class="note">The breakdown used in DSG management plans (Delivering Better '
            "Value): spend on each provision is its caseload times its unit cost.</p>"
            + table_html(report.dbv),
            keep=True,
        ),
        section("Assumptions", table_html(report.assumptions)),
        _footer(report, files_folder),
    ]
    return document(report.title, "\n".join(parts))


def document(title: str, body: str) -> str:
    """A self-contained page: ``body`` with the report's styles, loading nothing."""
    return (
        '<!DOCTYPE html>\n<html lang="en-GB">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _box(kind: str, heading: str, items: list[str], ordered: bool) -> str:
    tag = "ol" if ordered else "ul"
    entries = "".join(f"<li>{escape(i)}</li>" for i in items)
    return (
        f'<section class="box {kind}" aria-labelledby="{kind}-h">'
        f'<h2 id="{kind}-h">{escape(heading)}</h2><{tag}>{entries}</{tag}></section>'
    )


def section(heading: str, content: str, keep: bool = False) -> str:
    """A titled section; ``keep`` prints it on one page when it fits."""
    anchor = heading.lower().replace(" ", "-")
    css = ' class="keep"' if keep else ""
    return (
        f'<section{css} aria-labelledby="{anchor}"><h2 id="{anchor}">{escape(heading)}</h2>'
        f"{content}</section>"
    )


def table_html(table: Table, caption: bool = True) -> str:
    short = " short" if len(table.rows) <= SHORT_TABLE_ROWS else ""
    head = "".join(f'<th scope="col">{_breakable(h)}</th>' for h in table.header)
    spans = _row_spans(table)
    body = []
    for r, row in enumerate(table.rows):
        cells = []
        for c, cell in enumerate(row):
            text = _cell_text(str(cell))
            if (r, c) in table.bold:
                text = f"<strong>{text}</strong>"
            if c == 0:
                cells.append(_row_header(text, spans[r]))
            elif _numeric(str(cell)):
                cells.append(f'<td class="num">{_unbroken_numbers(text)}</td>')
            else:
                cells.append(f"<td>{text}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    cap = f"<caption>{escape(table.title)}</caption>" if caption else ""
    note = f'<p class="note">{escape(table.caption)}</p>' if table.caption else ""
    return (
        f'<div class="scroll"><table class="data{short} {table.css}">{cap}'
        f"<thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>{note}"
    )


def _cell_text(text: str) -> str:
    """Escaped text; a second line becomes a smaller range line."""
    first, _, rest = text.partition("\n")
    html = _breakable(first)
    return html + (f'<span class="range">{_breakable(rest)}</span>' if rest else "")


def _unbroken_numbers(html: str) -> str:
    """Keep each figure (such as minus £1,234m) on one line."""
    return NUMBER.sub(r'<span class="nw">\g<0></span>', html)


def _breakable(text: str) -> str:
    """Escaped text that may wrap after underscores (scenario names, config keys)."""
    return escape(text).replace("_", "_<wbr>")


def _row_header(text: str, span: int) -> str:
    if span == 0:  # merged into the header above
        return ""
    if span == 1:
        return f'<th scope="row">{text}</th>'
    return f'<th scope="row" rowspan="{span}">{text}</th>'


def _row_spans(table: Table) -> list[int]:
    """Rows each first-column cell spans (0: merged into the cell above)."""
    spans = [1] * len(table.rows)
    if not table.merge_first:
        return spans
    top = 0
    for r in range(1, len(table.rows)):
        if table.rows[r][0] == table.rows[top][0]:
            spans[top] += 1
            spans[r] = 0
        else:
            top = r
    return spans


def figure_html(chart: Chart, number: int) -> str:
    width, height = png_size(chart.png)
    data = base64.b64encode(chart.png).decode("ascii")
    return (
        f'<figure id="figure-{number}">'
        f'<img src="data:image/png;base64,{data}" alt="{escape(chart.alt)}" '
        f'width="{width}" height="{height}">'
        f"<figcaption><strong>Figure {number}. {escape(chart.title)}</strong> "
        f"{escape(chart.caption)}</figcaption>"
        f"<details><summary>Data table: {escape(chart.title)}</summary>"
        f"{table_html(chart.table, caption=False)}</details></figure>"
    )


def _footer(report: Report, files_folder: str) -> str:
    rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in report.provenance)
    files = (
        f"<p>Every chart is also saved as a PNG file and every table as a CSV file in "
        f"<code>{escape(files_folder)}/</code> beside this page.</p>"
    )
    return (
        '<footer aria-labelledby="provenance"><h2 id="provenance">Provenance</h2>'
        f"<dl>{rows}</dl>{files}</footer>"
    )


def _numeric(text: str) -> bool:
    return bool(text) and (text[0].isdigit() or text[0] in "£\u2212+-") and len(text) < 60


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels from a PNG's header."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG image")
    return struct.unpack(">II", png[16:24])
