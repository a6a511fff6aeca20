"""SendModel: Mesa owns time and the institutions; children are arrays.

Each month: the census of stocks at the first of the month, then each mechanism's step in the
registry's order (:data:`sendsim.model.mechanisms.ORDER`), then the month's flows are recorded.
"""

from __future__ import annotations

from copy import deepcopy
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sendsim.config.policy import PolicyConfig
from sendsim.dates import financial_year, shift_month, year_month
from sendsim.model import world
from sendsim.model.allocator import reuse_freed_memory
from sendsim.model.children import Children
from sendsim.model.codes import CAPPED_PLACES, Place, Sen, member
from sendsim.model.institutions.council import CouncilTable
from sendsim.model.institutions.icb import IcbTable
from sendsim.model.institutions.schools import SchoolTable
from sendsim.model.institutions.specialist import PlaceTable
from sendsim.model.levers import TODAY
from sendsim.model.mechanisms import MECHANISMS
from sendsim.model.metrics import FLOWS, STOCKS
from sendsim.model.operations.cases import casework_weeks
from sendsim.model.ops import WEEKS_PER_MONTH, is_in_sorted
from sendsim.model.profile import Profiles
from sendsim.model.recording import Flows, Recorder
from sendsim.model.rng import Streams

if TYPE_CHECKING:
    from sendsim.config.schema import SendsimConfig

#: Every child array, with its dtype and the value of a new slot, from the mechanisms.
CHILD_FIELDS = {
    name: (f.dtype, f.fill) for mechanism in MECHANISMS for name, f in mechanism.fields.items()
}
STEPS = tuple(m.step for m in MECHANISMS if m.step is not None)
COUNTERS = tuple(m.count for m in MECHANISMS if m.count is not None)


class SendModel(mesa.Model):
    """The SEND system of one council, or of all 153 (``area.code = "england"``).

    Args:
        cfg: the validated configuration.
    """

    cfg: SendsimConfig
    streams: Streams  # the one door for randomness
    profiles: Profiles  # the area's published starting position
    children: Children  # struct of arrays, one slot per child
    councils: CouncilTable
    icbs: IcbTable
    schools: SchoolTable  # mainstream schools
    specials: PlaceTable  # state special schools
    iss: PlaceTable  # independent special schools
    residents: np.ndarray  # children by council and academic age (sample scale)
    status_by_cell: np.ndarray  # plans, SEN support, unidentified needs by council and age
    national_refusal_logit: float  # England's log-odds of refusing to assess
    cost_index: np.ndarray  # unit costs by placement relative to the start
    market_fee_index: float  # independent fees the market would set, relative to the start
    tariff_gbp: np.ndarray  # national banding's yearly price of a plan by placement, at the start
    calibration_fit: dict[str, str] | None = None  # the fit applied: path and sha256
    flow_names: tuple[str, ...] = FLOWS
    flows: Flows  # this month's events; a fresh one each month
    recorder: Recorder

    def __init__(self, cfg: SendsimConfig) -> None:
        super().__init__(seed=cfg.run.seed)  # Mesa's own generators are never used
        reuse_freed_memory()
        self.cfg = cfg
        self.streams = Streams(cfg.run.seed)
        self.sample_fraction = cfg.population.sample_fraction
        self.scale = 1.0 / self.sample_fraction
        self.start_year, self.start_month = year_month(cfg.run.start)
        self.n_months = 12 * cfg.run.years
        self.months_elapsed = 0
        self.reforms_from = year_month(cfg.policy.reforms_from)
        self.children = Children(CHILD_FIELDS)
        self.needy = np.empty(0, np.int64)  # children with a need: see set_needy
        self.in_capped_places = np.empty(0, np.int64)  # see set_needy
        self.admitted_to_capped = np.empty(0, np.int64)  # see set_needy
        self.building = True  # the starting state is calibrated to today's policy
        world.build(self)  # institutions, then each mechanism's part of the starting state
        # Mesa 3.3 counts agents' ids per model in a class attribute that holds the model for
        # good (mesa#3179); every agent exists now, so release it or each run stays in memory
        mesa.Agent._ids.pop(self, None)
        self.recorder = Recorder(self, STOCKS, FLOWS, COUNTERS)
        for mechanism in MECHANISMS:  # parts of the start read from the run's first months
            if mechanism.settle is not None:
                mechanism.settle(self)
        self.building = False

    # -- calendar ---------------------------------------------------------------------------
    @property
    def year(self) -> int:
        return shift_month(self.start_year, self.start_month, self.months_elapsed)[0]

    @property
    def month(self) -> int:
        return shift_month(self.start_year, self.start_month, self.months_elapsed)[1]

    # -- running ----------------------------------------------------------------------------
    def step(self) -> None:
        """Simulate one month."""
        self.recorder.record_stocks()
        self.flows = self.recorder.new_flows()
        for step in STEPS:
            step(self)
        self.recorder.record_flows(self.flows)
        self.months_elapsed += 1

    def run(self, progress: bool | None = None) -> None:
        """Simulate every month of the run, then record the final stock snapshot."""
        from tqdm import tqdm

        disable = None if progress is None else not progress  # None: only on a terminal
        for _ in tqdm(range(self.n_months), desc="months", unit="month", disable=disable):
            self.step()
        self.recorder.record_stocks()

    def rehearsal(self) -> SendModel:
        """A copy of the model while its start is being built, to run ahead under today's
        policy: the same random draws as the run's own first months, in every scenario."""
        return deepcopy(self)

    # -- policy ------------------------------------------------------------------------------
    @property
    def policy(self) -> PolicyConfig:
        """The levers in force this month."""
        return self.policy_at(self.year, self.month)

    def policy_at(self, year: int, month: int) -> PolicyConfig:
        """The levers in force in a month: today's policy until ``policy.reforms_from`` (and
        while the starting state is built and calibrated)."""
        if self.building or (year, month) < self.reforms_from:
            return TODAY
        return self.cfg.policy

    @property
    def years_of_reform(self) -> float:
        """Years since the scenario's reforms took effect (0 before)."""
        start_year, start_month = self.reforms_from
        months = (self.year - start_year) * 12 + self.month - start_month
        return max(months, 0) / 12.0

    # -- shared views ------------------------------------------------------------------------
    @property
    def assessment_months(self) -> float:
        """Months a case spends in assessment when the council keeps pace (no backlog)."""
        return casework_weeks(self) / WEEKS_PER_MONTH

    def hnb_this_year(self) -> np.ndarray:
        """Each council's high needs block for the current financial year (full scale, GBP)."""
        fy = financial_year(self.year, self.month)
        by_year, funding = self.councils.hnb_gbp_by_year, self.policy.funding
        growth = {2024: 1 + funding.hnb_growth_2024_25, 2025: 1 + funding.hnb_growth_2025_26}
        for year in range(max(by_year) + 1, fy + 1):
            by_year[year] = by_year[year - 1] * growth.get(year, 1 + funding.hnb_growth_later)
        return by_year[fy]

    def placed_away(self) -> np.ndarray:
        """Children with plans placed in a special school outside their home council (slots,
        sorted)."""
        ch, away = self.children, []
        for table in (self.specials, self.iss):
            held = self.occupants(table.place)
            away.append(
                held[(ch.sen[held] == Sen.EHCP) & (table.host[ch.school[held]] != ch.la[held])]
            )
        return np.sort(np.concatenate(away))

    # -- shared state changes ---------------------------------------------------------------
    def set_needy(self, idx: np.ndarray) -> None:
        """Record the children with a need (sorted slots), read by the mechanisms that follow.

        Also notes which of them hold places counted against a capacity (resourced provision,
        special schools), so that :meth:`occupants` need not pass over every child with a need.
        """
        self.needy = idx
        self.in_capped_places = idx[member(self.children.place[idx], CAPPED_PLACES)]
        self.admitted_to_capped = np.empty(0, np.int64)

    def note_admissions(self, idx: np.ndarray) -> None:
        """Children ``idx`` have just been given places counted against a capacity."""
        self.admitted_to_capped = np.concatenate([self.admitted_to_capped, idx])

    def occupants(self, place: Place) -> np.ndarray:
        """Children with a need holding a place in ``place`` (one of ``CAPPED_PLACES``).

        They are among the children noted by :meth:`set_needy` or admitted since.
        """
        ch, known = self.children, self.in_capped_places
        admitted = np.unique(self.admitted_to_capped)  # once each, though admitted twice
        admitted = admitted[
            (ch.place[admitted] == place)
            & is_in_sorted(admitted, self.needy)
            & ~is_in_sorted(admitted, known)
        ]
        return np.concatenate([known[ch.place[known] == place], admitted])
