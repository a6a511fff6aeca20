"""Named studies (``experiments/<name>/study.yaml``): scenarios x seeds as Hydra sweeps, compared.

A study runs one Hydra multirun per area (all its scenarios and seeds, in parallel with the
joblib launcher), then writes a comparison table: for each area, scenario and measure, the
median across seeds with the 10th-90th percentile range. Finished runs are not repeated, so an
interrupted study resumes where it stopped.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import yaml

from sendsim.config.launchers import check_launchers
from sendsim.errors import DataError
from sendsim.io import write_parquet, write_text
from sendsim.results import ENGLAND_CODE, META, TIMESERIES

OVERRIDE_END = dt.date(2028, 4, 1)  # the stock after March 2028, when the override ends


@dataclass(frozen=True)
class Measure:
    """One row of the comparison table."""

    name: str
    unit: str
    metric: str
    at: dt.date | None = None  # a stock at this date; None: the final date
    fy_from: dt.date | None = None  # a flow summed over the year from this date
    ratio_of: tuple[str, str] | None = None  # a flow ratio over the last 12 months
    scale: float = 1.0


MEASURES = (
    Measure("Plans (EHCPs), March 2028", "plans", "ehcp_caseload", at=OVERRIDE_END),
    Measure("Plans (EHCPs), January 2032", "plans", "ehcp_caseload"),
    Measure("Plans per 10,000 aged 0-25, 2032", "per 10,000", "ehcp_per_10k_0_25"),
    Measure("Plans in mainstream, 2032", "%", "placement_share_mainstream", scale=100),
    Measure(
        "Plans in state special schools, 2032", "%", "placement_share_state_special", scale=100
    ),
    Measure(
        "Plans in independent special schools, 2032", "%", "placement_share_independent", scale=100
    ),
    Measure(
        "High needs spend, 2027-28", "£m", "hn_spend_gbp", fy_from=dt.date(2027, 4, 1), scale=1e-6
    ),
    Measure(
        "Cumulative DSG balance, March 2028",
        "£m",
        "dsg_cumulative_balance_gbp",
        at=OVERRIDE_END,
        scale=1e-6,
    ),
    Measure("Cumulative DSG balance, January 2032", "£m", "dsg_cumulative_balance_gbp", scale=1e-6),
    Measure(
        "Plans issued within 20 weeks, 2031",
        "%",
        "issued_within_20_weeks_share",
        ratio_of=("issued_within_20_weeks", "new_plans"),
        scale=100,
    ),
    Measure("Months of unmet need in the past year, 2032", "months", "mean_months_unmet_need"),
    Measure("NEET, young people 16-25 with SEND, 2032", "%", "neet_rate_16_25", scale=100),
)


@dataclass(frozen=True)
class Study:
    """A study definition."""

    name: str
    question: str
    scenarios: tuple[str, ...]
    runs: dict[str, tuple[tuple[int, ...], tuple[str, ...]]]  # area run -> (seeds, overrides)


def load_study(path: str | Path) -> Study:
    """Read ``study.yaml`` from a study folder (or the file itself)."""
    path = Path(path)
    file = path / "study.yaml" if path.is_dir() else path
    try:
        spec = yaml.safe_load(file.read_text())
        runs = {
            name: (tuple(int(s) for s in run["seeds"]), tuple(run.get("overrides", [])))
            for name, run in spec["runs"].items()
        }
        return Study(file.parent.name, spec["question"], tuple(spec["scenarios"]), runs)
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as err:
        raise DataError(file, f"not a valid study definition ({err})") from err


def run_study(path: str | Path, out_root: Path, jobs: int = 2) -> Path:
    """Run every sweep of the study that is not finished, then write the comparison."""
    study = load_study(path)
    check_launchers(["hydra/launcher=joblib"])
    out = out_root / study.name
    for name, (seeds, overrides) in study.runs.items():
        command = [
            sys.executable,
            "-m",
            "sendsim",
            "run",
            "-m",
            f"scenario={','.join(study.scenarios)}",
            f"run.seed={','.join(str(s) for s in seeds)}",
            *overrides,
            f"hydra.sweep.dir={out / name}",
            "hydra/launcher=joblib",
            f"hydra.launcher.n_jobs={jobs}",
        ]
        print(f"{study.name}/{name}: {len(study.scenarios) * len(seeds)} runs", flush=True)
        subprocess.run(command, check=True)
    table = compare(out)
    write_parquet(table, out / "comparison.parquet")
    write_text(table.write_csv(), out / "comparison.csv")
    write_text(to_markdown(table, study.question), out / "comparison.md")
    return out


def compare(root: Path) -> pl.DataFrame:
    """Median and 10th-90th percentile range across seeds of every measure, for every run
    under ``root`` (grouped by area and scenario)."""
    rows = [_measures(run) for run in sorted(root.rglob(META))]
    if not rows:
        raise DataError(root, "no runs found (no run_meta.json below it)")
    values = pl.DataFrame([r for group in rows for r in group])
    return (
        values.group_by("area", "scenario", "measure", "unit", maintain_order=True)
        .agg(
            pl.col("value").median().alias("median"),
            pl.col("value").quantile(0.1, "linear").alias("p10"),
            pl.col("value").quantile(0.9, "linear").alias("p90"),
            pl.len().alias("runs"),
        )
        .sort("area", "scenario", maintain_order=True)
    )


def _measures(meta_file: Path) -> list[dict]:
    ts = pl.read_parquet(meta_file.parent / TIMESERIES)
    codes = ts["la_code"].unique().to_list()
    area = ENGLAND_CODE if ENGLAND_CODE in codes else codes[0]
    ts = ts.filter(pl.col("la_code") == area)
    scenario = ts["scenario"][0]
    series = {m: df.sort("date") for (m,), df in ts.partition_by("metric", as_dict=True).items()}
    return [
        {
            "area": area,
            "scenario": scenario,
            "measure": m.name,
            "unit": m.unit,
            "value": _value(series, m),
        }
        for m in MEASURES
    ]


def _value(series: dict[str, pl.DataFrame], m: Measure) -> float | None:
    if m.ratio_of:
        num, den = (series[k].tail(12)["value"].sum() for k in m.ratio_of)
        return num / den * m.scale if den else None
    frame = series[m.metric]
    if m.fy_from:
        year = frame.filter(pl.col("date").is_between(m.fy_from, _add_year(m.fy_from), "left"))
        return year["value"].sum() * m.scale if year.height == 12 else None
    if m.at is None:
        return frame["value"][-1] * m.scale
    found = frame.filter(pl.col("date") == m.at)["value"]
    return found[0] * m.scale if len(found) else None


def _add_year(date: dt.date) -> dt.date:
    return date.replace(year=date.year + 1)


def to_markdown(table: pl.DataFrame, question: str) -> str:
    """The comparison as markdown: one table per area, scenarios as columns."""
    parts = [f"# Comparison\n\n{question.strip()}\n\nMedian across seeds (10th-90th percentile).\n"]
    for (area,), frame in table.partition_by("area", as_dict=True, maintain_order=True).items():
        scenarios = frame["scenario"].unique(maintain_order=True).to_list()
        header = "| measure | unit | " + " | ".join(scenarios) + " |"
        lines = [f"\n## {area}\n", header, "|" + "---|" * (len(scenarios) + 2)]
        for (measure, unit), rows in frame.group_by("measure", "unit", maintain_order=True):
            cells = {r["scenario"]: _cell(r) for r in rows.iter_rows(named=True)}
            lines.append(
                f"| {measure} | {unit} | " + " | ".join(cells.get(s, "") for s in scenarios) + " |"
            )
        parts.append("\n".join(lines))
    return "\n".join(parts) + "\n"


def _cell(row: dict) -> str:
    if row["median"] is None or not np.isfinite(row["median"]):
        return "n/a"
    digits = 0 if abs(row["median"]) >= 100 else 1
    fmt = f"{{:,.{digits}f}}"
    return f"{fmt.format(row['median'])} ({fmt.format(row['p10'])} to {fmt.format(row['p90'])})"
