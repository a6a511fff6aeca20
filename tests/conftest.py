"""Shared fixtures: small, fast configurations and models."""

from __future__ import annotations

from typing import Any

import pytest

from sendsim.config import validate
from sendsim.config.schema import SendsimConfig
from sendsim.model.model import SendModel

SMALL_AREA = "E06000017"  # Rutland: the smallest council with complete data


def make_config(**dotted: Any) -> SendsimConfig:
    """A validated config from dotted keys, e.g. ``make_config(**{"run.years": 2})``."""
    defaults = {"area.code": SMALL_AREA, "run.years": 1}
    return validate.from_dotted({**defaults, **dotted}.items())


def run_model(**dotted: Any) -> SendModel:
    model = SendModel(make_config(**dotted))
    model.run(progress=False)
    return model


@pytest.fixture(scope="session")
def small_run() -> SendModel:
    """Rutland, whole population, two years."""
    return run_model(**{"run.years": 2})


@pytest.fixture(scope="session")
def england_run() -> SendModel:
    """All 153 councils at a 1% sample, one year."""
    return run_model(**{"area.code": "england", "population.sample_fraction": 0.01})
