"""Demography: the January population, births, and moves in and out of each council.

``model.residents`` counts children by council and academic age; it is kept up to date here
(and by ageing in September) rather than recounted, and drives moves in. Ageing is a calendar
event (:mod:`.calendar`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.stats import poisson

from sendsim.config.params import param, profile
from sendsim.model.children import NEVER
from sendsim.model.codes import (
    MAX_AGE,
    N_AGES,
    N_PLACE,
    POST16_START_AGE,
    SCHOOL_START_AGE,
    Place,
    Sen,
    member,
)
from sendsim.model.events import schedule_moves
from sendsim.model.mechanism import ChildField, Mechanism
from sendsim.model.operations import placing, population
from sendsim.model.ops import count_by, rank_within, stochastic_round
from sendsim.model.profile import net_migration
from sendsim.model.recording import Census, count

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

SPARE_CAPACITY = 1.15  # room for a year of births and moves in before the September compaction
STATUSES = 3  # plan, SEN support, need not yet identified
PLACE_PRIOR_UNIT = (
    "relative weight by published placement (mainstream, resourced, state special, "
    "independent, AP, FE, specialist post-16, NEET, early years, other)"
)
PLACE_PRIOR_SOURCE = (
    "Assumption: which settings occur at which ages (early years only under 5; FE and NEET "
    "only from 16), with independent and AP placements concentrated in secondary school; "
    "fitted to each council's published margins (SEN2 plans by age band and by placement)"
)


@dataclass
class DemographyParams:
    """Moves out of each council (moves in follow ONS net migration)."""

    out_migration_child_per_year: float = param(
        0.02,
        0.01,
        0.15,
        unit="per year",
        label="Share of children aged 0-17 moving out of their council each year",
        source="[dfe-ehcp]: 7,249 plans (1.7%) ceased on moving council in 2021 (DisleaEHC in "
        "sendsim/data/raw/dfe-ehcp/sen2_mi_2014_2021.csv); assumption",
    )
    out_migration_adult_per_year: float = param(
        0.06,
        0.02,
        0.3,
        unit="per year",
        label="Share of young people aged 18-25 moving out of their council each year",
        source="Assumption: order of ONS internal migration rates (students)",
    )
    plan_moves_relative: float = param(
        0.62,
        0.2,
        1.0,
        unit="ratio",
        label="How often children and young people with plans move council, relative to "
        "others of their age",
        source="[dfe-ehcp]: 5,871, 6,079 and 7,249 plans ceased on moving council in 2019-2021 "
        "(DisleaEHC in sendsim/data/raw/dfe-ehcp/sen2_mi_2014_2021.csv), 1.64% of plans a year, "
        "against 2.65% at the rates of moving for plan holders' ages (out_migration_child_per_"
        "year to 17, out_migration_adult_per_year from 18)",
    )
    adult_migration_age: int = param(
        18,
        16,
        22,
        unit="academic age",
        label="Age from which the young-adult rate of moving out applies",
        source="Assumption: leaving home, study and work from 18",
    )
    max_net_migration_per_year: float = param(
        0.3,
        0.05,
        0.5,
        unit="per year",
        label="Largest yearly net migration of an age cohort (guards small estimates)",
        source="Assumption; ONS mid-2019 to mid-2020 cohort changes per council",
    )
    sen_support_by_age: list[float] = profile(
        (0.02, 0.05, 0.15, 0.35, 0.6, 0.85, 0.95, 1.05, 1.15, 1.2, 1.25, 1.05, 1.0, 1.0, 0.95)
        + (0.95, 1.02, 0.98, 0.93)
        + (0.0,) * (MAX_AGE - 18),
        0.0,
        2.0,
        unit="relative to the school-age rate, by academic age 0-25",
        label="SEN support in the starting January by age, relative to the census share",
        source="Assumption to 15: rising through primary, lower in secondary (ages 4-15 "
        "average 1.0); ages 16-18 fitted by sendsim.emergence so that the share holds a year "
        "on (young people who stay in education keep their support); none from 19, when "
        "support ends with education",
    )
    hidden_need_by_age: list[float] = profile(
        (0.01, 0.03, 0.05, 0.05)
        + (0.03,) * 12
        + (0.02,) * 3
        + (0.124, 0.124, 0.104, 0.089, 0.075, 0.063, 0.054),
        0.0,
        0.3,
        unit="share of children without SEND, by academic age 0-25",
        label="Needs not on record in the starting January, by age",
        source="Assumption to 18; ages 19-25 fitted by sendsim.emergence so that the share "
        "with a need holds a year on (needs young people took from education, where support "
        "ended with it)",
    )
    plan_age_weight_in_band: list[float] = profile(
        (
            *(0.0, 0.001, 0.022, 0.209, 0.769),  # under 5
            *(0.12, 0.14, 0.16, 0.18, 0.19, 0.21),  # 5-10
            *(0.21, 0.20, 0.20, 0.20, 0.19),  # 11-15
            *(0.28, 0.27, 0.24, 0.21),  # 16-19
            *(0.28, 0.22, 0.17, 0.13, 0.11, 0.09),  # 20-25
        ),
        0.0,
        1.0,
        unit="share of the SEN2 age band's plans, by academic age 0-25 (normalised in the band)",
        label="How a band's plans in the starting January spread over its single ages",
        source="Assumption: plans accumulate through primary school and cease after 16; "
        "under 5, as the model's fitted propensity holds them two to five years on from 2022 "
        "(sendsim.early_years.january_spread, England at 1 in 10, two seeds); at 16-19 "
        "a year group's plans thin as young people leave education, and the share at 19 "
        "(0.21) moves England's plans aged 16-19 and 20-25 over the first year as SEN2's "
        "moved from January 2019, 2020 and 2021 [dfe-ehcp]",
    )
    plan_place_prior_under_5: list[float] = profile(
        (0.4, 0.05, 0.15, 0.02, 0.0, 0.0, 0.0, 0.0, 1.0, 0.2),
        0.0,
        2.0,
        unit=PLACE_PRIOR_UNIT,
        label="Prior weight of each placement of plans at ages under 5",
        source=PLACE_PRIOR_SOURCE,
    )
    plan_place_prior_5_10: list[float] = profile(
        (1.0, 1.0, 1.0, 0.8, 0.2, 0.0, 0.0, 0.0, 0.0, 0.5),
        0.0,
        2.0,
        unit=PLACE_PRIOR_UNIT,
        label="Prior weight of each placement of plans at ages 5-10",
        source=PLACE_PRIOR_SOURCE,
    )
    plan_place_prior_11_15: list[float] = profile(
        (1.0, 1.0, 1.0, 1.2, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0),
        0.0,
        2.0,
        unit=PLACE_PRIOR_UNIT,
        label="Prior weight of each placement of plans at ages 11-15",
        source=PLACE_PRIOR_SOURCE,
    )
    plan_place_prior_16_19: list[float] = profile(
        (0.4, 0.3, 0.8, 0.8, 0.1, 1.0, 1.0, 1.0, 0.0, 1.0),
        0.0,
        2.0,
        unit=PLACE_PRIOR_UNIT,
        label="Prior weight of each placement of plans at ages 16-19",
        source=PLACE_PRIOR_SOURCE,
    )
    plan_place_prior_20_25: list[float] = profile(
        (0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0),
        0.0,
        2.0,
        unit=PLACE_PRIOR_UNIT,
        label="Prior weight of each placement of plans at ages 20-25",
        source=PLACE_PRIOR_SOURCE,
    )


FIELDS = {
    "uid": ChildField(np.int64, -1, "identity: home council key and serial, never reused"),
    "la": ChildField(np.int16, -1, "home council index"),
    "age": ChildField(np.int8, 0, "academic age: age at the 31 August before this year"),
    "move_month": ChildField(np.int16, NEVER, "run month the child moves out of the area"),
    "active": ChildField(np.bool_, True, "the slot holds a child (false once they leave)"),
}

METRICS = (
    count("population_0_25", "Children and young people aged 0-25", "stock"),
    count("pupils", "Children of school age (4-15)", "stock"),
    count("births", "Births", "flow"),
    count("movers_in", "Children and young people moving into the council", "flow"),
    count("movers_out", "Children and young people moving out of the council", "flow"),
    count("transfers_in", "Children with plans moving into the council", "flow"),
    count("transfers_out", "Children with plans moving out of the council", "flow"),
)


# -- the January population -----------------------------------------------------------------
def build(model: SendModel) -> None:
    """Children by council and academic age, then plans, SEN support and hidden needs."""
    prof, f = model.profiles, model.sample_fraction
    expected = children_by_age(model)  # full scale, (n, 26)
    keys = prof.keys[:, None] * N_AGES + np.arange(N_AGES)
    counts = stochastic_round(
        expected.ravel() * f, model.streams.uniform("init.count", keys.ravel())
    )
    model.children.reserve(int(counts.sum() * SPARE_CAPACITY))
    cells = np.repeat(np.arange(prof.n * N_AGES), counts)
    slots = population.add_children(
        model, (cells // N_AGES).astype(np.int16), (cells % N_AGES).astype(np.int8), start=0
    )
    idx = np.arange(slots.start, slots.stop)
    ch = model.children
    ratio = counts.reshape(prof.n, N_AGES) / np.maximum(expected, 1e-9)  # simulated per real child
    rank = rank_within(cells, model.streams.uniform("init.rank", ch.uid[idx]))
    plans_cell = prof.plans * ratio[:, :, None]  # (n, 26, N_PLACE) at sample scale
    u = model.streams.uniform("init.round", keys.ravel())
    k_plan = stochastic_round(plans_cell.sum(axis=2).ravel(), u)
    d = model.cfg.behaviour.demography
    by_age = np.tile(np.asarray(d.sen_support_by_age), prof.n)
    k_support = stochastic_round(counts * np.repeat(prof.sen_support_share, N_AGES) * by_age, u)
    k_hidden = stochastic_round(counts * np.tile(np.asarray(d.hidden_need_by_age), prof.n), u)
    plan = rank < k_plan[cells]
    on_support = ~plan & (rank < (k_plan + k_support)[cells])
    hidden = ~plan & ~on_support & (rank < (k_plan + k_support + k_hidden)[cells])
    cell_plans = plans_cell.reshape(-1, N_PLACE)[cells[plan]]
    _assign_plan_places(model, idx[plan], cell_plans, rank[plan], k_plan[cells[plan]])
    ch.sen[idx[plan]] = Sen.EHCP
    ch.sen[idx[on_support]] = Sen.SUPPORT
    ch.had_sen[idx[plan | on_support]] = True
    levels = model.cfg.behaviour.needs
    plan_level = np.asarray(levels.plan_level_by_placement)[ch.place[idx[plan]]]
    population.give_need(model, idx[plan], "init.plan", plan_level)
    population.give_need(model, idx[on_support], "init.support", levels.support_level_at_start)
    population.give_need(model, idx[hidden], "init.hidden", levels.hidden_level_at_start)
    _initial_settings(model, idx[~plan])
    model.set_needy(np.flatnonzero(ch.severity > 0))
    model.schools.count_pupils(model)


def children_by_age(model: SendModel) -> np.ndarray:
    """Children at each academic age in the starting January from single-year estimates.

    Academic age a is the estimate's age a - ``age_shift`` (e.g. January 2022 from mid-2020:
    a - 1), the cohort grown or shrunk by a year of net migration per year of shift; ages the
    estimate does not reach repeat the nearest; academic age 0 holds only the four months of
    births since September.
    """
    prof = model.profiles
    shift = prof.age_shift
    source = np.clip(np.arange(N_AGES) - shift, 0, MAX_AGE)
    net = net_migration(prof, model.cfg.behaviour.demography.max_net_migration_per_year)
    out = prof.population[:, source] * (1.0 + net[:, source]) ** shift
    out[:, 0] = prof.population[:, 0] * 4.0 / 12.0
    return out


def _assign_plan_places(
    model: SendModel, idx: np.ndarray, cell_plans: np.ndarray, rank: np.ndarray, k: np.ndarray
) -> None:
    """Spread each cell's plans over placements in proportion to the published mix."""
    ch = model.children
    cum = np.cumsum(cell_plans, axis=1)
    u = model.streams.uniform("init.placement", ch.uid[idx])
    # stratified: exact shares in large cells, unbiased in small
    share = (rank + u) / np.maximum(k, 1)
    position = share * cum[:, -1]
    ch.place[idx] = (cum <= position[:, None]).sum(axis=1).clip(max=N_PLACE - 1)
    school_age = idx[
        (ch.age[idx] >= SCHOOL_START_AGE)
        & member(ch.place[idx], (Place.MAINSTREAM, Place.RESOURCED))
    ]
    placing.assign_school(model, school_age)


def _initial_settings(model: SendModel, idx: np.ndarray) -> None:
    """Children without plans: early years, mainstream school, or post-16 destinations."""
    ch = model.children
    age = ch.age[idx]
    ch.place[idx[age < SCHOOL_START_AGE]] = Place.EARLY_YEARS
    placing.to_mainstream(model, idx[(age >= SCHOOL_START_AGE) & (age < POST16_START_AGE)])
    placing.leave_school(model, idx[age >= POST16_START_AGE], "init")


# -- each month --------------------------------------------------------------------------
def step(model: SendModel) -> None:
    """Births, then moves out, then moves in (in that order, every month)."""
    births(model)
    moves_out(model)
    moves_in(model)


def births(model: SendModel) -> None:
    """Each council's births this month: Poisson around its trend, keyed by council and month."""
    c = model.councils
    years = model.months_elapsed / 12.0
    growth = (1.0 + model.cfg.population.births_growth_per_year) ** years
    expected = c.births_per_year * growth * model.sample_fraction / 12.0
    u = model.streams.uniform("births", c.key, model.months_elapsed)
    counts = poisson.ppf(u, expected).astype(np.int64)
    population.add_children(
        model, np.repeat(np.arange(c.n), counts), np.zeros(counts.sum(), np.int8)
    )
    model.flows.add_totals("births", counts.astype(np.float64))


def moves_out(model: SendModel) -> None:
    """Children whose moving month has come move away; their plans cease with the move.

    Families of children with plans move less (``plan_moves_relative``; in a forecast draw's
    year of less outflow less still, of more outflow more): of those whose month has come,
    the rest stay and draw their next moving month.
    """
    ch = model.children
    due = np.flatnonzero(ch.move_month == model.months_elapsed)
    u = model.streams.uniform("move.plan", ch.uid[due], model.months_elapsed)
    relative = model.cfg.behaviour.demography.plan_moves_relative
    moving = np.minimum(relative * model.councils.exit_multiple, 1.0)
    stays = (ch.sen[due] == Sen.EHCP) & (u >= moving[ch.la[due]])
    schedule_moves(model, due[stays], model.months_elapsed + 1)
    leaving = due[~stays]
    model.flows.add("transfers_out", ch.la[leaving[ch.sen[leaving] == Sen.EHCP]])
    model.flows.add("movers_out", ch.la[leaving])
    population.remove(model, leaving)


def moves_in(model: SendModel) -> None:
    """Children move in. Those replacing movers out (moves within England) bring plans and SEN
    support at the council's current rates for their age; the rest (net arrivals, mostly from
    abroad) bring needs not yet identified here.

    In-movers with a plan keep it (a transfer in, not a new plan) and are placed through the
    usual capacity-constrained placement.
    """
    c = model.councils
    expected = c.in_rate_by_age * model.residents / 12.0
    keys = c.key[:, None] * N_AGES + np.arange(N_AGES)
    u = model.streams.uniform("move_in", keys.ravel(), model.months_elapsed)
    counts = poisson.ppf(u, expected.ravel()).astype(np.int64)
    if counts.sum() == 0:
        return
    cells = np.repeat(np.arange(c.n * N_AGES), counts)
    la, age = (cells // N_AGES).astype(np.int16), (cells % N_AGES).astype(np.int8)
    slots = population.add_children(model, la, age)
    model.flows.add("movers_in", la)
    internal = np.minimum(c.out_rate_by_age[None, :] / np.maximum(c.in_rate_by_age, 1e-9), 1.0)
    _mirror_prevalence(model, slots, internal.ravel())


def _mirror_prevalence(model: SendModel, slots: slice, internal: np.ndarray) -> None:
    """Give in-movers plans, SEN support or a latent need at the council's current rates
    (counted at the start of the month; plans as often as their holders move,
    ``plan_moves_relative``); only the ``internal`` share (by cell) of movers brings an
    identified status."""
    ch = model.children
    residents = np.maximum(model.residents.ravel(), 1)
    status = model.status_by_cell * [model.cfg.behaviour.demography.plan_moves_relative, 1, 1]
    rates = (status / residents[:, None]).cumsum(axis=1)  # plan, support, latent
    idx = np.arange(slots.start, slots.stop)
    new_cell = ch.la[idx].astype(np.int64) * N_AGES + ch.age[idx]
    u = model.streams.uniform("move_in.status", ch.uid[idx])
    known = model.streams.uniform("move_in.internal", ch.uid[idx]) < internal[new_cell]
    kind = (u[:, None] >= rates[new_cell]).sum(axis=1)  # 0 plan, 1 support, 2 latent, 3 none
    kind[~known & (kind < 2)] = 2  # arriving from abroad: needs not yet identified
    plan, support, latent = idx[kind == 0], idx[kind == 1], idx[kind == 2]
    population.give_need(model, plan, "move_in.plan", model.cfg.behaviour.needs.mover_plan_level)
    population.give_need(model, np.concatenate([support, latent]), "move_in.need")
    ch.sen[support] = Sen.SUPPORT
    ch.sen[plan] = Sen.EHCP
    ch.had_sen[plan] = True
    ch.had_sen[support] = True
    model.flows.add("transfers_in", ch.la[plan])
    placing.place_arrivals(model, idx)


# -- counts --------------------------------------------------------------------------------
def count_stocks(model: SendModel, census: Census) -> dict[str, np.ndarray]:
    """Residents, and the month's mix of plans, SEN support and unidentified needs by council
    and age, which moves in this month mirror (``model.status_by_cell``)."""
    status = np.full(len(census.idx), 2, np.int64)  # 0 plan, 1 support, 2 unidentified
    status[census.send] = 1
    status[census.plan] = 0
    cells = (census.la * N_AGES + census.age) * STATUSES + status
    model.status_by_cell = count_by(cells, census.n * N_AGES * STATUSES).reshape(-1, STATUSES)
    return {
        "population_0_25": model.residents.sum(axis=1).astype(np.float64),
        "pupils": model.residents[:, SCHOOL_START_AGE:POST16_START_AGE]
        .sum(axis=1)
        .astype(np.float64),
    }


MECHANISM = Mechanism(
    name="demography",
    step=step,
    params=DemographyParams,
    fields=FIELDS,
    metrics=METRICS,
    build=build,
    count=count_stocks,
)
