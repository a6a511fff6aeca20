"""Named studies (``experiments/<name>/study.yaml``): scenarios x seeds as Hydra sweeps, compared.

A study runs one Hydra multirun per area (all its scenarios and seeds, in parallel with the
joblib launcher), then writes a comparison table: for each area, scenario and measure, the
median across seeds with the 10th-90th percentile range. Finished runs are not repeated, so an
interrupted study resumes where it stopped.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import yaml

from sendsim.config import precheck
from sendsim.config.launchers import check_launchers
from sendsim.config.tables import markdown
from sendsim.errors import ConfigError, DataError, SendsimError
from sendsim.headline import INDICATORS, Indicator, override_last_month, per_run, points
from sendsim.io import spreadsheet_csv, write_parquet, write_text
from sendsim.report.collect import choose_area, find_runs, read_run, read_series


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
    """Run every sweep of the study that is not finished, then write the comparison.

    Every sweep's arguments are checked before the first runs (``ConfigError`` naming the
    run); a sweep that fails anyway is a ``SendsimError`` after its own messages.
    """
    study = load_study(path)
    check_launchers(["hydra/launcher=joblib"])
    out = out_root / study.name
    sweeps = {name: _sweep_args(study, name, out, jobs) for name in study.runs}
    for name, args in sweeps.items():
        try:
            precheck.prepare(args)
        except ConfigError as err:
            raise ConfigError(
                [f"study {study.name}, run {name}: {p}" for p in err.problems]
            ) from err
    for name, args in sweeps.items():
        seeds = study.runs[name][0]
        print(f"{study.name}/{name}: {len(study.scenarios) * len(seeds)} runs", flush=True)
        done = subprocess.run([sys.executable, "-m", "sendsim", "run", *args], check=False)
        if done.returncode:
            raise SendsimError(f"study {study.name}, run {name}: failed (exit {done.returncode})")
    table = compare(out)
    write_parquet(table, out / "comparison.parquet")
    write_text(spreadsheet_csv(table), out / "comparison.csv")
    write_text(to_markdown(table, study.question), out / "comparison.md")
    return out


def _sweep_args(study: Study, name: str, out: Path, jobs: int) -> list[str]:
    """The ``sendsim run`` arguments of one area run: every scenario and seed, in parallel."""
    seeds, overrides = study.runs[name]
    return [
        "-m",
        f"scenario={','.join(study.scenarios)}",
        f"run.seed={','.join(str(s) for s in seeds)}",
        *overrides,
        f"hydra.sweep.dir={out / name}",
        "hydra/launcher=joblib",
        f"hydra.launcher.n_jobs={jobs}",
    ]


def compare(root: Path) -> pl.DataFrame:
    """Median and 10th-90th percentile range across seeds of every headline indicator (in
    display units) at every point the runs reach, for every run under ``root``, grouped by
    area and scenario.

    Raises:
        SendsimError: no runs under ``root``, or a run's files are unreadable.
    """
    values = pl.DataFrame([row for run in find_runs([root]) for row in _indicators(run)])
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


def _indicators(run_dir: Path) -> list[dict]:
    """One run's headline indicators, England's row for England runs (else its council),
    labelled with the dates of this run they are read at."""
    run = read_run(run_dir)
    area = choose_area([run], None)
    series = read_series(run, area)
    dates = series["date"]
    reached = [
        p for p in points(dates.min(), dates.max(), override_last_month(run.config)) if p.reached
    ]
    return [
        {
            "area": area,
            "scenario": run.scenario,
            "measure": indicator.title(point),
            "unit": indicator.unit,
            "value": _display(per_run(series, indicator, point), indicator),
        }
        for indicator in INDICATORS
        for point in reached
    ]


def _display(frame: pl.DataFrame, indicator: Indicator) -> float | None:
    """The one run's value in display units, ``None`` where it has none."""
    value = frame["value"][0] if frame.height else None
    return None if value is None else value * indicator.scale


def to_markdown(table: pl.DataFrame, question: str) -> str:
    """The comparison as markdown: one table per area, scenarios as columns."""
    parts = [f"# Comparison\n\n{question.strip()}\n\nMedian across seeds (10th-90th percentile).\n"]
    for (area,), frame in table.partition_by("area", as_dict=True, maintain_order=True).items():
        cells = frame.select(
            "measure",
            "unit",
            "scenario",
            pl.struct("median", "p10", "p90").map_elements(_cell, pl.String).alias("cell"),
        )
        wide = cells.pivot("scenario", index=["measure", "unit"], values="cell")
        parts.append(f"\n## {area}\n\n{markdown(wide.fill_null(''))}")
    return "\n".join(parts) + "\n"


def _cell(row: dict) -> str:
    if row["median"] is None or not np.isfinite(row["median"]):
        return "n/a"
    digits = 0 if abs(row["median"]) >= 100 else 1
    fmt = f"{{:,.{digits}f}}"
    return f"{fmt.format(row['median'])} ({fmt.format(row['p10'])} to {fmt.format(row['p90'])})"
