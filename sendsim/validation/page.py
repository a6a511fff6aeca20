"""The validation's tables, and its page twice over: self-contained HTML (the board report's
styles and helpers) and markdown for ``docs/validation.md``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import polars as pl

from sendsim.report.build import Chart
from sendsim.report.page import document, figure_html, section, table_html
from sendsim.report.tables import Table
from sendsim.report.units import DASH, MINUS, fmt
from sendsim.validation.charts import METHOD_LABELS
from sendsim.validation.measures import MEASURE_BY_NAME, MEASURES, NATIONAL
from sendsim.validation.scores import ERROR_UNIT

ANCHORS = ("persistence", "linear", "growth", "national_growth", "hnb_growth")


@dataclass
class Part:
    """A titled part of the page: words, tables and charts."""

    title: str
    intro: str
    tables: list[Table]
    charts: list[Chart]


def pct(value: float | None, signed: bool = False, digits: int = 1) -> str:
    """A percentage (or percentage points) already in %, e.g. ``4.2%`` or ``+1.3%``."""
    if value is None or math.isnan(value):
        return DASH
    sign = ("+" if value >= 0 else MINUS) if signed else (MINUS if value < 0 else "")
    return f"{sign}{abs(value):.{digits}f}%"


def in_unit(value: float | None, unit: str, signed: bool = False) -> str:
    """An error in ``unit`` (``%``, ``pp`` or ``points``; ``value`` already in it)."""
    text = pct(value, signed)
    return text if text == DASH or unit == "%" else f"{text[:-1]} {unit}"


def error_text(value: float | None, measure: str, signed: bool = False) -> str:
    """An error as the page shows it: % (counts, money), percentage points (shares) or
    points (scores)."""
    return in_unit(value, ERROR_UNIT[MEASURE_BY_NAME[measure].kind], signed)


def council_table(scores: pl.DataFrame) -> Table:
    """Errors across councils by measure and horizon: sendsim and each anchor."""
    ours = scores.filter((pl.col("level") == "council") & (pl.col("method") == "sendsim"))
    anchors = scores.filter((pl.col("level") == "council") & (pl.col("method") != "sendsim"))
    wide = anchors.pivot(on="method", index=["measure", "horizon"], values="mdape")
    frame = ours.join(wide, on=["measure", "horizon"], how="left")
    present = [a for a in ANCHORS if a in frame.columns]
    rows, bold = [], set()
    for m in (m for m in MEASURES if m.name in set(frame["measure"])):
        for r in frame.filter(pl.col("measure") == m.name).sort("horizon").iter_rows(named=True):
            errors = [r["mdape"], *(r[a] for a in present)]
            best = min((e for e in errors if e is not None), default=None)
            if best == r["mdape"]:
                bold.add((len(rows), 3))
            rows.append(
                [m.label, f"{r['horizon']} ({r['year']})", str(r["areas"])]
                + [error_text(r[k], m.name) for k in ("mdape", "mape")]
                + [error_text(r["bias"], m.name, signed=True)]
                + [pct(100 * r[k], digits=0) for k in ("coverage_80", "coverage_80_draws")]
                + [error_text(r[a], m.name) for a in present]
            )
    header = [
        "measure",
        "years ahead",
        "councils",
        "sendsim median abs. error",
        "mean",
        "bias",
        "in 80% interval",
        "in the draws' 80%",
    ] + [f"{METHOD_LABELS[a]}: median" for a in present]
    return Table(
        "councils",
        "Forecast errors across councils",
        header,
        rows,
        frame,
        "Absolute percentage errors of each council's forecast (percentage points, pp, for "
        "shares; points for Attainment 8); bias is the mean signed error (positive: too "
        "high). The 80% interval is the draws' widened by past forecasts' errors; the draws' "
        "own is beside it. The naive anchors' columns give their median error. Bold: "
        "sendsim's median error is the lowest.",
        bold,
        merge_first=True,
    )


def england_table(table: pl.DataFrame) -> Table:
    """England's forecasts beside the published values and the anchors."""
    rows_frame = table.filter((pl.col("la_code") == NATIONAL) & pl.col("actual").is_not_null())
    rows = []
    for m in (m for m in MEASURES if m.name in set(rows_frame["measure"])):
        kind = "share" if m.kind == "share" else m.kind
        for r in rows_frame.filter(pl.col("measure") == m.name).sort("year").iter_rows(named=True):
            error = _error(r["p50"], r["actual"], kind)
            naive = [_error(r[a], r["actual"], kind) for a in ("persistence", "growth")]
            rows.append(
                [
                    m.label,
                    str(r["year"]),
                    fmt(r["actual"], kind),
                    fmt(r["p50"], kind),
                    f"{fmt(r['p10'], kind)}{DASH}{fmt(r['p90'], kind)}",
                    error,
                    *naive,
                ]
            )
    header = [
        "measure",
        "year",
        "published",
        "sendsim median",
        "80% interval",
        "error",
        "persistence error",
        "constant growth error",
    ]
    return Table(
        "england",
        "England: forecasts against published figures",
        header,
        rows,
        rows_frame,
        "Councils summed within each draw. Errors in % of the published figure (pp for the "
        "20-week share). Spend is set against the councils' s251 budgets for 2021-22 (no "
        "outturn is held).",
        merge_first=True,
    )


def _error(forecast: float | None, actual: float, kind: str) -> str:
    if forecast is None:
        return DASH
    if kind == "share":
        return pct((forecast - actual) * 100, signed=True).replace("%", " pp")
    if kind == "points":
        return pct(forecast - actual, signed=True).replace("%", " points")
    return pct((forecast / actual - 1) * 100, signed=True)


def targets_table(targets: pl.DataFrame) -> Table:
    """The targets checked, one row per target and horizon."""
    rows = []
    for r in targets.iter_rows(named=True):
        if r["low"] is None:
            bound = f"at most {in_unit(r['high'], r['unit'])} (the anchor's)"
        elif r["low"] == -r["high"]:
            bound = f"within ±{r['high']:g}%"
        else:
            bound = f"{r['low']:g}{DASH}{r['high']:g}{'%' if r['low'] else ''}"
        signed = r["low"] is not None and r["low"] < 0
        met = "yes" if r["met"] else "no"
        value = in_unit(r["value"], r["unit"], signed)
        rows.append([r["target"], str(r["horizon"]), value, bound, met])
    return Table(
        "targets",
        "Targets checked in sample",
        ["target", "years ahead", "sendsim", "target", "met"],
        rows,
        targets,
        "The scores sendsim is held to for forecasts from January 2022, applied to this forecast.",
        merge_first=True,
    )


def frame_table(
    frame: pl.DataFrame,
    slug: str,
    title: str,
    columns: dict[str, tuple[str, str]],
    caption: str = "",
) -> Table:
    """A table of ``frame``'s ``columns`` (column: heading, kind: count, money, share, rate,
    ratio or year)."""
    formats = {
        "year": str,
        "count": lambda v: fmt(v, "count"),
        "money": lambda v: fmt(v, "money"),
        "share": lambda v: pct(100 * v),
        "rate": lambda v: f"{v:,.0f}",
        "ratio": lambda v: f"{v:.2f}",
    }
    rows = [
        [formats[kind](r[c]) for c, (_, kind) in columns.items()]
        for r in frame.iter_rows(named=True)
    ]
    header = [heading for heading, _ in columns.values()]
    return Table(slug, title, header, rows, frame.select(list(columns)), caption)


# -- the page ------------------------------------------------------------------------------
def html(title: str, subtitle: str, notes: Sequence[str], parts: Sequence[Part]) -> str:
    """The page: title, notes, then each part's words, tables and figures."""
    body = [f"<header><h1>{escape(title)}</h1>", f'<p class="subtitle">{escape(subtitle)}</p>']
    items = "".join(f"<li>{escape(n)}</li>" for n in notes)
    body.append(
        '<section class="box caveats" aria-labelledby="caveats-h">'
        f'<h2 id="caveats-h">How to read this</h2><ul>{items}</ul></section></header>'
    )
    number = 1
    for part in parts:
        content = f'<p class="note">{escape(part.intro)}</p>' if part.intro else ""
        content += "".join(table_html(t) for t in part.tables)
        for chart in part.charts:
            content += figure_html(chart, number)
            number += 1
        body.append(section(part.title, content))
    return document(title, "\n".join(body))


def markdown(title: str, preface: str, notes: Sequence[str], parts: Sequence[Part]) -> str:
    """The same page in markdown; charts are images beside it (``validation-<slug>.png``)."""
    lines = [f"# {title}", "", preface, "", *(f"- {n}" for n in notes), ""]
    for part in parts:
        lines += [f"## {part.title}", ""]
        if part.intro:
            lines += [part.intro, ""]
        for table in part.tables:
            lines += [f"**{table.title}.** {table.caption}", "", *_markdown_table(table), ""]
        for chart in part.charts:
            lines += [f"![{chart.title}](validation-{chart.slug}.png)", "", chart.caption, ""]
    return "\n".join(lines)


def _markdown_table(table: Table) -> list[str]:
    rows, previous = [], None
    for r, row in enumerate(table.rows):
        cells = [c.replace("|", "\\|").replace("\n", " ") for c in row]
        if table.merge_first and cells[0] == previous:
            cells[0] = ""
        else:
            previous = cells[0]
        cells = [f"**{c}**" if (r, i) in table.bold else c for i, c in enumerate(cells)]
        rows.append("| " + " | ".join(cells) + " |")
    return ["| " + " | ".join(table.header) + " |", "|" + "---|" * len(table.header), *rows]
