"""ICBs with SEND budgets: joint funding draws on them, therapy takes what is left, waiting lists
answer when they are short, and backstop powers hold ICBs to their duties."""

from __future__ import annotations

import numpy as np
import pytest

from sendsim.model.institutions.icb import Icb
from sendsim.model.model import SendModel
from tests.conftest import make_config
from tests.test_mechanisms import BASE, outcome_pair

ENGLAND = {"area.code": "england", "population.sample_fraction": 0.01, "run.calibrated": False}


def test_starting_budgets_pay_for_what_icbs_commission():
    """In the starting year each ICB's budget is its therapy staff's courses plus its share
    of independent fees, so its therapists work at capacity."""
    model = SendModel(make_config(**ENGLAND))
    icbs, c = model.icbs, model.councils
    assert icbs.n == 42
    therapy = 12 * icbs.staff_capacity * Icb.course_cost(model)
    joint = 12 * icbs.joint_funding_gbp
    np.testing.assert_allclose(icbs.budget_gbp, therapy + joint)
    assert joint.sum() / icbs.budget_gbp.sum() == pytest.approx(0.3, abs=0.15)
    np.testing.assert_allclose(Icb.therapy_capacity(model), icbs.staff_capacity)
    np.testing.assert_allclose(
        np.bincount(c.icb, icbs.council_share, minlength=icbs.n), 1.0, rtol=1e-9
    )


def squeezed(**changes) -> SendModel:
    """A model whose ICBs owe twice their budget in joint funding this month."""
    model = SendModel(make_config(**{**BASE, **changes}))
    model.icbs.joint_funding_gbp = model.icbs.budget_gbp / 12 * 2
    return model


def test_a_short_budget_comes_out_of_therapy_less_what_the_icb_absorbs():
    def share_of_staff(absorbed: float, **changes) -> float:
        model = squeezed(**{"behaviour.health.icb_gap_absorbed_share": absorbed, **changes})
        return float(Icb.therapy_capacity(model).sum() / model.icbs.staff_capacity.sum())

    assert share_of_staff(0.0) == 0.0  # the whole gap is more than all its therapy
    assert share_of_staff(1.0) == pytest.approx(1.0)
    assert 0.0 <= share_of_staff(0.5) < share_of_staff(0.8) < 1.0
    gain = make_config(**BASE).behaviour.effects.icb_capacity_gain
    powers = {"policy.powers.icb_backstop_powers": 1.0}
    assert share_of_staff(0.0, **powers) == pytest.approx(1 + gain)  # held to their duties


def test_joint_funding_is_the_health_share_of_independent_fees():
    model = SendModel(make_config(**BASE))
    spend = np.full(model.councils.n, 1.2e6)
    paid = Icb.joint_fund(model, spend)
    share = model.cfg.policy.tariffs.health_share_of_complex_placements
    np.testing.assert_allclose(paid, share * spend)
    assert model.icbs.joint_funding_gbp.sum() == pytest.approx(paid.sum())


def test_waiting_lists_grow_when_budgets_do_not():
    """Budgets frozen in cash buy fewer courses as costs and joint funding grow: longer waits;
    the budget each council's children draw on is reported, and therapy spend is courses at
    their price."""
    frozen = outcome_pair(("behaviour.health.icb_budget_growth_per_year", 0.0))
    growing = outcome_pair(("behaviour.health.icb_budget_growth_per_year", 0.08))
    assert frozen["therapy_waiting"] > growing["therapy_waiting"]
    assert frozen["therapy_courses"] < growing["therapy_courses"]
    assert frozen["icb_therapy_spend_gbp"] < growing["icb_therapy_spend_gbp"]
    model = SendModel(make_config(**{**BASE, "run.years": 1}))
    model.run(progress=False)
    rec = model.recorder
    start_budget = rec.stocks["icb_send_budget_gbp"][0].sum()
    assert rec.stocks["icb_send_budget_gbp"][-1].sum() == pytest.approx(
        start_budget * (1 + model.cfg.behaviour.health.icb_budget_growth_per_year), rel=1e-6
    )
    cost = model.cfg.behaviour.health.course_cost_gbp * model.scale
    spent = rec.flows["icb_therapy_spend_gbp"].sum() / rec.flows["therapy_courses"].sum()
    assert cost < spent < cost * (1 + model.cfg.finance.cost_inflation_per_year)


def test_a_larger_health_share_helps_councils_and_lengthens_waits():
    """Joint funding without new NHS money: councils pay less for independent places, and the
    ICB's therapy pays for it."""
    key = "policy.tariffs.health_share_of_complex_placements"
    today, more = outcome_pair(), outcome_pair((key, 0.3))
    assert more["icb_contribution_gbp"] > today["icb_contribution_gbp"]
    assert more["hn_spend_independent_gbp"] < today["hn_spend_independent_gbp"]
    assert more["therapy_waiting"] > today["therapy_waiting"]
    assert more["hn_spend_independent_gbp"] + more["icb_contribution_gbp"] == pytest.approx(
        today["hn_spend_independent_gbp"] + today["icb_contribution_gbp"], rel=0.01
    )
