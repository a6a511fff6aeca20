"""Year-to-year variation: councils' rates move around their fitted level each January.

A council's published requests, refusals, appeals and plans ending vary from one year to the
next by more than a steady process gives: practice and recording change, one-off events
happen. Forecast draws (``sendsim backtest`` and ``sendsim validate``) give each council the
yearly spread of each rate that its own history shows (in the fits: ``request_noise_sd``,
``refusal_noise_sd``, ``appeal_noise_sd`` and ``outflow_sd``, pooled towards the median
council's); every January draws a new shift of each rate, on the log (or log-odds) scale, or
for outflow in plans per plan, the same in every scenario.

A year with less outflow than fitted holds back some of the council's usual exits, at review
(needs met, education ended) and by plan holders moving away; a year with more adds to them
where they happen: more plan holders move away, and the rest is a chance that a plan of a
young person aged 19 or over ceases at its review, the ages at which reviews end most plans
(education has ended). Spread over every plan, the extra exits put the draws' plans aged
20-25 9% above the fit's a year on and each younger band below it, as the exits held back
are mostly of young people over 19 (spread over those over 16, 20-25s were 6% above it);
now each band's median draw is within 1% of it. Outflow's shift is bounded alike both ways by
the share of those exits a year may hold back, so the median year is the fit. Assessment
throughput does not vary: capacity above a council's demand is of no use and capacity below
it is lost, so its spread would only lower new plans. Ordinary runs, with no spreads set, are
central projections and stay unchanged.

The forecast of a year's rate is off by that year's deviation from the council's trend and by
the deviation of the year it was fitted to, so each later year's shift is the sum of a draw
kept for the whole run and a draw of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtri

from sendsim.config.params import param
from sendsim.dates import JANUARY
from sendsim.model.codes import ADULT_AGE, Rate
from sendsim.model.mechanism import Mechanism

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

#: Rates shifted on the log scale: a mean-one multiplier needs the shift lowered by half its
#: variance. Refusal is shifted on the log-odds scale and keeps its median, outflow is added.
LOG_RATES = (Rate.REQUESTS, Rate.APPEALS)
#: Rates the calibration matches in a run's first year (outflow is fitted to the year before).
FITTED_IN_FIRST_YEAR = (Rate.REQUESTS, Rate.REFUSAL, Rate.APPEALS)
#: Share of a council's usual plan exits that a year with less outflow may hold back (all but
#: a tenth, an assumption: some plans end whatever the year).
EXITS_MOVABLE = 0.9


@dataclass
class VariationParams:
    """How far councils' rates vary from year to year in forecast draws."""

    spread_scale: float = param(
        1.0,
        0.0,
        3.0,
        unit="multiple of each council's historical spread",
        label="Year-to-year variation of councils' rates in forecast draws",
        source="Setting: 1 = as much as each council's history shows, 0 = none",
    )


def step(model: SendModel) -> None:
    """Each January, a new shift of every council's rates: the deviation of the fitted year
    from the trend (drawn once, kept) and this year's own, each with the council's yearly
    spread. In the first year only outflow moves: the calibration matched that year's other
    rates, but outflow to the year before."""
    c = model.councils
    if model.month != JANUARY or not c.yearly_sd.any():
        return
    sd = c.yearly_sd * model.cfg.behaviour.variation.spread_scale
    fitted_year = normal(model, "variation.fitted_year", 0)
    shift = sd * (fitted_year + normal(model, "variation", model.months_elapsed))
    shift[:, list(LOG_RATES)] -= sd[:, list(LOG_RATES)] ** 2  # half the variance, 2 sd^2
    if model.months_elapsed == 0:
        shift[:, list(FITTED_IN_FIRST_YEAR)] = 0.0
    usual = c.review_exit_rate + plan_move_rate(model)
    outflow = np.clip(shift[:, Rate.OUTFLOW], -EXITS_MOVABLE * usual, EXITS_MOVABLE * usual)
    shift[:, Rate.OUTFLOW] = outflow
    c.yearly_shift[:] = shift
    usual_nonzero = np.maximum(usual, 1e-9)  # a council with no usual exits shifts none
    c.exit_multiple[:] = 1.0 + outflow / usual_nonzero
    at_review = c.review_exit_rate / usual_nonzero  # the rest: more moving away
    c.cease_other[:] = np.maximum(outflow, 0.0) * at_review / adult_share(model)


def plan_move_rate(model: SendModel) -> np.ndarray:
    """Each council's plan holders moving away per plan a year, at this month's ages."""
    c = model.councils
    plans = model.status_by_cell[:, 0].reshape(c.n, -1)  # by council and age
    moving = plans @ c.out_rate_by_age * model.cfg.behaviour.demography.plan_moves_relative
    return moving / np.maximum(plans.sum(axis=1), 1)


def adult_share(model: SendModel) -> np.ndarray:
    """Each council's share of plans held by young people aged 19 or over (1 where none are
    held, so that a chance stays a chance)."""
    plans = model.status_by_cell[:, 0].reshape(model.councils.n, -1)
    older = plans[:, ADULT_AGE:].sum(axis=1)
    return np.where(older > 0, older / np.maximum(plans.sum(axis=1), 1), 1.0)


def normal(model: SendModel, stream: str, month: int) -> np.ndarray:
    """Standard normal draws, one per council and rate, from ``stream`` in ``month``."""
    c = model.councils
    keys = c.key[:, None].astype(np.int64) * Rate.count() + np.arange(Rate.count())
    u = model.streams.uniform(stream, keys.ravel(), month)
    return ndtri(np.clip(u, 1e-12, 1 - 1e-12)).reshape(len(c.key), Rate.count())


MECHANISM = Mechanism(name="variation", step=step, params=VariationParams)
