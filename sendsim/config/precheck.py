"""Check the arguments of a Hydra command of sendsim before Hydra starts, so bad input writes
nothing.

Every override is parsed and checked (each value of a sweep too, ``glob()`` expanded), then the
configuration is composed once per swept option of a config group, as Hydra will compose it,
and checked whole, and the output folder must be writable. Council names are turned into codes
so that ``area=leeds`` and ``area=E08000035`` agree. Scenarios (or other group options) in a
folder given with ``--config-dir`` count as options. Other Hydra apps of sendsim pass their
primary config's name and root schema.
"""

from __future__ import annotations

import os
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import Override
from omegaconf import DictConfig, OmegaConf

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
CONFIG_DIR_FLAGS = ("--config-dir", "-cd")
MULTIRUN_FLAGS = ("--multirun", "-m")
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
    dirs = config_dirs(args)
    parsed = parse([args[i] for i in positions])
    overrides = [_resolve_area(o, dirs) for o in parsed]
    problems = [] if _multirun(args) else _sweeps_without_multirun(parsed)
    problems += validate.check_overrides(overrides, schema, dirs)
    if not problems:
        problems = _check_composed(overrides, config_name, schema, dirs)
    if not problems:
        problems = _check_output_folder(overrides, config_name, dirs, _multirun(args))
    if problems:
        raise ConfigError(problems)
    at_override = set(positions)
    flags = [arg for i, arg in enumerate(args) if i not in at_override]
    return [*flags, *overrides]


def parse(overrides: list[str]) -> list[Override]:
    """Hydra's reading of each override (``ConfigError`` naming every one it cannot read)."""
    parser = OverridesParser.create()
    parsed, problems = [], []
    for text in overrides:
        try:
            parsed.append(parser.parse_override(text))
        except Exception as err:  # Hydra's grammar errors say where the text goes wrong
            problems.append(f"{text}: cannot read this override ({_grammar_error(err)})")
    if problems:
        raise ConfigError(problems)
    return parsed


def _grammar_error(err: Exception) -> str:
    lines = [line for line in str(err).splitlines() if line.strip()]
    detail = next((line for line in lines if not line.startswith(("Error parsing", "See "))), "")
    return f"{detail.strip() or 'invalid syntax'}; quote values with other characters: key='...'"


def config_dirs(args: list[str]) -> tuple[Path, ...]:
    """Folders given with ``--config-dir``/``-cd`` (their config groups add options)."""
    dirs = []
    for i, arg in enumerate(args):
        flag, eq, value = arg.partition("=")
        if flag in CONFIG_DIR_FLAGS:
            given = value if eq else (args[i + 1] if i + 1 < len(args) else "")
            dirs.append(Path(given).resolve())
    return tuple(dirs)


def _sweeps_without_multirun(parsed: list[Override]) -> list[str]:
    return [
        f"{o.input_line}: several values need -m (a sweep); for a list write "
        f"{o.key_or_group}=[a,b], for text with commas quote it: {o.key_or_group}='a,b'"
        for o in parsed
        if o.is_sweep_override()
    ]


def _multirun(args: list[str]) -> bool:
    return any(arg in MULTIRUN_FLAGS for arg in args)


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


def _resolve_area(override: Override, dirs: tuple[Path, ...]) -> str:
    """``area=Leeds`` (or a sweep of names) becomes ``area=E08000035``; unknown names pass."""
    if override.key_or_group != "area":
        return override.input_line
    try:
        values = validate.sweep_values(override, dirs)
        return "area=" + ",".join(store.resolve_area(str(v)) for v in values)
    except (DataError, ValueError):
        return override.input_line


def _check_composed(
    overrides: list[str], config_name: str, schema: type, dirs: tuple[Path, ...]
) -> list[str]:
    """Compose once per option of each swept group (first values elsewhere) and check."""
    base, group_sweeps = _first_values(overrides, dirs)
    model = [line for line in base if not line.startswith("hydra")]
    variants = [model] + [[*model[:i], line, *model[i + 1 :]] for i, line in group_sweeps]
    problems: list[str] = []
    for variant in variants:
        new = _compose_problems(variant, config_name, schema, dirs)
        problems += [p for p in new if p not in problems]
    return problems


def _first_values(
    overrides: list[str], dirs: tuple[Path, ...]
) -> tuple[list[str], list[tuple[int, str]]]:
    """Overrides with each sweep at its first value, and (position, override) for the other
    options of swept config groups."""
    base, group_sweeps = [], []
    for o in OverridesParser.create().parse_overrides(overrides):
        if o.key_or_group.startswith("hydra"):
            base.append(o.input_line)
            continue
        values = validate.sweep_values(o, dirs)
        key = o.get_key_element()
        base.append(f"{key}={_hydra_value(values[0]) if values else ''}")
        if o.key_or_group in store.GROUPS and len(values) > 1:
            group_sweeps += [(len(base) - 1, f"{key}={_hydra_value(v)}") for v in values[1:]]
    return base, group_sweeps


def _check_output_folder(
    overrides: list[str], config_name: str, dirs: tuple[Path, ...], multirun: bool
) -> list[str]:
    """Hydra creates the run (or sweep) folder before any job runs: check it can."""
    key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    try:
        cfg = _compose(_first_values(overrides, dirs)[0], config_name, dirs, with_hydra=True)
        folder = Path(OmegaConf.select(cfg, key))
    except Exception as err:  # Hydra's own message names the key and the problem
        return [" ".join(str(err).split())]
    problem = unwritable(folder)
    return [f"{key}={folder}: {problem}"] if problem else []


def unwritable(folder: Path) -> str | None:
    """Why results cannot be written into ``folder`` (None if they can, as far as one can
    tell without writing)."""
    existing = folder.absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        return f"cannot create a folder here: {existing} is a file"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"cannot write results here: no permission to write in {existing}"
    return None


def _hydra_value(value: object) -> str:
    if isinstance(value, list):
        return "[" + ",".join(_hydra_value(v) for v in value) + "]"
    text = str(value)
    return f"'{text}'" if any(ch in text for ch in " ,()[]{}=") else text


def _compose(
    overrides: list[str],
    config_name: str = "config",
    dirs: tuple[Path, ...] = (),
    with_hydra: bool = False,
) -> DictConfig:
    store.register()
    if dirs:
        overrides = [*overrides, "hydra.searchpath=[" + ",".join(f"file://{d}" for d in dirs) + "]"]
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(store.CONF_DIR), version_base="1.3"):
            return compose(config_name, overrides, return_hydra_config=with_hydra)
    finally:
        GlobalHydra.instance().clear()


def _compose_problems(
    overrides: list[str], config_name: str, schema: type, dirs: tuple[Path, ...]
) -> list[str]:
    try:
        cfg = _compose(overrides, config_name, dirs)
    except Exception as err:  # Hydra's own message names the key and the problem
        return [" ".join(str(err).split())]
    return validate.check_config(cfg, schema)


def compose_config(
    overrides: list[str] | None = None, config_name: str = "config", schema: type = SendsimConfig
) -> SendsimConfig:
    """The configuration ``sendsim run OVERRIDES`` would simulate (``ConfigError`` if bad)."""
    args = prepare(list(overrides or []), config_name, schema)
    dirs = config_dirs(args)
    model_overrides = [
        args[i] for i in _override_positions(args) if not args[i].startswith("hydra")
    ]
    return validate.to_config(_compose(model_overrides, config_name, dirs), schema)
