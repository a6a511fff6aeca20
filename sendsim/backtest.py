"""Backtest: forecast every council's EHCP caseload from data up to a year, against naive trends.

``forecast`` runs England from January ``train_end`` for ``horizon`` years, ``draws`` times.
Each draw has its own random seed (stochastic replicate) and its own draw of the calibrated
factors within their uncertainty (parameter uncertainty): each council's request trend moves
by the spread of its history, partly together across councils (a national shock) and partly
on its own, and its requests, refusals, appeals and plan outflow vary from year to year as
much as its history shows (:mod:`sendsim.model.mechanisms.variation`); and its own form of
the request trend (structural uncertainty): where demand levels off, one of the
saturating forms that forecast 2019-2022 nearly as well as the best (:mod:`sendsim.demand`).
The forecast's 10th, 50th and 90th percentiles are set beside the naive forecasts councils
use (persistence, linear trend and constant growth over the five Januaries to ``train_end``)
and, where published, the actual caseload, with scores by horizon.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
from tqdm import tqdm

from sendsim import calibration
from sendsim.config.commands import FIRST_YEAR, LAST_YEAR
from sendsim.config.params import setting
from sendsim.config.validate import AREA_UNIT
from sendsim.data import areas
from sendsim.io import atomic_write, write_parquet
from sendsim.model.codes import Rate
from sendsim.validation import intervals

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

TREND_YEARS = 4  # naive forecasts use the Januaries train_end-4 .. train_end (five points)
NATIONAL_SHARE = 0.5  # share of a council's factor uncertainty common to all (assumption)
#: Ceilings of the request trend drawn from, one per draw: the saturating forms whose score
#: (docs/backtest.md, "Demand trend") is within ``demand.NEAR_BEST`` of the best form's.
TREND_CEILINGS = (1.1, 1.25, 1.5)
#: Widening of the spread of each council's request growth: five years understate how far it
#: drifts, and the spreads are pooled towards the median council's. Estimated from the
#: forecasts from January 2020 (one and two years ahead) and 2021 (one year): the 80th
#: percentile over councils of each error relative to the half of the interval on its side
#: is 1.04 at 2.0 (docs/backtest.md, "Forecast uncertainty"); the forecast from 2019 checks it.
SPREAD_SCALE = 2.0
LOW, HIGH = intervals.INTERVAL
CASELOAD = "ehcp_total"  # the measure forecast, as the history names it
#: Coverage of the interval, and of the draws' own.
COVERAGES = {
    "coverage_80": ("ehcp_p10", "ehcp_p90"),
    "coverage_80_draws": ("ehcp_draws_p10", "ehcp_draws_p90"),
}
METHODS = ("sendsim", "persistence", "linear", "growth")
#: The fit's spread of each rate that varies from year to year in a draw.
YEARLY_SPREADS = {
    Rate.REQUESTS: "request_noise_sd",
    Rate.REFUSAL: "refusal_noise_sd",
    Rate.APPEALS: "appeal_noise_sd",
    Rate.OUTFLOW: "outflow_sd",
}


@dataclass(frozen=True)
class Draws:
    """The forecast's draws, shared by ``sendsim backtest`` and ``sendsim validate``: years
    ahead, runs, scale, area and seed."""

    horizon: int = setting(3, 1, 10, unit="years", label="Years forecast ahead")
    draws: int = setting(20, 2, 1000, unit="runs", label="Runs, each with its own seed and factors")
    sample_fraction: float = setting(
        0.25, 0.001, 1.0, unit="share", label="Share of children simulated in the forecast"
    )
    area: str = setting("england", unit=AREA_UNIT, label="Council, or england for all of them")
    seed: int = setting(1, 0, 2**31 - 1, unit="integer", label="Seed of the first draw")


@dataclass(frozen=True)
class Backtest(Draws):
    """What a backtest run needs: the last data year and the draws (the settings of
    ``sendsim backtest``)."""

    train_end: int = setting(
        LAST_YEAR, FIRST_YEAR, LAST_YEAR, unit="year", label="Last January of data used"
    )
    out: str = setting(
        "", unit="path", label="Folder of the results; empty: results/backtest/train_end=YEAR"
    )

    def folder(self) -> Path:
        """Where the results go."""
        return Path(self.out or f"results/backtest/train_end={self.train_end}")


def run(spec: Backtest) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The forecast table (one row per council and year) and its scores by horizon."""
    keys = ["la_code", "year"]
    table = forecast(spec).join(naive(spec.train_end, spec.horizon), on=keys)
    table = table.join(actuals(spec.train_end, spec.horizon), on=keys, how="left")
    return table.sort(keys), score(table)


# -- sendsim's forecast --------------------------------------------------------------------
def forecast(spec: Backtest) -> pl.DataFrame:
    """Percentiles of January caseloads over ``draws`` runs from January ``train_end``: the
    draws' own 10th and 90th (``ehcp_draws_p10``, ``ehcp_draws_p90``), and the interval
    widened by past forecasts' errors (``ehcp_p10``, ``ehcp_p90``, :mod:`.validation.intervals`)."""
    fit = calibration.load(spec.train_end)
    past = intervals.load()  # a bad record stops the command before minutes of draws
    runs = [_draw(spec, fit, d) for d in tqdm(range(spec.draws), desc="backtest", unit="draw")]
    codes = runs[0][0]
    caseload = np.stack([r[1] for r in runs])  # (draws, horizon, councils)
    low, mid, high = np.quantile(caseload, (LOW, 0.5, HIGH), axis=0)
    horizons = 1 + np.arange(spec.horizon)
    draws = pl.DataFrame(
        {
            "measure": CASELOAD,
            "la_code": np.tile(codes, spec.horizon),
            "horizon": np.repeat(horizons, len(codes)).astype(np.int64),
            "p10": low.ravel(),
            "p50": mid.ravel(),
            "p90": high.ravel(),
        }
    )
    widening = intervals.widening(past, spec.train_end)
    table = intervals.widen(draws, widening.filter(pl.col("measure") == CASELOAD))
    return table.select(
        "la_code",
        (pl.col("horizon") + spec.train_end).alias("year"),
        *(pl.col(c).alias(f"ehcp_{c}") for c in ("p10", "p50", "p90", "draws_p10", "draws_p90")),
    )


def _draw(spec: Backtest, fit: calibration.Fit, draw: int) -> tuple[list[str], np.ndarray]:
    """One run: its own seed and its own draw of the council factors."""
    model = draw_model(spec, fit, draw, spec.horizon)
    model.run(progress=False)
    rows = 12 * (1 + np.arange(spec.horizon))  # Januaries after the start
    return model.councils.code, model.recorder.stocks["ehcp_caseload"][rows] * model.scale


def draw_model(spec: Backtest, fit: calibration.Fit, draw: int, years: int) -> SendModel:
    """The model of one draw from January ``spec.train_end``, ready to run ``years`` years:
    seed ``spec.seed + draw``, its own form of the request trend and its own draw of the
    council factors."""
    from sendsim.model.model import SendModel

    cfg = calibration.config(spec.area, spec.train_end, spec.sample_fraction, spec.seed + draw)
    cfg.run.years = years
    rng = np.random.default_rng([spec.seed, draw, 0x5E4D])  # parameter draws, one per draw
    cfg.behaviour.requests.trend_ceiling = float(rng.choice(TREND_CEILINGS))
    model = SendModel(cfg)
    calibration.apply(model, perturb(fit.factors(model.councils.code), rng))
    return model


def perturb(factors: dict[str, np.ndarray], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The fitted factors moved within their uncertainty (the spread of each council's history,
    widened by :data:`SPREAD_SCALE`).

    The request trend moves by the spread of yearly request growth. Assessment capacity is not
    drawn: capacity above demand is of no use and capacity below it is lost, so a spread of
    capacity would bias new plans down. The draw also carries each council's yearly spreads
    of the rates that vary from year to year, plan outflow among them
    (:mod:`sendsim.model.mechanisms.variation`).
    """
    n = len(factors["request_trend"])
    common = rng.standard_normal()
    own = rng.standard_normal(n)
    shock = np.sqrt(NATIONAL_SHARE) * common + np.sqrt(1 - NATIONAL_SHARE) * own
    trend = factors["request_trend"] + SPREAD_SCALE * factors["growth_sd"] * shock
    out = dict(factors)  # a draw is a fit the model accepts
    out["request_trend"] = np.clip(trend, *calibration.FACTOR_RANGE["request_trend"])
    spreads = [factors.get(name, np.zeros(n)) for name in YEARLY_SPREADS.values()]
    out[calibration.YEARLY_SD] = np.column_stack(spreads)  # a fit without them: no variation
    return out


# -- naive forecasts and actuals -----------------------------------------------------------
def caseloads(first: int, last: int) -> pl.DataFrame:
    """Published January caseloads (``la_code``, ``year``, ``plans``) for councils."""
    history = areas.load_history().filter(
        (pl.col("measure") == CASELOAD)
        & pl.col("year").is_between(first, last)
        & (pl.col("la_code") != calibration.NATIONAL)
    )
    return history.select("la_code", pl.col("year").cast(pl.Int64), pl.col("value").alias("plans"))


def naive(train_end: int, horizon: int) -> pl.DataFrame:
    """Persistence, linear trend and constant growth over ``train_end``-4 .. ``train_end``."""
    past = caseloads(train_end - TREND_YEARS, train_end).pivot(
        on="year", index="la_code", values="plans"
    )
    years = np.arange(train_end - TREND_YEARS, train_end + 1)
    y = past.select([str(t) for t in years]).to_numpy().astype(np.float64)
    t = years - years.mean()
    slope = ((y - y.mean(axis=1, keepdims=True)) * t).sum(axis=1) / (t**2).sum()
    last, first = y[:, -1], y[:, 0]
    growth = (last / first) ** (1 / TREND_YEARS)
    frames = []
    for h in range(1, horizon + 1):
        frames.append(
            pl.DataFrame(
                {
                    "la_code": past["la_code"],
                    "year": train_end + h,
                    "naive_persistence": last,
                    "naive_linear": y.mean(axis=1) + slope * (years[-1] + h - years.mean()),
                    "naive_growth": last * growth**h,
                }
            )
        )
    return pl.concat(frames)


def actuals(train_end: int, horizon: int) -> pl.DataFrame:
    """Published caseloads for the forecast years, where the project holds them."""
    return caseloads(train_end + 1, train_end + horizon).rename({"plans": "actual"})


# -- scores --------------------------------------------------------------------------------
def score(table: pl.DataFrame) -> pl.DataFrame:
    """Median and mean absolute percentage error by method and horizon; 80% interval coverage
    (``coverage_80``, widened by past forecasts' errors; ``coverage_80_draws``, the draws' own).

    Empty when no actual caseload is published for the forecast years.
    """
    if "ehcp_draws_p10" not in table.columns:  # an interval not widened is the draws' own
        table = table.with_columns(ehcp_draws_p10="ehcp_p10", ehcp_draws_p90="ehcp_p90")
    known = table.filter(pl.col("actual").is_not_null() & (pl.col("actual") > 0))
    columns = {"sendsim": "ehcp_p50"} | {m: f"naive_{m}" for m in METHODS[1:]}
    rows = []
    for (year,), group in known.group_by(["year"], maintain_order=True):
        actual = group["actual"].to_numpy()
        for method, column in columns.items():
            ape = np.abs(group[column].to_numpy() / actual - 1) * 100
            inside = {}
            if method == "sendsim":
                for name, interval in COVERAGES.items():
                    low, high = (group[c].to_numpy() for c in interval)
                    inside[name] = float(np.mean((low <= actual) & (actual <= high)))
            rows.append(
                {
                    "year": year,
                    "method": method,
                    "councils": len(actual),
                    "mdape_pct": float(np.median(ape)),
                    "mape_pct": float(np.mean(ape)),
                    **{name: inside.get(name) for name in COVERAGES},
                }
            )
    schema = {
        "year": pl.Int64,
        "method": pl.String,
        "councils": pl.Int64,
        "mdape_pct": pl.Float64,
        "mape_pct": pl.Float64,
        **dict.fromkeys(COVERAGES, pl.Float64),
    }
    return pl.DataFrame(rows, schema=schema).sort("year", "method")


def write(spec: Backtest, out: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Run the backtest and write ``backtest.parquet``, ``scores.parquet`` and a chart."""
    table, scores = run(spec)
    horizon = (pl.col("year") - spec.train_end).alias("horizon")
    table, scores = table.with_columns(horizon), scores.with_columns(horizon)
    write_parquet(table, out / "backtest.parquet")
    write_parquet(scores, out / "scores.parquet")
    if scores.height:
        atomic_write(out / "backtest.png", lambda tmp: chart(scores, spec.train_end, tmp))
    return table, scores


def chart(scores: pl.DataFrame, train_end: int, path: Path) -> None:
    """Median absolute percentage error by horizon for each method, and the 80% coverage."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (err, cover) = plt.subplots(1, 2, figsize=(9, 3.6), width_ratios=(2, 1))
    for method in METHODS:
        rows = scores.filter(pl.col("method") == method).sort("year")
        horizon = rows["year"] - train_end
        ours = method == "sendsim"
        label = method if ours else f"naive: {method}"
        err.plot(horizon, rows["mdape_pct"], marker="o", lw=2.5 if ours else 1.2, label=label)
    err.set(
        xlabel="years ahead",
        ylabel="median abs. % error across councils",
        title=f"EHCP caseload forecast from January {train_end}",
    )
    err.set_xticks(sorted(set((scores["year"] - train_end).to_list())))
    err.set_ylim(bottom=0)
    err.legend(frameon=False)
    ours = scores.filter(pl.col("method") == "sendsim").sort("year")
    cover.bar((ours["year"] - train_end).to_list(), (ours["coverage_80"] * 100).to_list())
    low, high = (100 * edge for edge in intervals.COVERAGE_RANGE)
    for edge in (low, high):
        band = f"{low:.0f}-{high:.0f}%" if edge == low else None
        cover.axhline(edge, ls="--", color="tab:green", label=band)
    cover.set(
        xlabel="years ahead", ylabel="% of councils inside", ylim=(0, 100), title="80% coverage"
    )
    cover.legend(frameon=False, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=120)
    plt.close(fig)
