"""End-to-end runs through the command line (slow: ``pytest -m slow``, run in CI)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import polars as pl
import pytest

from sendsim.results import RESULT_FILES

pytestmark = pytest.mark.slow


def sendsim(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sendsim", *args], capture_output=True, text=True, cwd=cwd
    )


def test_default_run_writes_the_results_contract(tmp_path):
    started = time.perf_counter()
    out = sendsim("run", f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    elapsed = time.perf_counter() - started
    assert out.returncode == 0, out.stderr
    for name in RESULT_FILES:
        assert (tmp_path / "run" / name).exists()
    meta = json.loads((tmp_path / "run" / "run_meta.json").read_text())
    assert meta["config"]["area"]["code"] == "E08000007" and meta["config"]["run"]["years"] == 10
    ts = pl.read_parquet(tmp_path / "run" / "timeseries.parquet")
    assert ts["date"].max().year == 2032
    print(f"default council, 10 years, whole population: {elapsed:.1f} s end to end")


def test_england_sample_runs(tmp_path):
    out = sendsim(
        "run",
        "area=england",
        "population.sample_fraction=0.1",
        "run.years=3",
        f"hydra.run.dir={tmp_path / 'eng'}",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    summary = pl.read_parquet(tmp_path / "eng" / "summary.parquet")
    assert summary.height == 154
    assert summary.filter(pl.col("la_code") == "E92000001")["ehcp_caseload"][0] > 473_255


def test_multirun_writes_one_directory_per_job(tmp_path):
    out = sendsim(
        "run",
        "-m",
        "area=rutland",
        "run.years=1",
        "run.seed=1,2",
        f"hydra.sweep.dir={tmp_path / 'sweep'}",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    seeds = [
        pl.read_parquet(tmp_path / "sweep" / str(i) / "summary.parquet")["seed"][0] for i in (0, 1)
    ]
    assert seeds == [1, 2]
