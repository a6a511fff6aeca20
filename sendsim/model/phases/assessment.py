"""EHC needs assessments, slowed by the council's capacity; plans issued or not.

Each case needs a certain number of weeks of work (``due_weeks``) if the council is not
overloaded: the six-week decision, advice from educational psychologists, health and care,
drafting. A council has capacity for so many weeks of casework a month (educational
psychologists, caseworkers). When open cases need more, every case slows, cases still inside
the statutory 20 weeks less than overdue ones (``on_time_weight``). The share of plans issued
within 20 weeks then falls as demand outruns capacity, and a backlog of overdue cases builds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import expit

from sendsim.model.codes import STATUTORY_WEEKS, Sen
from sendsim.model.levers import ratio
from sendsim.model.ops import WEEKS_PER_MONTH, count_by
from sendsim.model.phases import placement, redress

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

ISSUE_REFERENCE_LEVEL = 0.6  # typical need level of an assessed child: issued at the council's rate


def mean_work_weeks(model: SendModel) -> float:
    """Average weeks of work a case needs after the decision to assess, without backlogs."""
    a = model.cfg.behaviour.assessment
    return a.min_weeks + a.extra_weeks_mean - WEEKS_PER_MONTH


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
    """Weeks of casework each council can do this month."""
    workforce = ratio(model.policy, "workforce.educational_psychologists")
    return model.councils.assessment_capacity * workforce * mean_work_weeks(model)


def step_assessment(model: SendModel) -> None:
    """Advance every open case at its council's speed; conclude those whose work is done."""
    ch = model.children
    needy = model.needy
    open_cases = needy[ch.sen[needy] == Sen.ASSESSING]
    ch.weeks[open_cases] += WEEKS_PER_MONTH
    ch.due_weeks[open_cases] -= WEEKS_PER_MONTH * speed(model, open_cases)
    done = open_cases[ch.due_weeks[open_cases] <= 0]
    model.flows.add("assessments", ch.la[done])
    conclude(model, done)


def conclude(model: SendModel, idx: np.ndarray) -> None:
    """Issue a plan (more likely for higher needs) or return the child to SEN support."""
    ch, c = model.children, model.councils
    slope = model.cfg.behaviour.assessment.issue_severity_slope
    logit = c.issue_logit[ch.la[idx]] + slope * (ch.severity[idx] - ISSUE_REFERENCE_LEVEL)
    issue = model.streams.uniform("issue", ch.uid[idx], model.months_elapsed) < expit(logit)
    issue_plan(model, idx[issue])
    declined = idx[~issue]
    ch.sen[declined] = Sen.SUPPORT
    model.flows.add("plans_not_issued", ch.la[declined])
    redress.dispute(model, declined, redress.Appeal.NOT_ISSUED)


def issue_plan(model: SendModel, idx: np.ndarray, dispute: bool = True) -> None:
    """A new EHC plan: placement is named, and (unless a tribunal ordered it) may be disputed."""
    ch = model.children
    ch.sen[idx] = Sen.EHCP
    ch.plan_months[idx] = 0
    ch.had_sen[idx] = True
    model.flows.add("new_plans", ch.la[idx])
    model.flows.add("issued_within_20_weeks", ch.la[idx[ch.weeks[idx] <= STATUTORY_WEEKS]])
    placement.place(model, idx)
    if dispute:
        redress.dispute(model, idx, redress.Appeal.PLAN)
