"""Outcomes: progress and wellbeing of children with SEND, and families' trust.

Progress follows the fit between need and support: a met need gives full progress, an unmet
need much less, and a more specialist setting than the need calls for a little less
(inclusion evidence). Wellbeing falls with unmet need, therapy waits, placements far from home
and NEET. Both are 12-month moving averages. Families' trust follows timeliness.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sendsim.model.codes import Place, Sen, member
from sendsim.model.ops import per_month

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

SMOOTHING = 1.0 / 12.0  # weight of this month in the 12-month averages
SPECIALIST = (Place.RESOURCED, Place.STATE_SPECIAL, Place.INDEPENDENT)


def step_outcomes(model: SendModel) -> None:
    """Update progress and wellbeing of identified children, then council-level trust."""
    ch, p, c = model.children, model.cfg.behaviour.outcomes, model.councils
    idx = model.needy[ch.sen[model.needy] >= Sen.SUPPORT]
    unmet, place, la = ch.unmet[idx], ch.place[idx], ch.la[idx]
    over = member(place, SPECIALIST) & (ch.severity[idx] < c.resourced_threshold[la])
    fit = np.where(unmet, p.unmet_fit, np.where(over, p.over_restrictive_fit, 1.0))
    progress = ch.progress[idx]
    ch.progress[idx] = progress + np.float32(SMOOTHING) * (fit.astype(np.float32) - progress)
    away = np.zeros(len(idx), bool)
    away[np.searchsorted(idx, model.placed_away())] = True  # placed away: plans, so in idx
    loss = (
        p.wellbeing_loss_unmet * unmet
        + p.wellbeing_loss_waiting * (ch.therapy_wait[idx] >= 0)
        + p.wellbeing_loss_out_of_area * away
        + p.wellbeing_loss_neet * (place == Place.NEET)
    )
    wellbeing = ch.wellbeing[idx]
    ch.wellbeing[idx] = wellbeing + np.float32(SMOOTHING) * (
        (1.0 - loss).astype(np.float32) - wellbeing
    )
    update_trust(model)


def update_trust(model: SendModel) -> None:
    """Trust moves towards the share of this month's plans issued on time."""
    c, flows = model.councils, model.flows.totals
    issued = flows["new_plans"]
    timely = np.divide(
        flows["issued_within_20_weeks"], issued, out=c.trust.copy(), where=issued > 0
    )
    rate = per_month(model.cfg.behaviour.council.trust_adjust_per_year)
    c.trust += rate * (timely - c.trust)
