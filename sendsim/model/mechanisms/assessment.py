"""EHC needs assessments, slowed by the council's capacity; plans issued or not.

Each case needs a certain number of weeks of work (``due_weeks``) if the council is not
overloaded: the six-week decision, advice from educational psychologists, health and care,
drafting. A council has capacity for so many weeks of casework a month, set by its
educational psychologists and case officers (:mod:`.workforce`). When open cases need more,
every case slows, cases still inside the statutory 20 weeks less than overdue ones
(``on_time_weight``). The share of plans issued within 20 weeks then falls as demand outruns
capacity, and a backlog of overdue cases builds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import expit

from sendsim.config.params import param
from sendsim.data.areas import AGE_BAND_LABELS, NEW_PLANS_BY_BAND, NEW_PLANS_UNDER_5_BY_AGE
from sendsim.model.codes import PLACE_LABELS, STATUTORY_WEEKS, Sen
from sendsim.model.mechanism import ChildField, Mechanism
from sendsim.model.operations import cases
from sendsim.model.ops import WEEKS_PER_MONTH, count_by
from sendsim.model.recording import Census, count, internal, ratio

if TYPE_CHECKING:
    from sendsim.model.model import SendModel


@dataclass
class AssessmentParams:
    """How long assessments take, and which end in a plan."""

    refusal_severity_slope: float = param(
        6.0,
        0.0,
        15.0,
        unit="log-odds per need level",
        label="How much less likely councils refuse to assess higher needs",
        source="Assumption; each council's mean refusal rate is its 2022 rate "
        "(sendsim/data/raw/dfe-ehcp/requests.csv)",
    )
    min_weeks: float = param(
        10.0,
        6.0,
        20.0,
        unit="weeks",
        label="Shortest time from request to final plan, without backlogs",
        source="Assumption: the 6-week decision plus advice gathering",
    )
    extra_weeks_mean: float = param(
        6.0,
        1.0,
        30.0,
        unit="weeks",
        label="Mean extra time of a case beyond the shortest (exponential), without backlogs",
        source="Assumption: ~80% of plans within 20 weeks without backlogs, as the best councils",
    )
    issue_severity_slope: float = param(
        4.0,
        0.0,
        10.0,
        unit="log-odds per need level",
        label="How much more likely a plan is issued after assessment for higher needs",
        source="Assumption; each council's mean rate is its 2022 rate "
        "(sendsim/data/raw/dfe-ehcp/assessments.csv)",
    )
    on_time_weight: float = param(
        8.0,
        1.0,
        20.0,
        unit="ratio",
        label="How much faster councils work cases inside 20 weeks than overdue ones",
        source="Estimated: of 4, 8, 12 and 16, the weight with which a run from January 2019 "
        "forecasts England's share of plans issued within 20 weeks in 2020-2022 best "
        "(sendsim/data/raw/dfe-ehcp/timeliness_20_week.csv; docs/backtest.md)",
    )
    capacity_headroom: float = param(
        1.0,
        0.5,
        2.0,
        unit="ratio",
        label="Assessment capacity relative to each council's 2022 throughput",
        source="sendsim/data/raw/dfe-ehcp/assessments.csv (2022 assessments completed)",
    )
    refusal_reference_level: float = param(
        0.5,
        0.2,
        0.8,
        unit="need level",
        label="Need level at which a council refuses to assess at its published rate",
        source="Assumption",
    )
    issue_reference_level: float = param(
        0.6,
        0.3,
        0.9,
        unit="need level",
        label="Need level at which an assessment ends in a plan at the council's published rate",
        source="Assumption: typical need level of an assessed child",
    )
    min_initial_speed: float = param(
        0.3,
        0.1,
        1.0,
        unit="share of full speed",
        label="Slowest casework speed a council is started at (from its 20-week share)",
        source="Assumption: the councils slowest in 2022 worked at about a third of full speed",
    )


FIELDS = {
    "weeks": ChildField(np.float32, 0.0, "weeks since the EHC needs assessment request"),
    "due_weeks": ChildField(np.float32, 0.0, "weeks of work this case needs before a decision"),
}

METRICS = (
    count("assessment_backlog", "Requests and assessments open (awaiting a decision)", "stock"),
    count("waiting_over_20_weeks", "Open requests older than 20 weeks", "stock"),
    count("assessments", "EHC needs assessments completed", "flow"),
    count("new_plans", "New EHC plans issued", "flow"),
    *(
        count(name, f"New EHC plans issued to children aged {label} (on 31 August)", "flow")
        for name, label in zip(NEW_PLANS_BY_BAND, AGE_BAND_LABELS, strict=True)
    ),
    *(internal(name, "flow") for name in NEW_PLANS_UNDER_5_BY_AGE.values()),
    *(
        count(name, f"New EHC plans placed in {PLACE_LABELS[place].lower()}", "flow")
        for place, name in cases.PLACED_NEW_PLANS.items()
    ),
    count("plans_not_issued", "Assessments completed without issuing a plan", "flow"),
    count("issued_within_20_weeks", "New plans issued within 20 weeks of the request", "flow"),
    ratio(
        "issued_within_20_weeks_share",
        "share",
        "Share of new plans issued within 20 weeks",
        "issued_within_20_weeks",
        "new_plans",
        timing="flow",
    ),
)


def step(model: SendModel) -> None:
    """Advance every open case at its council's speed; conclude those whose work is done."""
    ch = model.children
    needy = model.needy
    open_cases = needy[ch.sen[needy] == Sen.ASSESSING]
    ch.weeks[open_cases] += WEEKS_PER_MONTH
    ch.due_weeks[open_cases] -= WEEKS_PER_MONTH * speed(model, open_cases)
    done = open_cases[ch.due_weeks[open_cases] <= 0]
    model.flows.add("assessments", ch.la[done])
    conclude(model, done)


def speed(model: SendModel, open_cases: np.ndarray) -> np.ndarray:
    """Share of a full month's work each open case gets (1 = not slowed by capacity).

    Weighted sharing: a case inside 20 weeks gets ``on_time_weight`` times the speed of an
    overdue one, up to full speed; capacity an on-time case cannot use goes to overdue ones.
    """
    ch, c = model.children, model.councils
    weight = model.cfg.behaviour.assessment.on_time_weight
    la = ch.la[open_cases]
    work = np.minimum(ch.due_weeks[open_cases], WEEKS_PER_MONTH)
    overdue = ch.weeks[open_cases] > STATUTORY_WEEKS
    on_time_load = count_by(la[~overdue], c.n, work[~overdue])
    overdue_load = count_by(la[overdue], c.n, work[overdue])
    capacity = capacity_weeks(model)
    base = _ratio(capacity, weight * on_time_load + overdue_load)  # speed of an overdue case
    on_time = np.minimum(weight * base, 1.0)
    late = np.where(weight * base > 1.0, _ratio(capacity - on_time_load, overdue_load), base)
    return np.where(overdue, np.minimum(late, 1.0)[la], on_time[la])


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.full(len(num), np.inf), where=den > 0)


def capacity_weeks(model: SendModel) -> np.ndarray:
    """Weeks of casework each council's staff can do this month (see :mod:`.workforce`)."""
    return model.councils.assessment_capacity * cases.casework_weeks(model)


def conclude(model: SendModel, idx: np.ndarray) -> None:
    """Issue a plan (more likely for higher needs) or return the child to SEN support."""
    ch, c = model.children, model.councils
    a = model.cfg.behaviour.assessment
    logit = c.issue_logit[ch.la[idx]] + a.issue_severity_slope * (
        ch.severity[idx] - a.issue_reference_level
    )
    issue = model.streams.uniform("issue", ch.uid[idx], model.months_elapsed) < expit(logit)
    cases.issue_plan(model, idx[issue])
    declined = idx[~issue]
    ch.sen[declined] = Sen.SUPPORT
    model.flows.add("plans_not_issued", ch.la[declined])
    cases.dispute(model, declined, cases.Appeal.NOT_ISSUED)


def count_stocks(model: SendModel, census: Census) -> dict[str, np.ndarray]:
    """Open cases, and those past the statutory 20 weeks."""
    ch, by_sen, sen = model.children, census.by_sen, census.sen
    open_case = census.idx[(sen == Sen.REQUESTED) | (sen == Sen.ASSESSING)]
    late = open_case[ch.weeks[open_case] > STATUTORY_WEEKS]
    return {
        "assessment_backlog": by_sen[:, Sen.REQUESTED] + by_sen[:, Sen.ASSESSING],
        "waiting_over_20_weeks": count_by(ch.la[late], census.n),
    }


MECHANISM = Mechanism(
    name="assessment",
    step=step,
    params=AssessmentParams,
    fields=FIELDS,
    metrics=METRICS,
    count=count_stocks,
)
