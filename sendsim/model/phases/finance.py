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
from sendsim.model.metrics import FUNDED_PLACES, PLACE_NAMES
from sendsim.model.ops import count_by

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

INDEPENDENT_SECTOR = (Place.INDEPENDENT, Place.SPECIALIST_POST16)


def step_finance(model: SendModel) -> None:
    """Pay this month's costs, receive this month's income, update the DSG balance."""
    c, f = model.councils, model.cfg.finance
    caseload = plans_by_placement(model) * model.scale
    years = model.months_elapsed / 12.0
    growth = np.full(N_PLACE, (1 + f.cost_inflation_per_year) ** years)
    growth[list(INDEPENDENT_SECTOR)] = (1 + f.iss_fee_growth_per_year) ** years
    spend = caseload * c.unit_cost_gbp * growth / 12.0  # (councils, placements)
    health = spend[:, Place.INDEPENDENT] * f.health_share_of_iss_fees
    spend[:, Place.INDEPENDENT] -= health
    central = c.central_spend_gbp_per_year * growth[Place.MAINSTREAM] / 12.0
    income = model.hnb_this_year() / 12.0
    total = spend.sum(axis=1) + central
    for p in FUNDED_PLACES:
        model.flows.add_totals(f"hn_spend_{PLACE_NAMES[p]}_gbp", spend[:, p])
    model.flows.add_totals("hn_spend_central_gbp", central)
    model.flows.add_totals("hn_spend_gbp", total)
    model.flows.add_totals("hn_income_gbp", income)
    model.flows.add_totals("dsg_in_year_balance_gbp", income - total)
    model.flows.add_totals("icb_contribution_gbp", health)
    c.dsg_balance_gbp += income - total
    override_over = (model.year, model.month) > model.override_end
    c.deficit_exposed_gbp[:] = np.maximum(-c.dsg_balance_gbp, 0.0) if override_over else 0.0


def plans_by_placement(model: SendModel) -> np.ndarray:
    """Plans per council and placement (sample scale), shape (councils, placements)."""
    ch, n = model.children, model.councils.n
    plan = np.flatnonzero(ch.sen == Sen.EHCP)
    key = ch.la[plan].astype(np.int64) * N_PLACE + ch.place[plan]
    return count_by(key, n * N_PLACE).reshape(n, N_PLACE)
