"""Needs: emergence by age and need type, escalation while unmet, improvement and resolution."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sendsim.model.children import NEVER
from sendsim.model.codes import MAX_AGE, N_NEED, POST16_START_AGE, Need, Place, Sen
from sendsim.model.events import schedule_needs
from sendsim.model.ops import logit_normal, per_month

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

#: Primary need mix of new needs by phase (columns follow Need 1..12). Assumption anchored to
#: the EHCP need mix in NATIONAL_FIGURES.md (autism 31.5%, SLCN 21.3%, SEMH 20.7%, MLD 10.6%...)
#: with SLCN concentrated in early years and SEMH in secondary school.
_NEED_MIX = {
    "early": [0.16, 0.46, 0.04, 0.05, 0.06, 0.03, 0.00, 0.06, 0.03, 0.02, 0.01, 0.08],
    "primary": [0.22, 0.22, 0.15, 0.16, 0.03, 0.01, 0.09, 0.03, 0.015, 0.01, 0.005, 0.06],
    "secondary": [0.20, 0.08, 0.33, 0.16, 0.02, 0.005, 0.12, 0.025, 0.015, 0.01, 0.005, 0.04],
}
NEED_MIX_BY_AGE = np.array(
    [_NEED_MIX["early"]] * 5
    + [_NEED_MIX["primary"]] * 6
    + [_NEED_MIX["secondary"]] * (MAX_AGE - 10)
)
NEED_MIX_BY_AGE /= NEED_MIX_BY_AGE.sum(axis=1, keepdims=True)

#: Log-odds shift of the need level by need type (index = Need). Assumption: profound and
#: severe learning difficulties start high; specific learning difficulties low.
SEVERITY_SHIFT = np.array(
    [0.0, 0.4, -0.2, 0.1, -0.1, 1.4, 2.0, -0.6, 0.4, 0.2, 0.2, 1.0, 0.0], dtype=np.float64
)
MILD_NEED = 0.25  # below this level a met need can resolve
MIN_LEVEL = 0.02


def step_needs(model: SendModel) -> None:
    """Needs emerge, then change with last month's support."""
    emerge(model)
    evolve(model)


def give_need(
    model: SendModel, idx: np.ndarray, stream: str, median: np.ndarray | float = 0.3
) -> None:
    """Give children ``idx`` a primary need (by age) and a need level around ``median``."""
    if len(idx) == 0:
        return
    ch = model.children
    uid = ch.uid[idx]
    u_type = model.streams.uniform(f"{stream}.need_type", uid, model.months_elapsed)
    cum = np.cumsum(NEED_MIX_BY_AGE[ch.age[idx]], axis=1)
    need = 1 + (u_type[:, None] >= cum).sum(axis=1).clip(max=N_NEED - 2)
    u_level = model.streams.uniform(f"{stream}.level", uid, model.months_elapsed)
    shifted = _shift_median(np.broadcast_to(median, idx.shape), SEVERITY_SHIFT[need])
    ch.need[idx] = need
    ch.need_month[idx] = NEVER
    ch.unmet_history[idx] = 0
    ch.severity[idx] = logit_normal(shifted, model.cfg.behaviour.needs.level_spread, u_level)


def _shift_median(median: np.ndarray, shift: np.ndarray) -> np.ndarray:
    m = np.clip(median, 0.01, 0.99)
    return 1.0 / (1.0 + np.exp(-(np.log(m / (1 - m)) + shift)))


def emerge(model: SendModel) -> None:
    """Children whose need onset month has come develop a need (see :mod:`sendsim.model.events`)."""
    ch = model.children
    give_need(model, np.flatnonzero(ch.need_month == model.months_elapsed), "emerge")


def leave_ap(model: SendModel, idx: np.ndarray) -> None:
    """Pupils whose need has resolved leave alternative provision."""
    from sendsim.model.phases import placement

    school_age = idx[model.children.age[idx] < POST16_START_AGE]
    placement.to_mainstream(model, school_age)
    placement.leave_school(model, np.setdiff1d(idx, school_age, assume_unique=True), "resolved")


def evolve(model: SendModel) -> None:
    """Unmet needs escalate, met needs improve; mild met needs may resolve.

    Leaves ``model.needy``, the children with a need, for the phases that follow.
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
