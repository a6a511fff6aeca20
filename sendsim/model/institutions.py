"""Institutions: councils, ICBs and schools as Mesa agents over columnar tables.

Each agent type keeps its state in a table of numpy arrays (one row per agent) so that monthly
phases act on all of them at once; the Mesa agents give each institution an identity, the
yearly decisions it takes (a council's gatekeeping, a special school opening places, the
independent market expanding) and a readable view of its state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sendsim.model.codes import Place
from sendsim.model.ops import allocate, count_by
from sendsim.model.phases.placement import fill_slots

if TYPE_CHECKING:
    from sendsim.model.model import SendModel


# -- tables -------------------------------------------------------------------------------
@dataclass(eq=False)
class CouncilTable:
    """Per-council state; money at full scale, children and places at sample scale."""

    n: int
    key: np.ndarray  # LA number: keys the council's random streams in any run
    code: list[str]
    name: list[str]
    icb: np.ndarray  # index into IcbTable
    market: np.ndarray  # independent school market (region in england runs)
    births_per_year: np.ndarray  # full scale
    in_rate_by_age: np.ndarray  # (n, 26) yearly moves in per resident of that age
    out_rate_by_age: np.ndarray  # (26,) yearly hazard of moving out
    request_scale: np.ndarray  # monthly request chance per unit of request weight
    refusal_logit: np.ndarray  # log-odds of refusing to assess at the reference need level
    issue_logit: np.ndarray  # log-odds of issuing a plan after assessment
    assessment_capacity: np.ndarray  # assessments concluded per month (sample scale)
    resourced_places: np.ndarray  # places (sample scale, whole numbers)
    resourced_threshold: np.ndarray  # need level calling for resourced provision
    special_threshold: np.ndarray  # need level calling for a special school
    unit_cost_gbp: np.ndarray  # (n, N_PLACE) yearly cost of a plan by placement, start prices
    central_spend_gbp_per_year: np.ndarray  # high needs spend not tied to plans, start prices
    hnb_gbp_by_year: dict[int, np.ndarray]  # high needs block by financial year (April start)
    dsg_balance_gbp: np.ndarray  # cumulative DSG balance, negative = deficit
    cease_scale: np.ndarray = field(init=False)  # fitted: council's plan cessation vs national
    request_trend: np.ndarray = field(init=False)  # fitted: yearly growth of request propensity
    dispute_scale: np.ndarray = field(init=False)  # council's appeal rate relative to England's
    next_serial: np.ndarray = field(init=False)
    gatekeeping: np.ndarray = field(init=False)  # extra refusal log-odds from deficit pressure
    trust: np.ndarray = field(init=False)  # families' trust in the local system, 0-1
    assessment_credit: np.ndarray = field(init=False)
    assessment_demand: np.ndarray = field(init=False)  # cases entering assessment per month
    deficit_exposed_gbp: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.next_serial = np.zeros(self.n, np.int64)
        self.cease_scale = np.ones(self.n)
        self.request_trend = np.zeros(self.n)
        self.dispute_scale = np.ones(self.n)
        self.gatekeeping = np.zeros(self.n)
        self.trust = np.full(self.n, 0.5)
        self.assessment_credit = np.zeros(self.n)
        self.assessment_demand = self.assessment_capacity.copy()
        self.deficit_exposed_gbp = np.zeros(self.n)


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


@dataclass(eq=False)
class SchoolTable:
    """Mainstream schools: council, phase (0 primary, 1 secondary), size and capability."""

    la: np.ndarray
    phase: np.ndarray
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


@dataclass(eq=False)
class PlaceTable:
    """Schools with places: state special (market = council) or independent (market = region)."""

    place: Place
    owner: np.ndarray  # council whose demand the places were sized for
    host: np.ndarray  # council the school is in (-1: outside the simulated area)
    market: np.ndarray  # which children may use it: council index or market index
    places: np.ndarray  # funded places (sample scale; whole places usable)
    refused: np.ndarray = field(init=False)  # children turned away per market since September

    def __post_init__(self) -> None:
        self.refused = np.zeros(int(self.market.max()) + 1 if len(self.market) else 0)

    @property
    def n(self) -> int:
        return len(self.owner)

    def occupancy(self, model: SendModel) -> np.ndarray:
        """Places taken in each school."""
        return count_by(model.children.school[model.occupants(self.place)], self.n)

    def places_by_council(self, n_councils: int) -> np.ndarray:
        return count_by(self.owner, n_councils, self.places)

    def admit(self, model: SendModel, idx: np.ndarray, force: bool = False) -> np.ndarray:
        """Admit children ``idx`` (highest need first) where places are free.

        Children already placed in this kind of school keep their place. With ``force`` (a
        tribunal naming the placement) a full market adds the places needed, recorded as
        growth of ``places``. Returns the children who could not be admitted.
        """
        ch = model.children
        new = idx[ch.place[idx] != self.place]
        if len(new) == 0:
            return new
        group = self.child_market(model, new)
        free_by_school = np.maximum(np.floor(self.places) - self.occupancy(model), 0)
        n_markets = int(self.market.max()) + 1 if self.n else 0
        free = count_by(self.market, n_markets, free_by_school)
        if force:
            short = np.maximum(count_by(group, n_markets) - free, 0)
            free += self._expand(short)
            free_by_school = np.maximum(np.floor(self.places) - self.occupancy(model), 0)
        ok = allocate(group, ch.severity[new], free)
        self.refused += count_by(group[~ok], len(self.refused))
        admitted = new[ok]
        ch.school[admitted] = fill_slots(
            self.market, free_by_school, group[ok], ch.severity[admitted]
        )
        ch.place[admitted] = self.place
        model.note_admissions(admitted)
        return new[~ok]

    def child_market(self, model: SendModel, idx: np.ndarray) -> np.ndarray:
        la = model.children.la[idx]
        return model.councils.market[la] if self.place == Place.INDEPENDENT else la.astype(np.int64)

    def _expand(self, short: np.ndarray) -> np.ndarray:
        """Add ``short`` places per market to its first school; return places added."""
        first = np.full(len(short), -1)
        first[self.market[::-1]] = np.arange(self.n)[::-1]
        grow = np.flatnonzero((short > 0) & (first >= 0))
        self.places[first[grow]] += short[grow]
        added = np.zeros(len(short))
        added[grow] = short[grow]
        return added


# -- agents -------------------------------------------------------------------------------
class Council(mesa.Agent):
    """A local authority: assesses, names placements, pays, and manages its DSG deficit."""

    def __init__(self, model: SendModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def code(self) -> str:
        return self.model.councils.code[self.index]

    @property
    def dsg_balance_gbp(self) -> float:
        return float(self.model.councils.dsg_balance_gbp[self.index])

    def plan_financial_year(self, income_gbp: float, open_cases: float) -> None:
        """Each April: resource assessments towards demand and the backlog; gatekeep harder in
        deficit.

        Args:
            income_gbp: the year's high needs block.
            open_cases: assessments under way (sample scale).
        """
        c, p = self.model.councils, self.model.cfg.behaviour.council
        i = self.index
        usual_open = c.assessment_demand[i] * self.model.assessment_months
        target = c.assessment_demand[i] + max(open_cases - usual_open, 0.0) / 12.0
        c.assessment_capacity[i] += p.capacity_response * (target - c.assessment_capacity[i])
        deficit_share = max(0.0, -c.dsg_balance_gbp[i] / max(income_gbp, 1.0))
        c.gatekeeping[i] = p.gatekeeping_response * deficit_share


class Icb(mesa.Agent):
    """An NHS integrated care board: commissions therapy capacity for its councils."""

    def __init__(self, model: SendModel, index: int) -> None:
        super().__init__(model)
        self.index = index


class MainstreamSchool(mesa.Agent):
    """A mainstream primary or secondary school (state in ``model.schools``)."""

    def __init__(self, model: SendModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @property
    def capability(self) -> float:
        return float(self.model.schools.capability[self.index])


class SpecialSchool(mesa.Agent):
    """A state special school: places funded by the council, growing with capital."""

    def __init__(self, model: SendModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    def open_new_places(self, growth: float) -> None:
        """Each September: places commissioned with capital open."""
        self.model.specials.places[self.index] *= 1.0 + growth


class IndependentSchool(mesa.Agent):
    """An independent or non-maintained special school in a regional market."""

    def __init__(self, model: SendModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    def respond_to_demand(self, market_places: float, growth: float) -> None:
        """Each September: the school takes its share of the children its market turned away
        since last September, adding at most ``growth`` of its places."""
        iss, i = self.model.iss, self.index
        share = iss.places[i] / max(market_places, 1e-9)
        iss.places[i] += min(share * iss.refused[iss.market[i]], growth * iss.places[i])
