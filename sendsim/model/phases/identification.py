"""Identification: health visitors (ages 0-3), schools and school nurses, post-16 providers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sendsim.model.codes import EDUCATION_PLACES, POST16_START_AGE, SCHOOL_START_AGE, Sen, member
from sendsim.model.levers import change
from sendsim.model.ops import per_month

if TYPE_CHECKING:
    from sendsim.model.model import SendModel


def step_identification(model: SendModel) -> None:
    """Unidentified needs are noticed at a rate set by age, need level and the workforce.

    The workforce ratios (``policy.workforce``) scale the rate with an elasticity: fewer health
    visitors mean needs at ages 0-3 are noticed later, by which time unmet need has escalated.
    The early years inclusion fund helps settings notice needs too.
    """
    ch, pol = model.children, model.policy
    p, w = model.cfg.behaviour.identification, pol.workforce
    fund = 1 + model.cfg.behaviour.effects.early_years_identification * change(
        pol, "early_years.inclusion_fund"
    )
    needy = model.needy
    hidden = needy[(ch.sen[needy] == Sen.NONE) & member(ch.place[needy], EDUCATION_PLACES)]
    age = ch.age[hidden]
    rate = np.select(
        [age < SCHOOL_START_AGE, age < POST16_START_AGE],
        [
            p.early_years_per_year * w.health_visitors**p.workforce_elasticity * max(fund, 0.0),
            # teachers and SENCos notice most needs; school nurses (assumption: 30%) the rest
            p.school_per_year * (0.7 + 0.3 * w.school_nurses**p.workforce_elasticity),
        ],
        p.post16_per_year,
    )
    chance = per_month(rate * (0.5 + ch.severity[hidden]))
    u = model.streams.uniform("identify", ch.uid[hidden], model.months_elapsed)
    found = hidden[u < chance]
    ch.sen[found] = Sen.SUPPORT
    ch.had_sen[found] = True
    model.flows.add("identifications", ch.la[found])
