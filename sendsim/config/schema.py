"""The configuration schema: every parameter of sendsim, declared once.

Sections mirror the Hydra config tree (``run``, ``area``, ``population``, ``scenario``,
``policy``, ``finance``, ``behaviour``). Annual rates and durations are given here; per-month
values are derived once when the model starts. Sources cite entries of ``docs/sources.md`` by
key (``[dfe-ehcp]``), a data file under ``sendsim/data/raw`` by path or state an assumption.
"""

from __future__ import annotations

from dataclasses import dataclass, field, make_dataclass

from sendsim.config.params import param, setting
from sendsim.config.policy import LeverEffects, PolicyConfig
from sendsim.model.institutions.council import CouncilParams
from sendsim.model.mechanisms import MECHANISMS
from sendsim.model.mechanisms.finance import FinanceParams


@dataclass
class RunConfig:
    """When and how long to simulate."""

    start: str = setting(
        "2022-01",
        unit="YYYY-MM",
        label="First month simulated; the starting state is the January census of that year",
        source="[dfe-ehcp] placements and [dfe-sen-in-england] SEN from January 2019 to January "
        "2022 (sendsim/data/raw/README.md)",
        choices=("2019-01", "2020-01", "2021-01", "2022-01"),
    )
    years: int = setting(10, 1, 30, unit="years", label="Years simulated")
    seed: int = setting(
        1,
        0,
        2**31 - 1,
        unit="integer",
        label="Random seed; same seed and config give identical results",
    )
    calibrated: bool = setting(
        True,
        unit="yes/no",
        label="Apply the council's calibration (fitted to its history up to the start)",
        source="sendsim/data/calibration/fit_<year>.parquet, or run.fit (sendsim calibrate)",
    )
    fit: str = setting(
        "",
        unit="path",
        label="Calibration fit to apply: a fit_<start year>.parquet file or a folder holding "
        "one (empty: the stored fit)",
        source="Setting: a fit written by sendsim calibrate",
    )


@dataclass
class AreaConfig:
    """Which council is simulated, or ``england`` for all 153 in one model."""

    code: str = setting(
        "E08000007",
        unit="ONS code",
        label="Council simulated (ONS code), or 'england' for all councils",
        source="sendsim/data/processed/councils.parquet",
    )


@dataclass
class PopulationConfig:
    """How many children are simulated."""

    sample_fraction: float = setting(
        1.0,
        0.001,
        1.0,
        unit="share",
        label="Share of children simulated; counts and money are scaled back up",
    )
    births_growth_per_year: float = param(
        -0.01,
        -0.05,
        0.03,
        unit="per year",
        label="Annual change in births after 2020",
        source="Assumption: births in England fell about 1% a year 2012-2020 (ONS births)",
    )


@dataclass
class ScenarioConfig:
    """A named set of policy lever values (conf/scenario/*.yaml)."""

    name: str = setting("baseline", unit="name", label="Scenario name", source="conf/scenario")
    description: str = setting(
        "Today's policies and trends.",
        unit="text",
        label="What the scenario represents",
        source="conf/scenario",
    )


def _behaviour_config() -> type:
    """The ``behaviour`` section: each mechanism's parameters, the councils' responses and the
    sizes of lever effects (derived from the mechanism registry, in its order)."""
    sections = [
        (m.name, m.params, field(default_factory=m.params))
        for m in MECHANISMS
        if m.params is not None and m.config is None
    ]
    sections += [
        ("council", CouncilParams, field(default_factory=CouncilParams)),
        ("effects", LeverEffects, field(default_factory=LeverEffects)),
    ]
    cls = make_dataclass("BehaviourConfig", sections)
    cls.__module__ = __name__  # found by name when configs are pickled for launchers
    cls.__doc__ = "Behavioural rates of children, families, schools, councils and ICBs."
    return cls


BehaviourConfig = _behaviour_config()


@dataclass
class SendsimConfig:
    """The whole configuration of one run."""

    run: RunConfig = field(default_factory=RunConfig)
    area: AreaConfig = field(default_factory=AreaConfig)
    population: PopulationConfig = field(default_factory=PopulationConfig)
    scenario: ScenarioConfig = field(default_factory=ScenarioConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    finance: FinanceParams = field(default_factory=FinanceParams)
    behaviour: BehaviourConfig = field(default_factory=BehaviourConfig)
