"""Year-to-year variation: councils' rates move around their fitted level each January.

A council's published requests, refusals and appeals vary from one year to the next by more
than a steady process gives: practice and recording change, one-off events happen. Forecast
draws (``sendsim backtest`` and ``sendsim validate``) give each council the yearly spread of
each rate that its own history shows (in the fits: ``request_noise_sd``, ``refusal_noise_sd``
and ``appeal_noise_sd``, pooled towards the median council's); every January draws a new
shift of each rate, on the log (or log-odds) scale, the same in every scenario. Assessment
throughput does not vary here: a draw already moves it for the whole run by the spread of new
plans per request, which the yearly variation of requests is part of. Ordinary runs, with no
spreads set, are central projections and stay unchanged.

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
from sendsim.model.codes import Rate
from sendsim.model.mechanism import Mechanism

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

#: Rates shifted on the log scale: a mean-one multiplier needs the shift lowered by half its
#: variance. Refusal is shifted on the log-odds scale and keeps its median.
LOG_RATES = (Rate.REQUESTS, Rate.APPEALS)


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
    """Each January after the first, a new shift of every council's rates: the deviation of
    the fitted year from the trend (drawn once, kept) and this year's own, each with the
    council's yearly spread. The first year is the one the calibration matched."""
    c = model.councils
    if model.month != JANUARY or model.months_elapsed == 0 or not c.yearly_sd.any():
        return
    sd = c.yearly_sd * model.cfg.behaviour.variation.spread_scale
    fitted_year = normal(model, "variation.fitted_year", 0)
    shift = sd * (fitted_year + normal(model, "variation", model.months_elapsed))
    shift[:, list(LOG_RATES)] -= sd[:, list(LOG_RATES)] ** 2  # half the variance, 2 sd^2
    c.yearly_shift[:] = shift


def normal(model: SendModel, stream: str, month: int) -> np.ndarray:
    """Standard normal draws, one per council and rate, from ``stream`` in ``month``."""
    c = model.councils
    keys = c.key[:, None].astype(np.int64) * Rate.count() + np.arange(Rate.count())
    u = model.streams.uniform(stream, keys.ravel(), month)
    return ndtri(np.clip(u, 1e-12, 1 - 1e-12)).reshape(len(c.key), Rate.count())


MECHANISM = Mechanism(name="variation", step=step, params=VariationParams)
