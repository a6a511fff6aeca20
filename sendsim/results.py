"""The results contract: ``timeseries.parquet``, ``summary.parquet`` and ``run_meta.json``.

``timeseries.parquet`` is long (``run_id, scenario, seed, la_code, date, metric, value``):
stocks are dated the first of the month they describe (the first row is the January census),
flows the first of the month they happened in. ``summary.parquet`` has one row per run and
council with each metric at the horizon: stocks at the final date, flows summed over the last
12 months. England runs add an ``E92000001`` row summing all councils. Units and labels of
every metric are in :data:`sendsim.model.metrics.METRICS`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import subprocess
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import polars as pl

import sendsim
from sendsim.io import write_parquet, write_text
from sendsim.model.metrics import METRICS, Metric

ENGLAND_CODE = "E92000001"
TIMESERIES, SUMMARY, META = "timeseries.parquet", "summary.parquet", "run_meta.json"
RESULT_FILES = (TIMESERIES, SUMMARY, META)
PUBLISHED = tuple(m for m in METRICS if not m.internal)


def config_hash(resolved: dict[str, Any]) -> str:
    """SHA-256 of the resolved configuration (keys sorted), as hex."""
    text = json.dumps(resolved, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def run_id(resolved: dict[str, Any]) -> str:
    """Short stable identifier of a run: the first 12 hex digits of its config hash."""
    return config_hash(resolved)[:12]


class RunResults:
    """Per-council arrays of every metric, ready to write.

    Args:
        model: a model that has run.
    """

    def __init__(self, model: Any) -> None:
        rec, scale = model.recorder, model.scale
        self.codes = list(model.councils.code)
        self.names = list(model.councils.name)
        raw = {**rec.stocks, **rec.flows}
        self.values = {
            name: arr * scale if _metric(name).scaled else arr for name, arr in raw.items()
        }
        if len(self.codes) > 1:
            self.codes.append(ENGLAND_CODE)
            self.names.append("England")
            self.values = {k: np.column_stack([v, v.sum(axis=1)]) for k, v in self.values.items()}
        start = dt.date(model.start_year, model.start_month, 1)
        self.dates = [_add_months(start, i) for i in range(model.n_months + 1)]

    def metric(self, m: Metric) -> np.ndarray:
        """(dates, councils) values of a metric; ratios from their parts, null where undefined."""
        if not m.is_ratio:
            return self.values[m.name]
        num, den = self.values[m.numerator], self.values[m.denominator]
        return np.divide(num * m.multiplier, den, out=np.full(num.shape, np.nan), where=den > 0)

    def timeseries(self, run: str, scenario: str, seed: int) -> pl.DataFrame:
        parts = []
        for m in PUBLISHED:
            values = self.metric(m)
            n_dates, n_areas = values.shape
            parts.append(
                pl.DataFrame(
                    {
                        "la_code": np.tile(self.codes, n_dates),
                        "date": np.repeat(
                            np.array(self.dates[:n_dates], dtype="datetime64[D]"), n_areas
                        ),
                        "metric": m.name,
                        "value": values.ravel(),
                    }
                )
            )
        frame = pl.concat(parts).with_columns(pl.col("value").fill_nan(None))
        ids = {"run_id": run, "scenario": scenario, "seed": seed}
        return frame.select(
            *(pl.lit(v).alias(k) for k, v in ids.items()), "la_code", "date", "metric", "value"
        ).with_columns(pl.col("seed").cast(pl.Int64))

    def summary(self, run: str, scenario: str, seed: int) -> pl.DataFrame:
        """One row per council: stocks at the last date, flows over the last 12 months."""
        columns: dict[str, Any] = {
            "run_id": run,
            "scenario": scenario,
            "seed": seed,
            "la_code": self.codes,
            "la_name": self.names,
            "horizon": self.dates[-1],
        }
        for m in PUBLISHED:
            columns[m.name] = self.horizon_value(m)
        frame = pl.DataFrame(columns).with_columns(pl.col("seed").cast(pl.Int64))
        return frame.with_columns(pl.col(pl.Float64).fill_nan(None))

    def horizon_value(self, m: Metric) -> np.ndarray:
        if m.timing == "stock":
            return self.metric(m)[-1]
        if not m.is_ratio:
            return self.values[m.name][-12:].sum(axis=0)
        num = self.values[m.numerator][-12:].sum(axis=0)
        den = self.values[m.denominator][-12:].sum(axis=0)
        return np.divide(num * m.multiplier, den, out=np.full(num.shape, np.nan), where=den > 0)


def write_run(out_dir: Path, model: Any, resolved: dict[str, Any], wall_time_s: float) -> None:
    """Write the three result files of one run into ``out_dir``, each atomically."""
    cfg = model.cfg
    identity = (run_id(resolved), cfg.scenario.name, cfg.run.seed)
    results = RunResults(model)
    write_parquet(results.timeseries(*identity), out_dir / TIMESERIES)
    write_parquet(results.summary(*identity), out_dir / SUMMARY)
    meta = {
        "run_id": identity[0],
        "config_hash": config_hash(resolved),
        "config": resolved,
        "sendsim_version": sendsim.__version__,
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "mesa": mesa.__version__,
        "polars": pl.__version__,
        "councils": results.codes,
        "calibration_fit": getattr(model, "calibration_fit", None),  # path, sha256; or None
        "data_vintage": "SEN2 and school census to January 2022; flows to 2022; ONS mid-2020",
        "wall_time_s": round(wall_time_s, 3),
        "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    write_text(json.dumps(meta, indent=2, default=str), out_dir / META)


def git_commit() -> str:
    """The source tree's git commit, or ``unknown`` outside a git checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _metric(name: str) -> Metric:
    from sendsim.model.metrics import METRIC_BY_NAME

    return METRIC_BY_NAME[name]


def _add_months(start: dt.date, months: int) -> dt.date:
    total = start.month - 1 + months
    return dt.date(start.year + total // 12, total % 12 + 1, 1)
