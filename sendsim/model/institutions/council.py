"""Councils (local authorities): they assess, name placements, pay, and manage their deficit.

A council's decisions: each April it sets how hard it gatekeeps and, as the end of the
statutory override nears, how it answers a deficit its reserves cannot carry
(:meth:`Council.plan_financial_year`), and staffs its assessments
(:meth:`Council.staff_assessments`); each month it decides whether to assess the requests it
received (:meth:`Council.refusal_probability`) and, at annual reviews, whether to move pupils
from independent to state special schools (:meth:`Council.review_placements`); each September
it commissions resourced provision (:meth:`Council.commission_resourced_places`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import mesa
import numpy as np
from scipy.special import expit, logit, ndtri

from sendsim.config.params import param, profile
from sendsim.data import areas
from sendsim.dates import APRIL
from sendsim.model.codes import N_AGES, Agreement, Place, Rate
from sendsim.model.levers import months_of_override_left, ratio
from sendsim.model.ops import MONTHS_PER_YEAR
from sendsim.model.profile import Profiles, net_migration

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

EP_LEVER = "workforce.educational_psychologists"  # scales the EPs councils field and hire
BOUNDS_UNIT = "share (lowest, highest)"
BOUNDS_SOURCE = "Assumption: guards councils whose published rates rest on few cases"


@dataclass
class CouncilParams:
    """How councils respond to pressure on their budgets and casework."""

    gatekeeping_response: float = param(
        1.0,
        0.0,
        5.0,
        unit="log-odds per deficit/income",
        label="How much a council in deficit tightens its decisions to assess",
        source="Assumption: deficit recovery plans tighten thresholds [dfe-dbv-sv]",
    )
    special_places_full: list[float] = profile(
        (0.85, 0.95),
        0.5,
        1.0,
        unit="share of places taken, pupils waiting counted (none, all)",
        rising=True,
        label="How full a council's special schools are when it counts them as having room, "
        "and as full (commissioning none, and all, of the capital programme's places)",
        source="Assumption: councils build where their special schools are full; "
        "[ccn-isos-2025]: 83% of state special schools are full or over capacity",
    )
    independent_for_specialism: float = param(
        0.5,
        0.0,
        1.0,
        unit="share",
        label="Share of its independent placements a council would name even with state "
        "special places free (specialisms its own schools lack); the rest it names for want "
        "of a state place",
        source="Assumption: councils' shares of new special-school plans in independent "
        "schools were published when most state special schools were full [ccn-isos-2025]",
    )
    cliff_planning_years: float = param(
        2.0,
        0.0,
        5.0,
        unit="years",
        label="How long before the statutory override ends councils plan for its end",
        source="Assumption: a council's budget for the coming year and its DSG management "
        "plan for the next",
    )
    cliff_gatekeeping: float = param(
        0.5,
        0.0,
        3.0,
        unit="log-odds at full pressure",
        label="How much tighter a council's decisions to assess become when its deficit would "
        "take all its usable reserves (in proportion to the share it would take)",
        source="Assumption: deficit recovery plans tighten thresholds [dfe-dbv-sv]",
    )
    cliff_independent_cut: float = param(
        0.3,
        0.0,
        1.0,
        unit="share at full pressure",
        label="How much less often a council names an independent special school",
        source="Assumption: recovery plans turn to state places [dfe-dbv-sv]",
    )
    cliff_placement_review_per_year: float = param(
        0.1,
        0.0,
        0.5,
        unit="per year at full pressure",
        label="Chance a pupil in an independent special school moves to a free state special "
        "place at the annual review",
        source="Assumption: recovery plans review high-cost placements [dfe-dbv-sv]",
    )
    cliff_special_places_growth: float = param(
        0.03,
        0.0,
        0.15,
        unit="per year at full pressure",
        label="State special places a council commissions beyond the capital programme "
        "(opening after the build lead time)",
        source="Assumption: recovery plans invest in local special places [dfe-dbv-sv]",
    )
    cliff_resourced_places_growth: float = param(
        0.05,
        0.0,
        0.3,
        unit="per year at full pressure",
        label="Resourced provision a council adds beyond the capital programme",
        source="Assumption: recovery plans invest in mainstream units [dfe-dbv-sv]",
    )
    safety_valve_deficit_threshold: float = param(
        0.3,
        0.0,
        1.0,
        unit="share of the year's high needs block",
        label="Deficit above which a council is offered a Safety Valve agreement",
        source="Derived: 35 councils' deficits were above 30% of their high needs block in "
        "January 2022 (sendsim/data/raw/dfe-finance/dsg_deficit_by_la_2020_2022.csv), about "
        "the 38 agreements made [dfe-dbv-sv]",
    )
    safety_valve_years: int = param(
        5,
        1,
        10,
        unit="years",
        label="Years a Safety Valve agreement runs, paying an instalment each April",
        source="Assumption: agreements pay over five or so years [dfe-dbv-sv]",
    )
    safety_valve_tolerance: float = param(
        0.25,
        0.0,
        1.0,
        unit="share of the in-year deficit at the agreement",
        label="How far a council's in-year deficit may run above its recovery plan's path to "
        "balance before DfE suspends the agreement",
        source="Assumption: five agreements were suspended in 2024 when demand outran the "
        "plans [dfe-dbv-sv]",
    )
    better_value_deficit_threshold: float = param(
        0.05,
        0.0,
        1.0,
        unit="share of the year's high needs block",
        label="Deficit above which a council not offered a Safety Valve agreement joins "
        "Delivering Better Value",
        source="Derived: 54 councils' deficits were between 5% and 30% of their high needs block "
        "in January 2022 (sendsim/data/raw/dfe-finance/dsg_deficit_by_la_2020_2022.csv), the 54 "
        "areas of the programme's first phase [dbv-2024]",
    )
    better_value_years: int = param(
        2,
        1,
        10,
        unit="years",
        label="Years a council carries out its Delivering Better Value plan",
        source="Assumption: implementation grants of up to £1m each, spent over about two "
        "years from 2023 [dbv-2024]",
    )
    better_value_strength: float = param(
        0.5,
        0.0,
        1.0,
        unit="share of a recovery plan",
        label="Strength of a Delivering Better Value plan, as a share of the answers a Safety "
        "Valve recovery plan makes in full",
        source="Assumption: the programme identifies the highest-impact changes and funds "
        "their start, with no DfE payment held on delivery [dbv-2024]",
    )
    trust_adjust_per_year: float = param(
        0.5,
        0.0,
        3.0,
        unit="per year",
        label="How fast families' trust follows the timeliness of plans",
        source="Assumption",
    )
    refusal_share_bounds: list[float] = profile(
        (0.01, 0.9),
        0.0,
        1.0,
        unit=BOUNDS_UNIT,
        rising=True,
        label="Range a council's published share of requests refused is held within",
        source=BOUNDS_SOURCE,
    )
    issue_share_bounds: list[float] = profile(
        (0.5, 0.995),
        0.0,
        1.0,
        unit=BOUNDS_UNIT,
        rising=True,
        label="Range a council's published share of assessments ending in a plan is held within",
        source=BOUNDS_SOURCE,
    )
    special_share_bounds: list[float] = profile(
        (0.02, 0.9),
        0.0,
        1.0,
        unit=BOUNDS_UNIT,
        rising=True,
        label="Range a council's share of new school-age plans in special schools is held within",
        source=BOUNDS_SOURCE,
    )
    independent_share_prior_plans: float = param(
        20.0,
        0.0,
        200.0,
        unit="new plans",
        label="England's share of independent schools among new special-school plans, counted "
        "as this many plans in each council's own",
        source="Assumption: steadies councils naming few special schools in a year",
    )
    specialist_share_bounds: list[float] = profile(
        (0.03, 0.95),
        0.0,
        1.0,
        unit=BOUNDS_UNIT,
        rising=True,
        label="Range its share in special schools or resourced provision is held within",
        source=BOUNDS_SOURCE,
    )


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
    refusal_logit: np.ndarray  # log-odds of refusing to assess at the reference need level
    issue_logit: np.ndarray  # log-odds of issuing a plan after assessment
    assessment_capacity: np.ndarray  # assessments concluded per month (sample scale)
    resourced_threshold: np.ndarray  # need level calling for resourced provision
    special_threshold: np.ndarray  # need level calling for a special school
    independent_share: np.ndarray  # of those, the share whose need an independent school meets
    hnb_gbp_by_year: dict[int, np.ndarray]  # high needs block by financial year (April start)
    dsg_balance_gbp: np.ndarray  # cumulative DSG balance, negative = deficit
    request_scale: np.ndarray = field(init=False)  # monthly request chance per unit of weight
    resourced_places: np.ndarray = field(init=False)  # places (sample scale)
    unit_cost_gbp: np.ndarray = field(init=False)  # (n, N_PLACE) yearly cost of a plan
    central_spend_gbp_per_year: np.ndarray = field(init=False)  # spend not tied to plans
    cease_scale: np.ndarray = field(init=False)  # fitted: council's plan cessation vs national
    review_exit_rate: np.ndarray = field(init=False)  # fitted: plans ceasing at review a year
    exit_multiple: np.ndarray = field(init=False)  # this year: the usual plan exits made, x fit
    cease_other: np.ndarray = field(init=False)  # this year: chance a plan 19+ ceases at review
    request_trend: np.ndarray = field(init=False)  # fitted: initial yearly growth of requests
    request_age_factor: np.ndarray = field(init=False)  # fitted: (n, age bands) vs England's
    yearly_sd: np.ndarray = field(init=False)  # (n, Rate) spread of each rate's yearly shift
    yearly_shift: np.ndarray = field(init=False)  # (n, Rate) this year's shift (Rate's scale)
    dispute_scale: np.ndarray = field(init=False)  # council's appeal rate relative to England's
    next_serial: np.ndarray = field(init=False)
    gatekeeping: np.ndarray = field(init=False)  # extra refusal log-odds from deficit pressure
    trust: np.ndarray  # families' trust in the local system, 0-1
    assessment_demand: np.ndarray = field(init=False)  # cases entering assessment per month
    ep_fte: np.ndarray = field(init=False)  # educational psychologists in post (full scale)
    ep_posts: np.ndarray = field(init=False)  # EP posts, filled or vacant
    ep_recruit_share: np.ndarray = field(init=False)  # share of the newly qualified it can hire
    ep_assessment_share: np.ndarray = field(init=False)  # share of EP time on assessments
    case_officer_fte: np.ndarray = field(init=False)  # SEND case officers (full scale)
    casework_efficiency: np.ndarray = field(init=False)  # fitted: assessments per staff hour
    deficit_exposed_gbp: np.ndarray = field(init=False)
    reserves_gbp: np.ndarray = field(init=False)  # usable reserves, constant in cash
    school_balances_gbp: np.ndarray = field(init=False)  # its maintained schools' surpluses
    dsg_balance_year_before_gbp: np.ndarray = field(init=False)  # the balance last April
    cliff_pressure: np.ndarray = field(init=False)  # share of reserves the deficit would take
    special_full: np.ndarray = field(init=False)  # how full its special schools are: 0 room, 1 full
    special_growth_by_year: dict[int, np.ndarray] = field(init=False)  # commissioned each April
    safety_valve: np.ndarray = field(init=False)  # Agreement: none, active, suspended, completed
    safety_valve_year: np.ndarray = field(init=False)  # instalments paid so far
    safety_valve_total_gbp: np.ndarray = field(init=False)  # DfE's share of the deficit
    safety_valve_in_year_gbp: np.ndarray = field(init=False)  # in-year deficit at agreement
    better_value_years_left: np.ndarray = field(init=False)  # of its DBV plan
    capitalised_gbp: np.ndarray = field(init=False)  # deficit met by exceptional support
    attainment_level: dict[str, np.ndarray] = field(init=False)  # (n, SEN group) per exam
    attainment_spread: dict[str, np.ndarray] = field(init=False)  # its cohorts' standard deviation

    def __post_init__(self) -> None:
        self.request_scale = np.zeros(self.n)
        self.resourced_places = np.zeros(self.n)
        self.central_spend_gbp_per_year = np.zeros(self.n)
        self.next_serial = np.zeros(self.n, np.int64)
        self.cease_scale = np.ones(self.n)
        self.review_exit_rate = np.zeros(self.n)
        self.exit_multiple = np.ones(self.n)
        self.cease_other = np.zeros(self.n)
        self.request_trend = np.zeros(self.n)
        self.request_age_factor = np.ones((self.n, len(areas.AGE_BANDS)))
        self.yearly_sd = np.zeros((self.n, Rate.count()))
        self.yearly_shift = np.zeros((self.n, Rate.count()))
        self.dispute_scale = np.ones(self.n)
        self.gatekeeping = np.zeros(self.n)
        self.assessment_demand = self.assessment_capacity.copy()
        self.ep_fte = np.zeros(self.n)
        self.ep_posts = np.zeros(self.n)
        self.ep_recruit_share = np.zeros(self.n)
        self.ep_assessment_share = np.zeros(self.n)
        self.case_officer_fte = np.zeros(self.n)
        self.casework_efficiency = np.ones(self.n)
        self.deficit_exposed_gbp = np.zeros(self.n)
        self.reserves_gbp = np.zeros(self.n)
        self.school_balances_gbp = np.zeros(self.n)
        self.dsg_balance_year_before_gbp = np.zeros(self.n)
        self.cliff_pressure = np.zeros(self.n)
        self.special_full = np.ones(self.n)
        self.special_growth_by_year = {}
        self.safety_valve = np.full(self.n, Agreement.NONE, np.int8)
        self.safety_valve_year = np.zeros(self.n, np.int64)
        self.safety_valve_total_gbp = np.zeros(self.n)
        self.safety_valve_in_year_gbp = np.zeros(self.n)
        self.better_value_years_left = np.zeros(self.n, np.int64)
        self.capitalised_gbp = np.zeros(self.n)
        self.attainment_level = {}
        self.attainment_spread = {}


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

    @staticmethod
    def create(model: SendModel, prof: Profiles, england: bool) -> CouncilTable:
        """The councils of the area, from their published starting position."""
        cfg = model.cfg
        d, p = cfg.behaviour.demography, cfg.behaviour.council
        out_rate = np.where(
            np.arange(N_AGES) < d.adult_migration_age,
            d.out_migration_child_per_year,
            d.out_migration_adult_per_year,
        )
        regions = sorted(set(prof.regions))
        needs = cfg.behaviour.needs
        thresholds = placement_thresholds(prof, p, needs.new_plan_level, needs.level_spread)
        table = CouncilTable(
            n=prof.n,
            key=prof.keys,
            code=prof.codes,
            name=prof.names,
            icb=np.unique(prof.icb_names, return_inverse=True)[1].astype(np.int64),
            market=np.array([regions.index(r) for r in prof.regions])
            if england
            else np.arange(prof.n),
            births_per_year=prof.population[:, 0].copy(),
            in_rate_by_age=np.maximum(
                out_rate[None, :] + net_migration(prof, d.max_net_migration_per_year), 0.0
            ),
            out_rate_by_age=out_rate,
            refusal_logit=logit(np.clip(prof.refusal_share, *p.refusal_share_bounds)),
            issue_logit=logit(np.clip(prof.issue_share, *p.issue_share_bounds)),
            assessment_capacity=prof.assessments_per_year
            / 12.0
            * model.sample_fraction
            * cfg.behaviour.assessment.capacity_headroom,
            resourced_threshold=thresholds[0],
            special_threshold=thresholds[1],
            independent_share=independent_share(prof, p.independent_share_prior_plans),
            hnb_gbp_by_year=dict(prof.hnb_gbp),
            dsg_balance_gbp=prof.dsg_balance_start_gbp.copy(),
            trust=prof.within_20_weeks_share.copy(),  # where trust settles (see outcomes)
        )
        model.national_refusal_logit = float(logit(prof.national_refusal_share))
        Council.create_agents(model, prof.n, index=list(range(prof.n)))
        return table

    def plan_financial_year(self, income_gbp: np.ndarray, special_taken: np.ndarray) -> None:
        """Each April: gatekeep harder in deficit; as the override's end nears, answer the
        share of its reserves the deficit would take (:meth:`cliff_pressure`) by gatekeeping
        harder still, naming fewer independent schools and reviewing those placements,
        commissioning special places and resourced provision, and, once the deficit exceeds
        its reserves, asking government for exceptional financial support
        (:meth:`_ask_exceptional_support`). A council in a Safety Valve agreement
        (:meth:`_keep_safety_valve`) does all of these in full; one carrying out a Delivering
        Better Value plan (:meth:`_deliver_better_value`) at the plan's strength.

        Args:
            income_gbp: every council's high needs block for the year.
            special_taken: every council's special places taken (pupils waiting counted),
                as a share of its places.
        """
        model, c, p = self.model, self.model.councils, self.model.cfg.behaviour.council
        i = self.index
        self._keep_safety_valve(income_gbp[i])
        self._deliver_better_value(income_gbp[i])
        deficit_share = max(0.0, -c.dsg_balance_gbp[i] / max(income_gbp[i], 1.0))
        active = c.safety_valve[i] == Agreement.ACTIVE  # carrying out a recovery plan
        pressure = 1.0 if active else max(self.cliff_pressure(), self.better_value_pressure())
        c.cliff_pressure[i] = pressure
        c.gatekeeping[i] = p.gatekeeping_response * deficit_share + p.cliff_gatekeeping * pressure
        none, full = p.special_places_full
        c.special_full[i] = np.clip((special_taken[i] - none) / (full - none), 0.0, 1.0)
        growth = c.special_growth_by_year.setdefault(model.year, np.zeros(c.n))
        growth[i] = self.special_places_to_commission(pressure)
        if model.month == APRIL:  # the next year's in-year deficit is counted from here
            c.dsg_balance_year_before_gbp[i] = c.dsg_balance_gbp[i]
        self._ask_exceptional_support()

    def _ask_exceptional_support(self) -> None:
        """Once the override has ended, a council whose exposed deficit is beyond its reserves
        and what it has already capitalised asks government for exceptional financial support
        for the rest, and is allowed to meet it by borrowing (a capitalisation direction),
        whose interest and repayment then fall on its general fund (:func:`finance.step`)."""
        model, c, i = self.model, self.model.councils, self.index
        beyond = -c.dsg_balance_gbp[i] - c.reserves_gbp[i] - c.capitalised_gbp[i]
        if months_of_override_left(model) > 0 or beyond <= 0 or model.month != APRIL:
            return
        c.capitalised_gbp[i] += beyond
        model.flows.add("exceptional_support_requests", np.array([i]))
        model.flows.add("exceptional_support_asked_gbp", np.array([i]), np.array([beyond]))

    def _deliver_better_value(self, income_gbp: float) -> None:
        """Delivering Better Value (``policy.funding.delivering_better_value``): in the first
        April the lever is in force, councils with substantial deficits not in a Safety Valve
        agreement join, and carry out their plan for ``better_value_years``."""
        model, c, i = self.model, self.model.councils, self.index
        if model.month != APRIL:
            return
        if c.better_value_years_left[i] > 0:
            c.better_value_years_left[i] -= 1
        lever = model.policy.funding.delivering_better_value
        first_april = model.policy_at(model.year - 1, APRIL).funding.delivering_better_value == 0
        p = model.cfg.behaviour.council
        deficit = -c.dsg_balance_gbp[i]
        if (
            lever > 0
            and first_april
            and c.safety_valve[i] == Agreement.NONE
            and deficit > p.better_value_deficit_threshold * income_gbp
        ):
            c.better_value_years_left[i] = p.better_value_years

    def better_value_pressure(self) -> float:
        """How hard a council carrying out a Delivering Better Value plan answers its deficit,
        as a share of a recovery plan in full."""
        model, c = self.model, self.model.councils
        if c.better_value_years_left[self.index] <= 0:
            return 0.0
        strength = model.cfg.behaviour.council.better_value_strength
        return model.policy.funding.delivering_better_value * strength

    def special_places_to_commission(self, pressure: float) -> float:
        """Growth of its special places the council commissions this year: the capital
        programme's and, under pressure from the override's end, its own, in full where its
        special schools are full, none where they have room (:attr:`special_full`)."""
        p, capital = self.model.cfg.behaviour.council, self.model.policy.capital
        wanted = capital.special_places_growth_per_year + p.cliff_special_places_growth * pressure
        if wanted <= 0:  # closing places
            return wanted
        return wanted * float(self.model.councils.special_full[self.index])

    def _keep_safety_valve(self, income_gbp: float) -> None:
        """A Safety Valve agreement (``policy.funding.safety_valve_share``): DfE pays its share
        of the council's deficit in equal instalments each April while the council's in-year
        deficit keeps to its recovery plan (falling in a straight line to balance by the
        agreement's end, within a tolerance), and suspends the agreement once it runs above."""
        model, c, i = self.model, self.model.councils, self.index
        if model.month != APRIL:
            return
        p = model.cfg.behaviour.council
        in_year = c.dsg_balance_year_before_gbp[i] - c.dsg_balance_gbp[i]
        if c.safety_valve[i] == Agreement.NONE and self._offered_safety_valve(income_gbp):
            c.safety_valve[i] = Agreement.ACTIVE
            c.safety_valve_total_gbp[i] = (
                -model.policy.funding.safety_valve_share * c.dsg_balance_gbp[i]
            )
            c.safety_valve_in_year_gbp[i] = max(in_year, 0.0)
        elif c.safety_valve[i] == Agreement.ACTIVE:
            left = 1.0 - c.safety_valve_year[i] / p.safety_valve_years
            if in_year > c.safety_valve_in_year_gbp[i] * (left + p.safety_valve_tolerance):
                c.safety_valve[i] = Agreement.SUSPENDED
                model.flows.add("safety_valve_suspended", np.array([i]))
        if c.safety_valve[i] != Agreement.ACTIVE:
            return
        instalment = c.safety_valve_total_gbp[i] / p.safety_valve_years
        c.dsg_balance_gbp[i] += instalment
        model.flows.add("safety_valve_paid_gbp", np.array([i]), np.array([instalment]))
        c.safety_valve_year[i] += 1
        if c.safety_valve_year[i] == p.safety_valve_years:
            c.safety_valve[i] = Agreement.COMPLETED

    def _offered_safety_valve(self, income_gbp: float) -> bool:
        """Agreements are offered once, in the first April the lever is in force, to councils
        whose deficit is then very high for their income."""
        model = self.model
        first_april = model.policy_at(model.year - 1, APRIL).funding.safety_valve_share == 0
        threshold = model.cfg.behaviour.council.safety_valve_deficit_threshold * income_gbp
        deficit = -model.councils.dsg_balance_gbp[self.index]
        return model.policy.funding.safety_valve_share > 0 and first_april and deficit > threshold

    def cliff_pressure(self) -> float:
        """Share of its usable reserves the council's DSG deficit would take once the override
        ends, at most 1: the deficit now once it has ended; while it lasts, the deficit
        projected to its end at the last year's rate, and nothing while the end is further
        off than the council plans."""
        model, c, i = self.model, self.model.councils, self.index
        left = months_of_override_left(model)
        if left > model.cfg.behaviour.council.cliff_planning_years * MONTHS_PER_YEAR:
            return 0.0
        last_year = c.dsg_balance_year_before_gbp[i] - c.dsg_balance_gbp[i]
        deficit = -c.dsg_balance_gbp[i] + max(left, 0) / MONTHS_PER_YEAR * max(last_year, 0.0)
        return float(np.clip(deficit / max(c.reserves_gbp[i], 1.0), 0.0, 1.0))

    def staff_assessments(self, plans: np.ndarray, open_cases: np.ndarray, recruits: float) -> None:
        """Each April: staff the year's assessments (demand, plus clearing a year's backlog) and
        the plans held.

        Args:
            plans: every council's plans held (full scale).
            open_cases: every council's assessments under way (sample scale).
            recruits: EPs qualifying this year who join councils (England).
        """
        model, c, i = self.model, self.model.councils, self.index
        usual_open = c.assessment_demand[i] * model.assessment_months
        wanted = c.assessment_demand[i] + max(open_cases[i] - usual_open, 0.0) / MONTHS_PER_YEAR
        per_year = wanted * MONTHS_PER_YEAR * model.scale / c.casework_efficiency[i]
        self._deploy_and_recruit_psychologists(per_year, recruits)
        self._resize_case_officer_team(plans[i], per_year)

    def _deploy_and_recruit_psychologists(self, per_year: float, recruits: float) -> None:
        """EP time moves towards what ``per_year`` assessments need by at most a step a year,
        never beyond the ceiling; posts are added for what the ceiling leaves short and filled
        from the council's share of the ``recruits``, within its staffing budget."""
        model, c, i = self.model, self.model.councils, self.index
        p = model.cfg.behaviour.workforce
        ep_hours = ep_hours_per_year(model)[i]
        share = c.ep_assessment_share[i]
        ceiling = max(p.ep_assessment_share_max, share)  # councils above it stay there
        wanted_share = per_year * p.ep_hours_per_assessment / max(ep_hours, 1e-9)
        step = p.ep_assessment_share_step
        c.ep_assessment_share[i] = min(max(wanted_share, share - step), share + step, ceiling)
        short = wanted_share / ceiling - 1.0  # EP posts short at the ceiling, per EP in post
        c.ep_posts[i] = max(c.ep_posts[i], c.ep_fte[i] * (1.0 + short))
        hires = min(
            c.ep_posts[i] - c.ep_fte[i],
            recruits * c.ep_recruit_share[i],
            p.staff_budget_change_max * c.ep_fte[i],
        )
        c.ep_fte[i] += max(hires, 0.0)

    def _resize_case_officer_team(self, plans: float, per_year: float) -> None:
        """Case officers for the ``plans`` held and ``per_year`` assessments, within how far
        the staffing budget can change in a year."""
        c, i = self.model.councils, self.index
        p = self.model.cfg.behaviour.workforce
        needed = plans / p.case_officer_caseload + (
            per_year * p.case_officer_hours_per_assessment / p.hours_per_fte_year
        )
        change = p.staff_budget_change_max * c.case_officer_fte[i]
        c.case_officer_fte[i] = np.clip(
            needed, c.case_officer_fte[i] - change, c.case_officer_fte[i] + change
        )

    @staticmethod
    def refusal_probability(model: SendModel, idx: np.ndarray) -> np.ndarray:
        """Chance the council refuses to assess children ``idx``: its 2022 rate at the reference
        need level, lower for higher needs, higher when it gatekeeps against a deficit. National
        standards pull every council's practice towards the national rate."""
        ch, c, p = model.children, model.councils, model.cfg.behaviour.assessment
        la = ch.la[idx]
        local = 1 - model.policy.standards.national_standards
        national = model.national_refusal_logit
        logit_ = national + local * (c.refusal_logit[la] - national) + c.gatekeeping[la]
        logit_ += c.yearly_shift[la, Rate.REFUSAL]
        logit_ += p.refusal_severity_slope * (p.refusal_reference_level - ch.severity[idx])
        return expit(logit_)

    @staticmethod
    def review_placements(model: SendModel, due: np.ndarray) -> None:
        """At annual reviews ``due``: a council under pressure from the override's end moves
        pupils in independent special schools to state special places where some are free."""
        ch, c = model.children, model.councils
        independent = due[ch.place[due] == Place.INDEPENDENT]
        chance = model.cfg.behaviour.council.cliff_placement_review_per_year
        chance *= c.cliff_pressure[ch.la[independent]]
        if not chance.any():
            return
        u = model.streams.uniform("review.placement", ch.uid[independent], model.months_elapsed)
        moving = independent[u < chance]
        refused = model.specials.admit(model, moving)
        model.flows.add("moves_to_state_special", ch.la[moving[~np.isin(moving, refused)]])

    @staticmethod
    def commission_resourced_places(model: SendModel) -> None:
        """Each September: resourced provision and SEN units grow by the capital programme,
        and by what councils add under pressure from the override's end."""
        c = model.councils
        extra = model.cfg.behaviour.council.cliff_resourced_places_growth * c.cliff_pressure
        c.resourced_places *= 1 + model.policy.capital.resourced_places_growth_per_year + extra

    @staticmethod
    def naming_independent(model: SendModel, la: np.ndarray) -> np.ndarray:
        """How often councils ``la`` name an independent school for a child needing a special
        one: their usual share, of which the part for want of a state place only while their
        special schools are full, and less under pressure from the override's end."""
        c, p = model.councils, model.cfg.behaviour.council
        specialism = p.independent_for_specialism
        wanting = specialism + (1.0 - specialism) * c.special_full[la]
        return (
            c.independent_share[la]
            * wanting
            * (1.0 - p.cliff_independent_cut * c.cliff_pressure[la])
        )


def ep_hours_per_year(model: SendModel) -> np.ndarray:
    """Hours a year of the EPs each council fields (scaled by the EP lever in force)."""
    hours = model.cfg.behaviour.workforce.hours_per_fte_year
    return model.councils.ep_fte * ratio(model.policy, EP_LEVER) * hours


def independent_share(prof: Profiles, prior_plans: float) -> np.ndarray:
    """Share of children needing a special school for whom a council names an independent
    one from the start (a specialism, or a place, the state schools it uses lack): its
    published share of new special-school plans, pooled towards England's."""
    national = prof.national_independent_share * prior_plans
    return (prof.new_plans_independent + national) / (prof.new_plans_special + prior_plans)


def placement_thresholds(
    prof: Profiles, p: CouncilParams, new_plan_level: float, spread: float
) -> tuple[np.ndarray, np.ndarray]:
    """Need levels above which councils name resourced provision / special schools.

    Chosen so that, for need levels spread like those of children receiving plans (median
    ``new_plan_level``, log-odds ``spread``), the shares of school-age new plans match each
    council's 2022 shares (newplans.csv).
    """
    special = np.clip(prof.new_plan_special_share, *p.special_share_bounds)
    specialist = prof.new_plan_special_share + prof.new_plan_resourced_share
    resourced = np.clip(specialist, *p.specialist_share_bounds)
    base = logit(new_plan_level)

    def quantile(top_share: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(base + spread * ndtri(1.0 - top_share))))

    return quantile(resourced), quantile(special)
