"""Mainstream primary and secondary schools.

A school's decisions: how much need it meets at SEN support given its capability and its SEN
load (:meth:`MainstreamSchool.need_met_at_support`), and whether it admits a child with a plan
whom the council names (:meth:`MainstreamSchool.turns_away`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa
import numpy as np
from scipy.special import expit, logit, ndtri

from sendsim.model.codes import Place, Sen
from sendsim.model.levers import change
from sendsim.model.ops import count_by, solve_rising

if TYPE_CHECKING:
    from sendsim.model.model import SendModel
    from sendsim.model.profile import Profiles


@dataclass(eq=False)
class SchoolTable:
    """Mainstream schools: council, phase (0 primary, 1 secondary), who runs them, size and
    capability. A school is synthetic, of average size, and stands for the schools of its
    council and phase alike: its academy share is theirs, so it does not depend on how many
    schools a sample draws."""

    la: np.ndarray
    phase: np.ndarray
    academy: np.ndarray  # share of the schools it stands for run as academies or free schools
    size: np.ndarray  # capacity, used as the weight when families choose
    capability: np.ndarray  # need level met at SEN support with a normal SEN load
    mhst_draw: np.ndarray  # uniform: the school has a mental health support team if < coverage
    pupils: np.ndarray = field(init=False)  # roll this academic year (see count_pupils)

    @property
    def n(self) -> int:
        return len(self.la)

    def __post_init__(self) -> None:
        group = self.la.astype(np.int64) * 2 + self.phase
        order = np.lexsort((np.arange(self.n), group))
        self._order = order
        self._cum = np.cumsum(self.size[order].astype(np.float64))
        n_groups = int(group.max()) + 1 if self.n else 0
        counts = np.bincount(group, minlength=n_groups)
        self._first = np.concatenate([[0], np.cumsum(counts)])[:-1]
        self._total = np.bincount(group, weights=self.size, minlength=n_groups)
        self._base = np.where(self._first > 0, self._cum[np.maximum(self._first - 1, 0)], 0.0)

    def count_pupils(self, model: SendModel) -> None:
        """Recount each school's pupils (each September: the roll for the year)."""
        ch = model.children
        pupils = np.flatnonzero((ch.place == Place.MAINSTREAM) & (ch.school >= 0))
        self.pupils = count_by(ch.school[pupils], self.n)

    def choose(self, la: np.ndarray, phase: np.ndarray, u: np.ndarray) -> np.ndarray:
        """A school of ``phase`` in council ``la`` for each child, with chance ∝ size."""
        group = la * 2 + phase
        target = self._base[group] + u * self._total[group]
        pos = np.searchsorted(self._cum, target, side="right")
        return self._order[np.minimum(pos, self.n - 1)].astype(np.int32)


ACADEMY_SOLVE_STEPS = 50  # bisection halvings of the councils' log-odds shift


def academy_shares(prof: Profiles, england_by_phase: Sequence[float]) -> np.ndarray:
    """Share of each council's primary and secondary schools that are academies, (councils,
    2): England's share for each phase, shifted on the log-odds scale by the same amount for
    both so that, weighting the phases by the council's pupils, they make its published share
    of mainstream plans in academies."""
    england = logit(np.clip(england_by_phase, 1e-6, 1 - 1e-6))
    pupils = np.stack([prof.primary_pupils, prof.secondary_pupils], axis=1)
    weight = pupils / np.maximum(pupils.sum(axis=1, keepdims=True), 1.0)
    share = lambda shift: (weight * expit(england + shift[:, None])).sum(axis=1)  # noqa: E731
    low, high = np.full(prof.n, -20.0), np.full(prof.n, 20.0)
    shift = solve_rising(share, prof.academy_share, low, high, ACADEMY_SOLVE_STEPS)
    return expit(england + shift[:, None])


class MainstreamSchool(mesa.Agent):
    """A mainstream primary or secondary school (state in ``model.schools``)."""

    def __init__(self, model: SendModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def capability(self) -> float:
        return float(self.model.schools.capability[self.index])

    @staticmethod
    def create(model: SendModel, prof: Profiles) -> SchoolTable:
        """Synthesise each council's primary and secondary schools from its pupil numbers: as
        many schools of average size as the simulated pupils fill."""
        support, f = model.cfg.behaviour.support, model.sample_fraction
        # schools of full size at any sample: a school's SEN load, and so the support it
        # gives, must not depend on how many of its pupils are simulated
        n_primary = np.maximum(np.round(prof.primary_pupils * f / support.primary_school_pupils), 1)
        n_secondary = np.maximum(
            np.round(prof.secondary_pupils * f / support.secondary_school_pupils), 1
        )
        n_primary, n_secondary = n_primary.astype(np.int64), n_secondary.astype(np.int64)
        la = np.concatenate(
            [np.repeat(np.arange(prof.n), n_primary), np.repeat(np.arange(prof.n), n_secondary)]
        )
        phase = np.concatenate(
            [np.zeros(n_primary.sum(), np.int8), np.ones(n_secondary.sum(), np.int8)]
        )
        size = np.concatenate(
            [
                np.repeat(
                    np.maximum(prof.primary_capacity, prof.primary_pupils) / n_primary, n_primary
                ),
                np.repeat(
                    np.maximum(prof.secondary_capacity, prof.secondary_pupils) / n_secondary,
                    n_secondary,
                ),
            ]
        )
        number = np.arange(len(la)) - np.searchsorted(la, la, "left") if len(la) else la
        key = prof.keys[la] * 100_000 + number
        u = model.streams.uniform("school.capability", key)
        capability = np.clip(
            support.mainstream_capability + support.capability_sd * ndtri(u),
            support.min_capability,
            support.max_capability,
        )
        mhst_draw = model.streams.uniform("school.mhst", key)
        academy = academy_shares(prof, support.academy_share_by_phase)[la, phase]
        order = np.lexsort((phase, la))  # schools grouped by council, primaries first
        MainstreamSchool.create_agents(model, len(la), index=list(range(len(la))))
        return SchoolTable(
            la=la[order],
            phase=phase[order],
            academy=academy[order],
            size=size[order],
            capability=capability[order],
            mhst_draw=mhst_draw[order],
        )

    @staticmethod
    def need_met_at_support(
        model: SendModel, place: np.ndarray, sen: np.ndarray, school: np.ndarray
    ) -> np.ndarray:
        """Need level each mainstream school meets at SEN support, given its SEN load.

        ``place``, ``sen`` and ``school`` describe the children with a need (``model.needy``).
        Staff training and inclusion in inspection raise capability; qualified SENCos, and the
        purchasing power of the school's notional SEN budget, set how many pupils a school can
        support before its support thins out.
        """
        schools, s = model.schools, model.cfg.behaviour.support
        fx, pol = model.cfg.behaviour.effects, model.policy
        capability = schools.capability + fx.training_capability * change(
            pol, "inclusion.staff_training_coverage"
        )
        drift = fx.inspection_capability_per_year * model.years_of_reform
        most = fx.inspection_capability_max
        capability += np.clip(drift * change(pol, "powers.inclusion_in_inspection"), -most, most)
        capacity_share = (
            s.sen_capacity_share
            * (1 + fx.senco_capacity * change(pol, "inclusion.senco_qualified_share"))
            * MainstreamSchool.notional_budget_real(model)
        )
        on_support = (
            (place == Place.MAINSTREAM) & (sen >= Sen.SUPPORT) & (sen < Sen.EHCP) & (school >= 0)
        )
        load = count_by(school[on_support], schools.n) / np.maximum(
            capacity_share * schools.pupils, 1.0
        )
        factor = np.clip(1.0 / np.maximum(load, 1e-9), s.min_load_factor, 1.0)
        return np.clip(capability, s.min_capability, s.max_capability) * factor

    @staticmethod
    def notional_budget_real(model: SendModel) -> float:
        """What schools' notional SEN budgets buy, relative to the start: their cash growth
        against the growth of staff costs."""
        budget = 1 + model.cfg.behaviour.support.notional_budget_growth_per_year
        costs = 1 + model.cfg.finance.cost_inflation_per_year
        return (budget / costs) ** (model.months_elapsed / 12)

    @staticmethod
    def turns_away(model: SendModel, plan: np.ndarray) -> np.ndarray:
        """Children with plans ``plan`` whom the school chosen for them declines: an academy,
        which the council cannot direct to admit (unless councils have that power); councils
        direct the schools they maintain."""
        fx, powers = model.cfg.behaviour.effects, model.policy.powers
        declined_chance = fx.admission_refusal * (1 - powers.direct_academies_to_admit)
        ch = model.children
        at_academy = model.schools.academy[ch.school[plan]]
        u = model.streams.uniform("admission", ch.uid[plan], model.months_elapsed)
        return plan[u < at_academy * declined_chance]
