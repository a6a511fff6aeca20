"""Requests for an EHC needs assessment, and the council's decision whether to assess.

Families and schools ask when need on SEN support stays unmet; schools ask more once a pupil's
support costs more than the notional SEN threshold the school must meet itself; families ask
more when trust in the local system is low. The council decides within six weeks (the next
month, :meth:`Council.refusal_probability`): it refuses more often for lower needs and, in
deficit, tightens its gatekeeping.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sendsim.config.params import param
from sendsim.model.codes import STATUTORY_WEEKS, Place, Sen
from sendsim.model.institutions.council import Council
from sendsim.model.mechanism import ChildField, Mechanism
from sendsim.model.operations import cases
from sendsim.model.ops import WEEKS_PER_MONTH, count_by, rank_within
from sendsim.model.recording import count

if TYPE_CHECKING:
    from sendsim.model.model import SendModel


@dataclass
class RequestParams:
    """Who is put forward for assessment, and how often."""

    severity_weight: float = param(
        2.0,
        0.0,
        6.0,
        unit="multiplier per need level",
        label="How much more likely a request is for a higher need",
        source="Assumption",
    )
    met_need_weight: float = param(
        0.1,
        0.0,
        1.0,
        unit="ratio",
        label="Request propensity when needs are met, relative to unmet",
        source="Assumption",
    )
    school_incentive: float = param(
        0.5,
        0.0,
        2.0,
        unit="multiplier",
        label="Extra request propensity when support costs exceed the notional threshold",
        source="[dfe-hn-operational-guide]: the school meets the first £6,000; assumption for "
        "the size",
    )
    support_cost_per_need_gbp: float = param(
        12000.0,
        4000.0,
        30000.0,
        unit="GBP per year per need level",
        label="Cost of the extra support a need level requires in mainstream",
        source="Assumption",
    )
    trust_weight: float = param(
        0.5,
        0.0,
        2.0,
        unit="multiplier",
        label="Extra requests and appeals when families' trust in the local system is low",
        source="Assumption",
    )
    refusal_cooldown_months: int = param(
        6,
        0,
        24,
        unit="months",
        label="Months before a family asks again after a refusal",
        source="Assumption",
    )
    max_monthly_chance: float = param(
        0.5,
        0.1,
        1.0,
        unit="probability per month",
        label="Highest monthly chance that a child is put forward for assessment",
        source="Assumption: a cap on the request hazard for the neediest children",
    )
    open_request_weeks: float = param(
        2.0,
        0.0,
        4.0,
        unit="weeks",
        label="Age of a request awaiting the council's decision in the starting January",
        source="Assumption: half a month, on average",
    )


FIELDS = {
    "cooldown": ChildField(np.int8, 0, "months before the family asks again after a refusal"),
}

METRICS = (
    count("requests", "Requests for EHC needs assessment received", "flow"),
    count("refusals_to_assess", "Requests the council refused to assess", "flow"),
)


# -- the January position ------------------------------------------------------------------
def build(model: SendModel) -> None:
    """Cases open in January, and each council's request propensity that reproduces its
    published requests from the children on SEN support."""
    ch, c, prof = model.children, model.councils, model.profiles
    open_cases(model)
    idx = request_candidates(model)
    weight = count_by(ch.la[idx], c.n, request_weight(model, idx))
    c.request_scale[:] = (
        prof.requests_per_year * model.sample_fraction / 12.0 / np.maximum(weight, 1e-9)
    )


def open_cases(model: SendModel) -> None:
    """Requests and assessments in progress in January.

    A month of requests awaits a decision. Open assessments are as many as keep the council's
    published throughput busy at the speed that reproduces its share of plans issued within
    20 weeks (see :mod:`.assessment`); each is part-way through its work.
    """
    ch, f, prof = model.children, model.sample_fraction, model.profiles
    speed = initial_speed(model, prof.within_20_weeks_share)
    per_month = prof.assessments_per_year / 12.0 * f
    open_requests = prof.requests_per_year / 12.0 * f
    open_assessments = per_month * cases.casework_weeks(model) / (WEEKS_PER_MONTH * speed)
    support_kids = np.flatnonzero(ch.sen == Sen.SUPPORT)
    la = ch.la[support_kids]
    priority = ch.severity[support_kids] + model.streams.uniform("init.case", ch.uid[support_kids])
    rank = rank_within(la.astype(np.int64), priority)
    requested = support_kids[rank < open_requests[la]]
    assessing = support_kids[
        (rank >= open_requests[la]) & (rank < (open_requests + open_assessments)[la])
    ]
    cases.open_case(model, np.concatenate([requested, assessing]))
    ch.weeks[requested] = model.cfg.behaviour.requests.open_request_weeks
    ch.sen[assessing] = Sen.ASSESSING
    ch.due_weeks[assessing] -= WEEKS_PER_MONTH  # the decision to assess has been made
    done_share = model.streams.uniform("init.progress", ch.uid[assessing])
    work_done = done_share * ch.due_weeks[assessing]
    ch.due_weeks[assessing] -= work_done
    ch.weeks[assessing] = WEEKS_PER_MONTH + work_done / speed[ch.la[assessing]]


def initial_speed(model: SendModel, within_20_weeks: np.ndarray) -> np.ndarray:
    """Speed at which cases (exponential extra time) finish within 20 weeks as published."""
    a = model.cfg.behaviour.assessment
    weeks = a.min_weeks - a.extra_weeks_mean * np.log1p(-np.clip(within_20_weeks, 0.01, 0.99))
    return np.clip(weeks / STATUTORY_WEEKS, a.min_initial_speed, 1.0)


# -- each month ----------------------------------------------------------------------------
def step(model: SendModel) -> None:
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
    chance = np.minimum(weight, model.cfg.behaviour.requests.max_monthly_chance)
    asked = idx[model.streams.uniform("request", ch.uid[idx], model.months_elapsed) < chance]
    cases.open_case(model, asked)
    model.flows.add("requests", ch.la[asked])


def decide(model: SendModel) -> None:
    """Requests made last month are refused or go to assessment."""
    ch, c, r = model.children, model.councils, model.cfg.behaviour.requests
    idx = model.needy[ch.sen[model.needy] == Sen.REQUESTED]
    ch.weeks[idx] += WEEKS_PER_MONTH
    ch.due_weeks[idx] -= WEEKS_PER_MONTH  # deciding is part of the case's work
    u = model.streams.uniform("refuse", ch.uid[idx], model.months_elapsed)
    refused = u < Council.refusal_probability(model, idx)
    no = idx[refused]
    ch.sen[no] = Sen.SUPPORT
    ch.cooldown[no] = r.refusal_cooldown_months
    ch.sen[idx[~refused]] = Sen.ASSESSING
    accepted = count_by(ch.la[idx[~refused]], c.n)
    c.assessment_demand += (accepted - c.assessment_demand) / 12.0  # 12-month moving average
    model.flows.add("refusals_to_assess", ch.la[no])
    cases.dispute(model, no, cases.Appeal.REFUSAL)


MECHANISM = Mechanism(
    name="requests",
    step=step,
    params=RequestParams,
    fields=FIELDS,
    metrics=METRICS,
    build=build,
)
