"""The results contract: ``timeseries.parquet``, ``summary.parquet`` and ``run_meta.json``.

``timeseries.parquet`` is long (``run_id, scenario, seed, la_code, date, metric, value``):
stocks are dated the first of the month they describe (the first row is the January census),
flows the first of the month they happened in. ``summary.parquet`` has one row per run and
council with each metric at the horizon: stocks at the final date, flows summed over the last
12 months. England runs add an ``E92000001`` row summing all councils. Units and labels of
every metric are in :data:`sendsim.model.metrics.METRICS`.

The three files are one set. ``run_meta.json`` is written last and records the SHA-256 of the
other two and of the input data and calibration fit the run read, so :func:`complete` can tell
a finished set from a killed, mixed or outdated one; a new set removes the old one first.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
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
from sendsim.data import areas
from sendsim.data.areas import ENGLAND_CODE
from sendsim.dates import add_months
from sendsim.io import is_temporary, write_parquet, write_text
from sendsim.model.metrics import METRICS, Metric
from sendsim.model.ops import MONTHS_PER_YEAR

TIMESERIES, SUMMARY, META = "timeseries.parquet", "summary.parquet", "run_meta.json"
RESULT_FILES = (TIMESERIES, SUMMARY, META)
TABLES = (TIMESERIES, SUMMARY)  # hashed in run_meta.json
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
        self.dates = [add_months(start, i) for i in range(model.n_months + 1)]

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
        if m.yearly:  # the latest year's value, within the last twelve months
            recent = self.metric(m)[-MONTHS_PER_YEAR - 1 :]
            held = np.isfinite(recent)
            last = len(recent) - 1 - np.argmax(held[::-1], axis=0)
            value = recent[last, np.arange(recent.shape[1])]
            return np.where(held.any(axis=0), value, np.nan)
        if m.timing == "stock":
            return self.metric(m)[-1]
        if not m.is_ratio:
            return self.values[m.name][-12:].sum(axis=0)
        num = self.values[m.numerator][-12:].sum(axis=0)
        den = self.values[m.denominator][-12:].sum(axis=0)
        return np.divide(num * m.multiplier, den, out=np.full(num.shape, np.nan), where=den > 0)


def write_run(out_dir: Path, model: Any, resolved: dict[str, Any], wall_time_s: float) -> None:
    """Replace the result set in ``out_dir`` by this run's; on any failure leave no set."""
    cfg = model.cfg
    identity = (run_id(resolved), cfg.scenario.name, cfg.run.seed)
    results = RunResults(model)
    clear(out_dir)
    try:
        write_parquet(results.timeseries(*identity), out_dir / TIMESERIES)
        write_parquet(results.summary(*identity), out_dir / SUMMARY)
        meta = {
            "run_id": identity[0],
            "config_hash": config_hash(resolved),
            "config": resolved,
            "files": {name: file_hash(out_dir / name) for name in TABLES},
            "inputs": input_hashes(cfg),
            "sendsim_version": sendsim.__version__,
            "git_commit": git_commit(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "mesa": mesa.__version__,
            "polars": pl.__version__,
            "councils": results.codes,
            "calibration_fit": model.calibration_fit,  # path and sha256; None: uncalibrated
            "data_vintage": "SEN2 and school census to January 2022; flows to 2022; ONS mid-2020",
            "wall_time_s": round(wall_time_s, 3),
            "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        text = json.dumps(meta, indent=2, default=str, allow_nan=False)
        write_text(text, out_dir / META)
    except BaseException:
        clear(out_dir)
        raise


def clear(out_dir: Path) -> None:
    """Remove a result set (its marker first, so no moment shows a mixed set as complete)
    and temporary files left by killed writes."""
    for name in (META, *TABLES):
        (out_dir / name).unlink(missing_ok=True)
    if out_dir.is_dir():
        for path in out_dir.iterdir():
            if is_temporary(path):
                path.unlink(missing_ok=True)


def complete(out_dir: Path, config: Any = None) -> bool:
    """Whether ``out_dir`` holds a whole result set (of ``config`` and today's inputs, if given).

    An unreadable ``run_meta.json`` or a table that is not the one it records means no.
    """
    meta = read_meta(out_dir)
    if meta is None or not isinstance(meta.get("files"), dict):
        return False
    recorded = meta["files"]
    if any(recorded.get(name) != file_hash(out_dir / name) for name in TABLES):
        return False
    if config is None:
        return True
    resolved = dataclasses.asdict(config)
    return meta.get("config_hash") == config_hash(resolved) and meta.get("inputs") == (
        input_hashes(config)
    )


def read_meta(out_dir: Path) -> dict[str, Any] | None:
    """``run_meta.json`` as a dict, or None if it is missing or not valid JSON."""
    try:
        meta = json.loads((out_dir / META).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def input_hashes(config: Any) -> dict[str, str]:
    """SHA-256 of each data file and calibration fit a run of ``config`` reads."""
    from sendsim import calibration  # imports the model, which imports this module

    files = [
        areas.PROCESSED_DIR / name
        for name in (areas.COUNCILS_FILE, areas.POPULATION_FILE, areas.HISTORY_FILE)
    ]
    if config.run.calibrated:
        files.append(calibration.fit_path(int(config.run.start[:4]), config.run.fit))
    return {path.name: file_hash(path) for path in files if path.exists()}


def file_hash(path: Path) -> str | None:
    """SHA-256 of a file as hex (None if it is missing); cached while it is unchanged."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return _hash(path.resolve(), stat.st_ino, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _hash(path: Path, inode: int, mtime_ns: int, size: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
