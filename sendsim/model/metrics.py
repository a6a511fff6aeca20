"""The metric registry (each metric's name, unit and label, declared once) and the recorder.

Stocks are measured at the first of each month (the first is the January census), flows are
totals over the month. Counts are recorded at sample scale and scaled up on output; money is
computed at full scale by the finance phase. Ratio metrics are computed from their numerator
and denominator only when results are written, so that summing councils to England, or months
to years, gives the right ratio.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from sendsim.model.codes import (
    AWAITING_PROVISION,
    MAX_AGE,
    N_PLACE,
    N_SEN,
    POST16_START_AGE,
    SCHOOL_START_AGE,
    STATUTORY_WEEKS,
    Place,
    Sen,
)
from sendsim.model.ops import count_by

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

Timing = Literal["stock", "flow"]


@dataclass(frozen=True)
class Metric:
    """One output quantity.

    Attributes:
        name: column or ``metric`` value in the results.
        unit: unit of the value.
        label: plain-English description.
        timing: ``stock`` (as at the first of the month) or ``flow`` (during the month).
        numerator: for ratio metrics, the metric divided...
        denominator: ...by this one.
        multiplier: applied to a ratio (10,000 for "per 10k").
        scaled: counts multiplied by 1 / sample fraction on output.
        internal: used only to build ratios; not written.
    """

    name: str
    unit: str
    label: str
    timing: Timing
    numerator: str | None = None
    denominator: str | None = None
    multiplier: float = 1.0
    scaled: bool = True
    internal: bool = False

    @property
    def is_ratio(self) -> bool:
        return self.numerator is not None


PLACE_NAMES = {p: Place.name(p).lower() for p in Place.codes()}
N_AGES = MAX_AGE + 1
TALLY = N_PLACE * N_SEN * 3 * 2 * 2  # stock tally cells per council (see stock_quantities)
#: Placements whose cost falls on the high needs block when the child has a plan.
FUNDED_PLACES = tuple(p for p in Place.codes() if p not in (Place.EMPLOYMENT, Place.NEET))


def _count(name: str, label: str, timing: Timing, unit: str = "children") -> Metric:
    return Metric(name, unit, label, timing)


def _money(name: str, label: str, timing: Timing = "flow") -> Metric:
    return Metric(name, "GBP", label, timing, scaled=False)


def _ratio(name: str, unit: str, label: str, num: str, den: str, mult: float = 1.0) -> Metric:
    return Metric(name, unit, label, "stock", num, den, mult, scaled=False)


def _internal(name: str, timing: Timing = "stock") -> Metric:
    return Metric(name, "", "", timing, internal=True)


METRICS: tuple[Metric, ...] = (
    # stocks
    _count("population_0_25", "Children and young people aged 0-25", "stock"),
    _count("ehcp_caseload", "Education, health and care plans in force", "stock"),
    _count("sen_support", "Children with identified SEND and no plan (SEN support)", "stock"),
    *(
        _count(f"ehcp_{n}", f"Plans with placement: {n.replace('_', ' ')}", "stock")
        for n in PLACE_NAMES.values()
    ),
    _count("ehcp_post16", "Plans with placement in FE or specialist post-16", "stock"),
    _count("awaiting_provision", "Plans awaiting a school place after a school declined", "stock"),
    _count("assessment_backlog", "Requests and assessments open (awaiting a decision)", "stock"),
    _count("waiting_over_20_weeks", "Open requests older than 20 weeks", "stock"),
    _count("therapy_waiting", "Children waiting for NHS therapy", "stock"),
    _count("out_of_area", "Plans placed in a school outside the home council", "stock"),
    _count("special_places", "State special school places", "stock", "places"),
    _count("resourced_places", "Resourced provision and SEN unit places", "stock", "places"),
    _count(
        "independent_places",
        "Independent special school places used by the area",
        "stock",
        "places",
    ),
    _count("pupils", "Children of school age (4-15)", "stock"),
    _money("dsg_cumulative_balance_gbp", "Cumulative DSG balance (negative = deficit)", "stock"),
    _money(
        "dsg_deficit_exposed_gbp", "Deficit no longer covered by the statutory override", "stock"
    ),
    _internal("send_children"),
    _internal("unmet_months_sum"),
    _internal("progress_sum"),
    _internal("wellbeing_sum"),
    _internal("send_16_25"),
    _internal("neet_send_16_25"),
    _internal("therapy_wait_months_sum"),
    _internal("sen_support_pupils"),
    _internal("ehcp_pupils"),
    # flows
    _count("births", "Births", "flow"),
    _count("movers_in", "Children and young people moving into the council", "flow"),
    _count("movers_out", "Children and young people moving out of the council", "flow"),
    _count("aged_out", "Young people leaving the 0-25 age range", "flow"),
    _count("requests", "Requests for EHC needs assessment received", "flow"),
    _count("refusals_to_assess", "Requests the council refused to assess", "flow"),
    _count("assessments", "EHC needs assessments completed", "flow"),
    _count("new_plans", "New EHC plans issued", "flow"),
    _count("plans_not_issued", "Assessments completed without issuing a plan", "flow"),
    _count("issued_within_20_weeks", "New plans issued within 20 weeks of the request", "flow"),
    _count(
        "ceased_plans", "Plans ceased (moved away, left education, needs met, aged out)", "flow"
    ),
    _count("ceased_on_review", "Plans ceased at annual review (needs met, left education)", "flow"),
    _count("transfers_in", "Children with plans moving into the council", "flow"),
    _count("transfers_out", "Children with plans moving out of the council", "flow"),
    _count("identifications", "Needs newly identified", "flow"),
    _count("mediations", "Mediation cases", "flow"),
    _count("tribunal_appeals", "SEND Tribunal appeals registered", "flow"),
    _count(
        "appealable_decisions", "Decisions families can appeal (refusals, plans, no plan)", "flow"
    ),
    _count("tribunal_decisions", "SEND Tribunal appeals decided", "flow"),
    _count("moves_to_special", "Plans moved from mainstream to special provision", "flow"),
    _count("moves_to_ap", "Pupils moved from mainstream school to alternative provision", "flow"),
    _count(
        "special_place_shortfall", "Children needing a special place who did not get one", "flow"
    ),
    _money("hn_income_gbp", "High needs block income"),
    _money("hn_spend_gbp", "High needs spend"),
    *(
        _money(
            f"hn_spend_{PLACE_NAMES[p]}_gbp",
            f"High needs spend: {PLACE_NAMES[p].replace('_', ' ')}",
        )
        for p in FUNDED_PLACES
    ),
    _money("hn_spend_central_gbp", "High needs spend on services, AP and places not tied to plans"),
    _money(
        "dsg_in_year_balance_gbp", "In-year high needs balance (income and surplus, less spend)"
    ),
    _money("icb_contribution_gbp", "ICB contribution to independent placements"),
    _money("school_surplus_used_gbp", "Schools' surplus balances used for high needs"),
    _money("deficit_written_off_gbp", "DSG deficit written off by government"),
    # ratios
    _ratio(
        "ehcp_per_10k_0_25",
        "per 10,000",
        "Plans per 10,000 aged 0-25",
        "ehcp_caseload",
        "population_0_25",
        1e4,
    ),
    *(
        _ratio(
            f"placement_share_{n}",
            "share",
            f"Share of plans placed in {n.replace('_', ' ')}",
            f"ehcp_{n}",
            "ehcp_caseload",
        )
        for n in (
            "mainstream",
            "resourced",
            "state_special",
            "independent",
            "ap",
            "post16",
            "neet",
            "early_years",
            "other",
            "employment",
        )
    ),
    _ratio(
        "out_of_area_share",
        "share",
        "Share of plans placed outside the home council",
        "out_of_area",
        "ehcp_caseload",
    ),
    _ratio(
        "mean_months_unmet_need",
        "months in last 12",
        "Mean months of unmet need in the past year, children with SEND",
        "unmet_months_sum",
        "send_children",
    ),
    _ratio(
        "outcome_index",
        "index 0-1",
        "Progress index of children with SEND (1 = need fully met)",
        "progress_sum",
        "send_children",
    ),
    _ratio(
        "wellbeing_index",
        "index 0-1",
        "Wellbeing index of children with SEND",
        "wellbeing_sum",
        "send_children",
    ),
    _ratio(
        "neet_rate_16_25",
        "share",
        "Share of young people aged 16-25 with SEND who are NEET",
        "neet_send_16_25",
        "send_16_25",
    ),
    _ratio(
        "mean_therapy_wait_months",
        "months",
        "Mean time waited so far by children waiting for therapy",
        "therapy_wait_months_sum",
        "therapy_waiting",
    ),
    _ratio(
        "sen_support_share_pupils",
        "share",
        "Share of children aged 4-15 on SEN support",
        "sen_support_pupils",
        "pupils",
    ),
    _ratio(
        "ehcp_share_pupils",
        "share",
        "Share of children aged 4-15 with a plan",
        "ehcp_pupils",
        "pupils",
    ),
    Metric(
        "tribunal_appeal_rate",
        "share",
        "Appeals registered per appealable decision",
        "flow",
        "tribunal_appeals",
        "appealable_decisions",
        scaled=False,
    ),
    Metric(
        "issued_within_20_weeks_share",
        "share",
        "Share of new plans issued within 20 weeks",
        "flow",
        "issued_within_20_weeks",
        "new_plans",
        scaled=False,
    ),
)

METRIC_BY_NAME = {m.name: m for m in METRICS}
STOCKS = tuple(m.name for m in METRICS if m.timing == "stock" and not m.is_ratio)
FLOWS = tuple(m.name for m in METRICS if m.timing == "flow" and not m.is_ratio)


class Flows:
    """Per-council totals of this month's events, filled by the phases."""

    def __init__(self, n_councils: int) -> None:
        self.n = n_councils
        self.totals = {name: np.zeros(n_councils) for name in FLOWS}

    def add(self, name: str, la: np.ndarray, weights: np.ndarray | None = None) -> None:
        """Count events (or add their ``weights``) by the children's councils ``la``."""
        self.totals[name] += count_by(la, self.n, weights)

    def add_totals(self, name: str, per_council: np.ndarray) -> None:
        """Add a per-council array (money, typically)."""
        self.totals[name] += per_council


class Recorder:
    """Preallocated per-council arrays for every stock (monthly + final) and flow."""

    def __init__(self, model: SendModel) -> None:
        self.model = model
        n, months = model.councils.n, model.n_months
        self.stocks = {name: np.zeros((months + 1, n)) for name in STOCKS}
        self.flows = {name: np.zeros((months, n)) for name in FLOWS}
        self._stock_row = 0

    def new_flows(self) -> Flows:
        return Flows(self.model.councils.n)

    def record_flows(self, flows: Flows) -> None:
        for name, values in flows.totals.items():
            self.flows[name][self.model.months_elapsed] = values

    def record_stocks(self) -> None:
        for name, values in stock_quantities(self.model).items():
            self.stocks[name][self._stock_row] = values
        self._stock_row += 1


def stock_quantities(model: SendModel) -> dict[str, np.ndarray]:
    """Every stock, per council, from the current state.

    Reads the children with a need (``model.needy``) and the resident counts, never the whole
    population; most counts come from one tally by council, placement, SEN status, age group,
    SEND history and therapy wait. Also leaves ``model.status_by_cell`` (plans, SEN support and
    unidentified needs by council and age) for moves in.
    """
    ch, c, n = model.children, model.councils, model.councils.n
    idx = model.needy
    la, sen, place, age = ch.la[idx].astype(np.int64), ch.sen[idx], ch.place[idx], ch.age[idx]
    wait = ch.therapy_wait[idx]
    waiting = wait >= 0
    group = (age >= SCHOOL_START_AGE).astype(np.int16) + (age >= POST16_START_AGE)
    code = ((place.astype(np.int16) * N_SEN + sen) * 3 + group) * 2 + ch.had_sen[idx]
    tally = count_by(la * TALLY + (code * 2 + waiting), n * TALLY).reshape(
        n, N_PLACE, N_SEN, 3, 2, 2
    )
    by_sen = tally.sum(axis=(1, 3, 4, 5))
    plans = tally[:, :, Sen.EHCP]
    by_place = plans.sum(axis=(2, 3, 4))
    support = tally[:, :, Sen.SUPPORT : Sen.EHCP]
    young_send = tally[:, :, :, 2, 1]
    send = np.flatnonzero(sen >= Sen.SUPPORT)
    plan = np.flatnonzero(sen == Sen.EHCP)
    open_case = idx[(sen == Sen.REQUESTED) | (sen == Sen.ASSESSING)]
    late = open_case[ch.weeks[open_case] > STATUTORY_WEEKS]
    status = np.full(len(idx), 2, np.int64)  # 0 plan, 1 support, 2 unidentified
    status[send] = 1
    status[plan] = 0
    model.status_by_cell = count_by((la * N_AGES + age) * 3 + status, n * N_AGES * 3).reshape(-1, 3)
    send_la, send_idx = la[send], idx[send]
    plan_la, plan_school = la[plan], ch.school[idx[plan]]
    return {
        "population_0_25": model.residents.sum(axis=1).astype(np.float64),
        "ehcp_caseload": by_sen[:, Sen.EHCP],
        "sen_support": by_sen[:, Sen.SUPPORT] + by_sen[:, Sen.REQUESTED] + by_sen[:, Sen.ASSESSING],
        **{f"ehcp_{name}": by_place[:, p] for p, name in PLACE_NAMES.items()},
        "ehcp_post16": by_place[:, Place.FE] + by_place[:, Place.SPECIALIST_POST16],
        "assessment_backlog": by_sen[:, Sen.REQUESTED] + by_sen[:, Sen.ASSESSING],
        "awaiting_provision": count_by(plan_la[plan_school == AWAITING_PROVISION], n),
        "waiting_over_20_weeks": count_by(ch.la[late], n),
        "therapy_waiting": tally[..., 1].sum(axis=(1, 2, 3, 4)),
        "therapy_wait_months_sum": count_by(la, n, np.maximum(wait, 0)),
        "out_of_area": count_by(ch.la[model.placed_away()], n),
        "special_places": model.specials.places_by_council(n),
        "resourced_places": c.resourced_places.astype(np.float64),
        "independent_places": model.iss.places_by_council(n),
        "pupils": model.residents[:, SCHOOL_START_AGE:POST16_START_AGE]
        .sum(axis=1)
        .astype(np.float64),
        "sen_support_pupils": support[:, :, :, 1].sum(axis=(1, 2, 3, 4)),
        "ehcp_pupils": plans[:, :, 1].sum(axis=(1, 2, 3)),
        "dsg_cumulative_balance_gbp": c.dsg_balance_gbp.copy(),
        "dsg_deficit_exposed_gbp": c.deficit_exposed_gbp.copy(),
        "send_children": by_sen[:, Sen.SUPPORT :].sum(axis=1),
        "unmet_months_sum": count_by(send_la, n, np.bitwise_count(ch.unmet_history[send_idx])),
        "progress_sum": count_by(send_la, n, ch.progress[send_idx]),
        "wellbeing_sum": count_by(send_la, n, ch.wellbeing[send_idx]),
        "send_16_25": young_send.sum(axis=(1, 2, 3)),
        "neet_send_16_25": young_send[:, Place.NEET].sum(axis=(1, 2)),
    }
