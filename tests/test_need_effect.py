"""The need effect on results is estimated from 2016-2019, and the declared defaults are it."""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl
import pytest

from sendsim import need_effect
from sendsim.model.mechanisms.attainment import AttainmentParams


def declared(name: str):
    return next(f for f in dataclasses.fields(AttainmentParams) if f.name == name).metadata["param"]


def test_the_slope_is_recovered_through_each_series_own_shift():
    rng = np.random.default_rng(1)
    x = rng.normal(0, 0.02, 400)
    shift = np.repeat([0.5, -0.3], 200)  # national changes of each series do not count
    y = -3.0 * x + shift + rng.normal(0, 0.01, 400)
    frame = pl.DataFrame(
        {
            "la_code": [f"E{i % 200}" for i in range(400)],
            "result_change": y,
            "need_change": x + np.repeat([0.1, 0.2], 200),
            "series": np.repeat(["a", "b"], 200),
        }
    )
    found = need_effect.estimate(frame, "log-odds")
    assert abs(found.effect + 3.0) < 3 * found.standard_error < 0.5


def test_plans_reaching_lower_needs_lower_each_status_mean_need():
    need = np.linspace(1.0, 0.0, 1001)
    few, many = need_effect.mean_needs(need, np.array([0.03, 0.05]), 0.2)
    assert many[2] < few[2] and many[1] < few[1]  # plans, and SEN support losing its top
    assert many[0] == pytest.approx(few[0])  # the share with SEN stays


def test_the_declared_effects_are_the_estimates_within_their_plausible_range():
    """Log-odds: the estimate is above 0 (results did not rise where plans grew faster), so
    the default is 0, the plausible value nearest; points: the estimate, rounded."""
    found = need_effect.estimates()
    defaults = AttainmentParams()
    shares = found["need_log_odds"]
    assert shares.councils > 140 and shares.interval[0] > 0
    assert defaults.need_log_odds == 0.0 == declared("need_log_odds").high
    points = found["need_points"]
    assert defaults.need_points == round(points.effect)
    low = declared("need_points").low
    assert low == pytest.approx(points.interval[0], abs=1.0)
