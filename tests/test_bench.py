"""The benchmark harness: measurements, bench.json, targets, scaling output, profiling.

No assertion here is about how fast the model is; only that the instrument measures and
reports what it says.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import numpy as np
import polars as pl
import pytest

from sendsim.bench import harness, scaling
from sendsim.bench.__main__ import main as bench_main
from sendsim.bench.mesa_baseline import OneAgentPerChild
from sendsim.data.areas import find_council
from sendsim.errors import SendsimError

RUTLAND = "E06000017"
BENCH = (sys.executable, "-m", "sendsim.bench")
TINY = harness.Plan(
    mode="test",
    configurations=(
        harness.Configuration("rutland", "Rutland, 1 year", (f"area={RUTLAND}", "run.years=1")),
    ),
    mesa=harness.MesaSample(agents=2_000, steps=2),
    warmup=False,
)
HEADLINE_KEYS = (
    "child_months_per_s",
    "mesa_ratio",
    "default_council_s",
    "england_full_s",
    "england_full_peak_gb",
    "configurations",
    "mesa_baseline",
    "targets",
    "machine",
    "date",
)
MACHINE_KEYS = ("cpu", "cores", "ram_gb", "python", "numpy", "mesa", "git_commit")


@pytest.fixture(scope="module")
def tiny_bench(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("bench")
    out = out_dir / "bench.json"
    out.write_text("old results")
    results = harness.run_plan(TINY, out)
    return results, out


def test_tiny_bench_writes_every_key_with_positive_measurements(tiny_bench):
    results, out = tiny_bench
    written = json.loads(out.read_text())
    assert written == json.loads(json.dumps(results))
    assert set(HEADLINE_KEYS) <= set(written)
    assert set(MACHINE_KEYS) <= set(written["machine"])
    assert written["default_council_s"] is None and written["england_full_s"] is None
    run = written["configurations"]["rutland"]
    for key in ("init_s", "run_s", "wall_s", "run_cpu_s", "peak_rss_gb", "child_months_per_s"):
        assert run[key] > 0, key
    assert run["peak_rss_gb"] >= run["rss_before_init_gb"]
    assert run["wall_s"] == pytest.approx(run["init_s"] + run["run_s"])
    assert written["child_months_per_s"] == pytest.approx(run["child_months"] / run["run_s"])


def test_child_months_are_the_simulated_children_over_the_months(tiny_bench):
    run = tiny_bench[0]["configurations"]["rutland"]
    published = find_council(RUTLAND)["pop_0_25"]
    assert run["months"] == 12
    assert run["children"] == pytest.approx(published, rel=0.05)
    assert 11 * run["children"] < run["child_months"] < 13 * run["children"]


def test_mesa_ratio_compares_like_with_like(tiny_bench):
    results = tiny_bench[0]
    mesa = results["mesa_baseline"]
    assert mesa["agent_steps"] == 2_000 * 2
    assert results["mesa_ratio"] == pytest.approx(
        results["child_months_per_s"] / mesa["agent_steps_per_s"]
    )
    scaled = mesa["scaled_to"]
    assert scaled["children"] == results["configurations"]["rutland"]["children"]
    assert scaled["run_s"] == pytest.approx(scaled["child_months"] / mesa["agent_steps_per_s"])


def test_bench_json_is_replaced_whole_with_no_temporary_files_left(tiny_bench):
    _, out = tiny_bench
    assert json.loads(out.read_text())["mode"] == "test"
    assert [p.name for p in out.parent.iterdir()] == ["bench.json"]


def test_targets_unmeasured_are_not_applicable_and_short_runs_are_extrapolated():
    details = {
        "default_council": {
            "label": "default council, 2 years",
            **{"months": 24, "years": 2, "init_s": 1.0, "run_s": 0.3, "wall_s": 1.3},
        },
    }
    results = {
        "configurations": details,
        "comparable_configuration": "default_council",
        "england_full_s": None,
        "england_full_peak_gb": None,
        "child_months_per_s": 12e6,
        "mesa_ratio": 20.0,
    }
    by_label = {t.label: t.evaluate(results) for t in harness.TARGETS}
    default = by_label["default council, whole population, 10 years"]
    assert default["value"] == pytest.approx(1.0 + 0.3 * 5)
    assert default["passed"] is True and "estimated from 2 years" in default["note"]
    assert by_label["England, whole population, 10 years"]["passed"] is None
    assert by_label["full-model speed"]["passed"] is True
    assert by_label["full-model speed"]["note"] == "measured on default council, 2 years"
    assert by_label["speed / one Mesa agent per child"]["passed"] is False


def test_mesa_baseline_ages_every_agent_and_counts_its_events():
    model = OneAgentPerChild(500, seed=3)
    ages = [a.age_months for a in model.agents]
    for _ in range(12):
        model.step()
    assert [a.age_months for a in model.agents] == [age + 12 for age in ages]
    assert model.events == sum(a.events for a in model.agents)
    assert 10 < model.events < 150  # 6,000 draws at 1%
    twin = OneAgentPerChild(500, seed=3)
    for _ in range(12):
        twin.step()
    assert twin.events == model.events


def test_the_plans_name_the_councils_and_the_largest_is_largest():
    from sendsim.data.areas import load_councils

    full = {c.name: c for c in harness.full_plan().configurations}
    assert set(full) == {"default_council", "largest_council", "england_0_1", "england_full"}
    largest_code = full["largest_council"].overrides[0].removeprefix("area=")
    councils = load_councils()
    assert find_council(largest_code)["pop_0_25"] == councils["pop_0_25"].max()
    assert all(o.endswith("years=10") for c in full.values() for o in c.overrides[-1:])
    quick = harness.quick_plan()
    assert "england_full" not in {c.name for c in quick.configurations}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--repeat", "0"], "--repeat 0: must be at least 1"),
        (["--profile", "atlantis"], "choose from default_council"),
    ],
)
def test_bad_options_exit_2_with_one_message(args, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        bench_main([*args, "--out", str(tmp_path / "bench.json")])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_bad_fractions_and_a_directory_as_out_are_refused(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        bench_main(["--scaling", "--fractions", "0.1,2"])
    assert exit_info.value.code == 2 and "must be in (0, 1]" in capsys.readouterr().err
    with pytest.raises(SendsimError, match="is a directory"):
        harness.run_plan(TINY, tmp_path)


def _fake_measurement(overrides: list[str]) -> dict[str, float]:
    """What a worker would report if time and memory were linear in the sample fraction."""
    fraction = float(next(o for o in overrides if "sample_fraction" in o).split("=")[1])
    children = 17.5e6 * fraction
    return {
        "months": 24,
        "children": children,
        "child_months": 24 * children,
        "init_s": 4.0 * children / 1e6,
        "init_cpu_s": 3.0 * children / 1e6,
        "run_s": 0.25 * 24 * children / 1e6,
        "run_cpu_s": 0.2 * 24 * children / 1e6,
        "rss_before_init_gb": 0.2,
        "peak_rss_gb": 0.25 + 0.1 * children / 1e6,
    }


def test_scaling_writes_csv_chart_and_docs_section(tmp_path, monkeypatch):
    monkeypatch.setattr(
        scaling, "run_worker", lambda kind, kwargs, label: _fake_measurement(kwargs["overrides"])
    )
    doc = tmp_path / "performance.md"
    doc.write_text(f"# Performance\n\n{scaling.SECTION_BEGIN}\nold\n{scaling.SECTION_END}\n\nend\n")
    frame, sizing = scaling.run_scaling((0.1, 0.01, 0.5), years=2, docs_dir=tmp_path)
    assert frame["sample_fraction"].to_list() == [0.01, 0.1, 0.5]
    assert sizing["run_s_per_million_child_months"] == pytest.approx(0.25)
    assert sizing["run_cpu_s_per_million_child_months"] == pytest.approx(0.2)
    assert sizing["gb_per_million_children"] == pytest.approx(0.1)
    assert sizing["base_gb"] == pytest.approx(0.25)
    assert sizing["init_s_per_million_children"] == pytest.approx(4.0)
    assert sizing["init_cpu_s_per_million_children"] == pytest.approx(3.0)
    written = pl.read_csv(tmp_path / "scaling.csv")
    assert written.height == 3
    assert written["projected_10y_s"][2] == pytest.approx(
        written["init_s"][2] + written["run_s"][2] * 5, rel=1e-3
    )
    assert (tmp_path / "scaling.png").read_bytes()[:4] == b"\x89PNG"
    text = doc.read_text()
    assert "old" not in text and text.startswith("# Performance") and text.endswith("end\n")
    assert "0.25 GB + 0.10 GB per million children" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "performance.md",
        "scaling.csv",
        "scaling.png",
    ]


def test_profile_names_the_mechanisms_and_writes_the_call_tree(tmp_path):
    pytest.importorskip("pyinstrument")
    from sendsim.bench.profiling import profile

    config = harness.Configuration("rutland", "Rutland", (f"area={RUTLAND}",))
    summary = profile(config, tmp_path, years=1, warmup=False)
    assert "monthly steps by mechanism" in summary
    assert "sendsim/model/mechanisms/" in summary  # sampled: which ones vary from run to run
    assert "build the model" in summary
    assert (tmp_path / "profile-rutland.html").stat().st_size > 0
    assert "sendsim/model/mechanisms/" in (tmp_path / "profile-rutland.txt").read_text()


def test_numpy_reference_is_a_positive_time():
    from sendsim.bench.machine import numpy_reference_s

    seconds = numpy_reference_s(repeats=1)
    assert np.isfinite(seconds) and 0 < seconds < 60


@pytest.mark.slow
def test_quick_bench_end_to_end(tmp_path):
    out = tmp_path / "bench.json"
    started = time.perf_counter()
    proc = subprocess.run(
        [*BENCH, "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    elapsed = time.perf_counter() - started
    assert proc.returncode == 0, proc.stderr
    assert elapsed < 90, f"sendsim bench --quick took {elapsed:.0f} s"
    results = json.loads(out.read_text())
    assert set(HEADLINE_KEYS) <= set(results) and results["mode"] == "quick"
    assert results["child_months_per_s"] > 0 and results["mesa_ratio"] > 0
    assert results["default_council_s"] > 0 and results["england_full_s"] is None
    assert set(results["configurations"]) == {"default_council", "england_0_02"}
    for line in ("child-months/s", "targets", "Mesa", "wrote"):
        assert line in proc.stdout
    print(proc.stdout)


@pytest.mark.slow
def test_scaling_end_to_end_on_small_samples(tmp_path):
    proc = subprocess.run(
        [*BENCH, "--scaling", "--fractions", "0.005,0.01", "--years", "1", "--docs", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    frame = pl.read_csv(tmp_path / "scaling.csv")
    assert frame["sample_fraction"].to_list() == [0.005, 0.01]
    assert frame["children"][1] == pytest.approx(2 * frame["children"][0], rel=0.05)
    assert (tmp_path / "scaling.png").exists()
