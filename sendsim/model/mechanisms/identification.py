"""Identification: health visitors (ages 0-3), schools and school nurses, post-16 providers.

Identification sets a child's SEN status; a mild or moderate need noticed before school gets
early help, which lowers its level. The counts of children by status are this mechanism's stocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sendsim.config.params import param
from sendsim.model.codes import EDUCATION_PLACES, POST16_START_AGE, SCHOOL_START_AGE, Sen, member
from sendsim.model.levers import change
from sendsim.model.mechanism import ChildField, Mechanism
from sendsim.model.ops import per_month
from sendsim.model.recording import Census, count, internal, ratio

if TYPE_CHECKING:
    from sendsim.model.model import SendModel


@dataclass
class IdentificationParams:
    """How fast unidentified needs are noticed."""

    early_years_per_year: float = param(
        0.8,
        0.1,
        2.0,
        unit="per year",
        label="Identification hazard of a need at ages 0-3, at the 2015 health visitor level",
        source="Assumption: most needs noticed at development reviews within a year",
    )
    school_per_year: float = param(
        1.0,
        0.1,
        3.0,
        unit="per year",
        label="Identification hazard of a need at school age (SENCos, teachers, school nurses)",
        source="Assumption",
    )
    post16_per_year: float = param(
        0.4,
        0.05,
        2.0,
        unit="per year",
        label="Identification hazard of a need at ages 16-25",
        source="Assumption",
    )
    workforce_elasticity: float = param(
        0.7,
        0.0,
        1.5,
        unit="elasticity",
        label="Response of identification to health visitor and school nurse numbers",
        source="Assumption, varied by the sensitivity analysis: with 40% fewer health visitors "
        "than in 2015 [ihv-2023], a quarter of two-year-olds had no review or other health "
        "visiting contact in 2018-19 [fraser-bmjopen-2022]",
    )
    school_nurse_share: float = param(
        0.3,
        0.0,
        1.0,
        unit="share",
        label="Share of school-age needs noticed by school nurses (the rest by teachers)",
        source="Assumption",
    )
    early_help_improvement: float = param(
        0.05,
        0.0,
        0.15,
        unit="need level",
        label="Fall in need level from early help for a mild or moderate need noticed at ages "
        "0-3 (health visitors' referrals to early language and parenting support)",
        source="Assumption, as a course of therapy (behaviour.health.improvement), for needs "
        "below behaviour.needs.new_plan_level: "
        "[eef-early-years-2023] finds early communication and language approaches add about "
        "seven months' progress, parental engagement five",
    )
    visibility_floor: float = param(
        0.5,
        0.1,
        2.0,
        unit="need level",
        label="Chance of noticing a need is proportional to this plus its level",
        source="Assumption: higher needs are noticed sooner",
    )


FIELDS = {
    "sen": ChildField(np.int8, Sen.NONE, "SEN status (Sen)"),
    "had_sen": ChildField(np.bool_, False, "ever identified with SEND"),
}

METRICS = (
    count("ehcp_caseload", "Education, health and care plans in force", "stock"),
    count("sen_support", "Children with identified SEND and no plan (SEN support)", "stock"),
    internal("send_children"),
    internal("sen_support_pupils"),
    internal("ehcp_pupils"),
    count("identifications", "Needs newly identified", "flow"),
    ratio(
        "ehcp_per_10k_0_25",
        "per 10,000",
        "Plans per 10,000 aged 0-25",
        "ehcp_caseload",
        "population_0_25",
        1e4,
    ),
    ratio(
        "sen_support_share_pupils",
        "share",
        "Share of children aged 4-15 on SEN support",
        "sen_support_pupils",
        "pupils",
    ),
    ratio(
        "ehcp_share_pupils",
        "share",
        "Share of children aged 4-15 with a plan",
        "ehcp_pupils",
        "pupils",
    ),
)


def step(model: SendModel) -> None:
    """Unidentified needs are noticed at a rate set by age, need level and the workforce.

    The workforce ratios (``policy.workforce``) scale the rate with an elasticity: fewer health
    visitors mean needs at ages 0-3 are noticed later, by which time unmet need has escalated,
    and fewer get early help before school. The early years inclusion fund helps settings
    notice needs too.
    """
    ch, pol = model.children, model.policy
    p, w = model.cfg.behaviour.identification, pol.workforce
    fund = 1 + model.cfg.behaviour.effects.early_years_identification * change(
        pol, "early_years.inclusion_fund"
    )
    needy = model.needy
    hidden = needy[(ch.sen[needy] == Sen.NONE) & member(ch.place[needy], EDUCATION_PLACES)]
    age = ch.age[hidden]
    nurses = p.school_nurse_share  # teachers and SENCos notice the other needs
    rate = np.select(
        [age < SCHOOL_START_AGE, age < POST16_START_AGE],
        [
            p.early_years_per_year * w.health_visitors**p.workforce_elasticity * max(fund, 0.0),
            p.school_per_year * (1 - nurses + nurses * w.school_nurses**p.workforce_elasticity),
        ],
        p.post16_per_year,
    )
    chance = per_month(rate * (p.visibility_floor + ch.severity[hidden]))
    u = model.streams.uniform("identify", ch.uid[hidden], model.months_elapsed)
    found = hidden[u < chance]
    ch.sen[found] = Sen.SUPPORT
    ch.had_sen[found] = True
    model.flows.add("identifications", ch.la[found])
    needs = model.cfg.behaviour.needs
    early = found[(ch.age[found] < SCHOOL_START_AGE) & (ch.severity[found] < needs.new_plan_level)]
    lowest = needs.min_level
    ch.severity[early] = np.maximum(ch.severity[early] - p.early_help_improvement, lowest)


def count_stocks(model: SendModel, census: Census) -> dict[str, np.ndarray]:
    """Children by SEN status; pupils aged 4-15 on SEN support or with plans."""
    by_sen, tally = census.by_sen, census.tally
    school_age = 1  # the tally's age group of children aged 4-15
    return {
        "ehcp_caseload": by_sen[:, Sen.EHCP],
        "sen_support": by_sen[:, Sen.SUPPORT] + by_sen[:, Sen.REQUESTED] + by_sen[:, Sen.ASSESSING],
        "send_children": by_sen[:, Sen.SUPPORT :].sum(axis=1),
        "sen_support_pupils": tally[:, :, Sen.SUPPORT : Sen.EHCP, school_age].sum(
            axis=(1, 2, 3, 4)
        ),
        "ehcp_pupils": census.plans[:, :, school_age].sum(axis=(1, 2, 3)),
    }


MECHANISM = Mechanism(
    name="identification",
    step=step,
    params=IdentificationParams,
    fields=FIELDS,
    metrics=METRICS,
    count=count_stocks,
)
