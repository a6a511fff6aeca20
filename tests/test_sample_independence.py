"""Results do not depend on the sample: a council simulated at 1 in 10 agrees with its whole
population, within replicate noise, after ten years."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import run_model

DEFAULT_COUNCIL = "E08000007"
SEEDS = range(1, 6)


def outcomes(fraction: float) -> np.ndarray:
    """Per seed: plans, share in special schools, last year's spend (GBP m), months unmet."""
    rows = []
    for seed in SEEDS:
        model = run_model(
            **{
                "area.code": DEFAULT_COUNCIL,
                "population.sample_fraction": fraction,
                "run.years": 10,
                "run.seed": seed,
            }
        )
        stocks, flows = model.recorder.stocks, model.recorder.flows
        plans = stocks["ehcp_caseload"][-1].sum() * model.scale
        special = (stocks["ehcp_state_special"][-1] + stocks["ehcp_independent"][-1]).sum()
        rows.append(
            (
                plans,
                special * model.scale / plans,
                flows["hn_spend_gbp"][-12:].sum() / 1e6,
                stocks["unmet_months_sum"][-1].sum() / stocks["send_children"][-1].sum(),
            )
        )
    return np.array(rows)


@pytest.mark.slow
def test_a_tenth_sample_agrees_with_the_whole_population():
    whole, tenth = outcomes(1.0), outcomes(0.1)
    noise = np.sqrt(whole.var(axis=0, ddof=1) / len(SEEDS) + tenth.var(axis=0, ddof=1) / len(SEEDS))
    gap = np.abs(tenth.mean(axis=0) - whole.mean(axis=0))
    names = ("plans", "special share", "spend", "months unmet")
    assert (gap <= 3 * noise).all(), dict(zip(names, zip(gap, noise, strict=True), strict=True))
