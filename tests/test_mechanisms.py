"""Each mechanism moves what it should: response tests with common random numbers.

Every case changes one parameter from its default and checks the direction of the change in
a metric over a three-year run of the default council (a quarter sample, same seed), or that a
metric it must not affect stays identical.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from sendsim.config.policy import PolicyConfig
from sendsim.model.codes import (
    POST16_START_AGE,
    SCHOOL_START_AGE,
    SPECIAL_SCHOOLS,
    Place,
    Sen,
    Waiting,
    member,
)
from sendsim.model.institutions.council import Council, CouncilParams
from sendsim.model.institutions.specialist import IndependentSchool
from sendsim.model.model import SendModel
from sendsim.model.operations import placing
from sendsim.model.ops import count_by
from tests.conftest import make_config

# Uncalibrated, so that each mechanism acts at its declared strength (a council's fitted
# factors can saturate one, e.g. cessation at review).
BASE = {
    "area.code": "E08000007",
    "population.sample_fraction": 0.25,
    "run.years": 3,
    "run.seed": 3,
    "run.calibrated": False,
}


def outcome(key: str | None = None, value: float | str | None = None) -> dict[str, float]:
    """Totals of every flow and final values of every stock (sample scale)."""
    return outcome_pair() if key is None else outcome_pair((key, value))


@cache
def outcome_pair(*changes: tuple[str, float | str]) -> dict[str, float]:
    model = SendModel(make_config(**{**BASE, **dict(changes)}))
    model.run(progress=False)
    rec = model.recorder
    out = {name: float(v.sum()) for name, v in rec.flows.items()}
    out.update({name: float(v[-1].sum()) for name, v in rec.stocks.items()})
    out["unmet_mean"] = out["unmet_months_sum"] / out["send_children"]
    out["within_20_weeks_share"] = out["issued_within_20_weeks"] / out["new_plans"]
    out["independent_share"] = out["ehcp_independent"] / out["ehcp_caseload"]
    out["neet_rate"] = out["neet_send_16_25"] / out["send_16_25"]
    out["outcome"] = out["progress_sum"] / out["send_children"]
    out["deficit_exposed_total"] = float(rec.stocks["dsg_deficit_exposed_gbp"].sum())
    out["awaiting_total"] = float(rec.stocks["awaiting_provision"].sum())
    out["appeal_rate"] = out["tribunal_appeals"] / out["appealable_decisions"]
    out["dsg_at_end"] = float(rec.stocks["dsg_cumulative_balance_gbp"][-1].sum())
    return out


CASES = [
    # (parameter, new value, metric, expected direction: +1 up, -1 down)
    ("population.births_growth_per_year", 0.03, "births", +1),
    ("behaviour.demography.out_migration_child_per_year", 0.08, "movers_out", +1),
    ("behaviour.demography.plan_moves_relative", 0.3, "transfers_out", -1),
    ("behaviour.demography.plan_moves_relative", 0.3, "transfers_in", -1),
    ("behaviour.demography.plan_moves_relative", 0.3, "movers_out", -1),
    ("behaviour.needs.emergence_per_year", 0.03, "identifications", +1),
    ("behaviour.needs.escalation_per_year", 0.25, "requests", +1),
    ("behaviour.needs.escalation_limit", 0.5, "special_place_shortfall", +1),
    ("behaviour.needs.resolution_per_year", 0.4, "sen_support", -1),
    ("behaviour.needs.resolution_after_education_per_year", 0.5, "send_16_25", -1),
    ("behaviour.support.mainstream_capability", 0.6, "unmet_mean", -1),
    ("behaviour.support.mainstream_capability", 0.6, "requests", -1),
    ("behaviour.support.sen_capacity_share", 0.06, "unmet_mean", +1),
    ("behaviour.requests.trust_weight", 1.5, "tribunal_appeals", +1),
    ("behaviour.workforce.ep_assessment_share_step", 0.0, "assessments", -1),
    ("behaviour.workforce.ep_leaving_per_year", 0.15, "educational_psychologists", -1),
    ("behaviour.workforce.newly_qualified_per_year_later", 400.0, "educational_psychologists", +1),
    ("behaviour.workforce.staff_budget_change_max", 0.05, "case_officers", -1),
    ("behaviour.workforce.case_officer_cost_gbp", 60000.0, "assessment_staff_gbp", +1),
    ("behaviour.council.gatekeeping_response", 5.0, "refusals_to_assess", +1),
    ("policy.capital.special_places_growth_per_year", -0.05, "special_place_shortfall", +1),
    ("behaviour.placement.iss_growth_relative", 0.0, "independent_share", -1),
    ("behaviour.placement.move_when_unmet_per_year", 1.5, "moves_to_special", +1),
    ("behaviour.placement.waiting_review_per_year", 6.0, "moves_to_special", +1),
    ("behaviour.placement.waiting_review_per_year", 0.0, "special_school_waiting", +1),
    ("behaviour.placement.ap_per_year", 0.2, "moves_to_ap", +1),
    ("behaviour.placement.neet_unmet_effect", 3.0, "neet_rate", +1),
    ("behaviour.reviews.cease_left_education_per_year", 1.0, "ceased_plans", +1),
    ("behaviour.redress.dispute_plan", 0.3, "tribunal_appeals", +1),
    ("behaviour.redress.mediation_share", 0.9, "mediations", +1),
    ("behaviour.redress.mediation_to_tribunal", 0.6, "tribunal_appeals", +1),
    ("behaviour.support.notional_budget_growth_per_year", 0.0, "unmet_mean", +1),
    ("behaviour.redress.named_independent_share", 1.0, "independent_share", +1),
    ("behaviour.health.improvement", 0.2, "unmet_mean", -1),
    ("behaviour.health.icb_budget_growth_per_year", 0.0, "therapy_waiting", +1),
    ("behaviour.health.icb_gap_absorbed_share", 0.0, "therapy_waiting", +1),
    ("behaviour.health.course_cost_gbp", 3000.0, "therapy_waiting", -1),
    ("behaviour.identification.early_help_improvement", 0.15, "requests", -1),
    ("behaviour.outcomes.unmet_fit", 0.1, "outcome", -1),
    ("finance.iss_fee_growth_per_year", 0.1, "hn_spend_independent_gbp", +1),
    ("finance.cost_inflation_per_year", 0.08, "hn_spend_gbp", +1),
]


@pytest.mark.parametrize(("key", "value", "metric", "direction"), CASES)
def test_mechanism_moves_its_metric(key, value, metric, direction):
    base, changed = outcome()[metric], outcome(key, value)[metric]
    assert np.sign(changed - base) == direction, f"{metric}: {base} -> {changed}"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("finance.iss_fee_growth_per_year", 0.1),
        ("policy.tariffs.health_share_of_complex_placements", 0.3),
    ],
)
def test_money_does_not_move_children(key, value):
    """Finance reads the population and never changes it. Money reaches children by three
    paths, switched off here: councils' gatekeeping against deficits, ICBs taking a short SEND
    budget out of therapy (tests/test_icb.py), and councils' answers to the override's end
    (tests/test_override_cliff.py; today's end is after these runs)."""
    paths = (("behaviour.council.gatekeeping_response", 0.0),)
    paths += (("behaviour.health.icb_gap_absorbed_share", 1.0),)
    base = outcome_pair(*paths)
    changed = outcome_pair(*paths, (key, value))
    for metric in ("ehcp_caseload", "requests", "new_plans", "sen_support", "therapy_waiting"):
        assert changed[metric] == base[metric], metric


def test_a_threshold_fixed_in_cash_is_reached_at_lower_need_as_costs_grow():
    """Support costs and schools' budgets both growing 8% a year (schools' purchasing power
    held): schools put more pupils forward, as more cost more than the £6,000 they meet."""
    no_gatekeeping = ("behaviour.council.gatekeeping_response", 0.0)
    growth = [
        (key, rate)
        for rate in (0.0, 0.08)
        for key in (
            "finance.cost_inflation_per_year",
            "behaviour.support.notional_budget_growth_per_year",
        )
    ]
    flat = outcome_pair(no_gatekeeping, *growth[:2])
    rising = outcome_pair(no_gatekeeping, *growth[2:])
    assert rising["requests"] > flat["requests"]
    assert rising["unmet_mean"] == pytest.approx(flat["unmet_mean"], rel=0.05)


def test_councils_commission_special_places_where_their_schools_are_full():
    """The capital programme's growth in full at 95% of places taken, none at 85%, half
    between; the council's own places under pressure on top; closures wherever."""

    def commission(taken: float, pressure: float, **changes) -> float:
        model = SendModel(make_config(**{**BASE, **changes}))
        council = model.agents_by_type[Council][0]
        council.plan_financial_year(model.hnb_this_year(), np.array([taken]))
        return council.special_places_to_commission(pressure)

    lever = PolicyConfig().capital.special_places_growth_per_year
    own = CouncilParams().cliff_special_places_growth
    assert commission(0.80, 0.0) == 0.0
    assert commission(0.90, 0.0) == pytest.approx(lever / 2)
    assert commission(0.97, 0.0) == pytest.approx(lever)
    assert commission(0.97, 1.0) == pytest.approx(lever + own)
    closing = {"policy.capital.special_places_growth_per_year": -0.05}
    assert commission(0.5, 0.0, **closing) == pytest.approx(-0.05)


def test_councils_name_independent_schools_for_want_of_a_state_place_only_when_full():
    """Half of a council's independent placements are for specialisms it lacks: with room in
    its special schools it names half as many; full, its published share."""
    model = SendModel(make_config(**BASE))
    council, la = model.agents_by_type[Council][0], np.zeros(1, np.int64)
    usual = model.councils.independent_share[0]
    for taken, share in ((0.5, 0.5 * usual), (0.9, 0.75 * usual), (1.0, usual)):
        council.plan_financial_year(model.hnb_this_year(), np.array([taken]))
        assert Council.naming_independent(model, la)[0] == pytest.approx(share)


def test_special_schools_with_room_get_no_new_places():
    """Places commissioned before the run open everywhere; a council whose special schools
    start a fifth empty commissions none, so its places stop growing once those have opened."""

    def places(headroom: float) -> np.ndarray:
        model = SendModel(make_config(**{**BASE, "behaviour.placement.special_headroom": headroom}))
        model.run(progress=False)
        return model.recorder.stocks["special_places"].sum(axis=1)[::12]

    roomy, usual = places(1.2), places(1.02)
    assert roomy[2] > roomy[1] > roomy[0]  # September 2022 and 2023: commissioned before
    assert roomy[3] == pytest.approx(roomy[2])  # September 2024: none commissioned in 2022
    assert usual[3] > usual[2]


def test_councils_refuse_lower_needs_more_often():
    model = SendModel(make_config(**BASE))
    ch = model.children
    idx = np.flatnonzero(ch.sen == 1)[:2]
    ch.severity[idx] = [0.2, 0.9]
    low, high = Council.refusal_probability(model, idx)
    assert low > high
    model.cfg.behaviour.assessment.refusal_severity_slope = 0.0
    low, high = Council.refusal_probability(model, idx)
    assert low == pytest.approx(high)


def test_spill_over_to_independent_schools_when_the_market_can_grow():
    """With the market free to expand and state special places shrinking, sending fewer
    children on waiting lists independent when state special schools are full means fewer
    independent places (whole population over five years, lists reviewed twice a year so that
    the spill-over, a few dozen places, stands out of the noise)."""
    free_market = ("behaviour.placement.iss_growth_relative", 3.0)
    scarce = (
        ("policy.capital.special_places_growth_per_year", -0.05),
        ("behaviour.placement.special_headroom", 1.0),
        ("population.sample_fraction", 1.0),
        ("run.years", 5),
        ("behaviour.placement.waiting_review_per_year", 2.0),
    )
    base = outcome_pair(free_market, *scarce)["independent_places"]
    fewer = outcome_pair(free_market, *scarce, ("behaviour.placement.independent_when_full", 0.0))
    assert fewer["independent_places"] < base


def test_councils_name_independent_schools_in_their_published_mix():
    """A council naming no independent schools for new plans places none there (tribunals
    naming none); its published mix places some, and naming them for all (a market free to
    grow) more."""

    def placed_independent(share: float | None) -> float:
        config = {
            **BASE,
            "behaviour.redress.named_independent_share": 0,
            "behaviour.placement.iss_growth_relative": 5.0,
        }
        model = SendModel(make_config(**config))
        if share is not None:
            model.councils.independent_share[:] = share
        model.run(progress=False)
        return float(model.recorder.flows["new_plans_independent"].sum())

    published = placed_independent(None)
    assert placed_independent(0.0) == 0 < published < placed_independent(1.0)


def plans_in_mainstream(model: SendModel, n: int) -> np.ndarray:
    ch = model.children
    school_age = (ch.age >= SCHOOL_START_AGE) & (ch.age < POST16_START_AGE)
    idx = np.flatnonzero((ch.sen == Sen.EHCP) & school_age & (ch.place == Place.MAINSTREAM))
    assert len(idx) >= n
    return idx[:n]


def test_the_independent_market_opens_places_as_children_come_within_a_years_growth():
    """Unused growth is banked for a year and no longer; children named beyond the spare
    places take it up, and those beyond it are turned away."""
    model = SendModel(make_config(**BASE))
    iss = model.iss
    for _ in range(24):
        IndependentSchool.bank_growth(model)
    market_places = count_by(iss.market, iss.n_markets, iss.places)
    yearly = model.profiles.independent_growth
    np.testing.assert_allclose(iss.allowance, yearly * market_places)
    assert iss.allowance.sum() > 1
    room = iss.spare(iss.occupancy(model)).sum() + iss.allowance.sum()
    named = plans_in_mainstream(model, int(room) + 5)
    refused = iss.admit(model, named)
    assert int(room) <= len(named) - len(refused) <= int(room) + 1
    assert iss.allowance.sum() < 1  # less than a place of the year's growth left
    assert iss.spare(iss.occupancy(model)).sum() > -1  # opened for the children it took


def waiting_model(review_per_year: float, spare: float, state: int):
    """A council with thirty plans waiting in ``state``, special schools with ``spare``
    places, and an independent market with room, after a month's reconsideration."""
    settings = {
        "behaviour.placement.waiting_review_per_year": review_per_year,
        "behaviour.placement.independent_when_full": 1.0,
    }
    model = SendModel(make_config(**{**BASE, **settings}))
    waiting = plans_in_mainstream(model, 30)
    model.children.special_wait[waiting] = state
    model.iss.allowance[:] = 100.0
    model.specials.places[:] = model.specials.occupancy(model) + spare
    placing.admit_waiting(model)
    return model.children, waiting


def test_plans_that_missed_part_of_a_place_ask_again_next_month():
    """Plans turned away with part of a place left are reconsidered the next month, listed
    plans only at the review rate (here none)."""
    ch, waiting = waiting_model(0.0, spare=100.0, state=Waiting.RETRY)
    assert (ch.place[waiting] == Place.STATE_SPECIAL).all()
    assert (ch.special_wait[waiting] == Waiting.NONE).all()
    ch, waiting = waiting_model(0.0, spare=100.0, state=Waiting.LISTED)
    assert (ch.place[waiting] == Place.MAINSTREAM).all()
    assert (ch.special_wait[waiting] == Waiting.LISTED).all()


def test_councils_name_independent_schools_for_listed_plans_when_no_place_is_left():
    ch, waiting = waiting_model(6.0, spare=0.0, state=Waiting.LISTED)
    moved = ch.place[waiting] == Place.INDEPENDENT
    assert 0 < moved.sum() < len(waiting)
    assert (ch.place[waiting[~moved]] == Place.MAINSTREAM).all()
    assert (ch.special_wait[waiting[~moved]] == Waiting.LISTED).all()


def test_a_plan_turned_away_with_part_of_a_place_left_asks_again_and_counts_short_once():
    """Missing part of a place is not a shortfall; being turned away with none left is,
    once, however often the plan asks again."""
    model = SendModel(make_config(**BASE))
    ch, flows = model.children, model.recorder.new_flows()
    model.flows = flows
    idx = plans_in_mainstream(model, 2)
    placing.join_waiting_list(model, idx, np.array([True, False]))
    assert list(ch.special_wait[idx]) == [Waiting.RETRY, Waiting.LISTED]
    assert flows.totals["special_place_shortfall"].sum() == 1
    placing.join_waiting_list(model, idx, np.array([False, True]))
    assert list(ch.special_wait[idx]) == [Waiting.LISTED, Waiting.LISTED_RETRY]
    assert flows.totals["special_place_shortfall"].sum() == 2


def test_the_whole_population_is_never_turned_away_with_part_of_a_place_left():
    model = SendModel(make_config(**{"run.years": 2}))
    for _ in range(model.n_months):
        model.step()
        assert not (model.children.special_wait & Waiting.RETRY).any()
    assert model.recorder.flows["special_place_shortfall"].sum() > 0


def test_waiting_lists_hold_only_plans_that_could_still_take_a_special_place():
    model = SendModel(make_config(**BASE))
    model.run(progress=False)
    ch = model.children
    assert model.recorder.stocks["special_school_waiting"][-1].sum() > 0
    placing.admit_waiting(model)  # drops those who left the list's conditions
    listed = np.flatnonzero((ch.special_wait != Waiting.NONE) & ch.active)
    assert len(listed) > 0
    assert (ch.sen[listed] == Sen.EHCP).all()
    assert not member(ch.place[listed], SPECIAL_SCHOOLS).any()
    assert ((ch.age[listed] >= SCHOOL_START_AGE) & (ch.age[listed] < POST16_START_AGE)).all()


def test_no_need_exceeds_what_a_special_school_meets():
    model = SendModel(make_config(**BASE))
    top = model.cfg.behaviour.support.level_special
    assert model.children.severity.max() <= top  # the starting levels are drawn within it
    model.run(progress=False)
    assert model.children.severity.max() <= top  # and unmet needs escalate no further


def test_unmet_needs_rise_at_most_the_limit_above_their_onset_level():
    """Three years unmet in school lift a need by the limit above the level it emerged at,
    and no further."""
    from sendsim.model.codes import Place
    from sendsim.model.mechanisms import needs

    model = SendModel(make_config(**BASE))
    ch, limit = model.children, model.cfg.behaviour.needs.escalation_limit
    idx = np.flatnonzero((ch.severity > 0.3) & (ch.severity < 0.5) & (ch.sen == 1))[:20]
    ch.place[idx] = Place.MAINSTREAM
    onset = ch.onset_level[idx].copy()
    np.testing.assert_array_equal(onset, ch.severity[idx])  # set when the need was drawn
    for _ in range(36):
        ch.unmet[idx] = True
        needs.evolve(model)
    np.testing.assert_allclose(ch.severity[idx], onset + limit, atol=1e-6)


def test_needs_stop_escalating_once_education_ends():
    """Young people in work or NEET with unmet needs keep their level; those in school climb."""
    from sendsim.model.codes import Place
    from sendsim.model.mechanisms import needs

    model = SendModel(
        make_config(**{**BASE, "behaviour.needs.resolution_after_education_per_year": 0.0})
    )
    ch = model.children
    idx = np.flatnonzero((ch.severity > 0.3) & (ch.severity < 0.5) & (ch.sen == 1))[:20]
    ch.place[idx[:10]] = Place.NEET
    ch.place[idx[10:]] = Place.MAINSTREAM
    ch.unmet[idx] = True
    before = ch.severity[idx].copy()
    needs.evolve(model)
    assert (ch.severity[idx[:10]] == before[:10]).all()
    assert (ch.severity[idx[10:]] > before[10:]).all()
