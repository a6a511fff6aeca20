"""Outcome levels: where each council's results start, chosen by out-of-sample fit.

A council's starting level of a measure is England's latest comparable figure plus the
council's mean gap from England over its latest ``k`` comparable years [dfe-lait]. The gap, not
the level, is averaged, so national shifts (the new Key Stage 2 tests settling in, Level 2 by
resits) count once, at their latest. Attainment 8 in 2022 was graded apart (midway between
2019's grades and 2021's teacher-assessed ones, with 2019's standard again from 2023), so
England's level comes from 2019 while councils' gaps read 2022 as well [ofqual-grading].

``k`` is chosen per measure by the forecasts it would have made with the data up to the start
only: from each earlier year with at least the most years any candidate uses, each later
comparable year up to ``HORIZON`` years on is forecast, and the ``k`` with the lowest mean
absolute error across councils is chosen. Where no earlier year allows a choice, all of the
latest ``MOST_YEARS`` are averaged.

``python -m sendsim.outcome_levels`` prints the table of ``docs/outcomes.md`` ("Starting levels").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import polars as pl

from sendsim.data import areas
from sendsim.errors import DataError

MOST_YEARS = 3  # candidate numbers of latest years averaged: 1 to this (the default)
HORIZON = 3  # years ahead scored, as the validation's
SCORED_STARTS = (2019, 2022)  # the printed table: the validation's start and the forecast's


@dataclass(frozen=True)
class Levels:
    """One measure's starting levels: ``value`` of each council with a figure (``la_code``),
    England's latest figure, and the years averaged with their scores."""

    by_council: pl.DataFrame
    england: float
    years: int
    scores: dict[int, float]  # years averaged → mean absolute error (empty: no choice)


@cache  # the published history does not change within a process
def comparable_history(measure: str, year: int) -> pl.DataFrame:
    """Councils' comparable figures of ``measure`` up to ``year`` with their gap from England's
    that year: columns ``la_code``, ``year``, ``value``, ``gap``."""
    skip = areas.OUTCOME_YEARS_NOT_COMPARABLE.get(measure, ())
    rows = areas.load_history().filter(
        (pl.col("measure") == measure)
        & (pl.col("year") <= year)
        & ~pl.col("year").is_in(skip)
        & pl.col("value").is_not_null()
    )
    england = rows.filter(pl.col("la_code") == areas.ENGLAND_CODE).select(
        "year", pl.col("value").alias("england")
    )
    councils = rows.filter(pl.col("la_code") != areas.ENGLAND_CODE)
    if england.height != councils["year"].n_unique() or councils.is_empty():
        problem = f"{measure} to {year}: no council figures, or England's missing in a year"
        raise DataError(areas.PROCESSED_DIR / areas.HISTORY_FILE, problem)
    return councils.join(england, on="year").select(
        "la_code", "year", "value", (pl.col("value") - pl.col("england")).alias("gap")
    )


def level_at(
    history: pl.DataFrame, origin: int, years: int, apart: tuple[int, ...] = ()
) -> tuple[pl.DataFrame, float]:
    """Each council's level as of ``origin``: England's figure then (of the latest year not
    graded ``apart``) plus the council's mean gap over its latest ``years`` comparable years,
    within the range councils' figures have taken; and England's figure."""
    past = history.filter(pl.col("year") <= origin)
    graded = past.filter(~pl.col("year").is_in(apart))
    england = graded.filter(pl.col("year") == graded["year"].max())
    national = float((england["value"] - england["gap"]).first())
    mean_gap = (
        past.sort("year", descending=True)
        .group_by("la_code", maintain_order=True)
        .head(years)
        .group_by("la_code")
        .agg(pl.col("gap").mean())
    )
    level = (pl.col("gap") + national).clip(past["value"].min(), past["value"].max())
    return mean_gap.select("la_code", level.alias("value")), national


def scores(history: pl.DataFrame, apart: tuple[int, ...] = ()) -> dict[int, float]:
    """Mean absolute error of each candidate number of years over the forecasts it allows,
    all candidates scored on the same forecasts, of councils with a figure in each year they
    use; empty where no choice can be scored."""
    years = sorted(history["year"].unique())
    most = min(MOST_YEARS, len(years) - 1)  # years up to the latest origin with a later year
    if most < 2:
        return {}
    origins = [y for i, y in enumerate(years[:-1]) if i + 1 >= most]
    errors: dict[int, list[np.ndarray]] = {k: [] for k in range(1, most + 1)}
    for origin in origins:
        past = history.filter(pl.col("year") <= origin).group_by("la_code").len()
        full = past.filter(pl.col("len") >= most).select("la_code")  # every candidate differs
        later = history.filter(pl.col("year").is_between(origin + 1, origin + HORIZON))
        for k in errors:
            forecast, _ = level_at(history, origin, k, apart)
            joined = later.join(full, on="la_code").join(forecast, on="la_code", suffix="_forecast")
            errors[k].append((joined["value"] - joined["value_forecast"]).abs().to_numpy())
    return {k: float(np.concatenate(e).mean()) for k, e in errors.items()}


@cache
def levels(measure: str, year: int) -> Levels:
    """``measure``'s starting levels for a start in ``year``, its years averaged chosen by
    out-of-sample fit on the data up to ``year``."""
    history = comparable_history(measure, year)
    apart = areas.OUTCOME_YEARS_GRADED_APART.get(measure, ())
    fit = scores(history, apart)
    # ties go to more years: the steadier level
    chosen = min(sorted(fit, reverse=True), key=fit.__getitem__) if fit else MOST_YEARS
    by_council, england = level_at(history, year, chosen, apart)
    return Levels(by_council, england, chosen, fit)


def _table() -> str:
    lines = [
        "| measure | start | "
        + " | ".join(f"{k} year{'s' * (k > 1)}" for k in range(1, MOST_YEARS + 1))
        + " | chosen |",
        "|---|---|" + "---|" * (MOST_YEARS + 1),
    ]
    for measure in areas.OUTCOMES:
        for start in SCORED_STARTS:
            chosen = levels(measure, start)
            cells = [
                f"{chosen.scores[k]:.2f}" if k in chosen.scores else "-"
                for k in range(1, MOST_YEARS + 1)
            ]
            lines.append(f"| `{measure}` | {start} | {' | '.join(cells)} | {chosen.years} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(_table())
