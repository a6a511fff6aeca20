"""National banding: a spend-neutral tariff with bands and local flexibility, and the
independent market's answer to the price it is paid.
"""

from __future__ import annotations

import numpy as np
import pytest

from sendsim.model.codes import Place
from sendsim.model.institutions.specialist import IndependentSchool
from sendsim.model.mechanisms import finance
from sendsim.model.model import SendModel
from tests.conftest import make_config
from tests.test_mechanisms import BASE

BANDING = "policy.tariffs.national_banding"


def test_tariff_spends_what_councils_own_costs_spend():
    rng = np.random.default_rng(0)
    cost = rng.lognormal(np.log(20000), 0.4, size=(150, 4))
    plans = rng.integers(0, 500, size=(150, 4)).astype(float)
    plans[:, 3] = 0.0  # a placement nobody holds
    for flexibility in (0.0, 0.1, 0.3):
        tariff = finance.spend_neutral_tariff(cost, plans, flexibility)
        prices = finance.tariff_prices(cost, tariff, flexibility)
        np.testing.assert_allclose(
            (prices * plans).sum(axis=0)[:3], (cost * plans).sum(axis=0)[:3], rtol=1e-9
        )
        assert np.all(np.abs(prices / tariff - 1) <= flexibility + 1e-12)
    mean = (cost * plans).sum(axis=0)[:3] / plans.sum(axis=0)[:3]
    np.testing.assert_allclose(finance.spend_neutral_tariff(cost, plans, 0.0)[:3], mean)


def test_councils_within_the_flexibility_keep_their_own_price():
    cost = np.array([[80.0], [100.0], [125.0]])
    prices = finance.tariff_prices(cost, np.array([100.0]), 0.1)
    np.testing.assert_allclose(prices[:, 0], [90.0, 100.0, 110.0])


def banded_model() -> SendModel:
    return SendModel(make_config(**{**BASE, BANDING: 1.0}))


def test_bands_move_money_between_plans_not_into_them():
    """Plans priced by band cost what they would unbanded in each placement, whatever the mix
    of need: need drifting does not move spend."""
    model = banded_model()
    plans = finance.plans_by_placement(model) * model.scale
    banded = finance.banded_plans(model)
    np.testing.assert_allclose(banded.sum(axis=0), plans.sum(axis=0), rtol=1e-9)
    ch = model.children
    ch.severity[:] = np.minimum(ch.severity + 0.2, 1.0)
    np.testing.assert_allclose(finance.banded_plans(model).sum(axis=0), plans.sum(axis=0))


def test_tariff_is_built_from_the_costs_the_model_pays():
    """England's tariff lies within the range of councils' scaled costs, below the unscaled
    average where councils' costs were scaled down to their spend."""
    model = banded_model()
    eng = model.profiles.england
    raw = finance.with_flat_costs(model, eng.unit_cost_gbp)
    unscaled = (raw * eng.plans).sum(axis=0) / np.maximum(eng.plans.sum(axis=0), 1)
    tariffed = finance.TARIFFED
    assert np.all(model.tariff_gbp[tariffed] <= unscaled[tariffed] + 1e-6)
    assert model.tariff_gbp[Place.STATE_SPECIAL] < unscaled[Place.STATE_SPECIAL]


def test_a_market_paid_below_its_fees_grows_more_slowly():
    grown = {}
    for ratio in (1.0, 0.8):
        model = banded_model()
        model.iss.price_ratio[:] = ratio
        IndependentSchool.bank_growth(model)
        grown[ratio] = model.iss.allowance.sum() + model.iss.places.sum()
    assert grown[0.8] < grown[1.0]


def test_a_fee_cap_holds_the_market_below_its_fees():
    model = SendModel(make_config(**{**BASE, "policy.tariffs.independent_fee_growth_cap": 0.0}))
    model.run(progress=False)
    assert np.all(model.iss.price_ratio < 1.0)


@pytest.mark.slow
def test_banding_is_spend_neutral_for_england_when_introduced():
    """England at 1 in 50, banding from February 2022: February's spend on the placements the
    tariff prices is within 1% of today's."""
    spend = {}
    for banding in (0.0, 1.0):
        cfg = {
            "area.code": "england",
            "population.sample_fraction": 0.02,
            "run.years": 1,
            "policy.reforms_from": "2022-02",
            BANDING: banding,
        }
        model = SendModel(make_config(**cfg))
        for _ in range(2):
            model.step()
        flows = model.recorder.flows
        names = [f"hn_spend_{finance.PLACE_NAMES[p]}_gbp" for p in finance.TARIFFED]
        spend[banding] = sum(flows[name][1].sum() for name in names)
    assert abs(spend[1.0] / spend[0.0] - 1) < 0.01
