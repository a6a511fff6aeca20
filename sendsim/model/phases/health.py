"""NHS therapy (speech and language, occupational therapy, physiotherapy, CAMHS) from ICBs.

Identified needs of therapy-relevant types are referred; each ICB starts as many courses a
month as its capacity allows, longest wait first. Waiting costs support (see support phase);
a completed course lowers the need level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sendsim.model.codes import Need, Sen, member
from sendsim.model.levers import change, ratio
from sendsim.model.ops import allocate, count_by, per_month

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

THERAPY_NEEDS = (Need.SLCN, Need.ASD, Need.SEMH, Need.PD, Need.SLD, Need.PMLD, Need.MSI)


def referral_candidates(model: SendModel) -> np.ndarray:
    ch, n = model.children, model.needy
    return n[
        (ch.sen[n] >= Sen.SUPPORT)
        & (ch.therapy_wait[n] < 0)
        & (ch.therapy_left[n] == 0)
        & (ch.severity[n] >= model.cfg.behaviour.health.referral_min_level)
        & member(ch.need[n], THERAPY_NEEDS)
    ]


def refer(model: SendModel) -> None:
    """Identified therapy-relevant needs join the waiting list; mental health support teams in
    schools meet some SEMH needs that would otherwise be referred to CAMHS."""
    ch, p = model.children, model.cfg.behaviour.health
    idx = referral_candidates(model)
    teams = change(model.policy, "workforce.mental_health_support_teams")
    semh = 1 - model.cfg.behaviour.effects.mhst_referral_reduction * teams
    chance = per_month(p.referral_per_year) * np.where(ch.need[idx] == Need.SEMH, semh, 1.0)
    u = model.streams.uniform("therapy_referral", ch.uid[idx], model.months_elapsed)
    ch.therapy_wait[idx[u < chance]] = 0


def capacity_factor(model: SendModel) -> float:
    """Therapy capacity relative to 2022: therapists, and ICBs under backstop powers."""
    powers = model.policy.powers.icb_backstop_powers
    gain = 1 + model.cfg.behaviour.effects.icb_capacity_gain * powers
    return ratio(model.policy, "workforce.therapists") * gain


def step_health(model: SendModel) -> None:
    """Courses finish, referrals join the list, ICBs start courses within capacity."""
    ch, p, icbs = model.children, model.cfg.behaviour.health, model.icbs
    needy = model.needy
    treated = needy[ch.therapy_left[needy] > 0]
    ch.therapy_left[treated] -= 1
    done = treated[ch.therapy_left[treated] == 0]
    ch.severity[done] = np.maximum(ch.severity[done] - p.improvement, 0.02)

    refer(model)
    waiting = needy[ch.therapy_wait[needy] >= 0]
    icb = model.councils.icb[ch.la[waiting]]
    capacity = icbs.capacity * capacity_factor(model)
    icbs.credit += capacity
    start = waiting[allocate(icb, ch.therapy_wait[waiting], icbs.credit)]
    icbs.credit -= count_by(model.councils.icb[ch.la[start]], icbs.n)
    np.minimum(icbs.credit, np.maximum(capacity, 1.0), out=icbs.credit)  # idle time is lost
    ch.therapy_wait[start] = -1
    ch.therapy_left[start] = p.course_months
    still = waiting[ch.therapy_wait[waiting] >= 0]
    ch.therapy_wait[still] += 1
