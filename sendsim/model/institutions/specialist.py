"""Schools with places: state special schools and independent special schools.

A special school's decisions: admitting the children the council names, highest need first,
where places are free (:meth:`PlaceTable.admit`), and opening the places capital commissioned
(:meth:`SpecialSchool.open_new_places`). The independent market's: admitting children (those a
tribunal names even when full), opening places for them within its yearly growth
(:meth:`IndependentSchool.bank_growth`) and setting its fees
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
    allowance: np.ndarray = field(init=False)  # places each market may still open on demand
    price_ratio: np.ndarray = field(init=False)  # what a market is paid / the fees it would set

    def __post_init__(self) -> None:
        self.allowance = np.zeros(int(self.market.max()) + 1 if len(self.market) else 0)
        self.price_ratio = np.ones_like(self.allowance)

    @property
    def n(self) -> int:
        return len(self.owner)

    @property
    def n_markets(self) -> int:
        return len(self.allowance)

    def occupancy(self, model: SendModel) -> np.ndarray:
        """Places taken in each school."""
        return count_by(model.children.school[model.occupants(self.place)], self.n)

    def spare(self, occupancy: np.ndarray) -> np.ndarray:
        """Places less pupils in each market (negative when over-full)."""
        n = self.n_markets
        return count_by(self.market, n, self.places) - count_by(self.market, n, occupancy)

    def free_by_market(self, model: SendModel, occupancy: np.ndarray) -> np.ndarray:
        """Whole places free in each market: its spare places and those it may still open,
        counted over the market (see :func:`whole_free_places`)."""
        return whole_free_places(model, self.spare(occupancy) + self.allowance, self.place)

    def places_by_council(self, n_councils: int) -> np.ndarray:
        return count_by(self.owner, n_councils, self.places)

    def admit(self, model: SendModel, idx: np.ndarray, force: bool = False) -> np.ndarray:
        """Admit children ``idx`` (highest need first) where places are free or the market may
        open them (:meth:`IndependentSchool.bank_growth`).

        Children already placed in this kind of school keep their place. With ``force`` (a
        tribunal naming the placement) every child is admitted, over the places if need be.
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
        admitted = new[ok]
        wanted = count_by(group[ok], self.n_markets)
        spare = np.maximum(self.spare(occupancy), 0.0)
        self.open_places(np.clip(wanted - spare, 0.0, self.allowance))
        slots = np.maximum(np.ceil(self.places) - occupancy, 0)
        self._add_overflow_slots(slots, wanted)
        ch.school[admitted] = fill_slots(self.market, slots, group[ok], ch.severity[admitted])
        ch.place[admitted] = self.place
        model.note_admissions(admitted)
        return new[~ok]

    def open_places(self, added: np.ndarray) -> None:
        """Open ``added`` places in each market, out of its allowance, shared by its schools
        in proportion to their places."""
        by_market = count_by(self.market, self.n_markets, self.places)
        self.places *= 1.0 + (added / np.maximum(by_market, 1e-9))[self.market]
        self.allowance -= added

    def has_room(self, model: SendModel) -> np.ndarray:
        """Whether each market still has a real place free (at 1 in 20, a twentieth of a
        sampled place): a child turned away from a market with room missed only part of a
        place, which no child of the whole population does."""
        spare = self.spare(self.occupancy(model)) + self.allowance
        return spare >= model.sample_fraction

    def child_market(self, model: SendModel, idx: np.ndarray) -> np.ndarray:
        la = model.children.la[idx]
        return model.councils.market[la] if self.place == Place.INDEPENDENT else la.astype(np.int64)

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

    def open_new_places(self, by_council: np.ndarray) -> None:
        """Each September: the places its council commissioned open (growth by council)."""
        specials = self.model.specials
        specials.places[self.index] *= 1.0 + by_council[specials.owner[self.index]]

    @staticmethod
    def open_commissioned_places(model: SendModel) -> None:
        """Each September every special school opens the places its council commissioned
        ``build_lead_time_years`` ago (:meth:`Council.special_places_to_commission`); places
        commissioned before the run are the capital programme's, everywhere."""
        commissioned_in = model.year - model.policy.capital.build_lead_time_years
        c = model.councils
        if commissioned_in < model.start_year:
            programme = model.policy_at(commissioned_in, SEPTEMBER).capital
            by_council = np.full(c.n, programme.special_places_growth_per_year)
        else:
            by_council = c.special_growth_by_year.pop(commissioned_in, np.zeros(c.n))
        model.agents_by_type[SpecialSchool].do("open_new_places", by_council)


class IndependentSchool(mesa.Agent):
    """An independent or non-maintained special school in a regional market."""

    def __init__(self, model: SendModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @staticmethod
    def bank_growth(model: SendModel) -> None:
        """Each month the market may open more places: its yearly growth (England's recent
        growth of independent placements) accrues month by month, banked for at most a year,
        and is spent as councils name children beyond its places (:meth:`PlaceTable.admit`),
        first on pupils tribunals placed beyond them. A market so opens places as demand
        comes, not after turning children away, so a sample's uneven arrivals do not slow it.
        A market held below the fees it would set (by a fee cap or a tariff) grows more
        slowly, and one paid above them faster.
        """
        iss, p = model.iss, model.cfg.behaviour.placement
        market_places = count_by(iss.market, iss.n_markets, iss.places)
        yearly = model.profiles.independent_growth * p.iss_growth_relative
        yearly = np.maximum(yearly + p.iss_growth_price_response * np.log(iss.price_ratio), 0.0)
        monthly = (1.0 + yearly) ** (1.0 / MONTHS_PER_YEAR) - 1.0
        iss.allowance = np.minimum(iss.allowance + monthly * market_places, yearly * market_places)
        over_full = np.maximum(-iss.spare(iss.occupancy(model)), 0.0)
        iss.open_places(np.minimum(over_full, iss.allowance))

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
