"""NHS integrated care boards: they commission therapy for the councils they span.

An ICB's decisions: how much therapy it commissions this month (:meth:`Icb.capacity_factor`:
therapists in post and backstop powers) and which waiting children start a course
(:meth:`Icb.start_courses`: longest wait first, within capacity; idle time is lost).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sendsim.model.levers import ratio
from sendsim.model.ops import allocate, count_by

if TYPE_CHECKING:
    from sendsim.model.model import SendModel
    from sendsim.model.profile import Profiles


@dataclass(eq=False)
class IcbTable:
    """Per-ICB therapy capacity (courses started per month, sample scale)."""

    n: int
    name: list[str]
    capacity: np.ndarray = field(init=False)
    credit: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.capacity = np.zeros(self.n)
        self.credit = np.zeros(self.n)


class Icb(mesa.Agent):
    """An NHS integrated care board: commissions therapy capacity for its councils."""

    def __init__(self, model: SendModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @staticmethod
    def create(model: SendModel, prof: Profiles) -> IcbTable:
        names = list(np.unique(prof.icb_names))
        Icb.create_agents(model, len(names), index=list(range(len(names))))
        return IcbTable(n=len(names), name=names)

    @staticmethod
    def capacity_factor(model: SendModel) -> float:
        """Therapy capacity relative to 2022: therapists, and ICBs under backstop powers."""
        powers = model.policy.powers.icb_backstop_powers
        gain = 1 + model.cfg.behaviour.effects.icb_capacity_gain * powers
        return ratio(model.policy, "workforce.therapists") * gain

    @staticmethod
    def start_courses(model: SendModel, waiting: np.ndarray) -> np.ndarray:
        """The waiting children ``waiting`` whose ICB starts their course this month."""
        icbs, la_icb = model.icbs, model.councils.icb
        icb = la_icb[model.children.la[waiting]]
        capacity = icbs.capacity * Icb.capacity_factor(model)
        icbs.credit += capacity
        start = waiting[allocate(icb, model.children.therapy_wait[waiting], icbs.credit)]
        icbs.credit -= count_by(la_icb[model.children.la[start]], icbs.n)
        np.minimum(icbs.credit, np.maximum(capacity, 1.0), out=icbs.credit)  # idle time is lost
        return start
