"""Hydra launchers of the ``cluster`` extra: a one-line message, not Hydra's traceback, when a
sweep asks for one that is not installed."""

from __future__ import annotations

from collections.abc import Iterable
from importlib.util import find_spec

from sendsim.errors import SendsimError

#: Launcher option (``hydra/launcher=...``) -> the plugin module that provides it.
PLUGINS = {
    "joblib": "hydra_plugins.hydra_joblib_launcher",
    "submitit_local": "hydra_plugins.hydra_submitit_launcher",
    "submitit_slurm": "hydra_plugins.hydra_submitit_launcher",
}
INSTALL = "pip install 'sendsim[cluster]'"


def check_launchers(overrides: Iterable[str]) -> None:
    """``SendsimError`` if an override asks for a launcher whose plugin is not installed."""
    for override in overrides:
        key, _, value = override.partition("=")
        plugin = PLUGINS.get(value)
        if key.lstrip("+~") == "hydra/launcher" and plugin and not installed(plugin):
            raise SendsimError(f"hydra/launcher={value} needs the cluster extra: {INSTALL}")


def installed(module: str) -> bool:
    try:
        return find_spec(module) is not None
    except ModuleNotFoundError:  # hydra_plugins itself is absent
        return False
