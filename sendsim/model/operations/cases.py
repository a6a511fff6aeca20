"""The life of a case: a request opens it, an assessment issues a plan (or not), a family
disputes a decision, a tribunal or mediation gives a remedy, a review ceases the plan."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sendsim.data.areas import (
    BAND_OF_AGE,
    NEW_PLANS_BY_BAND,
    NEW_PLANS_UNDER_5_BY_AGE,
    YOUNGEST_NEW_PLAN_AGE,
)
from sendsim.model.codes import (
    PLACE_NAMES,
    POST16_START_AGE,
    STATUTORY_WEEKS,
    Codes,
    Place,
    Rate,
    Sen,
    member,
)
from sendsim.model.operations import placing, population
from sendsim.model.ops import WEEKS_PER_MONTH

if TYPE_CHECKING:
    from sendsim.model.mechanisms.redress import RedressParams
    from sendsim.model.model import SendModel

#: Flows of new plans by where they are placed (the published measures' names).
PLACED_NEW_PLANS = {
    p: f"new_plans_{PLACE_NAMES[p]}" for p in (Place.STATE_SPECIAL, Place.INDEPENDENT)
}

#: Places that need a plan: given up when the plan ceases.
PLAN_ONLY_PLACES = (
    Place.RESOURCED,
    Place.STATE_SPECIAL,
    Place.INDEPENDENT,
    Place.SPECIALIST_POST16,
)


class Appeal(Codes):
    """What a dispute is about."""

    NONE = 0
    REFUSAL = 1  # refusal to assess
    NOT_ISSUED = 2  # decision not to issue a plan
    PLAN = 3  # the plan's contents or named placement


def casework_weeks(model: SendModel) -> float:
    """Average weeks of work a case needs after the decision to assess, without backlogs."""
    a = model.cfg.behaviour.assessment
    return a.min_weeks + a.extra_weeks_mean - WEEKS_PER_MONTH


def open_case(model: SendModel, idx: np.ndarray) -> None:
    """Open an EHC needs assessment request: the 20-week clock starts."""
    ch, a = model.children, model.cfg.behaviour.assessment
    ch.sen[idx] = Sen.REQUESTED
    ch.weeks[idx] = 0.0
    u = model.streams.uniform("case_length", ch.uid[idx], model.months_elapsed)
    saving = model.cfg.behaviour.effects.digital_time_saving * model.policy.standards.digital_ehcp
    ch.due_weeks[idx] = (a.min_weeks - a.extra_weeks_mean * np.log1p(-u)) * (1 - saving)


def issue_plan(model: SendModel, idx: np.ndarray, dispute_it: bool = True) -> None:
    """A new EHC plan: placement is named, and (unless a tribunal ordered it) may be disputed."""
    ch = model.children
    ch.sen[idx] = Sen.EHCP
    ch.plan_months[idx] = 0
    ch.had_sen[idx] = True
    model.flows.add("new_plans", ch.la[idx])
    years = population.sen2_age(model, idx)
    for b, name in enumerate(NEW_PLANS_BY_BAND):
        model.flows.add(name, ch.la[idx[BAND_OF_AGE[years] == b]])
    for age, name in NEW_PLANS_UNDER_5_BY_AGE.items():
        model.flows.add(name, ch.la[idx[np.maximum(years, YOUNGEST_NEW_PLAN_AGE) == age]])
    model.flows.add("issued_within_20_weeks", ch.la[idx[ch.weeks[idx] <= STATUTORY_WEEKS]])
    placing.place(model, idx)
    for place, name in PLACED_NEW_PLANS.items():
        model.flows.add(name, ch.la[idx[ch.place[idx] == place]])
    if dispute_it:
        dispute(model, idx, Appeal.PLAN)


def cease_plan(model: SendModel, idx: np.ndarray, status: Sen) -> None:
    """End plans ``idx``; the children return to SEN support (or none, once out of education).

    Places that need a plan (resourced, special, specialist post-16) are given up, as are
    school sixth-form places (FE stands for post-16 education without a plan).
    """
    ch = model.children
    ch.sen[idx] = status
    model.flows.add("ceased_plans", ch.la[idx])
    post16 = ch.age[idx] >= POST16_START_AGE
    moving = idx[member(ch.place[idx], PLAN_ONLY_PLACES) & ~post16]
    placing.to_mainstream(model, moving)
    studying = idx[post16 & member(ch.place[idx], (*PLAN_ONLY_PLACES, Place.MAINSTREAM, Place.AP))]
    ch.place[studying] = Place.FE
    ch.school[studying] = -1


def dispute(model: SendModel, idx: np.ndarray, about: Appeal) -> None:
    """Families dispute decisions ``idx``: mediation, settlement, or an appeal."""
    ch, c, p = model.children, model.councils, model.cfg.behaviour.redress
    model.flows.add("appealable_decisions", ch.la[idx])
    chance = {Appeal.REFUSAL: p.dispute_refusal, Appeal.NOT_ISSUED: p.dispute_not_issued}.get(
        about, p.dispute_plan
    )
    trust = 1 + model.cfg.behaviour.requests.trust_weight * (1 - c.trust[ch.la[idx]])
    late = np.where(ch.weeks[idx] > STATUTORY_WEEKS, p.late_dispute_multiplier, 1.0)
    u = model.streams.uniform(f"dispute.{Appeal.name(about)}", ch.uid[idx], model.months_elapsed)
    # each council's appeal rate relative to England's, as it varies this year
    local = c.dispute_scale[ch.la[idx]] * np.exp(c.yearly_shift[ch.la[idx], Rate.APPEALS])
    disputed = idx[u < chance * trust * late * local]
    uid, month = ch.uid[disputed], model.months_elapsed
    mandatory = model.policy.redress.mandatory_mediation
    mediation_share = p.mediation_share + (1 - p.mediation_share) * mandatory
    mediated = model.streams.uniform("mediation", uid, month) < mediation_share
    merit = model.streams.uniform("dispute.merit", uid, month) < p.family_win_share
    conceded = (
        mediated
        & merit
        & (model.streams.uniform("mediation.concede", uid, month) < mediation_concession(p))
    )
    weak_appeal = model.streams.uniform("mediation.appeal", uid, month) < p.weak_case_appeal_share
    appealed = ~mediated | (~conceded & (merit | weak_appeal))
    model.flows.add("mediations", ch.la[disputed[mediated]])
    remedy(model, disputed[conceded], about)
    lodged = disputed[appealed]
    ch.appeal[lodged] = about
    ch.appeal_merit[lodged] = merit[appealed]
    ch.appeal_months[lodged] = p.months_to_hearing
    model.flows.add("tribunal_appeals", ch.la[lodged])


def mediation_concession(p: RedressParams) -> float:
    """Share of the cases it would lose at tribunal that a council concedes at mediation: what
    makes the share of mediations followed by an appeal (strong cases not conceded, and weak
    cases appealed anyway) what it is."""
    win = p.family_win_share
    onward_strong = p.mediation_to_tribunal - (1 - win) * p.weak_case_appeal_share
    return float(np.clip(1 - onward_strong / win, 0.0, 1.0))


def remedy(model: SendModel, idx: np.ndarray, about: Appeal | np.ndarray) -> None:
    """Give families what they appealed for: an assessment, a plan, or a more specialist
    placement (often an independent school the tribunal names)."""
    ch = model.children
    about = np.broadcast_to(np.asarray(about), idx.shape)
    assess = idx[(about == Appeal.REFUSAL) & (ch.sen[idx] == Sen.SUPPORT)]
    open_case(model, assess)
    ch.sen[assess] = Sen.ASSESSING
    issue = idx[(about == Appeal.NOT_ISSUED) & (ch.sen[idx] == Sen.SUPPORT)]
    issue_plan(model, issue, dispute_it=False)
    contested = idx[(about == Appeal.PLAN) & (ch.sen[idx] == Sen.EHCP)]
    u = model.streams.uniform("named_independent", ch.uid[contested], model.months_elapsed)
    named_share = model.cfg.behaviour.redress.named_independent_share * placing.off_list(model)
    named = contested[(u < named_share) & (ch.age[contested] < POST16_START_AGE)]
    model.flows.add(
        "tribunal_named_independent", ch.la[named[ch.place[named] != Place.INDEPENDENT]]
    )
    model.iss.admit(model, named, force=True)
    upgrade = np.setdiff1d(contested, named)
    placing.place(model, upgrade[ch.place[upgrade] != Place.INDEPENDENT], escalate=True)
