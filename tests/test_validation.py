"""``sendsim validate``: the naive anchors, errors, bias and coverage on frames with known
answers; a short run end to end; bad settings stop before anything is written."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from sendsim.validation import anchors, forecast, longrun, scores
from sendsim.validation.measures import NATIONAL, SPEND
from tests.test_cli import sendsim

RUTLAND = "E06000017"


def series(rows: dict[str, list[float | None]], first: int, measure: str = "requests"):
    """A history frame of one measure: area -> values from ``first``."""
    return pl.DataFrame(
        [
            {"measure": measure, "la_code": code, "year": first + i, "value": value}
            for code, values in rows.items()
            for i, value in enumerate(values)
        ],
        schema={"measure": pl.String, "la_code": pl.String, "year": pl.Int64, "value": pl.Float64},
    )


def test_anchors_extend_each_series_as_documented():
    history = series(
        {
            "A": [100, 110, 120, 130, 140],  # a straight line
            "B": [100, None, None, None, 1600],  # doubling a year, gaps in between
            "C": [100, 100, 100, 100, None],  # nothing published in the last year
            NATIONAL: [1000, 1000, 1000, 1000, 2000],  # England: 2000/1000 over four years
        },
        2015,
    )
    table = anchors.anchors(history, 2019, [2020, 2022]).sort("la_code", "year")
    a = table.filter(pl.col("la_code") == "A")
    np.testing.assert_allclose(a["persistence"], [140, 140])
    np.testing.assert_allclose(a["linear"], [150, 170])
    np.testing.assert_allclose(a["growth"], 140 * 1.4 ** (np.array([1, 3]) / 4))
    np.testing.assert_allclose(a["national_growth"], 140 * 2 ** (np.array([1, 3]) / 4))
    b = table.filter(pl.col("la_code") == "B")
    np.testing.assert_allclose(b["growth"], [3200, 12800])
    np.testing.assert_allclose(b["linear"], 1600 + 375 * np.array([1, 3]))
    assert "C" not in table["la_code"].to_list()
    assert table.filter(pl.col("la_code") == NATIONAL)["national_growth"].is_null().all()


def test_spend_anchor_grows_the_latest_allocation_at_its_own_rate():
    allocation = pl.DataFrame({"la_code": ["A"] * 3, "year": [2019, 2020, 2021],
                               "hnb": [100.0, 110.0, 999.0]})  # fmt: skip
    table = anchors.spend_anchor(allocation, 2019, [2019, 2021]).sort("year")
    assert table["measure"].to_list() == [SPEND, SPEND]
    np.testing.assert_allclose(table["hnb_growth"], [100, 121])  # 2021's own is not read


def compared_frame() -> pl.DataFrame:
    """Four councils and England, one year: forecasts 100 (80% band 90-110)."""
    n = 5
    return pl.DataFrame(
        {
            "measure": ["new_plans"] * n,
            "la_code": ["A", "B", "C", "D", NATIONAL],
            "year": [2020] * n,
            "horizon": [1] * n,
            "p10": [90.0] * n,
            "p50": [100.0] * n,
            "p90": [110.0] * n,
            "actual": [100.0, 105, 125, 80, 80],
            "persistence": [100.0, 105, 125, 80, 80],
            "growth": [None, 105.0, 125, 80, 80],
        }
    )


def test_scores_give_errors_bias_and_coverage():
    table = compared_frame()
    scored = scores.score(table)
    ours = scored.filter((pl.col("method") == "sendsim") & (pl.col("level") == "council"))
    errors = (100 / np.array([100, 105, 125, 80]) - 1) * 100
    assert ours["areas"][0] == 4
    assert ours["coverage_80"][0] == 0.5  # 100 and 105 inside 90-110, 125 and 80 not
    assert ours["mdape"][0] == pytest.approx(np.median(np.abs(errors)))
    assert ours["mape"][0] == pytest.approx(np.mean(np.abs(errors)))
    assert ours["bias"][0] == pytest.approx(np.mean(errors))
    growth = scored.filter((pl.col("method") == "growth") & (pl.col("level") == "council"))
    assert growth["areas"][0] == 3 and growth["mdape"][0] == 0  # no anchor for A: not scored
    assert growth["coverage_80"].is_null().all()
    england = scored.filter((pl.col("level") == "england") & (pl.col("method") == "sendsim"))
    assert england["bias"][0] == pytest.approx(25.0) and england["coverage_80"][0] == 0
    assert ours["coverage_80_draws"][0] == 0.5  # no draws' interval given: the same


def test_coverage_counts_the_widened_interval_and_the_draws_own():
    table = compared_frame().with_columns(draws_p10=pl.lit(99.0), draws_p90=pl.lit(101.0))
    ours = scores.score(table).filter(
        (pl.col("method") == "sendsim") & (pl.col("level") == "council")
    )
    assert ours["coverage_80"][0] == 0.5 and ours["coverage_80_draws"][0] == 0.25  # 100 only


def test_share_errors_are_percentage_points():
    table = compared_frame().with_columns(
        measure=pl.lit("within_20_weeks_share"),
        p10=pl.lit(0.4),
        p50=pl.lit(0.5),
        p90=pl.lit(0.6),
        actual=pl.lit(0.45),
    )
    ours = scores.score(table).filter(pl.col("method") == "sendsim")
    assert ours["mdape"].to_list() == pytest.approx([5.0, 5.0])  # 0.50 - 0.45: 5 points


def test_attainment_errors_are_points_and_held_to_persistence():
    """Attainment 8 is scored in points; each result per council must do no worse on mean
    absolute error than its last published value held."""
    table = compared_frame().with_columns(
        measure=pl.lit("attainment8_ehcp_score"), p50=pl.lit(15.0), actual=pl.lit(13.0)
    )
    scored = scores.score(table)
    ours = scored.filter((pl.col("method") == "sendsim") & (pl.col("level") == "council"))
    assert ours["mape"][0] == pytest.approx(2.0)  # 15 - 13 points
    targets = scores.targets(scored)
    chosen = pl.col("target").str.starts_with("Attainment 8, EHC plans")
    row = targets.filter(chosen).row(0, named=True)
    assert row["unit"] == "points" and row["high"] == pytest.approx(np.mean([87, 92, 112, 67]))
    assert row["met"]


def test_targets_compare_with_thresholds_and_anchors():
    table = compared_frame()
    caseload = table.with_columns(measure=pl.lit("ehcp_total"), actual=pl.lit(100.0))
    targets = scores.targets(scores.score(pl.concat([table, caseload])))
    met = dict(zip(targets["target"], targets["met"], strict=True))
    assert met["caseload per council: median abs. % error"]  # 0%
    assert not met["caseload per council: % inside the 80% interval"]  # 100%: too wide
    assert not met["new plans per council: no worse than persistence"]  # 12.4% v 0%
    assert not met["new plans in England: % error"]  # +25%


def test_percentiles_divide_shares_after_summing_england():
    draws = pl.DataFrame(
        {
            "measure": ["share", "share", "count", "count"],
            "la_code": ["A", "B", "A", "B"],
            "year": [2020] * 4,
            "value": [1.0, 3.0, 5.0, 7.0],
            "denominator": [2.0, 6.0, np.nan, np.nan],
            "draw": [0] * 4,
        }
    )
    everything = pl.concat([draws, forecast.england(draws)])
    result = forecast.percentiles(everything).filter(pl.col("la_code") == NATIONAL).sort("measure")
    assert result["p50"].to_list() == [12.0, 0.5]  # counts summed; 4 / 8


def test_long_run_diagnostics_from_counts_by_age():
    counts = pl.DataFrame(
        {
            "year": [2022] * 26,
            "age": list(range(26)),
            "population": [100.0] * 26,
            "need": [10.0] * 26,
            "sen_support": [5.0] * 26,
            "plans": [1.0] * 4 + [2.0] + [3.0] * 11 + [4.0] * 10,
        }
    )
    per_10k = longrun.plans_per_10k(counts)
    assert per_10k["under 5"][0] == pytest.approx(6 / 500 * 1e4)
    assert per_10k["20-25"][0] == pytest.approx(400)
    shares = longrun.shares(counts)
    assert shares["under_5_share"][0] == pytest.approx(6 / 79)
    assert shares["post_16_share"][0] == pytest.approx(40 / 79)
    assert longrun.prevalence(counts)["need_share"].to_list() == [0.1] * 26


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("train_end=2022",), "train_end=2022: out of range; allowed 2019 to 2021"),
        (("draws=1",), "draws=1: out of range"),
        (("docs=maybe",), "docs='maybe': expected true or false"),
        (("long_run_year=2",), "long_run_year: unknown key (did you mean 'long_run_years'?)"),
        (("record=true", f"area={RUTLAND}"), "record=true: needs area=england"),
    ],
)
def test_bad_settings_exit_2_with_one_line(args, message, tmp_path):
    out = sendsim("validate", *args, cwd=tmp_path)
    assert out.returncode == 2 and message in out.stderr
    assert len([line for line in out.stderr.splitlines() if line.strip()]) <= 2
    assert not any(tmp_path.iterdir())


@pytest.mark.slow
def test_a_short_validation_writes_its_page_and_scores(tmp_path):
    out = tmp_path / "v"
    args = (f"area={RUTLAND}", "draws=2", "horizon=2", "sample_fraction=0.5",
            "long_run_years=2", "long_run_fraction=0.005", f"out={out}")  # fmt: skip
    done = sendsim("validate", *args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    scored = pl.read_parquet(out / "validation.parquet")
    assert set(scored["horizon"]) == {1, 2}
    caseload = scored.filter((pl.col("measure") == "ehcp_total") & (pl.col("method") == "sendsim"))
    assert caseload.height == 2 and caseload["mdape"].is_finite().all()
    table = pl.read_parquet(out / "forecasts.parquet")
    bands = table.filter(pl.col("measure").str.starts_with("ehcp_age_"))
    total = table.filter(pl.col("measure") == "ehcp_total")
    summed = bands.group_by("year").agg(pl.col("p50").sum()).sort("year")["p50"]
    assert summed.to_numpy() == pytest.approx(total.sort("year")["p50"].to_numpy(), rel=0.05)
    page = (out / "validation.html").read_text()
    assert "Content-Security-Policy" in page and "http" not in page.split("<main>")[1]
    assert "Forecast from January 2019" in page and "Long run" in page
    assert (out / "growth.csv").exists() and (out / "coverage.png").exists()
    results = scored.filter(
        (pl.col("measure") == "level2_em_age19_ehcp_pct") & (pl.col("level") == "council")
    )
    assert set(results["method"]) >= {"sendsim", "persistence"}  # 2020 and 2021 published
    assert "Level 2 in English and maths by 19, EHC plans" in page
