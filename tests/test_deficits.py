"""Councils' deficits: the end of the statutory override (reserves, councils' answers to it,
section 114 risk, exceptional financial support), Safety Valve agreements and Delivering Better
Value.

Devon has one of the largest deficits for its reserves (£72m in January 2022, growing £38m a
year, against reserves of about £196m): a run in which the override ends in March 2023 is
compared with today's March 2028 on common random numbers.
"""

from __future__ import annotations

from functools import cache
from types import SimpleNamespace

import numpy as np
import pytest

from sendsim.model.institutions.council import Council
from sendsim.model.mechanisms.finance import exceptional_support_cost
from sendsim.model.model import SendModel
from tests.conftest import make_config

DEVON = {
    "area.code": "E10000008",
    "population.sample_fraction": 0.25,
    "run.years": 3,
    "run.seed": 3,
    "run.calibrated": False,
}
EARLY_END = "2023-03"
TODAY_END = "2028-03"
#: The fewest reserves the parameters allow: Devon's deficit then exceeds them from 2023.
FEW_RESERVES = {"finance.reserves_gbp": 15.0e9, "finance.reserves_available_share": 0.2}


def devon(end: str, **changes) -> SendModel:
    key = "policy.funding.statutory_override_end"
    return SendModel(make_config(**{**DEVON, key: end, **changes}))


@cache
def outcome(end: str, few_reserves: bool = False) -> dict[str, np.ndarray]:
    """Each flow's yearly totals and each stock at the end of each year."""
    model = devon(end, **(FEW_RESERVES if few_reserves else {}))
    model.run(progress=False)
    rec = model.recorder
    out = {name: v.sum(axis=1).reshape(-1, 12).sum(axis=1) for name, v in rec.flows.items()}
    out.update({name: v.sum(axis=1)[12::12] for name, v in rec.stocks.items()})
    return out


def test_reserves_are_englands_shared_by_schools_grant():
    model = devon(TODAY_END)
    f, prof = model.cfg.finance, model.profiles
    expected = f.reserves_gbp * f.reserves_available_share * prof.dsg_share_of_england
    np.testing.assert_allclose(model.councils.reserves_gbp, expected)
    assert 0.005 < prof.dsg_share_of_england[0] < 0.02  # a large county's share of England


@pytest.mark.parametrize(
    ("end", "expected"),
    [
        ("2030-03", 0.0),  # further off than councils plan: no pressure
        ("2023-03", (60e6 + 15 / 12 * 20e6) / 200e6),  # projected 15 months on
        ("2021-12", 60e6 / 200e6),  # ended: the deficit now
        ("2021-12:deep", 1.0),  # a deficit beyond reserves: full pressure
    ],
)
def test_cliff_pressure_is_the_share_of_reserves_the_deficit_would_take(end, expected):
    end, _, deep = end.partition(":")
    model = devon(end)  # January 2022
    c = model.councils
    c.reserves_gbp[:] = 200e6
    c.dsg_balance_gbp[:] = -300e6 if deep else -60e6
    c.dsg_balance_year_before_gbp[:] = c.dsg_balance_gbp + 20e6  # £20m more deficit a year
    council = model.agents_by_type[Council][0]
    assert council.cliff_pressure() == pytest.approx(expected)


def test_councils_answer_an_earlier_end_in_decisions_children_and_spend():
    """Ending the override in March 2023 rather than 2028: Devon gatekeeps harder, names
    fewer independent schools and moves pupils from them to state special places it adds,
    so it makes fewer plans and spends less."""
    today, early = outcome(TODAY_END), outcome(EARLY_END)
    total = lambda out, name: out[name].sum()  # noqa: E731
    assert total(today, "moves_to_state_special") == 0
    assert total(early, "moves_to_state_special") > 0
    assert total(early, "refusals_to_assess") > 1.05 * total(today, "refusals_to_assess")
    assert total(early, "new_plans") < total(today, "new_plans")
    assert early["ehcp_independent"][-1] < today["ehcp_independent"][-1]
    assert early["special_places"][-1] > today["special_places"][-1]
    assert total(early, "hn_spend_gbp") < total(today, "hn_spend_gbp")


def test_deficits_beyond_reserves_are_counted_and_ask_for_support():
    """With few reserves Devon's exposed deficit exceeds them: it counts as at risk each year
    after the end and each April asks for exceptional support for what has grown beyond its
    reserves and its earlier borrowing; under the override it does neither."""
    today, early = outcome(TODAY_END, True), outcome(EARLY_END, True)
    assert not today["councils_deficit_over_reserves"].any()
    assert not today["exceptional_support_requests"].any()
    assert early["councils_deficit_over_reserves"][-2:].tolist() == [1.0, 1.0]
    assert early["exceptional_support_requests"][1:].tolist() == [1.0, 1.0]
    asked = early["exceptional_support_asked_gbp"][1:]
    assert np.all(asked > 0)
    assert early["exceptional_support_capitalised_gbp"][-1] == pytest.approx(asked.sum())
    reserves_left = early["reserves_after_deficit_gbp"]
    assert reserves_left[-1] < 0 < today["reserves_after_deficit_gbp"][-1]


def test_borrowing_under_exceptional_support_costs_the_general_fund():
    """What Devon capitalises costs it a level annuity each month from the April it borrows."""
    model = devon(EARLY_END, **FEW_RESERVES)
    model.run(progress=False)
    f = model.cfg.finance
    rate, years = f.exceptional_support_borrowing_rate, f.exceptional_support_repayment_years
    annuity = rate / (1 - (1 + rate) ** -years)
    borrowed = model.recorder.stocks["exceptional_support_capitalised_gbp"][1:, 0]
    cost = model.recorder.flows["exceptional_support_cost_gbp"][:, 0]
    np.testing.assert_allclose(cost, borrowed * annuity / 12)
    assert cost[-1] > 0 and cost[0] == 0


def test_a_rate_too_small_to_move_one_plus_rate_repays_evenly():
    """At a borrowing rate below floating point's resolution of 1 + rate the annuity is the
    sum over the repayment years, not a division by zero."""
    model = SimpleNamespace(
        cfg=SimpleNamespace(
            finance=SimpleNamespace(
                exceptional_support_borrowing_rate=1e-123, exceptional_support_repayment_years=25
            )
        ),
        councils=SimpleNamespace(capitalised_gbp=np.array([1_200.0])),
    )
    np.testing.assert_allclose(exceptional_support_cost(model), [1_200.0 / 25 / 12])


SAFETY_VALVE = "policy.funding.safety_valve_share"
TOLERANCE = "behaviour.council.safety_valve_tolerance"


def yearly(model: SendModel, name: str) -> np.ndarray:
    return model.recorder.flows[name].sum(axis=1).reshape(-1, 12).sum(axis=1)


def test_safety_valve_pays_its_share_while_the_recovery_plan_holds():
    """Devon's deficit is well above a fifth of its income: it agrees a plan in April 2022
    and DfE pays a fifth of half its deficit each April while the plan holds (here with the
    widest tolerance); carrying out the plan, Devon refuses more assessments."""
    model = devon(TODAY_END, **{SAFETY_VALVE: 0.5, TOLERANCE: 1.0})
    for month in range(model.n_months):
        if month == 3:  # the start of April 2022, when the council plans its year
            deficit = -model.councils.dsg_balance_gbp[0]
        model.step()
    paid = yearly(model, "safety_valve_paid_gbp")
    assert paid[0] == pytest.approx(0.5 * deficit / model.cfg.behaviour.council.safety_valve_years)
    assert paid[1] == paid[0]
    assert model.recorder.stocks["safety_valve_agreements"][12, 0] == 1
    without = devon(TODAY_END)
    without.run(progress=False)
    assert yearly(model, "refusals_to_assess")[0] > yearly(without, "refusals_to_assess")[0]


def test_safety_valve_is_suspended_when_demand_outruns_the_plan():
    """With no tolerance, Devon's growing deficit runs above its plan's path to balance at the
    first April it is checked: the agreement is suspended and DfE pays no more."""
    model = devon(TODAY_END, **{SAFETY_VALVE: 0.5, TOLERANCE: 0.0})
    model.run(progress=False)
    paid, suspended = (
        yearly(model, "safety_valve_paid_gbp"),
        yearly(model, "safety_valve_suspended"),
    )
    assert paid[0] > 0 and suspended.tolist() == [0, 1, 0]
    assert paid[1:].sum() == 0
    assert model.recorder.stocks["safety_valve_agreements"][-1, 0] == 0


def test_safety_valve_is_offered_only_for_very_high_deficits():
    """Stockport's deficit (about an eighth of its income) is below the threshold."""
    model = SendModel(make_config(**{**DEVON, "area.code": "E08000007", SAFETY_VALVE: 0.5}))
    model.run(progress=False)
    assert yearly(model, "safety_valve_paid_gbp").sum() == 0


BETTER_VALUE = "policy.funding.delivering_better_value"
STOCKPORT = {**DEVON, "area.code": "E08000007"}


def test_councils_with_substantial_deficits_carry_out_a_better_value_plan():
    """Stockport's deficit (about an eighth of its income) is above the threshold: it joins in
    April 2022, carries out its plan for two years, and refuses more assessments meanwhile."""
    model = SendModel(make_config(**{**STOCKPORT, BETTER_VALUE: 1.0}))
    model.run(progress=False)
    plans = model.recorder.stocks["better_value_plans"][:, 0]
    years = model.cfg.behaviour.council.better_value_years
    assert plans[:4].sum() == 0 and plans[4 : 4 + 12 * years].all()  # May 2022 to April 2024
    assert plans[4 + 12 * years :].sum() == 0
    without = SendModel(make_config(**STOCKPORT))
    without.run(progress=False)
    assert yearly(model, "refusals_to_assess")[1] > yearly(without, "refusals_to_assess")[1]


def test_better_value_is_for_councils_not_in_a_safety_valve_agreement():
    """Devon's deficit is above the Safety Valve threshold: offered an agreement, it does not
    also join Delivering Better Value; without one, it does."""
    both = devon(TODAY_END, **{SAFETY_VALVE: 0.5, TOLERANCE: 1.0, BETTER_VALUE: 1.0})
    alone = devon(TODAY_END, **{BETTER_VALUE: 1.0})
    for model in (both, alone):
        model.run(progress=False)
    assert not both.recorder.stocks["better_value_plans"].any()
    assert alone.recorder.stocks["better_value_plans"][12, 0] == 1
