"""Finance: high needs spend by provision, high needs block income, the DSG balance.

Reads the population, never changes it. Spend is caseload times unit cost by placement (the
language of DSG management plans), plus central spend not tied to plans; unit costs grow with
cost inflation, independent fees faster. Income is the council's high needs block for the
financial year, paid in twelve instalments. Once the statutory override ends, the cumulative
deficit is exposed on the council's general fund.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sendsim.model.codes import N_PLACE, Place, Sen
from sendsim.model.levers import year_month
from sendsim.model.metrics import FUNDED_PLACES, PLACE_NAMES
from sendsim.model.ops import count_by

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

INDEPENDENT_SECTOR = (Place.INDEPENDENT, Place.SPECIALIST_POST16)
#: Placements whose top-up rates national banding would set.
BANDED = [Place.MAINSTREAM, Place.RESOURCED, Place.STATE_SPECIAL, Place.FE, Place.EARLY_YEARS]


def step_finance(model: SendModel) -> None:
    """Pay this month's costs, receive this month's income, update the DSG balance."""
    c, pol = model.councils, model.policy
    grow_costs(model)
    spend = plans_by_placement(model) * model.scale * unit_costs(model) / 12.0
    health_share = pol.tariffs.health_share_of_complex_placements
    health_share += (
        model.cfg.behaviour.effects.icb_health_share_gain * pol.powers.icb_backstop_powers
    )
    health = spend[:, Place.INDEPENDENT] * health_share
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
    c.dsg_balance_gbp += income + surplus - total
    write_off(model)
    override_over = (model.year, model.month) > year_month(pol.funding.statutory_override_end)
    c.deficit_exposed_gbp[:] = np.maximum(-c.dsg_balance_gbp, 0.0) if override_over else 0.0


def grow_costs(model: SendModel) -> None:
    """A month of cost growth: inflation; independent fees faster, up to any tariff cap."""
    f = model.cfg.finance
    fees = min(f.iss_fee_growth_per_year, model.policy.tariffs.independent_fee_growth_cap)
    yearly = np.full(N_PLACE, f.cost_inflation_per_year)
    yearly[list(INDEPENDENT_SECTOR)] = fees
    model.cost_index *= (1 + yearly) ** (1 / 12)


def unit_costs(model: SendModel) -> np.ndarray:
    """This month's yearly cost of a plan by council and placement; national banding pulls
    top-ups towards England's average."""
    banding = model.policy.tariffs.national_banding
    c, national = model.councils, model.national_unit_cost_gbp
    cost = c.unit_cost_gbp.copy()
    cost[:, BANDED] = (1 - banding) * cost[:, BANDED] + banding * national[BANDED]
    return cost * model.cost_index


def school_surplus(model: SendModel) -> np.ndarray:
    """Schools' surplus balances drawn into high needs this month, where councils may."""
    access = model.policy.funding.school_surplus_access
    if access == 0:
        return np.zeros(model.councils.n)
    ch = model.children
    pupils = count_by(ch.la[ch.place == Place.MAINSTREAM], model.councils.n) * model.scale
    return access * model.cfg.behaviour.effects.school_surplus_gbp_per_pupil * pupils / 12.0


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
