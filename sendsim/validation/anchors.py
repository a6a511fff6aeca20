"""Naive anchors: the forecasts a council could make from its own published series.

From the values of ``train_end - 4`` .. ``train_end`` that are published (at least the last
one, and two for a trend):

- ``persistence``: the last value, held;
- ``linear``: the least-squares line through them, extended;
- ``growth``: constant growth at the rate from the first to the last of them;
- ``national_growth``: the last value grown at England's rate (councils only).

High needs spend has no published series before the year it is scored in, so its anchor is
``hnb_growth``: the latest high needs block allocation announced by ``train_end`` (for the
financial year from April ``train_end + 1``), grown each year as that allocation grew.
"""

from __future__ import annotations

import polars as pl

from sendsim.validation.measures import NATIONAL, SPEND

WINDOW = 4  # anchors read train_end - 4 .. train_end (five values at most)
METHODS = ("persistence", "linear", "growth", "national_growth", "hnb_growth")


def anchors(history: pl.DataFrame, train_end: int, years: list[int]) -> pl.DataFrame:
    """Anchors of every measure and area in ``history`` (``measure, la_code, year, value``)
    for ``years``: ``measure, la_code, year`` and one column per method."""
    fits = _fits(history, train_end)
    rate = fits.filter(pl.col("la_code") == NATIONAL).select(
        "measure", pl.col("rate").alias("national_rate")
    )
    ahead = pl.col("year") - train_end
    return (
        fits.join(pl.DataFrame({"year": years}, schema={"year": pl.Int64}), how="cross")
        .join(rate, on="measure", how="left")
        .select(
            "measure",
            "la_code",
            "year",
            pl.col("last").alias("persistence"),
            (pl.col("mean") + pl.col("slope") * (pl.col("year") - pl.col("mean_year"))).alias(
                "linear"
            ),
            (pl.col("last") * pl.col("rate") ** ahead).alias("growth"),
            pl.when(pl.col("la_code") != NATIONAL)
            .then(pl.col("last") * pl.col("national_rate") ** ahead)
            .alias("national_growth"),
        )
    )


def _fits(history: pl.DataFrame, train_end: int) -> pl.DataFrame:
    """Per measure and area: the last value, the line's mean, slope, and the growth rate."""
    window = history.filter(
        pl.col("year").is_between(train_end - WINDOW, train_end) & pl.col("value").is_not_null()
    ).sort("year")
    year, value = pl.col("year").cast(pl.Float64), pl.col("value")
    first_year = year.first()
    span = train_end - first_year
    fits = window.group_by("measure", "la_code").agg(
        last=value.filter(pl.col("year") == train_end).first(),
        first=value.first(),
        span=span,
        mean=value.mean(),
        mean_year=year.mean(),
        slope=pl.when(pl.len() > 1).then(pl.cov(year, value) / year.var()),
    )
    positive = (pl.col("first") > 0) & (pl.col("last") > 0) & (pl.col("span") > 0)
    rate = (pl.col("last") / pl.col("first")) ** (1 / pl.col("span"))
    return fits.filter(pl.col("last").is_not_null()).with_columns(rate=pl.when(positive).then(rate))


def spend_anchor(allocation: pl.DataFrame, train_end: int, years: list[int]) -> pl.DataFrame:
    """High needs spend in financial years ``years`` (their starts): the allocation for the
    year from April ``train_end + 1`` grown at its growth over the year before
    (``allocation``: ``la_code, year, hnb``)."""
    latest, before = str(train_end + 1), str(train_end)
    known = allocation.pivot(on="year", index="la_code", values="hnb")
    rate = pl.col(latest) / pl.col(before)
    ahead = pl.col("year") - (train_end + 1)
    return known.join(pl.DataFrame({"year": years}, schema={"year": pl.Int64}), how="cross").select(
        pl.lit(SPEND).alias("measure"),
        "la_code",
        "year",
        (pl.col(latest) * rate**ahead).alias("hnb_growth"),
    )
