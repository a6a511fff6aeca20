"""Broken calibration fits and history are refused when loaded, never used quietly: a missing
fit or council, a factor that is not a number in its range, a corrupt file, a renamed measure.
Runs record the fit they used; ``sendsim calibrate`` writes outside the package."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from sendsim import calibration
from sendsim.app import simulate
from sendsim.data import areas
from sendsim.errors import DataError
from sendsim.model import profile
from sendsim.model.model import SendModel
from sendsim.results import META, RESULT_FILES
from tests.conftest import SMALL_AREA, make_config

STORED_FIT = calibration.STORED_DIR / "fit_2022.parquet"


def write_fit(folder: Path, table: pl.DataFrame, year: int = 2022) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"fit_{year}.parquet"
    table.write_parquet(path)
    return path


def stored_fit() -> pl.DataFrame:
    return pl.read_parquet(STORED_FIT)


def with_value(table: pl.DataFrame, column: str, value: float) -> pl.DataFrame:
    rutland = pl.col("la_code") == SMALL_AREA
    return table.with_columns(pl.when(rutland).then(value).otherwise(pl.col(column)).alias(column))


def sendsim_moved(module: str, attribute: str, folder: Path, *args: str, cwd: Path):
    """``sendsim ARGS`` in a fresh process in which the data folder ``module.attribute`` is
    ``folder``."""
    code = (
        "import importlib, pathlib\n"
        f"folder = pathlib.Path({str(folder)!r})\n"
        f"setattr(importlib.import_module({module!r}), {attribute!r}, folder)\n"
        "from sendsim.cli import main\n"
        f"main({list(args)!r})"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd)


# -- fits ----------------------------------------------------------------------------------
def test_a_missing_fit_stops_a_calibrated_run(tmp_path, monkeypatch):
    monkeypatch.setattr(calibration, "STORED_DIR", tmp_path)
    with pytest.raises(DataError, match="no calibration fit for runs starting in 2022") as err:
        SendModel(make_config())
    assert err.value.path == tmp_path / "fit_2022.parquet"
    SendModel(make_config(**{"run.calibrated": False}))  # uncalibrated runs need no fit


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (lambda t: t.filter(pl.col("la_code") != SMALL_AREA), f"council {SMALL_AREA}: no row"),
        (
            lambda t: with_value(t, "request_level", float("nan")),
            f"council {SMALL_AREA}, column 'request_level': nan is not in [0.1, 10.0]",
        ),
        (
            lambda t: with_value(t, "cease_scale", 50.0),
            f"council {SMALL_AREA}, column 'cease_scale': 50.0 is not in [0.05, 20.0]",
        ),
        (
            lambda t: with_value(t, "outflow_sd", -1.0),
            f"council {SMALL_AREA}, column 'outflow_sd': -1.0 is not in [0.0, inf]",
        ),
        (lambda t: t.drop("request_trend"), "missing column 'request_trend'"),
        (lambda t: t.with_columns(train_end=2021), "not for runs starting in 2022"),
        (lambda t: t.with_columns(train_end=pl.lit("x")), "not for runs starting in 2022"),
        (lambda t: t.with_columns(la_code=None), "column 'la_code': a row names no council"),
        (lambda t: pl.concat([t, t.head(1)]), "more than one row"),
    ],
)
def test_a_broken_fit_is_refused_naming_council_and_column(tmp_path, monkeypatch, broken, message):
    path = write_fit(tmp_path, broken(stored_fit()))
    monkeypatch.setattr(calibration, "STORED_DIR", tmp_path)
    with pytest.raises(DataError) as err:
        SendModel(make_config())
    assert err.value.path == path and message in str(err.value)


def test_a_corrupt_fit_exits_2_with_one_line_and_no_results(tmp_path):
    (tmp_path / "fits").mkdir()
    (tmp_path / "fits" / "fit_2022.parquet").write_bytes(b"PAR1 this is not parquet")
    out_dir = tmp_path / "out"
    run = ("run", "area=rutland", "run.years=1", f"hydra.run.dir={out_dir}")
    out = sendsim_moved("sendsim.calibration", "STORED_DIR", tmp_path / "fits", *run, cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "fit_2022.parquet: cannot read parquet" in out.stderr
    assert not any((out_dir / name).exists() for name in RESULT_FILES)


def test_runs_record_the_fit_they_used(tmp_path):
    config = make_config()
    simulate(config, tmp_path / "on", progress=False)
    used = json.loads((tmp_path / "on" / META).read_text())["calibration_fit"]
    assert Path(used["path"]) == STORED_FIT
    assert used["sha256"] == hashlib.sha256(STORED_FIT.read_bytes()).hexdigest()
    simulate(make_config(**{"run.calibrated": False}), tmp_path / "off", progress=False)
    assert json.loads((tmp_path / "off" / META).read_text())["calibration_fit"] is None


@pytest.mark.parametrize("point_at", ["file", "folder"])
def test_runs_can_be_pointed_at_another_fit(tmp_path, point_at):
    path = write_fit(tmp_path / "fits", with_value(stored_fit(), "request_trend", 0.123))
    config = make_config()
    config.run.fit = str(path if point_at == "file" else path.parent)  # RunConfig.fit, to come
    model = SendModel(config)
    assert model.councils.request_trend[0] == pytest.approx(0.123)
    assert model.calibration_fit["path"] == str(path)


def test_a_partial_fit_is_stored_whole_outside_the_package(tmp_path):
    def rutland(path: Path) -> dict:
        table = calibration.load(2022, path).table
        assert table.height == 153
        return table.filter(pl.col("la_code") == SMALL_AREA).row(0, named=True)

    one = stored_fit().filter(pl.col("la_code") == SMALL_AREA)
    path = calibration.store(with_value(one, "request_trend", 0.2), 2022, tmp_path)
    assert path == tmp_path / "fit_2022.parquet" and rutland(path)["request_trend"] == 0.2
    calibration.store(with_value(one, "cease_scale", 2.0), 2022, tmp_path)  # replaces the row
    assert rutland(path)["cease_scale"] == 2.0
    others = pl.read_parquet(path).filter(pl.col("la_code") != SMALL_AREA)
    assert others.equals(stored_fit().filter(pl.col("la_code") != SMALL_AREA))


def test_calibrate_writes_to_the_user_data_folder(tmp_path):
    before = STORED_FIT.read_bytes()
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "PATH": "/usr/bin:/bin"}
    args = ["area=rutland", "train_end=2022", "iterations=1", "sample_fraction=0.05"]
    out = subprocess.run(
        [sys.executable, "-m", "sendsim", "calibrate", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    path = tmp_path / "data" / "sendsim" / "calibration" / "fit_2022.parquet"
    assert f"run.fit={path}" in out.stdout
    assert calibration.load(2022, path).table.height == 153
    assert STORED_FIT.read_bytes() == before


# -- history -------------------------------------------------------------------------------
def history() -> pl.DataFrame:
    return pl.read_parquet(areas.PROCESSED_DIR / areas.HISTORY_FILE)


def rename_requests(h: pl.DataFrame) -> pl.DataFrame:
    renamed = pl.when(pl.col("measure") == "requests").then(pl.lit("ehc_requests"))
    return h.with_columns(measure=renamed.otherwise("measure"))


def nan_requests(h: pl.DataFrame) -> pl.DataFrame:
    target = (pl.col("la_code") == SMALL_AREA) & (pl.col("measure") == "requests")
    return h.with_columns(value=pl.when(target).then(float("nan")).otherwise("value"))


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (rename_requests, "column 'measure': no rows of 'requests', which runs read"),
        (nan_requests, f"council {SMALL_AREA}, column 'value' of requests 2016 is not a finite"),
        (lambda h: pl.concat([h, h.tail(1)]), "appears more than once"),
        (
            lambda h: h.with_columns(status=pl.lit("guessed")),
            "unknown status 'guessed' (allowed: published, suppressed",
        ),
    ],
)
def test_broken_history_is_refused_naming_council_and_column(tmp_path, broken, message):
    path = tmp_path / areas.HISTORY_FILE
    broken(history()).write_parquet(path)
    with pytest.raises(DataError, match=r"history\.parquet") as err:
        areas.load_history(path)
    assert message in str(err.value)


def test_runs_read_only_measures_the_history_check_requires():
    read = {measure for measure, _ in profile.AS_OF.values()}
    read |= {"ehcp_total", "requests", "new_plans", "tribunal_appeals", "appealable_decisions"}
    assert read <= set(areas.MODEL_MEASURES)


def test_a_renamed_history_measure_exits_2_with_one_line(tmp_path):
    data = tmp_path / "processed"
    shutil.copytree(areas.PROCESSED_DIR, data)
    rename_requests(history()).write_parquet(data / areas.HISTORY_FILE)
    out_dir = tmp_path / "out"
    run = ("run", "area=rutland", "run.years=1", f"hydra.run.dir={out_dir}")
    out = sendsim_moved("sendsim.data.areas", "PROCESSED_DIR", data, *run, cwd=tmp_path)
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert "history.parquet" in out.stderr and "'requests'" in out.stderr
    assert not any((out_dir / name).exists() for name in RESULT_FILES)


def test_stored_fits_pass_their_checks():
    for year in (2019, 2020, 2021, 2022):
        assert calibration.load(year).table.height == 153
