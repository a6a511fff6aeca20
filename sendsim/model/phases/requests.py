"""Requests for an EHC needs assessment, and the council's decision whether to assess.

Families and schools ask when need on SEN support stays unmet; schools ask more once a pupil's
support costs more than the notional SEN threshold the school must meet itself; families ask
more when trust in the local system is low. The council decides within six weeks (the next
month): it refuses more often for lower needs and, in deficit, tightens its gatekeeping.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import expit

from sendsim.model.codes import Place, Sen
from sendsim.model.ops import WEEKS_PER_MONTH, count_by
from sendsim.model.phases import redress

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

MAX_MONTHLY_REQUEST_CHANCE = 0.5
REFUSAL_REFERENCE_LEVEL = 0.5  # need level at which a council refuses at its average rate


def step_requests(model: SendModel) -> None:
    """Decide last month's requests, then take this month's."""
    decide(model)
    request(model)


def request_weight(model: SendModel, idx: np.ndarray) -> np.ndarray:
    """Relative propensity of children ``idx`` (on SEN support) to be put forward this month."""
    ch, c, pol = model.children, model.councils, model.policy
    p, threshold = model.cfg.behaviour.requests, pol.funding.notional_threshold_gbp
    severity = ch.severity[idx].astype(np.float64)
    weight = np.where(ch.unmet[idx], 1.0, p.met_need_weight) * (1 + p.severity_weight * severity)
    costly = (ch.place[idx] == Place.MAINSTREAM) & (
        p.support_cost_per_need_gbp * severity > threshold
    )
    weight *= 1 + p.school_incentive * costly
    weight *= 1 + p.trust_weight * (1 - c.trust[ch.la[idx]])
    # national standards raise families' expectations (brief ¶7)
    return weight * (
        1 + model.cfg.behaviour.effects.standards_expectations * pol.standards.national_standards
    )


def request_candidates(model: SendModel) -> np.ndarray:
    ch = model.children
    n = model.needy
    return n[(ch.sen[n] == Sen.SUPPORT) & (ch.cooldown[n] == 0) & (ch.appeal[n] == 0)]


def request(model: SendModel) -> None:
    """Children on SEN support are put forward for assessment."""
    ch, c = model.children, model.councils
    cooling = model.needy[ch.cooldown[model.needy] > 0]
    ch.cooldown[cooling] -= 1
    idx = request_candidates(model)
    trend = (1 + c.request_trend) ** (model.months_elapsed / 12)  # each council's fitted trend
    weight = (c.request_scale * trend)[ch.la[idx]] * request_weight(model, idx)
    chance = np.minimum(weight, MAX_MONTHLY_REQUEST_CHANCE)
    asked = idx[model.streams.uniform("request", ch.uid[idx], model.months_elapsed) < chance]
    start_case(model, asked)
    model.flows.add("requests", ch.la[asked])


def start_case(model: SendModel, idx: np.ndarray) -> None:
    """Open an EHC needs assessment request: the 20-week clock starts."""
    ch, a = model.children, model.cfg.behaviour.assessment
    ch.sen[idx] = Sen.REQUESTED
    ch.weeks[idx] = 0.0
    u = model.streams.uniform("case_length", ch.uid[idx], model.months_elapsed)
    saving = model.cfg.behaviour.effects.digital_time_saving * model.policy.standards.digital_ehcp
    ch.due_weeks[idx] = (a.min_weeks - a.extra_weeks_mean * np.log1p(-u)) * (1 - saving)


def refusal_probability(model: SendModel, idx: np.ndarray) -> np.ndarray:
    """Chance the council refuses to assess children ``idx``: its 2022 rate at the reference
    need level, lower for higher needs, higher when it gatekeeps against a deficit. National
    standards pull every council's practice towards the national rate."""
    ch, c, p = model.children, model.councils, model.cfg.behaviour.assessment
    la = ch.la[idx]
    local = 1 - model.policy.standards.national_standards
    national = model.national_refusal_logit
    logit = national + local * (c.refusal_logit[la] - national) + c.gatekeeping[la]
    logit += p.refusal_severity_slope * (REFUSAL_REFERENCE_LEVEL - ch.severity[idx])
    return expit(logit)


def decide(model: SendModel) -> None:
    """Requests made last month are refused or go to assessment."""
    ch, c, r = model.children, model.councils, model.cfg.behaviour.requests
    idx = model.needy[ch.sen[model.needy] == Sen.REQUESTED]
    ch.weeks[idx] += WEEKS_PER_MONTH
    ch.due_weeks[idx] -= WEEKS_PER_MONTH  # deciding is part of the case's work
    u = model.streams.uniform("refuse", ch.uid[idx], model.months_elapsed)
    refused = u < refusal_probability(model, idx)
    no = idx[refused]
    ch.sen[no] = Sen.SUPPORT
    ch.cooldown[no] = r.refusal_cooldown_months
    ch.sen[idx[~refused]] = Sen.ASSESSING
    accepted = count_by(ch.la[idx[~refused]], c.n)
    c.assessment_demand += (accepted - c.assessment_demand) / 12.0  # 12-month moving average
    model.flows.add("refusals_to_assess", ch.la[no])
    redress.dispute(model, no, redress.Appeal.REFUSAL)
