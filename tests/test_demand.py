"""Demand: the request trend is bounded, its form is chosen by out-of-sample fit, and request
propensity varies by age band and need type as declared."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest

from sendsim import demand
from sendsim.calibration import NATIONAL
from sendsim.model.codes import Need, Sen
from sendsim.model.mechanisms.requests import RequestParams, trend_multiple
from sendsim.model.ops import saturating_multiple
from tests.conftest import make_config, run_model

CEILING_RANGE = (1.1, 3.0)  # the declared range of behaviour.requests.trend_ceiling


@pytest.mark.parametrize("ceiling", [*CEILING_RANGE, RequestParams().trend_ceiling])
def test_a_council_growing_50_percent_a_year_stays_below_the_ceiling(ceiling):
    council = SimpleNamespace(
        months_elapsed=30 * 12,
        councils=SimpleNamespace(request_trend=np.array([0.5, 0.13, 0.0, -0.3])),
        cfg=SimpleNamespace(
            behaviour=SimpleNamespace(requests=RequestParams(trend_ceiling=ceiling))
        ),
    )
    rising, typical, flat, falling = trend_multiple(council)
    assert 1 < typical <= rising <= ceiling  # saturated after 30 years, never above
    assert rising > 0.99 * ceiling
    assert flat == 1.0
    assert 1 / ceiling == pytest.approx(falling)  # falling: saturated at the floor


def test_the_multiple_starts_at_the_fitted_growth_and_its_growth_slows():
    years = np.arange(0, 31)
    multiple = saturating_multiple(0.5, years, 3.0)
    growth = multiple[1:] / multiple[:-1] - 1
    assert saturating_multiple(0.5, 1 / 365, 3.0) ** 365 == pytest.approx(1.5, rel=0.01)
    assert np.all(np.diff(growth) < 0) and growth[-1] < 1e-6


def test_the_declared_ceiling_is_the_form_the_scores_choose():
    table = demand.scores()
    assert demand.best(table) == demand.SATURATING.format(RequestParams().trend_ceiling)
    assert table.filter(pl.col("form") == "constant growth").height == 3 * 4  # series, years


def synthetic_history(form: str) -> pl.DataFrame:
    """Councils growing at their own constant rate to 2018 and following ``form`` after it."""
    growth = np.linspace(-0.1, 0.4, 30)
    years = np.arange(2016, 2023)
    train = 1e9 * (1 + growth[:, None]) ** (years[years <= 2018] - 2016)  # pooling weight ~1
    horizons = (years[years > 2018] - 2018).astype(np.float64)
    councils = np.hstack([train, demand.forms()[form](train, growth, horizons)])
    values = np.vstack([councils, councils.sum(axis=0)])
    codes = [f"E{i:08d}" for i in range(len(growth))] + [NATIONAL]
    frame = pl.DataFrame(
        {
            "la_code": np.repeat(codes, len(years)),
            "year": np.tile(years, len(codes)),
            "value": values.ravel(),
        }
    )
    return pl.concat([frame.with_columns(measure=pl.lit(m)) for m in demand.SERIES])


@pytest.mark.parametrize(
    "form",
    ["saturating, ceiling 1.5", "damped, half-life 2", "constant growth", "no trend", "linear"],
)
def test_scores_choose_the_form_that_made_the_series(form):
    table = demand.scores(synthetic_history(form))
    assert demand.best(table) == form
    assert demand.ranking(table)["score"][0] < 1e-3


def plans_of(model, chosen) -> int:
    ch = model.children
    return int(np.sum(chosen(ch) & (ch.sen >= Sen.REQUESTED) & ch.active))


@pytest.mark.parametrize(
    ("key", "value", "chosen"),
    [
        ("weight_by_age_band", [40.0, 1.0, 1.0, 1.0, 1.0], lambda ch: ch.age <= 5),
        ("weight_by_age_band", [2.32, 1.0, 5.0, 1.13, 1.0], lambda ch: ch.age >= 12),
        ("weight_by_need", [3.0] + [1.0] * 11, lambda ch: ch.need == Need.ASD),
        ("weight_by_need", [1.0] * 6 + [0.2] + [1.0] * 5, lambda ch: ch.need != Need.SPLD),
    ],
)
def test_request_weights_by_age_and_need_move_requests(key, value, chosen):
    base = run_model(**{"run.calibrated": False})
    moved = run_model(**{"run.calibrated": False, f"behaviour.requests.{key}": value})
    share = plans_of(moved, chosen) / plans_of(moved, lambda ch: ch.need > 0)
    assert share > plans_of(base, chosen) / plans_of(base, lambda ch: ch.need > 0)


def test_request_weights_are_validated():
    with pytest.raises(Exception, match="weight_by_age_band"):
        make_config(**{"behaviour.requests.weight_by_age_band": [1.0, 1.0]})


def test_docs_show_the_scores_the_module_computes():
    docs = (Path(__file__).parents[1] / "docs" / "backtest.md").read_text()
    assert demand.markdown(demand.scores()) in docs


def test_the_forecast_draws_the_trend_forms_that_score_near_the_best():
    from sendsim import backtest

    assert demand.near_best_ceilings(demand.scores()) == backtest.TREND_CEILINGS
