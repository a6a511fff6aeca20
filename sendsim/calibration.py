"""Calibration: each council's behaviour fitted to its own published history up to a year.

Most rates are estimated directly from the council's published flows when the model starts
(requests, refusals, plans issued and not, timeliness, placements of new plans, costs: see
:mod:`sendsim.model.profile`), and here the council's tribunal appeals per appealable decision
relative to England's (``dispute_scale``). These per-council factors are then fitted by
simulation, all councils at once in one England model (national shapes and parameters stay
as declared):

- the level of request propensity, so that the first year's requests are the published ones;
- assessment capacity (assessments per hour of its staff), so that the first year's new plans
  are the published ones;
- how often plans cease (``cease_scale``), so that plans leave at the rate the council's last
  published year implies (new plans less the caseload's growth);
- the initial yearly growth of request propensity (``request_trend``), which saturates
  towards ``behaviour.requests.trend_ceiling``, so that requests grow in the second year as
  that form forecasts from the council's growth over the three years before (median yearly
  growth; :mod:`sendsim.demand` chose the form by out-of-sample fit);
- request propensity by age band (``request_age_<band>``), so that the first year's new plans
  fall into the SEN2 age bands as the council's did: its share of new plans in each band
  relative to England's (estimated directly, pooled) times a correction for all councils
  alike, fitted by simulation so that England's new plans by band are the published ones.

Noisy targets of small councils are pooled towards the national figure. Fits are stored as
package data (``sendsim/data/calibration/fit_<year>.parquet``, with diagnostics) and applied to
every run starting in that year. ``sendsim calibrate`` writes a new fit to the user's data
directory (or ``out=DIR``); ``run.fit`` points runs at it. A fit is checked when it is loaded:
a missing council or a factor that is not a number in its range is a ``DataError``.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import polars as pl
from tqdm import tqdm

from sendsim.config.schema import SendsimConfig
from sendsim.data import areas
from sendsim.errors import DataError
from sendsim.io import write_parquet
from sendsim.model.ops import saturating_multiple

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

STORED_DIR = Path(__file__).resolve().parent / "data" / "calibration"  # fits shipped as data
AGE_FACTORS = tuple(f"request_age_{band}" for band in areas.AGE_BANDS)
AGE_SHARES = tuple(f"age_share_{band}" for band in areas.AGE_BANDS)  # of the year's new plans
#: Fitted per-council factors and the range each may take (wider would be implausible).
FACTOR_RANGE = {
    "request_level": (0.1, 10.0),
    "capacity_level": (0.2, 5.0),
    "cease_scale": (0.05, 20.0),
    "request_trend": (-0.3, 0.5),
    "dispute_scale": (0.1, 5.0),
} | {name: (0.05, 20.0) for name in AGE_FACTORS}
FACTORS = tuple(FACTOR_RANGE)
#: Spreads of each council's history that forecasts draw from: the yearly variation of its
#: plan outflow (per plan), of its requests around their trend (log), of refusals (log-odds)
#: and of appeals per appealable decision (log); and the drift of its request growth.
SPREADS = (
    "outflow_sd",
    "growth_sd",
    "request_noise_sd",
    "refusal_noise_sd",
    "appeal_noise_sd",
)
UNCERTAINTY = (*SPREADS, "review_rate")  # with the review exit rate the fit achieved
#: Published counts of the fitted year that the council's directly estimated rates should
#: give, and the model flow each is read from: recorded beside what the fit achieved.
CHECKED_COUNTS = {
    "refusals": "refusals_to_assess",
    "plans_not_issued": "plans_not_issued",
    "new_plans_state_special": "new_plans_state_special",
    "new_plans_independent": "new_plans_independent",
}
CHECKED = (*CHECKED_COUNTS, "within_20_weeks_share")  # the diagnostics' published figures
YEARLY_SD = "yearly_sd"  # a forecast draw's spreads of yearly variation, (councils, Rate)
POOLING_PLANS = 1000  # a council with this many plans weighs its own history half (assumption)
NATIONAL = areas.ENGLAND_CODE
GROWTH_RANGE = (-0.25, 0.5)  # yearly request growth a target may take (larger: recording breaks)


def fit_name(year: int) -> str:
    return f"fit_{year}.parquet"


def user_fit_dir() -> Path:
    """Where ``sendsim calibrate`` writes fits unless told otherwise (XDG data directory)."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "sendsim" / "calibration"


def fit_path(year: int, given: str | Path | None = None) -> Path:
    """The fit for runs starting in January ``year``: ``given`` (a fit file, or a folder
    holding ``fit_<year>.parquet``), else the stored one."""
    if not given:
        return STORED_DIR / fit_name(year)
    given = Path(given).expanduser()
    return given / fit_name(year) if given.is_dir() else given


# -- targets from history ------------------------------------------------------------------
def targets(year: int, ceiling: float | None = None) -> pl.DataFrame:
    """Per-council targets from data published by the end of ``year`` only.

    Columns: ``la_code``, ``plans`` (January ``year``), ``requests``, ``new_plans`` (calendar
    ``year``) and their shares by age band (:data:`AGE_SHARES`, with England's as
    ``england_<share>``), ``outflow_rate`` (plans leaving per plan in the year before),
    ``request_growth`` (the growth of requests in ``year`` + 1 that a trend saturating towards
    ``ceiling``, by default ``behaviour.requests.trend_ceiling``, forecasts from the median
    yearly growth over the three years before), ``appeal_ratio`` (appeals per appealable
    decision in ``year`` relative to England's), each pooled towards England's, and the spreads
    over the five years before (:data:`UNCERTAINTY`) for forecast uncertainty.
    """
    if ceiling is None:
        ceiling = SendsimConfig().behaviour.requests.trend_ceiling
    h = areas.load_history().filter(pl.col("year") <= year)
    wide = h.pivot(on="measure", index=["la_code", "year"], values="value").sort("la_code", "year")
    wide = wide.with_columns(
        *(
            (pl.col(band) / pl.sum_horizontal(areas.NEW_PLANS_BY_BAND)).alias(share)
            for band, share in zip(areas.NEW_PLANS_BY_BAND, AGE_SHARES, strict=True)
        ),
        outflow=(pl.col("new_plans").shift(1) - pl.col("ehcp_total").diff()).over("la_code")
        / pl.col("ehcp_total").shift(1).over("la_code"),
        growth=pl.col("requests").pct_change().over("la_code").clip(*GROWTH_RANGE),
        refusal_logit=pl.when(pl.col("refusals").is_between(1, pl.col("requests") - 1)).then(
            (pl.col("refusals") / (pl.col("requests") - pl.col("refusals"))).log()
        ),
        appeal_log=pl.when(pl.col("tribunal_appeals") > 0).then(
            (pl.col("tribunal_appeals") / pl.col("appealable_decisions")).log()
        ),
    )
    now = wide.filter(pl.col("year") == year)
    councils = now.filter(pl.col("la_code") != NATIONAL)
    national_appeals = councils["tribunal_appeals"].sum() / councils["appealable_decisions"].sum()
    spread = (
        wide.filter(pl.col("year") >= year - 5)
        .group_by("la_code")
        .agg(  # uncertainty of each fitted level, assuming yearly deviations independent
            pl.col("outflow").std().alias("outflow_sd"),  # a year's, about its level
            pl.col("growth").std().alias("growth_sd"),  # the initial growth: its yearly drift
            # a year's deviation from a smooth trend: second differences have 6 times its var.
            (pl.col("growth").diff().std() / np.sqrt(6)).alias("request_noise_sd"),
            (pl.col("refusal_logit").diff().std() / np.sqrt(2)).alias("refusal_noise_sd"),
            (pl.col("appeal_log").diff().std() / np.sqrt(2)).alias("appeal_noise_sd"),
        )
    )
    recent = (  # the median damps one-off recording changes
        wide.filter(pl.col("year") > year - 3)
        .group_by("la_code")
        .agg(pl.col("growth").median().alias("request_growth"))
    )
    out = (
        now.select(
            "la_code",
            pl.col("ehcp_total").alias("plans"),
            "requests",
            "new_plans",
            pl.col("outflow").clip(0.0).alias("outflow_rate"),
            (pl.col("tribunal_appeals") / pl.col("appealable_decisions") / national_appeals)
            .fill_null(1.0)
            .alias("appeal_ratio"),
            *AGE_SHARES,
            *CHECKED,
        )
        .join(recent, on="la_code")
        .join(spread, on="la_code")
    )
    pooled = _pool(out)
    forecast = saturating_multiple(pooled["request_growth"].to_numpy(), 1.0, ceiling) - 1
    return pooled.with_columns(request_growth=pl.Series(forecast))


def _pool(frame: pl.DataFrame) -> pl.DataFrame:
    """Shrink each council's rates towards England's, and its spreads towards the median
    council's (England's own are smoother than any council's): weight plans / (plans +
    POOLING_PLANS) on the council's own figure."""
    national = frame.filter(pl.col("la_code") == NATIONAL)
    councils = frame.filter(pl.col("la_code") != NATIONAL)
    if national.is_empty():
        raise DataError(areas.PROCESSED_DIR, "history lacks England's figures for calibration")
    weight = pl.col("plans") / (pl.col("plans") + POOLING_PLANS)
    centres = {rate: national[rate][0] for rate in ("outflow_rate", "request_growth")}
    centres["appeal_ratio"] = 1.0
    centres |= {share: national[share][0] for share in AGE_SHARES}
    centres |= {spread: councils[spread].median() for spread in SPREADS}
    pooled = []
    for rate, centre in centres.items():
        own = pl.col(rate).fill_null(centre).fill_nan(centre)
        pooled.append((weight * own + (1 - weight) * centre).alias(rate))
    england = {f"england_{share}": national[share][0] for share in AGE_SHARES}
    return councils.with_columns(*pooled, pooling_weight=weight, **england)


# -- fitting by simulation -----------------------------------------------------------------
def fit(
    year: int,
    area: str = "england",
    sample_fraction: float = 0.5,
    iterations: int = 4,
    seed: int = 1,
    step_limit: float = 2.0,
    damping: float = 0.8,
    min_review_exit_rate: float = 0.002,
) -> pl.DataFrame:
    """Fit the factors of every council in ``area`` to its history up to ``year``.

    Each round runs two years and moves every factor towards its target by at most
    ``step_limit`` either way; capacity and request trends close ``damping`` of their gap, and
    the review exit rate aimed for is at least ``min_review_exit_rate`` (the settings of
    ``sendsim calibrate``).
    """
    step = Step(step_limit, damping, min_review_exit_rate)
    from sendsim.model.model import SendModel  # the model imports this module

    goal = targets(year)
    factors: dict[str, np.ndarray] | None = None
    for _ in tqdm(range(iterations), desc=f"calibrating to {year}", unit="iteration"):
        model = SendModel(config(area, year, sample_fraction, seed, years=2))
        codes = model.councils.code
        aligned = _align(goal, codes)
        if factors is None:
            factors = _initial_factors(aligned)
        apply(model, factors)
        model.run(progress=False)
        achieved = _achieved(model)
        factors = _update(factors, aligned, achieved, step)
    return _table(codes, factors, aligned, achieved, year, sample_fraction, iterations)


def _initial_factors(aligned: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    n = len(aligned["plans"])
    return {
        "dispute_scale": aligned["appeal_ratio"],  # estimated directly, not iterated
        "request_level": np.ones(n),
        "capacity_level": np.ones(n),
        "cease_scale": np.ones(n),
        "request_trend": np.zeros(n),
    } | {  # the council's age mix relative to England's; the fit corrects all alike
        factor: aligned[share] / aligned[f"england_{share}"]
        for factor, share in zip(AGE_FACTORS, AGE_SHARES, strict=True)
    }


def config(area: str, year: int, fraction: float, seed: int, years: int = 2) -> SendsimConfig:
    """An uncalibrated run of ``area`` from January ``year``, where fits and backtests start."""
    cfg = SendsimConfig()
    cfg.area.code = area
    cfg.run.start = f"{year}-01"
    cfg.run.years = years
    cfg.run.seed = seed
    cfg.run.calibrated = False
    cfg.population.sample_fraction = fraction
    return cfg


def _align(goal: pl.DataFrame, codes: list[str]) -> dict[str, np.ndarray]:
    frame = pl.DataFrame({"la_code": codes}).join(goal, on="la_code", how="left")
    return {c: frame[c].to_numpy().astype(np.float64) for c in frame.columns if c != "la_code"}


def _achieved(model: SendModel) -> dict[str, np.ndarray]:
    """What the fitted quantities came out as in a two-year run (full scale)."""
    flows, scale = model.recorder.flows, model.scale
    first, second = slice(0, 12), slice(12, 24)
    plans = model.recorder.stocks["ehcp_caseload"][0] * scale

    def total(name: str, months: slice) -> np.ndarray:
        return flows[name][months].sum(axis=0) * scale

    net_out = total("ceased_plans", first) - total("transfers_in", first)
    on_review = total("ceased_on_review", first)
    requests = total("requests", first)
    new_plans = total("new_plans", first)
    by_band = np.array([total(name, first) for name in areas.NEW_PLANS_BY_BAND])
    shares = by_band / np.maximum(by_band.sum(axis=0), 1)
    england = by_band.sum(axis=1) / max(by_band.sum(), 1)
    return {
        "requests": requests,
        "new_plans": new_plans,
        **{name: total(flow, first) for name, flow in CHECKED_COUNTS.items()},
        "within_20_weeks_share": total("issued_within_20_weeks", first) / np.maximum(new_plans, 1),
        "outflow_rate": net_out / np.maximum(plans, 1),
        "review_rate": on_review / np.maximum(plans, 1),
        "request_growth": total("requests", second) / np.maximum(requests, 1) - 1,
        "appeal_ratio": _relative_rate(
            total("tribunal_appeals", first), total("appealable_decisions", first)
        ),
    } | {
        **dict(zip(AGE_SHARES, shares, strict=True)),
        **{
            f"england_{s}": np.full(len(requests), e)
            for s, e in zip(AGE_SHARES, england, strict=True)
        },
    }


def _relative_rate(events: np.ndarray, chances: np.ndarray) -> np.ndarray:
    """Each council's events per chance relative to all councils' together.

    Published appealable decisions count every plan maintained, the model's only the decisions
    it simulates, so appeal rates compare across councils, not between data and model.
    """
    national = events.sum() / max(chances.sum(), 1)
    rate = events / np.maximum(chances, 1)
    return rate / national if national > 0 else np.ones_like(rate)  # no events: all alike


class Step(NamedTuple):
    """How far one round of fitting moves the factors."""

    limit: float  # largest change of a factor (ratio), either way
    damping: float  # share of the gap closed for capacity and request trends
    min_review_exit_rate: float  # least review exit rate aimed for


def _update(
    factors: dict[str, np.ndarray],
    goal: dict[str, np.ndarray],
    got: dict[str, np.ndarray],
    step: Step,
) -> dict[str, np.ndarray]:
    """One fixed-point step towards the targets (damped; factors kept in FACTOR_RANGE)."""

    def ratio(wanted: np.ndarray, achieved: np.ndarray) -> np.ndarray:
        out = np.divide(wanted, achieved, out=np.ones_like(wanted), where=achieved > 0)
        return np.clip(out, 1 / step.limit, step.limit)

    other_exits = got["outflow_rate"] - got["review_rate"]
    wanted_reviews = np.maximum(goal["outflow_rate"] - other_exits, step.min_review_exit_rate)
    growth_gap = goal["request_growth"] - got["request_growth"]
    moved = {
        "request_level": factors["request_level"] * ratio(goal["requests"], got["requests"]),
        "capacity_level": factors["capacity_level"]
        * ratio(goal["new_plans"], got["new_plans"]) ** step.damping,
        "cease_scale": factors["cease_scale"] * ratio(wanted_reviews, got["review_rate"]),
        "request_trend": factors["request_trend"] + step.damping * growth_gap,
        "dispute_scale": factors["dispute_scale"],
    } | {  # England's shares by band, moved for every council alike
        factor: factors[factor]
        * ratio(goal[f"england_{share}"], got[f"england_{share}"]) ** step.damping
        for factor, share in zip(AGE_FACTORS, AGE_SHARES, strict=True)
    }
    return {name: np.clip(value, *FACTOR_RANGE[name]) for name, value in moved.items()}


def _table(codes, factors, goal, got, year, fraction, iterations) -> pl.DataFrame:
    columns = {"la_code": codes, "train_end": year}
    columns |= factors
    fitted = ("requests", "new_plans", "outflow_rate", "request_growth", "appeal_ratio")
    for name in (*fitted, *AGE_SHARES, *CHECKED):
        columns[f"target_{name}"] = goal[name]
        columns[f"achieved_{name}"] = got[name]
    columns |= {"review_rate": got["review_rate"]} | {spread: goal[spread] for spread in SPREADS}
    columns |= {
        "pooling_weight": goal["pooling_weight"],
        "sample_fraction": fraction,
        "iterations": iterations,
    }
    return pl.DataFrame(columns)


def diagnostics(table: pl.DataFrame) -> pl.DataFrame:
    """How close a fit's first year came to the published figures: per ``measure``, the
    ``councils`` with one, the ``median_error`` across them (% of the published figure for
    counts, percentage points for rates and shares) and, for counts, England's error
    (``england_error``)."""
    rows = []
    for name in ("requests", "new_plans", *CHECKED, "outflow_rate", *AGE_SHARES[:-1]):
        got, want = pl.col(f"achieved_{name}"), pl.col(f"target_{name}")
        count = not ("share" in name or "rate" in name)
        pair = table.select(got.alias("got"), want.alias("want")).drop_nulls().drop_nans()
        if count:
            pair = pair.filter(pl.col("want") > 0)
        error = (pl.col("got") / pl.col("want") - 1) if count else (pl.col("got") - pl.col("want"))
        rows.append(
            {
                "measure": name,
                "councils": pair.height,
                "median_error": pair.select((100 * error).abs().median()).item(),
                "england_error": 100 * (pair["got"].sum() / pair["want"].sum() - 1)
                if count
                else None,
            }
        )
    return pl.DataFrame(rows)


def store(table: pl.DataFrame, year: int, out_dir: Path) -> Path:
    """Write a fit to ``out_dir/fit_<year>.parquet``. Councils it does not cover are kept from
    the fit already there, else from the stored one, so the file always covers every council
    (a fit of every council replaces the file whole)."""
    path = out_dir / fit_name(year)
    base = path if path.exists() else fit_path(year)
    every = set(table["la_code"]) >= set(areas.load_councils()["la_code"])
    if base.exists() and not every:
        kept = load(year, base).table
        kept = kept.filter(~pl.col("la_code").is_in(table["la_code"].implode()))
        table = pl.concat([kept, table.select(kept.columns)]) if kept.height else table
    return write_parquet(table.sort("la_code"), path)


@dataclass(frozen=True)
class Fit:
    """A checked fit: its table, the file it came from and that file's SHA-256."""

    path: Path
    sha256: str
    table: pl.DataFrame

    def factors(self, codes: list[str]) -> dict[str, np.ndarray]:
        """The factors of ``codes`` in that order (``DataError`` if a council has no row)."""
        absent = sorted(set(codes) - set(self.table["la_code"]))
        if absent:
            remedy = "refit it with sendsim calibrate, or set run.calibrated=false"
            raise DataError(self.path, f"council {absent[0]}: no row ({remedy})")
        return aligned_factors(self.table, codes)

    def provenance(self) -> dict[str, str]:
        """What ``run_meta.json`` records of the fit a run used."""
        return {"path": str(self.path), "sha256": self.sha256}


def load(year: int, path: str | Path | None = None) -> Fit:
    """The fit at ``path`` (default: the stored one) for runs starting in January ``year``,
    checked (``DataError`` naming the file, council and column of the first problem)."""
    path = fit_path(year, path)
    if not path.is_file():
        remedy = (
            f"make one with sendsim calibrate train_end={year} and point run.fit at it, "
            "or set run.calibrated=false"
        )
        raise DataError(path, f"no calibration fit for runs starting in {year} ({remedy})")
    data = path.read_bytes()
    try:
        table = pl.read_parquet(io.BytesIO(data))
    except Exception as exc:  # polars raises several exception types for corrupt files
        raise DataError(path, f"cannot read parquet file ({' '.join(str(exc).split())})") from exc
    check_fit(table, year, path)
    return Fit(path, hashlib.sha256(data).hexdigest(), table)


def check_fit(table: pl.DataFrame, year: int, path: Path) -> None:
    """One council per row, fitted to ``year``, every factor a number within its range (and
    the spreads forecasts draw from, where present, numbers of at least 0)."""
    missing = [c for c in ("la_code", "train_end", *FACTORS) if c not in table.columns]
    if missing:
        raise DataError(path, f"missing column '{missing[0]}'")
    if table["la_code"].null_count():
        raise DataError(path, "column 'la_code': a row names no council")
    repeated = table.filter(pl.col("la_code").is_duplicated())
    if repeated.height:
        raise DataError(path, f"council {repeated['la_code'][0]}: more than one row")
    train_end = table["train_end"].cast(pl.Int64, strict=False)
    if train_end.null_count() or (train_end != year).any():
        raise DataError(path, f"column 'train_end': the fit is not for runs starting in {year}")
    spreads = {name: (0.0, np.inf) for name in UNCERTAINTY if name in table.columns}
    for factor, (low, high) in (FACTOR_RANGE | spreads).items():
        value = pl.col(factor).cast(pl.Float64, strict=False)
        bad = table.filter(value.is_null() | value.is_nan() | ~value.is_between(low, high))
        if bad.height:
            council, found = bad.row(0)[0], bad[factor][0]
            raise DataError(
                path, f"council {council}, column '{factor}': {found} is not in [{low}, {high}]"
            )


def configured_fit(cfg: SendsimConfig) -> str | None:
    """The fit a run was pointed at (``run.fit``), or None for the stored one."""
    return cfg.run.fit or None


def apply(model: SendModel, factors: dict[str, np.ndarray]) -> None:
    """Set a model's council factors (arrays in the model's council order)."""
    c = model.councils
    c.request_scale *= factors["request_level"]
    c.assessment_capacity *= factors["capacity_level"]
    c.casework_efficiency[:] = factors["capacity_level"]
    c.assessment_demand = c.assessment_capacity.copy()
    c.cease_scale[:] = factors["cease_scale"]
    c.request_trend[:] = factors["request_trend"]
    c.dispute_scale[:] = factors["dispute_scale"]
    c.request_age_factor[:] = np.column_stack([factors[name] for name in AGE_FACTORS])
    if YEARLY_SD in factors:  # forecast draws: rates vary from year to year
        c.yearly_sd[:] = factors[YEARLY_SD]
    if "review_rate" in factors:
        c.review_exit_rate[:] = factors["review_rate"]


def apply_stored(model: SendModel) -> None:
    """Apply the fit for the model's start year (``run.fit``, else the stored one) to its
    councils, and remember which file it was for the run's metadata."""
    fit = load(model.start_year, configured_fit(model.cfg))
    apply(model, fit.factors(model.councils.code))
    model.calibration_fit = fit.provenance()


def aligned_factors(table: pl.DataFrame, codes: list[str]) -> dict[str, np.ndarray]:
    """A fit's factors and their uncertainty in the order of ``codes`` (neutral if absent:
    a council without a row is checked for by :meth:`Fit.factors`)."""
    order = pl.DataFrame({"la_code": codes}).join(table, on="la_code", how="left")
    neutral = {"request_trend": 0.0} | dict.fromkeys(UNCERTAINTY, 0.0)
    return {
        name: order[name].fill_null(neutral.get(name, 1.0)).to_numpy().astype(np.float64)
        for name in (*FACTORS, *UNCERTAINTY)
        if name in order.columns
    }
