"""Every policy lever moves what it should (and money levers leave children alone).

Response tests with common random numbers: one lever changed from today's value, a three-year
run of the default council (quarter sample, same seed), the direction of the change checked.
"""

from __future__ import annotations

import numpy as np
import pytest

from sendsim.config.params import iter_params
from sendsim.config.schema import SendsimConfig
from sendsim.model.model import SendModel
from tests.conftest import make_config
from tests.test_mechanisms import BASE, outcome, outcome_pair

LONGER = ("run.years", 5)  # for levers that act from April 2025 or later
FREE_MARKET = ("behaviour.placement.iss_growth_relative", 5.0)
NO_LEAD_TIME = ("policy.capital.build_lead_time_years", 0)
MORE_AP = ("behaviour.placement.ap_per_year", 0.2)  # enough moves to AP to see a change
WHOLE = ("population.sample_fraction", 1.0)  # enough appeals to see a change in their rate

LEVER_CASES = [
    # (lever, value, metric, direction, context)
    ("policy.workforce.health_visitors", 1.0, "identifications", +1, ()),
    ("policy.workforce.school_nurses", 1.3, "identifications", +1, ()),
    ("policy.workforce.educational_psychologists", 0.6, "within_20_weeks_share", -1, ()),
    ("policy.workforce.educational_psychologists", 0.6, "assessment_backlog", +1, ()),
    ("policy.workforce.educational_psychologists", 0.6, "appeal_rate", +1, (WHOLE,)),
    ("policy.workforce.therapists", 0.5, "therapy_waiting", +1, ()),
    ("policy.workforce.mental_health_support_teams", 0.9, "therapy_waiting", -1, ()),
    ("policy.workforce.mental_health_support_teams", 0.9, "unmet_mean", -1, ()),
    ("policy.inclusion.staff_training_coverage", 0.9, "unmet_mean", -1, ()),
    ("policy.inclusion.staff_training_coverage", 0.9, "requests", -1, ()),
    ("policy.inclusion.senco_qualified_share", 1.0, "unmet_mean", -1, ()),
    ("policy.powers.direct_academies_to_admit", 1.0, "awaiting_total", -1, ()),
    ("policy.powers.direct_academies_to_admit", 1.0, "moves_to_ap", -1, (MORE_AP,)),
    ("policy.powers.inclusion_in_inspection", 1.0, "unmet_mean", -1, ()),
    ("policy.powers.inclusion_in_inspection", 1.0, "moves_to_ap", -1, (MORE_AP,)),
    ("policy.powers.icb_backstop_powers", 1.0, "therapy_waiting", -1, ()),
    ("policy.powers.icb_backstop_powers", 1.0, "icb_contribution_gbp", +1, ()),
    ("policy.standards.national_standards", 1.0, "requests", +1, ()),
    ("policy.standards.tailored_lists", 1.0, "independent_places", -1, (FREE_MARKET,)),
    ("policy.standards.digital_ehcp", 1.0, "within_20_weeks_share", +1, ()),
    ("policy.redress.mandatory_mediation", 1.0, "mediations", +1, ()),
    ("policy.redress.mandatory_mediation", 1.0, "tribunal_appeals", -1, ()),
    (
        "policy.capital.special_places_growth_per_year",
        0.15,
        "special_place_shortfall",
        -1,
        (NO_LEAD_TIME,),
    ),
    (
        "policy.capital.build_lead_time_years",
        0,
        "special_places",
        +1,
        (("policy.capital.special_places_growth_per_year", 0.15),),
    ),
    ("policy.capital.resourced_places_growth_per_year", 0.3, "ehcp_resourced", +1, ()),
    ("policy.tariffs.independent_fee_growth_cap", 0.0, "hn_spend_independent_gbp", -1, ()),
    ("policy.tariffs.independent_fee_growth_cap", 0.0, "independent_places", -1, ()),
    ("policy.tariffs.national_banding", 1.0, "hn_spend_mainstream_gbp", +1, ()),
    ("policy.tariffs.national_banding", 1.0, "independent_places", +1, ()),
    ("policy.tariffs.health_share_of_complex_placements", 0.3, "hn_spend_independent_gbp", -1, ()),
    ("policy.tariffs.health_share_of_complex_placements", 0.3, "therapy_waiting", +1, ()),
    ("policy.funding.hnb_growth_2024_25", 0.15, "dsg_at_end", +1, ()),
    ("policy.funding.hnb_growth_2025_26", 0.2, "dsg_at_end", +1, (LONGER,)),
    ("policy.funding.hnb_growth_later", 0.08, "dsg_at_end", +1, (LONGER,)),
    ("policy.funding.statutory_override_end", "2023-03", "deficit_exposed_total", +1, ()),
    (
        "policy.funding.deficit_write_off_share",
        1.0,
        "dsg_at_end",
        +1,
        (("policy.funding.deficit_write_off_month", "2023-03"),),
    ),
    (
        "policy.funding.deficit_write_off_month",
        "2023-03",
        "deficit_written_off_gbp",
        +1,
        (("policy.funding.deficit_write_off_share", 0.5),),
    ),
    ("policy.funding.delivering_better_value", 1.0, "refusals_to_assess", +1, ()),
    ("policy.funding.school_surplus_access", 1.0, "dsg_at_end", +1, ()),
    (
        "policy.funding.safety_valve_share",
        0.5,
        "dsg_at_end",
        +1,
        (("behaviour.council.safety_valve_deficit_threshold", 0.0),),
    ),
    ("policy.funding.notional_threshold_gbp", 12000.0, "requests", -1, ()),
    ("policy.early_years.inclusion_fund", 1.0, "identifications", +1, ()),
    ("policy.post16.level2_routes", 1.0, "neet_rate", -1, ()),
    ("policy.post16.supported_internships", 0.4, "neet_rate", -1, (WHOLE, LONGER)),
    ("policy.alternative_provision.oversight", 1.0, "moves_to_ap", -1, (MORE_AP,)),
]


def lever_outcome(context: tuple, change: tuple | None = None) -> dict[str, float]:
    changes = (*context, change) if change else context
    result = outcome_pair(*changes) if changes else outcome()
    return result


@pytest.mark.parametrize(("key", "value", "metric", "direction", "context"), LEVER_CASES)
def test_lever_moves_its_metric(key, value, metric, direction, context):
    base = lever_outcome(context)[metric]
    changed = lever_outcome(context, (key, value))[metric]
    assert np.sign(changed - base) == direction, f"{metric}: {base} -> {changed}"


def test_every_lever_has_a_response_test():
    levers = {p.path for p in iter_params(SendsimConfig) if p.meta.kind == "policy"}
    tested = {case[0] for case in LEVER_CASES} | {"policy.reforms_from"}
    assert levers <= tested, sorted(levers - tested)


def test_reforms_take_effect_from_their_month():
    """A shortage from January 2024 leaves 2022-23 as today; from January 2022 it does not."""
    shortage = ("policy.workforce.educational_psychologists", 0.6)
    later = SendModel(
        make_config(**{**BASE, **dict([shortage, ("policy.reforms_from", "2024-01")])})
    )
    today = SendModel(make_config(**BASE))
    now = SendModel(make_config(**{**BASE, **dict([shortage])}))
    for model in (later, today, now):
        model.run(progress=False)
    two_years = slice(0, 24)
    flows = lambda m: m.recorder.flows["assessments"][two_years]  # noqa: E731
    np.testing.assert_array_equal(flows(later), flows(today))
    assert flows(now).sum() < flows(today).sum()
    assert (
        later.recorder.flows["assessments"][24:].sum()
        < today.recorder.flows["assessments"][24:].sum()
    )


#: The levers that act on money alone: funding rules. They reach children only through
#: councils' answers to their deficits.
PURE_FUNDING = {
    "policy.funding.hnb_growth_2024_25",
    "policy.funding.hnb_growth_2025_26",
    "policy.funding.hnb_growth_later",
    "policy.funding.deficit_write_off_share",
    "policy.funding.deficit_write_off_month",
    "policy.funding.school_surplus_access",
}
#: What children, schools and councils do (no money): a lever that acts must move one of them.
CHILD_METRICS = (
    "ehcp_caseload",
    "sen_support",
    "identifications",
    "requests",
    "refusals_to_assess",
    "new_plans",
    "issued_within_20_weeks",
    "ehcp_independent",
    "ehcp_resourced",
    "special_places",
    "moves_to_ap",
    "awaiting_total",
    "mediations",
    "therapy_waiting",
    "unmet_months_sum",
    "neet_send_16_25",
)
#: Councils' answers to their deficits off: no gatekeeping against them, and no answer to the
#: override's end before it comes (today's end, March 2028, is after these runs).
NO_DEFICIT_ANSWERS = (
    ("behaviour.council.gatekeeping_response", 0.0),
    ("behaviour.council.cliff_planning_years", 0.0),
)
FIRST_CASE = {case[0]: case for case in reversed(LEVER_CASES)}


@pytest.mark.parametrize("key", sorted(PURE_FUNDING))
def test_pure_funding_levers_leave_children_alone(key):
    """With councils' answers to their deficits off, a pure funding lever changes money only."""
    _, value, _, _, context = FIRST_CASE[key]
    base = outcome_pair(*NO_DEFICIT_ANSWERS, *context)
    changed = outcome_pair(*NO_DEFICIT_ANSWERS, *context, (key, value))
    for metric in CHILD_METRICS:
        assert changed[metric] == base[metric], metric


@pytest.mark.parametrize("key", sorted(set(FIRST_CASE) - PURE_FUNDING))
def test_every_other_lever_acts_on_children_not_only_money(key):
    """Every lever outside the short list of pure funding levers changes what children,
    schools or councils do, even with councils' answers to their deficits off."""
    _, value, _, _, context = FIRST_CASE[key]
    base = outcome_pair(*NO_DEFICIT_ANSWERS, *context)
    changed = outcome_pair(*NO_DEFICIT_ANSWERS, *context, (key, value))
    assert any(changed[m] != base[m] for m in CHILD_METRICS), key


def test_lever_docs_are_current():
    """docs/levers.md lists every lever in its mechanism table and carries the current table."""
    from pathlib import Path

    from sendsim.config.tables import lever_table, markdown

    doc = (Path(__file__).parents[1] / "docs" / "levers.md").read_text()
    assert markdown(lever_table(effects=True)) in doc
    mechanisms = doc.split("## Mechanisms")[1].split("## Measured")[0]
    for key in lever_table()["key"]:
        assert f"`{key.removeprefix('policy.')}`" in mechanisms, key
    for row in (line for line in mechanisms.splitlines() if line.startswith("| `")):
        lever, actor, mechanism, changes, source = row.strip("| ").split(" | ")
        assert ":" in actor and mechanism and changes and source, lever  # actor: decision


def test_mental_health_support_teams_follow_the_published_roll_out():
    """Coverage follows the published roll-out between its Aprils and is held after the last;
    a scenario's coverage acts from its reforms, where above the roll-out."""
    from sendsim.model.levers import mhst_coverage, mhst_rollout

    council = {"area.code": "E08000007", "run.years": 3, "population.sample_fraction": 0.05}
    today = SendModel(make_config(**council))
    rollout = today.cfg.behaviour.health.mhst_coverage_by_april
    assert mhst_rollout(today, 2022, 4) == pytest.approx(rollout[4])  # April 2022
    assert mhst_rollout(today, 2022, 10) == pytest.approx((rollout[4] + rollout[5]) / 2)
    assert mhst_rollout(today, 2031, 1) == pytest.approx(rollout[-1])
    reform = {"policy.workforce.mental_health_support_teams": 0.9, "policy.reforms_from": "2024-09"}
    more = SendModel(make_config(**council, **reform))
    for model in (today, more):
        covered = []
        for _ in range(32):  # January 2022 to August 2024
            covered.append(mhst_coverage(model))
            model.step()
        covered.append(mhst_coverage(model))
        assert covered[0] == pytest.approx(mhst_rollout(model, 2022, 1))
        assert np.all(np.diff(covered[:-1]) >= 0) and covered[-2] < 0.9
    assert covered[-1] == 0.9  # the scenario's, from its reforms
