"""SendModel: Mesa owns time and the institutions; children are arrays.

Each month runs the phases below, in this order (the one documented step order):

1. record the stock snapshot at the first of the month
2. calendar events: September (ageing, phase transfers, new places), April (budgets)
3. demography: births, moves out, moves in
4. needs: emergence, escalation or improvement, resolution
5. identification by health visitors, school nurses and schools
6. support in school: which needs are met this month
7. requests for EHC needs assessment, and the council's decision to assess
8. assessments against council capacity; plans issued or not
9. placements: new plans, moves when needs stay unmet, AP, post-16 and NEET
10. annual reviews and ceasing plans
11. redress: mediation and tribunal decisions
12. health: referrals, waits and courses of NHS therapy
13. finance: spend by provision, high needs income, DSG balance
14. outcomes: progress and wellbeing
15. record the month's flows
"""

from __future__ import annotations

import mesa
import numpy as np

from sendsim.config.policy import PolicyConfig
from sendsim.config.schema import SendsimConfig
from sendsim.model import world
from sendsim.model.allocator import reuse_freed_memory
from sendsim.model.children import NEVER, Children
from sendsim.model.codes import CAPPED_PLACES, MAX_AGE, N_PLACE, Place, Sen, member
from sendsim.model.levers import TODAY, year_month
from sendsim.model.metrics import Flows, Recorder
from sendsim.model.ops import WEEKS_PER_MONTH, count_by, is_in_sorted
from sendsim.model.phases import (
    assessment,
    calendar,
    demography,
    finance,
    health,
    identification,
    needs,
    outcomes,
    placement,
    redress,
    requests,
    reviews,
    support,
)
from sendsim.model.rng import Streams

PHASES = (
    demography.step_demography,
    needs.step_needs,
    identification.step_identification,
    support.step_support,
    requests.step_requests,
    assessment.step_assessment,
    placement.step_placement,
    reviews.step_reviews,
    redress.step_redress,
    health.step_health,
    finance.step_finance,
    outcomes.step_outcomes,
)


N_AGES = MAX_AGE + 1


class SendModel(mesa.Model):
    """The SEND system of one council, or of all 153 (``area.code = "england"``).

    Args:
        cfg: the validated configuration.
    """

    def __init__(self, cfg: SendsimConfig) -> None:
        super().__init__(seed=cfg.run.seed)  # Mesa's own generators are never used
        reuse_freed_memory()
        self.cfg = cfg
        self.streams = Streams(cfg.run.seed)
        self.sample_fraction = cfg.population.sample_fraction
        self.scale = 1.0 / self.sample_fraction
        self.start_year, self.start_month = (int(x) for x in cfg.run.start.split("-"))
        self.n_months = 12 * cfg.run.years
        self.months_elapsed = 0
        self.reforms_from = year_month(cfg.policy.reforms_from)
        self.cost_index = np.ones(N_PLACE)  # unit costs relative to January 2022
        self.children = Children()
        self.flows: Flows  # this month's events; a fresh one each month
        self.needy = np.empty(0, np.int64)  # children with a need: see set_needy
        self.in_capped_places = np.empty(0, np.int64)  # see set_needy
        self.admitted_to_capped = np.empty(0, np.int64)  # see set_needy
        self.building = True  # the starting state is calibrated to today's policy
        world.build(self)  # councils, ICBs, schools and the January child population
        self.building = False
        self.recorder = Recorder(self)

    # -- calendar ---------------------------------------------------------------------------
    @property
    def year(self) -> int:
        return self.start_year + (self.start_month - 1 + self.months_elapsed) // 12

    @property
    def month(self) -> int:
        return (self.start_month - 1 + self.months_elapsed) % 12 + 1

    # -- running ----------------------------------------------------------------------------
    def step(self) -> None:
        """Simulate one month."""
        self.recorder.record_stocks()
        self.flows = self.recorder.new_flows()
        calendar.step_calendar(self)
        for phase in PHASES:
            phase(self)
        self.recorder.record_flows(self.flows)
        self.months_elapsed += 1

    def run(self, progress: bool | None = None) -> None:
        """Simulate every month of the run, then record the final stock snapshot."""
        from tqdm import tqdm

        disable = None if progress is None else not progress  # None: only on a terminal
        for _ in tqdm(range(self.n_months), desc="months", unit="month", disable=disable):
            self.step()
        self.recorder.record_stocks()

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
        return assessment.mean_work_weeks(self) / WEEKS_PER_MONTH

    def hnb_this_year(self) -> np.ndarray:
        """Each council's high needs block for the current financial year (full scale, GBP)."""
        fy = self.year if self.month >= 4 else self.year - 1
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
        """Record the children with a need (sorted slots), read by the phases that follow.

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

    def remove(self, idx: np.ndarray, counted: bool = True) -> None:
        """Children leave the model (moved away or aged out); their plans cease.

        Args:
            idx: the children leaving.
            counted: they are still in ``residents`` (False once ageing has dropped them).
        """
        ch = self.children
        had_plan = idx[ch.sen[idx] == Sen.EHCP]
        self.flows.add("ceased_plans", ch.la[had_plan])
        if counted:
            cells = ch.la[idx].astype(np.int64) * N_AGES + ch.age[idx]
            self.residents -= (
                count_by(cells, self.residents.size).reshape(self.residents.shape).astype(np.int64)
            )
        ch.active[idx] = False
        ch.move_month[idx] = NEVER
        ch.need_month[idx] = NEVER
        ch.sen[idx] = Sen.NONE
        ch.severity[idx] = 0.0
        ch.place[idx] = Place.OTHER
        ch.school[idx] = -1
        ch.appeal[idx] = 0
        ch.therapy_wait[idx] = -1
