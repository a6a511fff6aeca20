"""Regression baseline: a fixed small run must reproduce its recorded summary exactly.

If a change to the model is intended, rewrite the baseline with
``python -m tests.regression.update_baseline`` and review the diff of ``baseline.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sendsim.model.model import SendModel
from sendsim.results import RunResults
from tests.conftest import make_config

BASELINE = Path(__file__).parent / "regression" / "baseline.json"
SETTINGS = {"area.code": "E06000017", "run.years": 2, "run.seed": 2}


def summarise() -> dict[str, float | None]:
    model = SendModel(make_config(**SETTINGS))
    model.run(progress=False)
    row = RunResults(model).summary("baseline", "baseline", 2).row(0, named=True)
    return {k: v for k, v in row.items() if isinstance(v, float | int) and k != "seed"}


def test_summary_matches_baseline():
    expected = json.loads(BASELINE.read_text())
    actual = summarise()
    assert actual.keys() == expected.keys()
    moved = {
        k: (expected[k], actual[k])
        for k in expected
        if actual[k] != pytest.approx(expected[k], rel=1e-9, abs=1e-9)
    }
    assert not moved, f"metrics moved from the baseline (expected, actual): {moved}"
