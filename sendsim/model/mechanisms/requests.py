"""Requests for an EHC needs assessment, and the council's decision whether to assess.

Families and schools ask when need on SEN support stays unmet; schools ask more once a pupil's
support costs more than the notional SEN threshold the school must meet itself (a cash sum,
while support costs grow with pay, so it is reached at ever lower need); families ask
more when trust in the local system is low. Propensity varies by age band and need type, and
each council's follows its fitted trend, which saturates (``trend_ceiling``: the form
:mod:`sendsim.demand` chose by out-of-sample fit). The council decides within six weeks (the next
month, :meth:`Council.refusal_probability`): it refuses more often for lower needs and, in
deficit, tightens its gatekeeping.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sendsim.config.params import param, profile
from sendsim.data.areas import BAND_OF_AGE
from sendsim.model.codes import STATUTORY_WEEKS, Need, Place, Rate, Sen
from sendsim.model.institutions.council import Council
from sendsim.model.mechanism import ChildField, Mechanism
from sendsim.model.operations import cases
from sendsim.model.ops import (
    WEEKS_PER_MONTH,
    count_by,
    rank_within,
    sampling_key,
    saturating_multiple,
)
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
        label="Cost of the extra support a need level requires in mainstream, at the start "
        "(growing with `finance.cost_inflation_per_year`)",
        source="Assumption: at need level 0.5 it reaches the £6,000 threshold "
        "[dfe-hn-operational-guide]",
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
    trend_ceiling: float = param(
        1.25,
        1.1,
        3.0,
        unit="ratio to the starting propensity",
        label="Ceiling of each council's request propensity relative to the start (the floor "
        "is its inverse): the fitted trend saturates towards it",
        source="Estimated by sendsim/demand.py: of no trend, constant growth, linear, damped "
        "and saturating trends fitted to each council's history to 2018, the saturating trend "
        "with this ceiling forecast 2019-2022 requests and new plans best (docs/backtest.md)",
    )
    weight_by_age_band: list[float] = profile(
        (31.5, 1.0, 1.39, 0.41, 1.0),
        0.0,
        50.0,
        unit="relative to ages 5-10, by SEN2 age band (under 5, 5-10, 11-15, 16-19, 20-25)",
        label="Request propensity by age band (England's; councils' fitted mixes multiply it)",
        source="Fitted by sendsim calibrate to England's new plans by age band in 2022 "
        "(sendsim/data/raw/dfe-ehcp/newplans.csv): the 2022 fit corrects it by less than 10% "
        "(tests/test_calibration.py); 20-25: no one of that age is put forward, so 1",
    )
    weight_by_age_under_5: list[float] = profile(
        (0.023, 0.023, 0.114, 1.0, 1.0),
        0.0,
        10.0,
        unit="relative to the band's propensity, by academic age 0-4",
        label="Request propensity at each age under 5 (plans for young children are mostly "
        "made in the year before school and in Reception)",
        source="SEN2's new plans by single age in 2022, each counted at the age on 31 August "
        "of its year [sen2-guide] (sendsim/data/raw/dfe-ehcp/newplans.csv): ages 4-7 give "
        "the year before school about as many plans a month as Reception, so 1 at age 3; "
        "ages 0-2 fitted by sendsim.early_years to the shares under 5 (2 and under 1.3%, "
        "3 15.2%, 4 83.5%)",
    )
    weight_by_need: list[float] = profile(
        (1.0,) * 12,
        0.2,
        3.0,
        unit="relative, by primary need (ASD, SLCN, SEMH, MLD, SLD, PMLD, SpLD, PD, HI, VI, "
        "MSI, other)",
        label="Request propensity by primary need type, beyond its need level",
        source="Assumption: alike; the repository holds no requests or new plans by need type, "
        "and need types already differ in need level (behaviour.needs.level_shift_by_need)",
    )
    open_request_weeks: float = param(
        2.0,
        0.0,
        4.0,
        unit="weeks",
        label="Age of a request awaiting the council's decision in the starting January",
        source="Assumption: half a month, on average",
    )


FIRST_YEAR_MIDDLE = 5.5  # months: the centre of the run's first twelve months

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
    20 weeks (see :mod:`.assessment`); each is part-way through its work. The children are
    drawn from those on SEN support as requests are, in proportion to their propensity.
    """
    ch, f, prof = model.children, model.sample_fraction, model.profiles
    speed = initial_speed(model, prof.within_20_weeks_share)
    per_month = prof.assessments_per_year / 12.0 * f
    open_requests = prof.requests_per_year / 12.0 * f
    open_assessments = per_month * cases.casework_weeks(model) / (WEEKS_PER_MONTH * speed)
    support_kids = np.flatnonzero(ch.sen == Sen.SUPPORT)
    la = ch.la[support_kids]
    u = model.streams.uniform("init.case", ch.uid[support_kids])
    weight = request_weight(model, support_kids)
    rank = rank_within(la.astype(np.int64), sampling_key(u, weight))
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
    costly = (ch.place[idx] == Place.MAINSTREAM) & (support_cost_gbp(model) * severity > threshold)
    weight *= 1 + p.school_incentive * costly
    weight *= 1 + p.trust_weight * (1 - c.trust[ch.la[idx]])
    band = BAND_OF_AGE[ch.age[idx]]
    weight *= np.asarray(p.weight_by_age_band)[band] * c.request_age_factor[ch.la[idx], band]
    under_5 = ch.age[idx] < len(p.weight_by_age_under_5)
    weight[under_5] *= np.asarray(p.weight_by_age_under_5)[ch.age[idx][under_5]]
    by_need = np.ones(Need.count())
    by_need[Need.NONE + 1 :] = p.weight_by_need
    weight *= by_need[ch.need[idx]]
    # national standards raise families' expectations (brief ¶7)
    return weight * (
        1 + model.cfg.behaviour.effects.standards_expectations * pol.standards.national_standards
    )


def support_cost_gbp(model: SendModel) -> float:
    """This month's cost of the extra support a need level requires in mainstream: it grows
    with pay, as a school's other costs do."""
    growth = model.cfg.finance.cost_inflation_per_year
    cost = model.cfg.behaviour.requests.support_cost_per_need_gbp
    return cost * (1 + growth) ** (model.months_elapsed / 12)


def trend_multiple(model: SendModel) -> np.ndarray:
    """Each council's request propensity relative to the first year's: growing at first by
    its fitted yearly growth (``request_trend``) and saturating towards ``trend_ceiling``,
    counted from the middle of the first year (whose published requests the calibration
    matches), as :mod:`sendsim.demand` scored the form."""
    years = (model.months_elapsed - FIRST_YEAR_MIDDLE) / 12
    ceiling = model.cfg.behaviour.requests.trend_ceiling
    return saturating_multiple(model.councils.request_trend, years, ceiling)


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
    scale = c.request_scale * trend_multiple(model) * np.exp(c.yearly_shift[:, Rate.REQUESTS])
    weight = scale[ch.la[idx]] * request_weight(model, idx)
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
