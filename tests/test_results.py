"""The results contract: files, columns, metrics and atomic writes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from sendsim.io import write_parquet
from sendsim.model.metrics import METRIC_BY_NAME, METRICS
from sendsim.results import ENGLAND_CODE, META, SUMMARY, TIMESERIES, RunResults, write_run

REQUIRED = [
    "ehcp_caseload",
    "ehcp_per_10k_0_25",
    "sen_support",
    "requests",
    "assessments",
    "refusals_to_assess",
    "new_plans",
    "ceased_plans",
    "issued_within_20_weeks_share",
    "tribunal_appeals",
    "placement_share_mainstream",
    "placement_share_resourced",
    "placement_share_state_special",
    "placement_share_independent",
    "placement_share_ap",
    "placement_share_post16",
    "placement_share_neet",
    "hn_income_gbp",
    "hn_spend_gbp",
    "dsg_in_year_balance_gbp",
    "dsg_cumulative_balance_gbp",
    "mean_months_unmet_need",
    "neet_rate_16_25",
    "progress_index",
    "ks2_rwm_expected_share_no_sen",
    "ks2_rwm_expected_share_sen_support",
    "ks2_rwm_expected_share_ehcp",
    "attainment8_no_sen",
    "attainment8_sen_support",
    "attainment8_ehcp",
    "level2_em_at_19_share_sen_support",
    "level2_em_at_19_share_ehcp",
    "sen_16_17_in_education_share",
    "ks4_destination_eet_share_ehcp",
]


def test_required_metrics_are_registered_with_unit_and_label():
    for name in REQUIRED:
        m = METRIC_BY_NAME[name]
        assert m.unit and m.label and not m.internal, name
    assert len({m.name for m in METRICS}) == len(METRICS)


def test_run_writes_the_three_files(tmp_path, small_run):
    write_run(tmp_path, small_run, {"any": "config"}, 1.0)
    ts = pl.read_parquet(tmp_path / TIMESERIES)
    assert ts.columns == ["run_id", "scenario", "seed", "la_code", "date", "metric", "value"]
    assert ts.schema["date"] == pl.Date and ts.schema["value"] == pl.Float64
    assert ts["date"].dt.day().unique().to_list() == [1]
    assert set(REQUIRED) <= set(ts["metric"].unique())
    assert ts.filter(pl.col("metric") == "ehcp_caseload").height == 25  # 24 months + final
    summary = pl.read_parquet(tmp_path / SUMMARY)
    assert summary.height == 1 and set(REQUIRED) <= set(summary.columns)
    meta = json.loads((tmp_path / META).read_text())
    for key in (
        "config",
        "config_hash",
        "sendsim_version",
        "git_commit",
        "python",
        "numpy",
        "mesa",
        "wall_time_s",
    ):
        assert key in meta


def test_counts_are_scaled_and_ratios_come_from_their_parts(small_run):
    results = RunResults(small_run)
    ehcp = results.metric(METRIC_BY_NAME["ehcp_caseload"])
    mainstream = results.metric(METRIC_BY_NAME["ehcp_mainstream"])
    share = results.metric(METRIC_BY_NAME["placement_share_mainstream"])
    np.testing.assert_allclose(share, mainstream / ehcp)
    assert ehcp[0, 0] == pytest.approx(
        small_run.recorder.stocks["ehcp_caseload"][0, 0] * small_run.scale
    )


def test_england_runs_add_a_national_row(england_run):
    results = RunResults(england_run)
    assert results.codes[-1] == ENGLAND_CODE and len(results.codes) == 154
    ehcp = results.metric(METRIC_BY_NAME["ehcp_caseload"])
    np.testing.assert_allclose(ehcp[:, -1], ehcp[:, :-1].sum(axis=1))
    within = results.horizon_value(METRIC_BY_NAME["issued_within_20_weeks_share"])
    assert 0 <= within[-1] <= 1


def test_a_failed_write_leaves_no_file(tmp_path, monkeypatch):
    target = tmp_path / "out.parquet"

    def half_write(self, path, **kwargs):
        Path(path).write_bytes(b"PAR1 partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(pl.DataFrame, "write_parquet", half_write)
    with pytest.raises(KeyboardInterrupt):
        write_parquet(pl.DataFrame({"a": [1]}), target)
    assert list(tmp_path.iterdir()) == []
