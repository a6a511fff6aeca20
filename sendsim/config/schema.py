"""The configuration schema: every parameter of sendsim, declared once.

Sections mirror the Hydra config tree (``run``, ``area``, ``population``, ``scenario``,
``policy``, ``finance``, ``behaviour``). Annual rates and durations are given here; per-month
values are derived once when the model starts. Sources cite ``NATIONAL_FIGURES.md`` (``NF``),
a data file under ``sendsim/data/raw`` or state an assumption.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sendsim.config.params import param, setting
from sendsim.config.policy import LeverEffects, PolicyConfig

NF = "NATIONAL_FIGURES.md"


@dataclass
class RunConfig:
    """When and how long to simulate."""

    start: str = setting(
        "2022-01",
        unit="YYYY-MM",
        label="First month simulated; the starting state is the January census of that year",
        source="SEN2 placements and school census SEN from January 2019 to January 2022",
        choices=("2019-01", "2020-01", "2021-01", "2022-01"),
    )
    years: int = setting(10, 1, 30, unit="years", label="Years simulated")
    seed: int = setting(
        1,
        0,
        2**31 - 1,
        unit="integer",
        label="Random seed; same seed and config give identical results",
    )
    calibrated: bool = setting(
        True,
        unit="yes/no",
        label="Apply the council's stored calibration (fitted to its history up to the start)",
        source="sendsim/data/calibration/fit_<start year>.parquet (sendsim calibrate)",
    )


@dataclass
class AreaConfig:
    """Which council is simulated, or ``england`` for all 153 in one model."""

    code: str = setting(
        "E08000007",
        unit="ONS code",
        label="Council simulated (ONS code), or 'england' for all councils",
        source="sendsim/data/processed/councils.parquet",
    )


@dataclass
class PopulationConfig:
    """How many children are simulated."""

    sample_fraction: float = setting(
        1.0,
        0.001,
        1.0,
        unit="share",
        label="Share of children simulated; counts and money are scaled back up",
    )
    births_growth_per_year: float = param(
        -0.01,
        -0.05,
        0.03,
        unit="per year",
        label="Annual change in births after 2020",
        source="Assumption: births in England fell about 1% a year 2012-2020 (ONS births)",
    )


@dataclass
class ScenarioConfig:
    """A named set of policy lever values (conf/scenario/*.yaml)."""

    name: str = setting("baseline", unit="name", label="Scenario name", source="conf/scenario")
    description: str = setting(
        "Today's policies and trends.",
        unit="text",
        label="What the scenario represents",
        source="conf/scenario",
    )


@dataclass
class FinanceConfig:
    """Costs and their growth (national defaults; each council's s251 budget rescales them)."""

    iss_fee_growth_per_year: float = param(
        0.043,
        0.0,
        0.1,
        unit="per year",
        label="Growth of independent special school fees",
        source=f"{NF} Costs: ISS average fee £60,800 (2025) projected £72,000 by 2029",
    )
    cost_inflation_per_year: float = param(
        0.03,
        0.0,
        0.08,
        unit="per year",
        label="Growth of other unit costs (top-ups, place funding, services)",
        source="Assumption: pay-driven cost growth",
    )
    state_special_place_gbp: float = param(
        10000.0,
        5000.0,
        20000.0,
        unit="GBP per place per year",
        label="Place funding for a state special school place",
        source=f"{NF} Costs: £10,000 per place unchanged since 2013",
    )
    specialist_post16_fee_gbp: float = param(
        45000.0,
        20000.0,
        90000.0,
        unit="GBP per year",
        label="Fee for a specialist post-16 institution",
        source="Assumption: between state special (£23.9k) and ISS (£61.5k) costs in NF Costs",
    )
    ap_place_gbp: float = param(
        18000.0,
        10000.0,
        40000.0,
        unit="GBP per year",
        label="Cost of an alternative provision place for a pupil with an EHCP",
        source="Assumption: £10,000 place funding plus top-up",
    )
    other_placement_gbp: float = param(
        4000.0,
        0.0,
        20000.0,
        unit="GBP per year",
        label="Cost of other arrangements (home education packages, tuition, awaiting provision)",
        source="Assumption",
    )


@dataclass
class DemographyParams:
    out_migration_child_per_year: float = param(
        0.02,
        0.01,
        0.15,
        unit="per year",
        label="Share of children aged 0-17 moving out of their council each year",
        source="SEN2 DisleaEHC: 7,249 plans (1.7%) ceased on moving council in 2021; assumption",
    )
    out_migration_adult_per_year: float = param(
        0.06,
        0.02,
        0.3,
        unit="per year",
        label="Share of young people aged 18-25 moving out of their council each year",
        source="Assumption: order of ONS internal migration rates (students)",
    )


@dataclass
class NeedsParams:
    emergence_per_year: float = param(
        0.022,
        0.005,
        0.05,
        unit="per year",
        label="Yearly chance a child aged 5-10 without a need develops one (other ages scaled)",
        source=f"Calibrated to SEN support of 12.6% of pupils and 114,500 requests in 2022 ({NF})",
    )
    level_spread: float = param(
        0.8,
        0.3,
        1.5,
        unit="log-odds",
        label="Spread of need levels between children with the same kind of need",
        source="Assumption",
    )
    escalation_per_year: float = param(
        0.08,
        0.0,
        0.3,
        unit="need level per year",
        label="Rise in need level during a year of unmet need",
        source="Assumption",
    )
    improvement_per_year: float = param(
        0.03,
        0.0,
        0.2,
        unit="need level per year",
        label="Fall in need level during a year of met need",
        source="Assumption",
    )
    resolution_per_year: float = param(
        0.12,
        0.0,
        0.5,
        unit="per year",
        label="Yearly chance a mild met need (level < 0.25) resolves",
        source="Assumption: turnover of the SEN support register",
    )


@dataclass
class IdentificationParams:
    early_years_per_year: float = param(
        0.8,
        0.1,
        2.0,
        unit="per year",
        label="Identification hazard of a need at ages 0-3, at the 2015 health visitor level",
        source="Assumption: most needs noticed at development reviews within a year",
    )
    school_per_year: float = param(
        1.0,
        0.1,
        3.0,
        unit="per year",
        label="Identification hazard of a need at school age (SENCos, teachers, school nurses)",
        source="Assumption",
    )
    post16_per_year: float = param(
        0.4,
        0.05,
        2.0,
        unit="per year",
        label="Identification hazard of a need at ages 16-25",
        source="Assumption",
    )
    workforce_elasticity: float = param(
        0.7,
        0.0,
        1.5,
        unit="elasticity",
        label="Response of identification to health visitor and school nurse numbers",
        source="Assumption",
    )


@dataclass
class SupportParams:
    mainstream_capability: float = param(
        0.45,
        0.2,
        0.8,
        unit="need level (0-1)",
        label="Need level the average mainstream school meets at SEN support, today",
        source="Assumption: calibrated so ~30% of SEN support pupils have unmet need",
    )
    capability_sd: float = param(
        0.08,
        0.0,
        0.2,
        unit="need level",
        label="Spread of mainstream schools' capability between schools",
        source="Assumption",
    )
    sen_capacity_share: float = param(
        0.14,
        0.05,
        0.3,
        unit="share of pupils",
        label="Share of a school's pupils its SENCo and staff can support fully",
        source="Assumption: above the 12.6% national SEN support rate (NF Pupils with SEN)",
    )
    min_load_factor: float = param(
        0.5,
        0.1,
        1.0,
        unit="share",
        label="Share of its usual support an overloaded school still gives",
        source="Assumption",
    )
    ehcp_uplift: float = param(
        0.25,
        0.0,
        0.5,
        unit="need level",
        label="Extra need met in mainstream when an EHCP funds top-up support",
        source="Assumption",
    )
    level_resourced: float = param(
        0.8,
        0.5,
        1.0,
        unit="need level",
        label="Need met in resourced provision",
        source="Assumption",
    )
    level_special: float = param(
        0.95,
        0.6,
        1.0,
        unit="need level",
        label="Need met in a special school (state or independent)",
        source="Assumption",
    )
    level_ap: float = param(
        0.55,
        0.2,
        1.0,
        unit="need level",
        label="Need met in alternative provision",
        source="Assumption",
    )
    level_early_years: float = param(
        0.45,
        0.2,
        1.0,
        unit="need level",
        label="Need met in early years settings with SEN support",
        source="Assumption",
    )
    level_post16: float = param(
        0.5,
        0.2,
        1.0,
        unit="need level",
        label="Need met in FE or sixth form at SEN support",
        source="Assumption",
    )
    level_specialist_post16: float = param(
        0.9,
        0.5,
        1.0,
        unit="need level",
        label="Need met in a specialist post-16 institution",
        source="Assumption",
    )
    level_universal: float = param(
        0.15,
        0.0,
        0.5,
        unit="need level",
        label="Need met by ordinary teaching and universal services, without identification",
        source="Assumption",
    )
    therapy_gap: float = param(
        0.1,
        0.0,
        0.3,
        unit="need level",
        label="Support lost while waiting for NHS therapy",
        source="Assumption",
    )


@dataclass
class RequestParams:
    severity_weight: float = param(
        2.0,
        0.0,
        6.0,
        unit="multiplier per need level",
        label="How much more likely a request is for a higher need",
        source="Assumption",
    )
    met_need_weight: float = param(
        0.1,
        0.0,
        1.0,
        unit="ratio",
        label="Request propensity when needs are met, relative to unmet",
        source="Assumption",
    )
    school_incentive: float = param(
        0.5,
        0.0,
        2.0,
        unit="multiplier",
        label="Extra request propensity when support costs exceed the notional threshold",
        source=f"{NF} Costs: the school meets the first £6,000; assumption for the size",
    )
    support_cost_per_need_gbp: float = param(
        12000.0,
        4000.0,
        30000.0,
        unit="GBP per year per need level",
        label="Cost of the extra support a need level requires in mainstream",
        source="Assumption",
    )
    trust_weight: float = param(
        0.5,
        0.0,
        2.0,
        unit="multiplier",
        label="Extra requests and appeals when families' trust in the local system is low",
        source="Assumption",
    )
    refusal_cooldown_months: int = param(
        6,
        0,
        24,
        unit="months",
        label="Months before a family asks again after a refusal",
        source="Assumption",
    )


@dataclass
class AssessmentParams:
    refusal_severity_slope: float = param(
        6.0,
        0.0,
        15.0,
        unit="log-odds per need level",
        label="How much less likely councils refuse to assess higher needs",
        source="Assumption; each council's mean refusal rate is its 2022 rate (requests.csv)",
    )
    min_weeks: float = param(
        10.0,
        6.0,
        20.0,
        unit="weeks",
        label="Shortest time from request to final plan, without backlogs",
        source="Assumption: the 6-week decision plus advice gathering",
    )
    extra_weeks_mean: float = param(
        6.0,
        1.0,
        30.0,
        unit="weeks",
        label="Mean extra time of a case beyond the shortest (exponential), without backlogs",
        source="Assumption: ~80% of plans within 20 weeks without backlogs, as the best councils",
    )
    issue_severity_slope: float = param(
        4.0,
        0.0,
        10.0,
        unit="log-odds per need level",
        label="How much more likely a plan is issued after assessment for higher needs",
        source="Assumption; each council's mean rate is its 2022 rate (assessments.csv)",
    )
    on_time_weight: float = param(
        8.0,
        1.0,
        20.0,
        unit="ratio",
        label="How much faster councils work cases inside 20 weeks than overdue ones",
        source=f"Assumption: councils prioritise cases that can still meet the deadline; keeps "
        f"~50% within 20 weeks 2022-2024 as requests grow ({NF} Flows)",
    )
    capacity_headroom: float = param(
        1.0,
        0.5,
        2.0,
        unit="ratio",
        label="Assessment capacity relative to each council's 2022 throughput",
        source="assessments.csv (2022 assessments completed)",
    )


@dataclass
class PlacementParams:
    specialist_post16_level: float = param(
        0.85,
        0.5,
        1.0,
        unit="need level",
        label="Need level at which post-16 provision for a plan is a specialist institution",
        source="Assumption: 8,230 of 78,370 post-16 plans in specialist institutions (SEN2 2022)",
    )
    unmet_months_to_move: int = param(
        6,
        1,
        12,
        unit="months in the last 12",
        label="Months of unmet need after which a plan's placement is reconsidered",
        source="Assumption",
    )
    independent_when_full: float = param(
        0.5,
        0.0,
        1.0,
        unit="probability",
        label="Chance a child needing a special place goes independent when state places are full",
        source="Assumption",
    )
    move_when_unmet_per_year: float = param(
        0.5,
        0.0,
        2.0,
        unit="per year",
        label="Yearly chance of a more specialist placement while a plan's need is unmet",
        source=f"Assumption; {NF} SEN2 MtosiEHC: ~9,300 moves mainstream to special in 2021",
    )
    ap_per_year: float = param(
        0.02,
        0.0,
        0.2,
        unit="per year",
        label="Yearly chance a secondary pupil with unmet SEMH need moves to AP",
        source="Assumption",
    )
    iss_growth_per_year: float = param(
        0.10,
        0.0,
        0.5,
        unit="per year",
        label="Most places the independent special school market adds in a year, for demand",
        source=f"{NF} Placement: ISS pupils up ~165% since 2015 (~10% a year)",
    )
    awaiting_resolution_per_year: float = param(
        4.0,
        0.5,
        12.0,
        unit="per year",
        label="How fast a child with a plan turned away by a school is found a place",
        source="Assumption: about three months awaiting provision (SEN2 'awaiting provision')",
    )
    ap_return_per_year: float = param(
        0.4,
        0.0,
        2.0,
        unit="per year",
        label="Yearly chance a pupil without a plan in AP returns to school",
        source="Assumption",
    )
    ap_plan_return_per_year: float = param(
        0.15,
        0.0,
        2.0,
        unit="per year",
        label="Yearly chance a pupil with a plan named in AP moves to another setting",
        source="Assumption: AP named in plans is mostly long-term (SEN2: 0.8% of plans in AP)",
    )
    independent_in_area_share: float = param(
        0.4,
        0.0,
        1.0,
        unit="share",
        label="Share of independent special school places inside the home council",
        source="Assumption: most independent special school placements are out of area",
    )
    post16_education_share: float = param(
        0.85,
        0.5,
        0.98,
        unit="share",
        label="Share of young people without a plan who stay in education after Year 11",
        source="Assumption: DfE participation of 16-17 year olds in full-time education",
    )
    post16_stay_special: float = param(
        0.75,
        0.0,
        1.0,
        unit="share",
        label="Share of plans in special schools staying in the school's sixth form at 16",
        source="Assumption",
    )
    post16_stay_mainstream: float = param(
        0.3,
        0.0,
        1.0,
        unit="share",
        label="Share of plans in mainstream staying in a school sixth form at 16",
        source="Assumption",
    )
    leaver_neet_share: float = param(
        0.1,
        0.0,
        0.5,
        unit="share",
        label="Share of young people without SEND leaving education who become NEET",
        source="Assumption: ONS NEET rate of ~11% among 16-24 year olds",
    )
    post19_finish_per_year: float = param(
        0.35,
        0.0,
        1.0,
        unit="share per year",
        label="Share of young people over 19 with plans in FE who finish their course each year",
        source="Assumption: plans at 20-25 are a quarter of those at 16-19 (SEN2 age bands)",
    )
    fe_dropout_per_year: float = param(
        0.04,
        0.0,
        0.3,
        unit="per year",
        label="Yearly chance a young person without SEND drops out of FE into NEET",
        source="Assumption",
    )
    neet_exit_per_year: float = param(
        0.4,
        0.05,
        1.0,
        unit="per year",
        label="Yearly chance a NEET young person moves into education, work or training",
        source="Assumption",
    )
    neet_entry_per_year: float = param(
        0.04,
        0.0,
        0.3,
        unit="per year",
        label="Yearly chance a young person aged 16-25 without SEND becomes NEET",
        source="Assumption: ONS NEET rate of ~11% among 16-24 year olds",
    )
    send_neet_multiplier: float = param(
        2.0,
        1.0,
        5.0,
        unit="multiplier",
        label="How much more likely young people with SEND are to become NEET",
        source="dfe-lait: destinations after KS4 by SEN status; assumption for the size",
    )


@dataclass
class ReviewParams:
    needs_met_level: float = param(
        0.3,
        0.05,
        0.6,
        unit="need level",
        label="Need level below which a plan can cease because needs are met",
        source="Assumption",
    )
    cease_needs_met_per_year: float = param(
        0.05,
        0.0,
        0.3,
        unit="per year",
        label="Yearly chance a plan whose need has fallen below 0.3 ceases",
        source=f"{NF}; SEN2 DismetEHC: ~430-900 plans a year ceased as needs met",
    )
    cease_left_education_per_year: float = param(
        0.6,
        0.0,
        1.0,
        unit="per year",
        label="Yearly chance a plan ceases once a young person aged 19+ leaves education",
        source="SEN2 DisleftEHC: ~12,800 plans ceased in 2021 on leaving education",
    )


@dataclass
class RedressParams:
    dispute_refusal: float = param(
        0.12,
        0.0,
        0.5,
        unit="probability",
        label="Chance a refusal to assess is disputed",
        source=f"{NF} Redress: ~11,000 appeals a year; assumption for the split",
    )
    dispute_not_issued: float = param(
        0.25,
        0.0,
        0.6,
        unit="probability",
        label="Chance a decision not to issue a plan is disputed",
        source="Assumption",
    )
    dispute_plan: float = param(
        0.1,
        0.0,
        0.4,
        unit="probability",
        label="Chance a new plan's contents or placement is disputed",
        source="Assumption",
    )
    late_dispute_multiplier: float = param(
        1.5,
        1.0,
        4.0,
        unit="multiplier",
        label="How much more often a decision reached after 20 weeks is disputed",
        source="Assumption: late plans and refusals erode families' confidence in them",
    )
    mediation_share: float = param(
        0.35,
        0.0,
        1.0,
        unit="share",
        label="Share of disputes that go to mediation",
        source=f"{NF} Redress: 5,097 mediations (2021)",
    )
    mediation_to_tribunal: float = param(
        0.26,
        0.0,
        1.0,
        unit="share",
        label="Share of mediations followed by a tribunal appeal",
        source=f"{NF} Redress: 26-27% of mediations went on to tribunal",
    )
    mediation_remedy_share: float = param(
        0.33,
        0.0,
        1.0,
        unit="share",
        label="Share of mediations settled without appeal that give the family what it asked",
        source="Assumption",
    )
    family_win_share: float = param(
        0.96,
        0.5,
        1.0,
        unit="share",
        label="Share of tribunal appeals decided at least partly for the family",
        source=f"{NF} Redress: ~96% (2021/22)",
    )
    months_to_hearing: int = param(
        8, 1, 24, unit="months", label="Months from appeal to decision", source="Assumption"
    )
    named_independent_share: float = param(
        0.3,
        0.0,
        1.0,
        unit="share",
        label="Share of successful placement appeals that name an independent school",
        source="Assumption",
    )


@dataclass
class HealthParams:
    referral_min_level: float = param(
        0.3,
        0.0,
        0.8,
        unit="need level",
        label="Need level from which a therapy-relevant need is referred to the NHS",
        source="Assumption",
    )
    referral_per_year: float = param(
        0.5,
        0.0,
        2.0,
        unit="per year",
        label="Yearly chance an identified therapy-relevant need is referred to NHS therapy",
        source="Assumption",
    )
    course_months: int = param(
        6, 1, 24, unit="months", label="Length of a course of therapy", source="Assumption"
    )
    initial_wait_months: float = param(
        6.0,
        0.0,
        24.0,
        unit="months",
        label="Average wait for therapy in January 2022",
        source="Assumption: typical community paediatric and CAMHS waits",
    )
    improvement: float = param(
        0.05,
        0.0,
        0.3,
        unit="need level",
        label="Fall in need level after a completed course of therapy",
        source="Assumption",
    )


@dataclass
class OutcomeParams:
    wellbeing_loss_unmet: float = param(
        0.5,
        0.0,
        1.0,
        unit="index",
        label="Wellbeing lost in a month of unmet need",
        source="Assumption",
    )
    wellbeing_loss_waiting: float = param(
        0.15,
        0.0,
        1.0,
        unit="index",
        label="Wellbeing lost in a month waiting for NHS therapy",
        source="Assumption",
    )
    wellbeing_loss_out_of_area: float = param(
        0.1,
        0.0,
        1.0,
        unit="index",
        label="Wellbeing lost in a month in a school outside the home council",
        source="Assumption",
    )
    wellbeing_loss_neet: float = param(
        0.3, 0.0, 1.0, unit="index", label="Wellbeing lost in a month of NEET", source="Assumption"
    )
    over_restrictive_fit: float = param(
        0.8,
        0.3,
        1.0,
        unit="index",
        label="Progress in a specialist placement when mainstream could meet the need",
        source="Assumption: inclusion evidence that lower needs progress best in mainstream",
    )
    unmet_fit: float = param(
        0.4,
        0.0,
        1.0,
        unit="index",
        label="Progress in a month of unmet need, relative to a met month",
        source="Assumption",
    )


@dataclass
class CouncilParams:
    gatekeeping_response: float = param(
        1.0,
        0.0,
        5.0,
        unit="log-odds per deficit/income",
        label="How much a council in deficit tightens its decisions to assess",
        source="Assumption: deficit recovery plans tighten thresholds (send-systems.md, DBV)",
    )
    capacity_response: float = param(
        0.35,
        0.0,
        1.0,
        unit="share per year",
        label="Share of the gap to demand plus a year's backlog clearance closed each April",
        source="Assumption; with it national plans grow from 473,000 (2022) to ~650,000 in 2025, "
        "near the ~638,000 reported for 2025 (CCN/Isos, send-systems.md)",
    )
    trust_adjust_per_year: float = param(
        0.5,
        0.0,
        3.0,
        unit="per year",
        label="How fast families' trust follows the timeliness of plans",
        source="Assumption",
    )


@dataclass
class BehaviourConfig:
    """Behavioural rates of children, families, schools, councils and ICBs."""

    demography: DemographyParams = field(default_factory=DemographyParams)
    needs: NeedsParams = field(default_factory=NeedsParams)
    identification: IdentificationParams = field(default_factory=IdentificationParams)
    support: SupportParams = field(default_factory=SupportParams)
    requests: RequestParams = field(default_factory=RequestParams)
    assessment: AssessmentParams = field(default_factory=AssessmentParams)
    placement: PlacementParams = field(default_factory=PlacementParams)
    reviews: ReviewParams = field(default_factory=ReviewParams)
    redress: RedressParams = field(default_factory=RedressParams)
    health: HealthParams = field(default_factory=HealthParams)
    outcomes: OutcomeParams = field(default_factory=OutcomeParams)
    council: CouncilParams = field(default_factory=CouncilParams)
    effects: LeverEffects = field(default_factory=LeverEffects)


@dataclass
class SendsimConfig:
    """The whole configuration of one run."""

    run: RunConfig = field(default_factory=RunConfig)
    area: AreaConfig = field(default_factory=AreaConfig)
    population: PopulationConfig = field(default_factory=PopulationConfig)
    scenario: ScenarioConfig = field(default_factory=ScenarioConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    finance: FinanceConfig = field(default_factory=FinanceConfig)
    behaviour: BehaviourConfig = field(default_factory=BehaviourConfig)
