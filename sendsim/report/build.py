"""Assemble a report in memory: messages, tables, charts with their data, provenance."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

import sendsim
from sendsim.config.params import iter_params
from sendsim.config.schema import SendsimConfig
from sendsim.dates import month_start
from sendsim.io import spreadsheet_csv
from sendsim.model.metrics import METRIC_BY_NAME
from sendsim.report import charts, messages, tables
from sendsim.report import series as S
from sendsim.report.collect import Indices, ReportData, load
from sendsim.report.tables import Table
from sendsim.report.units import DASH, UNIT, Kind, display, fmt, fmt_range

TOP_FACTORS = 10
HORIZON_WORDS = {"end": "at the end", "mean": "mean over the run", "sum": "total over the run"}
PLACEMENT_PANELS = {
    "Mainstream schools": "placement_share_mainstream",
    "Resourced provision and SEN units": "placement_share_resourced",
    "State special schools": "placement_share_state_special",
    "Independent special schools": "placement_share_independent",
}


@dataclass
class Chart:
    """A chart, its words and the data behind it.

    Attributes:
        slug: file name stem of its PNG and CSV.
        title: what it shows, with units.
        caption: how to read it.
        alt: text alternative describing what it shows.
        png: the image.
        table: the numbers, for the page (and CSV).
    """

    slug: str
    title: str
    caption: str
    alt: str
    png: bytes
    table: Table


@dataclass
class Report:
    """Everything on the page, in board order."""

    title: str
    data: ReportData
    caveats: list[str]
    messages: list[str]
    comparison: list[Table]  # what each option does for children, then to money
    charts: list[Chart]
    sensitivity: list[Chart]
    dbv: Table
    scenarios: Table
    assumptions: Table
    provenance: list[tuple[str, str]]

    def tables(self) -> list[Table]:
        return [*self.comparison, self.dbv, self.scenarios, self.assumptions]

    def files(self, folder: str) -> dict[str, bytes]:
        """Relative path → bytes of every chart (PNG) and table (CSV)."""
        out: dict[str, bytes] = {}
        for i, chart in enumerate([*self.charts, *self.sensitivity], start=1):
            stem = f"{folder}/chart-{i:02d}-{chart.slug}"
            out[f"{stem}.png"] = chart.png
            out[f"{stem}.csv"] = spreadsheet_csv(chart.table.data).encode()
        for table in self.tables():
            out[f"{folder}/table-{table.slug}.csv"] = spreadsheet_csv(table.data).encode()
        return out


def build(paths: Sequence[str | Path], title: str | None = None, area: str | None = None) -> Report:
    """Load the runs under ``paths`` and build the report for one area (see :func:`load`)."""
    data = load(paths, area)
    return Report(
        title=title or f"SEND system projections: {data.area_name}",
        data=data,
        caveats=messages.caveats(data),
        messages=messages.key_messages(data),
        comparison=[tables.comparison_table(data, topic) for topic in tables.COMPARISONS],
        charts=fan_charts(data),
        sensitivity=[c for idx in data.indices for c in sensitivity_charts(idx)],
        dbv=tables.dbv_table(data),
        scenarios=tables.runs_table(data),
        assumptions=tables.assumptions_table(data),
        provenance=provenance(data),
    )


def fan_charts(data: ReportData) -> list[Chart]:
    """The seven fan charts, in board order."""
    sc, ts = data.scenarios, data.series
    horizons = tables.horizons(data)
    out = []

    def monthly(slug: str, title: str, kind: Kind, frame: pl.DataFrame, **kw: object) -> None:
        bands = S.bands(frame, "date")
        png = charts.fan_chart(bands, sc, title, kind, **kw)
        out.append(_chart(slug, title, kind, bands, "date", png, data))

    monthly(
        "ehcp-caseload", "EHC plans in force (children)", "count", S.monthly(ts, "ehcp_caseload")
    )
    panels = {name: S.bands(S.monthly(ts, m), "date") for name, m in PLACEMENT_PANELS.items()}
    title = "Where children with EHC plans are placed (% of plans)"
    png = charts.panel_chart(panels, sc, title, "share")
    stacked = pl.concat([b.with_columns(pl.lit(n).alias("placement")) for n, b in panels.items()])
    out.append(_chart("placement-mix", title, "share", stacked, "date", png, data))

    spend = S.bands(S.by_financial_year(ts, "hn_spend_gbp"), "fy")
    income = S.bands(S.by_financial_year(ts, "hn_income_gbp"), "fy")
    title = "High-needs spend and income by financial year (£ m, cash)"
    png = charts.spend_income_chart(spend, income, sc, title)
    both = pl.concat(
        [
            spend.with_columns(pl.lit("spend").alias("measure")),
            income.with_columns(pl.lit("income").alias("measure")),
        ]
    )
    out.append(_chart("spend-and-income", title, "money", both, "fy", png, data))

    marker = None
    override = next((p for p in horizons if p.key == "override" and p.reached), None)
    if override:
        marker = (override.stock_date, f"statutory override ends ({override.last:%B %Y})")
    monthly(
        "dsg-balance",
        "Cumulative DSG balance (£ m, cash; below zero is a deficit)",
        "money",
        S.monthly(ts, "dsg_cumulative_balance_gbp"),
        marker=marker,
        zero_line=True,
    )
    monthly(
        "twenty-week-share",
        "New EHC plans issued within 20 weeks (% of new plans, 12 months to each date)",
        "share",
        S.rolling_ratio(ts, "issued_within_20_weeks", "new_plans"),
    )
    monthly(
        "unmet-need",
        "Mean months of unmet need in the past year, children with SEND",
        "months",
        S.monthly(ts, "mean_months_unmet_need"),
    )
    monthly(
        "neet-rate",
        "Young people with SEND aged 16-25 who are NEET (%)",
        "share",
        S.monthly(ts, "neet_rate_16_25"),
    )
    return out


def _chart(
    slug: str, title: str, kind: Kind, bands: pl.DataFrame, x: str, png: bytes, data: ReportData
) -> Chart:
    single = bands.is_empty() or bands["runs"].max() < 2
    if single:
        caption = "Single run per scenario: no range across replicates."
    else:
        caption = (
            "Line: median across replicates. Dark band: middle 50% of replicates (25th to 75th "
            "percentile); light band: middle 90% (5th to 95th)."
        )
    return Chart(
        slug=slug,
        title=title,
        caption=caption,
        alt=_alt_text(title, bands, x, kind, data.scenarios),
        png=png,
        table=_chart_table(slug, title, bands, x, kind, data.scenarios, single),
    )


def _chart_table(
    slug: str,
    title: str,
    bands: pl.DataFrame,
    x: str,
    kind: Kind,
    scenarios: list[str],
    single: bool,
) -> Table:
    """Yearly rows of the chart (each January, or each financial year): median and 90% range;
    the CSV has every point and percentile, in display units."""
    group = next((c for c in ("placement", "measure") if c in bands.columns), None)
    shown = bands.filter(pl.col("date").dt.month() == 1) if x == "date" else bands
    keys = [*([group] if group else []), x]
    header = [*(["Series"] if group else []), "Date" if x == "date" else "Financial year"]
    header += scenarios
    rows = []
    for key_values in shown.select(keys).unique(maintain_order=True).sort(keys).iter_rows():
        point = shown.filter(*(pl.col(k) == v for k, v in zip(keys, key_values, strict=True)))
        label = key_values[-1].strftime("%b %Y") if x == "date" else S.fy_label(key_values[-1])
        cells = [*key_values[:-1], label]
        for s in scenarios:
            row = point.filter(pl.col("scenario") == s)
            if row.is_empty():
                cells.append(DASH)
                continue
            r = row.row(0, named=True)
            cells.append(fmt_range(r["p50"], r["p5"], r["p95"], r["runs"], kind, "\n"))
        rows.append(cells)
    pcols = [c for c in bands.columns if c.startswith("p") and c[1:].isdigit()]
    data = bands.with_columns(
        *(display(pl.col(c), kind).alias(c) for c in pcols), pl.lit(UNIT[kind]).alias("unit")
    )
    if x == "fy":
        data = data.with_columns(pl.col("fy").map_elements(S.fy_label, pl.String))
    return Table(
        slug,
        title,
        header,
        rows,
        data,
        caption=(
            (
                "Median of a single run per scenario."
                if single
                else "Median across replicates, with the 5th to 95th percentile range in brackets."
            )
            + (" Values each January; the CSV file has every month." if x == "date" else "")
        ),
        merge_first=group is not None,
    )


def _alt_text(title: str, bands: pl.DataFrame, x: str, kind: Kind, scenarios: list[str]) -> str:
    if "placement" in bands.columns:
        bands = bands.filter(pl.col("placement") == bands["placement"][0])
        title += f" (panel shown in words: {bands['placement'][0]})"
    if "measure" in bands.columns:
        bands = bands.filter(pl.col("measure") == "spend")
    parts = []
    for s in scenarios:
        line = bands.filter(pl.col("scenario") == s).sort(x)
        if line.height:
            first, last = line.row(0, named=True), line.row(-1, named=True)
            when = (lambda v: v.strftime("%B %Y")) if x == "date" else S.fy_label
            parts.append(
                f"{s}: median from {fmt(first['p50'], kind)} in {when(first[x])} "
                f"to {fmt(last['p50'], kind)} in {when(last[x])}"
            )
    return f"Chart: {title}. " + "; ".join(parts) + "."


def factor_labels() -> dict[str, str]:
    """Factor key → its declared label, for tornado charts."""
    labels = {p.path: p.meta.label for p in iter_params(SendsimConfig)}
    return labels | {"dummy": "Dummy factor (does nothing: the noise floor)"}


def output_slug(output: str) -> str:
    """``dsg_cumulative_balance_gbp@2028-04`` → ``dsg-cumulative-balance-gbp-2028-04``."""
    return re.sub(r"[^a-z0-9]+", "-", output.lower()).strip("-")


def sensitivity_charts(indices: Indices) -> list[Chart]:
    """A tornado chart of the ten most influential factors of each output."""
    labels = factor_labels()
    main = "ST" if indices.method == "sobol" else "mu_star"
    index = "total-order index" if indices.method == "sobol" else "mu*"
    out = []
    for output in indices.frame["output"].unique(maintain_order=True):
        frame = indices.frame.filter(pl.col("output") == output)
        shown = min(TOP_FACTORS, frame.filter(pl.col("factor") != "dummy").height)
        title = f"What drives: {output_label(output)} ({indices.name} {index}, top {shown})"
        png = charts.tornado_chart(frame, indices.method, labels, title, top=TOP_FACTORS)
        ranked = frame.sort(main, descending=True).with_columns(
            pl.col("factor").replace_strict(labels, default=pl.col("factor")).alias("label")
        )
        value_cols = [c for c in ranked.columns if c not in ("output", "factor", "label")]
        rows = [
            [r["label"], r["factor"], *(f"{r[c]:.3f}" for c in value_cols)]
            for r in ranked.iter_rows(named=True)
        ]
        slug = "sensitivity-" + output_slug(output)
        top = ranked.filter(pl.col("factor") != "dummy").head(3)["label"].to_list()
        out.append(
            Chart(
                slug=slug,
                title=title,
                caption=(
                    "Bars: the share of the output's variance due to each factor, including its "
                    "interactions (ST), with the first-order share (S1) inside; whiskers are "
                    "95% confidence intervals."
                    if indices.method == "sobol"
                    else "Bars: mean absolute elementary effect (mu*) with its 95% confidence "
                    "interval."
                )
                + " The dashed line is the dummy factor: indices at or below it are noise.",
                alt=f"Tornado chart: {title}. Largest factors: {'; '.join(top)}.",
                png=png,
                table=Table(
                    slug,
                    title,
                    ["Factor", "Config key", *value_cols],
                    rows,
                    ranked,
                    caption=f"All factors, largest first. Source: {indices.path}",
                ),
            )
        )
    return out


def output_label(output: str) -> str:
    """``ehcp_caseload@2028-04`` → ``Education, health and care plans in force, April 2028``."""
    name, _, horizon = output.partition("@")
    metric = METRIC_BY_NAME.get(name)
    label = metric.label if metric else name
    if horizon in HORIZON_WORDS:
        return f"{label}, {HORIZON_WORDS[horizon]}"
    if re.fullmatch(r"\d{4}-\d{2}", horizon):
        return f"{label}, {month_start(horizon):%B %Y}"
    return f"{label}, {horizon}" if horizon else label


def provenance(data: ReportData) -> list[tuple[str, str]]:
    """What the numbers came from: versions, config hashes, commits, data, date."""

    def distinct(key: str) -> str:
        values = list(dict.fromkeys(str(r.meta.get(key, "unknown")) for r in data.runs))
        return "; ".join(values)

    hashes = "; ".join(
        f"{s}: " + ", ".join(r.meta["config_hash"][:12] for r in data.scenario_runs(s))
        for s in data.scenarios
    )
    rows = [
        ("Area", f"{data.area_name} ({data.area_code})"),
        ("Runs", f"{len(data.runs)} ({len(data.scenarios)} scenarios)"),
        ("Period", f"{data.series['date'].min():%B %Y} to {data.end:%B %Y}"),
        ("sendsim version of the runs", distinct("sendsim_version")),
        ("Git commit of the runs", distinct("git_commit")),
        ("Config hashes", hashes),
        ("Data vintage", distinct("data_vintage")),
        ("Report made", f"{dt.date.today():%-d %B %Y} with sendsim {sendsim.__version__}"),
    ]
    if data.truncated:
        rows.append(("Note", f"some runs go beyond {data.end:%B %Y}; the report stops there"))
    for idx in data.indices:
        rows.append(("Sensitivity indices", f"{idx.path} ({idx.method})"))
    return rows
