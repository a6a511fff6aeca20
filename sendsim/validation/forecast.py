"""The forecast: ``draws`` runs from January ``train_end``, each with its own seed and its own
draw of the calibrated factors (``sendsim backtest``'s draws), read for every measure.

A run lasts ``horizon`` + 1 years so that the flows of calendar year ``train_end + horizon``
are complete. Percentiles are taken over draws for each council and, when every council is
simulated, for England (councils summed within each draw; shares from summed numerators and
denominators).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl
from tqdm import tqdm

from sendsim import backtest, calibration
from sendsim.dates import SEPTEMBER
from sendsim.validation import anchors, intervals, measures
from sendsim.validation.measures import NATIONAL
from sendsim.validation.settings import Validate

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

LOW, HIGH = intervals.INTERVAL


def forecast(spec: Validate) -> pl.DataFrame:
    """Percentiles over draws: ``measure, la_code, year, p10, p50, p90``."""
    fit = calibration.load(spec.train_end)
    draws = pl.concat(
        simulate(spec, fit, d).with_columns(draw=pl.lit(d))
        for d in tqdm(range(spec.draws), desc="validate", unit="draw")
    )
    if spec.national:
        draws = pl.concat([draws, england(draws)])
    return percentiles(draws)


def simulate(spec: Validate, fit: calibration.Fit, draw: int) -> pl.DataFrame:
    """One draw: ``measure, la_code, year, value, denominator`` (denominators of shares)."""
    model = backtest.draw_model(spec.backtest(), fit, draw, spec.horizon + 1)
    bands = []
    for _ in range(spec.horizon):
        advance(model, 12)
        bands.append(measures.plans_by_band(model))
    advance(model, 12)
    codes, frames = model.councils.code, []
    for step in range(1, spec.horizon + 1):
        january, year = 12 * step, spec.train_end + step
        stocks = measures.january_stocks(model, january) | bands[step - 1]
        frames.append(rows(codes, year, stocks))
        flows = measures.calendar_flows(model, january)
        frames.append(rows(codes, year, flows, measures.denominators(model, january)))
        spend = {measures.SPEND: measures.spend(model, january - 9)}  # April before
        frames.append(rows(codes, year - 1, spend))
        results, pupils = measures.september_results(model, january + SEPTEMBER - 1)
        frames.append(rows(codes, year, results, pupils))
    return pl.concat(frames)


def advance(model: SendModel, months: int) -> None:
    """Simulate ``months`` more months."""
    for _ in range(months):
        model.step()


def rows(
    codes: list[str],
    year: int,
    values: dict[str, np.ndarray],
    divisors: dict[str, np.ndarray] | None = None,
) -> pl.DataFrame:
    """Per-council values of several measures in one year, as long rows."""
    divisors = divisors or {}
    return pl.concat(
        pl.DataFrame(
            {
                "measure": name,
                "la_code": codes,
                "year": year,
                "value": value.astype(np.float64),
                "denominator": divisors.get(name, np.full(len(codes), np.nan)),
            },
            schema_overrides={"year": pl.Int64},
        )
        for name, value in values.items()
    )


def england(draws: pl.DataFrame) -> pl.DataFrame:
    """Every council summed, draw by draw."""
    return (
        draws.group_by("measure", "year", "draw")
        .agg(pl.col("value").sum(), pl.col("denominator").sum())
        .with_columns(la_code=pl.lit(NATIONAL))
        .select(draws.columns)
    )


def percentiles(draws: pl.DataFrame) -> pl.DataFrame:
    """The 10th, 50th and 90th percentiles over draws of each measure, council and year."""
    share = pl.col("denominator").is_not_nan()
    value = (
        pl.when(share & (pl.col("denominator") > 0))
        .then(pl.col("value") / pl.col("denominator"))
        .when(~share)
        .then(pl.col("value"))
    )
    return (
        draws.with_columns(value=value)
        .group_by("measure", "la_code", "year")
        .agg(
            pl.col("value").quantile(LOW, "linear").alias("p10"),
            pl.col("value").quantile(0.5, "linear").alias("p50"),
            pl.col("value").quantile(HIGH, "linear").alias("p90"),
        )
        .sort("measure", "la_code", "year")
    )


def compared(spec: Validate, forecasts: pl.DataFrame) -> pl.DataFrame:
    """The forecasts beside the published values (``actual``) and the naive anchors, with the
    ``horizon`` of each: years from January ``train_end`` to the January, the calendar year or
    the end of the financial year forecast."""
    years = list(range(spec.train_end, spec.train_end + spec.horizon + 1))
    history = measures.published(spec.train_end - anchors.WINDOW, spec.train_end)
    naive = anchors.anchors(history, spec.train_end, years)
    spend = anchors.spend_anchor(measures.allocations(), spec.train_end, years)
    last = spec.train_end + spec.horizon
    actual = measures.published(spec.train_end, last).rename({"value": "actual"})
    keys = ["measure", "la_code", "year"]
    financial = pl.col("measure") == measures.SPEND
    return (
        forecasts.join(actual, on=keys, how="left")
        .join(naive, on=keys, how="left")
        .join(spend, on=keys, how="left")
        .with_columns(horizon=pl.col("year") - spec.train_end + financial.cast(pl.Int64))
        .sort(keys)
    )
