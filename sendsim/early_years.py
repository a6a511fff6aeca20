"""Request propensity at each age under 5, fitted to SEN2's new plans by age.

SEN2 published new plans by single year of age for 2022 only, each plan counted at its
child's age on the 31 August of the year it was made [sen2-guide]: a plan made in the spring
counts at the age its child ends the school year, one made from September at the academic
age itself. Of those under 5, 1.3% were aged 2 or under, 15.2% were 3 and 83.5% were 4. Ages
4-7 together (10,137, 8,715, 4,882 and 4,459 plans) tell the year before school from
Reception, which both count at 4: with as many plans a month at ages 6 and 7 and across each
year, the spring and summer of the year before school make about 830 plans a month and
Reception about 880 (:func:`year_before_school_to_reception`), so propensity the year before
school is Reception's (1, ``behaviour.requests.weight_by_age_under_5``). The fit runs England
for 2022 and moves the propensity at academic ages 0-2 by the ratio of the published to the
model's share at the age each academic year ends at, relative to age 4's, until the shares
agree. A published age mixes two academic ages, so each round moves the profile part of the
way, and the rounds find the fixed point.

SEN2 publishes the caseload under 5 as one band. The start spreads it over single ages as the
model's own dynamics hold it (:func:`january_spread`): a start with more plans at 3 than the
propensity makes would carry them to 4 the next January and swell the band for a year.

``python -m sendsim.early_years`` prints the fitted profile, the shares it gives, and the
January spread of plans under 5 it holds.
"""

from __future__ import annotations

import numpy as np

from sendsim import calibration
from sendsim.data import areas
from sendsim.dates import JANUARY, MONTHS_PER_YEAR, SEPTEMBER
from sendsim.model.codes import SCHOOL_START_AGE, Sen

YEAR = 2022  # the one year published by single age
NAMES = tuple(areas.NEW_PLANS_UNDER_5_BY_AGE.values())
YOUNGEST = areas.YOUNGEST_NEW_PLAN_AGE  # SEN2's '2 and under'
FITTED_AGES = SCHOOL_START_AGE - 1  # academic ages 0-2; the year before school is set from ages 4-7
#: The published age at which each fitted academic age ends its school year.
ENDS_AT = np.clip(np.arange(FITTED_AGES) + 1, YOUNGEST, None) - YOUNGEST
#: Months of a calendar year whose new plans count a year older than their academic age.
SPRING_MONTHS = SEPTEMBER - JANUARY
LEVEL_FROM = 7  # published age from which plans a month are taken alike (academic ages 6-7)
SMALLEST_SHARE = 1e-9  # a share of none, kept above 0 to divide by
SMALLEST_WEIGHT = 1e-3  # the least propensity, so that a multiplicative step can raise it again
#: Januaries after the start read for the spread of plans under 5: by the second, the start's
#: own plans at 3 and 4 have turned 5.
SETTLED_YEARS = (2, 3, 4, 5)


def published() -> np.ndarray:
    """England's new plans under 5 in :data:`YEAR` by age, as shares."""
    value = areas.england_figures()
    counts = np.array([value[name, YEAR] for name in NAMES])
    return counts / counts.sum()


def year_before_school_to_reception() -> float:
    """Plans a month in the spring and summer of the year before school over Reception's, from
    :data:`YEAR`'s new plans at ages 4 to :data:`LEVEL_FROM`: a published age's plans are its
    academic age's in the autumn and the age below's in the spring and summer, and from
    :data:`LEVEL_FROM` down a month's plans are alike across each school year, solved from the
    oldest age down."""
    value = areas.england_figures()
    autumn = MONTHS_PER_YEAR - SPRING_MONTHS
    rate = value[f"new_plans_age_{LEVEL_FROM}", YEAR] / MONTHS_PER_YEAR
    for age in range(LEVEL_FROM - 1, SCHOOL_START_AGE - 1, -1):
        below = (value[f"new_plans_age_{age}", YEAR] - autumn * rate) / SPRING_MONTHS
        ratio, rate = below / rate, below
    return ratio


def simulated(profile: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """The model's new plans under 5 in :data:`YEAR` by age, as shares, England
    with ``weight_by_age_under_5`` at ``profile``."""
    from sendsim.model.model import SendModel

    cfg = calibration.config("england", YEAR, fraction, seed, years=1)
    cfg.run.calibrated = True
    cfg.behaviour.requests.weight_by_age_under_5 = [float(v) for v in profile]
    model = SendModel(cfg)
    model.run(progress=False)
    counts = np.array([model.recorder.flows[name].sum() for name in NAMES], dtype=np.float64)
    return counts / max(counts.sum(), 1.0)


def fit(
    fraction: float = 0.25, iterations: int = 6, seed: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """The profile (academic ages 0-4) and the shares by age it gives."""
    from sendsim.config.params import declared
    from sendsim.config.schema import SendsimConfig
    from sendsim.model.mechanisms.requests import RequestParams

    highest = declared(RequestParams, "weight_by_age_under_5").meta.high
    profile = np.asarray(SendsimConfig().behaviour.requests.weight_by_age_under_5, np.float64)
    goal = published()
    for _ in range(iterations):
        ratio = goal / np.maximum(simulated(profile, fraction, seed), SMALLEST_SHARE)
        relative = ratio / ratio[-1]  # the year before school and Reception stay as declared
        by_age = np.ones(SCHOOL_START_AGE + 1)
        by_age[:FITTED_AGES] = relative[ENDS_AT]
        profile = np.clip(profile * by_age, SMALLEST_WEIGHT, highest)
    return profile, simulated(profile, fraction, seed)


def january_spread(
    fraction: float = 0.1, seeds: tuple[int, ...] = (1, 2), settled: tuple[int, ...] = SETTLED_YEARS
) -> np.ndarray:
    """Plans under 5 in January by academic age 0-4, as shares: England from :data:`YEAR`,
    summed over the Januaries ``settled`` years after the start and over ``seeds``."""
    from sendsim.model.model import SendModel

    counts = np.zeros(SCHOOL_START_AGE + 1)
    for seed in seeds:
        cfg = calibration.config("england", YEAR, fraction, seed, years=max(settled))
        cfg.run.calibrated = True
        model = SendModel(cfg)
        for year in range(1, max(settled) + 1):
            for _ in range(MONTHS_PER_YEAR):
                model.step()
            if year in settled:
                ch = model.children
                ages = ch.age[ch.active & (ch.sen == Sen.EHCP) & (ch.age <= SCHOOL_START_AGE)]
                counts += np.bincount(ages, minlength=SCHOOL_START_AGE + 1)
    return counts / max(counts.sum(), 1.0)


def main() -> None:
    profile, shares = fit()
    print("weight_by_age_under_5 (academic ages 0-4):", ", ".join(f"{v:.3f}" for v in profile))
    print(f"new plans under 5 in {YEAR} by age (2 and under, 3, 4), model / published:")
    print(", ".join(f"{100 * s:.1f}%" for s in shares), "/", end=" ")
    print(", ".join(f"{100 * s:.1f}%" for s in published()))
    spread = january_spread()
    print("plans under 5 in January by academic age 0-4 (plan_age_weight_in_band):", end=" ")
    print(", ".join(f"{s:.3f}" for s in spread))


if __name__ == "__main__":
    main()
