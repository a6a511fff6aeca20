"""Intervals widened by past forecasts' errors: the record, the widening from the other
forecasts, councils widened side by side at the nearest horizon, and the stored record."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from sendsim.errors import DataError
from sendsim.validation import intervals
from sendsim.validation.measures import MEASURE_BY_NAME, NATIONAL

Z90 = 1.2815515655446004  # the 90th percentile of the standard normal


def forecasts(rng, councils: int, spread: float, drawn: float, horizon: int = 1):
    """Councils' forecasts of 100 whose published values err by ``spread`` (normal) while
    the draws' 80% interval is as wide as errors of ``drawn`` would need."""
    return pl.DataFrame(
        {
            "measure": "ehcp_total",
            "la_code": [f"C{i}" for i in range(councils)],
            "horizon": horizon,
            "p10": 100 - Z90 * drawn,
            "p50": 100.0,
            "p90": 100 + Z90 * drawn,
            "actual": 100 + spread * rng.standard_normal(councils),
        }
    )


def record_of(**by_origin: pl.DataFrame) -> pl.DataFrame:
    return pl.concat(intervals.errors(t, int(o[1:])) for o, t in by_origin.items())


def test_widened_intervals_hold_80_percent_where_the_draws_hold_far_fewer():
    rng = np.random.default_rng(5)
    past = {f"y{o}": forecasts(rng, 1000, spread=3.0, drawn=1.5) for o in (2019, 2020, 2021)}
    record = record_of(**past)
    held_out = past["y2021"]
    factors = intervals.widening(record, 2021)
    assert factors["origins"].to_list() == ["2019, 2020"]
    assert factors["below"][0] == pytest.approx(2.0, abs=0.15)  # errors twice the draws'
    widened = intervals.widen(held_out.drop("actual"), factors).join(held_out, on="la_code")
    inside = widened["actual"].is_between(widened["p10"], widened["p90"]).mean()
    drawn = widened["actual"].is_between(widened["draws_p10"], widened["draws_p90"]).mean()
    assert 0.75 <= inside <= 0.85 and drawn < 0.55


def test_widening_uses_the_other_forecasts_and_never_narrows():
    rng = np.random.default_rng(6)
    record = record_of(
        y2019=forecasts(rng, 200, spread=4.0, drawn=1.0),
        y2020=forecasts(rng, 200, spread=0.5, drawn=1.0),  # the draws too wide
    )
    from_2019 = intervals.widening(record, 2019)
    assert from_2019["origins"][0] == "2020"
    assert from_2019["below"][0] == from_2019["above"][0] == intervals.LEAST_WIDENING
    assert intervals.widening(record, 2020)["above"][0] > 3


def test_widen_scales_each_side_of_councils_at_the_nearest_horizon():
    factors = pl.DataFrame(
        {"measure": ["ehcp_total"] * 2, "horizon": [1, 3], "below": [2.0, 3.0],
         "above": [1.5, 4.0]}
    )  # fmt: skip
    table = pl.DataFrame(
        {
            "measure": ["ehcp_total", "ehcp_total", "ehcp_total", "ehcp_total", "requests"],
            "la_code": ["A", "A", "A", NATIONAL, "A"],
            "horizon": [1, 2, 5, 1, 1],
            "p10": [90.0, 90, 90, 90, 90],
            "p50": [100.0] * 5,
            "p90": [120.0, 120, 120, 120, 120],
        }
    )
    out = intervals.widen(table, factors)
    assert out["p10"].to_list() == [80, 80, 70, 90, 90]  # horizon 2: the nearer, lower
    assert out["p90"].to_list() == [130, 130, 180, 120, 120]  # England, requests: the draws'
    assert out["draws_p10"].equals(table["p10"]) and out["draws_p90"].equals(table["p90"])


def test_a_side_without_spread_takes_the_typical_relative_width():
    table = pl.DataFrame(
        {"measure": "m", "horizon": 1, "la_code": ["A", "B", "C", "D"],
         "p10": [90.0, 180, 45, 300], "p50": [100.0, 200, 50, 300], "p90": [110.0, 220, 60, 300]}
    )  # fmt: skip
    widths = intervals.half_widths(table)
    assert widths["below_width"].to_list() == pytest.approx([10, 20, 5, 30])  # median 10%
    assert widths["above_width"].to_list() == pytest.approx([10, 20, 10, 30])  # 10%, 10%, 20%


@pytest.mark.parametrize(
    ("frame", "problem"),
    [
        (pl.DataFrame({"origin": [2019], "measure": ["m"]}), "missing column 'horizon'"),
        (
            pl.DataFrame(
                {
                    "origin": [2019],
                    "measure": ["m"],
                    "horizon": [1],
                    "la_code": ["A"],
                    "below": [float("nan")],
                    "above": [1.0],
                }
            ),
            "column 'below': a value is missing or not finite",
        ),
    ],
)
def test_a_malformed_record_is_named(frame, problem, tmp_path):
    path = tmp_path / "record.parquet"
    frame.write_parquet(path)
    with pytest.raises(DataError, match=problem) as caught:
        intervals.load(path)
    assert str(path) in str(caught.value)


def test_store_replaces_one_forecasts_rows(tmp_path):
    rng = np.random.default_rng(7)
    path = tmp_path / "record.parquet"
    intervals.store(record_of(y2019=forecasts(rng, 10, 1, 1), y2020=forecasts(rng, 10, 1, 1)), path)
    again = record_of(y2020=forecasts(rng, 5, 1, 1))
    intervals.store(again, path)
    stored = intervals.load(path)
    assert stored.group_by("origin").len().sort("origin")["len"].to_list() == [10, 5]
    assert stored.filter(pl.col("origin") == 2020).sort("la_code").equals(again.sort("la_code"))


def test_the_stored_record_covers_each_forecast_with_published_years():
    record = intervals.load()
    assert sorted(record["origin"].unique()) == [2019, 2020, 2021]
    assert set(record["measure"]) <= set(MEASURE_BY_NAME)
    last = record.group_by("origin").agg(pl.col("horizon").max())
    assert (last["origin"] + last["horizon"] <= 2022).all()  # no forecast scored after 2022
    caseload = record.filter(pl.col("measure") == "ehcp_total")
    assert caseload.group_by("origin").len()["len"].min() > 140  # every council, nearly
