"""Needs: emergence by age and need type, escalation while unmet, improvement and resolution.

A child without a need carries the month one emerges, drawn in advance
(:mod:`sendsim.model.events`); a need's level then rises while unmet and falls while met, and
a mild met need may resolve.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sendsim.config.params import param
from sendsim.model.children import NEVER
from sendsim.model.codes import POST16_START_AGE, Need, Place, Sen
from sendsim.model.events import schedule_needs
from sendsim.model.mechanism import ChildField, Mechanism
from sendsim.model.operations import placing, population
from sendsim.model.ops import per_month

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

MILD_NEED = 0.25  # below this level a met need can resolve
MIN_LEVEL = 0.02


@dataclass
class NeedsParams:
    """How needs emerge and change."""

    emergence_per_year: float = param(
        0.022,
        0.005,
        0.05,
        unit="per year",
        label="Yearly chance a child aged 5-10 without a need develops one (other ages scaled)",
        source="Calibrated to SEN support of 12.6% of pupils [dfe-sen-in-england] and 114,500 "
        "requests in 2022 [dfe-ehcp]",
    )
    level_spread: float = param(
        0.8,
        0.3,
        1.5,
        unit="log-odds",
        label="Spread of need levels between children with the same kind of need",
        source="Assumption",
    )
    escalation_per_year: float = param(
        0.08,
        0.0,
        0.3,
        unit="need level per year",
        label="Rise in need level during a year of unmet need",
        source="Assumption",
    )
    improvement_per_year: float = param(
        0.03,
        0.0,
        0.2,
        unit="need level per year",
        label="Fall in need level during a year of met need",
        source="Assumption",
    )
    resolution_per_year: float = param(
        0.12,
        0.0,
        0.5,
        unit="per year",
        label="Yearly chance a mild met need (level < 0.25) resolves",
        source="Assumption: turnover of the SEN support register",
    )


FIELDS = {
    "need": ChildField(np.int8, Need.NONE, "primary need type (Need)"),
    "severity": ChildField(np.float32, 0.0, "latent need level, 0 (none) to 1 (profound)"),
    "need_month": ChildField(np.int16, NEVER, "run month a need emerges (children without one)"),
}


def step(model: SendModel) -> None:
    """Needs emerge, then change with last month's support."""
    emerge(model)
    evolve(model)


def emerge(model: SendModel) -> None:
    """Children whose need onset month has come develop a need."""
    ch = model.children
    population.give_need(model, np.flatnonzero(ch.need_month == model.months_elapsed), "emerge")


def evolve(model: SendModel) -> None:
    """Unmet needs escalate, met needs improve; mild met needs may resolve.

    Leaves ``model.needy``, the children with a need, for the mechanisms that follow.
    """
    ch, p = model.children, model.cfg.behaviour.needs
    has = np.flatnonzero(ch.severity > 0)
    unmet = ch.unmet[has]
    change = np.where(unmet, p.escalation_per_year, -p.improvement_per_year) / 12.0
    ch.severity[has] = np.clip(ch.severity[has] + change, MIN_LEVEL, 1.0)
    mild = has[~unmet & (ch.severity[has] < MILD_NEED) & (ch.sen[has] <= Sen.SUPPORT)]
    u = model.streams.uniform("resolve", ch.uid[mild], model.months_elapsed)
    resolved = mild[u < per_month(p.resolution_per_year)]
    ch.severity[resolved] = 0.0
    ch.need[resolved] = Need.NONE
    ch.sen[resolved] = Sen.NONE
    ch.therapy_wait[resolved] = -1
    ch.therapy_left[resolved] = 0
    ch.unmet[resolved] = False
    leave_ap(model, resolved[ch.place[resolved] == Place.AP])
    ch.unmet_history[resolved] = 0
    schedule_needs(model, resolved, model.months_elapsed + 1, "need.again")
    model.set_needy(has[ch.severity[has] > 0])


def leave_ap(model: SendModel, idx: np.ndarray) -> None:
    """Pupils whose need has resolved leave alternative provision."""
    school_age = idx[model.children.age[idx] < POST16_START_AGE]
    placing.to_mainstream(model, school_age)
    placing.leave_school(model, np.setdiff1d(idx, school_age, assume_unique=True), "resolved")


MECHANISM = Mechanism(name="needs", step=step, params=NeedsParams, fields=FIELDS)
