"""Per-run series derived from the results, and their spread across replicates.

Every function takes the long ``scenario, seed, date, metric, value`` frame of
:class:`~sendsim.report.collect.ReportData` and returns ``scenario, seed, <x>, value``: one
value per run, so that percentiles are always taken across replicates of a derived quantity
(a financial-year sum, a 12-month rolling ratio), never derived from percentiles.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

RUN = ("scenario", "seed")
#: Percentiles reported: medians, 50% bands (25-75), table ranges (10-90), 90% bands (5-95).
PERCENTILES = (5, 10, 25, 50, 75, 90, 95)


def monthly(series: pl.DataFrame, metric: str) -> pl.DataFrame:
    """``scenario, seed, date, value`` of one metric, months with a value only."""
    return (
        series.filter(pl.col("metric") == metric, pl.col("value").is_not_null())
        .select(*RUN, "date", "value")
        .sort(*RUN, "date")
    )


def rolling_ratio(series: pl.DataFrame, numerator: str, denominator: str) -> pl.DataFrame:
    """12-month rolling ratio of two flows (sums over the 12 months to each month).

    The value dated the first of month m covers months m-11 to m; it is null where the
    denominator is zero and absent before 12 months have passed.
    """
    num = monthly(series, numerator).rename({"value": "num"})
    den = monthly(series, denominator).rename({"value": "den"})
    both = num.join(den, on=[*RUN, "date"]).sort(*RUN, "date")
    rolled = both.with_columns(
        pl.col(c).rolling_sum(12).over(RUN).alias(c) for c in ("num", "den")
    ).filter(pl.col("den").is_not_null())
    return rolled.select(
        *RUN,
        "date",
        pl.when(pl.col("den") > 0).then(pl.col("num") / pl.col("den")).alias("value"),
    )


def financial_year(date: pl.Expr) -> pl.Expr:
    """Starting year of the April-March financial year a date falls in."""
    return date.dt.year() - (date.dt.month() < 4).cast(pl.Int32)


def fy_label(start_year: int) -> str:
    """``2027`` → ``"2027-28"``."""
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def by_financial_year(series: pl.DataFrame, metric: str, how: str = "sum") -> pl.DataFrame:
    """``scenario, seed, fy, value``: a metric summed (flows) or averaged (stocks) by
    financial year, complete years (12 monthly values) only."""
    agg = pl.col("value").sum() if how == "sum" else pl.col("value").mean()
    return (
        monthly(series, metric)
        .with_columns(financial_year(pl.col("date")).alias("fy"))
        .group_by(*RUN, "fy")
        .agg(agg, pl.len().alias("months"))
        .filter(pl.col("months") == 12)
        .drop("months")
        .sort(*RUN, "fy")
    )


def full_financial_years(series: pl.DataFrame) -> list[int]:
    """Financial years (starting year) that every run covers in full with flows."""
    years = by_financial_year(series, "hn_spend_gbp")
    n_runs = series.select(*RUN).unique().height
    counts = years.group_by("fy").len().filter(pl.col("len") == n_runs)
    return sorted(counts["fy"])


def window(
    series: pl.DataFrame, metric: str, first: dt.date, last: dt.date, how: str = "sum"
) -> pl.DataFrame:
    """``scenario, seed, value``: a flow summed (or a stock averaged) over months
    ``first``..``last``; runs missing any of those months are left out."""
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    agg = pl.col("value").sum() if how == "sum" else pl.col("value").mean()
    return (
        monthly(series, metric)
        .filter(pl.col("date").is_between(first, last))
        .group_by(*RUN)
        .agg(agg, pl.len().alias("months"))
        .filter(pl.col("months") == months)
        .select(*RUN, "value")
        .sort(*RUN)
    )


def at_date(series: pl.DataFrame, metric: str, date: dt.date) -> pl.DataFrame:
    """``scenario, seed, value`` of a stock on one date."""
    return monthly(series, metric).filter(pl.col("date") == date).select(*RUN, "value")


def bands(frame: pl.DataFrame, by: str | None = None) -> pl.DataFrame:
    """Percentiles across replicates (seeds) of each scenario (and value of ``by``).

    Args:
        frame: ``scenario, seed, [by], value``; null values are left out.
        by: the x column (``date``, ``fy``) or ``None`` for one value per run.

    Returns:
        ``scenario, [by], runs, p5, p10, p25, p50, p75, p90, p95``: linear interpolation
        between replicates (numpy's default), so with one replicate every percentile equals
        its value, and with two the median is their mean.
    """
    keys = ["scenario", *([by] if by else [])]
    return (
        frame.filter(pl.col("value").is_not_null())
        .group_by(keys)
        .agg(
            pl.len().alias("runs"),
            *(
                pl.col("value").quantile(q / 100, interpolation="linear").alias(f"p{q}")
                for q in PERCENTILES
            ),
        )
        .sort(keys)
    )
