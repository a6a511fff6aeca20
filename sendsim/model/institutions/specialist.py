"""Schools with places: state special schools and independent special schools.

A special school's decisions: admitting the children the council names, highest need first,
where places are free (:meth:`PlaceTable.admit`), and opening the places capital commissioned
(:meth:`SpecialSchool.open_new_places`). The independent market's: admitting children (those a
tribunal names even when full), expanding towards the demand it could not meet
(:meth:`IndependentSchool.respond_to_demand`) and setting its fees
(:meth:`IndependentSchool.fee_growth`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sendsim.dates import SEPTEMBER
from sendsim.model.codes import Place
from sendsim.model.ops import MONTHS_PER_YEAR, allocate, count_by, fill_slots, stochastic_round

if TYPE_CHECKING:
    from sendsim.model.model import SendModel
    from sendsim.model.profile import Profiles


def whole_free_places(model: SendModel, spare: np.ndarray, place: Place) -> np.ndarray:
    """Whole places free in each group (market or council) of one kind of place, from its
    spare places rounded at random (up with the chance of the fraction), so that a sample
    uses its places as the whole population would: a place at 1 in 20 stands for 20."""
    keys = np.arange(len(spare)) * Place.count() + place
    u = model.streams.uniform("places.free", keys, model.months_elapsed)
    return stochastic_round(np.maximum(spare, 0.0), u).astype(np.float64)


@dataclass(eq=False)
class PlaceTable:
    """Schools with places: state special (market = council) or independent (market = region)."""

    place: Place
    owner: np.ndarray  # council whose demand the places were sized for
    host: np.ndarray  # council the school is in (-1: outside the simulated area)
    market: np.ndarray  # which children may use it: council index or market index
    places: np.ndarray  # funded places (sample scale; a market's fraction used at random)
    refused: np.ndarray = field(init=False)  # children turned away per market this month

    def __post_init__(self) -> None:
        self.refused = np.zeros(int(self.market.max()) + 1 if len(self.market) else 0)

    @property
    def n(self) -> int:
        return len(self.owner)

    def occupancy(self, model: SendModel) -> np.ndarray:
        """Places taken in each school."""
        return count_by(model.children.school[model.occupants(self.place)], self.n)

    def free_by_market(self, model: SendModel, occupancy: np.ndarray) -> np.ndarray:
        """Whole places free in each market: its places less its pupils, counted over the
        market (see :func:`whole_free_places`)."""
        n_markets = len(self.refused)
        spare = count_by(self.market, n_markets, self.places) - count_by(
            self.market, n_markets, occupancy
        )
        return whole_free_places(model, spare, self.place)

    def places_by_council(self, n_councils: int) -> np.ndarray:
        return count_by(self.owner, n_councils, self.places)

    def admit(self, model: SendModel, idx: np.ndarray, force: bool = False) -> np.ndarray:
        """Admit children ``idx`` (highest need first) where places are free.

        Children already placed in this kind of school keep their place. With ``force`` (a
        tribunal naming the placement) every child is admitted, over the places if need be,
        and counts in the market's demand (:meth:`IndependentSchool.respond_to_demand`).
        Returns the children who could not be admitted.
        """
        ch = model.children
        new = idx[ch.place[idx] != self.place]
        if len(new) == 0:
            return new
        group = self.child_market(model, new)
        occupancy = self.occupancy(model)
        free = self.free_by_market(model, occupancy)
        ok = np.ones(len(new), bool) if force else allocate(group, ch.severity[new], free)
        self.refused += count_by(group[~ok], len(self.refused))
        admitted = new[ok]
        slots = np.maximum(np.ceil(self.places) - occupancy, 0)  # at least the market's free
        if force:
            self._add_overflow_slots(slots, count_by(group[ok], len(self.refused)))
        ch.school[admitted] = fill_slots(self.market, slots, group[ok], ch.severity[admitted])
        ch.place[admitted] = self.place
        model.note_admissions(admitted)
        return new[~ok]

    def child_market(self, model: SendModel, idx: np.ndarray) -> np.ndarray:
        la = model.children.la[idx]
        return model.councils.market[la] if self.place == Place.INDEPENDENT else la.astype(np.int64)

    def over_full(self, model: SendModel) -> np.ndarray:
        """Pupils beyond the places of each market."""
        n_markets = len(self.refused)
        pupils = count_by(self.market, n_markets, self.occupancy(model))
        return np.maximum(pupils - count_by(self.market, n_markets, self.places), 0.0)

    def _add_overflow_slots(self, slots: np.ndarray, admitted: np.ndarray) -> None:
        """Slots beyond the places for the children a market must take: at its first school."""
        first = np.full(len(admitted), -1)
        first[self.market[::-1]] = np.arange(self.n)[::-1]
        beyond = np.maximum(admitted - count_by(self.market, len(admitted), slots), 0)
        grow = np.flatnonzero((beyond > 0) & (first >= 0))
        slots[first[grow]] += beyond[grow]


class SpecialSchool(mesa.Agent):
    """A state special school: places funded by the council, growing with capital."""

    def __init__(self, model: SendModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    def open_new_places(self, growth: float) -> None:
        """Each September: places commissioned with capital open."""
        self.model.specials.places[self.index] *= 1.0 + growth

    @staticmethod
    def open_commissioned_places(model: SendModel) -> None:
        """Each September every special school opens the places commissioned
        ``build_lead_time_years`` ago (capital programme)."""
        lead_time = model.policy.capital.build_lead_time_years
        commissioned = model.policy_at(model.year - lead_time, SEPTEMBER).capital
        model.agents_by_type[SpecialSchool].do(
            "open_new_places", commissioned.special_places_growth_per_year
        )


class IndependentSchool(mesa.Agent):
    """An independent or non-maintained special school in a regional market."""

    def __init__(self, model: SendModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    def respond_to_demand(
        self, market_places: np.ndarray, over_full: np.ndarray, growth: float
    ) -> None:
        """Each month: the school takes its share of its market's unmet demand (children
        turned away in the month, and pupils tribunals placed beyond its places), adding at
        most ``growth`` of its places.

        Args:
            market_places: places in each market.
            over_full: pupils beyond the places of each market.
            growth: largest growth of a school's places in a month.
        """
        iss, i = self.model.iss, self.index
        market = iss.market[i]
        share = iss.places[i] / max(market_places[market], 1e-9)
        demand = share * (iss.refused[market] + over_full[market])
        iss.places[i] += min(demand, growth * iss.places[i])

    @staticmethod
    def expand_markets(model: SendModel) -> None:
        """Each month the market responds to the demand it could not meet, within its
        yearly growth (England's recent growth of independent placements)."""
        iss = model.iss
        market_places = count_by(iss.market, len(iss.refused), iss.places)
        relative = model.cfg.behaviour.placement.iss_growth_relative
        yearly = model.profiles.independent_growth * relative
        growth = (1.0 + yearly) ** (1.0 / MONTHS_PER_YEAR) - 1.0
        model.agents_by_type[IndependentSchool].do(
            "respond_to_demand", market_places, iss.over_full(model), growth
        )
        iss.refused[:] = 0.0

    @staticmethod
    def fee_growth(model: SendModel) -> float:
        """Yearly growth of independent fees, up to any tariff cap."""
        f = model.cfg.finance
        return min(f.iss_fee_growth_per_year, model.policy.tariffs.independent_fee_growth_cap)


def create_place_tables(
    model: SendModel, prof: Profiles, england: bool
) -> tuple[PlaceTable, PlaceTable]:
    """State special schools per council and independent schools in councils' markets, sized
    to the children holding their places in January and the published plans."""
    ch, p = model.children, model.cfg.behaviour.placement
    tables = []
    for place, size, headroom, kind in (
        (Place.STATE_SPECIAL, p.special_school_pupils, p.special_headroom, SpecialSchool),
        (Place.INDEPENDENT, p.independent_school_pupils, p.independent_headroom, IndependentSchool),
    ):
        plans = prof.plans[:, :, place].sum(axis=1)
        n_schools = np.maximum(np.round(plans / size), 1).astype(np.int64)
        owner = np.repeat(np.arange(prof.n), n_schools)
        host = _hosts(model, prof, owner, place, england)
        market = model.councils.market[owner] if place == Place.INDEPENDENT else owner
        table = PlaceTable(place, owner, host, market, np.zeros(len(owner)))
        pupils = np.flatnonzero(ch.place == place)
        table_free = np.repeat(np.ceil(count_by(ch.la[pupils], prof.n) / n_schools) + 1, n_schools)
        ch.school[pupils] = fill_slots(
            owner, table_free, ch.la[pupils].astype(np.int64), ch.severity[pupils]
        )
        table.places[:] = _share_out(plans * model.sample_fraction * headroom, table, model)
        kind.create_agents(model, len(owner), index=list(range(len(owner))))
        tables.append(table)
    return tables[0], tables[1]


def _share_out(places: np.ndarray, table: PlaceTable, model: SendModel) -> np.ndarray:
    """Each council's ``places`` (sized to its published plans, whatever pupils the sample
    drew, so that places do not grow with sampling noise) shared among its schools: each
    keeps its pupils and an equal part of any spare places; a shortfall is shared in
    proportion to pupils (the schools start over-full)."""
    occupancy = table.occupancy(model)
    pupils = count_by(table.owner, len(places), occupancy)[table.owner]
    schools = np.bincount(table.owner, minlength=len(places))[table.owner]
    spare = (places[table.owner] - pupils) / schools
    over_full = places[table.owner] * occupancy / np.maximum(pupils, 1.0)
    return np.where(spare >= 0, occupancy + spare, over_full)


def _hosts(
    model: SendModel, prof: Profiles, owner: np.ndarray, place: Place, england: bool
) -> np.ndarray:
    """The council each school is in: state special in its own council; independent schools
    in the owner's council with probability ``independent_in_area_share``, else elsewhere in
    the region (england) or outside the simulated area (-1)."""
    if place == Place.STATE_SPECIAL:
        return owner.copy()
    key = prof.keys[owner] * 1000 + (np.arange(len(owner)) - np.searchsorted(owner, owner, "left"))
    u = model.streams.uniform("independent.host", key)
    in_area = u < model.cfg.behaviour.placement.independent_in_area_share
    if not england:
        return np.where(in_area, owner, -1)
    council_market = model.councils.market
    by_market = np.argsort(council_market, kind="stable")
    size = np.bincount(council_market)
    first = np.cumsum(size) - size
    market = council_market[owner]
    v = model.streams.uniform("independent.elsewhere", key)
    elsewhere = by_market[first[market] + (v * size[market]).astype(np.int64)]
    return np.where(in_area, owner, elsewhere)
