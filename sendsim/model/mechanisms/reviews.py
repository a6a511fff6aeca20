"""Annual reviews of plans, and ceasing plans when needs are met or education ends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sendsim.config.params import param
from sendsim.model.codes import ADULT_AGE, POST16_START_AGE, Place, Sen, member
from sendsim.model.institutions.council import Council
from sendsim.model.mechanism import ChildField, Mechanism
from sendsim.model.operations import cases
from sendsim.model.ops import scale_share
from sendsim.model.recording import count

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

MONTHS_PER_REVIEW = 12


@dataclass
class ReviewParams:
    """When plans cease at their annual review."""

    needs_met_level: float = param(
        0.3,
        0.05,
        0.6,
        unit="need level",
        label="Need level below which a plan can cease because needs are met",
        source="Assumption",
    )
    cease_needs_met_per_year: float = param(
        0.01,
        0.0,
        0.3,
        unit="per year",
        label="Yearly chance a plan whose need has fallen below 0.3 ceases",
        source="[dfe-ehcp]: 430-900 plans a year ceased as needs met in 2019-2021 (DismetEHC in "
        "sendsim/data/raw/dfe-ehcp/sen2_mi_2014_2021.csv); with councils' fitted cessation "
        "practice (cease_scale) this gives about 2,000 a year from 2019",
    )
    cease_left_education_per_year: float = param(
        0.6,
        0.0,
        1.0,
        unit="per year",
        label="Yearly chance a plan ceases once a young person aged 16 or over has left education",
        source="[dfe-ehcp]: ~12,800 plans ceased in 2021 on leaving school at the end of "
        "compulsory schooling or after (DisleftEHC in "
        "sendsim/data/raw/dfe-ehcp/sen2_mi_2014_2021.csv)",
    )
    plan_age_spread_months: int = param(
        48,
        12,
        120,
        unit="months",
        label="Plans in force in the starting January were issued up to this long before",
        source="Assumption: spreads annual reviews over the year",
    )


FIELDS = {
    "plan_months": ChildField(np.int16, 0, "months since the plan was issued (annual reviews)"),
}

METRICS = (
    count("ceased_plans", "Plans ceased (moved away, left education, needs met, aged out)", "flow"),
    count("ceased_on_review", "Plans ceased at annual review (needs met, left education)", "flow"),
    count(
        "moves_to_state_special",
        "Pupils moved from independent to state special schools at annual review",
        "flow",
    ),
)


def build(model: SendModel) -> None:
    """Months since each January plan was issued, spread so that reviews fall all year."""
    ch = model.children
    plans = np.flatnonzero(ch.sen == Sen.EHCP)
    u = model.streams.uniform("init.plan_months", ch.uid[plans])
    ch.plan_months[plans] = (u * model.cfg.behaviour.reviews.plan_age_spread_months).astype(
        np.int16
    )


def step(model: SendModel) -> None:
    """Plans reaching an anniversary are reviewed; some cease."""
    ch, p = model.children, model.cfg.behaviour.reviews
    plans = model.needy[ch.sen[model.needy] == Sen.EHCP]
    ch.plan_months[plans] += 1
    due = plans[ch.plan_months[plans] % MONTHS_PER_REVIEW == 0]
    u = model.streams.uniform("review", ch.uid[due], model.months_elapsed)
    c = model.councils
    scale = c.cease_scale[ch.la[due]]  # each council's fitted practice
    kept = np.minimum(c.exit_multiple[ch.la[due]], 1.0)  # forecast draws: fewer exits this year
    met_chance = scale_share(p.cease_needs_met_per_year, scale) * kept
    met = (ch.severity[due] < p.needs_met_level) & (u < met_chance)
    out_of_education = (ch.age[due] >= POST16_START_AGE) & member(
        ch.place[due], (Place.EMPLOYMENT, Place.NEET)
    )
    left = out_of_education & (u < scale_share(p.cease_left_education_per_year, scale) * kept)
    # forecast draws with more outflow than the council's usual exits: other reasons, at the
    # ages where plans mostly end (19 on)
    other = np.zeros(len(due), np.bool_)
    if c.cease_other.any():  # ordinary runs draw nothing here
        u_other = model.streams.uniform("review.other", ch.uid[due], model.months_elapsed)
        adult = ch.age[due] >= ADULT_AGE
        other = adult & (u_other < c.cease_other[ch.la[due]]) & ~met & ~left
    cases.cease_plan(model, due[met | (other & ~out_of_education)], Sen.SUPPORT)
    cases.cease_plan(model, due[(left & ~met) | (other & out_of_education)], Sen.NONE)
    model.flows.add("ceased_on_review", ch.la[due[met | left | other]])
    Council.review_placements(model, due[~(met | left | other)])


MECHANISM = Mechanism(
    name="reviews", step=step, params=ReviewParams, fields=FIELDS, metrics=METRICS, build=build
)
