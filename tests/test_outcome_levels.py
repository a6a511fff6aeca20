"""Each council's results start at England's latest plus its mean gap over the years that
forecast best out of sample."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from sendsim import outcome_levels
from sendsim.data import areas
from sendsim.errors import DataError

MEASURE = "level2_em_age19_ehcp_pct"  # every year comparable
YEARS = np.arange(2014, 2020)
COUNCILS = 200


def history(gaps: np.ndarray, england: np.ndarray) -> pl.DataFrame:
    """A history of ``MEASURE``: councils' ``gaps`` (councils, years) from ``england``."""
    codes = [f"E0600{i:04d}" for i in range(COUNCILS)]
    values = england + gaps
    rows = {
        "la_code": np.repeat([*codes, areas.ENGLAND_CODE], len(YEARS)),
        "year": np.tile(YEARS, COUNCILS + 1).astype(np.int16),
        "measure": MEASURE,
        "value": np.concatenate([values.ravel(), england]),
    }
    return pl.DataFrame(rows)


def forget() -> None:
    outcome_levels.levels.cache_clear()
    outcome_levels.comparable_history.cache_clear()


@pytest.fixture
def use(monkeypatch):
    def _use(frame: pl.DataFrame) -> None:
        forget()
        monkeypatch.setattr(areas, "load_history", lambda: frame)

    yield _use
    forget()  # later tests read the published history


def test_persistent_gaps_start_at_the_latest_year(use):
    rng = np.random.default_rng(1)
    walk = np.cumsum(rng.normal(0, 2, (COUNCILS, len(YEARS))), axis=1)
    use(history(walk, np.linspace(20, 30, len(YEARS))))
    assert outcome_levels.levels(MEASURE, 2019).years == 1


def test_noisy_gaps_start_at_the_mean(use):
    rng = np.random.default_rng(2)
    steady = rng.normal(0, 5, (COUNCILS, 1)) + rng.normal(0, 2, (COUNCILS, len(YEARS)))
    use(history(steady, np.linspace(20, 30, len(YEARS))))
    start = outcome_levels.levels(MEASURE, 2019)
    assert start.years == outcome_levels.MOST_YEARS
    assert start.scores[1] > start.scores[outcome_levels.MOST_YEARS]


def test_national_shifts_count_once_at_the_latest(use):
    gaps = np.tile(np.linspace(-5, 5, COUNCILS)[:, None], len(YEARS))
    england = np.array([20.0, 20, 20, 20, 20, 35])  # a new measure's jump in the last year
    use(history(gaps, england))
    start = outcome_levels.levels(MEASURE, 2019)
    assert start.england == 35.0
    assert start.by_council.sort("la_code")["value"].to_numpy() == pytest.approx(35 + gaps[:, 0])


def test_the_choice_uses_only_the_years_up_to_the_start(use):
    rng = np.random.default_rng(3)
    walk = np.cumsum(rng.normal(0, 2, (COUNCILS, len(YEARS))), axis=1)
    use(history(walk, np.full(len(YEARS), 25.0)))
    before = outcome_levels.levels(MEASURE, 2018)
    changed = walk.copy()
    changed[:, -1] += rng.normal(0, 50, COUNCILS)  # 2019 only
    use(history(changed, np.full(len(YEARS), 25.0)))
    assert outcome_levels.levels(MEASURE, 2018).scores == before.scores


def test_with_no_earlier_year_to_score_all_the_latest_years_are_averaged(use):
    gaps = np.random.default_rng(4).normal(0, 3, (COUNCILS, len(YEARS)))
    use(history(gaps, np.full(len(YEARS), 25.0)))
    start = outcome_levels.levels(MEASURE, 2015)  # two years: nothing earlier to forecast
    assert start.scores == {} and start.years == outcome_levels.MOST_YEARS
    mean_gap = gaps[:, :2].mean(axis=1)
    assert start.by_council.sort("la_code")["value"].to_numpy() == pytest.approx(25 + mean_gap)


def test_a_history_without_englands_figure_is_refused_by_name(use):
    gaps = np.zeros((COUNCILS, len(YEARS)))
    frame = history(gaps, np.full(len(YEARS), 25.0))
    use(frame.filter(~((pl.col("la_code") == areas.ENGLAND_CODE) & (pl.col("year") == 2017))))
    with pytest.raises(DataError, match=MEASURE):
        outcome_levels.levels(MEASURE, 2019)


def test_a_year_graded_apart_keeps_its_gaps_but_not_englands_level(use, monkeypatch):
    gaps = np.tile(np.linspace(-5, 5, COUNCILS)[:, None], len(YEARS))
    england = np.array([20.0, 20, 20, 20, 20, 23])  # 2019 graded apart, 3 points up
    use(history(gaps, england))
    monkeypatch.setitem(areas.OUTCOME_YEARS_GRADED_APART, MEASURE, (2019,))
    start = outcome_levels.levels(MEASURE, 2019)
    assert start.england == 20.0
    assert start.by_council.sort("la_code")["value"].to_numpy() == pytest.approx(20 + gaps[:, 0])


def test_attainment8_from_2022_starts_at_2019s_grading():
    start = outcome_levels.levels("attainment8_no_sen_score", 2022)
    published = areas.load_history().filter(
        (pl.col("measure") == "attainment8_no_sen_score")
        & (pl.col("la_code") == areas.ENGLAND_CODE)
    )
    by_year = dict(published.select("year", "value").iter_rows())
    assert start.england == by_year[2019] < by_year[2022]
