"""Policy levers and the sizes of their effects.

Every lever's default is today's policy; scenarios (``conf/scenario``) set other values. A
lever acts in the mechanism named in ``docs/levers.md``. Levers take effect from
``policy.reforms_from``; before then the model runs today's policy. How strongly each lever
acts is an uncertain parameter in :class:`LeverEffects` (``behaviour.effects``).

Sources cite entries of ``docs/sources.md`` by key, e.g. the LGA Children and Young People Board
paper on the SEND and AP improvement plan (March 2023) as "[lga-brief] ¶n", data files in the
repository by path, or state an assumption.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sendsim.config.params import param


def lever(default: Any, low: float | None = None, high: float | None = None, **meta: Any) -> Any:
    """A policy lever: a parameter of kind ``policy``."""
    return param(default, low, high, kind="policy", **meta)


def share_lever(default: float, label: str, source: str) -> Any:
    """A lever that is a share or strength from 0 (none) to 1 (in full)."""
    return lever(default, 0.0, 1.0, unit="share (0-1)", label=label, source=source)


@dataclass
class WorkforcePolicy:
    """Staff per child, relative to a base year; today's values are the published falls."""

    health_visitors: float = lever(
        0.60,
        0.3,
        1.5,
        unit="ratio to 2015",
        label="Health visitors per child, relative to 2015 (identification at ages 0-3)",
        source="[ihv-2023]: 11,192 FTE (2015) to 6,688 (2023), ratio 0.60; [lga-brief] ¶22-32",
    )
    school_nurses: float = lever(
        0.75,
        0.3,
        1.5,
        unit="ratio to 2009",
        label="Qualified school nurses per child, relative to 2009 (identification at school)",
        source="[qni-saphna-2024]: 1,135 (2009) to 852 (2022), ratio 0.75; [lga-brief] ¶22-32",
    )
    educational_psychologists: float = lever(
        1.0,
        0.4,
        2.0,
        unit="ratio to today",
        label="Educational psychologists councils can field and recruit, relative to today",
        source="1.0 = today's council EP workforce [lga-soulbury-2024] and funded training "
        "places [pq-ep-training-2022]; no published series by council",
    )
    therapists: float = lever(
        1.0,
        0.4,
        2.0,
        unit="ratio to 2015",
        label="NHS therapists (speech and language, OT, CAMHS) per child, relative to 2015",
        source="Assumption: no published series; 1.0 = capacity keeping 2022 waits stable",
    )
    mental_health_support_teams: float = share_lever(
        0.0,
        "Share of pupils in schools with a mental health support team, where above the "
        "published roll-out (behaviour.health.mhst_coverage_by_april)",
        "0 = the roll-out alone; [pq-mhst]: the government's commitment is every school and "
        "college by 2029/30",
    )


@dataclass
class InclusionPolicy:
    """Mainstream inclusion (brief ¶4, 13, 23-25)."""

    staff_training_coverage: float = share_lever(
        0.3,
        "Share of mainstream teachers and assistants trained in SEND in the last three years",
        "Assumption: no national series; [lga-brief] ¶23-25 on capability and training",
    )
    senco_qualified_share: float = share_lever(
        0.6,
        "Share of SENCos holding the national SENCo qualification (NPQ or its predecessor)",
        "Assumption: the award has been required of new SENCos since 2009; [lga-brief] ¶24",
    )


@dataclass
class PowersPolicy:
    """Council intervention powers and ICB accountability (brief ¶8, 13-15, 34)."""

    direct_academies_to_admit: float = share_lever(
        0.0,
        "Councils' power to direct any school, academies included, to admit a child with a plan",
        "[lga-brief] ¶13-15: today councils cannot direct academies (only via the DfE)",
    )
    inclusion_in_inspection: float = share_lever(
        0.2,
        "Weight of inclusion in Ofsted judgements of schools",
        "Assumption: a minor part of judgements before the 2025 framework; [lga-brief] ¶14",
    )
    icb_backstop_powers: float = share_lever(
        0.0,
        "Backstop powers over ICBs that do not meet their duties to children with SEND",
        "[lga-brief] ¶8, 34: proposed by the LGA, not in force",
    )


@dataclass
class StandardsPolicy:
    """National SEND and AP standards, tailored lists, a standard digital plan (brief ¶6-12)."""

    national_standards: float = share_lever(
        0.0,
        "National SEND and AP standards in force (1 = fully implemented)",
        "[lga-brief] ¶6-7: proposed in [dfe-send-ap-plan-2023]",
    )
    tailored_lists: float = share_lever(
        0.0,
        "Tailored lists of settings from which placements are named",
        "[lga-brief] ¶10-12: proposed in [dfe-send-ap-plan-2023]",
    )
    digital_ehcp: float = share_lever(
        0.0,
        "Standard digital EHC plan and process in use",
        "[lga-brief] ¶10-12: proposed in [dfe-send-ap-plan-2023]",
    )


@dataclass
class RedressPolicy:
    """Mediation and the tribunal (brief ¶38)."""

    mandatory_mediation: float = share_lever(
        0.0,
        "Mediation required before an appeal to the SEND Tribunal",
        "[lga-brief] ¶38: proposed in [dfe-send-ap-plan-2023]",
    )


@dataclass
class CapitalPolicy:
    """Capital for special places and units in mainstream (brief ¶42)."""

    special_places_growth_per_year: float = lever(
        0.05,
        -0.05,
        0.2,
        unit="per year",
        label="Growth in state special school places commissioned each year",
        source="Derived, [dfe-ehcp]: special school plans 136.6k (2019) to 164.7k (2022) "
        "(sendsim/data/raw/dfe-ehcp/caseload_by_placement.csv); £2.6bn capital 2022-2025 "
        "[dfe-send-ap-plan-2023]",
    )
    build_lead_time_years: int = lever(
        2,
        0,
        5,
        unit="years",
        label="Years from commissioning special places to their opening",
        source="Assumption: design, planning and building of new special places",
    )
    resourced_places_growth_per_year: float = lever(
        0.02,
        -0.1,
        0.5,
        unit="per year",
        label="Growth in resourced provision and SEN unit places in mainstream schools",
        source="Assumption: units grew slowly before 2023; [lga-brief] ¶42",
    )


@dataclass
class TariffsPolicy:
    """National banding and price tariffs, health contributions (brief ¶45-46, 49)."""

    independent_fee_growth_cap: float = lever(
        0.10,
        0.0,
        0.10,
        unit="per year",
        label="Most independent special school fees may grow in a year (0.10 = no cap)",
        source="[lga-brief] ¶45-46: national price tariffs proposed; today fees are not capped",
    )
    national_banding: float = share_lever(
        0.0,
        "National banding and tariff (1 = every council pays the national tariff for each "
        "plan's band of need, within its flexibility)",
        "[lga-brief] ¶45-46: proposed in [dfe-send-ap-plan-2023]",
    )
    health_share_of_complex_placements: float = lever(
        0.08,
        0.0,
        0.5,
        unit="share",
        label="Share of independent special school fees paid by the ICB",
        source="Assumption: health contributions to complex placements; [lga-brief] ¶49",
    )


@dataclass
class FundingPolicy:
    """High needs funding rules (brief ¶40-41, 47-48)."""

    hnb_growth_2024_25: float = lever(
        0.066,
        -0.05,
        0.2,
        unit="per year",
        label="High needs block growth in 2024-25",
        source="9,954m (2023-24 allocation, sendsim/data/raw/dfe-finance/"
        "dsg_allocations_by_block_2019_2024.csv) to ~10,600m (2024-25) [nao-2024]",
    )
    hnb_growth_2025_26: float = lever(
        0.127,
        -0.05,
        0.2,
        unit="per year",
        label="High needs block growth in 2025-26",
        source="~10,600m (2024-25) [nao-2024] to ~11,950m (2025-26) [pq-high-needs]",
    )
    hnb_growth_later: float = lever(
        0.03,
        -0.05,
        0.2,
        unit="per year",
        label="High needs block growth each year from 2026-27",
        source="Assumption: cash growth in line with inflation after the last announced year",
    )
    statutory_override_end: str = lever(
        "2028-03",
        unit="YYYY-MM",
        label="Last month of the statutory override keeping DSG deficits off general funds",
        source="[mhclg-ffr-2025]: override extended to March 2028 (June 2025)",
    )
    deficit_write_off_share: float = share_lever(
        0.0,
        "Share of each council's cumulative DSG deficit written off by government",
        "[lga-brief] ¶40-41: asked for by the LGA; not government policy",
    )
    deficit_write_off_month: str = lever(
        "2028-03",
        unit="YYYY-MM",
        label="Month in which a deficit write-off is made",
        source="Assumption: when the statutory override ends",
    )
    safety_valve_share: float = share_lever(
        0.0,
        "Share of a council's cumulative DSG deficit DfE pays, in instalments, to councils with "
        "very high deficits that agree a recovery plan (Safety Valve)",
        "[dfe-dbv-sv]: 38 agreements worth about £1bn to 2024; none in today's policy from "
        "2022 (the agreements made from 2021 are not modelled)",
    )
    delivering_better_value: float = share_lever(
        0.0,
        "Delivering Better Value: councils with substantial deficits carry out a plan to "
        "slow high needs spending (1 = every such plan carried out in full)",
        "[dbv-2024]: 54 areas in the first phase, 2022 to 2024; none in today's policy from "
        "2022 (the programme's plans are not modelled)",
    )
    school_surplus_access: float = share_lever(
        0.0,
        "Share of maintained schools' remaining surplus balances councils draw into high needs "
        "each year (academies' are their trusts')",
        "[lga-brief] ¶47: asked for by the LGA; not government policy",
    )
    notional_threshold_gbp: float = lever(
        6000.0,
        2000.0,
        15000.0,
        unit="GBP per pupil per year",
        label="Extra SEN support a mainstream school pays before the council tops up",
        source="[dfe-hn-operational-guide]: notional SEN threshold £6,000 since 2014; "
        "[lga-brief] ¶48",
    )


@dataclass
class EarlyYearsPolicy:
    """Early years inclusion (brief ¶43)."""

    inclusion_fund: float = share_lever(
        0.5,
        "Reach of the early years inclusion fund (SEN inclusion support in early years settings)",
        "Assumption: councils' funds reach about half of settings; [lga-brief] ¶43",
    )


@dataclass
class Post16Policy:
    """Post-16 routes (brief ¶16-21, 44)."""

    level2_routes: float = share_lever(
        0.0,
        "New Level 2 and apprenticeship routes with maths and English flexibilities",
        "[lga-brief] ¶16-21, 44: proposed in [dfe-send-ap-plan-2023]",
    )
    supported_internships: float = lever(
        0.1,
        0.0,
        0.5,
        unit="share",
        label="Share of young people with plans leaving education who start a supported internship",
        source="[dfe-ehcp] 2022: 2,477 supported interns with plans; assumption for the share",
    )


@dataclass
class AlternativeProvisionPolicy:
    """Alternative provision oversight (brief ¶39)."""

    oversight: float = share_lever(
        0.0,
        "Council oversight of moves into and out of alternative provision",
        "[lga-brief] ¶39: a new AP role for councils proposed in [dfe-send-ap-plan-2023]",
    )


@dataclass
class PolicyConfig:
    """Policy levers: the values decision makers control. Scenarios change only these."""

    reforms_from: str = lever(
        "2022-01",
        unit="YYYY-MM",
        label="Month from which the levers take the scenario's values (today's policy before)",
        source="Setting of each scenario",
    )
    workforce: WorkforcePolicy = field(default_factory=WorkforcePolicy)
    inclusion: InclusionPolicy = field(default_factory=InclusionPolicy)
    powers: PowersPolicy = field(default_factory=PowersPolicy)
    standards: StandardsPolicy = field(default_factory=StandardsPolicy)
    redress: RedressPolicy = field(default_factory=RedressPolicy)
    capital: CapitalPolicy = field(default_factory=CapitalPolicy)
    tariffs: TariffsPolicy = field(default_factory=TariffsPolicy)
    funding: FundingPolicy = field(default_factory=FundingPolicy)
    early_years: EarlyYearsPolicy = field(default_factory=EarlyYearsPolicy)
    post16: Post16Policy = field(default_factory=Post16Policy)
    alternative_provision: AlternativeProvisionPolicy = field(
        default_factory=AlternativeProvisionPolicy
    )


def effect(default: float, high: float, label: str, source: str = "Assumption") -> Any:
    """The size of a lever's effect: an uncertain parameter from 0 (no effect) to ``high``."""
    return param(default, 0.0, high, unit="effect size", label=label, source=source)


@dataclass
class LeverEffects:
    """How strongly each lever acts (uncertain; see docs/levers.md for the mechanisms)."""

    training_capability: float = effect(
        0.15, 0.5, "Need level mainstream schools gain with all staff trained (vs none)"
    )
    senco_capacity: float = effect(
        0.5, 1.5, "Rise in a school's SEN support capacity with all SENCos qualified (vs none)"
    )
    inspection_capability_per_year: float = effect(
        0.03, 0.1, "Yearly gain in schools' capability at full weight of inclusion in inspection"
    )
    inspection_capability_max: float = effect(
        0.15, 0.4, "Largest total gain in schools' capability from inclusion in inspection"
    )
    inspection_ap_reduction: float = effect(
        0.5, 1.0, "Fall in moves to AP at full weight of inclusion in inspection"
    )
    admission_refusal: float = effect(
        0.1,
        0.5,
        "Chance an academy declines a child with a plan the council names it for (councils "
        "direct the schools they maintain)",
    )
    direction_ap_reduction: float = effect(
        0.3, 1.0, "Fall in moves to AP when councils can direct academies"
    )
    mhst_support: float = effect(
        0.1, 0.3, "Need level met for pupils with SEMH needs in a school with a mental health team"
    )
    mhst_referral_reduction: float = effect(
        0.3, 1.0, "Fall in CAMHS referrals per unit of mental health support team coverage"
    )
    standards_expectations: float = effect(
        0.1, 0.5, "Rise in requests with national standards in force (higher expectations, ¶7)"
    )
    lists_independent_reduction: float = effect(
        0.5, 1.0, "Fall in independent placements when placements are named from tailored lists"
    )
    digital_time_saving: float = effect(
        0.15, 0.5, "Share of assessment casework saved by a standard digital plan"
    )
    icb_capacity_gain: float = effect(
        0.2, 1.0, "Rise in ICB therapy capacity under backstop powers"
    )
    icb_health_share_gain: float = effect(
        0.1, 0.5, "Rise in the ICB share of complex placement fees under backstop powers"
    )
    early_years_identification: float = effect(
        0.5, 2.0, "Rise in identification at ages 0-3 per unit of early years inclusion fund"
    )
    early_years_support: float = effect(
        0.1, 0.3, "Need level early years settings gain per unit of early years inclusion fund"
    )
    level2_neet_reduction: float = effect(
        0.3, 1.0, "Fall in the extra NEET risk of young people with SEND with new Level 2 routes"
    )
    ap_oversight_reduction: float = effect(
        0.5, 1.0, "Fall in moves into AP with full council oversight"
    )
    ap_oversight_return: float = effect(
        1.0, 3.0, "Rise in returns from AP with full council oversight"
    )
    school_surplus_gbp_per_pupil: float = param(
        620.0,
        0.0,
        1500.0,
        unit="GBP per pupil",
        label="Revenue balances of council-maintained schools per pupil in them, March 2022: "
        "the stock surplus access draws on",
        source="[schoolsweek-balances-2022]: maintained schools' net revenue balances £2.18bn "
        "at March 2022, over about 3.5 million pupils in maintained mainstream schools "
        "(assumption from the academy shares of [pq-academies-2022])",
    )
