"""The placement rates estimated on England's placements 2019-2021 (sendsim.placement_fit)."""

from __future__ import annotations

import numpy as np
import pytest

from sendsim import placement_fit
from sendsim.config.schema import SendsimConfig

#: Over six seeds the grid's worst settings average 96-118, the chosen one 67 (docs/backtest.md).
MOST_CRITERION = 85.0


def test_the_criterion_adds_absolute_percentage_errors():
    goal = dict.fromkeys(placement_fit.SCORED, 100.0)
    found = {key: 100.0 + (5.0 if i % 2 else -5.0) for i, key in enumerate(goal)}
    assert placement_fit.criterion(found, goal) == pytest.approx(5.0 * len(placement_fit.SCORED))
    assert placement_fit.criterion(goal, goal) == 0.0


def test_the_declared_rates_give_englands_placements_2019_2021():
    """At the declared rates England from 2019 places new plans in special schools, moves
    plans to them and holds their pupils as published within the estimation's criterion and
    seed noise (two seeds: 65; moving while unmet at 0.35 or 0.3 instead scores 82 and 94)."""
    declared = SendsimConfig().behaviour.placement
    setting = {name: getattr(declared, name) for name in placement_fit.GRID}
    goal = placement_fit.published()
    scores = [placement_fit.criterion(placement_fit.simulated(setting, s), goal) for s in (1, 2)]
    assert np.mean(scores) < MOST_CRITERION
