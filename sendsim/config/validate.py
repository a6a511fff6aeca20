"""Reject bad configuration before anything runs, listing every problem at once.

Hydra checks types against the schema but accepts ``+key=value`` silently and knows nothing of
ranges. :func:`check_overrides` looks at the command line (each value of a sweep included);
:func:`check_config` at a composed configuration (YAML files included). Both return problems
as one line each, naming the key and what is allowed.

Every function checks against ``SendsimConfig`` unless given another root ``schema`` (a
dataclass extending it, such as the sensitivity analysis's). A schema may define a static
``extra_problems(cfg) -> list[str]`` for rules across keys; it runs once every key is valid.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import re
import typing
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Glob, Override, OverrideType, ValueType
from omegaconf import DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from sendsim.config import store
from sendsim.config.params import DeclaredParam, Param, is_rising, iter_params, section_fields
from sendsim.config.schema import SendsimConfig
from sendsim.errors import ConfigError, DataError


@functools.cache
def declared(schema: type = SendsimConfig) -> dict[str, DeclaredParam]:
    """Every declared parameter of ``schema`` by its dotted key."""
    return {p.path: p for p in iter_params(schema)}


PARAMS: dict[str, DeclaredParam] = declared(SendsimConfig)
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MONTH_KEYS = tuple(p.path for p in PARAMS.values() if p.meta.unit == "YYYY-MM")
AREA_UNIT = "ONS code"  # the unit of settings naming a council (or england)


def check_overrides(
    overrides: Iterable[str], schema: type = SendsimConfig, config_dirs: Sequence[Path] = ()
) -> list[str]:
    """Problems with command-line overrides: unknown keys or options, bad values.

    ``config_dirs`` are folders given with ``--config-dir``: their group options count too.
    """
    try:
        parsed = OverridesParser.create().parse_overrides(list(overrides))
    except Exception as err:  # Hydra's parser reports the offending text
        return [f"cannot parse the overrides: {' '.join(str(err).split())}"]
    problems = []
    for override in parsed:
        key = override.key_or_group
        if key.startswith("hydra") or override.type == OverrideType.DEL:
            continue
        try:
            values = sweep_values(override, config_dirs)
        except ValueError as err:
            problems.append(str(err))
            continue
        for value in values:
            problem = _check_one(key, value, schema, config_dirs)
            if problem:
                problems.append(problem)
    return problems


def sweep_values(override: Override, config_dirs: Sequence[Path] = ()) -> list[Any]:
    """Every value an override gives (``glob()`` matched against the group's options);
    ``ValueError`` naming the override if they cannot be listed."""
    if not override.is_sweep_override():
        return [override.value()]
    value, line = override.value(), override.input_line
    if isinstance(value, Glob):
        group = override.key_or_group
        if group not in store.GROUPS:
            raise ValueError(f"{line}: glob() chooses options of a config group ({_groups()})")
        matched = value.filter(group_options(group, config_dirs))
        if not matched:
            raise ValueError(f"{line}: matches no option of {group}")
        return matched
    if override.value_type == ValueType.INTERVAL_SWEEP:
        raise ValueError(f"{line}: interval() needs an optimising sweeper; list values or range()")
    return list(override.sweep_iterator())


def group_options(group: str, config_dirs: Sequence[Path] = ()) -> list[str]:
    """Options of a config group, with those in the ``--config-dir`` folders."""
    own = [p.stem for d in config_dirs for p in (Path(d) / group).glob("*.yaml")]
    return sorted(set(store.group_options(group)) | set(own)) if own else store.group_options(group)


def _groups() -> str:
    return ", ".join(store.GROUPS)


def _check_one(key: str, value: Any, schema: type, config_dirs: Sequence[Path]) -> str | None:
    if key in store.GROUPS and issubclass(schema, SendsimConfig):
        return _check_option(key, value, config_dirs)
    if key not in declared(schema):
        return unknown_key(key, schema)
    return check_value(key, value, schema)


def _check_option(group: str, value: Any, config_dirs: Sequence[Path] = ()) -> str | None:
    options = group_options(group, config_dirs)
    if str(value) in options:
        return None
    if group == "area":
        try:
            store.resolve_area(str(value))
            return None
        except DataError as err:
            return f"area={value}: {err.problem}"
    return f"{group}={value}: no such option; choose one of {', '.join(options)}"


def unknown_key(key: str, schema: type = SendsimConfig) -> str:
    """A message for a key the schema does not have, with the allowed keys beside it."""
    section, _, name = key.rpartition(".")
    cls = _section_class(section, schema)
    if cls is None:
        top = ", ".join(section_fields(schema))
        return f"{key}: unknown key; top-level sections are {top}"
    allowed = list(section_fields(cls))
    hint = difflib.get_close_matches(name, allowed, n=1)
    did_you_mean = f" (did you mean '{section + '.' if section else ''}{hint[0]}'?)" if hint else ""
    where = f"in {section}" if section else "at the top level"
    return f"{key}: unknown key{did_you_mean}; allowed {where}: {', '.join(allowed)}"


def _section_class(section: str, schema: type) -> type | None:
    cls: type = schema
    for part in filter(None, section.split(".")):
        fields = section_fields(cls)
        if part not in fields or not dataclasses.is_dataclass(fields[part]):
            return None
        cls = fields[part]
    return cls


def check_value(key: str, value: Any, schema: type = SendsimConfig) -> str | None:
    """Whether ``value`` suits the declared type, range or choices of ``key``."""
    param = declared(schema)[key]
    meta, kind = param.meta, param.type
    if param.length is not None:
        return _check_profile(key, value, param)
    if typing.get_origin(kind) is list:
        if not isinstance(value, list | ListConfig) or not all(isinstance(v, str) for v in value):
            return f"{key}={value!r}: expected a list of names, e.g. [a,b]"
        return None
    if meta.unit == AREA_UNIT:
        return _check_option("area", value)
    if isinstance(value, bool) != (kind is bool):
        return f"{key}={value!r}: expected {'true or false' if kind is bool else kind.__name__}"
    if kind is bool:
        return None
    if kind in (int, float):
        number_ok = isinstance(value, int) or (kind is float and isinstance(value, float))
        if not number_ok:
            return f"{key}={value!r}: expected {'an integer' if kind is int else 'a number'}"
        return _check_range(key, value, meta)
    if not isinstance(value, str):
        return f"{key}={value!r}: expected text"
    if meta.choices is not None and value not in meta.choices:
        return f"{key}={value}: allowed values are {', '.join(meta.choices)}"
    if key in MONTH_KEYS and not MONTH.match(value):
        return f"{key}={value}: expected a month as YYYY-MM"
    return None


def _check_range(key: str, value: float, meta: Param) -> str | None:
    """Declared ranges are finite, so NaN (which compares false to everything) and inf fail."""
    allowed = f"allowed {meta.low} to {meta.high} ({meta.unit})"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{key}={value}: not a finite number; {allowed}"
    if (meta.low is not None and value < meta.low) or (meta.high is not None and value > meta.high):
        return f"{key}={value}: out of range; {allowed}"
    return None


def _check_profile(key: str, value: Any, param: DeclaredParam) -> str | None:
    """A list of ``param.length`` numbers, each within the declared range."""
    meta = param.meta
    expected = f"a list of {param.length} numbers from {meta.low} to {meta.high} ({meta.unit})"
    if not isinstance(value, list | tuple | ListConfig) or len(value) != param.length:
        return f"{key}: expected {expected}"
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    if not numbers or not all(meta.low <= v <= meta.high for v in value):
        return f"{key}={list(value)}: expected {expected}"
    if param.rising and not is_rising(value):
        return f"{key}={list(value)}: expected {expected}, each above the one before"
    return None


def check_config(cfg: DictConfig, schema: type = SendsimConfig) -> list[str]:
    """Problems with a composed configuration: unknown keys anywhere, and every value."""
    problems = [unknown_key(k, schema) for k in _unknown_keys(cfg, schema)]
    for key in declared(schema):
        try:
            value = OmegaConf.select(cfg, key, throw_on_missing=False)
        except OmegaConfBaseException as err:  # an interpolation that does not resolve
            problems.append(f"{key}: {str(err).splitlines()[0]}")
            continue
        problem = check_value(key, value, schema)
        if problem:
            problems.append(problem)
    extra_problems = getattr(schema, "extra_problems", None)
    if not problems and extra_problems is not None:
        problems = extra_problems(cfg)
    return problems


def _unknown_keys(cfg: DictConfig, cls: type, prefix: str = "") -> list[str]:
    fields = section_fields(cls)
    out = []
    for key in cfg:
        path = f"{prefix}{key}"
        if key not in fields:
            out.append(path)
        elif dataclasses.is_dataclass(fields[key]):
            out += _unknown_keys(cfg[key], fields[key], f"{path}.")
    return out


def from_dotted(changes: Iterable[tuple[str, Any]]) -> SendsimConfig:
    """The validated configuration of today's defaults with dotted ``changes``, e.g.
    ``[("run.years", 2)]`` (``ConfigError`` if invalid)."""
    cfg = OmegaConf.structured(SendsimConfig)
    for key, value in changes:
        OmegaConf.update(cfg, key, value, merge=False)
    return to_config(cfg)


def to_config(cfg: DictConfig, schema: type = SendsimConfig) -> SendsimConfig:
    """The validated configuration as the schema's dataclass (``ConfigError`` if invalid)."""
    problems = check_config(cfg, schema)
    if problems:
        raise ConfigError(problems)
    config = OmegaConf.to_object(cfg)
    assert isinstance(config, schema)
    if config.area.code not in ("default", store.ENGLAND):
        config.area.code = store.resolve_area(config.area.code)
    return config
