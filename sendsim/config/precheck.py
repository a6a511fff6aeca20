"""Check ``sendsim run`` arguments before Hydra starts, so bad input writes nothing.

Every override is checked (each value of a sweep too), then the configuration is composed
once per swept option of a config group, as Hydra will compose it, and checked whole.
Council names are turned into codes so that ``area=leeds`` and ``area=E08000035`` agree.
Other Hydra apps of sendsim pass their primary config's name and root schema.
"""

from __future__ import annotations

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig

from sendsim.config import launchers, store, validate
from sendsim.config.schema import SendsimConfig
from sendsim.errors import ConfigError, DataError

FLAGS_WITH_VALUE = {
    "--cfg",
    "-c",
    "--package",
    "-p",
    "--config-path",
    "-cp",
    "--config-name",
    "-cn",
    "--config-dir",
    "-cd",
    "--info",
    "-i",
    "--experimental-rerun",
}
HELP_FLAGS = {"--help", "-h", "--hydra-help", "--version", "--info", "-i"}


def prepare(
    args: list[str], config_name: str = "config", schema: type = SendsimConfig
) -> list[str]:
    """Validated arguments for Hydra, with council names resolved (``ConfigError`` if bad).

    Flags come first, so ``OVERRIDES -m MORE_OVERRIDES`` works (Hydra's parser takes the
    overrides as one run of positional arguments).
    """
    if HELP_FLAGS.intersection(args):
        return args
    positions = _override_positions(args)
    launchers.check_launchers(args[i] for i in positions)
    overrides = [_resolve_area(args[i]) for i in positions]
    problems = validate.check_overrides(overrides, schema)
    if not problems:
        problems = _check_composed(overrides, config_name, schema)
    if problems:
        raise ConfigError(problems)
    at_override = set(positions)
    flags = [arg for i, arg in enumerate(args) if i not in at_override]
    return [*flags, *overrides]


def _override_positions(args: list[str]) -> list[int]:
    positions, skip = [], False
    for i, arg in enumerate(args):
        if skip:
            skip = False
        elif arg.startswith("-"):
            skip = arg in FLAGS_WITH_VALUE
        else:
            positions.append(i)
    return positions


def _resolve_area(override: str) -> str:
    """``area=Leeds`` (or a sweep of names) becomes ``area=E08000035``; unknown names pass."""
    key, sep, _value = override.partition("=")
    if key != "area" or not sep:
        return override
    parsed = OverridesParser.create().parse_override(override)
    values = [
        str(v)
        for v in (parsed.sweep_iterator() if parsed.is_sweep_override() else [parsed.value()])
    ]
    try:
        return "area=" + ",".join(store.resolve_area(v) for v in values)
    except (DataError, ValueError):
        return override


def _check_composed(overrides: list[str], config_name: str, schema: type) -> list[str]:
    """Compose once per option of each swept group (first values elsewhere) and check."""
    parsed = OverridesParser.create().parse_overrides(overrides)
    base, group_sweeps = [], []
    for o in parsed:
        if o.key_or_group.startswith("hydra"):
            continue
        values = list(o.sweep_iterator()) if o.is_sweep_override() else [o.value()]
        key = o.get_key_element()
        base.append(f"{key}={_hydra_value(values[0]) if values else ''}")
        if o.key_or_group in store.GROUPS and len(values) > 1:
            group_sweeps += [(len(base) - 1, f"{key}={_hydra_value(v)}") for v in values[1:]]
    variants = [base] + [[*base[:i], line, *base[i + 1 :]] for i, line in group_sweeps]
    problems: list[str] = []
    for variant in variants:
        new = _compose_problems(variant, config_name, schema)
        problems += [p for p in new if p not in problems]
    return problems


def _hydra_value(value: object) -> str:
    if isinstance(value, list):
        return "[" + ",".join(_hydra_value(v) for v in value) + "]"
    text = str(value)
    return f"'{text}'" if any(ch in text for ch in " ,()[]{}=") else text


def _compose(overrides: list[str], config_name: str = "config") -> DictConfig:
    store.register()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(store.CONF_DIR), version_base="1.3"):
            return compose(config_name=config_name, overrides=overrides)
    finally:
        GlobalHydra.instance().clear()


def _compose_problems(overrides: list[str], config_name: str, schema: type) -> list[str]:
    try:
        cfg = _compose(overrides, config_name)
    except Exception as err:  # Hydra's own message names the key and the problem
        return [" ".join(str(err).split())]
    return validate.check_config(cfg, schema)


def compose_config(
    overrides: list[str] | None = None, config_name: str = "config", schema: type = SendsimConfig
) -> SendsimConfig:
    """The configuration ``sendsim run OVERRIDES`` would simulate (``ConfigError`` if bad)."""
    overrides = prepare(list(overrides or []), config_name, schema)
    model_overrides = [o for o in overrides if not o.startswith("hydra")]
    return validate.to_config(_compose(model_overrides, config_name), schema)
