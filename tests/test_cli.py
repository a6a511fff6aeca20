"""The sendsim command: help, listings and bad input (exit code 2, nothing written)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def sendsim(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sendsim", *args], capture_output=True, text=True, cwd=cwd
    )


def test_help_explains_the_commands():
    out = sendsim("--help")
    assert out.returncode == 0
    for word in ("run", "areas", "params", "examples"):
        assert word in out.stdout


def test_run_help_lists_groups_settings_and_examples():
    out = sendsim("run", "--help")
    assert out.returncode == 0
    assert "scenario: baseline" in out.stdout and "Examples:" in out.stdout
    assert "run.years=10  (1 to 30 years): Years simulated" in out.stdout  # from the schema
    assert "E09000033" not in out.stdout, "councils are summarised, not listed"


def test_areas_and_params_list():
    areas = sendsim("areas")
    assert areas.returncode == 0 and "Stockport" in areas.stdout and "E08000007" in areas.stdout
    params = sendsim("params", "--kind", "policy", "--csv")
    assert params.returncode == 0
    assert params.stdout.startswith("key,label,unit,default,range,kind,source")
    assert "policy.workforce.health_visitors" in params.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run.yeers=5"], "run.yeers: unknown key"),
        (["population.sample_fraction=2"], "population.sample_fraction=2: out of range"),
        (["area=Atlantis"], "no council matches 'Atlantis'"),
        (["-m", "run.seed=1,2", "run.years=-3"], "run.years=-3: out of range"),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(tmp_path, args, message):
    out_dir = tmp_path / "out"
    out = sendsim(
        "run", *args, f"hydra.run.dir={out_dir}", f"hydra.sweep.dir={out_dir}", cwd=tmp_path
    )
    assert out.returncode == 2, out.stderr
    assert message in out.stderr
    assert not out_dir.exists()
    assert list(tmp_path.iterdir()) == []


def test_unknown_region_is_a_clear_error():
    out = sendsim("areas", "--region", "Mordor")
    assert out.returncode == 2 and "regions are" in out.stderr


def test_a_malformed_data_file_exits_2_naming_file_and_column(tmp_path, monkeypatch, capsys):
    import polars as pl

    from sendsim import cli
    from sendsim.data import areas

    good = pl.read_parquet(areas.PROCESSED_DIR / areas.COUNCILS_FILE)
    good.drop("la_name").write_parquet(tmp_path / areas.COUNCILS_FILE)
    monkeypatch.setattr(areas, "PROCESSED_DIR", tmp_path)
    areas.load_councils.cache_clear()
    try:
        with pytest.raises(SystemExit) as exit_info:
            cli.main(["areas"])
    finally:
        areas.load_councils.cache_clear()
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "councils.parquet" in err and "la_name" in err
