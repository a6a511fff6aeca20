"""Needs emerge by age so that the share of children with a need at each age holds."""

from __future__ import annotations

import numpy as np

from sendsim import emergence
from sendsim.config.schema import SendsimConfig


def test_the_share_with_a_need_at_each_age_holds_a_year_on():
    needs = SendsimConfig().behaviour.needs
    profile, lapse = np.asarray(needs.emergence_by_age), needs.resolution_after_education_per_year
    start, end = emergence.year_on(profile, lapse, sample_fraction=0.05, seed=2)
    gap = (end - start)[1 : emergence.LAST_FITTED_AGE + 1]
    # the profile before the fit lost 2.6 points a year at age 1 (mean 1.1 over ages 1-15)
    assert np.abs(gap).mean() < 0.007, 100 * gap
    assert np.abs(gap).max() < 0.02, 100 * gap
    first, last = emergence.ADULT_AGES  # without lapsing, 20-25s gained 1-2 points a year
    assert np.abs((end - start)[first : last + 1]).max() < 0.01, 100 * (end - start)


def test_smoothing_keeps_a_flat_profile_and_evens_out_a_zigzag():
    np.testing.assert_allclose(emergence.smooth(np.full(5, 1.5)), 1.5)
    zigzag = np.array([1.0, 2.0, 1.0, 2.0, 1.0])
    assert np.ptp(emergence.smooth(zigzag)) < np.ptp(zigzag)
