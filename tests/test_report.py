"""The board report: run discovery, bad input, numbers, tables, charts and files."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from sendsim.config.params import iter_params
from sendsim.config.schema import SendsimConfig
from sendsim.dates import add_months
from sendsim.report import charts, write_report
from sendsim.report import series as S
from sendsim.report.build import sensitivity_charts
from sendsim.report.collect import NEEDED_METRICS, find_runs, load, read_indices
from sendsim.report.command import main
from sendsim.report.messages import key_messages
from sendsim.report.page import png_size
from sendsim.report.tables import dbv_table
from sendsim.report.units import fmt, fmt_range
from sendsim.results import ENGLAND_CODE, META, SUMMARY, TIMESERIES, config_hash, write_run
from tests.conftest import make_config

RUTLAND = "E06000017"
FLOWS = {m for m in NEEDED_METRICS if m.startswith("hn_") or m in ("new_plans",)} | {
    "issued_within_20_weeks"
}
Value = Callable[[str, int, int], float]


def default_value(metric: str, month: int, seed: int) -> float:
    """Smooth made-up values: shares stay in 0-1, money grows, seeds differ a little."""
    if "share" in metric or metric in ("neet_rate_16_25",):
        return 0.2 + 0.001 * month + 0.01 * seed
    if metric == "issued_within_20_weeks":
        return 5.0 + seed
    if metric == "new_plans":
        return 10.0
    if metric == "dsg_cumulative_balance_gbp":
        return -1e6 * month * seed
    return 1000.0 * (1 + 0.01 * month) + seed


def fake_run(
    path: Path,
    scenario: str = "baseline",
    seed: int = 1,
    years: int = 3,
    codes: tuple[str, ...] = (RUTLAND,),
    value: Value = default_value,
    **overrides: object,
) -> Path:
    """Write a run directory with the results contract's three files and chosen values."""
    config = dataclasses.asdict(
        make_config(
            **{"scenario.name": scenario, "run.seed": seed, "run.years": years, **overrides}
        )
    )
    months = years * 12 + 1
    dates = [add_months(dt.date(2022, 1, 1), m) for m in range(months)]
    rows = [
        (
            code,
            dates[m],
            metric,
            None if metric in FLOWS and m == months - 1 else value(metric, m, seed),
        )
        for code in codes
        for metric in NEEDED_METRICS
        for m in range(months)
    ]
    run_id = config_hash(config)[:12]
    ts = pl.DataFrame(rows, schema=["la_code", "date", "metric", "value"], orient="row")
    ts = ts.select(
        pl.lit(run_id).alias("run_id"),
        pl.lit(scenario).alias("scenario"),
        pl.lit(seed, pl.Int64).alias("seed"),
        "la_code",
        pl.col("date").cast(pl.Date),
        "metric",
        pl.col("value").cast(pl.Float64),
    )
    path.mkdir(parents=True, exist_ok=True)
    ts.write_parquet(path / TIMESERIES)
    names = {RUTLAND: "Rutland", ENGLAND_CODE: "England", "E08000035": "Leeds"}
    pl.DataFrame(
        {
            "run_id": run_id,
            "scenario": scenario,
            "seed": pl.Series([seed] * len(codes), dtype=pl.Int64),
            "la_code": list(codes),
            "la_name": [names.get(c, c) for c in codes],
        }
    ).write_parquet(path / SUMMARY)
    meta = {
        "run_id": run_id,
        "config_hash": config_hash(config),
        "config": config,
        "sendsim_version": "0.1.0",
        "git_commit": "abc123",
        "data_vintage": "SEN2 to January 2022",
    }
    (path / META).write_text(json.dumps(meta), encoding="utf-8")
    return path


def sweep(root: Path, scenario: str, seeds: tuple[int, ...] = (1, 2, 3), **kw: object) -> Path:
    for i, seed in enumerate(seeds):
        fake_run(root / scenario / str(i), scenario, seed, **kw)
    return root / scenario


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    return exit_info.value.code, capsys.readouterr().err


# --- discovery and bad input -------------------------------------------------------------


def test_runs_are_found_at_any_depth_in_natural_order(tmp_path):
    for n in (10, 2, 1):
        fake_run(tmp_path / "sweep" / str(n), seed=n)
    fake_run(tmp_path / "deep" / "a" / "b" / "run", scenario="other")
    (tmp_path / "sweep" / "2" / ".hydra").mkdir()
    found = find_runs([tmp_path / "sweep", tmp_path / "deep"])
    assert [p.name for p in found] == ["1", "2", "10", "run"]
    assert find_runs([tmp_path / "sweep" / "2"]) == [(tmp_path / "sweep" / "2").resolve()]


def test_the_same_run_given_twice_counts_once(tmp_path):
    run = fake_run(tmp_path / "run")
    data = load([run, tmp_path])
    assert len(data.runs) == 1


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda run: (run / SUMMARY).unlink(), "summary.parquet: missing"),
        (lambda run: (run / TIMESERIES).write_bytes(b"not parquet"), "timeseries.parquet"),
        (lambda run: (run / META).write_text("{oops", encoding="utf-8"), "run_meta.json"),
        (lambda run: (run / META).write_text('{"run_id": 1}', encoding="utf-8"), "lacks"),
    ],
)
def test_a_missing_or_malformed_file_exits_2_naming_it_and_writes_nothing(
    tmp_path, capsys, damage, message
):
    runs = sweep(tmp_path / "in", "baseline")
    damage(runs / "1")
    out = tmp_path / "out" / "report.html"
    code, err = run_main([str(runs), "--out", str(out)], capsys)
    assert code == 2
    assert message in err and str(runs / "1") in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_help_explains_input_output_and_examples(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    text = capsys.readouterr().out
    assert exit_info.value.code == 0
    assert "RESULTS_DIR" in text and "--area" in text and "_files/" in text and "examples" in text


def test_out_must_be_a_file(tmp_path, capsys):
    fake_run(tmp_path / "run")
    code, err = run_main([str(tmp_path / "run"), "--out", str(tmp_path)], capsys)
    assert code == 2 and "is a directory" in err


def test_no_runs_exits_2_naming_the_directory(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    out = tmp_path / "report.html"
    code, err = run_main([str(tmp_path / "empty"), "--out", str(out)], capsys)
    assert code == 2 and "no runs found" in err and str(tmp_path / "empty") in err
    code, err = run_main([str(tmp_path / "nowhere"), "--out", str(out)], capsys)
    assert code == 2 and "no such results directory" in err
    assert list(tmp_path.iterdir()) == [tmp_path / "empty"]


def test_runs_of_different_councils_need_area_and_it_must_be_in_every_run(tmp_path, capsys):
    fake_run(tmp_path / "rutland", scenario="a")
    fake_run(tmp_path / "leeds", scenario="b", codes=("E08000035",), **{"area.code": "E08000035"})
    out = tmp_path / "out" / "r.html"
    code, err = run_main([str(tmp_path), "--out", str(out)], capsys)
    assert code == 2 and "--area" in err and "Leeds" in err and "Rutland" in err
    code, err = run_main([str(tmp_path), "--out", str(out), "--area", "Rutland"], capsys)
    assert code == 2 and str(tmp_path / "leeds" / SUMMARY) in err
    code, err = run_main([str(tmp_path), "--out", str(out), "--area", "Nowhereshire"], capsys)
    assert code == 2 and "--area" in err
    assert not out.parent.exists()


def test_england_row_is_the_default_and_area_picks_a_council(tmp_path):
    fake_run(tmp_path / "run", codes=(RUTLAND, "E08000035", ENGLAND_CODE))
    assert load([tmp_path]).area_code == ENGLAND_CODE
    data = load([tmp_path], area="rutland")
    assert (data.area_code, data.area_name) == (RUTLAND, "Rutland")


def test_replicates_of_a_scenario_must_differ_only_in_seed(tmp_path, capsys):
    fake_run(tmp_path / "0", seed=1)
    fake_run(tmp_path / "1", seed=2, **{"policy.workforce.therapists": 1.3})
    code, err = run_main([str(tmp_path), "--out", str(tmp_path / "r.html")], capsys)
    assert code == 2 and "policy.workforce.therapists" in err and "scenario.name" in err
    assert not (tmp_path / "r.html").exists()


# --- numbers ----------------------------------------------------------------------------


def test_bands_are_percentiles_across_seeds():
    values = [3.0, 1.0, 4.0, 1.5, 9.0]
    frame = pl.DataFrame(
        {"scenario": "a", "seed": range(5), "date": dt.date(2022, 1, 1), "value": values}
    )
    row = S.bands(frame, "date").row(0, named=True)
    for q in S.PERCENTILES:
        assert row[f"p{q}"] == pytest.approx(np.percentile(values, q))
    assert row["runs"] == 5
    single = S.bands(frame.head(1)).row(0, named=True)
    assert single["p5"] == single["p50"] == single["p95"] == 3.0


def test_fan_chart_bands_come_from_the_runs(tmp_path):
    def value(metric: str, month: int, seed: int) -> float:
        return {1: 10.0, 2: 20.0, 3: 60.0}[seed] * (month + 1)

    sweep(tmp_path, "baseline", value=value)
    data = load([tmp_path])
    bands = S.bands(S.monthly(data.series, "ehcp_caseload"), "date")
    row = bands.filter(pl.col("date") == dt.date(2022, 3, 1)).row(0, named=True)
    per_seed = [30.0, 60.0, 180.0]
    assert row["p50"] == 60.0
    assert row["p5"] == pytest.approx(np.percentile(per_seed, 5))
    assert row["p95"] == pytest.approx(np.percentile(per_seed, 95))


def test_rolling_ratio_and_financial_years(tmp_path):
    def value(metric: str, month: int, seed: int) -> float:
        return {"issued_within_20_weeks": month % 2, "new_plans": 2.0}.get(metric, month)

    fake_run(tmp_path, value=value)
    data = load([tmp_path])
    rolling = S.rolling_ratio(data.series, "issued_within_20_weeks", "new_plans")
    assert rolling["date"].min() == dt.date(2022, 12, 1)  # first full 12 months
    assert rolling["value"].to_list() == pytest.approx([6 / 24] * rolling.height)
    fy = S.by_financial_year(data.series, "hn_spend_gbp")
    assert fy["fy"].to_list() == [2022, 2023]  # Apr 2022-Mar 2023, Apr 2023-Mar 2024
    assert fy["value"][0] == sum(range(3, 15))


def test_dbv_breakdown_is_caseload_times_unit_cost(tmp_path):
    def value(metric: str, month: int, seed: int) -> float:
        if metric == "ehcp_mainstream":
            return 100.0 if month < 27 else 200.0  # 100 plans in 2022-23, 200 in 2024-25
        if metric == "hn_spend_mainstream_gbp":
            return 1000.0 if month < 27 else 3000.0
        if metric == "hn_spend_gbp":
            return 5000.0
        return 1.0

    sweep(tmp_path, "baseline", years=4, value=value)
    table = dbv_table(load([tmp_path]))
    rows = table.data.filter(pl.col("provision") == "Mainstream schools")
    first, last = rows.row(0, named=True), rows.row(-1, named=True)
    assert (first["financial_year"], last["financial_year"]) == ("2022-23", "2024-25")
    assert first["caseload"] == 100 and first["spend_gbp"] == 12_000
    assert first["unit_cost_gbp"] == 120 and last["unit_cost_gbp"] == 36_000 / 200
    cells = table.rows[0]
    assert cells[0] == "Mainstream schools" and cells[-3:] == ["+100.0%", "+200.0%", "+50.0%"]
    total = table.data.filter(pl.col("provision") == "Total")
    assert total["spend_gbp"].to_list() == [60_000, 60_000]
    assert total["caseload"][0] == 100 + 8 * 1.0  # mainstream plus the eight other provisions


def test_key_messages_use_the_numbers(tmp_path):
    def value(metric: str, month: int, seed: int) -> float:
        if metric == "dsg_cumulative_balance_gbp":
            return -1e6 * month * (1 + seed / 10)
        if metric == "councils_deficit_over_reserves":
            return float(seed == 3 and month > 75)
        return default_value(metric, month, seed)

    sweep(tmp_path, "baseline", years=7, value=value)
    sweep(tmp_path, "better", years=7, value=lambda m, t, s: value(m, t, s) / 2)
    data = load([tmp_path])
    messages = key_messages(data)
    assert 3 <= len(messages) <= 6
    at_override = [-1e6 * 75 * (1 + s / 10) for s in (1, 2, 3)]  # 1 April 2028 is month 75
    median = -np.median(at_override)
    low = min(-np.percentile(at_override, [90, 10]))
    first = messages[0]
    assert first.startswith("Under the baseline, the cumulative DSG deficit reaches")
    assert f"{fmt(median, 'money')} (range {fmt(low, 'money')}" in first
    assert "statutory override ends in March 2028" in first
    assert "exceeds its usable reserves by January 2029 in 1 of 3 runs" in first
    assert "better" in messages[-1] and "smaller" in messages[-1]


def test_key_messages_count_councils_whose_deficits_outrun_their_reserves(tmp_path):
    def value(metric: str, month: int, seed: int) -> float:
        if metric == "councils_deficit_over_reserves":
            return 10.0 * seed if month > 75 else 0.0
        return default_value(metric, month, seed)

    for i, seed in enumerate((1, 2, 3)):
        fake_run(tmp_path / str(i), seed=seed, years=7, codes=(ENGLAND_CODE,), value=value)
    first = key_messages(load([tmp_path]))[0]
    assert "By January 2029, 20 (range 12\u201328) councils' exposed deficits exceed" in first


def test_report_files_tables_and_page(tmp_path):
    sweep(tmp_path / "in", "baseline")
    sweep(tmp_path / "in", "more_therapists", **{"policy.workforce.therapists": 1.3})
    write_indices(tmp_path / "in" / "sobol" / "indices.parquet", "sobol")
    out = tmp_path / "out" / "board.html"
    written = write_report([tmp_path / "in"], out, title="Test & <report>")
    folder = out.parent / "board_files"
    assert written[0] == out and all(p.exists() for p in written)
    assert len(list(folder.glob("chart-*.png"))) == 8  # 7 fan charts and a tornado chart
    assert len(list(folder.glob("chart-*.csv"))) == 8
    comparison = pl.read_csv(folder / "table-children-comparison.csv")
    assert set(comparison["scenario"]) == {"baseline", "more_therapists"}
    plans = comparison.filter(pl.col("indicator") == "EHC plans", pl.col("scenario") == "baseline")
    assert plans["median"].to_list() == pytest.approx([1000 * 1.36 + 2])  # Jan 2025, seed 2
    assumptions = pl.read_csv(folder / "table-assumptions.csv")
    therapists = assumptions.filter(pl.col("key") == "policy.workforce.therapists")
    assert dict(zip(therapists["scenario"], therapists["value"], strict=True)) == {
        "baseline": "1",
        "more_therapists": "1.3",
    }
    page = out.read_text(encoding="utf-8")
    assert "Test &amp; &lt;report&gt;" in page and "<script" not in page
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)" alt="([^"]+)"', page)
    assert len(images) == 8
    for (data, alt), png in zip(images, sorted(folder.glob("chart-*.png")), strict=True):
        assert base64.b64decode(data) == png.read_bytes()
        assert alt.startswith(("Chart: ", "Tornado chart: "))
    assert "baseline: median from" in images[0][1]
    assert page.index("Before the numbers") < page.index("Key messages") < page.index("<table")
    assert "not reached" in page  # the runs end before March 2028
    levers = [p for p in iter_params(SendsimConfig) if p.meta.kind == "policy"]
    assert all(f"[{p.path}]" in page.replace("<wbr>", "") for p in levers)


def test_charts_are_reproducible_pngs(tmp_path):
    sweep(tmp_path, "baseline", seeds=(1, 2))
    data = load([tmp_path])
    bands = S.bands(S.monthly(data.series, "ehcp_caseload"), "date")
    first, second = (charts.fan_chart(bands, data.scenarios, "Plans", "count") for _ in "ab")
    assert first == second
    width, height = png_size(first)
    assert width > 800 and height > 300


def write_indices(path: Path, method: str) -> Path:
    factors = ["policy.workforce.therapists", "behaviour.needs.emergence_per_year", "dummy"]
    frame = pl.DataFrame({"output": "ehcp_caseload@2028-04", "factor": factors})
    if method == "sobol":
        frame = frame.with_columns(
            S1=pl.Series([0.5, 0.1, 0.01]),
            S1_conf=0.02,
            ST=pl.Series([0.6, 0.2, 0.02]),
            ST_conf=0.03,
        )
    else:
        frame = frame.with_columns(mu_star=pl.Series([5.0, 1.0, 0.1]), mu_star_conf=0.2, sigma=1.0)
    frame.write_parquet(path, mkdir=True)
    return path


@pytest.mark.parametrize("method", ["sobol", "morris"])
def test_sensitivity_indices_give_tornado_charts_with_labels(tmp_path, method):
    indices = read_indices(write_indices(tmp_path / "indices.parquet", method))
    assert indices.method == method
    (chart,) = sensitivity_charts(indices)
    labels = {p.path: p.meta.label for p in iter_params(SendsimConfig)}
    assert chart.table.rows[0][0] == labels["policy.workforce.therapists"]
    assert chart.table.rows[-1][1] == "dummy"
    assert "Education, health and care plans in force, April 2028" in chart.title
    assert "noise" in chart.caption and png_size(chart.png)[0] > 800


def test_the_study_design_names_the_method(tmp_path):
    path = write_indices(tmp_path / "indices.parquet", "sobol")
    (tmp_path / "design.json").write_text('{"study": {"method": "fast"}}', encoding="utf-8")
    (chart,) = sensitivity_charts(read_indices(path))
    assert "FAST total-order index" in chart.title


def test_indices_with_unknown_columns_exit_2(tmp_path, capsys):
    fake_run(tmp_path / "run")
    pl.DataFrame({"output": ["x"], "factor": ["y"]}).write_parquet(tmp_path / "indices.parquet")
    code, err = run_main([str(tmp_path), "--out", str(tmp_path / "r.html")], capsys)
    assert code == 2 and "indices.parquet" in err and "Sobol" in err


def test_formatting():
    assert fmt(-13_165e6, "money") == "\u2212£13,200m"
    assert fmt(45.34e6, "money") == "£45.3m"
    assert fmt(0.4734, "share") == "47.3%"
    assert fmt(1_012_345, "count") == "1,010,000" and fmt(256.4, "count") == "256"
    assert fmt(None, "count") == "\u2013"
    assert fmt_range(1.0, 0.5, 2.0, 1, "share") == "100.0%"
    assert (
        fmt_range(-2e9, -3e9, -1e9, 3, "money") == "\u2212£2,000m (\u2212£3,000m to \u2212£1,000m)"
    )


# --- a real run -------------------------------------------------------------------------


def test_report_of_a_real_run(tmp_path, small_run):
    resolved = dataclasses.asdict(small_run.cfg)
    write_run(tmp_path / "run", small_run, resolved, 1.0)
    written = write_report([tmp_path], tmp_path / "report.html")
    page = written[0].read_text(encoding="utf-8")
    assert "Rutland" in page and "single run" in page and "(range" not in page
    assert "statutory override" in page
    dbv = pl.read_csv(tmp_path / "report_files" / "table-dbv-breakdown.csv")
    assert dbv["financial_year"].unique().to_list() == ["2022-23"]
    assert (dbv.filter(pl.col("provision") == "Total")["spend_gbp"] > 0).all()
