"""Educational psychologists and SEN case officers: the people who do needs assessments.

Every assessment takes hours of an educational psychologist's (EP) advice and of a case
officer's drafting [dfe-ehcp-time-2026]; case officers also keep up the plans they hold. A
council completes as many assessments a month as the scarcer of the two allows. Councils start
staffed for their published throughput (EPs spread in proportion to it, as no series by
council is published). Each April a council moves EP time onto assessments or back (a step a
year, up to a ceiling), recruits EPs from its share of the newly qualified, and resizes its
case officer team within how far its staffing budget can change in a year
(:meth:`Council.staff_assessments`); EPs leave every year. Plans held come first for case
officers, so as plans grow between one April's budget and the next their time for assessments
shrinks: in England's baseline the capacity to assess falls by 14-19% from April to the
January after. Resized every month instead, teams keep pace, but forecasts from January 2019
were further from councils' caseloads (a median error of 5.4% three years ahead, against
4.9%), so the budget stays yearly. The lever
``workforce.educational_psychologists`` scales the EPs councils field and can recruit, and no
council decision restores what it takes: the ceiling and the recruits are the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sendsim.config.params import param
from sendsim.dates import APRIL
from sendsim.model import levers
from sendsim.model.codes import Sen
from sendsim.model.institutions.council import EP_LEVER, Council, ep_hours_per_year
from sendsim.model.mechanism import Mechanism
from sendsim.model.ops import MONTHS_PER_YEAR, count_by
from sendsim.model.recording import Census, Metric, money, ratio

if TYPE_CHECKING:
    from sendsim.model.model import SendModel


@dataclass
class WorkforceParams:
    """Staff who assess: how many, how long an assessment takes them, who can be recruited."""

    ep_fte_england: float = param(
        2120.0,
        1500.0,
        3000.0,
        unit="FTE",
        label="Educational psychologists employed by councils in England",
        source="[lga-soulbury-2024]: 2,238 FTE in England and Wales; England's share taken as "
        "its share of the 0-25 population of the two (about 95%)",
    )
    hours_per_fte_year: float = param(
        1628.0,
        1400.0,
        1800.0,
        unit="hours per year",
        label="Working hours of a full-time EP or case officer in a year",
        source="[wokingham-foi-ep-2023]: 220 working days; assumption: 7.4 hours a day (a "
        "37-hour week)",
    )
    ep_hours_per_assessment: float = param(
        17.4,
        10.0,
        30.0,
        unit="hours",
        label="EP time an EHC needs assessment takes",
        source="[dfe-ehcp-time-2026]: 17.4 hours of EP time per new plan",
    )
    case_officer_hours_per_assessment: float = param(
        11.3,
        6.0,
        25.0,
        unit="hours",
        label="Case officer time an EHC needs assessment takes",
        source="[dfe-ehcp-time-2026]: 11.3 hours of SEND case officer time per new plan",
    )
    case_officer_caseload: float = param(
        200.0,
        120.0,
        300.0,
        unit="plans per FTE",
        label="Plans a full-time case officer keeps up (annual reviews, amendments)",
        source="[surrey-send-case-officers]: 170-230 children a case officer; no national series",
    )
    ep_assessment_share_max: float = param(
        0.6,
        0.4,
        0.9,
        unit="share of EP time",
        label="Most of their time councils' EPs can give to needs assessments",
        source="Assumption: EPs keep time for annual reviews, tribunals, supervision and work "
        "with schools; at the start the share is 29% (2019) to 37% (2022) nationally",
    )
    ep_assessment_share_step: float = param(
        0.05,
        0.0,
        0.2,
        unit="share of EP time per year",
        label="How far a council can move EP time onto assessments (or back) in a year",
        source="Assumption: the national share rose about 3 points a year 2019-2022 "
        "(assessments completed [dfe-ehcp] against a level EP workforce [lga-soulbury-2024])",
    )
    ep_vacancy_share: float = param(
        0.172,
        0.0,
        0.4,
        unit="share of posts",
        label="Share of councils' EP posts vacant at the start",
        source="[lga-soulbury-2024]: 17.2% of EP posts vacant",
    )
    newly_qualified_per_year: float = param(
        160.0,
        100.0,
        250.0,
        unit="EPs per year",
        label="EPs qualifying each year from funded training (cohorts that began by 2019)",
        source="[pq-ep-training-2022]: 160 funded trainees a year before 2020; three-year course",
    )
    newly_qualified_per_year_later: float = param(
        206.0,
        100.0,
        400.0,
        unit="EPs per year",
        label="EPs qualifying each year from the first expanded cohort on",
        source="[pq-ep-training-2022]: over 200 a year from the 2020 cohort, first in the "
        "workforce in 2023; [pq-ep-training-2023]: over 200 a year since 2020",
    )
    expanded_cohort_qualifies: int = param(
        2023,
        2020,
        2030,
        unit="year",
        label="Year the first expanded cohort of EP trainees qualifies",
        source="[pq-ep-training-2022]",
    )
    share_joining_councils: float = param(
        0.9,
        0.5,
        1.0,
        unit="share",
        label="Share of newly qualified EPs who join councils",
        source="Assumption: most are funded trainees, who must then work for a council for at "
        "least two years; some go into private practice or academy trusts",
    )
    ep_leaving_per_year: float = param(
        0.064,
        0.02,
        0.15,
        unit="share per year",
        label="Councils' EPs leaving each year (retirement, private practice)",
        source="Assumption: keeps councils' EPs level with 160 newly qualified a year, as the "
        "Soulbury surveys show (2,626 EP posts in 2011 [nfer-soulbury-2011]; 2,238 FTE in post "
        "and 17.2% of posts vacant in 2024 [lga-soulbury-2024])",
    )
    staff_budget_change_max: float = param(
        0.25,
        0.05,
        0.6,
        unit="share per year",
        label="Most a council's assessment staffing can grow (or shrink) in a year",
        source="Assumption: below the fastest growth councils report, 54-60% a year in case "
        "officers [devon-foi-casework-2023] and 14-38% in EPs [wokingham-foi-ep-2024]",
    )
    ep_cost_gbp: float = param(
        71385.0,
        50000.0,
        100000.0,
        unit="GBP per FTE per year",
        label="Cost of an EP to a council, with on-costs",
        source="[wokingham-foi-ep-2023]: £71,385 average salary with on-costs, 2023-24",
    )
    case_officer_cost_gbp: float = param(
        42000.0,
        30000.0,
        60000.0,
        unit="GBP per FTE per year",
        label="Cost of a SEND case officer to a council, with on-costs",
        source="Assumption: local government officer pay of £32,000-£35,000 with about 25% "
        "on-costs; no published series",
    )


METRICS = (
    Metric("educational_psychologists", "FTE", "EPs employed by councils", "stock", scaled=False),
    Metric(
        "case_officers", "FTE", "SEND case officers employed by councils", "stock", scaled=False
    ),
    Metric("ep_hours_on_assessments", "hours per year", "", "stock", scaled=False, internal=True),
    Metric("ep_hours", "hours per year", "", "stock", scaled=False, internal=True),
    ratio(
        "ep_time_on_assessments_share",
        "share",
        "Share of councils' EP time given to EHC needs assessments",
        "ep_hours_on_assessments",
        "ep_hours",
    ),
    money("assessment_staff_gbp", "Councils' spend on EPs and case officers (general fund)"),
)


def build(model: SendModel) -> None:
    """Staff every council for the throughput it starts with."""
    c, p, prof = model.councils, model.cfg.behaviour.workforce, model.profiles
    per_year = throughput_per_year(model)
    # a council that completed no assessments (Isles of Scilly, 2019) still employs some EP time
    weight = np.maximum(prof.assessments_per_year, 1.0)
    c.ep_fte = p.ep_fte_england * weight / prof.national_assessments_per_year
    c.ep_posts = c.ep_fte / (1.0 - p.ep_vacancy_share)
    c.ep_recruit_share = c.ep_fte / p.ep_fte_england
    c.ep_assessment_share = per_year * p.ep_hours_per_assessment / (c.ep_fte * p.hours_per_fte_year)
    plans = plans_held(model)
    c.case_officer_fte = (
        plans * p.hours_per_fte_year / p.case_officer_caseload
        + per_year * p.case_officer_hours_per_assessment
    ) / p.hours_per_fte_year


def throughput_per_year(model: SendModel) -> np.ndarray:
    """Assessments each council completes in a year at its start capacity (full scale)."""
    return model.councils.assessment_capacity * MONTHS_PER_YEAR * model.scale


def plans_held(model: SendModel) -> np.ndarray:
    """Plans each council maintains (full scale)."""
    ch, needy = model.children, model.needy
    held = needy[ch.sen[needy] == Sen.EHCP]
    return count_by(ch.la[held], model.councils.n) * model.scale


def step(model: SendModel) -> None:
    """April: EPs leave and councils staff their year. Every month: the assessments they can
    complete, and what their staff cost."""
    c, p = model.councils, model.cfg.behaviour.workforce
    plans = plans_held(model)
    if model.month == APRIL and model.months_elapsed > 0:
        c.ep_fte *= 1 - p.ep_leaving_per_year
        recruits = newly_qualified(model) * p.share_joining_councils
        ch, needy = model.children, model.needy
        open_cases = count_by(ch.la[needy[ch.sen[needy] == Sen.ASSESSING]], c.n)
        model.agents_by_type[Council].do("staff_assessments", plans, open_cases, recruits)
    c.assessment_capacity = assessments_per_month(model, plans) * model.sample_fraction
    cost = c.ep_fte * p.ep_cost_gbp + c.case_officer_fte * p.case_officer_cost_gbp
    model.flows.add_totals("assessment_staff_gbp", cost / MONTHS_PER_YEAR)


def newly_qualified(model: SendModel) -> float:
    """EPs qualifying this year, as many as the lever in force makes available."""
    p = model.cfg.behaviour.workforce
    later = model.year >= p.expanded_cohort_qualifies
    number = p.newly_qualified_per_year_later if later else p.newly_qualified_per_year
    return number * levers.ratio(model.policy, EP_LEVER)


def assessments_per_month(model: SendModel, plans: np.ndarray) -> np.ndarray:
    """Assessments each council's EPs and case officers can complete in a month (full scale)."""
    c, p = model.councils, model.cfg.behaviour.workforce
    hours = p.hours_per_fte_year / MONTHS_PER_YEAR
    ep_hours = ep_hours_per_year(model) * c.ep_assessment_share / MONTHS_PER_YEAR
    officer_hours = np.maximum(
        c.case_officer_fte * hours - plans * hours / p.case_officer_caseload, 0.0
    )
    return c.casework_efficiency * np.minimum(
        ep_hours / p.ep_hours_per_assessment,
        officer_hours / p.case_officer_hours_per_assessment,
    )


def count_stocks(model: SendModel, census: Census) -> dict[str, np.ndarray]:
    """Staff in post, and EP hours a year in all and on assessments."""
    c = model.councils
    ep_hours = ep_hours_per_year(model)
    return {
        "educational_psychologists": c.ep_fte.copy(),
        "case_officers": c.case_officer_fte.copy(),
        "ep_hours": ep_hours,
        "ep_hours_on_assessments": ep_hours * c.ep_assessment_share,
    }


MECHANISM = Mechanism(
    name="workforce",
    step=step,
    params=WorkforceParams,
    metrics=METRICS,
    build=build,
    count=count_stocks,
)
