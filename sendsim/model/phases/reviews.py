"""Annual reviews of plans, and ceasing plans when needs are met or education ends."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sendsim.model.codes import ADULT_AGE, POST16_START_AGE, Place, Sen, member
from sendsim.model.ops import scale_share
from sendsim.model.phases import placement

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

PLAN_ONLY_PLACES = (
    Place.RESOURCED,
    Place.STATE_SPECIAL,
    Place.INDEPENDENT,
    Place.SPECIALIST_POST16,
)


def step_reviews(model: SendModel) -> None:
    """Plans reaching an anniversary are reviewed; some cease."""
    ch, p = model.children, model.cfg.behaviour.reviews
    plans = model.needy[ch.sen[model.needy] == Sen.EHCP]
    ch.plan_months[plans] += 1
    due = plans[ch.plan_months[plans] % 12 == 0]
    u = model.streams.uniform("review", ch.uid[due], model.months_elapsed)
    scale = model.councils.cease_scale[ch.la[due]]  # each council's fitted practice
    met_chance = scale_share(p.cease_needs_met_per_year, scale)
    met = (ch.severity[due] < p.needs_met_level) & (u < met_chance)
    out_of_education = (ch.age[due] >= ADULT_AGE) & member(
        ch.place[due], (Place.EMPLOYMENT, Place.NEET)
    )
    left = out_of_education & (u < scale_share(p.cease_left_education_per_year, scale))
    cease(model, due[met], Sen.SUPPORT)
    cease(model, due[left & ~met], Sen.NONE)
    model.flows.add("ceased_on_review", ch.la[due[met | left]])


def cease(model: SendModel, idx: np.ndarray, status: Sen) -> None:
    """End plans ``idx``; the children return to SEN support (or none, once out of education).

    Places that need a plan (resourced, special, specialist post-16) are given up, as are
    school sixth-form places (FE stands for post-16 education without a plan).
    """
    ch = model.children
    ch.sen[idx] = status
    model.flows.add("ceased_plans", ch.la[idx])
    post16 = ch.age[idx] >= POST16_START_AGE
    moving = idx[member(ch.place[idx], PLAN_ONLY_PLACES) & ~post16]
    placement.to_mainstream(model, moving)
    studying = idx[post16 & member(ch.place[idx], (*PLAN_ONLY_PLACES, Place.MAINSTREAM, Place.AP))]
    ch.place[studying] = Place.FE
    ch.school[studying] = -1
