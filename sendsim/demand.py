"""Demand: the form of each council's request trend, chosen by out-of-sample fit.

Each candidate form projects a council's series from its last training year with the
council's recent growth (estimated as the calibration estimates it: the median yearly growth
over the last three years, pooled towards England's). Every form is fitted to data up to
2018 and scored on 2019-2022 by each council's absolute percentage error at each horizon.
The form with the lowest median error across councils, averaged over horizons and the flow
series (requests and new plans: the trend is one of request propensity, a flow), is the one
the requests mechanism uses (``behaviour.requests.trend_ceiling``). Caseloads are scored too,
for information.

``python -m sendsim.demand`` prints the tables of ``docs/backtest.md`` ("Demand trend").
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import polars as pl

from sendsim.calibration import GROWTH_RANGE, NATIONAL, POOLING_PLANS
from sendsim.data import areas
from sendsim.model.ops import saturating_multiple

#: A projection: (training values (councils, years), recent growth, horizons) → forecasts.
Projection = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]

SERIES = {"requests": "requests", "new_plans": "new plans", "ehcp_total": "caseload"}
SELECTION_SERIES = ("requests", "new_plans")  # flows: the trend is one of request propensity
TRAIN_YEARS = (2016, 2018)  # years every series holds (requests start in 2016)
TEST_END = 2022
RECENT_YEARS = 3  # growth is the median over the last three years, as the calibration's
HALF_LIVES = (0.5, 1.0, 2.0, 3.0, 5.0)  # candidate half-lives of a damped trend (years)
CEILINGS = (1.1, 1.25, 1.5, 2.0, 3.0)  # candidate ceilings of a saturating trend (ratio)
SATURATING = "saturating, ceiling {:g}"
NEAR_BEST = 2.0  # points of score within which a form is as defensible as the best


# -- candidate forms -----------------------------------------------------------------------
def _none(train: np.ndarray, growth: np.ndarray, horizons: np.ndarray) -> np.ndarray:
    return np.repeat(train[:, -1:], len(horizons), axis=1)


def _growth(train: np.ndarray, growth: np.ndarray, horizons: np.ndarray) -> np.ndarray:
    return train[:, -1:] * (1 + growth[:, None]) ** horizons


def _linear(train: np.ndarray, growth: np.ndarray, horizons: np.ndarray) -> np.ndarray:
    t = np.arange(train.shape[1]) - (train.shape[1] - 1) / 2
    slope = ((train - train.mean(axis=1, keepdims=True)) * t).sum(axis=1) / (t**2).sum()
    return np.maximum(train[:, -1:] + slope[:, None] * horizons, 0.0)


def _damped(
    train: np.ndarray, growth: np.ndarray, horizons: np.ndarray, half_life: float
) -> np.ndarray:
    decay = np.log(2) / half_life  # the yearly growth rate (log) halves every half-life
    log_multiple = np.log1p(growth)[:, None] * -np.expm1(-decay * horizons) / decay
    return train[:, -1:] * np.exp(log_multiple)


def _saturating(
    train: np.ndarray, growth: np.ndarray, horizons: np.ndarray, ceiling: float
) -> np.ndarray:
    return train[:, -1:] * saturating_multiple(growth[:, None], horizons, ceiling)


def forms() -> dict[str, Projection]:
    """The candidate forms by name."""
    out: dict[str, Projection] = {"no trend": _none, "constant growth": _growth}
    out["linear"] = _linear
    out |= {f"damped, half-life {h:g}": partial(_damped, half_life=h) for h in HALF_LIVES}
    out |= {SATURATING.format(c): partial(_saturating, ceiling=c) for c in CEILINGS}
    return out


# -- the series ----------------------------------------------------------------------------
def panel(
    history: pl.DataFrame, measure: str, first: int, last: int
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Councils' codes and values of ``measure`` over ``first``..``last`` (councils with a
    positive value every year only), and England's values."""
    wide = (
        history.filter((pl.col("measure") == measure) & pl.col("year").is_between(first, last))
        .pivot(on="year", index="la_code", values="value", sort_columns=True)
        .sort("la_code")
    )
    columns = [str(y) for y in range(first, last + 1)]
    national = wide.filter(pl.col("la_code") == NATIONAL).select(columns).to_numpy()
    councils = wide.filter(pl.col("la_code") != NATIONAL)
    values = councils.select(columns).to_numpy().astype(np.float64)
    complete = np.all(np.nan_to_num(values) > 0, axis=1)
    codes = [code for code, keep in zip(councils["la_code"], complete, strict=True) if keep]
    return codes, values[complete], national[0].astype(np.float64)


def pooling_weight(history: pl.DataFrame, codes: list[str], year: int) -> np.ndarray:
    """Weight of each council's own growth, as the calibration's: plans / (plans +
    POOLING_PLANS) in January ``year``."""
    plans = history.filter((pl.col("measure") == "ehcp_total") & (pl.col("year") == year))
    frame = pl.DataFrame({"la_code": codes}).join(plans, on="la_code", how="left")
    caseload = frame["value"].fill_null(0.0).fill_nan(0.0).to_numpy()
    return caseload / (caseload + POOLING_PLANS)


def recent_growth(train: np.ndarray, national: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Median yearly growth over the last :data:`RECENT_YEARS` (clipped to the calibration's
    range), pooled towards England's with ``weight`` on the council's own."""

    def median_growth(values: np.ndarray) -> np.ndarray:
        growth = np.clip(values[..., 1:] / values[..., :-1] - 1, *GROWTH_RANGE)
        return np.median(growth[..., -RECENT_YEARS:], axis=-1)

    return weight * median_growth(train) + (1 - weight) * median_growth(national)


# -- scores --------------------------------------------------------------------------------
def scores(history: pl.DataFrame | None = None) -> pl.DataFrame:
    """Each form's errors by series and horizon: per-council median and mean absolute
    percentage error (``mdape_pct``, ``mape_pct``) and England's error of the councils' sum
    (``england_pct``), fitted to :data:`TRAIN_YEARS` and scored to :data:`TEST_END`."""
    history = areas.load_history() if history is None else history
    first, last = TRAIN_YEARS
    rows = []
    for measure in SERIES:
        codes, values, national = panel(history, measure, first, TEST_END)
        n = last - first + 1
        train, actual = values[:, :n], values[:, n:]
        growth = recent_growth(train, national[:n], pooling_weight(history, codes, last))
        horizons = np.arange(1, actual.shape[1] + 1, dtype=np.float64)
        for name, project in forms().items():
            rows += _score_rows(measure, name, project(train, growth, horizons), actual)
    return pl.DataFrame(rows)


def _score_rows(measure: str, form: str, forecast: np.ndarray, actual: np.ndarray) -> list[dict]:
    ape = np.abs(forecast / actual - 1) * 100
    england = (forecast.sum(axis=0) / actual.sum(axis=0) - 1) * 100
    return [
        {
            "series": measure,
            "form": form,
            "horizon": h + 1,
            "mdape_pct": float(np.median(ape[:, h])),
            "mape_pct": float(np.mean(ape[:, h])),
            "england_pct": float(england[h]),
        }
        for h in range(actual.shape[1])
    ]


def near_best_ceilings(table: pl.DataFrame) -> tuple[float, ...]:
    """Ceilings of the saturating forms scoring within :data:`NEAR_BEST` of the best form:
    the forecast's draws take each as the trend's form (structural uncertainty)."""
    ranked = ranking(table)
    near = ranked.filter(pl.col("score") <= ranked["score"][0] + NEAR_BEST)["form"].to_list()
    return tuple(c for c in CEILINGS if SATURATING.format(c) in near)


def ranking(table: pl.DataFrame) -> pl.DataFrame:
    """Forms ordered by their median error across councils, averaged over horizons and the
    :data:`SELECTION_SERIES` (``score``, percent), best first."""
    return (
        table.filter(pl.col("series").is_in(SELECTION_SERIES))
        .group_by("form")
        .agg(pl.col("mdape_pct").mean().alias("score"))
        .sort("score", "form")
    )


def best(table: pl.DataFrame) -> str:
    """The name of the form with the lowest score."""
    return ranking(table)["form"][0]


# -- the tables ----------------------------------------------------------------------------
def markdown(table: pl.DataFrame) -> str:
    """The scores as markdown: one table per series, a row per form, MdAPE (MAPE) by horizon."""
    horizons = sorted(set(table["horizon"]))
    head = "| form | " + " | ".join(f"{TRAIN_YEARS[1] + h}" for h in horizons) + " |"
    rule = "|---|" + "---|" * len(horizons)
    order = ranking(table)["form"].to_list()
    out = []
    for measure, label in SERIES.items():
        out += [f"**{label.capitalize()}**: MdAPE (MAPE) across councils; England's error", ""]
        out += [head, rule]
        rows = table.filter(pl.col("series") == measure)
        for form in order:
            cells = rows.filter(pl.col("form") == form).sort("horizon")
            values = [
                f"{r['mdape_pct']:.1f}% ({r['mape_pct']:.1f}%); {r['england_pct']:+.1f}%"
                for r in cells.iter_rows(named=True)
            ]
            out.append(f"| {form} | " + " | ".join(values) + " |")
        out.append("")
    return "\n".join(out)


def main() -> None:
    """Print the form scores and the ranking."""
    table = scores()
    print(markdown(table))
    ranked = ranking(table)
    print("| form | score (mean MdAPE, requests and new plans, 2019-2022) |\n|---|---|")
    for form, score in ranked.iter_rows():
        print(f"| {form} | {score:.1f}% |")


if __name__ == "__main__":
    main()
