"""The package installs anywhere: the built wheel, in a fresh virtual environment, runs from a
folder outside the repository (``.ci/wheel-test``, which CI also runs)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import sendsim

SCRIPT = Path(__file__).resolve().parents[1] / ".ci" / "wheel-test"


@pytest.mark.slow
def test_the_wheel_installs_and_runs_rutland_from_anywhere():
    out = subprocess.run([str(SCRIPT)], capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert f"sendsim {sendsim.__version__}" in out.stdout and "Cumulative DSG balance" in out.stdout
