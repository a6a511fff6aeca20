"""Needs: emergence by age and need type, escalation while unmet, improvement and resolution.

A child without a need carries the month one emerges, drawn in advance
(:mod:`sendsim.model.events`); a need's level then rises while unmet, by at most
``escalation_limit`` above the level it emerged at and never beyond what a special school
meets, and falls while met; a mild met need may resolve. Once education has
ended (in work or NEET) a need no longer escalates, and one without a plan may lapse.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sendsim.config.params import param, profile
from sendsim.model.children import NEVER
from sendsim.model.codes import (
    EDUCATION_ENDED,
    MAX_AGE,
    POST16_START_AGE,
    Need,
    Place,
    Sen,
    member,
)
from sendsim.model.events import schedule_needs
from sendsim.model.mechanism import ChildField, Mechanism
from sendsim.model.operations import placing, population
from sendsim.model.ops import MONTHS_PER_YEAR, per_month

if TYPE_CHECKING:
    from sendsim.model.model import SendModel


NEED_MIX_UNIT = (
    "share of new needs, by need type (ASD, SLCN, SEMH, MLD, SLD, PMLD, SpLD, PD, HI, VI, MSI, "
    "other)"
)
NEED_MIX_SOURCE = (
    "Assumption anchored to the need mix of plans in [dfe-ehcp] (autism 31.5%, SLCN 21.3%, "
    "SEMH 20.7%, MLD 10.6%), with SLCN concentrated in early years and SEMH in secondary school"
)


@dataclass
class NeedsParams:
    """How needs emerge and change."""

    emergence_per_year: float = param(
        0.022,
        0.005,
        0.05,
        unit="per year",
        label="Yearly chance a child aged 5-10 without a need develops one (other ages scaled)",
        source="Calibrated to SEN support of 12.6% of pupils [dfe-sen-in-england] and 114,500 "
        "requests in 2022 [dfe-ehcp]",
    )
    level_spread: float = param(
        0.8,
        0.3,
        1.5,
        unit="log-odds",
        label="Spread of need levels between children with the same kind of need",
        source="Assumption",
    )
    escalation_per_year: float = param(
        0.08,
        0.0,
        0.3,
        unit="need level per year",
        label="Rise in need level during a year of unmet need",
        source="Assumption",
    )
    escalation_limit: float = param(
        0.1,
        0.0,
        1.0,
        unit="need level",
        label="Most a need rises above the level it emerged at while unmet",
        source="Estimated in sample (docs/backtest.md, 'Need escalation'): from January 2019, "
        "0.05 to 0.1 forecast England's new plans and those placed in special schools in "
        "2020-2022 best (0 to 0.025 and 0.15 or more worse); at 0.05 requests' growth could "
        "not be fitted and the validation's requests, new plans and state special plans were "
        "further off, so 0.1; without a limit the needs of new plans drift upwards",
    )
    improvement_per_year: float = param(
        0.03,
        0.0,
        0.2,
        unit="need level per year",
        label="Fall in need level during a year of met need",
        source="Assumption",
    )
    resolution_per_year: float = param(
        0.12,
        0.0,
        0.5,
        unit="per year",
        label="Yearly chance a mild met need resolves",
        source="Assumption: turnover of the SEN support register",
    )
    resolution_after_education_per_year: float = param(
        0.2,
        0.0,
        0.6,
        unit="per year",
        label="Yearly chance a need without a plan lapses once education has ended",
        source="Assumption: needs without a plan lapse over about five years once education "
        "has ended (the starting needs at 19-25 are fitted to hold under it, sendsim.emergence)",
    )
    mild_level: float = param(
        0.25,
        0.1,
        0.5,
        unit="need level",
        label="Need level below which a met need can resolve",
        source="Assumption",
    )
    min_level: float = param(
        0.02,
        0.0,
        0.1,
        unit="need level",
        label="Lowest level a need falls to while it lasts (improvement, therapy)",
        source="Assumption",
    )
    emergence_by_age: list[float] = profile(
        (1.97, 1.81, 1.55, 1.58, 1.84, 1.59, 1.30, 1.22, 1.17, 0.74, 0.0, 0.0, 0.18, 0.18, 0.14)
        + (0.5, 0.3, 0.25, 0.15)
        + (0.1,) * (MAX_AGE - 18),
        0.0,
        3.0,
        unit="relative to emergence_per_year, by academic age 0-25",
        label="Chance of a new need by age, relative to emergence_per_year",
        source="Ages 0-14 fitted by sendsim.emergence so that the share of children with a "
        "need at each age 1-15 in January 2022 (plans [dfe-ehcp], SEN support "
        "[dfe-sen-in-england], needs not yet identified) holds a year on; ages 15-25: "
        "assumption, few needs first arise after school",
    )
    need_mix_early_years: list[float] = profile(
        (0.16, 0.46, 0.04, 0.05, 0.06, 0.03, 0.00, 0.06, 0.03, 0.02, 0.01, 0.08),
        0.0,
        1.0,
        unit=NEED_MIX_UNIT,
        label="Primary need of new needs at ages 0-4",
        source=NEED_MIX_SOURCE,
    )
    need_mix_primary: list[float] = profile(
        (0.22, 0.22, 0.15, 0.16, 0.03, 0.01, 0.09, 0.03, 0.015, 0.01, 0.005, 0.06),
        0.0,
        1.0,
        unit=NEED_MIX_UNIT,
        label="Primary need of new needs at ages 5-10",
        source=NEED_MIX_SOURCE,
    )
    need_mix_secondary: list[float] = profile(
        (0.20, 0.08, 0.33, 0.16, 0.02, 0.005, 0.12, 0.025, 0.015, 0.01, 0.005, 0.04),
        0.0,
        1.0,
        unit=NEED_MIX_UNIT,
        label="Primary need of new needs from age 11",
        source=NEED_MIX_SOURCE,
    )
    level_shift_by_need: list[float] = profile(
        (0.4, -0.2, 0.1, -0.1, 1.4, 2.0, -0.6, 0.4, 0.2, 0.2, 1.0, 0.0),
        -3.0,
        3.0,
        unit="log-odds, by need type (ASD ... other)",
        label="Shift of a new need's level by its type",
        source="Assumption: profound and severe learning difficulties start high; specific "
        "learning difficulties low",
    )
    new_plan_level: float = param(
        0.55,
        0.3,
        0.8,
        unit="need level",
        label="Median need level of children receiving new plans",
        source="Assumption; sets councils' placement thresholds with level_spread",
    )
    plan_level_by_placement: list[float] = profile(
        (0.6, 0.5, 0.68, 0.8, 0.82, 0.6, 0.55, 0.85, 0.45, 0.5, 0.6),
        0.05,
        0.95,
        unit="need level, by placement (early years ... other)",
        label="Median need level of plans in each placement in the starting January",
        source="Assumption: more specialist settings hold higher needs",
    )
    support_level_at_start: float = param(
        0.3,
        0.1,
        0.6,
        unit="need level",
        label="Median need level of children on SEN support in the starting January",
        source="Assumption",
    )
    hidden_level_at_start: float = param(
        0.25,
        0.05,
        0.6,
        unit="need level",
        label="Median level of needs not yet identified in the starting January",
        source="Assumption",
    )
    mover_plan_level: float = param(
        0.65,
        0.3,
        0.9,
        unit="need level",
        label="Median need level of children moving in with plans",
        source="Assumption",
    )


FIELDS = {
    "need": ChildField(np.int8, Need.NONE, "primary need type (Need)"),
    "severity": ChildField(np.float32, 0.0, "latent need level, 0 (none) to 1 (profound)"),
    "onset_level": ChildField(np.float32, 0.0, "need level when the need emerged (or at start)"),
    "need_month": ChildField(np.int16, NEVER, "run month a need emerges (children without one)"),
}


def step(model: SendModel) -> None:
    """Needs emerge, then change with last month's support."""
    emerge(model)
    evolve(model)


def emerge(model: SendModel) -> None:
    """Children whose need onset month has come develop a need."""
    ch = model.children
    population.give_need(model, np.flatnonzero(ch.need_month == model.months_elapsed), "emerge")


def evolve(model: SendModel) -> None:
    """Unmet needs escalate while in education, met needs improve; mild met needs may resolve,
    and needs without a plan may lapse once education has ended.

    Leaves ``model.needy``, the children with a need, for the mechanisms that follow.
    """
    ch, p = model.children, model.cfg.behaviour.needs
    has = np.flatnonzero(ch.severity > 0)
    unmet = ch.unmet[has]
    ended = member(ch.place[has], EDUCATION_ENDED)
    yearly = np.where(unmet, p.escalation_per_year * ~ended, -p.improvement_per_year)
    change = yearly / MONTHS_PER_YEAR
    ceiling = np.minimum(ch.onset_level[has] + p.escalation_limit, population.highest_level(model))
    ch.severity[has] = np.clip(ch.severity[has] + change, p.min_level, ceiling)
    mild = ~unmet & (ch.severity[has] < p.mild_level)
    may_resolve = (ch.sen[has] <= Sen.SUPPORT) & (mild | ended)
    pool = has[may_resolve]
    rate = np.where(ended[may_resolve], p.resolution_after_education_per_year, 0.0)
    rate = np.maximum(rate, np.where(mild[may_resolve], p.resolution_per_year, 0.0))
    u = model.streams.uniform("resolve", ch.uid[pool], model.months_elapsed)
    resolved = pool[u < per_month(rate)]
    ch.severity[resolved] = 0.0
    ch.need[resolved] = Need.NONE
    ch.sen[resolved] = Sen.NONE
    ch.therapy_wait[resolved] = -1
    ch.therapy_left[resolved] = 0
    ch.unmet[resolved] = False
    leave_ap(model, resolved[ch.place[resolved] == Place.AP])
    ch.unmet_history[resolved] = 0
    schedule_needs(model, resolved, model.months_elapsed + 1, "need.again")
    model.set_needy(has[ch.severity[has] > 0])


def leave_ap(model: SendModel, idx: np.ndarray) -> None:
    """Pupils whose need has resolved leave alternative provision."""
    school_age = idx[model.children.age[idx] < POST16_START_AGE]
    placing.to_mainstream(model, school_age)
    placing.leave_school(model, np.setdiff1d(idx, school_age, assume_unique=True), "resolved")


MECHANISM = Mechanism(name="needs", step=step, params=NeedsParams, fields=FIELDS)
