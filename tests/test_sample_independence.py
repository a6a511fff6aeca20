"""Results do not depend on the sample: a council at 1 in 10 agrees with its whole population,
and England at 1 in 20 with England at 1 in 4, after ten years: within replicate noise and
the residual bias of sampling special school places (docs/backtest.md)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import run_model

DEFAULT_COUNCIL = "E08000007"
SEEDS = range(1, 6)
SMALL_SEEDS = range(1, 21)  # a smaller sample is cheaper to run, and noisier
TOLERANCE = 0.05  # of the larger sample's value
PLACEMENTS = ("mainstream", "resourced", "state_special", "independent")
OUTCOMES = ("plans", *(f"{p} share" for p in PLACEMENTS), "spend", "months unmet")


def outcomes(area: str, fraction: float, seeds: range = SEEDS) -> np.ndarray:
    """Per seed: plans, their shares by placement, last year's spend (GBP m), months unmet."""
    rows = []
    for seed in seeds:
        model = run_model(
            **{
                "area.code": area,
                "population.sample_fraction": fraction,
                "run.years": 10,
                "run.seed": seed,
            }
        )
        stocks, flows = model.recorder.stocks, model.recorder.flows
        plans = stocks["ehcp_caseload"][-1].sum()
        rows.append(
            (
                plans * model.scale,
                *(stocks[f"ehcp_{p}"][-1].sum() / plans for p in PLACEMENTS),
                flows["hn_spend_gbp"][-12:].sum() / 1e6,
                stocks["unmet_months_sum"][-1].sum() / stocks["send_children"][-1].sum(),
            )
        )
    return np.array(rows)


def assert_agree(small: np.ndarray, large: np.ndarray) -> None:
    """Means agree within three standard errors of their difference and the tolerance."""
    noise = np.sqrt(small.var(axis=0, ddof=1) / len(small) + large.var(axis=0, ddof=1) / len(large))
    gap = np.abs(small.mean(axis=0) - large.mean(axis=0))
    allowed = 3 * noise + TOLERANCE * np.abs(large.mean(axis=0))
    assert (gap <= allowed).all(), dict(zip(OUTCOMES, zip(gap, allowed, strict=True), strict=True))


@pytest.mark.slow
def test_a_tenth_sample_agrees_with_the_whole_population():
    assert_agree(outcomes(DEFAULT_COUNCIL, 0.1, SMALL_SEEDS), outcomes(DEFAULT_COUNCIL, 1.0))


@pytest.mark.slow
def test_england_at_one_in_twenty_agrees_with_one_in_four():
    assert_agree(outcomes("england", 0.05, range(1, 11)), outcomes("england", 0.25))
