"""`sendsim lever-effects`: every lever measured, effects against today's run on the same
seed, and an interrupted measurement resumes."""

from __future__ import annotations

import polars as pl
import pytest

from sendsim import lever_effects
from sendsim.config.params import iter_params
from sendsim.config.schema import SendsimConfig
from sendsim.lever_effects import Case, LeverEffects


def test_every_lever_is_measured_at_the_far_end_of_its_range():
    levers = {p.path: p for p in iter_params(SendsimConfig) if p.meta.kind == "policy"}
    found = {case.lever: case for case in lever_effects.cases()}
    assert set(found) == set(levers) - lever_effects.NOT_MEASURED
    hv = found["policy.workforce.health_visitors"]
    assert hv.value == levers[hv.lever].meta.high  # 0.6 in 0.3-1.5: the top is further
    cap = found["policy.tariffs.independent_fee_growth_cap"]
    assert cap.value == 0.0  # 0.1 in 0-0.1: the bottom


@pytest.fixture
def two_levers(monkeypatch):
    chosen = [
        Case("policy.workforce.therapists", 0.4),
        Case("policy.funding.hnb_growth_later", 0.2),
    ]
    monkeypatch.setattr(lever_effects, "cases", lambda: chosen)
    return chosen


def test_effects_against_today_on_the_same_seed_and_resume(two_levers, tmp_path, monkeypatch):
    settings = LeverEffects(years=1, council_seeds=2, england_seeds=0, jobs=1, out=str(tmp_path))
    table = lever_effects.measure(settings)
    assert table.height == 2
    therapists = table.filter(pl.col("lever") == "policy.workforce.therapists").row(0, named=True)
    assert therapists["unmet_months"].startswith("+")  # fewer therapists: more unmet need
    runs = sorted((tmp_path / "runs").glob("*.parquet"))
    assert len(runs) == 6  # today and two levers, two seeds
    assert "## Default council (2 seeds)" in (tmp_path / "lever_effects.md").read_text()

    def no_runs(dotted):
        raise AssertionError("a finished run was repeated")

    monkeypatch.setattr(lever_effects, "run_one", no_runs)
    again = lever_effects.measure(settings)
    assert again.equals(table)


def test_the_effects_pages_cover_every_lever():
    """docs/lever-effects.md has a row for every lever measured, in both areas, and the
    summary in docs/levers.md one with both areas' headline measures."""
    from pathlib import Path

    root = Path(__file__).parents[1]
    page = (root / lever_effects.DOCS_PAGE).read_text()
    levers = (root / lever_effects.LEVERS_PAGE).read_text()
    summary = levers.split(lever_effects.SUMMARY_START)[1].split(lever_effects.SUMMARY_END)[0]
    for case in lever_effects.cases():
        assert page.count(f"| {case.lever} | {case.value} |") == 2, case.lever
        row = next(line for line in summary.splitlines() if f"| `{case.lever}` |" in line)
        assert row.count("(") == 2 * len(lever_effects.SUMMARY_MEASURES), case.lever


def test_the_summary_replaces_what_is_between_its_markers(two_levers, tmp_path):
    settings = LeverEffects(years=1, council_seeds=2, england_seeds=0, jobs=1, out=str(tmp_path))
    table = lever_effects.measure(settings)
    text = f"intro\n{lever_effects.SUMMARY_START}\nold\n{lever_effects.SUMMARY_END}\nrest\n"
    new = lever_effects.with_summary(text, table, settings)
    assert new.startswith("intro\n") and new.endswith("rest\n") and "old" not in new
    assert "| `policy.workforce.therapists` | 0.4 |" in new
    assert lever_effects.with_summary(new, table, settings) == new
    with pytest.raises(ValueError, match="markers"):
        lever_effects.with_summary("no markers", table, settings)
