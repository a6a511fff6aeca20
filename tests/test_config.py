"""Configuration: declarations, validation of overrides and composed configs."""

from __future__ import annotations

import pytest

from sendsim.config import precheck, validate
from sendsim.config.params import iter_params
from sendsim.config.schema import SendsimConfig
from sendsim.config.store import CONF_DIR
from sendsim.config.tables import param_table
from sendsim.errors import ConfigError


def test_every_parameter_is_declared_with_metadata():
    params = list(iter_params(SendsimConfig))
    assert len(params) > 60
    for p in params:
        assert p.meta.label and p.meta.unit and p.meta.source, p.path
        if p.type in (int, float):
            assert p.meta.low is not None and p.meta.high is not None, p.path
            assert p.meta.low <= p.default <= p.meta.high, p.path


def test_param_table_lists_each_key_once():
    table = param_table()
    assert table["key"].n_unique() == table.height == len(list(iter_params(SendsimConfig)))


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("run.yeers=5", "run.yeers: unknown key (did you mean 'run.years'?)"),
        ("+run.extra=1", "run.extra: unknown key"),
        ("run.years=ten", "run.years='ten': expected an integer"),
        ("run.years=0", "run.years=0: out of range; allowed 1 to 30"),
        ("population.sample_fraction=2", "out of range; allowed 0.001 to 1.0"),
        ("area=Narnia", "no council matches 'Narnia'"),
        ("scenario=utopia", "scenario=utopia: no such option; choose one of baseline"),
        ("run.start=2022-13", "allowed values are 2019-01, 2020-01, 2021-01, 2022-01"),
        ("policy.funding.statutory_override_end=March", "expected a month as YYYY-MM"),
        ("behaviour.needs.emergence_per_year=oops", "expected a number"),
        (
            "behaviour.council.special_places_full=[0.95,0.85]",
            "special_places_full=[0.95, 0.85]: expected a list of 2 numbers from 0.5 to 1.0",
        ),
        ("nonsense.key=1", "nonsense.key: unknown key; top-level sections are"),
    ],
)
def test_bad_overrides_are_named(override, fragment):
    problems = validate.check_overrides([override])
    assert any(fragment in p for p in problems), problems


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as err:
        precheck.prepare(["run.yeers=5", "population.sample_fraction=2", "run.seed=-1"])
    assert len(err.value.problems) == 3


def test_sweep_values_are_each_checked():
    problems = validate.check_overrides(["run.years=1,2,99"])
    assert problems == ["run.years=99: out of range; allowed 1 to 30 (years)"]


def test_area_names_resolve_to_codes():
    assert precheck.prepare(["area=Stockport"]) == ["area=E08000007"]
    assert precheck.prepare(["-m", "area=leeds,831"]) == ["-m", "area=E08000035,E06000015"]
    assert precheck.compose_config(["area=england"]).area.code == "england"


def test_flags_go_before_overrides_wherever_given():
    args = ["run.years=2", "-m", "run.seed=1,2", "--config-name", "config"]
    assert precheck.prepare(args) == [
        "-m",
        "--config-name",
        "config",
        "run.years=2",
        "run.seed=1,2",
    ]


def test_good_config_composes_to_the_declared_defaults():
    config = precheck.compose_config([])
    assert config == SendsimConfig()


def test_scenario_files_set_only_policy_levers():
    import yaml

    policy_keys = {p.path for p in iter_params(SendsimConfig) if p.meta.kind == "policy"}
    for path in (CONF_DIR / "scenario").glob("*.yaml"):

        def leaves(node, prefix=""):
            for key, value in node.items():
                if isinstance(value, dict):
                    yield from leaves(value, f"{prefix}{key}.")
                else:
                    yield prefix + key

        keys = set(leaves(yaml.safe_load(path.read_text()))) - {
            "scenario.name",
            "scenario.description",
        }
        assert keys <= policy_keys, (path.name, keys - policy_keys)
