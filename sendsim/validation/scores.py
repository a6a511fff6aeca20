"""Scores: how far each forecast is from the published value, by measure, level and horizon.

The error of a count or an amount is a percentage of the published value (forecast / actual
- 1); of a share, the difference in percentage points; of a score (Attainment 8), in points.
Per measure, level (councils or England), horizon and method: the median and mean absolute
error, the bias (mean signed error: positive means too high) and, for sendsim, the share of
areas whose published value lies within the 80% interval (``coverage_80``: the interval
widened by past forecasts' errors, :mod:`.intervals`; ``coverage_80_draws``: the draws' own).
"""

from __future__ import annotations

import polars as pl

from sendsim.validation.anchors import METHODS
from sendsim.validation.intervals import COVERAGE_RANGE
from sendsim.validation.measures import MEASURE_BY_NAME, MEASURES, NATIONAL

#: Targets the forecast is checked against (those set for forecasts from January 2022).
CASELOAD_MDAPE, CASELOAD_MAPE = 5.5, 7.5
NATIONAL_NEW_PLANS = 10.0
#: Unit of an error by the kind of measure: % of the published value, or a difference.
ERROR_UNIT = {"count": "%", "money": "%", "share": "pp", "points": "points"}
SCHEMA = {
    "measure": pl.String,
    "level": pl.String,
    "horizon": pl.Int64,
    "year": pl.Int64,
    "method": pl.String,
    "areas": pl.UInt32,
    "mdape": pl.Float64,
    "mape": pl.Float64,
    "bias": pl.Float64,
    "coverage_80": pl.Float64,
    "coverage_80_draws": pl.Float64,
}


def errors(table: pl.DataFrame) -> pl.DataFrame:
    """One row per area, year and method with a forecast and a published value: ``error``
    in % (counts, money) or percentage points (shares), and whether the actual lies in the
    80% interval and in the draws' own (sendsim only)."""
    methods = ["p50", *(m for m in METHODS if m in table.columns)]
    shares = [name for name, m in MEASURE_BY_NAME.items() if m.kind == "share"]
    scored = [name for name, m in MEASURE_BY_NAME.items() if m.kind == "points"]
    share = pl.col("measure").is_in(shares)
    points = pl.col("measure").is_in(scored)
    if "draws_p10" not in table.columns:  # an interval not widened is the draws' own
        table = table.with_columns(draws_p10=pl.col("p10"), draws_p90=pl.col("p90"))
    interval = ["p10", "p90", "draws_p10", "draws_p90"]
    long = table.filter(pl.col("actual").is_not_null()).unpivot(
        index=["measure", "la_code", "year", "horizon", "actual", *interval],
        on=methods,
        variable_name="method",
        value_name="forecast",
    )
    error = (
        pl.when(share)
        .then((pl.col("forecast") - pl.col("actual")) * 100)
        .when(points)
        .then(pl.col("forecast") - pl.col("actual"))
        .otherwise((pl.col("forecast") / pl.col("actual") - 1) * 100)
    )
    inside = pl.col("actual").is_between(pl.col("p10"), pl.col("p90"))
    inside_draws = pl.col("actual").is_between(pl.col("draws_p10"), pl.col("draws_p90"))
    kept = pl.col("forecast").is_not_null() & (share | points | (pl.col("actual") > 0))
    return long.filter(kept).select(
        "measure",
        pl.when(pl.col("la_code") == NATIONAL)
        .then(pl.lit("england"))
        .otherwise(pl.lit("council"))
        .alias("level"),
        "la_code",
        "year",
        "horizon",
        pl.col("method").replace({"p50": "sendsim"}),
        error.alias("error"),
        pl.when(pl.col("method") == "p50").then(inside).alias("inside"),
        pl.when(pl.col("method") == "p50").then(inside_draws).alias("inside_draws"),
    )


def score(table: pl.DataFrame) -> pl.DataFrame:
    """Scores by measure, level, horizon and method (see the module's words)."""
    return (
        errors(table)
        .group_by("measure", "level", "horizon", "year", "method")
        .agg(
            pl.len().alias("areas"),
            pl.col("error").abs().median().alias("mdape"),
            pl.col("error").abs().mean().alias("mape"),
            pl.col("error").mean().alias("bias"),
            pl.col("inside").cast(pl.Float64).mean().alias("coverage_80"),
            pl.col("inside_draws").cast(pl.Float64).mean().alias("coverage_80_draws"),
        )
        .select(list(SCHEMA))
        .cast(SCHEMA)
        .sort("measure", "level", "horizon", "method")
    )


def targets(scores: pl.DataFrame) -> pl.DataFrame:
    """The forecast targets checked at each horizon scored: ``target, horizon, value, low,
    high, met, unit``: ``value`` must lie within ``low`` .. ``high``, or be at most ``high``,
    the anchor's error (below it, for spend), where ``low`` is empty; ``unit`` is ``%``,
    ``pp`` (percentage points) or ``points``."""

    def pick(measure: str, level: str, method: str, column: str) -> pl.DataFrame:
        chosen = scores.filter(
            (pl.col("measure") == measure)
            & (pl.col("level") == level)
            & (pl.col("method") == method)
        )
        return chosen.select("horizon", pl.col(column).alias("value"))

    def versus(
        target: str, measure: str, anchor: str, strictly: bool = False, column: str = "mdape"
    ) -> pl.DataFrame:
        ours = pick(measure, "council", "sendsim", column)
        theirs = pick(measure, "council", anchor, column).rename({"value": "high"})
        met = pl.col("value") < pl.col("high") if strictly else pl.col("value") <= pl.col("high")
        unit = ERROR_UNIT[MEASURE_BY_NAME[measure].kind]
        return ours.join(theirs, on="horizon").with_columns(
            target=pl.lit(target), low=pl.lit(None, pl.Float64), met=met, unit=pl.lit(unit)
        )

    def within(target: str, frame: pl.DataFrame, low: float, high: float) -> pl.DataFrame:
        return frame.with_columns(
            target=pl.lit(target),
            low=pl.lit(low, pl.Float64),
            high=pl.lit(high, pl.Float64),
            met=pl.col("value").is_between(low, high),
            unit=pl.lit("%"),
        )

    bias = pick("new_plans", "england", "sendsim", "bias")
    parts = [
        within(
            "caseload per council: median abs. % error",
            pick("ehcp_total", "council", "sendsim", "mdape"),
            0,
            CASELOAD_MDAPE,
        ),
        within(
            "caseload per council: mean abs. % error",
            pick("ehcp_total", "council", "sendsim", "mape"),
            0,
            CASELOAD_MAPE,
        ),
        within(
            "caseload per council: % inside the 80% interval",
            pick("ehcp_total", "council", "sendsim", "coverage_80").with_columns(
                pl.col("value") * 100
            ),
            COVERAGE_RANGE[0] * 100,
            COVERAGE_RANGE[1] * 100,
        ),
        versus("requests per council: no worse than constant growth", "requests", "growth"),
        versus("new plans per council: no worse than persistence", "new_plans", "persistence"),
        within("new plans in England: % error", bias, -NATIONAL_NEW_PLANS, NATIONAL_NEW_PLANS),
        versus(
            "high needs spend per council: better than its allocation grown",
            "hn_spend_gbp",
            "hnb_growth",
            strictly=True,
        ),
        *(
            versus(
                f"{m.label} per council: mean abs. error no worse than persistence",
                m.name,
                "persistence",
                column="mape",
            )
            for m in MEASURES
            if m.period == "september"
        ),
    ]
    columns = ["target", "horizon", "value", "low", "high", "met", "unit"]
    return pl.concat(p.select(columns).sort("horizon") for p in parts)
