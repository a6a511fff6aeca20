"""``sendsim run`` ends by saying where its results are, with three headline figures."""

from __future__ import annotations

import polars as pl

from sendsim.app import simulate
from sendsim.headlines import _money, headlines
from sendsim.results import SUMMARY
from tests.conftest import make_config
from tests.test_cli import sendsim


def test_headlines_name_the_folder_and_three_figures_with_units(tmp_path):
    simulate(make_config(), tmp_path, progress=False)
    row = pl.read_parquet(tmp_path / SUMMARY).row(0, named=True)
    text = headlines(tmp_path)
    assert text.splitlines()[0] == f"sendsim: results in {tmp_path}"
    assert "Rutland, January 2023:" in text
    assert f"EHC plans in force                {row['ehcp_caseload']:,.0f} plans" in text
    assert f"High needs spend, last 12 months  {_money(row['hn_spend_gbp'])}" in text
    assert "Cumulative DSG balance" in text


def test_money_reads_as_millions_or_billions():
    assert _money(-1_388_700.0) == "-£1.4m"
    assert _money(8_626_500_000.0) == "£8.63bn"
    assert _money(None) == "n/a"


def test_sendsim_run_prints_the_headlines_last(tmp_path):
    out = sendsim("run", "area=rutland", "run.years=1", f"hydra.run.dir={tmp_path / 'r'}")
    assert out.returncode == 0, out.stderr
    last = out.stdout.strip().splitlines()[-5:]
    assert last[0] == f"sendsim: results in {tmp_path / 'r'}"
    assert "Cumulative DSG balance" in last[-1] and "£" in last[-1]
