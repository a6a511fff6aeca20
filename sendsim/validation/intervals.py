"""Forecast intervals widened by the forecasts' own track record.

A forecast's draws carry stochastic, parameter and structural uncertainty, but not the
model's own error (a mechanism misread, a council's circumstances the data do not show), so
their 80% intervals held too few councils' published values. The record keeps, for each past
forecast of every council (from January 2019, 2020 and 2021, each year ahead with published
figures), how far the published value lay from the draws' median, in half-widths of the
draws' interval on that side. A forecast from January ``train_end`` widens each side of every
council's interval by the 90th percentile of those errors over councils in the *other*
forecasts' record, so that each side would have missed one council in ten had the past
forecasts been widened alike. A horizon the record lacks takes the nearest it holds; a
measure it lacks keeps the draws' interval. England's interval stays the draws' (three
forecasts are too few to measure a single area's error).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import polars as pl

from sendsim.calibration import STORED_DIR
from sendsim.data.areas import ENGLAND_CODE
from sendsim.errors import DataError
from sendsim.io import write_parquet

INTERVAL = (0.1, 0.9)  # the forecasts' interval: their draws' 10th and 90th percentiles
COVERAGE_RANGE = (0.75, 0.85)  # the share of councils an 80% interval should hold (target)
#: Past forecasts' errors (``sendsim validate ... record=true`` adds or replaces one).
RECORD = STORED_DIR / "interval_record.parquet"
#: A side's widening is never below 1: three years of record are too few to show that the
#: draws' own spread overstates a year's uncertainty (assumption).
LEAST_WIDENING = 1.0
SIDES = ("below", "above")
COUNCIL = pl.col("la_code") != ENGLAND_CODE
SCHEMA = {
    "origin": pl.Int64,
    "measure": pl.String,
    "horizon": pl.Int64,
    "la_code": pl.String,
    "below": pl.Float64,
    "above": pl.Float64,
}


def half_widths(table: pl.DataFrame) -> pl.DataFrame:
    """``table`` with the draws' half-widths below and above the median (``below_width``,
    ``above_width``). An area whose draws do not vary on a side takes the median relative
    half-width of the councils whose draws do (same measure and horizon), times its median."""
    raw = {"below": pl.col("p50") - pl.col("p10"), "above": pl.col("p90") - pl.col("p50")}
    scale = pl.col("p50").abs()
    widths = table.with_columns(**{f"{s}_width": raw[s] for s in SIDES})
    relative = {
        f"{s}_typical": pl.when((pl.col(f"{s}_width") > 0) & (scale > 0) & COUNCIL)
        .then(pl.col(f"{s}_width") / scale)
        .median()
        .over("measure", "horizon")
        for s in SIDES
    }
    filled = {
        f"{s}_width": pl.when(pl.col(f"{s}_width") > 0)
        .then(pl.col(f"{s}_width"))
        .otherwise(pl.col(f"{s}_typical").fill_null(0.0) * scale)
        for s in SIDES
    }
    typical = [f"{s}_typical" for s in SIDES]
    return widths.with_columns(**relative).with_columns(**filled).drop(typical)


def errors(table: pl.DataFrame, origin: int) -> pl.DataFrame:
    """The record of a forecast from January ``origin`` (``table``: ``measure, la_code,
    horizon, p10, p50, p90, actual``, the draws' percentiles): each council's published value
    from the median, in half-widths on each side (positive: outside the median on that side).
    Councils whose draws have no width on a side even after :func:`half_widths` are left out."""
    known = half_widths(table.filter(pl.col("actual").is_not_null() & COUNCIL))
    gap = pl.col("actual") - pl.col("p50")
    return (
        known.filter((pl.col("below_width") > 0) & (pl.col("above_width") > 0))
        .select(
            pl.lit(origin).alias("origin"),
            "measure",
            "horizon",
            "la_code",
            (-gap / pl.col("below_width")).alias("below"),
            (gap / pl.col("above_width")).alias("above"),
        )
        .cast(SCHEMA)
    )


def load(path: Path = RECORD) -> pl.DataFrame:
    """The record, checked (``DataError`` naming the file and its first problem)."""
    if not path.is_file():
        raise DataError(path, "no interval record (make one with sendsim validate record=true)")
    try:
        record = pl.read_parquet(io.BytesIO(path.read_bytes()))
    except Exception as exc:  # polars raises several exception types for corrupt files
        raise DataError(path, f"cannot read parquet file ({' '.join(str(exc).split())})") from exc
    missing = [c for c in SCHEMA if c not in record.columns]
    if missing:
        raise DataError(path, f"missing column '{missing[0]}'")
    record = record.select(list(SCHEMA))
    for side in SIDES:
        values = record[side].cast(pl.Float64).to_numpy()
        if not np.isfinite(values).all():
            raise DataError(path, f"column '{side}': a value is missing or not finite")
    return record.cast(SCHEMA)


def store(found: pl.DataFrame, path: Path = RECORD) -> Path:
    """Add the record of one forecast to the file, replacing that origin's rows."""
    origins = found["origin"].unique().to_list()
    kept = load(path).filter(~pl.col("origin").is_in(origins)) if path.is_file() else None
    table = found if kept is None else pl.concat([kept, found])
    return write_parquet(table.sort("origin", "measure", "horizon", "la_code"), path)


def widening(record: pl.DataFrame, train_end: int) -> pl.DataFrame:
    """Each side's widening by measure and horizon for a forecast from January
    ``train_end``, from the other forecasts' record: ``measure, horizon, below, above,
    councils`` (errors behind each), ``origins`` (the forecasts they come from)."""
    others = record.filter(pl.col("origin") != train_end)
    return (
        others.group_by("measure", "horizon")
        .agg(
            *(pl.col(s).quantile(INTERVAL[1], "linear").clip(LEAST_WIDENING) for s in SIDES),
            pl.len().alias("councils"),
            pl.col("origin").unique().sort().cast(pl.String).str.join(", ").alias("origins"),
        )
        .sort("measure", "horizon")
    )


def widen(table: pl.DataFrame, factors: pl.DataFrame) -> pl.DataFrame:
    """``table`` (``measure, la_code, horizon, p10, p50, p90``, the draws' percentiles) with
    councils' intervals widened by ``factors`` (:func:`widening`) at the nearest horizon
    recorded; the draws' own percentiles kept as ``draws_p10`` and ``draws_p90``."""
    distance = (pl.col("horizon") - pl.col("recorded")).abs()
    nearest = (
        table.select("measure", "horizon")
        .unique()
        .join(factors.select("measure", pl.col("horizon").alias("recorded"), *SIDES), on="measure")
        .sort("measure", "horizon", distance, "recorded")
        .unique(["measure", "horizon"], keep="first")
        .drop("recorded")
    )
    widened = {s: COUNCIL & pl.col(s).is_not_null() for s in SIDES}
    return (
        half_widths(table.join(nearest, on=["measure", "horizon"], how="left"))
        .with_columns(draws_p10=pl.col("p10"), draws_p90=pl.col("p90"))
        .with_columns(
            p10=pl.when(widened["below"])
            .then(pl.col("p50") - pl.col("below") * pl.col("below_width"))
            .otherwise(pl.col("p10")),
            p90=pl.when(widened["above"])
            .then(pl.col("p50") + pl.col("above") * pl.col("above_width"))
            .otherwise(pl.col("p90")),
        )
        .select(*table.columns, "draws_p10", "draws_p90")
    )
