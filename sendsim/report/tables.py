"""The report's tables: scenario comparison, DBV breakdown, assumptions and runs.

Each table carries its formatted cells (for the page) and a numeric frame (for its CSV file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from sendsim.config.nested import lookup, same
from sendsim.config.params import DeclaredParam, iter_params
from sendsim.config.schema import SendsimConfig
from sendsim.headline import INDICATORS, Point, Topic, override_last_month, per_run, points
from sendsim.model.codes import FUNDED_PLACES, PLACE_LABELS, PLACE_NAMES, Place
from sendsim.report import series as S
from sendsim.report.collect import ReportData
from sendsim.report.units import DASH, fmt, fmt_range, growth

#: Funded provisions in the order of DSG management plans: schools first, early years last.
PROVISION_LABELS = {
    PLACE_NAMES[p]: PLACE_LABELS[p]
    for p in sorted(FUNDED_PLACES, key=lambda p: p in (Place.EARLY_YEARS, Place.OTHER))
}


@dataclass
class Table:
    """A table for the page and its CSV.

    Attributes:
        slug: file name stem of the CSV.
        title: what the table shows, in words.
        header: column headings.
        rows: formatted cells, row by row; a second line (after ``\\n``) is set smaller.
        data: the numbers behind the cells (written as CSV).
        caption: how to read it.
        bold: (row, column) cells to emphasise.
        merge_first: show a first-column value once for consecutive rows that share it.
        css: class of the table on the page.
    """

    slug: str
    title: str
    header: list[str]
    rows: list[list[str]]
    data: pl.DataFrame
    caption: str = ""
    bold: set[tuple[int, int]] = field(default_factory=set)
    merge_first: bool = False
    css: str = ""


def horizons(data: ReportData) -> list[Point]:
    """The headline points of the report's runs: the end of the statutory override in the
    baseline's config, and the last date every run reaches."""
    start = data.series["date"].min()
    override_last = override_last_month(data.scenario_runs(data.baseline)[0].config)
    return points(start, data.end, override_last)


#: The comparison tables, one per topic of the indicators: slug and heading.
COMPARISONS: dict[Topic, tuple[str, str]] = {
    "children": ("children-comparison", "What each option does for children"),
    "money": ("money-comparison", "What each option does to high-needs money"),
}


def comparison_table(data: ReportData, topic: Topic) -> Table:
    """Median and 10th-90th percentile across replicates of each indicator of a topic, per
    scenario."""
    header = ["Indicator", "When", *data.scenarios]
    rows, records = [], []
    for ind in (i for i in INDICATORS if i.topic == topic):
        for horizon in horizons(data):
            when = horizon.when(ind.reading)
            if not horizon.reached:
                note = f"not reached: the runs end on {data.end:%-d %B %Y}"
                rows.append([ind.label, when, note, *[""] * (len(data.scenarios) - 1)])
                continue
            stats = S.bands(per_run(data.series, ind, horizon))
            cells = []
            for scenario in data.scenarios:
                row = stats.filter(pl.col("scenario") == scenario)
                if row.is_empty():
                    cells.append(DASH)
                    continue
                r = row.row(0, named=True)
                cells.append(fmt_range(r["p50"], r["p10"], r["p90"], r["runs"], ind.kind, "\n"))
                records.append(
                    {
                        "indicator": ind.label,
                        "unit": ind.kind,
                        "horizon": horizon.key,
                        "measured": when,
                        "scenario": scenario,
                        "runs": r["runs"],
                        "median": r["p50"],
                        "p10": r["p10"],
                        "p90": r["p90"],
                    }
                )
            rows.append([ind.label, when, *cells])
    slug, heading = COMPARISONS[topic]
    return Table(
        slug,
        heading,
        header,
        rows,
        pl.DataFrame(records),
        caption=(
            "Median across replicates, with the 10th to 90th percentile range in brackets. "
            "Counts, rates and balances are as at the start of the month shown; spend, income "
            "and the 20-week share are over the period shown; results at school and after it "
            "are those of the September shown (the exams of the summer before). Money in cash "
            "terms; shares in percent."
        ),
        merge_first=True,
    )


def dbv_table(data: ReportData) -> Table:
    """Caseload times unit cost by provision, first and last full financial year (baseline).

    Caseload is the average of the monthly counts of plans in the year; spend is the year's
    high-needs spend on that provision; unit cost is spend / caseload. Values are means
    across replicates, so provisions add up to the total.
    """
    scenario = data.baseline
    series = data.series.filter(pl.col("scenario") == scenario)
    years = S.full_financial_years(series)
    if not years:
        return Table(
            "dbv-breakdown",
            "Caseload and unit cost by provision",
            ["Provision"],
            [["The runs do not cover a full financial year (April to March)."]],
            pl.DataFrame(),
        )
    first, last = years[0], years[-1]
    picked = [first, last] if last != first else [first]
    rows_data = []
    for key, label in [*PROVISION_LABELS.items(), ("central", "Central spend (not per plan)")]:
        caseload = None if key == "central" else _fy_mean(series, f"ehcp_{key}", "mean", picked)
        spend = _fy_mean(series, f"hn_spend_{key}_gbp", "sum", picked)
        rows_data.append((label, caseload, spend))
    total_caseload = {fy: sum(c[fy] for _, c, _ in rows_data if c is not None) for fy in picked}
    rows_data.append(("Total", total_caseload, _fy_mean(series, "hn_spend_gbp", "sum", picked)))
    return _dbv_render(scenario, picked, rows_data)


def _dbv_render(
    scenario: str,
    years: list[int],
    rows_data: list[tuple[str, dict[int, float] | None, dict[int, float]]],
) -> Table:
    labels = [S.fy_label(y) for y in years]
    header = ["Provision"]
    for label in labels:
        header += [f"Plans {label}", f"Spend {label}", f"Cost per plan {label}"]
    if len(years) == 2:
        header += ["Plans growth", "Spend growth", "Cost per plan growth"]
    rows, records = [], []
    for label, caseload, spend in rows_data:
        unit = {y: spend[y] / caseload[y] if caseload and caseload[y] > 0 else None for y in years}
        cells = [label]
        for y in years:
            cells += [
                fmt(caseload[y], "count") if caseload else DASH,
                fmt(spend[y], "money"),
                fmt(unit[y], "unit_cost") if unit[y] is not None else DASH,
            ]
            records.append(
                {
                    "scenario": scenario,
                    "provision": label,
                    "financial_year": S.fy_label(y),
                    "caseload": caseload[y] if caseload else None,
                    "spend_gbp": spend[y],
                    "unit_cost_gbp": unit[y],
                }
            )
        if len(years) == 2:
            a, b = years
            cells += [
                growth(caseload[a], caseload[b]) if caseload else DASH,
                growth(spend[a], spend[b]),
                growth(unit[a], unit[b]) if unit[a] and unit[b] else DASH,
            ]
        rows.append(cells)
    return Table(
        "dbv-breakdown",
        f"Caseload and unit cost by provision: {scenario}",
        header,
        rows,
        pl.DataFrame(records),
        caption=(
            "Plans: average number of plans in the provision over the financial year. Spend: "
            "high-needs spend on it in the year (£ m, cash). Cost per plan: spend divided by "
            "plans (£ thousand a year). Means across replicates, so rows add up to the total; "
            "the total's cost per plan includes central spend."
        ),
        bold={(len(rows) - 1, c) for c in range(len(header))},
    )


def _fy_mean(series: pl.DataFrame, metric: str, how: str, years: list[int]) -> dict[int, float]:
    """Mean across replicates of a metric's financial-year sum (or average)."""
    frame = S.by_financial_year(series, metric, how).filter(pl.col("fy").is_in(years))
    means = frame.group_by("fy").agg(pl.col("value").mean())
    return dict(zip(means["fy"], means["value"], strict=True))


def policy_levers() -> list[DeclaredParam]:
    return [p for p in iter_params(SendsimConfig) if p.meta.kind == "policy"]


def assumptions_table(data: ReportData) -> Table:
    """Every policy lever's value in each scenario, with its source; then uncertain
    parameters that any scenario sets away from their declared default."""
    configs = {s: data.scenario_runs(s)[0].config for s in data.scenarios}
    changed_uncertain = [
        p
        for p in iter_params(SendsimConfig)
        if p.meta.kind == "uncertain"
        and any(_changed(lookup(c, p.path), p.default) for c in configs.values())
    ]
    header = ["Lever", "Unit", *data.scenarios, "Source"]
    rows, records, bold = [], [], set()
    for group, params in (("policy", policy_levers()), ("uncertain", changed_uncertain)):
        for p in params:
            values = [lookup(configs[s], p.path) for s in data.scenarios]
            label = p.meta.label if group == "policy" else f"{p.meta.label} (uncertain)"
            cells = [f"{label} [{p.path}]", p.meta.unit, *map(_show, values), p.meta.source]
            for i, value in enumerate(values):
                if _changed(value, p.default):
                    bold.add((len(rows), 2 + i))
            rows.append(cells)
            records += [
                {
                    "key": p.path,
                    "kind": p.meta.kind,
                    "label": p.meta.label,
                    "unit": p.meta.unit,
                    "scenario": s,
                    "value": _show(v),
                    "default": _show(p.default),
                    "source": p.meta.source,
                }
                for s, v in zip(data.scenarios, values, strict=True)
            ]
    return Table(
        "assumptions",
        "Assumptions: policy levers in each scenario",
        header,
        rows,
        pl.DataFrame(records),
        caption=(
            "Every policy lever of the model with its value in each scenario. Bold: differs "
            "from today's policy (the declared default). Uncertain parameters are listed only "
            "where a scenario changes them. Keys in brackets are config keys."
        ),
        bold=bold,
        css="assumptions",
    )


def runs_table(data: ReportData) -> Table:
    """Scenario descriptions and the runs behind each."""
    header = ["Scenario", "Description", "Replicates (seeds)", "Years", "Share simulated"]
    rows, records = [], []
    for s in data.scenarios:
        runs = data.scenario_runs(s)
        config = runs[0].config
        seeds = [r.seed for r in runs]
        fraction = lookup(config, "population.sample_fraction")
        rows.append(
            [
                s,
                str(lookup(config, "scenario.description") or ""),
                f"{len(runs)} ({_seed_list(seeds)})",
                _show(lookup(config, "run.years")),
                f"1 in {round(1 / fraction):,}" if fraction and fraction < 1 else "all children",
            ]
        )
        records.append(
            {
                "scenario": s,
                "description": rows[-1][1],
                "replicates": len(runs),
                "seeds": " ".join(map(str, seeds)),
                "years": lookup(config, "run.years"),
                "sample_fraction": fraction,
            }
        )
    return Table(
        "scenarios",
        "Scenarios and runs",
        header,
        rows,
        pl.DataFrame(records),
        caption="Each scenario was simulated once per seed; results show the spread across them.",
    )


def _changed(value: Any, default: Any) -> bool:
    """Set, and not to the declared default."""
    return value is not None and not same(value, default)


def _show(value: Any) -> str:
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ", ".join(map(_show, value))
    return str(value)


def _seed_list(seeds: list[int]) -> str:
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}{DASH}{seeds[-1]}"
    return ", ".join(map(str, seeds))
