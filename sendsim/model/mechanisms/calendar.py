"""Calendar events: the academic year (September) and the financial year (April).

September: everyone ages a year; children start school, move to secondary school, to post-16
and out of school at 19; special schools open the places capital commissioned, and councils
resourced provision.
April: each council plans its year against its high needs income.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sendsim.dates import APRIL, SEPTEMBER
from sendsim.model.codes import (
    ADULT_AGE,
    MAX_AGE,
    POST16_START_AGE,
    SCHOOL_START_AGE,
    SECONDARY_START_AGE,
    Place,
    Sen,
    member,
)
from sendsim.model.institutions.council import Council
from sendsim.model.institutions.specialist import SpecialSchool
from sendsim.model.mechanism import Mechanism
from sendsim.model.operations import placing, population
from sendsim.model.ops import scale_share
from sendsim.model.recording import count

if TYPE_CHECKING:
    from sendsim.model.model import SendModel


METRICS = (count("aged_out", "Young people leaving the 0-25 age range", "flow"),)


def step(model: SendModel) -> None:
    """Run the events that fall in this month."""
    if model.month == SEPTEMBER:
        new_academic_year(model)
    if model.month == APRIL or model.months_elapsed == 0:
        new_financial_year(model)


def new_academic_year(model: SendModel) -> None:
    """Age everyone a year, move between phases, open new places."""
    ch = model.children
    ch.age += 1  # slots of children who have left too: they are dropped below
    leaving = np.flatnonzero(ch.active & (ch.age > MAX_AGE))
    model.flows.add_totals("aged_out", model.residents[:, MAX_AGE].astype(np.float64))
    model.residents[:, 1:] = model.residents[:, :-1].copy()
    model.residents[:, 0] = 0
    population.remove(model, leaving, counted=False)
    age = ch.age
    start_school(model, np.flatnonzero(ch.active & (age == SCHOOL_START_AGE)))
    year7 = np.flatnonzero(
        ch.active & (age == SECONDARY_START_AGE) & member(ch.place, placing.LADDER)
    )
    transfer_to_secondary(model, year7)
    placing.start_post16(model, np.flatnonzero(ch.active & (age == POST16_START_AGE)))
    leave_at_19(model, np.flatnonzero(ch.active & (age >= ADULT_AGE)))
    finish_post19_courses(model, np.flatnonzero(ch.active & (age > ADULT_AGE)))
    SpecialSchool.open_commissioned_places(model)
    Council.commission_resourced_places(model)
    ch.compact()
    model.set_needy(np.flatnonzero(ch.severity > 0))  # slots have moved
    model.schools.count_pupils(model)


def start_school(model: SendModel, idx: np.ndarray) -> None:
    ch = model.children
    plan = ch.sen[idx] == Sen.EHCP
    placing.place(model, idx[plan])
    placing.to_mainstream(model, idx[~plan & (ch.place[idx] == Place.EARLY_YEARS)])


def transfer_to_secondary(model: SendModel, idx: np.ndarray) -> None:
    """Year 6 to Year 7: a new school; plans with unmet need are reconsidered."""
    ch = model.children
    unmet_months = model.cfg.behaviour.placement.unmet_months_at_transfer
    struggling = (ch.sen[idx] == Sen.EHCP) & (
        np.bitwise_count(ch.unmet_history[idx]) >= unmet_months
    )
    placing.place(model, idx[struggling], escalate=True)
    rest = idx[~struggling & member(ch.place[idx], (Place.MAINSTREAM, Place.RESOURCED))]
    ch.school[rest] = -1
    placing.assign_school(model, rest)


def leave_at_19(model: SendModel, idx: np.ndarray) -> None:
    """Young people of 19 and over leave school; at 19, those without plans leave FE too."""
    ch = model.children
    in_school = member(ch.place[idx], (*placing.LADDER, Place.AP))
    plan = ch.sen[idx] == Sen.EHCP
    placing.place(model, idx[in_school & plan])
    nineteen = ch.age[idx] == ADULT_AGE
    placing.finish_education(
        model, idx[~plan & (in_school | (nineteen & (ch.place[idx] == Place.FE)))]
    )


def finish_post19_courses(model: SendModel, idx: np.ndarray) -> None:
    """Young people over 19 with plans in FE or specialist post-16 finish their courses."""
    ch = model.children
    studying = idx[member(ch.place[idx], (Place.FE, Place.SPECIALIST_POST16))]
    u = model.streams.uniform("post19_finish", ch.uid[studying], model.months_elapsed)
    share = model.cfg.behaviour.placement.post19_finish_per_year
    rate = scale_share(share, model.councils.cease_scale[ch.la[studying]])
    placing.finish_education(model, studying[u < rate])


def new_financial_year(model: SendModel) -> None:
    """Each April: councils plan the year against their high needs income and how full their
    special schools are."""
    model.agents_by_type[Council].do(
        "plan_financial_year", model.hnb_this_year(), placing.special_places_taken(model)
    )


MECHANISM = Mechanism(name="calendar", step=step, metrics=METRICS)
