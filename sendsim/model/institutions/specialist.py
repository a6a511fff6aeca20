"""Schools with places: state special schools and independent special schools.

A special school's decisions: admitting the children the council names, highest need first,
where places are free (:meth:`PlaceTable.admit`), and opening the places capital commissioned
(:meth:`SpecialSchool.open_new_places`). The independent market's: admitting children, adding
places when a tribunal names it, expanding towards demand it turned away
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
from sendsim.model.ops import allocate, count_by, fill_slots, stochastic_round

if TYPE_CHECKING:
    from sendsim.model.model import SendModel
    from sendsim.model.profile import Profiles


@dataclass(eq=False)
class PlaceTable:
    """Schools with places: state special (market = council) or independent (market = region)."""

    place: Place
    owner: np.ndarray  # council whose demand the places were sized for
    host: np.ndarray  # council the school is in (-1: outside the simulated area)
    market: np.ndarray  # which children may use it: council index or market index
    places: np.ndarray  # funded places (sample scale; a market's fraction used at random)
    refused: np.ndarray = field(init=False)  # children turned away per market since September

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
        market and rounded at random (up with the chance of the fraction), so that a sample
        uses its places as the whole population would: a place at 1 in 20 stands for 20."""
        n_markets = len(self.refused)
        spare = count_by(self.market, n_markets, self.places) - count_by(
            self.market, n_markets, occupancy
        )
        keys = np.arange(n_markets) * Place.count() + self.place
        u = model.streams.uniform("places.free", keys, model.months_elapsed)
        return stochastic_round(np.maximum(spare, 0.0), u).astype(np.float64)

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
        occupancy = self.occupancy(model)
        free = self.free_by_market(model, occupancy)
        if force:
            short = np.maximum(count_by(group, len(free)) - free, 0)
            free += self._expand(short)
        ok = allocate(group, ch.severity[new], free)
        self.refused += count_by(group[~ok], len(self.refused))
        admitted = new[ok]
        slots = np.maximum(np.ceil(self.places) - occupancy, 0)  # at least the market's free
        ch.school[admitted] = fill_slots(self.market, slots, group[ok], ch.severity[admitted])
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

    def respond_to_demand(self, market_places: np.ndarray, growth: float) -> None:
        """Each September: the school takes its share of the children its market turned away
        since last September, adding at most ``growth`` of its places.

        Args:
            market_places: places in each market.
            growth: largest yearly growth of a school's places.
        """
        iss, i = self.model.iss, self.index
        share = iss.places[i] / max(market_places[iss.market[i]], 1e-9)
        iss.places[i] += min(share * iss.refused[iss.market[i]], growth * iss.places[i])

    @staticmethod
    def expand_markets(model: SendModel) -> None:
        """Each September the market responds to last year's turned-away demand."""
        iss = model.iss
        market_places = count_by(iss.market, len(iss.refused), iss.places)
        growth = model.cfg.behaviour.placement.iss_growth_per_year
        model.agents_by_type[IndependentSchool].do("respond_to_demand", market_places, growth)
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
        # places sized per council, as many as its plans call for or its pupils take: each
        # school keeps its pupils and an equal part of the council's spare places
        occupancy = table.occupancy(model)
        spare = plans * model.sample_fraction * headroom - count_by(owner, prof.n, occupancy)
        table.places[:] = occupancy + np.maximum(spare, 0.0)[owner] / n_schools[owner]
        kind.create_agents(model, len(owner), index=list(range(len(owner))))
        tables.append(table)
    return tables[0], tables[1]


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
