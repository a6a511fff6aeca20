"""Finance: high needs spend by provision, high needs block income, the DSG balance.

Reads the population, never changes it. Spend is caseload times unit cost by placement (the
language of DSG management plans), plus central spend not tied to plans; unit costs grow with
cost inflation, independent fees faster. Under national banding councils pay a tariff by band
of need, built from England's councils' costs so that it spends what they did when it begins;
what it and any fee cap pay independent schools, relative to the fees they would set, is what
their markets answer in the places they open. Income is the council's high needs block for
the financial year, paid in twelve instalments. Once the statutory override ends, the cumulative
deficit is exposed on the council's general fund and counts against its usable reserves; a
council whose deficit exceeds them is at risk of a section 114 notice, and what it borrows under
exceptional financial support costs its general fund interest and repayment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sendsim.config.params import param, profile
from sendsim.dates import year_month
from sendsim.model.codes import FUNDED_PLACES, N_PLACE, PLACE_NAMES, Agreement, Place, Sen
from sendsim.model.institutions.icb import Icb
from sendsim.model.institutions.specialist import IndependentSchool
from sendsim.model.levers import months_of_override_left
from sendsim.model.mechanism import Mechanism
from sendsim.model.ops import MONTHS_PER_YEAR, count_by, solve_rising
from sendsim.model.profile import spend_last_year
from sendsim.model.recording import Census, councils, money

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

INDEPENDENT_SECTOR = (Place.INDEPENDENT, Place.SPECIALIST_POST16)
#: Placements whose price a national tariff would set: top-ups and independent fees.
TARIFFED = [
    Place.EARLY_YEARS,
    Place.MAINSTREAM,
    Place.RESOURCED,
    Place.STATE_SPECIAL,
    Place.INDEPENDENT,
    Place.FE,
]
TARIFF_SOLVE_STEPS = 60  # bisection halvings: far below a penny


@dataclass
class FinanceParams:
    """Costs and their growth (national defaults; each council's s251 budget rescales them)."""

    iss_fee_growth_per_year: float = param(
        0.043,
        0.0,
        0.1,
        unit="per year",
        label="Growth of independent special school fees",
        source="[ccn-isos-2025]: ISS average fee £60,800 (2025) projected £72,000 by 2029",
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
        source="[dfe-hn-operational-guide]: £10,000 per place unchanged since 2013",
    )
    specialist_post16_fee_gbp: float = param(
        45000.0,
        20000.0,
        90000.0,
        unit="GBP per year",
        label="Fee for a specialist post-16 institution",
        source="Assumption: between state special (~£23.9k) and ISS (~£61.5k) yearly costs, as "
        "attributed to the IFS by a secondary source (not traced to the publication)",
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
    reserves_gbp: float = param(
        34.0e9,
        15.0e9,
        50.0e9,
        unit="GBP",
        label="Un-ringfenced revenue reserves of England's local authorities, March 2022",
        source="[dluhc-ro-2022]: £34.0bn at 31 March 2022 (£23.5bn in March 2020)",
    )
    reserves_available_share: float = param(
        0.5,
        0.2,
        0.9,
        unit="share",
        label="Share of those reserves held by councils responsible for education and free to "
        "set against a DSG deficit",
        source="Assumption: districts, police, fire and combined authorities hold part of them, "
        "and councils have earmarked much of the rest for other commitments. Each council "
        "holds England's in proportion to its Dedicated Schools Grant 2021-22 (no council "
        "figures are held), constant in cash",
    )
    exceptional_support_borrowing_rate: float = param(
        0.05,
        0.0,
        0.1,
        unit="per year",
        label="Interest on what a council borrows under exceptional financial support",
        source="Assumption: long-term local authority borrowing rates of about 5% in 2023-24",
    )
    exceptional_support_repayment_years: int = param(
        20,
        5,
        50,
        unit="years",
        label="Years over which a council repays what it capitalised under exceptional "
        "financial support",
        source="Assumption",
    )
    tariff_flexibility: float = param(
        0.1,
        0.0,
        0.5,
        unit="share of the tariff",
        label="How far above or below the national tariff a council may pay once banding is "
        "in force (its own price kept within that range)",
        source="Assumption: [dfe-send-ap-plan-2023] proposes national bands and tariffs with "
        "local flexibility, without values; [lga-brief] ¶45-46",
    )
    tariff_band_need: list[float] = profile(
        (0.5, 0.8),
        0.05,
        0.95,
        unit="need level (0-1)",
        rising=True,
        label="Need levels at which a plan's tariff band rises (three bands)",
        source="Assumption: local banding frameworks grade top-ups by the level of need; the "
        "middle band holds about half of plans",
    )
    tariff_band_top_up: list[float] = profile(
        (0.6, 1.0, 1.5),
        0.1,
        3.0,
        unit="relative to the placement's tariff",
        rising=True,
        label="Each band's price, relative to the placement's tariff (lowest band first)",
        source="Assumption: local banding frameworks' top-ups rise several-fold from the "
        "lowest band to the highest; these are normalised so that England's plans at the "
        "tariff's introduction cost what they did",
    )
    min_central_share: float = param(
        0.05,
        0.0,
        0.3,
        unit="share of spend",
        label="Least share of high needs spend not tied to plans in the starting year",
        source="Assumption: services, AP and hospital education (s251)",
    )


METRICS = (
    money("dsg_cumulative_balance_gbp", "Cumulative DSG balance (negative = deficit)", "stock"),
    money(
        "dsg_deficit_exposed_gbp", "Deficit no longer covered by the statutory override", "stock"
    ),
    money(
        "reserves_after_deficit_gbp",
        "Councils' usable reserves less the deficit the override no longer covers",
        "stock",
    ),
    councils(
        "councils_deficit_over_reserves",
        "Councils whose exposed DSG deficit exceeds their usable reserves (section 114 risk)",
        "stock",
    ),
    councils(
        "exceptional_support_requests",
        "Councils asking government for exceptional financial support (each April)",
        "flow",
    ),
    money(
        "exceptional_support_asked_gbp",
        "Exposed deficit beyond reserves that councils ask to capitalise (each April)",
    ),
    money(
        "exceptional_support_capitalised_gbp",
        "Deficit councils have met by borrowing under exceptional financial support",
        "stock",
    ),
    money(
        "exceptional_support_cost_gbp",
        "Interest and repayment on that borrowing, met from councils' general funds",
    ),
    money("hn_income_gbp", "High needs block income"),
    money("hn_spend_gbp", "High needs spend"),
    *(
        money(
            f"hn_spend_{PLACE_NAMES[p]}_gbp",
            f"High needs spend: {PLACE_NAMES[p].replace('_', ' ')}",
        )
        for p in FUNDED_PLACES
    ),
    money("hn_spend_central_gbp", "High needs spend on services, AP and places not tied to plans"),
    money("dsg_in_year_balance_gbp", "In-year high needs balance (income and surplus, less spend)"),
    money("icb_contribution_gbp", "ICB contribution to independent placements"),
    money("school_surplus_used_gbp", "Schools' surplus balances used for high needs"),
    money(
        "maintained_school_balances_gbp",
        "Surplus balances left in council-maintained schools",
        "stock",
    ),
    money("deficit_written_off_gbp", "DSG deficit written off by government"),
    money("safety_valve_paid_gbp", "Safety Valve instalments paid by DfE (each April)"),
    councils(
        "safety_valve_agreements",
        "Councils in a Safety Valve agreement, paying instalments",
        "stock",
    ),
    councils(
        "better_value_plans",
        "Councils carrying out a Delivering Better Value plan",
        "stock",
    ),
    councils(
        "safety_valve_suspended",
        "Safety Valve agreements suspended because deficits ran above the recovery plan",
        "flow",
    ),
)


# -- the January position ------------------------------------------------------------------
def build(model: SendModel) -> None:
    """Unit costs by council and placement, matched to each council's 2021-22 spend; ICBs'
    SEND budgets; the national tariff banding would pay; usable reserves."""
    c, f, prof = model.councils, model.cfg.finance, model.profiles
    model.cost_index = np.ones(N_PLACE)  # unit costs relative to the start
    model.market_fee_index = 1.0  # independent fees as the market would set them, uncapped
    c.unit_cost_gbp = with_flat_costs(model, prof.unit_cost_gbp)
    ch, plans = model.children, np.zeros((c.n, N_PLACE))
    plan = np.flatnonzero(ch.sen == Sen.EHCP)
    np.add.at(plans, (ch.la[plan], ch.place[plan]), model.scale)  # full scale
    plan_spend = (plans * c.unit_cost_gbp).sum(axis=1)
    spend = spend_last_year(prof.hnb_gbp, prof.dsg_change_last_year_gbp)
    scale = plan_cost_scale(model, plan_spend, spend)
    c.unit_cost_gbp *= scale[:, None]
    c.central_spend_gbp_per_year[:] = spend - plan_spend * scale
    independent = plans[:, Place.INDEPENDENT] * c.unit_cost_gbp[:, Place.INDEPENDENT]
    Icb.set_budgets(model, Icb.health_share(model) * independent)
    model.tariff_gbp = national_tariff(model)
    c.reserves_gbp[:] = f.reserves_gbp * f.reserves_available_share * prof.dsg_share_of_england
    c.school_balances_gbp[:] = maintained_school_balances(model)
    # the balance last April: January's less the nine months of last year's change since
    c.dsg_balance_year_before_gbp[:] = c.dsg_balance_gbp - 0.75 * prof.dsg_change_last_year_gbp


def maintained_school_balances(model: SendModel) -> np.ndarray:
    """Surplus balances of each council's maintained mainstream schools (full scale): a sum per
    pupil in them (academies' balances are their trusts', out of councils' reach)."""
    ch, schools = model.children, model.schools
    pupils = np.flatnonzero((ch.place == Place.MAINSTREAM) & (ch.school >= 0))
    maintained = 1.0 - schools.academy[ch.school[pupils]]
    per_pupil = model.cfg.behaviour.effects.school_surplus_gbp_per_pupil
    return count_by(ch.la[pupils], model.councils.n, maintained) * model.scale * per_pupil


def with_flat_costs(model: SendModel, cost: np.ndarray) -> np.ndarray:
    """Unit costs by council and placement, with those priced alike everywhere (specialist
    post-16, AP, other arrangements) at their national prices."""
    f = model.cfg.finance
    cost = cost.copy()
    cost[:, Place.SPECIALIST_POST16] = f.specialist_post16_fee_gbp
    cost[:, Place.AP] = f.ap_place_gbp
    cost[:, Place.OTHER] = f.other_placement_gbp
    return cost


def plan_cost_scale(model: SendModel, plan_spend: np.ndarray, spend: np.ndarray) -> np.ndarray:
    """How far each council's unit costs are scaled down so that its plans cost no more than
    its spend less the least central spend (services, AP and places not tied to plans)."""
    plan_cap = (1 - model.cfg.finance.min_central_share) * spend
    return np.minimum(1.0, plan_cap / np.maximum(plan_spend, 1.0))


def national_tariff(model: SendModel) -> np.ndarray:
    """England's tariff per plan by placement, in starting prices: built from every English
    council's unit costs scaled to its spend as the model scales them, at the level at which
    councils paying their own costs within the flexibility allowed would spend on their
    January plans what they did. Banding so moves money between councils, not into the
    system."""
    eng = model.profiles.england
    cost = with_flat_costs(model, eng.unit_cost_gbp)
    cost *= plan_cost_scale(model, (eng.plans * cost).sum(axis=1), eng.spend_gbp)[:, None]
    return spend_neutral_tariff(cost, eng.plans, model.cfg.finance.tariff_flexibility)


def spend_neutral_tariff(cost: np.ndarray, plans: np.ndarray, flexibility: float) -> np.ndarray:
    """The tariff per placement at which ``plans`` priced within ``flexibility`` of it cost
    what they do at their own ``cost`` (by bisection: their cost rises with the tariff, and
    the answer lies between the lowest and highest cost)."""
    held = plans > 0
    low = np.where(held, cost, np.inf).min(axis=0)
    high = np.where(held, cost, -np.inf).max(axis=0)
    none = ~held.any(axis=0)
    low[none] = high[none] = cost[:, none].mean(axis=0)
    spend = lambda tariff: (tariff_prices(cost, tariff, flexibility) * plans).sum(axis=0)  # noqa: E731
    return solve_rising(spend, (cost * plans).sum(axis=0), low, high, TARIFF_SOLVE_STEPS)


def tariff_prices(cost: np.ndarray, tariff: np.ndarray, flexibility: float) -> np.ndarray:
    """Each council's price: its own cost, kept within ``flexibility`` of the tariff."""
    return np.clip(cost, tariff * (1 - flexibility), tariff * (1 + flexibility))


# -- each month ----------------------------------------------------------------------------
def step(model: SendModel) -> None:
    """Pay this month's costs, receive this month's income, update the DSG balance."""
    c = model.councils
    grow_costs(model)
    plans = plans_by_placement(model) * model.scale
    spend = plan_spend(model, plans)
    model.iss.price_ratio = independent_price_ratio(model, spend, plans)
    spend /= 12.0
    health = Icb.joint_fund(model, spend[:, Place.INDEPENDENT])
    spend[:, Place.INDEPENDENT] -= health
    central = c.central_spend_gbp_per_year * model.cost_index[Place.MAINSTREAM] / 12.0
    total = spend.sum(axis=1) + central
    income = model.hnb_this_year() / 12.0
    surplus = school_surplus(model)
    for p in FUNDED_PLACES:
        model.flows.add_totals(f"hn_spend_{PLACE_NAMES[p]}_gbp", spend[:, p])
    model.flows.add_totals("hn_spend_central_gbp", central)
    model.flows.add_totals("hn_spend_gbp", total)
    model.flows.add_totals("hn_income_gbp", income)
    model.flows.add_totals("school_surplus_used_gbp", surplus)
    model.flows.add_totals("dsg_in_year_balance_gbp", income + surplus - total)
    model.flows.add_totals("icb_contribution_gbp", health)
    model.flows.add_totals("exceptional_support_cost_gbp", exceptional_support_cost(model))
    c.dsg_balance_gbp += income + surplus - total
    write_off(model)
    over = months_of_override_left(model) <= 0
    c.deficit_exposed_gbp[:] = np.maximum(-c.dsg_balance_gbp, 0.0) if over else 0.0


def grow_costs(model: SendModel) -> None:
    """A month of cost growth: inflation; independent fees as the market sets them, up to
    any cap (the fees the market would set are tracked too)."""
    market_growth = model.cfg.finance.iss_fee_growth_per_year
    yearly = np.full(N_PLACE, model.cfg.finance.cost_inflation_per_year)
    yearly[list(INDEPENDENT_SECTOR)] = IndependentSchool.fee_growth(model)
    model.cost_index *= (1 + yearly) ** (1 / 12)
    model.market_fee_index *= (1 + market_growth) ** (1 / 12)


def plan_spend(model: SendModel, plans: np.ndarray) -> np.ndarray:
    """This month's yearly cost of the ``plans`` each council holds by placement: at its own
    unit costs, or, as far as national banding is in force, at the tariff's price for each
    plan's band of need, within the council's flexibility."""
    c = model.councils
    spend = plans * c.unit_cost_gbp
    banding = model.policy.tariffs.national_banding
    if banding > 0:
        prices = tariff_prices(
            c.unit_cost_gbp, model.tariff_gbp, model.cfg.finance.tariff_flexibility
        )
        tariffed = (prices * banded_plans(model))[:, TARIFFED]
        spend[:, TARIFFED] = (1 - banding) * spend[:, TARIFFED] + banding * tariffed
    return spend * model.cost_index


def banded_plans(model: SendModel) -> np.ndarray:
    """Plans by council and placement (full scale), each counted at its band's price relative
    to the simulated area's mix of bands in that placement: band values keep the tariff's
    average, so bands move money between councils by their mix of need, not into the system
    (need levels are a latent scale, not costed, and their drift must not move spend)."""
    f, ch, n = model.cfg.finance, model.children, model.councils.n
    plan = model.needy[ch.sen[model.needy] == Sen.EHCP]
    band = np.searchsorted(f.tariff_band_need, ch.severity[plan], side="right")
    key = ch.la[plan].astype(np.int64) * N_PLACE + ch.place[plan]
    weighted = count_by(key, n * N_PLACE, np.asarray(f.tariff_band_top_up)[band])
    weighted = weighted.reshape(n, N_PLACE)
    counts = count_by(key, n * N_PLACE).reshape(n, N_PLACE).sum(axis=0)
    mean = np.where(counts > 0, weighted.sum(axis=0) / np.maximum(counts, 1), 1.0)
    return weighted / mean * model.scale


def independent_price_ratio(model: SendModel, spend: np.ndarray, plans: np.ndarray) -> np.ndarray:
    """What each independent market is paid for its plans, relative to the fees it would set
    (1 without a cap or tariff; below 1 where they hold its price down)."""
    c, iss, ind = model.councils, model.iss, Place.INDEPENDENT
    asked = c.unit_cost_gbp[:, ind] * plans[:, ind] * model.market_fee_index
    paid_by_market = count_by(c.market, iss.n_markets, spend[:, ind])
    asked_by_market = count_by(c.market, iss.n_markets, asked)
    return np.where(asked_by_market > 0, paid_by_market / np.maximum(asked_by_market, 1e-9), 1.0)


def exceptional_support_cost(model: SendModel) -> np.ndarray:
    """This month's interest and repayment on what councils have capitalised: a level
    annuity on each sum borrowed."""
    f = model.cfg.finance
    rate, years = f.exceptional_support_borrowing_rate, f.exceptional_support_repayment_years
    # log1p and expm1 keep the annuity exact for rates too small for 1 + rate to differ from 1
    yearly = rate / -np.expm1(-years * np.log1p(rate)) if rate > 0 else 1 / years
    return model.councils.capitalised_gbp * yearly / MONTHS_PER_YEAR


def school_surplus(model: SendModel) -> np.ndarray:
    """Maintained schools' surplus balances drawn into high needs this month, where councils
    may: each year the share the lever allows of what is left, so the balances run down."""
    c = model.councils
    drawn = model.policy.funding.school_surplus_access * c.school_balances_gbp / 12.0
    c.school_balances_gbp -= drawn
    return drawn


def write_off(model: SendModel) -> None:
    """In the write-off month, government writes off its share of each council's deficit."""
    funding, c = model.policy.funding, model.councils
    if (model.year, model.month) != year_month(funding.deficit_write_off_month):
        return
    amount = funding.deficit_write_off_share * np.maximum(-c.dsg_balance_gbp, 0.0)
    c.dsg_balance_gbp += amount
    model.flows.add_totals("deficit_written_off_gbp", amount)


def plans_by_placement(model: SendModel) -> np.ndarray:
    """Plans per council and placement (sample scale), shape (councils, placements)."""
    ch, n = model.children, model.councils.n
    plan = model.needy[ch.sen[model.needy] == Sen.EHCP]
    key = ch.la[plan].astype(np.int64) * N_PLACE + ch.place[plan]
    return count_by(key, n * N_PLACE).reshape(n, N_PLACE)


def count_stocks(model: SendModel, census: Census) -> dict[str, np.ndarray]:
    """The cumulative DSG balance, the deficit the override no longer covers, and what that
    leaves of councils' reserves."""
    c = model.councils
    return {
        "dsg_cumulative_balance_gbp": c.dsg_balance_gbp.copy(),
        "dsg_deficit_exposed_gbp": c.deficit_exposed_gbp.copy(),
        "reserves_after_deficit_gbp": c.reserves_gbp - c.deficit_exposed_gbp,
        "councils_deficit_over_reserves": (c.deficit_exposed_gbp > c.reserves_gbp).astype(float),
        "maintained_school_balances_gbp": c.school_balances_gbp.copy(),
        "safety_valve_agreements": (c.safety_valve == Agreement.ACTIVE).astype(float),
        "better_value_plans": (c.better_value_years_left > 0).astype(float),
        "exceptional_support_capitalised_gbp": c.capitalised_gbp.copy(),
    }


MECHANISM = Mechanism(
    name="finance",
    step=step,
    params=FinanceParams,
    config="finance",
    metrics=METRICS,
    build=build,
    count=count_stocks,
)
