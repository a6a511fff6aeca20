"""Emergence of needs by age, fitted so that the share of children with a need at each age
holds from one January to the next.

The starting January gives the share of children with a need at each age: plans from SEN2,
SEN support from the school census, and needs not yet identified (``behaviour.demography``).
Each cohort carries its needs as it ages while needs emerge (``behaviour.needs.
emergence_by_age``) and resolve. The fit runs England for a year and moves the emergence at
each age until the cohort a year younger reaches that age's share: the starting cross-section
is then one the dynamics hold, so prevalence by age moves only as identification, support and
demand move it, not because the starting state and the dynamics disagree.

Emergence at ages up to ``LAST_FITTED_AGE`` is fitted; older ages keep their declared
emergence, as recorded SEN support falls after 16 when young people leave school, a change of
recording rather than of need. Once education has ended, needs without a plan lapse
(``behaviour.needs.resolution_after_education_per_year``); that rate is fitted so that the
share with a need at ages ``ADULT_AGES`` holds.

``python -m sendsim.emergence`` prints the fitted profile and each age's share a year on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sendsim.model.codes import N_AGES
from sendsim.model.ops import count_by

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

LAST_FITTED_AGE = 15  # the last age whose share a year on is a target (see above)
ADULT_AGES = (20, 25)  # ages whose share a year on sets how fast needs lapse after education


def prevalence_by_age(model: SendModel) -> np.ndarray:
    """Share of the children at each academic age who have a need."""
    ch = model.children
    alive = np.flatnonzero(ch.active)
    age = ch.age[alive].astype(np.int64)
    with_need = count_by(age, N_AGES, (ch.severity[alive] > 0).astype(np.float64))
    return with_need / np.maximum(count_by(age, N_AGES), 1)


def year_on(
    profile: np.ndarray, lapse: float, sample_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The share with a need at each age in January 2022 and a year later, England."""
    from sendsim.calibration import config
    from sendsim.model.model import SendModel

    cfg = config("england", 2022, sample_fraction, seed=seed, years=1)
    cfg.run.calibrated = True
    cfg.behaviour.needs.emergence_by_age = [float(v) for v in profile]
    cfg.behaviour.needs.resolution_after_education_per_year = lapse
    model = SendModel(cfg)
    start = prevalence_by_age(model)
    model.run(progress=False)
    return start, prevalence_by_age(model)


def fit(
    sample_fraction: float = 0.05, iterations: int = 10, seed: int = 1
) -> tuple[np.ndarray, float, np.ndarray]:
    """The emergence profile and the lapse rate after education that hold the starting
    shares by age, and each age's share a year on less its starting share."""
    from sendsim.config.params import iter_params
    from sendsim.config.schema import SendsimConfig
    from sendsim.model.mechanisms.needs import NeedsParams

    needs = SendsimConfig().behaviour.needs
    declared = next(p for p in iter_params(NeedsParams) if p.path == "emergence_by_age")
    bounds = (declared.meta.low, declared.meta.high)
    profile = np.asarray(needs.emergence_by_age, dtype=np.float64)
    lapse = needs.resolution_after_education_per_year
    for _ in range(iterations):
        start, end = year_on(profile, lapse, sample_fraction, seed)
        gap = end - start  # each age's share a year on (cohort one year older) less today's
        fitted = slice(0, LAST_FITTED_AGE)  # emergence at age a fills the share at a + 1
        hazard = needs.emergence_per_year * (1.0 - start[fitted])  # per unit of the profile
        shift = -gap[1 : LAST_FITTED_AGE + 1] / np.maximum(hazard, 1e-9)
        profile[fitted] = np.clip(smooth(profile[fitted] + shift), *bounds)
        adults = slice(ADULT_AGES[0], ADULT_AGES[1] + 1)  # a year on, from a year younger
        younger = slice(ADULT_AGES[0] - 1, ADULT_AGES[1])
        lapse = max(lapse + gap[adults].sum() / max(start[younger].sum(), 1e-9), 0.0)
    start, end = year_on(profile, lapse, sample_fraction, seed)
    return profile, lapse, end - start


def smooth(values: np.ndarray) -> np.ndarray:
    """Weights 1-2-1 over neighbouring ages (ends kept in proportion): a profile without
    year-to-year zigzags, which a sample's noise and the starting state's rounding would put
    into an exact fit."""
    padded = np.concatenate([values[:1], values, values[-1:]])
    return (padded[:-2] + 2 * padded[1:-1] + padded[2:]) / 4


def main() -> None:
    profile, lapse, gap = fit()
    print("emergence_by_age (ages 0-25):", ", ".join(f"{v:.2f}" for v in profile))
    print(f"resolution_after_education_per_year: {lapse:.3f}")
    print("share with a need a year on less the start, ages 0-25 (percentage points):")
    print(", ".join(f"{100 * g:+.1f}" for g in gap))


if __name__ == "__main__":
    main()
