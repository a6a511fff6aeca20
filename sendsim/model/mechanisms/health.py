"""NHS therapy (speech and language, occupational therapy, physiotherapy, CAMHS) from ICBs.

Identified needs of therapy-relevant types are referred; each ICB starts as many courses a
month as it commissions (:meth:`Icb.start_courses`), longest wait first. Waiting costs support
(see :mod:`.support`); a completed course lowers the need level.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sendsim.config.params import param, profile
from sendsim.model.codes import Need, Sen, member
from sendsim.model.institutions.icb import Icb
from sendsim.model.levers import mhst_coverage, mhst_rollout
from sendsim.model.mechanism import ChildField, Mechanism
from sendsim.model.ops import count_by, per_month
from sendsim.model.recording import Census, count, internal, money, ratio

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

THERAPY_NEEDS = (Need.SLCN, Need.ASD, Need.SEMH, Need.PD, Need.SLD, Need.PMLD, Need.MSI)


@dataclass
class HealthParams:
    """Referrals to NHS therapy and what a course does."""

    referral_min_level: float = param(
        0.3,
        0.0,
        0.8,
        unit="need level",
        label="Need level from which a therapy-relevant need is referred to the NHS",
        source="Assumption",
    )
    referral_per_year: float = param(
        0.5,
        0.0,
        2.0,
        unit="per year",
        label="Yearly chance an identified therapy-relevant need is referred to NHS therapy",
        source="Assumption",
    )
    course_months: int = param(
        6, 1, 24, unit="months", label="Length of a course of therapy", source="Assumption"
    )
    initial_wait_months: float = param(
        6.0,
        0.0,
        24.0,
        unit="months",
        label="Average wait for therapy in January 2022",
        source="Assumption: typical community paediatric and CAMHS waits",
    )
    improvement: float = param(
        0.05,
        0.0,
        0.3,
        unit="need level",
        label="Fall in need level after a completed course of therapy",
        source="Assumption",
    )
    mhst_coverage_by_april: list[float] = profile(
        (0.0, 0.01, 0.05, 0.15, 0.24, 0.35, 0.44, 0.52, 0.60),
        0.0,
        1.0,
        unit="share of pupils, each April from 2018",
        label="Share of pupils in schools with a mental health support team (the roll-out; "
        "held after the last April)",
        source="[hu-mhst-2021]: pilots from December 2018, 59 teams by March 2020 (about 5% of "
        "pupils at about 8,000 each); [pq-mhst]: 26% (2022); [dfe-mhst]: 35% (2022/23), 44% (April "
        "2024), 52% (March 2025), 60% expected by March 2026; Aprils between interpolated",
    )
    course_cost_gbp: float = param(
        1000.0,
        300.0,
        3000.0,
        unit="GBP",
        label="Cost to the ICB of a course of therapy, in starting prices (grows with "
        "finance.cost_inflation_per_year)",
        source="Assumption: about ten contacts with a community therapist; it sets how much of "
        "an ICB's SEND budget is therapy rather than joint funding",
    )
    icb_budget_growth_per_year: float = param(
        0.038,
        0.0,
        0.08,
        unit="per year",
        label="Growth of ICBs' SEND budgets (therapy and joint funding), in cash",
        source="[pq-icb-allocations-2023]: CCG and ICB allocations £115.0bn (2021-22), "
        "£119.2bn (2022-23), £123.9bn (2023-24), 3.6% and 3.9% a year",
    )
    icb_gap_absorbed_share: float = param(
        0.5,
        0.0,
        1.0,
        unit="share",
        label="Share of a gap between its SEND commitments and budget an ICB meets from the "
        "rest of its allocation (the rest comes out of therapy)",
        source="Assumption: SEND budgets are not ring-fenced within ICB allocations",
    )
    max_initial_waiting_share: float = param(
        0.9,
        0.1,
        1.0,
        unit="share",
        label="Largest share of children due a referral who wait in the starting January",
        source="Assumption",
    )


FIELDS = {
    "therapy_wait": ChildField(np.int16, -1, "months waiting for NHS therapy; -1 not waiting"),
    "therapy_left": ChildField(np.int8, 0, "months of a therapy course still to run"),
}

METRICS = (
    count("therapy_waiting", "Children waiting for NHS therapy", "stock"),
    count("therapy_courses", "Courses of NHS therapy started", "flow"),
    money("icb_therapy_spend_gbp", "ICB spend on therapy courses started"),
    money(
        "icb_send_budget_gbp",
        "ICBs' yearly SEND budget (therapy and joint funding), each council's share",
        "stock",
    ),
    internal("therapy_wait_months_sum"),
    ratio(
        "mean_therapy_wait_months",
        "months",
        "Mean time waited so far by children waiting for therapy",
        "therapy_wait_months_sum",
        "therapy_waiting",
    ),
)


def build(model: SendModel) -> None:
    """Waiting lists of ``initial_wait_months`` of referrals, children part-way through
    courses, and capacity to keep both stable.

    Of the children who could be referred, a share ``m L / (1 + m L)`` (monthly referral
    chance ``m``, course of ``L`` months) is in therapy: then the referrals of the others
    equal the courses that end each month, and ICBs start as many as are referred.
    """
    ch, h = model.children, model.cfg.behaviour.health
    idx = referral_candidates(model)
    monthly = per_month(h.referral_per_year)
    u = model.streams.uniform("init.therapy", ch.uid[idx])
    waiting = idx[u < min(monthly * h.initial_wait_months, h.max_initial_waiting_share)]
    ch.therapy_wait[waiting] = (
        model.streams.uniform("init.wait", ch.uid[waiting]) * 2 * h.initial_wait_months
    ).astype(np.int16)
    rest = referral_candidates(model)
    in_course = monthly * h.course_months
    treated = model.streams.uniform("init.course", ch.uid[rest]) < in_course / (1 + in_course)
    left = model.streams.uniform("init.course_left", ch.uid[rest[treated]]) * h.course_months
    ch.therapy_left[rest[treated]] = 1 + left.astype(np.int16)  # 1 to L months to go
    Icb.set_staff(model, count_by(ch.la[rest[~treated]], model.councils.n) * monthly)


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
    teams = mhst_coverage(model) - mhst_rollout(model, model.start_year, model.start_month)
    semh = 1 - model.cfg.behaviour.effects.mhst_referral_reduction * teams
    chance = per_month(p.referral_per_year) * np.where(ch.need[idx] == Need.SEMH, semh, 1.0)
    u = model.streams.uniform("therapy_referral", ch.uid[idx], model.months_elapsed)
    ch.therapy_wait[idx[u < chance]] = 0


def step(model: SendModel) -> None:
    """Courses finish, referrals join the list, ICBs start courses within capacity."""
    ch, p = model.children, model.cfg.behaviour.health
    needy = model.needy
    treated = needy[ch.therapy_left[needy] > 0]
    ch.therapy_left[treated] -= 1
    done = treated[ch.therapy_left[treated] == 0]
    lowest = model.cfg.behaviour.needs.min_level
    ch.severity[done] = np.maximum(ch.severity[done] - p.improvement, lowest)

    refer(model)
    waiting = needy[ch.therapy_wait[needy] >= 0]
    Icb.grow_budgets(model)
    start = Icb.start_courses(model, waiting)
    model.flows.add("therapy_courses", ch.la[start])
    model.flows.add_totals(
        "icb_therapy_spend_gbp", count_by(ch.la[start], model.councils.n) * Icb.course_cost(model)
    )
    ch.therapy_wait[start] = -1
    ch.therapy_left[start] = p.course_months
    still = waiting[ch.therapy_wait[waiting] >= 0]
    ch.therapy_wait[still] += 1


def count_stocks(model: SendModel, census: Census) -> dict[str, np.ndarray]:
    """Children waiting for therapy, the months they have waited so far, and each council's
    share of its ICB's SEND budget."""
    return {
        "therapy_waiting": census.tally[..., 1].sum(axis=(1, 2, 3, 4)),
        "therapy_wait_months_sum": count_by(census.la, census.n, np.maximum(census.wait, 0)),
        "icb_send_budget_gbp": model.icbs.budget_gbp[model.councils.icb] * model.icbs.council_share,
    }


MECHANISM = Mechanism(
    name="health",
    step=step,
    params=HealthParams,
    fields=FIELDS,
    metrics=METRICS,
    build=build,
    count=count_stocks,
)
