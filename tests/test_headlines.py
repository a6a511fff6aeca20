"""``sendsim run`` ends by saying where its results are, with three headline figures."""

from __future__ import annotations

import polars as pl

from sendsim.app import simulate
from sendsim.headline import run_summary
from sendsim.report.units import fmt
from sendsim.results import SUMMARY
from tests.conftest import make_config
from tests.test_cli import sendsim


def test_run_summary_names_the_folder_and_three_figures_with_units(tmp_path):
    simulate(make_config(), tmp_path, progress=False)
    row = pl.read_parquet(tmp_path / SUMMARY).row(0, named=True)
    text = run_summary(tmp_path)
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
