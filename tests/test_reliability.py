"""Bad input and bad luck: exit 0 or exit 2 with one message and nothing written, never a
traceback; a run's results are a whole set or none, whatever kills the run."""

from __future__ import annotations

import csv
import errno
import gc
import json
import subprocess
import sys
import weakref
from pathlib import Path

import polars as pl
import pytest

from sendsim import calibration, cli
from sendsim.app import simulate
from sendsim.io import spreadsheet_csv
from sendsim.report import write_report
from sendsim.results import META, SUMMARY, TIMESERIES, complete, read_meta
from tests.conftest import make_config, run_model

SHORT = ["area=rutland", "run.years=1", "population.sample_fraction=0.05"]


def call(capsys, *args: str) -> tuple[int, str]:
    """Run ``sendsim ARGS`` in this process: its exit code and stderr."""
    try:
        cli.main(list(args))
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    return code, capsys.readouterr().err


@pytest.fixture
def in_tmp(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- bad values: exit 2, one message, nothing written ---------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["policy.workforce.educational_psychologists=nan"], "not a finite number"),
        (["population.sample_fraction=nan"], "population.sample_fraction=nan: not a finite"),
        (["behaviour.needs.emergence_per_year=inf"], "not a finite number"),
        (["-m", "run.seed=1,2", "policy.workforce.therapists=1.0,nan"], "therapists=nan"),
        (["area=[leeds"], "area=[leeds: cannot read this override"),
        (["area=Ünïcødé"], "area=Ünïcødé: cannot read this override"),
        (["area='Ünïcødé'"], "no council matches"),
        (["run.seed=interval(0,1)"], "interval() needs an optimising sweeper"),
        (["-m", "scenario=glob(nothing*)"], "matches no option of scenario"),
        (["hydra.run.dir=afile/run"], "afile is a file"),
    ],
)
def test_bad_input_exits_2_with_one_message_and_writes_nothing(in_tmp, capsys, args, message):
    (in_tmp / "afile").write_text("")
    code, err = call(capsys, "run", *SHORT, *args)
    assert code == 2 and message in err and "Traceback" not in err
    assert [p.name for p in in_tmp.iterdir()] == ["afile"]


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["calibrate", "trian_end=2020"], "did you mean 'train_end'"),
        (["calibrate", "sample_fraction=nan"], "sample_fraction=nan: not a finite number"),
        (["calibrate", "iterations=0"], "iterations=0: out of range; allowed 1 to 20"),
        (["backtest", "train_end=2030"], "train_end=2030: out of range; allowed 2019 to 2022"),
        (["backtest", "area=Atlantis"], "no council matches 'Atlantis'"),
        (["backtest", "horizon=1,2"], "one value each"),
        (["backtest", "hydra.run.dir=x"], "hydra.run.dir: unknown key"),
        (["backtest", "out=/dev/null/x"], "/dev/null is a file"),
        (["study", "experiments/lga_board_2023", "jobs=many"], "jobs='many': expected an integer"),
    ],
)
def test_every_command_validates_its_settings_like_run(in_tmp, capsys, command, message):
    code, err = call(capsys, *command)
    assert code == 2 and message in err
    assert list(in_tmp.iterdir()) == []


def test_settings_help_is_derived_from_their_declarations(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["backtest", "--help"])
    out = capsys.readouterr().out
    assert stop.value.code == 0
    assert "horizon=3  (1 to 10 years): Years forecast ahead" in out


def test_a_bad_override_in_a_study_runs_nothing(in_tmp, capsys):
    study = in_tmp / "tiny"
    study.mkdir()
    (study / "study.yaml").write_text(
        "question: Q?\nscenarios: [baseline]\n"
        "runs:\n  small:\n    seeds: [1]\n    overrides: [area=rutland, run.yeers=1]\n"
    )
    code, err = call(capsys, "study", str(study), f"out={in_tmp / 'out'}")
    assert code == 2 and "run small: run.yeers: unknown key" in err and "Traceback" not in err
    assert not (in_tmp / "out").exists()


def test_run_meta_holds_no_nan(in_tmp, capsys):
    assert call(capsys, "run", *SHORT, "hydra.run.dir=run")[0] == 0

    def refuse(token: str) -> None:
        raise AssertionError(f"non-standard JSON token {token}")

    json.loads((in_tmp / "run" / META).read_text(), parse_constant=refuse)


# -- results as a set ------------------------------------------------------------------------
KILLER = """
import os, sys
from sendsim import cli
kill_at, renames, real = int(sys.argv[1]), [0], os.replace
def replace(src, dst):
    if renames[0] == kill_at:
        os._exit(137)  # as kill -9: no clean-up runs
    renames[0] += 1
    real(src, dst)
os.replace = replace
cli.main(sys.argv[2:])
print("renames", renames[0])
"""
RENAMES_PER_RUN = 3  # timeseries, summary, run_meta.json


def killed_run(folder: Path, kill_at: int, seed: int) -> subprocess.CompletedProcess:
    args = ["run", *SHORT, f"run.seed={seed}", f"hydra.run.dir={folder}"]
    return subprocess.run(
        [sys.executable, "-c", KILLER, str(kill_at), *args], capture_output=True, text=True
    )


def assert_whole_set_or_none(folder: Path) -> None:
    if not complete(folder):
        assert not (folder / META).exists()  # no marker: no result set
        return
    seed = read_meta(folder)["config"]["run"]["seed"]
    for name in (TIMESERIES, SUMMARY):
        assert pl.read_parquet(folder / name)["seed"].unique().to_list() == [seed], name


@pytest.mark.parametrize("kill_at", range(RENAMES_PER_RUN))
def test_a_run_killed_at_any_write_leaves_a_whole_set_or_none_and_a_rerun_finishes(
    tmp_path, kill_at
):
    folder = tmp_path / "run"
    first = killed_run(folder, kill_at=-1, seed=1)
    assert first.returncode == 0 and f"renames {RENAMES_PER_RUN}" in first.stdout, first.stderr
    killed = killed_run(folder, kill_at=kill_at, seed=2)
    assert killed.returncode == 137
    assert_whole_set_or_none(folder)
    again = killed_run(folder, kill_at=-1, seed=2)
    assert again.returncode == 0 and "skipped" not in again.stdout, again.stderr
    assert complete(folder) and read_meta(folder)["config"]["run"]["seed"] == 2
    assert_whole_set_or_none(folder)
    assert not [p for p in folder.iterdir() if ".tmp." in p.name]
    assert "seed: 2" in (folder / ".hydra" / "config.yaml").read_text()


def test_a_mixed_or_corrupt_folder_is_not_taken_for_finished_results(in_tmp, capsys):
    assert call(capsys, "run", *SHORT, "run.seed=2", "hydra.run.dir=two")[0] == 0
    assert call(capsys, "run", *SHORT, "run.seed=1", "hydra.run.dir=one")[0] == 0
    (in_tmp / "two" / TIMESERIES).replace(in_tmp / "one" / TIMESERIES)  # seed 2's beside seed 1's
    assert not complete(in_tmp / "one")
    assert call(capsys, "run", *SHORT, "run.seed=1", "hydra.run.dir=one")[0] == 0
    assert "skipped" not in capsys.readouterr().out
    assert complete(in_tmp / "one")
    (in_tmp / "one" / META).write_text("{not json")
    code, err = call(capsys, "run", *SHORT, "run.seed=1", "hydra.run.dir=one")
    assert code == 0 and complete(in_tmp / "one"), err


def test_changed_calibration_makes_a_run_unfinished(tmp_path):
    fit = tmp_path / "fit_2022.parquet"
    fit.write_bytes(calibration.fit_path(2022).read_bytes())
    config = make_config(**{"run.fit": str(fit)})
    simulate(config, tmp_path / "run", progress=False)
    assert complete(tmp_path / "run", config)
    table = pl.read_parquet(fit)
    table.with_columns(pl.col("request_level") * 1.01).write_parquet(fit)
    assert not complete(tmp_path / "run", config)


def test_a_full_disk_exits_2_and_leaves_no_results_nor_records(in_tmp, capsys, monkeypatch):
    real = pl.DataFrame.write_parquet

    def full_disk(frame, path, **kwargs):
        if Path(path).name.startswith(f".{SUMMARY}"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real(frame, path, **kwargs)

    monkeypatch.setattr(pl.DataFrame, "write_parquet", full_disk)
    code, err = call(capsys, "run", *SHORT, "hydra.run.dir=run")
    assert code == 2 and "summary.parquet: No space left on device" in err
    assert "Traceback" not in err
    assert not (in_tmp / "run").exists()  # neither timeseries, .hydra nor the log remain


def test_a_failed_rerun_keeps_no_record_of_itself(in_tmp, capsys, monkeypatch):
    assert call(capsys, "run", *SHORT, "hydra.run.dir=run")[0] == 0

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", full_disk)
    assert call(capsys, "run", *SHORT, "run.seed=7", "hydra.run.dir=run")[0] == 2
    assert not (in_tmp / "run" / ".hydra").exists()
    assert not complete(in_tmp / "run")


# -- commands of the README and of modellers -----------------------------------------------
def test_every_scenario_by_glob_as_in_the_readme(in_tmp, capsys):
    code, err = call(capsys, "run", "-m", "scenario=glob(*)", *SHORT, "hydra.sweep.dir=all")
    assert code == 0, err
    scenarios = {read_meta(p)["config"]["scenario"]["name"] for p in (in_tmp / "all").iterdir()
                 if p.is_dir()}  # fmt: skip
    assert len(scenarios) == 5


def test_a_scenario_in_the_modellers_own_config_dir(in_tmp, capsys):
    (in_tmp / "mine" / "scenario").mkdir(parents=True)
    (in_tmp / "mine" / "scenario" / "more_eps.yaml").write_text(
        "# @package _global_\nscenario:\n  name: more_eps\n"
        "policy:\n  workforce:\n    educational_psychologists: 1.5\n"
    )
    args = ["--config-dir", "mine", "scenario=more_eps", *SHORT, "hydra.run.dir=run"]
    code, err = call(capsys, "run", *args)
    assert code == 0, err
    config = read_meta(in_tmp / "run")["config"]
    assert config["policy"]["workforce"]["educational_psychologists"] == 1.5
    code, err = call(capsys, "run", "--config-dir", "mine", "scenario=more_epz", *SHORT)
    assert code == 2 and "choose one of baseline" in err and "more_eps" in err


# -- reports -----------------------------------------------------------------------------------
def test_a_report_never_overwrites_results(in_tmp, capsys):
    assert call(capsys, "run", *SHORT, "hydra.run.dir=run")[0] == 0
    before = (in_tmp / "run" / TIMESERIES).read_bytes()
    code, err = call(capsys, "report", "run", "--out", f"run/{TIMESERIES}")
    assert code == 2 and "give a name ending .html" in err
    assert (in_tmp / "run" / TIMESERIES).read_bytes() == before


def test_csv_cells_that_would_run_as_formulas_are_escaped(tmp_path):
    frame = pl.DataFrame({"scenario": ["=HYPERLINK(1)", "+a", "-b", "@c", "plain", "-2.5"]})
    assert spreadsheet_csv(frame).splitlines()[1:] == [
        "'=HYPERLINK(1)",
        "'+a",
        "'-b",
        "'@c",
        "plain",
        "-2.5",
    ]


def test_report_tables_escape_a_scenario_named_like_a_formula(tmp_path):
    simulate(make_config(**{"scenario.name": "=1+1"}), tmp_path / "run", progress=False)
    written = write_report([tmp_path / "run"], tmp_path / "report.html")
    cells = [
        cell
        for path in written
        if path.suffix == ".csv"
        for row in csv.reader(path.read_text().splitlines())
        for cell in row
    ]
    assert "'=1+1" in cells and "=1+1" not in cells


def test_a_finished_model_is_freed():
    """Sweeps run thousands of models in one worker: a model nothing refers to is freed with
    all it holds (Mesa 3.3's agent-id counter would keep every one)."""
    model = run_model()
    children = weakref.ref(model.children)
    del model
    gc.collect()
    assert children() is None
