"""Headline indicators: one declaration read by studies, the report and sensitivity defaults,
labelled with the dates of the runs they come from."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from sendsim import headline as H
from sendsim.app import simulate
from sendsim.config import precheck
from sendsim.config.nested import differences, lookup
from sendsim.config.params import iter_params
from sendsim.config.schema import SendsimConfig
from sendsim.dates import month_start
from sendsim.model.metrics import METRIC_BY_NAME
from sendsim.report.collect import NEEDED_METRICS, load
from sendsim.report.messages import INFLATION_KEY
from sendsim.report.tables import COMPARISONS, comparison_table
from sendsim.report.units import fmt
from sendsim.results import SUMMARY, TIMESERIES
from sendsim.sensitivity import outputs as outs
from sendsim.sensitivity.config import CONFIG_NAME, SensitivityRoot, register
from sendsim.sensitivity.study import Study
from sendsim.study import compare
from tests.conftest import make_config
from tests.test_cli import sendsim

START = dt.date(2022, 1, 1)
OVERRIDE_END = "2022-12"  # inside a two-year run, so both points are reached
SEEDS = (1, 2)
MONTHS = {f"{dt.date(2000, m, 1):%B}": m for m in range(1, 13)}


@pytest.fixture(scope="module")
def two_year_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Rutland, two years from January 2022, the override ending December 2022, two seeds."""
    root = tmp_path_factory.mktemp("headline")
    for seed in SEEDS:
        settings = {
            "run.years": 2,
            "run.seed": seed,
            "policy.funding.statutory_override_end": OVERRIDE_END,
        }
        simulate(make_config(**settings), root / str(seed), progress=False)
    return root


def months_named(when: str) -> tuple[str, list[dt.date]]:
    """What a label's date part names: a stock's date, or the months a flow is summed over."""
    if match := re.fullmatch(r"([A-Z][a-z]+) (\d{4})", when):
        return "stock", [dt.date(int(match[2]), MONTHS[match[1]], 1)]
    if match := re.fullmatch(r"(\d{4})-(\d{2})", when):
        first = int(match[1])
        return "flow", [dt.date(first + (m < 4), m, 1) for m in (*range(4, 13), *range(1, 4))]
    year = int(when)
    return "flow", [dt.date(year, m, 1) for m in range(1, 13)]


def value_named(ts: pl.DataFrame, indicator: H.Indicator, when: str) -> float:
    """One run's value of an indicator on the dates its label names, read independently."""
    reading, dates = months_named(when)
    assert reading == ("stock" if indicator.reading in ("stock", "yearly") else "flow")
    if indicator.reading == "yearly":
        assert dates[0].month == 9  # results: the September after the exams

    def total(metric: str) -> float:
        rows = ts.filter(pl.col("metric") == metric, pl.col("date").is_in(dates))
        assert rows.height == len(dates), f"{metric} lacks some of {when}"
        return rows["value"].sum()

    value = total(indicator.metric)
    if indicator.denominator:
        value /= total(indicator.denominator)
    return value * indicator.scale


def test_study_labels_name_the_dates_their_values_come_from(two_year_runs):
    table = compare(two_year_runs)
    measures = table["measure"].to_list()
    assert measures[:2] == ["EHC plans, January 2023", "EHC plans, January 2024"]
    assert "High-needs spend, 2022" in measures and "High-needs spend, 2023" in measures
    assert not [m for m in measures if "2028" in m or "2032" in m]
    series = [pl.read_parquet(two_year_runs / str(s) / TIMESERIES) for s in SEEDS]
    by_label = {i.label: i for i in H.INDICATORS}
    for row in table.iter_rows(named=True):
        label, _, when = row["measure"].rpartition(", ")
        indicator = by_label[label]
        expected = np.median([value_named(ts, indicator, when) for ts in series])
        assert row["median"] == pytest.approx(expected, rel=1e-9), row["measure"]
        assert row["unit"] == indicator.unit and row["runs"] == len(SEEDS)


def test_report_and_study_read_the_same_declarations(two_year_runs):
    data = load([two_year_runs])
    report = pl.concat(comparison_table(data, topic).data for topic in COMPARISONS)
    study = compare(two_year_runs)
    points = H.points(START, dt.date(2024, 1, 1), month_start(OVERRIDE_END))
    ordered = [i for topic in COMPARISONS for i in H.INDICATORS if i.topic == topic]
    expected = [(i.label, p.when(i.reading)) for i in ordered for p in points]
    assert list(report.select("indicator", "measured").iter_rows()) == expected
    study_order = [(i.label, p.when(i.reading)) for i in H.INDICATORS for p in points]
    assert study["measure"].to_list() == [f"{label}, {when}" for label, when in study_order]
    scales = {(i.label, p.when(i.reading)): i.scale for i in H.INDICATORS for p in points}
    medians = dict(zip(study["measure"], study["median"], strict=True))
    for label, when, median in report.select("indicator", "measured", "median").iter_rows():
        assert medians[f"{label}, {when}"] == pytest.approx(median * scales[label, when])


def compose(*overrides: str) -> SensitivityRoot:
    register()
    return precheck.compose_config(list(overrides), CONFIG_NAME, SensitivityRoot)


@pytest.mark.parametrize(
    ("overrides", "dsg_output"),
    [
        ((), "dsg_cumulative_balance_gbp@2028-04"),  # ten years: the declared March 2028 end
        (("run.years=2", f"policy.funding.statutory_override_end={OVERRIDE_END}"), "@2023-01"),
        (("run.years=1",), "dsg_cumulative_balance_gbp@end"),  # the run ends before the override
    ],
)
def test_default_sensitivity_outputs_are_the_headline_ones(overrides, dsg_output):
    study = Study.from_config(compose(*overrides))
    declared = [i.metric for i in H.INDICATORS if i.sensitivity]
    assert [o.partition("@")[0] for o in study.outputs] == declared
    assert [o for o in study.outputs if o.endswith(dsg_output)]
    dates = outs.run_dates(study.config["run"]["start"], study.config["run"]["years"])
    assert all(not isinstance(outs.parse(o, dates), str) for o in study.outputs)


def test_a_one_year_sensitivity_analysis_is_valid_with_default_outputs():
    precheck.prepare(["area=rutland", "run.years=1"], CONFIG_NAME, SensitivityRoot)


def test_override_end_is_read_from_the_config_else_its_declared_default():
    declared = next(p.default for p in iter_params(SendsimConfig) if p.path == H.OVERRIDE_END_KEY)
    assert H.override_last_month({}) == month_start(declared)
    config = {"policy": {"funding": {"statutory_override_end": "2025-06"}}}
    assert H.override_last_month(config) == dt.date(2025, 6, 1)


def test_points_follow_the_run_and_the_override():
    march_2028 = dt.date(2028, 3, 1)
    override, end = H.points(START, dt.date(2032, 1, 1), march_2028)
    assert (override.key, override.stock_date, override.reached) == (
        "override",
        dt.date(2028, 4, 1),
        True,
    )
    assert override.when("stock") == "April 2028" and override.when("flow") == "2027-28"
    assert end.when("stock") == "January 2032" and end.when("ratio") == "2031"
    short = H.points(START, dt.date(2023, 1, 1), march_2028)
    assert [(p.key, p.reached) for p in short] == [("override", False), ("end", True)]
    assert [p.key for p in H.points(START, dt.date(2028, 4, 1), march_2028)] == ["end"]
    assert [p.key for p in H.points(START, dt.date(2030, 1, 1), dt.date(2020, 3, 1))] == ["end"]
    assert H.period_label(dt.date(2026, 2, 1), dt.date(2027, 1, 1)) == "Feb 2026\u2013Jan 2027"


def test_declarations_name_published_metrics_the_report_loads():
    for indicator in H.INDICATORS:
        for name in filter(None, (indicator.metric, indicator.denominator)):
            assert not METRIC_BY_NAME[name].internal and name in NEEDED_METRICS
        if indicator.denominator:
            assert {METRIC_BY_NAME[indicator.metric].timing} == {"flow"}
        if indicator.sensitivity == "override":
            assert indicator.reading == "stock"  # a YYYY-MM horizon of a flow is one month
    assert INFLATION_KEY in {p.path for p in iter_params(SendsimConfig)}


def test_nested_differences_and_lookup():
    a = {"run": {"seed": 1, "years": 10}, "area": "leeds", "x": 0.1 + 0.2}
    b = {"run": {"seed": 2, "years": 10}, "x": 0.3, "extra": True}
    assert differences(a, b) == [("run.seed", 1, 2), ("area", "leeds", None), ("extra", None, True)]
    assert lookup(a, "run.years") == 10 and lookup(a, "run.start") is None
    assert lookup(None, "run") is None


def test_run_summary_names_the_folder_and_three_figures_with_units(tmp_path):
    simulate(make_config(), tmp_path, progress=False)
    row = pl.read_parquet(tmp_path / SUMMARY).row(0, named=True)
    text = H.run_summary(tmp_path)
    assert text.splitlines()[0] == f"sendsim: results in {tmp_path}"
    assert "Rutland, January 2023" in text
    assert f"{fmt(row['ehcp_caseload'], 'count')}" in text.splitlines()[2]
    assert "EHC plans" in text and "High-needs spend" in text
    assert fmt(row["hn_spend_gbp"], "money") in text
    assert "Cumulative DSG balance" in text


def test_sendsim_run_prints_the_summary_last(tmp_path):
    out = sendsim("run", "area=rutland", "run.years=1", f"hydra.run.dir={tmp_path / 'r'}")
    assert out.returncode == 0, out.stderr
    last = out.stdout.strip().splitlines()[-5:]
    assert last[0] == f"sendsim: results in {tmp_path / 'r'}"
    assert "Cumulative DSG balance" in last[-1] and "£" in last[-1]
