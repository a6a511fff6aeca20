"""Packaging: the version, the licence, the lock files, where config groups are found, and the
one-line message when a sweep asks for a launcher of the ``cluster`` extra that is absent."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

import sendsim
from sendsim.config import launchers, precheck, store
from sendsim.errors import SendsimError
from tests.test_cli import sendsim as sendsim_command

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_version_comes_from_the_package_metadata():
    out = sendsim_command("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"sendsim {PROJECT['version']}"
    assert sendsim.__version__ == PROJECT["version"]


def test_licence_file_matches_pyproject():
    assert PROJECT["license"] == "MIT" and PROJECT["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def pinned(lock: str) -> set[str]:
    text = (ROOT / lock).read_text()
    return {m.lower().replace("_", "-") for m in re.findall(r"^([A-Za-z0-9_.-]+)==", text, re.M)}


def names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=\[ ;]", r)[0].lower().replace("_", "-") for r in requirements}


def test_lock_files_pin_every_dependency():
    assert names(PROJECT["dependencies"]) <= pinned("requirements.lock")
    extras = [r for group in PROJECT["optional-dependencies"].values() for r in group]
    assert names(PROJECT["dependencies"] + extras) <= pinned("requirements-dev.lock")


def test_config_groups_come_from_a_wheel_copy_else_the_checkout(tmp_path, monkeypatch):
    assert store.CONF_DIR == ROOT / "conf"  # an editable install: the checkout's conf/
    package = tmp_path / "sendsim"
    (package / "config").mkdir(parents=True)
    (package / "conf").mkdir()
    monkeypatch.setattr(store, "__file__", str(package / "config" / "store.py"))
    assert store._conf_dir() == package / "conf"


def test_a_missing_launcher_names_the_extra(monkeypatch):
    monkeypatch.setattr(launchers, "installed", lambda module: False)
    with pytest.raises(SendsimError) as err:
        precheck.prepare(["-m", "run.seed=1,2", "hydra/launcher=submitit_slurm"])
    assert str(err.value) == (
        "hydra/launcher=submitit_slurm needs the cluster extra: pip install 'sendsim[cluster]'"
    )
    launchers.check_launchers(["hydra/launcher=basic", "run.seed=1"])  # needs no extra


def test_installed_launchers_pass():
    launchers.check_launchers([f"hydra/launcher={name}" for name in launchers.PLUGINS])
