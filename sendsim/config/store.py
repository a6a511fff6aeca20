"""Register the schema and the ``area`` group options with Hydra's ConfigStore.

Config groups with files live in ``conf/``. The ``area`` group has one option per council,
named by its ONS code, plus ``england`` (all councils in one model) and ``default``; the
command line also accepts a council's name, slug or LA number (see :func:`resolve_area`).
"""

from __future__ import annotations

from pathlib import Path

from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf

from sendsim.config.schema import SendsimConfig
from sendsim.data import areas


def _conf_dir() -> Path:
    """The config groups: a wheel's copy (``sendsim/conf``), else the checkout's ``conf/``."""
    package = Path(__file__).resolve().parents[1]
    packaged = package / "conf"
    return packaged if packaged.is_dir() else package.parent / "conf"


CONF_DIR = _conf_dir()
SCHEMA_NAME = "sendsim_schema"
ENGLAND = "england"
DEFAULT_AREA = SendsimConfig().area.code
FILE_GROUPS = ("population", "scenario", "finance", "run")
GROUPS = ("area", *FILE_GROUPS)


def register() -> None:
    """Store the schema and every area option, and the resolvers ``--help`` uses
    (idempotent)."""
    if not OmegaConf.has_resolver("sendsim_groups"):
        OmegaConf.register_new_resolver("sendsim_groups", groups_help)
        OmegaConf.register_new_resolver("sendsim_run_settings", run_settings_help)
    cs = ConfigStore.instance()
    cs.store(name=SCHEMA_NAME, node=SendsimConfig)
    cs.store(group="area", name="default", node={"code": DEFAULT_AREA})
    cs.store(group="area", name=ENGLAND, node={"code": ENGLAND})
    for code in areas.load_councils()["la_code"].to_list():
        cs.store(group="area", name=code, node={"code": code})


def group_options(group: str) -> list[str]:
    """Options of a config group: files in ``conf/<group>`` (or, for ``area``, the councils)."""
    if group == "area":
        return ["default", ENGLAND, *areas.load_councils()["la_code"].to_list()]
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


def groups_help() -> str:
    """The config groups and their options, for ``--help`` (councils summarised)."""
    lines = [
        "  area: a council by ONS code, LA number, name or slug (sendsim areas lists them), "
        f"{ENGLAND} for all of them, or default ({DEFAULT_AREA})"
    ]
    lines += [f"  {group}: {', '.join(group_options(group))}" for group in FILE_GROUPS]
    return "\n".join(lines)


def run_settings_help() -> str:
    """The run and population settings, from their declarations, for ``--help``."""
    from sendsim.config.commands import describe
    from sendsim.config.schema import PopulationConfig, RunConfig

    population = describe(PopulationConfig, "population.").split("\n", 1)[1]
    return describe(RunConfig, "run.") + "\n" + population


def resolve_area(value: str) -> str:
    """An ``area`` option from a code, LA number, name or slug (``DataError`` if unknown)."""
    if value in ("default", ENGLAND):
        return value
    return areas.find_council(value)["la_code"]
