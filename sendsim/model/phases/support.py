"""Support: the need level each child's setting meets this month, and whether need is unmet.

A mainstream school meets need up to its capability (inclusiveness, SENCo expertise), less
when more pupils need SEN support than its staff can support; an EHCP adds funded support.
Specialist settings meet more. A child waiting for NHS therapy loses some support.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sendsim.model.codes import N_PLACE, Need, Place, Sen, member
from sendsim.model.levers import change
from sendsim.model.ops import count_by

if TYPE_CHECKING:
    from sendsim.config.schema import SupportParams
    from sendsim.model.model import SendModel

UNMET_BITS = np.uint16(0x0FFF)  # the last 12 months


def step_support(model: SendModel) -> None:
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
    level[in_school] = school_level(model, place, sen, school)[at]
    team = model.schools.mhst_draw[at] < pol.workforce.mental_health_support_teams
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


def school_level(
    model: SendModel, place: np.ndarray, sen: np.ndarray, school: np.ndarray
) -> np.ndarray:
    """Need level each mainstream school meets at SEN support, given its SEN load.

    ``place``, ``sen`` and ``school`` describe the children with a need (``model.needy``).
    Staff training and inclusion in inspection raise capability; qualified SENCos raise how
    many pupils a school can support before its support thins out.
    """
    schools, s = model.schools, model.cfg.behaviour.support
    fx, pol = model.cfg.behaviour.effects, model.policy
    capability = schools.capability + fx.training_capability * change(
        pol, "inclusion.staff_training_coverage"
    )
    drift = fx.inspection_capability_per_year * model.years_of_reform
    capability += np.clip(drift * change(pol, "powers.inclusion_in_inspection"), -0.15, 0.15)
    capacity_share = s.sen_capacity_share * (
        1 + fx.senco_capacity * change(pol, "inclusion.senco_qualified_share")
    )
    on_support = (
        (place == Place.MAINSTREAM) & (sen >= Sen.SUPPORT) & (sen < Sen.EHCP) & (school >= 0)
    )
    load = count_by(school[on_support], schools.n) / np.maximum(
        capacity_share * schools.pupils, 1.0
    )
    factor = np.clip(1.0 / np.maximum(load, 1e-9), s.min_load_factor, 1.0)
    return np.clip(capability, 0.05, 0.95) * factor
