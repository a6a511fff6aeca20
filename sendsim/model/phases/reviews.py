"""Annual reviews of plans, and ceasing plans when needs are met or education ends."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sendsim.model.codes import Place, Sen

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

NEEDS_MET_LEVEL = 0.3  # below this a plan may cease as needs are met (assumption)
ADULT_AGE = 19


def step_reviews(model: SendModel) -> None:
    """Plans reaching an anniversary are reviewed; some cease."""
    ch, p = model.children, model.cfg.behaviour.reviews
    plans = np.flatnonzero(ch.sen == Sen.EHCP)
    ch.plan_months[plans] += 1
    due = plans[ch.plan_months[plans] % 12 == 0]
    u = model.streams.uniform("review", ch.uid[due], model.months_elapsed)
    met = (ch.severity[due] < NEEDS_MET_LEVEL) & (u < p.cease_needs_met_per_year)
    out_of_education = (ch.age[due] >= ADULT_AGE) & np.isin(ch.place[due], (Place.EMPLOYMENT, Place.NEET))
    left = out_of_education & (u < p.cease_left_education_per_year)
    cease(model, due[met], Sen.SUPPORT)
    cease(model, due[left & ~met], Sen.NONE)


def cease(model: SendModel, idx: np.ndarray, status: Sen) -> None:
    """End plans ``idx``; the children return to SEN support (or none, once out of education)."""
    ch = model.children
    ch.sen[idx] = status
    model.flows.add("ceased_plans", ch.la[idx])
