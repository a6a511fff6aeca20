"""NHS integrated care boards: they commission therapy and joint-fund placements.

Each ICB holds a SEND budget for the councils it spans (:meth:`Icb.set_budgets`: in the
starting year, what it then commissioned), growing with ICB allocations. Its decisions: how
much of a complex placement's fees it pays (:meth:`Icb.health_share`, :meth:`Icb.joint_fund`:
contracts, paid in full), how much therapy it can fund from what remains
(:meth:`Icb.therapy_capacity`: when commitments outrun the budget it meets part of the gap from
the rest of its allocation and takes the rest out of therapy, unless backstop powers hold it to
its duties), and which waiting children start a course (:meth:`Icb.start_courses`: longest wait
first, within capacity; idle time is lost).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sendsim.model.codes import Place
from sendsim.model.levers import ratio
from sendsim.model.ops import MONTHS_PER_YEAR, allocate, count_by

if TYPE_CHECKING:
    from sendsim.model.model import SendModel
    from sendsim.model.profile import Profiles


@dataclass(eq=False)
class IcbTable:
    """Per-ICB therapy staff and SEND budget; money at full scale, courses at sample scale."""

    n: int
    name: list[str]
    staff_capacity: np.ndarray = field(init=False)  # courses a month its therapists can start
    council_courses: np.ndarray = field(init=False)  # of those, for each council's children
    credit: np.ndarray = field(init=False)  # courses it can still start this month
    budget_gbp: np.ndarray = field(init=False)  # yearly SEND budget, cash
    joint_funding_gbp: np.ndarray = field(init=False)  # last month's placement contributions
    council_share: np.ndarray = field(init=False)  # each council's share of its ICB's budget

    def __post_init__(self) -> None:
        self.staff_capacity = np.zeros(self.n)
        self.credit = np.zeros(self.n)
        self.budget_gbp = np.zeros(self.n)
        self.joint_funding_gbp = np.zeros(self.n)


class Icb(mesa.Agent):
    """An NHS integrated care board: funds therapy and placements for its councils' children."""

    def __init__(self, model: SendModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @staticmethod
    def create(model: SendModel, prof: Profiles) -> IcbTable:
        names = list(np.unique(prof.icb_names))
        Icb.create_agents(model, len(names), index=list(range(len(names))))
        return IcbTable(n=len(names), name=names)

    # -- the budget ------------------------------------------------------------------------
    @staticmethod
    def set_staff(model: SendModel, courses: np.ndarray) -> None:
        """Therapy staff able to start ``courses`` a month for each council's children."""
        icbs = model.icbs
        icbs.council_courses = courses
        icbs.staff_capacity = count_by(model.councils.icb, icbs.n, courses)

    @staticmethod
    def set_budgets(model: SendModel, joint_funding: np.ndarray) -> None:
        """Starting SEND budgets: what each ICB commissions in the starting year, the therapy
        its staff give and its yearly ``joint_funding`` of each council's placements."""
        icbs, la_icb = model.icbs, model.councils.icb
        course = model.cfg.behaviour.health.course_cost_gbp * model.scale
        by_council = MONTHS_PER_YEAR * icbs.council_courses * course + joint_funding
        icbs.budget_gbp = count_by(la_icb, icbs.n, by_council)
        icbs.joint_funding_gbp = count_by(la_icb, icbs.n, joint_funding) / MONTHS_PER_YEAR
        icbs.council_share = by_council / np.maximum(icbs.budget_gbp[la_icb], 1.0)

    @staticmethod
    def grow_budgets(model: SendModel) -> None:
        """A month of growth of ICB allocations."""
        growth = model.cfg.behaviour.health.icb_budget_growth_per_year
        model.icbs.budget_gbp *= (1 + growth) ** (1 / MONTHS_PER_YEAR)

    @staticmethod
    def duty_share(model: SendModel) -> float:
        """Share of a gap in its SEND budget an ICB meets from the rest of its allocation:
        by choice, or as far as backstop powers hold it to its duties, all of it."""
        absorbed = model.cfg.behaviour.health.icb_gap_absorbed_share
        return absorbed + (1 - absorbed) * model.policy.powers.icb_backstop_powers

    # -- joint funding -----------------------------------------------------------------------
    @staticmethod
    def health_share(model: SendModel) -> float:
        """Share of independent placements' fees ICBs pay; more under backstop powers."""
        pol = model.policy
        gain = model.cfg.behaviour.effects.icb_health_share_gain * pol.powers.icb_backstop_powers
        return pol.tariffs.health_share_of_complex_placements + gain

    @staticmethod
    def joint_fund(model: SendModel, independent_spend: np.ndarray) -> np.ndarray:
        """What ICBs pay this month towards each council's ``independent_spend``: contracts,
        paid in full whatever their budgets."""
        paid = Icb.health_share(model) * independent_spend
        model.icbs.joint_funding_gbp = count_by(model.councils.icb, model.icbs.n, paid)
        return paid

    # -- therapy ---------------------------------------------------------------------------
    @staticmethod
    def course_cost(model: SendModel) -> float:
        """Cost of a course started for a sampled child (full scale, this month's prices)."""
        cost = model.cfg.behaviour.health.course_cost_gbp * model.cost_index[Place.MAINSTREAM]
        return cost * model.scale

    @staticmethod
    def therapy_capacity(model: SendModel) -> np.ndarray:
        """Courses each ICB starts this month: what its therapists can do (more under backstop
        powers), cut by the part of any gap between its commitments and its budget that it
        does not meet from elsewhere."""
        icbs = model.icbs
        powers = model.policy.powers.icb_backstop_powers
        gain = 1 + model.cfg.behaviour.effects.icb_capacity_gain * powers
        staff = icbs.staff_capacity * ratio(model.policy, "workforce.therapists") * gain
        cost = Icb.course_cost(model)
        budget = icbs.budget_gbp / MONTHS_PER_YEAR
        gap = np.maximum(icbs.joint_funding_gbp + staff * cost - budget, 0.0)
        return np.maximum(staff - (1 - Icb.duty_share(model)) * gap / cost, 0.0)

    @staticmethod
    def start_courses(model: SendModel, waiting: np.ndarray) -> np.ndarray:
        """The waiting children ``waiting`` whose ICB starts their course this month."""
        icbs, la_icb = model.icbs, model.councils.icb
        icb = la_icb[model.children.la[waiting]]
        capacity = Icb.therapy_capacity(model)
        icbs.credit += capacity
        start = waiting[allocate(icb, model.children.therapy_wait[waiting], icbs.credit)]
        icbs.credit -= count_by(la_icb[model.children.la[start]], icbs.n)
        np.minimum(icbs.credit, np.maximum(capacity, 1.0), out=icbs.credit)  # idle time is lost
        return start
