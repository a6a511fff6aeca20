"""The starting January's needs by age, and their emergence, fitted so that the share of
children with a need at each age holds from one January to the next.

The starting January gives the share of children with a need at each age: plans from SEN2,
SEN support from the school census, and needs not yet identified (``behaviour.demography``).
Each cohort carries its needs as it ages while needs emerge (``behaviour.needs.
emergence_by_age``) and resolve. The fit runs England for a year and moves each age's part
until the cohort a year younger reaches that age's share: the starting cross-section is then
one the dynamics hold, so prevalence by age moves only as identification, support and demand
move it, not because the starting state and the dynamics disagree.

- **School ages** (to ``LAST_FITTED_AGE``): emergence is fitted; older ages keep their
  declared emergence, as few needs first arise after school.
- **In education after school** (``SUPPORT_AGES``): young people who stay in education keep
  their SEN support, which the census no longer counts, so the starting share on SEN support
  (``behaviour.demography.sen_support_by_age``) is fitted to hold a year on. Set lower, each
  year group leaving school would add support, and requests, for years.
- **After education** (``ADULT_AGE`` on): support ends and needs without a plan lapse
  (``behaviour.needs.resolution_after_education_per_year``, an assumption), so the starting
  needs on no record (``behaviour.demography.hidden_need_by_age``) are fitted to hold.

``python -m sendsim.emergence`` prints the fitted profiles and each age's share a year on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sendsim.model.codes import ADULT_AGE, N_AGES, POST16_START_AGE, Sen
from sendsim.model.ops import count_by

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

LAST_FITTED_AGE = 15  # the last age whose share a year on is a target (see above)
SUPPORT_AGES = slice(POST16_START_AGE, ADULT_AGE)  # in education after school
AFTER_EDUCATION = slice(ADULT_AGE, N_AGES)
NEED, SUPPORT = 0, 1  # rows of :func:`shares_by_age`


@dataclass
class Start:
    """The fitted profiles by academic age 0-25: emergence of needs, starting SEN support
    and starting needs on no record."""

    emergence: np.ndarray
    support: np.ndarray
    hidden: np.ndarray

    @classmethod
    def declared(cls) -> Start:
        """The profiles as the configuration declares them."""
        from sendsim.config.schema import SendsimConfig

        cfg = SendsimConfig().behaviour
        return cls(
            np.asarray(cfg.needs.emergence_by_age, np.float64),
            np.asarray(cfg.demography.sen_support_by_age, np.float64),
            np.asarray(cfg.demography.hidden_need_by_age, np.float64),
        )


def shares_by_age(model: SendModel) -> np.ndarray:
    """(2, 26): share of the children at each academic age who have a need, and who are on
    SEN support."""
    ch = model.children
    alive = np.flatnonzero(ch.active)
    age = ch.age[alive].astype(np.int64)
    people = np.maximum(count_by(age, N_AGES), 1)
    flags = (ch.severity[alive] > 0, ch.sen[alive] == Sen.SUPPORT)
    return np.array([count_by(age, N_AGES, flag.astype(np.float64)) / people for flag in flags])


def year_on(start: Start, sample_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`shares_by_age` in January 2022 and a year later, England, from ``start``."""
    from sendsim.calibration import config
    from sendsim.model.model import SendModel

    cfg = config("england", 2022, sample_fraction, seed=seed, years=1)
    cfg.run.calibrated = True
    cfg.behaviour.needs.emergence_by_age = [float(v) for v in start.emergence]
    cfg.behaviour.demography.sen_support_by_age = [float(v) for v in start.support]
    cfg.behaviour.demography.hidden_need_by_age = [float(v) for v in start.hidden]
    model = SendModel(cfg)
    before = shares_by_age(model)
    model.run(progress=False)
    return before, shares_by_age(model)


def bounds(section: type, name: str) -> tuple[float, float]:
    """A declared profile's allowed range."""
    from sendsim.config.params import declared

    meta = declared(section, name).meta
    return meta.low, meta.high


def fit(sample_fraction: float = 0.05, iterations: int = 10, seed: int = 1) -> Start:
    """The profiles that hold the starting shares by age a year on."""
    from sendsim.config.schema import SendsimConfig
    from sendsim.model.mechanisms.demography import DemographyParams
    from sendsim.model.mechanisms.needs import NeedsParams

    start = Start.declared()
    emergence_per_year = SendsimConfig().behaviour.needs.emergence_per_year
    for _ in range(iterations):
        before, after = year_on(start, sample_fraction, seed)
        gap = after[NEED] - before[NEED]  # each age's share a year on less today's
        school = slice(0, LAST_FITTED_AGE)  # emergence at age a fills the share at a + 1
        hazard = emergence_per_year * (1.0 - before[NEED, school])  # per unit of the profile
        shift = -gap[1 : LAST_FITTED_AGE + 1] / np.maximum(hazard, 1e-9)
        start.emergence[school] = np.clip(
            smooth(start.emergence[school] + shift), *bounds(NeedsParams, "emergence_by_age")
        )
        held = after[SUPPORT, SUPPORT_AGES] / np.maximum(before[SUPPORT, SUPPORT_AGES], 1e-9)
        start.support[SUPPORT_AGES] = np.clip(
            start.support[SUPPORT_AGES] * held, *bounds(DemographyParams, "sen_support_by_age")
        )
        start.hidden[AFTER_EDUCATION] = np.clip(
            start.hidden[AFTER_EDUCATION] + gap[AFTER_EDUCATION],
            *bounds(DemographyParams, "hidden_need_by_age"),
        )
    return start


def smooth(values: np.ndarray) -> np.ndarray:
    """Weights 1-2-1 over neighbouring ages (ends kept in proportion): a profile without
    year-to-year zigzags, which a sample's noise and the starting state's rounding would put
    into an exact fit."""
    padded = np.concatenate([values[:1], values, values[-1:]])
    return (padded[:-2] + 2 * padded[1:-1] + padded[2:]) / 4


def main() -> None:
    start = fit()
    before, after = year_on(start, sample_fraction=0.05, seed=1)
    print("emergence_by_age (ages 0-25):", ", ".join(f"{v:.2f}" for v in start.emergence))
    print(f"sen_support_by_age (ages {SUPPORT_AGES.start}-{SUPPORT_AGES.stop - 1}):", end=" ")
    print(", ".join(f"{v:.2f}" for v in start.support[SUPPORT_AGES]))
    print(f"hidden_need_by_age (ages {ADULT_AGE}-{N_AGES - 1}):", end=" ")
    print(", ".join(f"{v:.3f}" for v in start.hidden[AFTER_EDUCATION]))
    for row, label in ((NEED, "with a need"), (SUPPORT, "on SEN support")):
        print(f"share {label} a year on less the start, ages 0-25 (percentage points):")
        print(", ".join(f"{100 * g:+.1f}" for g in after[row] - before[row]))


if __name__ == "__main__":
    main()
