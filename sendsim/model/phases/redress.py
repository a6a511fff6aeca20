"""Redress: disputes, mediation and the SEND Tribunal.

A disputed decision goes to mediation or straight to appeal. Some mediations settle (with a
remedy for the family in part); the rest, and unmediated disputes, are appealed. The tribunal
decides months later, mostly for the family: an assessment, a plan, or a more specialist
placement, often an independent school it names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sendsim.model.codes import STATUTORY_WEEKS, Codes, Place, Sen
from sendsim.model.phases import placement

if TYPE_CHECKING:
    from sendsim.model.model import SendModel


class Appeal(Codes):
    """What a dispute is about."""

    NONE = 0
    REFUSAL = 1  # refusal to assess
    NOT_ISSUED = 2  # decision not to issue a plan
    PLAN = 3  # the plan's contents or named placement


def step_redress(model: SendModel) -> None:
    """Tribunal decisions fall due."""
    ch = model.children
    pending = model.needy[ch.appeal[model.needy] > 0]
    ch.appeal_months[pending] -= 1
    due = pending[ch.appeal_months[pending] <= 0]
    model.flows.add("tribunal_decisions", ch.la[due])
    u = model.streams.uniform("tribunal", ch.uid[due], model.months_elapsed)
    won = due[u < model.cfg.behaviour.redress.family_win_share]
    remedy(model, won, ch.appeal[won].copy())
    ch.appeal[due] = Appeal.NONE


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
    local = c.dispute_scale[ch.la[idx]]  # each council's appeal rate relative to England's
    disputed = idx[u < chance * trust * late * local]
    uid, month = ch.uid[disputed], model.months_elapsed
    mandatory = model.policy.redress.mandatory_mediation
    mediation_share = p.mediation_share + (1 - p.mediation_share) * mandatory
    mediated = model.streams.uniform("mediation", uid, month) < mediation_share
    onward = model.streams.uniform("mediation.appeal", uid, month) < p.mediation_to_tribunal
    appealed = ~mediated | onward
    settled_for_family = (
        model.streams.uniform("mediation.remedy", uid, month) < p.mediation_remedy_share
    )
    model.flows.add("mediations", ch.la[disputed[mediated]])
    remedy(model, disputed[mediated & ~onward & settled_for_family], about)
    lodged = disputed[appealed]
    ch.appeal[lodged] = about
    ch.appeal_months[lodged] = p.months_to_hearing
    model.flows.add("tribunal_appeals", ch.la[lodged])


def remedy(model: SendModel, idx: np.ndarray, about: Appeal | np.ndarray) -> None:
    """Give families what they appealed for."""
    from sendsim.model.phases import assessment, requests

    ch = model.children
    about = np.broadcast_to(np.asarray(about), idx.shape)
    assess = idx[(about == Appeal.REFUSAL) & (ch.sen[idx] == Sen.SUPPORT)]
    requests.start_case(model, assess)
    ch.sen[assess] = Sen.ASSESSING
    issue = idx[(about == Appeal.NOT_ISSUED) & (ch.sen[idx] == Sen.SUPPORT)]
    assessment.issue_plan(model, issue, dispute=False)
    contested = idx[(about == Appeal.PLAN) & (ch.sen[idx] == Sen.EHCP)]
    u = model.streams.uniform("named_independent", ch.uid[contested], model.months_elapsed)
    named_share = model.cfg.behaviour.redress.named_independent_share * placement.off_list(model)
    named = contested[(u < named_share) & (ch.age[contested] < 16)]
    model.iss.admit(model, named, force=True)
    upgrade = np.setdiff1d(contested, named)
    placement.place(model, upgrade[ch.place[upgrade] != Place.INDEPENDENT], escalate=True)
