"""Mediation reflects what families would win at tribunal; families may still appeal."""

from __future__ import annotations

import numpy as np
import pytest

from sendsim.model.codes import Sen
from sendsim.model.mechanisms.redress import RedressParams
from sendsim.model.model import SendModel
from sendsim.model.operations import cases
from tests.conftest import make_config
from tests.test_mechanisms import BASE


def test_concessions_make_the_published_share_of_mediations_go_on_to_appeal():
    p = RedressParams()
    conceded = cases.mediation_concession(p)
    win = p.family_win_share
    onward = win * (1 - conceded) + (1 - win) * p.weak_case_appeal_share
    assert onward == pytest.approx(p.mediation_to_tribunal)
    assert 0.7 < conceded < 0.8


def test_mediation_gives_most_families_what_the_tribunal_would_at_once():
    """Every refusal disputed and mediated: councils concede about 72% at once (three quarters
    of the 96% they would lose), about 26% are appealed, and most of those appeals are sound."""
    model = SendModel(
        make_config(
            **{
                **BASE,
                "population.sample_fraction": 1.0,
                "behaviour.redress.dispute_refusal": 0.5,
                "policy.redress.mandatory_mediation": 1.0,
            }
        )
    )
    model.flows = model.recorder.new_flows()
    ch = model.children
    support = model.needy[(ch.sen[model.needy] == Sen.SUPPORT) & (ch.appeal[model.needy] == 0)]
    cases.dispute(model, support, cases.Appeal.REFUSAL)
    mediated = model.flows.totals["mediations"].sum()
    assessed = np.count_nonzero(ch.sen[support] == Sen.ASSESSING)
    appealed = support[ch.appeal[support] == cases.Appeal.REFUSAL]
    assert mediated > 2000
    assert assessed / mediated == pytest.approx(0.72, abs=0.03)
    assert len(appealed) / mediated == pytest.approx(0.26, abs=0.03)
    assert ch.appeal_merit[appealed].mean() == pytest.approx(0.92, abs=0.04)
