"""Outcomes: progress and wellbeing of children with SEND, and families' trust.

Progress follows the fit between need and support: a met need gives full progress, an unmet
need much less, and a more specialist setting than the need calls for a little less
(inclusion evidence); once education ends (work or NEET) it holds as the young person left
it. Wellbeing falls with unmet need, therapy waits, placements far from home and NEET. Both
are 12-month moving averages, starting where a year in today's circumstances leaves them.
Families' trust follows timeliness.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sendsim.config.params import param
from sendsim.model.codes import EDUCATION_ENDED, Place, Sen, member
from sendsim.model.mechanism import ChildField, Mechanism
from sendsim.model.ops import count_by, per_month
from sendsim.model.recording import Census, internal, ratio

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

SMOOTHING = 1.0 / 12.0  # weight of this month in the 12-month averages
SPECIALIST = (Place.RESOURCED, Place.STATE_SPECIAL, Place.INDEPENDENT)
YOUNG_ADULTS = 2  # the census age group of young people aged 16-25


@dataclass
class OutcomeParams:
    """How progress and wellbeing follow support."""

    wellbeing_loss_unmet: float = param(
        0.5,
        0.0,
        1.0,
        unit="index",
        label="Wellbeing lost in a month of unmet need",
        source="Assumption",
    )
    wellbeing_loss_waiting: float = param(
        0.15,
        0.0,
        1.0,
        unit="index",
        label="Wellbeing lost in a month waiting for NHS therapy",
        source="Assumption",
    )
    wellbeing_loss_out_of_area: float = param(
        0.1,
        0.0,
        1.0,
        unit="index",
        label="Wellbeing lost in a month in a school outside the home council",
        source="Assumption",
    )
    wellbeing_loss_neet: float = param(
        0.3, 0.0, 1.0, unit="index", label="Wellbeing lost in a month of NEET", source="Assumption"
    )
    over_restrictive_fit: float = param(
        0.8,
        0.3,
        1.0,
        unit="index",
        label="Progress in a specialist placement when mainstream could meet the need",
        source="Assumption: inclusion evidence that lower needs progress best in mainstream",
    )
    unmet_fit: float = param(
        0.4,
        0.0,
        1.0,
        unit="index",
        label="Progress in a month of unmet need, relative to a met month",
        source="Assumption",
    )


FIELDS = {
    "progress": ChildField(np.float32, 1.0, "12-month average of progress fit, 0-1"),
    "wellbeing": ChildField(np.float32, 1.0, "12-month average of wellbeing, 0-1"),
}

METRICS = (
    internal("progress_sum"),
    internal("wellbeing_sum"),
    internal("send_16_25"),
    internal("neet_send_16_25"),
    ratio(
        "progress_index",
        "index 0-1",
        "Progress index of children with SEND over the last year (1 = need met throughout); "
        "their attainment reads it",
        "progress_sum",
        "send_children",
    ),
    ratio(
        "wellbeing_index",
        "index 0-1",
        "Wellbeing index of children with SEND",
        "wellbeing_sum",
        "send_children",
    ),
    ratio(
        "neet_rate_16_25",
        "share",
        "Share of young people aged 16-25 with SEND who are NEET",
        "neet_send_16_25",
        "send_16_25",
    ),
)


def build(model: SendModel) -> None:
    """Progress and wellbeing in January as a year in today's circumstances leaves them.
    Young people with SEND whose education had ended before the start hold the progress their
    need met at FE (with a plan's top-up), as those whose education ends later hold theirs."""
    ch = model.children
    idx = identified(model)
    progress, wellbeing = this_month(model, idx)
    ch.progress[idx] = progress
    ch.wellbeing[idx] = wellbeing
    n = model.needy
    left = n[ch.had_sen[n] & member(ch.place[n], EDUCATION_ENDED)]
    s = model.cfg.behaviour.support
    met_at_fe = s.level_post16 + s.ehcp_uplift * (ch.sen[left] == Sen.EHCP)
    unmet = ch.severity[left] > met_at_fe
    ch.progress[left] = np.where(unmet, model.cfg.behaviour.outcomes.unmet_fit, 1.0)


def step(model: SendModel) -> None:
    """Update progress (in education) and wellbeing of identified children, then council-level
    trust."""
    ch = model.children
    idx = identified(model)
    progress, wellbeing = this_month(model, idx)
    weight = np.float32(SMOOTHING)
    learning = ~member(ch.place[idx], EDUCATION_ENDED)
    kept = idx[learning]
    ch.progress[kept] += weight * (progress[learning] - ch.progress[kept])
    ch.wellbeing[idx] += weight * (wellbeing - ch.wellbeing[idx])
    update_trust(model)


def identified(model: SendModel) -> np.ndarray:
    """Children with identified SEND (sorted slots)."""
    return model.needy[model.children.sen[model.needy] >= Sen.SUPPORT]


def this_month(model: SendModel, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Progress fit and wellbeing of children ``idx`` in their circumstances this month."""
    ch, p, c = model.children, model.cfg.behaviour.outcomes, model.councils
    unmet, place, la = ch.unmet[idx], ch.place[idx], ch.la[idx]
    over = member(place, SPECIALIST) & (ch.severity[idx] < c.resourced_threshold[la])
    fit = np.where(unmet, p.unmet_fit, np.where(over, p.over_restrictive_fit, 1.0))
    away = np.zeros(len(idx), bool)
    away[np.searchsorted(idx, model.placed_away())] = True  # placed away: plans, so in idx
    loss = (
        p.wellbeing_loss_unmet * unmet
        + p.wellbeing_loss_waiting * (ch.therapy_wait[idx] >= 0)
        + p.wellbeing_loss_out_of_area * away
        + p.wellbeing_loss_neet * (place == Place.NEET)
    )
    return fit.astype(np.float32), (1.0 - loss).astype(np.float32)


def update_trust(model: SendModel) -> None:
    """Trust moves towards the share of this month's plans issued on time."""
    c, flows = model.councils, model.flows.totals
    issued = flows["new_plans"]
    timely = np.divide(
        flows["issued_within_20_weeks"], issued, out=c.trust.copy(), where=issued > 0
    )
    rate = per_month(model.cfg.behaviour.council.trust_adjust_per_year)
    c.trust += rate * (timely - c.trust)


def count_stocks(model: SendModel, census: Census) -> dict[str, np.ndarray]:
    """Sums of progress and wellbeing, and young people with SEND in and out of NEET."""
    ch, n = model.children, census.n
    send_la, send_idx = census.la[census.send], census.idx[census.send]
    young_send = census.tally[:, :, :, YOUNG_ADULTS, 1]
    return {
        "progress_sum": count_by(send_la, n, ch.progress[send_idx]),
        "wellbeing_sum": count_by(send_la, n, ch.wellbeing[send_idx]),
        "send_16_25": young_send.sum(axis=(1, 2, 3)),
        "neet_send_16_25": young_send[:, Place.NEET].sum(axis=(1, 2)),
    }


MECHANISM = Mechanism(
    name="outcomes",
    step=step,
    params=OutcomeParams,
    fields=FIELDS,
    metrics=METRICS,
    build=build,
    count=count_stocks,
)
