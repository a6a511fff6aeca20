"""Placement: moves between settings each month, and the places that exist.

Settings are named through :mod:`sendsim.model.operations.placing` whenever a plan is issued,
a child arrives, or a phase ends. A plan needing a special school that finds no place joins
the council's waiting list. Each month, councils reconsider plans on their lists, plans whose
need stays unmet move up the ladder of specialism, children turned away by a school are
offered another place, secondary pupils with unmet SEMH needs move into alternative provision
and back, and young people with SEND move in and out of NEET. Special and independent schools
admit within their places, and the independent market grows towards the demand it could not
meet (:mod:`sendsim.model.institutions.specialist`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sendsim.config.params import param
from sendsim.model.codes import (
    AWAITING_PROVISION,
    PLACE_LABELS,
    PLACE_NAMES,
    POST16_PLACES,
    POST16_START_AGE,
    SCHOOL_START_AGE,
    SECONDARY_START_AGE,
    Need,
    Place,
    Sen,
    Waiting,
    member,
)
from sendsim.model.institutions.specialist import IndependentSchool, create_place_tables
from sendsim.model.levers import TODAY, change
from sendsim.model.mechanism import ChildField, Mechanism
from sendsim.model.operations import placing
from sendsim.model.ops import count_by, per_month
from sendsim.model.recording import Census, count, ratio

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

#: Placements reported as shares of plans (``placement_share_<name>``): post-16 together.
SHARE_OF_PLANS = {
    **{n: PLACE_LABELS[p] for p, n in PLACE_NAMES.items() if p not in POST16_PLACES},
    "post16": "Post-16 education",
}


@dataclass
class PlacementParams:
    """Moves between settings, and the independent market."""

    specialist_post16_level: float = param(
        0.85,
        0.5,
        1.0,
        unit="need level",
        label="Need level at which post-16 provision for a plan is a specialist institution",
        source="Assumption: 8,230 of 78,370 post-16 plans in specialist institutions "
        "([dfe-ehcp] 2022)",
    )
    unmet_months_to_move: int = param(
        6,
        1,
        12,
        unit="months in the last 12",
        label="Months of unmet need after which a plan's placement is reconsidered",
        source="Assumption",
    )
    waiting_review_per_year: float = param(
        0.5,
        0.0,
        12.0,
        unit="per year",
        label="How often a plan on a special school waiting list is reconsidered for a place",
        source="Estimated in sample with move_when_unmet_per_year (sendsim.placement_fit, "
        "docs/backtest.md): SEN2 new plans placed in state special schools, moves from "
        "mainstream to special schools and state special pupils, 2019-2022 [dfe-ehcp]",
    )
    independent_when_full: float = param(
        0.5,
        0.0,
        1.0,
        unit="probability",
        label="Chance a plan reconsidered on a waiting list goes independent when state special "
        "places are full",
        source="Assumption",
    )
    move_when_unmet_per_year: float = param(
        0.45,
        0.0,
        2.0,
        unit="per year",
        label="Yearly chance of a more specialist placement while a plan's need is unmet",
        source="Estimated in sample with waiting_review_per_year (sendsim.placement_fit, "
        "docs/backtest.md) [dfe-ehcp]",
    )
    ap_per_year: float = param(
        0.02,
        0.0,
        0.2,
        unit="per year",
        label="Yearly chance a secondary pupil with unmet SEMH need moves to AP",
        source="Assumption",
    )
    iss_growth_relative: float = param(
        1.0,
        0.0,
        5.0,
        unit="multiple of recent growth",
        label="Most places the independent special school market adds in a year, relative to "
        "England's growth of plans in those schools over the three years to the start",
        source="[dfe-ehcp]: plans in independent and non-maintained special schools grew 8.5% a "
        "year to January 2019 and 11.7% a year to January 2022 (sendsim/data/raw/dfe-ehcp/"
        "sen2_estab_independent_special_2010_2022.csv)",
    )
    iss_growth_price_response: float = param(
        0.5,
        0.0,
        2.0,
        unit="per year per unit of log price",
        label="How the independent market's yearly growth of places answers the price it is "
        "paid relative to the fees it would set (a cap or tariff 10% below them: 5 points less)",
        source="Assumption: a price cut the size of the largest providers' operating margins "
        "(19-23% [cma-csc-2022]) stops the market's recent growth of about 12% a year",
    )
    awaiting_resolution_per_year: float = param(
        4.0,
        0.5,
        12.0,
        unit="per year",
        label="How fast a child with a plan turned away by a school is found a place",
        source="Assumption: about three months awaiting provision "
        "([dfe-ehcp] 'awaiting provision')",
    )
    ap_return_per_year: float = param(
        0.4,
        0.0,
        2.0,
        unit="per year",
        label="Yearly chance a pupil without a plan in AP returns to school",
        source="Assumption",
    )
    ap_plan_return_per_year: float = param(
        0.15,
        0.0,
        2.0,
        unit="per year",
        label="Yearly chance a pupil with a plan named in AP moves to another setting",
        source="Assumption: AP named in plans is mostly long-term "
        "([dfe-ehcp]: 0.8% of plans in AP)",
    )
    independent_in_area_share: float = param(
        0.4,
        0.0,
        1.0,
        unit="share",
        label="Share of independent special school places inside the home council",
        source="Assumption: most independent special school placements are out of area",
    )
    post16_education_share: float = param(
        0.85,
        0.5,
        0.98,
        unit="share",
        label="Share of young people without a plan who stay in education after Year 11",
        source="Assumption: DfE participation of 16-17 year olds in full-time education",
    )
    post16_stay_special: float = param(
        0.75,
        0.0,
        1.0,
        unit="share",
        label="Share of plans in special schools staying in the school's sixth form at 16",
        source="Assumption",
    )
    post16_stay_mainstream: float = param(
        0.3,
        0.0,
        1.0,
        unit="share",
        label="Share of plans in mainstream staying in a school sixth form at 16",
        source="Assumption",
    )
    post19_finish_per_year: float = param(
        0.35,
        0.0,
        1.0,
        unit="share per year",
        label="Share of young people over 19 with plans in FE who finish their course each year",
        source="Assumption: plans at 20-25 are a quarter of those at 16-19 ([dfe-ehcp] age bands)",
    )
    neet_exit_per_year: float = param(
        0.4,
        0.05,
        1.0,
        unit="per year",
        label="Yearly chance a NEET young person moves into education, work or training",
        source="Assumption; the chance of becoming NEET is set against it to hold each status's "
        "published share not in sustained education, employment or training [dfe-lait]",
    )
    own_destination_weight: float = param(
        0.5,
        0.0,
        1.0,
        unit="weight",
        label="Weight of a council's own published destinations of SEN support and plans",
        source="Chosen by out-of-sample fit: forecasts of each council's published share of "
        "SEN support and plans in sustained destinations after Key Stage 4 [dfe-lait], 2019 "
        "from 2018, are best at weights 0.4-0.5 (docs/outcomes.md); the rest is its share "
        "for pupils without SEN times England's extra risk of the status",
    )
    neet_attainment_effect: float = param(
        0.3,
        0.0,
        1.0,
        unit="log hazard per 10 points",
        label="Fall in the chance of becoming NEET, and rise in the chance of leaving it, per "
        "10 Attainment 8 points above England's mean for the young person's SEN status",
        source="Assumption: low attainment at 16 is the strongest predictor of NEET; SEN "
        "status's own effect is England's destinations after Key Stage 4 [dfe-lait]",
    )
    neet_unmet_effect: float = param(
        1.0,
        0.0,
        3.0,
        unit="relative rise",
        label="Rise in the chance of dropping out of FE into NEET while need is unmet",
        source="Assumption",
    )
    unmet_months_at_transfer: int = param(
        3,
        1,
        12,
        unit="months in the last 12",
        label="Months of unmet need that prompt a new placement at the move to Year 7",
        source="Assumption",
    )
    special_school_pupils: float = param(
        120.0,
        40.0,
        300.0,
        unit="pupils",
        label="Average pupils per state special school",
        source="Assumption: near the average size of a state special school in England",
    )
    independent_school_pupils: float = param(
        45.0,
        10.0,
        150.0,
        unit="pupils",
        label="Average pupils with plans per independent special school",
        source="Assumption",
    )
    special_headroom: float = param(
        1.02,
        1.0,
        1.2,
        unit="places per pupil",
        label="State special school places relative to their January pupils",
        source="[ccn-isos-2025]: 83% of state special schools are full or over capacity",
    )
    independent_headroom: float = param(
        1.05,
        1.0,
        1.3,
        unit="places per pupil",
        label="Independent special school places relative to their January pupils",
        source="Assumption",
    )
    resourced_headroom: float = param(
        1.03,
        1.0,
        1.3,
        unit="places per pupil",
        label="Resourced provision places relative to their January pupils",
        source="Assumption",
    )


FIELDS = {
    "place": ChildField(np.int8, Place.EARLY_YEARS, "setting (Place)"),
    "school": ChildField(np.int32, -1, "institution index within the table of place; -1 none"),
    "special_wait": ChildField(np.int8, Waiting.NONE, "special school waiting list (Waiting)"),
}

METRICS = (
    *(
        count(f"ehcp_{n}", f"Plans with placement: {PLACE_LABELS[p].lower()}", "stock")
        for p, n in PLACE_NAMES.items()
    ),
    count("ehcp_post16", "Plans with placement in post-16 education", "stock"),
    count("awaiting_provision", "Plans awaiting a school place after a school declined", "stock"),
    count("out_of_area", "Plans placed in a school outside the home council", "stock"),
    count("special_places", "State special school places", "stock", "places"),
    count("resourced_places", "Resourced provision and SEN unit places", "stock", "places"),
    count(
        "independent_places",
        "Independent special school places used by the area",
        "stock",
        "places",
    ),
    count("moves_to_special", "Plans moved from mainstream to special provision", "flow"),
    count("moves_to_ap", "Pupils moved from mainstream school to alternative provision", "flow"),
    count(
        "special_place_shortfall",
        "Plans needing a special school that found no place (joining the waiting list)",
        "flow",
    ),
    count("special_school_waiting", "Plans waiting for a special school place", "stock"),
    *(
        ratio(
            f"placement_share_{n}",
            "share",
            f"Share of plans: {label.lower()}",
            f"ehcp_{n}",
            "ehcp_caseload",
        )
        for n, label in SHARE_OF_PLANS.items()
    ),
    ratio(
        "out_of_area_share",
        "share",
        "Share of plans placed outside the home council",
        "out_of_area",
        "ehcp_caseload",
    ),
)


def build(model: SendModel) -> None:
    """Special and independent school places, and resourced provision places, sized to the
    published plans."""
    c, prof = model.councils, model.profiles
    england = model.cfg.area.code.lower() == "england"
    model.specials, model.iss = create_place_tables(model, prof, england)
    c.resourced_places[:] = (
        prof.plans[:, :, Place.RESOURCED].sum(axis=1)
        * model.sample_fraction
        * model.cfg.behaviour.placement.resourced_headroom
    )


def step(model: SendModel) -> None:
    """Monthly moves: admissions from special school waiting lists, to more specialist
    settings, into and out of AP, in and out of NEET; then the independent market banks
    another month's growth."""
    placing.admit_waiting(model)
    resolve_awaiting(model)
    escalate_unmet(model)
    alternative_provision(model)
    neet_transitions(model)
    IndependentSchool.bank_growth(model)


def resolve_awaiting(model: SendModel) -> None:
    """Children turned away by a school are offered another placement."""
    ch, p = model.children, model.cfg.behaviour.placement
    waiting = model.needy[ch.school[model.needy] == AWAITING_PROVISION]
    u = model.streams.uniform("awaiting", ch.uid[waiting], model.months_elapsed)
    retry = waiting[u < per_month(p.awaiting_resolution_per_year)]
    ch.school[retry] = -1
    placing.place(model, retry)


def escalate_unmet(model: SendModel) -> None:
    """Plans whose need stays unmet move up the ladder of specialism."""
    ch, p = model.children, model.cfg.behaviour.placement
    n = model.needy
    idx = n[
        (ch.sen[n] == Sen.EHCP)
        & member(ch.place[n], (Place.MAINSTREAM, Place.RESOURCED, Place.STATE_SPECIAL))
        & (ch.age[n] >= SCHOOL_START_AGE)
        & (ch.age[n] < POST16_START_AGE)
    ]
    struggling = idx[np.bitwise_count(ch.unmet_history[idx]) >= p.unmet_months_to_move]
    u = model.streams.uniform("escalate", ch.uid[struggling], model.months_elapsed)
    placing.place(model, struggling[u < per_month(p.move_when_unmet_per_year)], escalate=True)


def alternative_provision(model: SendModel) -> None:
    """Secondary pupils with unmet SEMH need move to AP; AP pupils return."""
    ch, p = model.children, model.cfg.behaviour.placement
    n = model.needy
    at_risk = n[
        (ch.place[n] == Place.MAINSTREAM)
        & ch.unmet[n]
        & (ch.need[n] == Need.SEMH)
        & (ch.age[n] >= SECONDARY_START_AGE)
        & (ch.age[n] < POST16_START_AGE)
    ]
    u = model.streams.uniform("to_ap", ch.uid[at_risk], model.months_elapsed)
    moving = at_risk[u < per_month(p.ap_per_year * ap_entry_factor(model))]
    model.flows.add("moves_to_ap", ch.la[moving])
    ch.place[moving] = Place.AP
    ch.school[moving] = -1
    in_ap = n[ch.place[n] == Place.AP]
    u = model.streams.uniform("from_ap", ch.uid[in_ap], model.months_elapsed)
    oversight = model.policy.alternative_provision.oversight
    returning = np.where(ch.sen[in_ap] == Sen.EHCP, p.ap_plan_return_per_year, p.ap_return_per_year)
    returning *= 1 + model.cfg.behaviour.effects.ap_oversight_return * oversight
    back = in_ap[u < per_month(returning)]
    placing.place(model, back[ch.sen[back] == Sen.EHCP])
    non_plan = back[ch.sen[back] != Sen.EHCP]
    school_age = ch.age[non_plan] < POST16_START_AGE
    placing.to_mainstream(model, non_plan[school_age])
    placing.leave_school(model, non_plan[~school_age], "ap_leaver")


def ap_entry_factor(model: SendModel) -> float:
    """How moves into AP scale with inclusion in inspection, councils' power to direct
    academies (fewer pupils off-rolled) and council oversight of AP."""
    fx, pol = model.cfg.behaviour.effects, model.policy
    inspection = change(pol, "powers.inclusion_in_inspection") / (
        1 - TODAY.powers.inclusion_in_inspection
    )
    factor = 1 - fx.inspection_ap_reduction * inspection
    factor *= 1 - fx.direction_ap_reduction * pol.powers.direct_academies_to_admit
    factor *= 1 - fx.ap_oversight_reduction * pol.alternative_provision.oversight
    return max(factor, 0.0)


def neet_transitions(model: SendModel) -> None:
    """Young people with SEND drop out of FE or work into NEET, and leave NEET for work or
    training. Their council and SEN status at the end of Key Stage 4 set the chance of becoming
    NEET (:func:`placing.neet_entry_per_year`); better Key Stage 4 results lower it and raise
    the chance of leaving, and need unmet in FE raises dropping out, which ends SEN support as
    leaving school does (a plan, or a request for one, stays). (Young people who never had
    SEND keep the destination they left school for: their NEET status is outside the model's
    outputs.)"""
    ch, p = model.children, model.cfg.behaviour.placement
    n = model.needy
    young = n[(ch.age[n] >= POST16_START_AGE) & ch.had_sen[n]]
    place_now = ch.place[young]
    results = placing.attainment_factor(model, young)
    unmet_in_fe = ch.unmet[young] & (place_now == Place.FE)
    entry = placing.neet_entry_per_year(model, young) * (1 + p.neet_unmet_effect * unmet_in_fe)
    u = model.streams.uniform("neet", ch.uid[young], model.months_elapsed)
    at_risk = member(place_now, (Place.FE, Place.EMPLOYMENT))
    dropping = young[at_risk & (u < per_month(entry / results))]
    ch.place[dropping] = Place.NEET
    ch.sen[dropping[ch.sen[dropping] == Sen.SUPPORT]] = Sen.NONE  # ends with education
    leaving = (place_now == Place.NEET) & (u < per_month(p.neet_exit_per_year * results))
    ch.place[young[leaving]] = Place.EMPLOYMENT


def count_stocks(model: SendModel, census: Census) -> dict[str, np.ndarray]:
    """Plans by placement, places, and plans placed away from home."""
    n, c = census.n, model.councils
    by_place = census.plans.sum(axis=(2, 3, 4))
    plan_school = model.children.school[census.idx[census.plan]]
    return {
        **{f"ehcp_{name}": by_place[:, p] for p, name in PLACE_NAMES.items()},
        "ehcp_post16": by_place[:, list(POST16_PLACES)].sum(axis=1),
        "awaiting_provision": count_by(
            census.la[census.plan][plan_school == AWAITING_PROVISION], n
        ),
        "out_of_area": count_by(model.children.la[model.placed_away()], n),
        "special_school_waiting": count_by(
            census.la[census.plan][
                model.children.special_wait[census.idx[census.plan]] != Waiting.NONE
            ],
            n,
        ),
        "special_places": model.specials.places_by_council(n),
        "resourced_places": c.resourced_places.astype(np.float64),
        "independent_places": model.iss.places_by_council(n),
    }


MECHANISM = Mechanism(
    name="placement",
    step=step,
    params=PlacementParams,
    fields=FIELDS,
    metrics=METRICS,
    build=build,
    count=count_stocks,
)
