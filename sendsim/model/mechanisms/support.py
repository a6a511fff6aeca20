"""Support: the need level each child's setting meets this month, and whether need is unmet.

A mainstream school meets need up to its capability (inclusiveness, SENCo expertise), less
when more pupils need SEN support than its staff can support (the school's decision,
:meth:`MainstreamSchool.need_met_at_support`); an EHCP adds funded support. Specialist
settings meet more. A child waiting for NHS therapy loses some support.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sendsim.config.params import param, profile
from sendsim.model.codes import N_PLACE, Need, Place, Sen, member
from sendsim.model.institutions.schools import MainstreamSchool
from sendsim.model.levers import change, mhst_coverage
from sendsim.model.mechanism import ChildField, Mechanism
from sendsim.model.ops import count_by
from sendsim.model.recording import Census, internal, ratio

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

UNMET_BITS = np.uint16(0x0FFF)  # the last 12 months


@dataclass
class SupportParams:
    """The need level each setting meets."""

    mainstream_capability: float = param(
        0.45,
        0.2,
        0.8,
        unit="need level (0-1)",
        label="Need level the average mainstream school meets at SEN support, today",
        source="Assumption: calibrated so ~30% of SEN support pupils have unmet need",
    )
    capability_sd: float = param(
        0.08,
        0.0,
        0.2,
        unit="need level",
        label="Spread of mainstream schools' capability between schools",
        source="Assumption",
    )
    sen_capacity_share: float = param(
        0.14,
        0.05,
        0.3,
        unit="share of pupils",
        label="Share of a school's pupils its SENCo and staff can support fully",
        source="Assumption: above the 12.6% national SEN support rate [dfe-sen-in-england]",
    )
    notional_budget_growth_per_year: float = param(
        0.03,
        0.0,
        0.08,
        unit="per year",
        label="Cash growth per pupil of schools' funding, and so of their notional SEN budgets "
        "(the staff they can give SEN support, against costs growing at "
        "`finance.cost_inflation_per_year`)",
        source="[ifs-school-spending-2024]: spending per pupil fell 9% in real terms from "
        "2009-10 to 2019-20 and was about restored by 2024-25, when funding per pupil rose just "
        "under 4% against schools' costs of about 5%; assumption: purchasing power held",
    )
    min_load_factor: float = param(
        0.5,
        0.1,
        1.0,
        unit="share",
        label="Share of its usual support an overloaded school still gives",
        source="Assumption",
    )
    ehcp_uplift: float = param(
        0.25,
        0.0,
        0.5,
        unit="need level",
        label="Extra need met in mainstream when an EHCP funds top-up support",
        source="Assumption",
    )
    level_resourced: float = param(
        0.8,
        0.5,
        1.0,
        unit="need level",
        label="Need met in resourced provision",
        source="Assumption",
    )
    level_special: float = param(
        0.95,
        0.6,
        1.0,
        unit="need level",
        label="Need met in a special school (state or independent)",
        source="Assumption",
    )
    level_ap: float = param(
        0.55,
        0.2,
        1.0,
        unit="need level",
        label="Need met in alternative provision",
        source="Assumption",
    )
    level_early_years: float = param(
        0.45,
        0.2,
        1.0,
        unit="need level",
        label="Need met in early years settings with SEN support",
        source="Assumption",
    )
    level_post16: float = param(
        0.5,
        0.2,
        1.0,
        unit="need level",
        label="Need met in FE or sixth form at SEN support",
        source="Assumption",
    )
    level_specialist_post16: float = param(
        0.9,
        0.5,
        1.0,
        unit="need level",
        label="Need met in a specialist post-16 institution",
        source="Assumption",
    )
    level_universal: float = param(
        0.15,
        0.0,
        0.5,
        unit="need level",
        label="Need met by ordinary teaching and universal services, without identification",
        source="Assumption",
    )
    therapy_gap: float = param(
        0.1,
        0.0,
        0.3,
        unit="need level",
        label="Support lost while waiting for NHS therapy",
        source="Assumption",
    )
    min_capability: float = param(
        0.05,
        0.0,
        0.3,
        unit="need level",
        label="Lowest need level a mainstream school meets at SEN support",
        source="Assumption",
    )
    max_capability: float = param(
        0.95,
        0.7,
        1.0,
        unit="need level",
        label="Highest need level a mainstream school meets at SEN support",
        source="Assumption",
    )
    primary_school_pupils: float = param(
        280.0,
        100.0,
        600.0,
        unit="pupils",
        label="Average pupils per primary school (sets how many schools a council has)",
        source="Assumption: near the average size of a primary school in England",
    )
    secondary_school_pupils: float = param(
        950.0,
        400.0,
        1600.0,
        unit="pupils",
        label="Average pupils per secondary school",
        source="Assumption: near the average size of a secondary school in England",
    )
    academy_share_by_phase: list[float] = profile(
        (0.39, 0.80),
        0.0,
        1.0,
        unit="share of schools (primary, secondary)",
        label="England's share of primary and of secondary schools that are academies or free "
        "schools (each council's is moved together to match its share of mainstream plans)",
        source="[pq-academies-2022]: 6,474 primary and 2,768 secondary academies and free "
        "schools in January 2022, of about 16,800 and 3,450 state-funded schools [dfe-spc-2022]",
    )


FIELDS = {
    "unmet": ChildField(np.bool_, False, "need unmet this month"),
    "unmet_history": ChildField(np.uint16, 0, "bit i set: need unmet i months ago (last 12)"),
    "months_unmet": ChildField(np.int16, 0, "months of unmet need since the run started"),
}

METRICS = (
    internal("unmet_months_sum"),
    ratio(
        "mean_months_unmet_need",
        "months in last 12",
        "Mean months of unmet need in the past year, children with SEND",
        "unmet_months_sum",
        "send_children",
    ),
)


def build(model: SendModel) -> None:
    """Whether each need is met in January, and a year like it: needs and the support that
    meets them change slowly, so a need unmet today was unmet all year (the history a run
    settles into, not one that fills up over its first year)."""
    ch, has = model.children, model.needy
    ch.unmet[has] = ch.severity[has] > support_level(model)
    ch.unmet_history[has] = np.where(ch.unmet[has], UNMET_BITS, 0).astype(np.uint16)


def step(model: SendModel) -> None:
    """Set ``unmet`` for every child with a need and update their unmet-need history."""
    ch = model.children
    has = model.needy
    unmet = ch.severity[has] > support_level(model)
    ch.unmet[has] = unmet
    ch.months_unmet[has] += unmet
    ch.unmet_history[has] = ((ch.unmet_history[has] << 1) & UNMET_BITS) | unmet


def support_level(model: SendModel) -> np.ndarray:
    """Need level met for the children with a need (``model.needy``), 0-1."""
    ch, s, fx, pol = (
        model.children,
        model.cfg.behaviour.support,
        model.cfg.behaviour.effects,
        model.policy,
    )
    idx = model.needy
    place, sen, school = ch.place[idx], ch.sen[idx], ch.school[idx]
    plan = sen == Sen.EHCP
    level = place_levels(s)[place]
    level[place == Place.EARLY_YEARS] += fx.early_years_support * change(
        pol, "early_years.inclusion_fund"
    )
    in_school = np.flatnonzero((place == Place.MAINSTREAM) & (school >= 0))
    at = school[in_school]
    level[in_school] = MainstreamSchool.need_met_at_support(model, place, sen, school)[at]
    team = model.schools.mhst_draw[at] < mhst_coverage(model)
    level[in_school[team & (ch.need[idx[in_school]] == Need.SEMH)]] += fx.mhst_support
    uplifted = plan & member(place, (Place.MAINSTREAM, Place.EARLY_YEARS, Place.FE, Place.OTHER))
    level += s.ehcp_uplift * uplifted  # whole-array arithmetic: cheaper than masked updates
    level = np.where(sen == Sen.NONE, s.level_universal, level)
    return level - s.therapy_gap * (ch.therapy_wait[idx] >= 0)


def place_levels(s: SupportParams) -> np.ndarray:
    """Need level met in each placement (index = Place) for a child with identified SEND."""
    table = np.full(N_PLACE, s.level_universal)
    table[Place.EARLY_YEARS] = s.level_early_years
    table[Place.RESOURCED] = s.level_resourced
    table[Place.STATE_SPECIAL] = s.level_special
    table[Place.INDEPENDENT] = s.level_special
    table[Place.AP] = s.level_ap
    table[Place.FE] = s.level_post16
    table[Place.SPECIALIST_POST16] = s.level_specialist_post16
    return table


def count_stocks(model: SendModel, census: Census) -> dict[str, np.ndarray]:
    """Months of unmet need in the past year, summed over children with SEND."""
    send = census.idx[census.send]
    unmet_months = np.bitwise_count(model.children.unmet_history[send])
    return {"unmet_months_sum": count_by(census.la[census.send], census.n, unmet_months)}


MECHANISM = Mechanism(
    name="support",
    step=step,
    params=SupportParams,
    fields=FIELDS,
    metrics=METRICS,
    build=build,
    count=count_stocks,
)
