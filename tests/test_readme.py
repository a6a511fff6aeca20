"""Every ``sendsim`` command in the README runs, in the README's order, in one folder (so the
report finds the sweep made before it). Long commands are shortened with extra settings: a
small council, one year, a sample of children, fewer seeds and draws."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
import yaml

from sendsim import cli

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[1]
SMALL = {"area": "rutland", "run.years": "1", "population.sample_fraction": "0.05"}
ENGLAND = {"run.years": "1", "population.sample_fraction": "0.01"}
LONGER = {  # commands whose outputs need more than a year, or whose size is a setting
    "sensitivity.method=morris": {"run.years": "7", "sensitivity.n": "4",
                                  "sensitivity.factors": "[policy.workforce]"},
    "calibrate": {"area": "rutland", "iterations": "1", "sample_fraction": "0.05"},
    "backtest": {"area": "rutland", "draws": "2", "sample_fraction": "0.05"},
    "validate": {"area": "rutland", "draws": "2", "horizon": "1", "sample_fraction": "0.05",
                 "long_run_years": "1", "long_run_fraction": "0.005", "docs": "false"},
}  # fmt: skip


def readme_commands() -> list[tuple[list[str], int]]:
    """``sendsim`` commands in the README's shell blocks, with the exit code they promise."""
    text = (REPO / "README.md").read_text()
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.splitlines():
            line = re.sub(r"^\$ |\.venv/bin/", "", line.strip())
            if not line.startswith("sendsim "):
                continue
            words = shlex.split(line, comments=True)
            commands.append((words[1:], 2 if "exit code 2" in line else 0))
    return commands


COMMANDS = readme_commands()


def test_the_readme_has_commands_of_every_kind():
    kinds = {args[0] for args, _ in COMMANDS}
    assert {"run", "study", "report", "calibrate", "backtest", "sensitivity", "params"} <= kinds


def shortened(args: list[str]) -> list[str]:
    """The command with settings that make it quick (replacing the README's where both set)."""
    command, rest = args[0], args[1:]
    if "--help" in rest or command not in ("run", "sensitivity", *LONGER):
        return args
    flags = [a for a in rest if a.startswith("-")]
    settings = dict(a.split("=", 1) for a in rest if not a.startswith("-"))
    if command in ("run", "sensitivity"):
        settings |= ENGLAND if settings.get("area") == "england" else SMALL
    for marker, extra in LONGER.items():
        if marker == command or marker in rest:
            settings |= extra
    return [command, *flags, *(f"{k}={v}" for k, v in settings.items())]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """One folder for every command, with a small copy of the README's study."""
    root = tmp_path_factory.mktemp("readme")
    study = root / "experiments" / "lga_board_2023"
    shutil.copytree(REPO / "experiments" / "lga_board_2023", study)
    spec = yaml.safe_load((study / "study.yaml").read_text())
    for run in spec["runs"].values():
        given = dict(o.split("=", 1) for o in run.get("overrides", []))
        small = ENGLAND if given.get("area") == "england" else SMALL
        run["seeds"] = run["seeds"][:1]
        run["overrides"] = [f"{k}={v}" for k, v in (given | small).items()]
    (study / "study.yaml").write_text(yaml.safe_dump(spec))
    return root


@pytest.mark.parametrize(("args", "expected"), COMMANDS, ids=[" ".join(a) for a, _ in COMMANDS])
def test_readme_command_runs(folder, monkeypatch, capsys, args, expected):
    monkeypatch.chdir(folder)
    monkeypatch.setenv("XDG_DATA_HOME", str(folder / "data"))  # where calibrate stores fits
    try:
        cli.main(shortened(args))
        code = 0
    except SystemExit as stop:
        code = stop.code
    err = capsys.readouterr().err
    assert code == expected, err
    assert "Traceback" not in err
