"""Build a model's world: councils, ICBs, schools and the January child population.

The starting state reproduces each council's published January 2022 position: its children
by single year of age (ONS), its plans by age band and placement (SEN2), SEN support (school
census), requests and assessments in progress (2022 flows), and its high needs budget.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import logit, ndtri

from sendsim import calibration
from sendsim.model.codes import (
    MAX_AGE,
    N_PLACE,
    POST16_START_AGE,
    SCHOOL_START_AGE,
    Place,
    Sen,
    member,
)
from sendsim.model.institutions import (
    Council,
    CouncilTable,
    Icb,
    IcbTable,
    IndependentSchool,
    MainstreamSchool,
    PlaceTable,
    SchoolTable,
    SpecialSchool,
)
from sendsim.model.metrics import Flows
from sendsim.model.ops import WEEKS_PER_MONTH, count_by, per_month, rank_within, stochastic_round
from sendsim.model.phases import assessment, health, needs, placement, requests, support
from sendsim.model.profile import HIDDEN_NEED_BY_AGE, SUPPORT_BY_AGE, Profiles, load_profiles

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

N_AGES = MAX_AGE + 1
ADULT_MIGRATION_AGE = 18
PRIMARY_SIZE, SECONDARY_SIZE = 280, 950  # average pupils per school (DfE schools, pupils 2022)
SPECIAL_SIZE, INDEPENDENT_SIZE = 120, 45  # average pupils per special / independent school
SPECIAL_HEADROOM = 1.02  # 83% of state special schools are full or over capacity (NF Placement)
INDEPENDENT_HEADROOM = 1.05  # assumption
RESOURCED_HEADROOM = 1.03  # assumption
#: Median need level of children with plans by placement at January 2022 (assumption).
PLAN_LEVEL = np.array([0.6, 0.5, 0.68, 0.8, 0.82, 0.6, 0.55, 0.85, 0.45, 0.5, 0.6])
SUPPORT_LEVEL, HIDDEN_LEVEL, OPEN_CASE_LEVEL = 0.3, 0.25, 0.55  # medians (assumption)
NEW_PLAN_LEVEL = 0.55  # median need level of children receiving plans (assumption)
MIN_INITIAL_SPEED = 0.3  # councils slowest in 2022 worked at this share of full speed
SPARE_CAPACITY = 1.15  # room for a year of births and moves in before the September compaction
MIN_CENTRAL_SHARE = 0.05  # high needs spend not tied to plans, at least (assumption)


def build(model: SendModel) -> None:
    """Create every institution and child of the model's area."""
    cfg = model.cfg
    prof = load_profiles(cfg.area.code, model.start_year)
    model.profiles = prof
    england = cfg.area.code.lower() == "england"
    model.councils = _councils(model, prof, england)
    model.national_refusal_logit = float(logit(prof.national_refusal_share))
    model.flows = Flows(prof.n)  # events while building are not recorded
    model.icbs = _icbs(model, prof)
    model.schools = _mainstream_schools(model, prof)
    model.residents = np.zeros((prof.n, N_AGES), np.int64)  # children by council and age
    _populate(model, prof)
    model.set_needy(np.flatnonzero(model.children.severity > 0))
    model.schools.count_pupils(model)
    model.specials, model.iss = _special_schools(model, prof, england)
    _start_cases(model, prof)
    _calibrate_flows(model, prof)
    if cfg.run.calibrated:
        calibration.apply_stored(model)
    model.set_needy(np.flatnonzero(model.children.severity > 0))
    model.schools.count_pupils(model)


# -- councils -------------------------------------------------------------------------------
def _councils(model: SendModel, prof: Profiles, england: bool) -> CouncilTable:
    cfg = model.cfg
    d = cfg.behaviour.demography
    out_rate = np.where(
        np.arange(N_AGES) < ADULT_MIGRATION_AGE,
        d.out_migration_child_per_year,
        d.out_migration_adult_per_year,
    )
    net = _net_migration(prof)
    regions = sorted(set(prof.regions))
    thresholds = _placement_thresholds(prof, cfg.behaviour.needs.level_spread)
    table = CouncilTable(
        n=prof.n,
        key=prof.keys,
        code=prof.codes,
        name=prof.names,
        icb=np.unique(prof.icb_names, return_inverse=True)[1].astype(np.int64),
        market=np.array([regions.index(r) for r in prof.regions]) if england else np.arange(prof.n),
        births_per_year=prof.population[:, 0].copy(),
        in_rate_by_age=np.maximum(out_rate[None, :] + net, 0.0),
        out_rate_by_age=out_rate,
        request_scale=np.zeros(prof.n),
        refusal_logit=logit(np.clip(prof.refusal_share, 0.01, 0.9)),
        issue_logit=logit(np.clip(prof.issue_share, 0.5, 0.995)),
        assessment_capacity=prof.assessments_per_year
        / 12.0
        * model.sample_fraction
        * cfg.behaviour.assessment.capacity_headroom,
        resourced_places=np.zeros(prof.n),
        resourced_threshold=thresholds[0],
        special_threshold=thresholds[1],
        unit_cost_gbp=_unit_costs(model, prof),
        central_spend_gbp_per_year=np.zeros(prof.n),
        hnb_gbp_by_year=dict(prof.hnb_gbp),
        dsg_balance_gbp=prof.dsg_balance_start_gbp.copy(),
    )
    Council.create_agents(model, prof.n, index=list(range(prof.n)))
    return table


def _net_migration(prof: Profiles) -> np.ndarray:
    """Yearly net migration by age from the ONS cohort change mid-2019 to mid-2020."""
    before, after = prof.population_2019[:, :-1], prof.population_2020[:, 1:]
    rate = np.divide(after, before, out=np.ones_like(after), where=before > 0) - 1.0
    return np.clip(np.concatenate([rate, rate[:, -1:]], axis=1), -0.3, 0.3)


def _placement_thresholds(prof: Profiles, spread: float) -> tuple[np.ndarray, np.ndarray]:
    """Need levels above which new plans go to resourced provision / special schools.

    Chosen so that, for need levels spread like those of children receiving plans, the shares
    of school-age new plans match each council's 2022 shares (newplans.csv).
    """
    special = np.clip(prof.new_plan_special_share, 0.02, 0.9)
    resourced = np.clip(prof.new_plan_special_share + prof.new_plan_resourced_share, 0.03, 0.95)
    base = logit(NEW_PLAN_LEVEL)

    def quantile(top_share: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(base + spread * ndtri(1.0 - top_share))))

    return quantile(resourced), quantile(special)


def _unit_costs(model: SendModel, prof: Profiles) -> np.ndarray:
    """Yearly cost of a plan by council and placement; England's averages kept for banding."""
    f = model.cfg.finance
    cost = prof.unit_cost_gbp.copy()
    national = prof.national_unit_cost_gbp.copy()
    for table in (cost.T, national):
        table[Place.SPECIALIST_POST16] = f.specialist_post16_fee_gbp
        table[Place.AP] = f.ap_place_gbp
        table[Place.OTHER] = f.other_placement_gbp
    model.national_unit_cost_gbp = national
    return cost


def _icbs(model: SendModel, prof: Profiles) -> IcbTable:
    names = list(np.unique(prof.icb_names))
    Icb.create_agents(model, len(names), index=list(range(len(names))))
    return IcbTable(n=len(names), name=names)


# -- schools ---------------------------------------------------------------------------------
def _mainstream_schools(model: SendModel, prof: Profiles) -> SchoolTable:
    """Synthesise each council's primary and secondary schools from its pupil numbers."""
    n_primary = np.maximum(np.round(prof.primary_pupils / PRIMARY_SIZE), 1).astype(np.int64)
    n_secondary = np.maximum(np.round(prof.secondary_pupils / SECONDARY_SIZE), 1).astype(np.int64)
    la = np.concatenate(
        [np.repeat(np.arange(prof.n), n_primary), np.repeat(np.arange(prof.n), n_secondary)]
    )
    phase = np.concatenate(
        [np.zeros(n_primary.sum(), np.int8), np.ones(n_secondary.sum(), np.int8)]
    )
    size = np.concatenate(
        [
            np.repeat(
                np.maximum(prof.primary_capacity, prof.primary_pupils) / n_primary, n_primary
            ),
            np.repeat(
                np.maximum(prof.secondary_capacity, prof.secondary_pupils) / n_secondary,
                n_secondary,
            ),
        ]
    )
    number = np.arange(len(la)) - np.searchsorted(la, la, "left") if len(la) else la
    key = prof.keys[la] * 100_000 + number
    u = model.streams.uniform("school.capability", key)
    support = model.cfg.behaviour.support
    capability = np.clip(
        support.mainstream_capability + support.capability_sd * ndtri(u), 0.05, 0.95
    )
    mhst_draw = model.streams.uniform("school.mhst", key)
    order = np.lexsort((phase, la))  # schools grouped by council, primaries first
    MainstreamSchool.create_agents(model, len(la), index=list(range(len(la))))
    return SchoolTable(
        la=la[order],
        phase=phase[order],
        size=size[order],
        capability=capability[order],
        mhst_draw=mhst_draw[order],
    )


def _special_schools(
    model: SendModel, prof: Profiles, england: bool
) -> tuple[PlaceTable, PlaceTable]:
    """State special schools per council; independent schools in councils' markets."""
    ch = model.children
    tables = []
    for place, size, headroom, kind in (
        (Place.STATE_SPECIAL, SPECIAL_SIZE, SPECIAL_HEADROOM, SpecialSchool),
        (Place.INDEPENDENT, INDEPENDENT_SIZE, INDEPENDENT_HEADROOM, IndependentSchool),
    ):
        plans = prof.plans[:, :, place].sum(axis=1)
        n_schools = np.maximum(np.round(plans / size), 1).astype(np.int64)
        owner = np.repeat(np.arange(prof.n), n_schools)
        host = _hosts(model, prof, owner, place, england)
        market = model.councils.market[owner] if place == Place.INDEPENDENT else owner
        table = PlaceTable(place, owner, host, market, np.zeros(len(owner)))
        pupils = np.flatnonzero(ch.place == place)
        table_free = np.repeat(np.ceil(count_by(ch.la[pupils], prof.n) / n_schools) + 1, n_schools)
        ch.school[pupils] = placement.fill_slots(
            owner, table_free, ch.la[pupils].astype(np.int64), ch.severity[pupils]
        )
        occupancy = table.occupancy(model)
        target = np.repeat(plans * model.sample_fraction * headroom / n_schools, n_schools)
        table.places[:] = np.maximum(target, occupancy)
        kind.create_agents(model, len(owner), index=list(range(len(owner))))
        tables.append(table)
    return tables[0], tables[1]


def _hosts(
    model: SendModel, prof: Profiles, owner: np.ndarray, place: Place, england: bool
) -> np.ndarray:
    """The council each school is in: state special in its own council; independent schools
    in the owner's council with probability ``independent_in_area_share``, else elsewhere in
    the region (england) or outside the simulated area (-1)."""
    if place == Place.STATE_SPECIAL:
        return owner.copy()
    key = prof.keys[owner] * 1000 + (np.arange(len(owner)) - np.searchsorted(owner, owner, "left"))
    u = model.streams.uniform("independent.host", key)
    in_area = u < model.cfg.behaviour.placement.independent_in_area_share
    if not england:
        return np.where(in_area, owner, -1)
    council_market = model.councils.market
    by_market = np.argsort(council_market, kind="stable")
    size = np.bincount(council_market)
    first = np.cumsum(size) - size
    market = council_market[owner]
    v = model.streams.uniform("independent.elsewhere", key)
    elsewhere = by_market[first[market] + (v * size[market]).astype(np.int64)]
    return np.where(in_area, owner, elsewhere)


# -- children ------------------------------------------------------------------------------
def _populate(model: SendModel, prof: Profiles) -> None:
    """Children by council and academic age, then plans, SEN support and hidden needs."""
    from sendsim.model.phases.demography import add_children

    f = model.sample_fraction
    expected = _children_by_age(prof)  # full scale, (n, 26)
    keys = prof.keys[:, None] * N_AGES + np.arange(N_AGES)
    counts = stochastic_round(
        expected.ravel() * f, model.streams.uniform("init.count", keys.ravel())
    )
    model.children.reserve(int(counts.sum() * SPARE_CAPACITY))
    cells = np.repeat(np.arange(prof.n * N_AGES), counts)
    slots = add_children(
        model, (cells // N_AGES).astype(np.int16), (cells % N_AGES).astype(np.int8), start=0
    )
    idx = np.arange(slots.start, slots.stop)
    ch = model.children
    ratio = counts.reshape(prof.n, N_AGES) / np.maximum(expected, 1e-9)  # simulated per real child
    rank = rank_within(cells, model.streams.uniform("init.rank", ch.uid[idx]))
    plans_cell = prof.plans * ratio[:, :, None]  # (n, 26, N_PLACE) at sample scale
    u = model.streams.uniform("init.round", keys.ravel())
    k_plan = stochastic_round(plans_cell.sum(axis=2).ravel(), u)
    k_support = stochastic_round(
        counts * np.repeat(prof.sen_support_share, N_AGES) * np.tile(SUPPORT_BY_AGE, prof.n), u
    )
    k_hidden = stochastic_round(counts * np.tile(HIDDEN_NEED_BY_AGE, prof.n), u)
    plan = rank < k_plan[cells]
    on_support = ~plan & (rank < (k_plan + k_support)[cells])
    hidden = ~plan & ~on_support & (rank < (k_plan + k_support + k_hidden)[cells])
    cell_plans = plans_cell.reshape(-1, N_PLACE)[cells[plan]]
    _assign_plan_places(model, idx[plan], cell_plans, rank[plan], k_plan[cells[plan]])
    ch.sen[idx[plan]] = Sen.EHCP
    ch.sen[idx[on_support]] = Sen.SUPPORT
    ch.had_sen[idx[plan | on_support]] = True
    needs.give_need(model, idx[plan], "init.plan", PLAN_LEVEL[ch.place[idx[plan]]])
    needs.give_need(model, idx[on_support], "init.support", SUPPORT_LEVEL)
    needs.give_need(model, idx[hidden], "init.hidden", HIDDEN_LEVEL)
    _initial_settings(model, idx[~plan])
    _plan_ages(model, idx[plan])


def _children_by_age(prof: Profiles) -> np.ndarray:
    """Children at each academic age in the starting January from single-year estimates.

    Academic age a is the estimate's age a - ``age_shift`` (e.g. January 2022 from mid-2020:
    a - 1), the cohort grown or shrunk by a year of net migration per year of shift; ages the
    estimate does not reach repeat the nearest; academic age 0 holds only the four months of
    births since September.
    """
    shift = prof.age_shift
    source = np.clip(np.arange(N_AGES) - shift, 0, MAX_AGE)
    out = prof.population[:, source] * (1.0 + _net_migration(prof)[:, source]) ** shift
    out[:, 0] = prof.population[:, 0] * 4.0 / 12.0
    return out


def _assign_plan_places(
    model: SendModel, idx: np.ndarray, cell_plans: np.ndarray, rank: np.ndarray, k: np.ndarray
) -> None:
    """Spread each cell's plans over placements in proportion to the published mix."""
    ch = model.children
    cum = np.cumsum(cell_plans, axis=1)
    u = model.streams.uniform("init.placement", ch.uid[idx])
    share = (rank + u) / np.maximum(
        k, 1
    )  # stratified: exact shares in large cells, unbiased in small
    position = share * cum[:, -1]
    ch.place[idx] = (cum <= position[:, None]).sum(axis=1).clip(max=N_PLACE - 1)
    school_age = idx[
        (ch.age[idx] >= SCHOOL_START_AGE)
        & member(ch.place[idx], (Place.MAINSTREAM, Place.RESOURCED))
    ]
    placement.assign_school(model, school_age)


def _initial_settings(model: SendModel, idx: np.ndarray) -> None:
    """Children without plans: early years, mainstream school, or post-16 destinations."""
    ch = model.children
    age = ch.age[idx]
    ch.place[idx[age < SCHOOL_START_AGE]] = Place.EARLY_YEARS
    placement.to_mainstream(model, idx[(age >= SCHOOL_START_AGE) & (age < POST16_START_AGE)])
    placement.leave_school(model, idx[age >= POST16_START_AGE], "init")


def _plan_ages(model: SendModel, idx: np.ndarray) -> None:
    """Months since each plan was issued, spread over the year for annual reviews."""
    u = model.streams.uniform("init.plan_months", model.children.uid[idx])
    model.children.plan_months[idx] = (u * 48).astype(np.int16)


def _start_cases(model: SendModel, prof: Profiles) -> None:
    """Requests and assessments in progress in January 2022.

    A month of requests awaits a decision. Open assessments are as many as keep the council's
    published throughput busy at the speed that reproduces its 2022 share of plans issued within
    20 weeks (see :mod:`.phases.assessment`); each is part-way through its work.
    """
    ch, f = model.children, model.sample_fraction
    speed = initial_speed(model, prof.within_20_weeks_share)
    per_month = prof.assessments_per_year / 12.0 * f
    open_requests = prof.requests_per_year / 12.0 * f
    open_assessments = per_month * assessment.mean_work_weeks(model) / (WEEKS_PER_MONTH * speed)
    support_kids = np.flatnonzero(ch.sen == Sen.SUPPORT)
    la = ch.la[support_kids]
    priority = ch.severity[support_kids] + model.streams.uniform("init.case", ch.uid[support_kids])
    rank = rank_within(la.astype(np.int64), priority)
    requested = support_kids[rank < open_requests[la]]
    assessing = support_kids[
        (rank >= open_requests[la]) & (rank < (open_requests + open_assessments)[la])
    ]
    requests.start_case(model, np.concatenate([requested, assessing]))
    ch.weeks[requested] = 2.0  # half a month since the request, on average
    ch.sen[assessing] = Sen.ASSESSING
    ch.due_weeks[assessing] -= WEEKS_PER_MONTH  # the decision to assess has been made
    done_share = model.streams.uniform("init.progress", ch.uid[assessing])
    work_done = done_share * ch.due_weeks[assessing]
    ch.due_weeks[assessing] -= work_done
    ch.weeks[assessing] = WEEKS_PER_MONTH + work_done / speed[ch.la[assessing]]


def initial_speed(model: SendModel, within_20_weeks: np.ndarray) -> np.ndarray:
    """Speed at which cases (exponential extra time) finish within 20 weeks as published."""
    a = model.cfg.behaviour.assessment
    weeks = a.min_weeks - a.extra_weeks_mean * np.log1p(-np.clip(within_20_weeks, 0.01, 0.99))
    return np.clip(weeks / assessment.STATUTORY_WEEKS, MIN_INITIAL_SPEED, 1.0)


def _calibrate_flows(model: SendModel, prof: Profiles) -> None:
    """Set request propensity, central spend and ICB capacity from the starting state."""
    ch, c = model.children, model.councils
    f = model.sample_fraction
    has = np.flatnonzero(ch.severity > 0)
    model.set_needy(has)
    ch.unmet[has] = ch.severity[has] > support.support_level(model)
    bits = (1 + model.streams.uniform("init.unmet", ch.uid[has]) * 12).astype(np.uint16)
    ch.unmet_history[has] = np.where(ch.unmet[has], (1 << bits) - 1, 0).astype(np.uint16)
    idx = requests.request_candidates(model)
    weight = count_by(ch.la[idx], c.n, requests.request_weight(model, idx))
    c.request_scale[:] = prof.requests_per_year * f / 12.0 / np.maximum(weight, 1e-9)
    _initial_therapy(model)
    plans = np.zeros((c.n, N_PLACE))
    plan_idx = np.flatnonzero(ch.sen == Sen.EHCP)
    np.add.at(plans, (ch.la[plan_idx], ch.place[plan_idx]), model.scale)
    _calibrate_spend(c, prof, (plans * c.unit_cost_gbp).sum(axis=1))
    c.resourced_places[:] = np.maximum(
        np.round(prof.plans[:, :, Place.RESOURCED].sum(axis=1) * f * RESOURCED_HEADROOM),
        count_by(ch.la[ch.place == Place.RESOURCED], c.n),
    )


def _calibrate_spend(c: CouncilTable, prof: Profiles, plan_spend: np.ndarray) -> None:
    """Match each council's starting spend to its 2021-22 position.

    Spend in 2021-22 is the high needs block less the year's change in the cumulative DSG
    balance (a deficit growing by £1m means £1m more spent than received). What plans do not
    account for is central spend; if plans alone exceed it, their unit costs are scaled down.
    """
    spend = prof.hnb_gbp[min(prof.hnb_gbp)] - prof.dsg_change_last_year_gbp
    plan_cap = (1 - MIN_CENTRAL_SHARE) * spend
    scale = np.minimum(1.0, plan_cap / np.maximum(plan_spend, 1.0))
    c.unit_cost_gbp *= scale[:, None]
    c.central_spend_gbp_per_year[:] = spend - plan_spend * scale


def _initial_therapy(model: SendModel) -> None:
    """Waiting lists of ``initial_wait_months`` of referrals; capacity to keep them stable."""
    ch, h = model.children, model.cfg.behaviour.health
    idx = health.referral_candidates(model)
    monthly = per_month(h.referral_per_year)
    u = model.streams.uniform("init.therapy", ch.uid[idx])
    waiting = idx[u < min(monthly * h.initial_wait_months, 0.9)]
    ch.therapy_wait[waiting] = (
        model.streams.uniform("init.wait", ch.uid[waiting]) * 2 * h.initial_wait_months
    ).astype(np.int16)
    rest = health.referral_candidates(model)
    icb = model.councils.icb[ch.la[rest]]
    model.icbs.capacity[:] = count_by(icb, model.icbs.n) * monthly
