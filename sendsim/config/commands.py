"""``key=value`` settings of the commands that are not Hydra apps (``calibrate``,
``backtest``, ``study``): declared once as dataclasses with :func:`setting` fields, read with
Hydra's override grammar and checked by :mod:`sendsim.config.validate` like ``sendsim run``'s
overrides, and described in ``--help`` from the same declarations.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from typing import Any, TypeVar

from hydra.core.override_parser.types import OverrideType

from sendsim.config import precheck, store, validate
from sendsim.config.params import declared, iter_params, setting
from sendsim.config.schema import RunConfig
from sendsim.errors import ConfigError

T = TypeVar("T")


def start_years() -> list[int]:
    """The Januaries a run may start from (``run.start``'s choices)."""
    start = declared(RunConfig, "start")
    return sorted(int(choice[:4]) for choice in start.meta.choices or ())


FIRST_YEAR, LAST_YEAR = start_years()[0], start_years()[-1]


@dataclass(frozen=True)
class CalibrateSettings:
    """The settings of ``sendsim calibrate``."""

    area: str = setting(
        "england", unit=validate.AREA_UNIT, label="Council to fit, or england for all of them"
    )
    train_end: int = setting(
        LAST_YEAR, FIRST_YEAR, LAST_YEAR, unit="year", label="Fit to the history up to January"
    )
    sample_fraction: float = setting(
        0.5, 0.001, 1.0, unit="share", label="Share of children simulated"
    )
    iterations: int = setting(4, 1, 20, unit="iterations", label="Rounds of fitting")
    step_limit: float = setting(
        2.0, 1.1, 10.0, unit="ratio", label="Largest change of a factor in one round (either way)"
    )
    damping: float = setting(
        0.8,
        0.1,
        1.0,
        unit="share",
        label="Share of the gap to new plans and request growth closed in one round",
    )
    min_review_exit_rate: float = setting(
        0.002,
        0.0,
        0.05,
        unit="per plan per year",
        label="Least rate at which plans cease at review that a fit may aim for",
    )
    seed: int = setting(1, 0, 2**31 - 1, unit="integer", label="Seed of the runs")
    out: str = setting(
        "",
        unit="path",
        label="Folder to store the fit in (empty: ~/.local/share/sendsim/calibration)",
    )


@dataclass(frozen=True)
class StudySettings:
    """The settings of ``sendsim study``."""

    out: str = setting("results/studies", unit="path", label="Where studies write results")
    jobs: int = setting(2, 1, 256, unit="processes", label="Runs in parallel")


def parse_settings(schema: type[T], args: list[str]) -> T:
    """``key=value`` arguments as ``schema``'s dataclass (``ConfigError`` naming every bad one).

    Councils given by name, slug or LA number become their ONS code.
    """
    parsed = precheck.parse(args)
    problems = [
        f"{o.input_line}: give settings as key=value, one value each"
        for o in parsed
        if o.type != OverrideType.CHANGE or o.is_sweep_override()
    ]
    problems += [
        validate.unknown_key(o.key_or_group, schema)
        for o in parsed
        if o.key_or_group.startswith("hydra")
    ]
    problems += validate.check_overrides(args, schema) if not problems else []
    if problems:
        raise ConfigError(problems)
    hints = typing.get_type_hints(schema)
    given: dict[str, Any] = {}
    for o in parsed:
        key, value = o.key_or_group, o.value()
        given[key] = float(value) if hints[key] is float else value
        if validate.declared(schema)[key].meta.unit == validate.AREA_UNIT:
            given[key] = store.resolve_area(str(value))
    return schema(**given)


def describe(schema: type, prefix: str = "") -> str:
    """The settings of ``schema`` for ``--help``: key, default, what is allowed, meaning."""
    lines = ["settings (key=value):"]
    for p in iter_params(schema, prefix):
        if p.meta.choices:
            allowed = "one of " + ", ".join(p.meta.choices)
        elif p.meta.low is not None:
            allowed = f"{_number(p.meta.low)} to {_number(p.meta.high)} {p.meta.unit}"
        else:
            allowed = p.meta.unit
        lines.append(f"  {p.path}={_shown(p.default)}  ({allowed}): {p.meta.label}")
    return "\n".join(lines)


def _shown(default: Any) -> str:
    """A default as it is typed on the command line."""
    if default is dataclasses.MISSING:  # lists (default_factory) start empty
        return "[]"
    return str(default).lower() if isinstance(default, bool) else str(default)


def _number(value: float | None) -> str:
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)  # years stay 2022
    return f"{value:g}"
