"""Year-to-year variation in forecast draws: councils' rates move each January by their
history's spread, ordinary runs do not vary, and the draws carry the fit's spreads."""

from __future__ import annotations

import numpy as np
import pytest

from sendsim import backtest, calibration
from sendsim.model.codes import ADULT_AGE, Rate, Sen
from sendsim.model.mechanisms import variation
from sendsim.model.model import SendModel
from tests.conftest import make_config

ENGLAND = {"area.code": "england", "population.sample_fraction": 0.01, "run.years": 2}


def england(spread: float) -> SendModel:
    model = SendModel(make_config(**ENGLAND))
    model.councils.yearly_sd[:] = spread
    model.run(progress=False)
    return model


@pytest.fixture(scope="module")
def steady_and_varying() -> tuple[SendModel, SendModel]:
    return england(0.0), england(0.5)


def test_ordinary_runs_do_not_vary(steady_and_varying):
    steady, _ = steady_and_varying
    assert not steady.councils.yearly_shift.any()


def test_each_rate_moves_by_the_fitted_years_and_its_own_deviation(steady_and_varying):
    _, varying = steady_and_varying
    shift = varying.councils.yearly_shift
    refusal = shift[:, Rate.REFUSAL] / 0.5  # log-odds: no mean correction
    assert abs(refusal.mean()) < 0.3 and 1.1 < refusal.std() < 1.7  # sd of two draws: 1.41
    requests = shift[:, Rate.REQUESTS]
    assert np.exp(requests).mean() == pytest.approx(1.0, abs=0.15)  # mean-one multipliers
    assert not np.allclose(shift[:, Rate.REQUESTS], shift[:, Rate.APPEALS])  # own draws


def test_outflow_moves_both_ways_within_what_the_usual_exits_allow(steady_and_varying):
    """More outflow adds to the usual exits (more moving away, and a chance that a plan from
    19 ceases at review), less holds them back, at most ``EXITS_MOVABLE`` of them either way;
    the median council-year is the fit."""
    _, varying = steady_and_varying
    c = varying.councils
    outflow = c.yearly_shift[:, Rate.OUTFLOW]
    more = outflow > 0
    np.testing.assert_array_equal(c.cease_other > 0, more)
    np.testing.assert_array_equal(c.exit_multiple < 1, outflow < 0)
    np.testing.assert_array_equal(c.exit_multiple > 1, more)
    assert np.abs(c.exit_multiple - 1).max() <= variation.EXITS_MOVABLE + 1e-9
    assert 0.3 < more.mean() < 0.7


def test_in_the_first_year_only_outflow_moves():
    """The calibration matched the first year's requests, refusals and appeals, and outflow
    in the year before."""
    model = SendModel(make_config(**ENGLAND))
    model.councils.yearly_sd[:] = 0.05
    model.step()
    shift = model.councils.yearly_shift
    assert not shift[:, list(variation.FITTED_IN_FIRST_YEAR)].any()
    assert (shift[:, Rate.OUTFLOW] != 0).mean() > 0.9


@pytest.mark.parametrize(("multiple", "at_review"), [(0.5, 0.5), (1.5, 1.0)])
def test_a_year_of_less_or_more_outflow_scales_the_usual_exits(multiple, at_review):
    """Half the usual exits halves plans ceased at review and plan holders moving away, and
    no other plan ends more often; half as many again moves half as many again away (more
    review exits are a separate chance, from 19)."""
    council = {"run.years": 2, "area.code": "E08000007", "population.sample_fraction": 1.0}
    base = SendModel(make_config(**council))
    scaled = SendModel(make_config(**council))
    scaled.councils.exit_multiple[:] = multiple
    for model in (base, scaled):
        model.run(progress=False)
    for flow, expected in (("ceased_on_review", at_review), ("transfers_out", multiple)):
        ratio = scaled.recorder.flows[flow].sum() / base.recorder.flows[flow].sum()
        assert ratio == pytest.approx(expected, abs=0.15), flow


def test_second_year_requests_follow_each_councils_shift(steady_and_varying):
    steady, varying = steady_and_varying
    second = slice(12, 24)
    moved = np.log(
        (varying.recorder.flows["requests"][second].sum(axis=0) + 1)
        / (steady.recorder.flows["requests"][second].sum(axis=0) + 1)
    )
    assert np.corrcoef(moved, varying.councils.yearly_shift[:, Rate.REQUESTS])[0, 1] > 0.5


def test_draws_carry_the_fits_yearly_spreads():
    fit = calibration.load(2022)
    codes = fit.table["la_code"].to_list()
    factors = fit.factors(codes)
    drawn = backtest.perturb(factors, np.random.default_rng(1))
    for rate, spread in backtest.YEARLY_SPREADS.items():
        np.testing.assert_allclose(drawn[calibration.YEARLY_SD][:, rate], factors[spread])
    assert (factors["request_noise_sd"] > 0).all()  # pooled towards the median council's


def test_a_year_of_more_outflow_ceases_plans_after_19():
    """A chance of 0.1 that a plan of a young person aged 19 or over ceases at review: two
    years of reviews end about a fifth of those plans, and plans of younger children hold
    (extra exits spread over every plan put the draws' plans aged 20-25 9% above the fit's)."""
    council = {"run.years": 2, "run.calibrated": False, "area.code": "E08000007"}
    council["population.sample_fraction"] = 0.25
    base = SendModel(make_config(**council))
    more = SendModel(make_config(**council))
    older = plans_at(base)[1]
    more.councils.cease_other[:] = 0.1
    for model in (base, more):
        model.run(progress=False)
    extra = (
        more.recorder.flows["ceased_on_review"].sum()
        - base.recorder.flows["ceased_on_review"].sum()
    )
    assert 0.1 * older < extra < 0.3 * older  # two years of reviews at 0.1, of a growing caseload
    younger, adult = plans_at(more) / plans_at(base)
    assert younger == pytest.approx(1.0, abs=0.02) and adult < 0.95


def plans_at(model: SendModel) -> np.ndarray:
    """Plans held under 19 and at 19 or over."""
    ch = model.children
    ages = ch.age[ch.active & (ch.sen == Sen.EHCP)]
    return np.array([(ages < ADULT_AGE).sum(), (ages >= ADULT_AGE).sum()], float)
