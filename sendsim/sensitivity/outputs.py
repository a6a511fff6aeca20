"""Outputs of a sensitivity analysis: one number per run, ``metric@horizon``.

Horizons:

- ``YYYY-MM``: a stock as at the first of that month (``dsg_cumulative_balance_gbp@2028-04``
  is the balance at the end of March 2028), or a flow during that month;
- ``end``: as in ``summary.parquet``: a stock at the last date, a flow over the last 12 months;
- ``mean``: the mean over the simulated months (the starting census excluded);
- ``sum``: a flow summed over the whole run (ratios from summed parts).

England runs use the England row (``E92000001``); single-council runs that council. The
default outputs are the headline indicators' (:func:`sendsim.headline.sensitivity_outputs`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np

from sendsim.dates import add_months, month_start, months_between
from sendsim.headline import sensitivity_outputs
from sendsim.model.metrics import METRIC_BY_NAME, Metric
from sendsim.results import ENGLAND_CODE, RunResults

ISHIGAMI_OUTPUTS = ("y",)
SUMMARIES = ("end", "mean", "sum")
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Output:
    """One output: a metric and how a run's monthly values collapse to one number."""

    metric: Metric
    horizon: str  # YYYY-MM, end, mean or sum

    @property
    def name(self) -> str:
        return f"{self.metric.name}@{self.horizon}"


def default_outputs(model: str, start: str, years: int, override_end: str) -> tuple[str, ...]:
    """The outputs analysed when none are given: ``y`` for Ishigami, else the headline ones.

    Args:
        model: ``sendsim`` or ``ishigami``.
        start: ``run.start`` (``YYYY-MM``).
        years: ``run.years``.
        override_end: ``policy.funding.statutory_override_end`` (``YYYY-MM``).
    """
    if model == "ishigami":
        return ISHIGAMI_OUTPUTS
    dates = run_dates(start, years)
    return sensitivity_outputs(dates[0], dates[-1], month_start(override_end))


def run_dates(start: str, years: int) -> list[dt.date]:
    """First-of-month dates of a run's stocks: the start, then one per simulated month."""
    first = month_start(start)
    return [add_months(first, i) for i in range(12 * years + 1)]


def parse(spec: str, dates: list[dt.date]) -> Output | str:
    """The output named by ``spec``, or a problem naming what is allowed."""
    name, sep, horizon = spec.partition("@")
    key = f"sensitivity.outputs: '{spec}'"
    if not sep:
        return f"{key}: expected metric@horizon, horizon one of YYYY-MM, {', '.join(SUMMARIES)}"
    metric = METRIC_BY_NAME.get(name)
    if metric is None or metric.internal:
        allowed = ", ".join(m.name for m in METRIC_BY_NAME.values() if not m.internal)
        return f"{key}: unknown metric '{name}'; metrics are {allowed}"
    if horizon in SUMMARIES:
        if horizon == "sum" and metric.timing == "stock":
            return f"{key}: sum applies to flows; {name} is a stock (use a date, end or mean)"
        return Output(metric, horizon)
    months = dates if metric.timing == "stock" else dates[:-1]
    first, last = f"{months[0]:%Y-%m}", f"{months[-1]:%Y-%m}"
    match = MONTH.match(horizon)
    if not match or not first <= horizon <= last:
        return (
            f"{key}: horizon must be a month from {first} to {last} ({metric.timing}s of this "
            f"run) or one of {', '.join(SUMMARIES)}"
        )
    return Output(metric, horizon)


def values(results: RunResults, outputs: list[Output]) -> np.ndarray:
    """Each output of one run (England's row for England runs, else the council's)."""
    col = results.codes.index(ENGLAND_CODE) if ENGLAND_CODE in results.codes else 0
    return np.array([_value(results, out, col) for out in outputs], dtype=float)


def _value(results: RunResults, out: Output, col: int) -> float:
    m = out.metric
    if out.horizon == "end":
        return float(results.horizon_value(m)[col])
    if out.horizon == "sum":
        return float(_summed(results, m)[col])
    series = results.metric(m)[:, col]
    if out.horizon == "mean":
        simulated = series[1:] if m.timing == "stock" else series
        return float(np.nanmean(simulated)) if np.isfinite(simulated).any() else float("nan")
    return float(series[months_between(results.dates[0], month_start(out.horizon))])


def _summed(results: RunResults, m: Metric) -> np.ndarray:
    if not m.is_ratio:
        return results.values[m.name].sum(axis=0)
    num = results.values[m.numerator].sum(axis=0)
    den = results.values[m.denominator].sum(axis=0)
    return np.divide(num * m.multiplier, den, out=np.full(num.shape, np.nan), where=den > 0)
