"""Find runs under results directories and load what a report needs, for one area.

A run directory holds the three files of the results contract (``timeseries.parquet``,
``summary.parquet``, ``run_meta.json``); a results directory is a run directory or any
directory with run directories below it, at any depth (Hydra sweeps: ``<sweep>/<n>/``).
Sensitivity indices (``indices.parquet``) found below the same directories are loaded too.
Every problem raises :class:`~sendsim.errors.SendsimError` naming the file, before anything
is written.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
from tqdm import tqdm

from sendsim.config.nested import differences
from sendsim.errors import DataError, SendsimError
from sendsim.headline import INDICATORS
from sendsim.model.codes import FUNDED_PLACES, PLACE_NAMES
from sendsim.results import ENGLAND_CODE, META, RESULT_FILES, SUMMARY, TIMESERIES

INDICES, DESIGN_META = "indices.parquet", "design.json"
SOBOL_COLUMNS = ("output", "factor", "S1", "S1_conf", "ST", "ST_conf")
MORRIS_COLUMNS = ("output", "factor", "mu_star", "mu_star_conf", "sigma")
TIMESERIES_COLUMNS = ("scenario", "seed", "la_code", "date", "metric", "value")
SUMMARY_COLUMNS = ("run_id", "scenario", "seed", "la_code", "la_name")
META_KEYS = ("run_id", "config_hash", "config")
BASELINE = "baseline"

#: Placements whose plans cost the high needs block, as the model names them.
PLACEMENTS = tuple(PLACE_NAMES[p] for p in FUNDED_PLACES)
#: Metrics the report reads (a run missing one cannot be reported).
NEEDED_METRICS = tuple(
    dict.fromkeys(
        (
            "ehcp_caseload",
            "ehcp_per_10k_0_25",
            "population_0_25",
            *(f"ehcp_{p}" for p in PLACEMENTS),
            *(
                f"placement_share_{p}"
                for p in ("mainstream", "resourced", "state_special", "independent")
            ),
            "hn_income_gbp",
            "hn_spend_gbp",
            *(f"hn_spend_{p}_gbp" for p in PLACEMENTS),
            "hn_spend_central_gbp",
            "dsg_cumulative_balance_gbp",
            "councils_deficit_over_reserves",
            "new_plans",
            "issued_within_20_weeks",
            "mean_months_unmet_need",
            "neet_rate_16_25",
            *(i.metric for i in INDICATORS),
        )
    )
)  # each once: the headline indicators read some of the others


@dataclass(frozen=True)
class Run:
    """One simulation run on disk.

    Attributes:
        path: the run directory.
        scenario: ``scenario.name`` of the run.
        seed: ``run.seed`` of the run.
        meta: the parsed ``run_meta.json``.
        areas: ONS code → name of every area in the run's summary.
    """

    path: Path
    scenario: str
    seed: int
    meta: dict[str, Any]
    areas: dict[str, str]

    @property
    def config(self) -> dict[str, Any]:
        return self.meta["config"]


@dataclass(frozen=True)
class Indices:
    """Sensitivity indices of one study (``indices.parquet``).

    Attributes:
        path: the file.
        method: ``sobol`` (columns ``S1``, ``ST``) or ``morris`` (``mu_star``).
        name: the method's name to show (``Sobol``, ``FAST``, ``Morris``).
        frame: one row per output and factor.
    """

    path: Path
    method: str
    name: str
    frame: pl.DataFrame


@dataclass(frozen=True)
class ReportData:
    """Everything the report is built from.

    Attributes:
        runs: the runs, scenario by scenario, seeds in order.
        scenarios: scenario names, the baseline (or the first found) first.
        area_code: ONS code of the area reported (``E92000001`` for England).
        area_name: its name.
        series: ``scenario, seed, date, metric, value`` of the area, dates up to ``end``.
        end: the last date every run reaches.
        truncated: whether some runs went beyond ``end`` (their later months are left out).
        indices: sensitivity studies found.
    """

    runs: list[Run]
    scenarios: list[str]
    area_code: str
    area_name: str
    series: pl.DataFrame
    end: dt.date
    truncated: bool
    indices: list[Indices]

    @property
    def baseline(self) -> str:
        return self.scenarios[0]

    def scenario_runs(self, scenario: str) -> list[Run]:
        return [r for r in self.runs if r.scenario == scenario]


def load(paths: Sequence[str | Path], area: str | None = None) -> ReportData:
    """Find and check the runs under ``paths`` and load the series of one area.

    Args:
        paths: results directories (run directories, sweeps, or folders of them).
        area: council (ONS code, LA number, name or slug) or ``england``; by default the
            England row if every run has one, else the single council of the runs.

    Raises:
        SendsimError: no runs found, a file missing or malformed, runs of one scenario with
            different configurations, or areas that do not match.
    """
    dirs = [Path(p) for p in paths]
    runs = [read_run(d) for d in tqdm(find_runs(dirs), desc="reading runs", disable=None)]
    runs = _unique(runs)
    scenarios = _scenario_order(runs)
    runs = sorted(runs, key=lambda r: (scenarios.index(r.scenario), r.seed))
    for name in scenarios:
        check_replicates([r for r in runs if r.scenario == name])
    code = choose_area(runs, area)
    series = pl.concat(
        [read_series(r, code) for r in tqdm(runs, desc="loading series", disable=None)]
    )
    ends = series.group_by("scenario", "seed").agg(pl.col("date").max())["date"]
    end = ends.min()
    return ReportData(
        runs=runs,
        scenarios=scenarios,
        area_code=code,
        area_name=runs[0].areas[code],
        series=series.filter(pl.col("date") <= end),
        end=end,
        truncated=ends.max() > end,
        indices=[read_indices(p) for p in find_indices(dirs)],
    )


def find_runs(dirs: Iterable[Path]) -> list[Path]:
    """Run directories at or below each of ``dirs``, in natural order (2 before 10)."""
    found: list[Path] = []
    for root in dirs:
        if not root.is_dir():
            raise SendsimError(f"{root}: no such results directory")
        parents = {f.parent for name in RESULT_FILES for f in root.rglob(name) if f.is_file()}
        for run_dir in sorted(parents, key=_natural_key):
            missing = [name for name in RESULT_FILES if not (run_dir / name).is_file()]
            if missing:
                raise DataError(
                    run_dir / missing[0],
                    f"missing; a run directory holds {', '.join(RESULT_FILES)}",
                )
            found.append(run_dir)
    if not found:
        listed = ", ".join(str(d) for d in dirs)
        raise SendsimError(
            f"no runs found in {listed}: a run directory holds {', '.join(RESULT_FILES)} "
            "(the output of `sendsim run`)"
        )
    return list(dict.fromkeys(p.resolve() for p in found))


def find_indices(dirs: Iterable[Path]) -> list[Path]:
    """Sensitivity index files at or below ``dirs``."""
    files = {f.resolve() for root in dirs for f in root.rglob(INDICES) if f.is_file()}
    return sorted(files, key=_natural_key)


def read_run(path: Path) -> Run:
    """Read a run's metadata and the areas of its summary, checking both."""
    meta = _read_json(path / META)
    missing = [k for k in META_KEYS if k not in meta]
    if missing or not isinstance(meta.get("config"), dict):
        raise DataError(path / META, f"lacks {', '.join(missing) or 'config'}")
    summary = _read_parquet(path / SUMMARY, SUMMARY_COLUMNS)
    identity = summary.select("scenario", "seed").unique()
    if identity.height != 1:
        problem = "has no rows" if identity.is_empty() else "holds several scenarios or seeds"
        raise DataError(path / SUMMARY, problem)
    scenario, seed = identity.row(0)
    areas = dict(zip(summary["la_code"], summary["la_name"], strict=True))
    return Run(path, str(scenario), int(seed), meta, areas)


def check_replicates(runs: list[Run]) -> None:
    """Replicates of a scenario differ in their seed only."""
    first = runs[0]
    for run in runs[1:]:
        differ = [
            key for key, _, _ in differences(_without_seed(first.config), _without_seed(run.config))
        ]
        if differ:
            raise SendsimError(
                f"scenario '{run.scenario}': {run.path} and {first.path} differ in "
                f"{', '.join(differ[:3])}; replicates of a scenario may differ only in "
                "run.seed (give other settings their own scenario.name)"
            )


def choose_area(runs: list[Run], area: str | None) -> str:
    """ONS code of the area to report, present in every run."""
    code = _area_code(area) if area else _default_area(runs)
    for run in runs:
        if code not in run.areas:
            have = ", ".join(sorted(run.areas)[:5]) + (", ..." if len(run.areas) > 5 else "")
            raise DataError(run.path / SUMMARY, f"has no rows for area {code} (it has {have})")
    return code


def read_series(run: Run, code: str) -> pl.DataFrame:
    """The metrics the report needs for one area of one run, long format."""
    path = run.path / TIMESERIES
    try:
        schema = pl.read_parquet_schema(path)
        _require_columns(path, schema, TIMESERIES_COLUMNS)
        frame = (
            pl.scan_parquet(path)
            .filter(pl.col("la_code") == code, pl.col("metric").is_in(NEEDED_METRICS))
            .select(
                pl.lit(run.scenario).alias("scenario"),
                pl.lit(run.seed, pl.Int64).alias("seed"),
                pl.col("date").cast(pl.Date),
                "metric",
                pl.col("value").cast(pl.Float64),
            )
            .collect()
        )
    except (OSError, pl.exceptions.PolarsError) as err:
        raise DataError(path, f"cannot be read ({_first_line(err)})") from err
    missing = sorted(set(NEEDED_METRICS) - set(frame["metric"]))
    if missing:
        raise DataError(path, f"has no values of {', '.join(missing[:5])} for area {code}")
    return frame


def read_indices(path: Path) -> Indices:
    """Read a Sobol (``S1``, ``ST``) or Morris (``mu_star``) index table."""
    try:
        columns = set(pl.read_parquet_schema(path))
    except (OSError, pl.exceptions.PolarsError) as err:
        raise DataError(path, f"cannot be read ({_first_line(err)})") from err
    for method, needed in (("sobol", SOBOL_COLUMNS), ("morris", MORRIS_COLUMNS)):
        if set(needed) <= columns:
            frame = pl.read_parquet(path, columns=list(needed))
            dupes = frame.filter(pl.struct("output", "factor").is_duplicated())
            if dupes.height:
                output, factor = dupes.row(0)[:2]
                raise DataError(path, f"has several rows for output {output}, factor {factor}")
            return Indices(path, method, _method_name(path, method), frame)
    raise DataError(
        path,
        f"needs columns {', '.join(SOBOL_COLUMNS)} (Sobol) or {', '.join(MORRIS_COLUMNS)} "
        f"(Morris); it has {', '.join(sorted(columns))}",
    )


def _method_name(path: Path, columns: str) -> str:
    """The method named in the study's ``design.json`` beside the indices, if any."""
    try:
        method = json.loads((path.parent / DESIGN_META).read_text(encoding="utf-8"))["study"]
        method = str(method["method"])
    except (OSError, ValueError, KeyError, TypeError):
        return "Sobol" if columns == "sobol" else "Morris"
    return {"sobol": "Sobol", "fast": "FAST", "morris": "Morris"}.get(method, method)


def _area_code(area: str) -> str:
    if area.strip().lower() in ("england", ENGLAND_CODE.lower()):
        return ENGLAND_CODE
    from sendsim.data.areas import find_council

    try:
        return find_council(area)["la_code"]
    except DataError as err:
        raise SendsimError(f"--area: {err.problem}") from err


def _default_area(runs: list[Run]) -> str:
    if all(ENGLAND_CODE in r.areas for r in runs):
        return ENGLAND_CODE
    names = {code: name for r in runs for code, name in r.areas.items()}
    if len(names) == 1:
        return next(iter(names))
    listed = ", ".join(f"{name} {code}" for code, name in sorted(names.items())[:6])
    raise SendsimError(
        f"the runs cover different areas ({listed}{', ...' if len(names) > 6 else ''}); "
        "choose one present in every run with --area CODE"
    )


def _unique(runs: list[Run]) -> list[Run]:
    """One run per scenario and seed; the same run found twice (a copy) counts once."""
    kept: dict[tuple[str, int], Run] = {}
    for run in runs:
        key = (run.scenario, run.seed)
        if key not in kept:
            kept[key] = run
        elif kept[key].meta["config_hash"] != run.meta["config_hash"]:
            raise SendsimError(
                f"scenario '{run.scenario}' seed {run.seed} appears twice with different "
                f"configurations: {kept[key].path} and {run.path}"
            )
    return list(kept.values())


def _scenario_order(runs: list[Run]) -> list[str]:
    names = list(dict.fromkeys(r.scenario for r in runs))
    return sorted(names, key=lambda n: n != BASELINE)


def _without_seed(config: dict[str, Any]) -> dict[str, Any]:
    run = {k: v for k, v in config.get("run", {}).items() if k != "seed"}
    return {**config, "run": run}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DataError(path, f"is not readable JSON ({_first_line(err)})") from err
    if not isinstance(data, dict):
        raise DataError(path, "is not a JSON object")
    return data


def _read_parquet(path: Path, columns: Sequence[str]) -> pl.DataFrame:
    try:
        _require_columns(path, pl.read_parquet_schema(path), columns)
        return pl.read_parquet(path, columns=list(columns))
    except (OSError, pl.exceptions.PolarsError) as err:
        raise DataError(path, f"cannot be read ({_first_line(err)})") from err


def _require_columns(path: Path, schema: Any, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in schema]
    if missing:
        raise DataError(path, f"lacks column {', '.join(missing)}")


def _natural_key(path: Path) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", str(path))]


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
