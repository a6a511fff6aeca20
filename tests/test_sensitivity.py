"""Sensitivity analysis: known indices, validation, designs, resumable chunks, launchers."""

from __future__ import annotations

import dataclasses
import math
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml

from sendsim import lock
from sendsim.config import precheck
from sendsim.config.store import CONF_DIR
from sendsim.errors import ConfigError, SendsimError
from sendsim.model.metrics import METRIC_BY_NAME
from sendsim.results import RunResults
from sendsim.sensitivity import evaluate as evaluate_module
from sendsim.sensitivity import outputs as outs
from sendsim.sensitivity.analyze import convergence, merge, output_groups
from sendsim.sensitivity.app import run_stage
from sendsim.sensitivity.command import main
from sendsim.sensitivity.config import CONFIG_NAME, SensitivityRoot, register
from sendsim.sensitivity.design import load_design, write_design
from sendsim.sensitivity.evaluate import chunk_path, evaluate_chunk, evaluate_chunks
from sendsim.sensitivity.factors import DUMMY, catalogue, select
from sendsim.sensitivity.models import SendsimEvaluator, evaluator, ishigami_row
from sendsim.sensitivity.study import Study

REPO = Path(__file__).resolve().parents[1]
# Ishigami (a=7, b=0.1): Ishigami and Homma (1990); Sobol' and Levitan (1999).
ISHIGAMI_S1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
ISHIGAMI_ST = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}
TINY = [
    "area=rutland",
    "run.years=1",
    "population.sample_fraction=0.2",
    "sensitivity.factors=[policy.workforce.therapists,behaviour.redress.months_to_hearing]",
    "sensitivity.outputs=[ehcp_per_10k_0_25@end,hn_spend_gbp@sum,mean_months_unmet_need@mean]",
    "sensitivity.method=morris",
    "sensitivity.n=4",
    "sensitivity.replicates=2",
]


def compose(*overrides: str) -> SensitivityRoot:
    register()
    root = precheck.compose_config(list(overrides), CONFIG_NAME, SensitivityRoot)
    assert isinstance(root, SensitivityRoot)
    return root


@pytest.fixture(scope="module")
def ishigami_root() -> SensitivityRoot:
    return compose("sensitivity.model=ishigami")


def ishigami(root: SensitivityRoot, folder: Path, seed: int = 1, **settings) -> SensitivityRoot:
    """An Ishigami study's configuration (composed once; settings replaced)."""
    sensitivity = dataclasses.replace(root.sensitivity, dir=str(folder), **settings)
    run = dataclasses.replace(root.run, seed=seed)
    return dataclasses.replace(root, sensitivity=sensitivity, run=run)


def ishigami_study(root: SensitivityRoot, folder: Path, **settings) -> Study:
    return Study.from_config(ishigami(root, folder, **settings))


def test_sobol_recovers_the_ishigami_indices(tmp_path, ishigami_root):
    run_stage(ishigami(ishigami_root, tmp_path, n=1024, chunks=3), tmp_path)
    indices = pl.read_parquet(tmp_path / "indices.parquet")
    assert indices.columns == ["output", "factor", "S1", "S1_conf", "ST", "ST_conf"]
    for row in indices.iter_rows(named=True):
        if row["factor"] == DUMMY:
            assert abs(row["S1"]) < 1e-9 and abs(row["ST"]) < 1e-9
            continue
        assert abs(row["S1"] - ISHIGAMI_S1[row["factor"]]) <= row["S1_conf"], row
        assert abs(row["ST"] - ISHIGAMI_ST[row["factor"]]) <= row["ST_conf"], row
    convergence = pl.read_parquet(tmp_path / "convergence.parquet")
    assert sorted(set(convergence["n"])) == [256, 512, 1024]
    assert set(convergence["rows"]) == {256 * 6, 512 * 6, 1024 * 6}
    widths = convergence.filter(pl.col("factor") == "x2").sort("n")["ST_conf"].to_list()
    assert widths[0] > widths[-1]  # intervals narrow as N grows
    assert (tmp_path / "tornado-y.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("method", "n", "columns"),
    [
        ("morris", 20, ["output", "factor", "mu_star", "mu_star_conf", "sigma"]),
        ("fast", 257, ["output", "factor", "S1", "S1_conf", "ST", "ST_conf"]),
    ],
)
def test_morris_and_fast_rank_the_ishigami_factors(tmp_path, ishigami_root, method, n, columns):
    run_stage(ishigami(ishigami_root, tmp_path, method=method, n=n), tmp_path)
    indices = pl.read_parquet(tmp_path / "indices.parquet")
    assert indices.columns == columns
    key = columns[2]
    value = dict(zip(indices["factor"], indices[key], strict=True))
    assert min(value["x1"], value["x2"]) > 0.1 * max(value.values())
    assert value[DUMMY] < 0.05 * max(value.values())


def test_default_factors_are_every_numeric_lever_and_uncertain_parameter():
    factors, problems = select("sendsim", [])
    assert not problems and factors[-1].name == DUMMY
    assert [f.name for f in factors[:-1]] == [f.name for f in catalogue("sendsim")]
    assert any(f.name.startswith("policy.") for f in factors)
    assert any(f.integer for f in factors)
    assert not any(f.name in ("run.years", "population.sample_fraction") for f in factors)


def test_factors_by_key_or_prefix():
    factors, problems = select("sendsim", ["policy.workforce", "finance.ap_place_gbp", DUMMY])
    names = [f.name for f in factors]
    assert not problems
    assert "policy.workforce.therapists" in names and "finance.ap_place_gbp" in names
    assert names.count(DUMMY) == 1 and names[-1] == DUMMY
    assert not any(n.startswith("behaviour.") for n in names)
    _, problems = select("sendsim", ["policy.workforse", "policy.work"])
    assert len(problems) == 2 and "did you mean 'policy.workforce'" in problems[0]


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        (["sensitivity.methd=sobol"], "did you mean 'sensitivity.method'"),
        (["sensitivity.method=sobel"], "allowed values are sobol, morris, fast"),
        (["sensitivity.replicates=0"], "sensitivity.replicates=0: out of range"),
        (["sensitivity.factors=policy"], "expected a list of names"),
        (["sensitivity.n=100"], "Sobol needs a power of 2"),
        (["sensitivity.method=fast", "sensitivity.n=64"], "FAST needs more than 64"),
        (["sensitivity.factors=[run.years]"], "unknown factor 'run.years'"),
        (["sensitivity.outputs=[ehcp_per_10k@end]"], "unknown metric 'ehcp_per_10k'"),
        (["sensitivity.outputs=[hn_spend_gbp]"], "expected metric@horizon"),
        (["sensitivity.outputs=[hn_spend_gbp@2032-01]"], "a month from 2022-01 to 2031-12"),
        (["run.years=3", "sensitivity.outputs=[ehcp_caseload@2028-04]"], "2022-01 to 2025-01"),
        (["sensitivity.outputs=[ehcp_caseload@sum]"], "sum applies to flows"),
        (["sensitivity.model=ishigami", "sensitivity.outputs=[hn_spend_gbp@sum]"], "output is y"),
        (["sensitivity.stage=evaluate"], "sensitivity.dir: required for stage=evaluate"),
        (["sensitivity.chunks=2", "sensitivity.chunk=2"], "chunks are 0 to 1"),
        (["sensitivity.factors=[dummy]"], "name a factor to vary besides the dummy"),
        (["policy.workforce.therapists=nan"], "not a finite number"),
    ],
)
def test_bad_settings_are_named(overrides, fragment):
    with pytest.raises(ConfigError) as err:
        precheck.prepare(overrides, CONFIG_NAME, SensitivityRoot)
    assert any(fragment in p for p in err.value.problems), err.value.problems


def test_bad_input_exits_2_with_one_message_and_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = ["-m", "sensitivity.stage=evaluate", f"sensitivity.dir={tmp_path / 'study'}"]
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "sensitivity.chunks=4", "sensitivity.chunk=range(0,6)"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("sendsim:") == 1 and "sensitivity.chunk=4: chunks are 0 to 3" in err
    assert list(tmp_path.iterdir()) == []


def test_defaults_match_sendsim_run():
    def groups(name: str) -> list:
        return yaml.safe_load((CONF_DIR / f"{name}.yaml").read_text())["defaults"][1:]

    assert groups("sensitivity") == groups("config")


def test_outputs_at_dates_ends_means_and_sums(small_run):
    results = RunResults(small_run)
    dates = outs.run_dates("2022-01", 2)
    names = [
        "ehcp_caseload@2023-04",
        "ehcp_caseload@end",
        "hn_spend_gbp@2022-03",
        "hn_spend_gbp@sum",
        "hn_spend_gbp@end",
        "mean_months_unmet_need@mean",
        "issued_within_20_weeks_share@sum",
    ]
    parsed = [outs.parse(n, dates) for n in names]
    got = outs.values(results, parsed)
    caseload = results.metric(METRIC_BY_NAME["ehcp_caseload"])[:, 0]
    spend = results.metric(METRIC_BY_NAME["hn_spend_gbp"])[:, 0]
    unmet = results.metric(METRIC_BY_NAME["mean_months_unmet_need"])[:, 0]
    on_time = results.values["issued_within_20_weeks"][:, 0].sum()
    expected = [
        caseload[15],
        caseload[-1],
        spend[2],
        spend.sum(),
        spend[-12:].sum(),
        unmet[1:].mean(),
        on_time / results.values["new_plans"][:, 0].sum(),
    ]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_england_runs_use_the_england_row(england_run):
    results = RunResults(england_run)
    dates = outs.run_dates("2022-01", 1)
    got = outs.values(results, [outs.parse("hn_spend_gbp@sum", dates)])
    spend = results.values["hn_spend_gbp"]
    assert results.codes[-1] == "E92000001"
    # the same months summed in another order: equal to rounding
    assert got[0] == pytest.approx(spend[:, -1].sum(), rel=1e-12)
    assert spend[:, -1].sum() == pytest.approx(spend[:, :-1].sum())


def test_a_design_is_written_once(tmp_path, ishigami_root):
    study = ishigami_study(ishigami_root, tmp_path, n=16)
    write_design(tmp_path, study)
    written = (tmp_path / "design.json").stat().st_mtime_ns
    write_design(tmp_path, study)  # the same design again: nothing to do
    assert (tmp_path / "design.json").stat().st_mtime_ns == written
    other = ishigami_study(ishigami_root, tmp_path, n=32)
    with pytest.raises(SendsimError, match=r"sensitivity\.n: 16 in the design, 32 here"):
        write_design(tmp_path, other)
    reseeded = Study.from_config(ishigami(ishigami_root, tmp_path, seed=7, n=16))
    with pytest.raises(SendsimError, match=r"run\.seed: 1 in the design, 7 here"):
        load_design(tmp_path, reseeded)
    with pytest.raises(SendsimError, match="no design yet"):
        load_design(tmp_path / "elsewhere", study)


def test_a_killed_chunk_resumes_where_it_stopped(tmp_path, monkeypatch, ishigami_root):
    study = ishigami_study(ishigami_root, tmp_path, n=16, chunks=2)
    design = write_design(tmp_path, study)
    evaluate, calls = evaluator(study), []

    def dies_after_five(row):
        if len(calls) == 5:
            raise KeyboardInterrupt  # as a killed job
        calls.append(row)
        return evaluate(row)

    monkeypatch.setattr(evaluate_module, "CHECKPOINT_S", 0.0)  # save after every row
    with pytest.raises(KeyboardInterrupt):
        evaluate_chunk(tmp_path, study, design, 1, dies_after_five)
    assert not chunk_path(tmp_path, 1).exists()

    resumed = []
    evaluate_chunk(tmp_path, study, design, 1, lambda row: resumed.append(row) or evaluate(row))
    assert len(resumed) == len(study.chunk_rows(1)) - 5
    again = []
    evaluate_chunk(tmp_path, study, design, 1, lambda row: again.append(row) or evaluate(row))
    assert again == []  # a finished chunk returns at once

    fresh = tmp_path / "fresh"
    write_design(fresh, study)
    evaluate_chunk(fresh, study, design, 1, evaluate)
    assert pl.read_parquet(chunk_path(tmp_path, 1)).equals(pl.read_parquet(chunk_path(fresh, 1)))


@pytest.mark.parametrize("chunks", [1, 3])
def test_concurrent_evaluations_of_one_folder_split_the_work(tmp_path, ishigami_root, chunks):
    study = ishigami_study(ishigami_root, tmp_path, n=8, chunks=chunks)
    design = write_design(tmp_path, study)
    evaluate, evaluated = evaluator(study), []

    def slow(row):
        time.sleep(0.005)  # long enough for the two jobs to overlap
        evaluated.append(tuple(row))
        return evaluate(row)

    jobs = [
        threading.Thread(
            target=evaluate_chunks, args=(tmp_path, study, design, list(range(chunks)), slow)
        )
        for _ in range(2)
    ]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join()
    assert sorted(evaluated) == sorted(map(tuple, design))  # every row once, by one job
    assert len(merge(tmp_path, study)) == study.rows
    assert not list((tmp_path / evaluate_module.CHUNKS).glob("chunk_*/"))  # no part files
    assert not list((tmp_path / evaluate_module.CHUNKS).glob("*.lock"))


def test_a_lock_held_by_a_live_job_is_respected_and_a_dead_ones_taken_over(tmp_path):
    path = tmp_path / "chunk_0.lock"
    with lock.hold(path) as other:
        assert other is None and lock.Holder.read(path).pid == os.getpid()
        with lock.hold(path) as second:
            assert second is not None and second.pid == os.getpid()
    assert not path.exists()

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], text=True,
                          capture_output=True, check=True)  # fmt: skip
    path.write_text(f"{socket.gethostname()} {int(dead.stdout)} - abc\n")
    with lock.hold(path) as other:
        assert other is None  # its process is gone
    path.write_text(f"{socket.gethostname()} {os.getpid()} 1 abc\n")
    with lock.hold(path) as other:
        assert other is None  # its process id now belongs to a later process

    path.write_text("another-node 1 - abc\n")
    with lock.hold(path) as other:
        assert other is not None and other.host == "another-node"  # fresh: alive
    old = time.time() - lock.STALE_S - 1
    os.utime(path, (old, old))
    with lock.hold(path) as other:
        assert other is None  # silent for too long: its job died


def test_merge_needs_every_row_exactly_once(tmp_path, ishigami_root):
    study = ishigami_study(ishigami_root, tmp_path, n=16, chunks=2)
    design = write_design(tmp_path, study)
    evaluate_chunk(tmp_path, study, design, 0, evaluator(study))
    with pytest.raises(SendsimError, match=r"1 of 2 chunks not evaluated yet \(1\)"):
        merge(tmp_path, study)
    pl.read_parquet(chunk_path(tmp_path, 0)).write_parquet(chunk_path(tmp_path, 1))
    with pytest.raises(SendsimError, match="missing: 48, 49"):
        merge(tmp_path, study)


def test_common_random_numbers_and_the_noise_dummy(tmp_path):
    root = compose(*TINY, f"sensitivity.dir={tmp_path}")
    study = Study.from_config(root)
    seeds = study.replicate_seeds(dummy=0.25)
    assert len(set(seeds)) == 2 and all(0 <= s < 2**31 for s in seeds)
    assert study.replicate_seeds(dummy=0.25) == seeds != study.replicate_seeds(dummy=0.5)
    rechunked = dataclasses.replace(root.sensitivity, chunks=3)
    assert (
        Study.from_config(dataclasses.replace(root, sensitivity=rechunked)).replicate_seeds(
            dummy=0.25
        )
        == seeds
    )

    row = np.array([1.3, 7.6, 0.25])  # therapists, months to hearing, dummy
    model = SendsimEvaluator(study)
    config = model.config(row)
    assert config.behaviour.redress.months_to_hearing == 8
    assert config.policy.workforce.therapists == 1.3
    assert config.area.code == "E06000017" and config.run.years == 1
    other_dummy = np.array([1.3, 7.6, 0.75])
    assert not np.array_equal(model(row), model(other_dummy))  # other seeds: noise
    inert = dataclasses.replace(study, noise_dummy=False)
    assert inert.replicate_seeds(dummy=0.25) == inert.replicate_seeds(dummy=0.75)
    crn = SendsimEvaluator(inert)
    assert np.array_equal(crn(row), crn(other_dummy))  # an inert dummy changes nothing


@pytest.mark.slow
def test_basic_and_joblib_launchers_give_identical_results(tmp_path):
    """The same design evaluated as 3 chunks by the basic and the joblib launcher."""
    folders = []
    for launcher in ("basic", "joblib"):
        folder = tmp_path / launcher
        study = [*TINY, "sensitivity.chunks=3", f"sensitivity.dir={folder}"]
        for stage, extra in (
            ("design", []),
            ("evaluate", ["-m", "sensitivity.chunk=range(0,3)", f"hydra/launcher={launcher}"]),
            ("analyze", []),
        ):
            cmd = [
                sys.executable,
                "-m",
                "sendsim.sensitivity",
                *study,
                f"sensitivity.stage={stage}",
            ]
            done = subprocess.run([*cmd, *extra], cwd=tmp_path, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr[-3000:]
        folders.append(str(folder))
    compare = REPO / "tests" / "slurm" / "same_results.py"
    done = subprocess.run([sys.executable, compare, *folders], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def test_ishigami_function_is_the_published_one():
    from sendsim.sensitivity.models import ishigami

    assert ishigami(math.pi / 2, math.pi / 2, 1.0) == pytest.approx(1 + 7 + 0.1)


def test_a_morris_design_stays_within_every_declared_range(tmp_path):
    """SALib's scaling of the top grid level can overshoot a bound by a rounding error (0.9
    came out as 0.9000000000000001), which the model's config refuses: the design is not."""
    root = compose("sensitivity.method=morris", "sensitivity.n=10", f"sensitivity.dir={tmp_path}")
    study = Study.from_config(root)
    design = study.sample()
    low, high = np.array([[f.low, f.high] for f in study.factors]).T
    assert np.all((design >= low) & (design <= high))
    column = study.names.index("behaviour.assessment.issue_reference_level")
    SendsimEvaluator(study).config(design[np.argmax(design[:, column])])  # refused before


@pytest.mark.parametrize(
    ("method", "n", "column", "tolerance"),
    [("sobol", 1024, "ST", 0.03), ("morris", 100, "mu_star", 0.4)],
)
def test_an_output_without_a_value_in_some_rows_is_estimated_from_the_other_blocks(
    tmp_path, ishigami_root, caplog, method, n, column, tolerance
):
    """Pupils with plans at Key Stage 2 can be none in a run where a factor ends young
    children's plans: their share has no value there. Each of Sobol's base samples (as each
    of Morris's trajectories) is an estimate of its own, so the output is analysed on those
    with a value in every row, and named in the log."""
    study = ishigami_study(ishigami_root, tmp_path, method=method, n=n)
    design = study.sample()
    y = np.array([ishigami_row(study, row) for row in design])
    full = convergence(study, design, y, ["y"], np.ones(study.n, bool))[-1]
    y[[5, 200, 400]] = np.nan  # in three blocks
    [(columns, blocks)] = output_groups(study, y)
    assert columns == [0] and blocks.sum() == study.n - 3
    assert "y has no value in 3 of" in caplog.text
    part = convergence(study, design, y, ["y"], blocks)[-1]
    assert part["n"][0] == study.n - 3 and not part[column].is_nan().any()
    np.testing.assert_allclose(part[column], full[column], atol=tolerance)
    y[:: study.rows // study.n] = np.nan  # a row of every block
    with pytest.raises(SendsimError, match="no output has a value in enough design rows"):
        output_groups(study, y)
