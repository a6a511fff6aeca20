"""Invariants that hold every month, for any seed, area and sample (property-based)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sendsim.model.codes import (
    CAPPED_PLACES,
    FUNDED_PLACES,
    MAX_AGE,
    N_PLACE,
    N_SEN,
    PLACE_NAMES,
    POST16_START_AGE,
    SCHOOL_START_AGE,
    Place,
    Sen,
)
from sendsim.model.institutions.specialist import PlaceTable
from sendsim.model.model import COUNTERS, SendModel
from sendsim.model.operations import placing
from sendsim.model.recording import stock_quantities
from tests.conftest import make_config, run_model

SMALL_AREAS = (
    "E06000017",
    "E09000001",
    "E06000053",
    "E06000005",
)  # Rutland, City, Scilly, Darlington


def check_states(model: SendModel) -> None:
    """Each active child has one valid SEN state and placement, consistent with each other."""
    ch = model.children
    act = ch.active
    sen, place, age = ch.sen[act], ch.place[act], ch.age[act]
    assert ((sen >= 0) & (sen < N_SEN)).all()
    assert ((place >= 0) & (place < N_PLACE)).all()
    assert ((age >= 0) & (age <= MAX_AGE)).all()
    specialist = np.isin(place, (Place.RESOURCED, Place.STATE_SPECIAL, Place.INDEPENDENT))
    assert (sen[specialist] == Sen.EHCP).all(), "specialist places need a plan"
    assert (age[place == Place.EARLY_YEARS] < SCHOOL_START_AGE).all()
    assert (age[np.isin(place, (Place.FE, Place.NEET, Place.EMPLOYMENT))] >= POST16_START_AGE).all()
    in_school = np.isin(place, (Place.MAINSTREAM, Place.RESOURCED, Place.STATE_SPECIAL, Place.AP))
    assert (age[in_school] <= 18).all(), "school places end at 19"
    assert (age[in_school & (sen != Sen.EHCP)] < POST16_START_AGE).all(), "sixth forms: plans only"
    schooled = np.isin(place, (Place.MAINSTREAM, Place.RESOURCED))
    assert (ch.school[act][schooled] >= 0).all(), "mainstream pupils have a school"
    assert (ch.la[act] >= 0).all()
    assert len(np.unique(ch.uid)) == ch.n, "uids are unique"


def holdings(model: SendModel) -> list[tuple[np.ndarray, np.ndarray]]:
    """Pupils and places of each market of special and independent schools, and of each
    council's resourced provision."""
    ch, c = model.children, model.councils
    out = []
    for table in (model.specials, model.iss):
        markets = table.n_markets
        held = np.bincount(table.market, table.occupancy(model), minlength=markets)
        out.append((held, np.bincount(table.market, table.places, minlength=markets)))
    resourced = np.bincount(ch.la[ch.place == Place.RESOURCED], minlength=c.n)
    out.append((resourced.astype(np.float64), c.resourced_places.copy()))
    return out


def check_capacity(model: SendModel, before: list, named: np.ndarray | None = None) -> None:
    """Children are admitted only into whole free places (a market's fraction of a place is
    used at random), except those a tribunal places in an independent school: a market
    holds no more than its places and one, or than it held before if it was over them
    (places sized to the published plans, the sample may have drawn more pupils), plus the
    children tribunals ``named`` (per council) since."""
    markets = model.iss.n_markets
    named = np.zeros(model.councils.n) if named is None else named
    forced = (0, np.bincount(model.councils.market, named, minlength=markets), 0)
    for (held_0, places_0), (held, places), extra in zip(
        before, holdings(model), forced, strict=True
    ):
        limit = np.maximum(held_0, np.maximum(places_0, places) + 1) + extra
        assert (held <= limit + 1e-9).all()


def check_occupants(model: SendModel) -> None:
    """The children found to hold capped places are those a pass over everyone finds."""
    ch, needy = model.children, model.needy
    for place in CAPPED_PLACES:
        found = model.occupants(place)
        assert len(np.unique(found)) == len(found), "each occupant once"
        np.testing.assert_array_equal(np.sort(found), needy[ch.place[needy] == place])


def step_and_check(model: SendModel) -> None:
    rec = model.recorder
    for month in range(model.n_months):
        before = holdings(model)
        model.step()
        check_states(model)
        check_capacity(model, before, rec.flows["tribunal_named_independent"][month])
        check_occupants(model)
        flows = {k: v[month] for k, v in rec.flows.items()}
        before = rec.stocks["population_0_25"][month]
        after = np.bincount(model.children.la[model.children.active], minlength=model.councils.n)
        inflow = flows["births"] + flows["movers_in"]
        outflow = flows["movers_out"] + flows["aged_out"]
        np.testing.assert_array_equal(after, before + inflow - outflow)
        ch = model.children
        act = np.flatnonzero(ch.active)
        cells = ch.la[act].astype(np.int64) * (MAX_AGE + 1) + ch.age[act]
        counted = np.bincount(cells, minlength=model.residents.size).reshape(model.residents.shape)
        np.testing.assert_array_equal(model.residents, counted)
        assert set(np.flatnonzero(ch.severity > 0)) == set(model.needy)


@settings(
    max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    seed=st.integers(0, 2**31 - 1),
    area=st.sampled_from(SMALL_AREAS),
    fraction=st.sampled_from((1.0, 0.5, 0.1)),
)
def test_states_capacity_and_children_conserved(seed, area, fraction):
    model = SendModel(
        make_config(**{"run.seed": seed, "area.code": area, "population.sample_fraction": fraction})
    )
    step_and_check(model)


def test_money_is_conserved(small_run):
    rec, c = small_run.recorder, small_run.councils
    spend_parts = sum(rec.flows[f"hn_spend_{PLACE_NAMES[p]}_gbp"] for p in FUNDED_PLACES)
    spend_parts = spend_parts + rec.flows["hn_spend_central_gbp"]
    np.testing.assert_allclose(rec.flows["hn_spend_gbp"], spend_parts, rtol=1e-12)
    income = rec.flows["hn_income_gbp"] + rec.flows["school_surplus_used_gbp"]
    in_year = income - rec.flows["hn_spend_gbp"]
    np.testing.assert_allclose(rec.flows["dsg_in_year_balance_gbp"], in_year, rtol=1e-12)
    opening = rec.stocks["dsg_cumulative_balance_gbp"][0]
    changes = rec.flows["dsg_in_year_balance_gbp"] + rec.flows["deficit_written_off_gbp"]
    cumulative = opening + np.cumsum(changes, axis=0)
    np.testing.assert_allclose(rec.stocks["dsg_cumulative_balance_gbp"][1:], cumulative, rtol=1e-9)
    np.testing.assert_allclose(c.dsg_balance_gbp, cumulative[-1], rtol=1e-9)


def test_england_run_keeps_states_valid(england_run):
    check_states(england_run)


def test_overflow_is_recorded_when_special_places_run_out():
    model = SendModel(
        make_config(**{"run.years": 2, "policy.capital.special_places_growth_per_year": -0.05})
    )
    model.run(progress=False)
    assert model.recorder.flows["special_place_shortfall"].sum() > 0


def test_free_places_add_up_over_a_market_as_at_full_scale():
    """At a sample, schools hold fractions of places; a market's fractions add up, and the
    last fraction is used as often as it is large, rather than each school's being lost."""
    model = SendModel(make_config())
    table = PlaceTable(
        Place.STATE_SPECIAL,
        np.zeros(4, int),
        np.zeros(4, int),
        np.array([0, 0, 0, 1]),
        np.array([1.4, 1.4, 1.4, 1.4]),
    )
    draws = []
    for month in range(400):
        model.months_elapsed = month
        draws.append(table.free_by_market(model, np.ones(4)))
    assert set(np.unique(draws)) <= {0.0, 1.0, 2.0}  # whole places
    assert np.mean(draws, axis=0) == pytest.approx([1.2, 0.4], abs=0.07)


def test_occupants_are_found_after_admissions_within_a_month():
    """Admissions between two needs steps (some children twice) are counted once each."""
    model = run_model(**{"area.code": "E10000016", "population.sample_fraction": 0.1})
    ch, needy = model.children, model.needy
    school_age = (ch.age[needy] >= 4) & (ch.age[needy] < 16)
    plans = needy[(ch.sen[needy] == Sen.EHCP) & school_age & (ch.place[needy] == Place.MAINSTREAM)]
    model.councils.resourced_places += 100  # room to climb the ladder: resourced, special, ISS
    for table in (model.specials, model.iss):
        table.places += 5
    before = holdings(model)
    for _ in range(3):
        placing.place(model, plans[:100], escalate=True)
        check_occupants(model)
    admitted = model.admitted_to_capped
    assert len(np.unique(admitted)) < len(admitted), "some children were admitted twice"
    check_capacity(model, before)


def test_stocks_agree_with_a_full_recount(england_run):
    """Stocks are tallied from children with a need; a recount of everyone agrees."""
    model = england_run
    stocks = stock_quantities(model, COUNTERS)
    ch = model.children
    act = np.flatnonzero(ch.active)
    la, sen, place, age = ch.la[act], ch.sen[act], ch.place[act], ch.age[act]
    need = ch.severity[act] > 0

    def recount(mask):
        return np.bincount(la[mask], minlength=model.councils.n)

    expected = {
        "population_0_25": recount(np.ones(len(act), bool)),
        "ehcp_caseload": recount(sen == Sen.EHCP),
        "sen_support": recount((sen >= Sen.SUPPORT) & (sen < Sen.EHCP)),
        "ehcp_state_special": recount((sen == Sen.EHCP) & (place == Place.STATE_SPECIAL)),
        "therapy_waiting": recount(ch.therapy_wait[act] >= 0),
        "sen_support_pupils": recount(
            (sen >= Sen.SUPPORT) & (sen < Sen.EHCP) & (age >= 4) & (age < 16)
        ),
        "ehcp_pupils": recount((sen == Sen.EHCP) & (age >= 4) & (age < 16)),
        "send_16_25": recount(ch.had_sen[act] & (age >= 16) & need),
        "neet_send_16_25": recount(ch.had_sen[act] & (age >= 16) & need & (place == Place.NEET)),
        "awaiting_provision": recount(ch.school[act] == -2),
        "out_of_area": recount((sen == Sen.EHCP) & _in_a_school_elsewhere(model, act)),
    }
    for name, values in expected.items():
        np.testing.assert_array_equal(stocks[name], values, err_msg=name)


def _in_a_school_elsewhere(model: SendModel, idx: np.ndarray) -> np.ndarray:
    ch, away = model.children, np.zeros(len(idx), bool)
    for table in (model.specials, model.iss):
        there = ch.place[idx] == table.place
        away[there] = table.host[ch.school[idx[there]]] != ch.la[idx[there]]
    return away
