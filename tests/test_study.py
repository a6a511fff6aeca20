"""Named studies: comparison tables across seeds, and resumable sweeps."""

from __future__ import annotations

import subprocess
import sys

import polars as pl
import pytest

from sendsim.app import finished, simulate
from sendsim.errors import DataError
from sendsim.headline import INDICATORS
from sendsim.study import compare, load_study, to_markdown
from tests.conftest import make_config


def test_comparison_gives_median_and_range_across_seeds(tmp_path):
    for scenario, seeds in (("baseline", (1, 2, 3)), ("fewer_psychologists", (1, 2))):
        for seed in seeds:
            settings = {"run.years": 1, "run.seed": seed, "scenario.name": scenario}
            if scenario != "baseline":
                settings["policy.workforce.educational_psychologists"] = 0.5
            simulate(make_config(**settings), tmp_path / f"{scenario}-{seed}", progress=False)
    table = compare(tmp_path)
    assert table.height == 2 * len(INDICATORS)  # one-year runs: the override is not reached
    runs = dict(table.group_by("scenario").agg(pl.col("runs").first()).iter_rows())
    assert runs == {"baseline": 3, "fewer_psychologists": 2}
    row = table.filter(pl.col("measure") == "EHC plans, January 2023").row(0, named=True)
    assert row["p10"] <= row["median"] <= row["p90"]
    assert "fewer_psychologists" in to_markdown(table, "Why?")


def test_a_finished_run_is_recognised(tmp_path):
    config = make_config()
    assert not finished(tmp_path, config)
    simulate(config, tmp_path, progress=False)
    assert finished(tmp_path, config)
    assert not finished(tmp_path, make_config(**{"run.seed": 9}))


def test_bad_study_file_is_a_clear_error(tmp_path):
    (tmp_path / "study.yaml").write_text("scenarios: [baseline]\n")
    with pytest.raises(DataError, match=r"study\.yaml"):
        load_study(tmp_path)


@pytest.mark.slow
def test_study_runs_then_resumes(tmp_path):
    study = tmp_path / "tiny"
    study.mkdir()
    (study / "study.yaml").write_text(
        "question: Does a tiny study run?\n"
        "scenarios: [baseline, workforce_crisis]\n"
        "runs:\n  small:\n    seeds: [1, 2]\n    overrides: [area=rutland, run.years=1]\n"
    )
    command = [sys.executable, "-m", "sendsim", "study", str(study), f"out={tmp_path / 'out'}"]
    first = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "out" / "tiny" / "comparison.csv").exists()
    again = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert (
        again.returncode == 0 and again.stdout.count("skipped") + again.stderr.count("skipped") >= 1
    )
