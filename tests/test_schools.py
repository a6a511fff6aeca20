"""Mainstream schools by type: academies and council-maintained schools per council; what
councils' powers and access to surpluses then reach."""

from __future__ import annotations

import numpy as np
import pytest

from sendsim.model.codes import Place, Sen
from sendsim.model.institutions.schools import MainstreamSchool, academy_shares
from sendsim.model.mechanisms.finance import maintained_school_balances
from sendsim.model.model import SendModel
from sendsim.model.profile import load_profiles
from tests.conftest import make_config
from tests.test_mechanisms import BASE


def test_each_council_has_its_published_share_of_academies():
    """Across England each council's primary and secondary schools, weighted by their pupils,
    are academies in the share its mainstream plans are; secondaries more often."""
    cfg = make_config(**{"area.code": "england"})
    prof = load_profiles("england", 2022, cfg.behaviour.demography)
    chances = academy_shares(prof, cfg.behaviour.support.academy_share_by_phase)
    pupils = np.stack([prof.primary_pupils, prof.secondary_pupils], axis=1)
    share = (chances * pupils).sum(axis=1) / pupils.sum(axis=1)
    np.testing.assert_allclose(share, prof.academy_share, atol=1e-6)
    assert np.all(chances[:, 1] >= chances[:, 0])
    assert np.ptp(prof.academy_share) > 0.5  # councils differ widely


def test_schools_carry_their_councils_academy_share():
    model = SendModel(make_config(**BASE))
    s, prof = model.schools, model.profiles
    chances = academy_shares(prof, model.cfg.behaviour.support.academy_share_by_phase)
    np.testing.assert_array_equal(s.academy, chances[s.la, s.phase])


def test_only_academies_turn_children_away():
    model = SendModel(make_config(**{**BASE, "behaviour.effects.admission_refusal": 0.5}))
    ch, schools = model.children, model.schools
    plan = np.flatnonzero((ch.sen == Sen.EHCP) & (ch.place == Place.MAINSTREAM) & (ch.school >= 0))
    turned = MainstreamSchool.turns_away(model, plan)
    assert len(turned) > 0
    at_academy = schools.academy[ch.school[plan]]
    assert len(turned) / at_academy.sum() == pytest.approx(0.5, abs=0.1)
    maintained = plan[at_academy == 0]
    assert len(MainstreamSchool.turns_away(model, maintained)) == 0
    powers = SendModel(
        make_config(
            **{
                **BASE,
                "behaviour.effects.admission_refusal": 0.5,
                "policy.powers.direct_academies_to_admit": 1.0,
            }
        )
    )
    assert len(MainstreamSchool.turns_away(powers, plan)) == 0


def test_surplus_balances_are_maintained_schools_and_run_down():
    model = SendModel(make_config(**{**BASE, "policy.funding.school_surplus_access": 0.5}))
    start = model.councils.school_balances_gbp.copy()
    model.run(progress=False)
    rec = model.recorder
    balances = rec.stocks["maintained_school_balances_gbp"].sum(axis=1)
    drawn = rec.flows["school_surplus_used_gbp"].sum(axis=1)
    assert np.all(np.diff(balances) < 0)
    assert np.all(np.diff(drawn) < 0)  # each month's draw is smaller: the stock runs down
    assert drawn.sum() == pytest.approx(start.sum() - balances[-1])
    only_academies = SendModel(make_config(**BASE))
    only_academies.schools.academy[:] = 1.0
    assert maintained_school_balances(only_academies).sum() == 0
    assert maintained_school_balances(model).sum() > 0
