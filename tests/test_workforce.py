"""Assessment supply from educational psychologists and case officers."""

from __future__ import annotations

import numpy as np
import pytest

from sendsim.model.mechanisms import workforce
from sendsim.model.model import SendModel
from tests.conftest import make_config
from tests.test_mechanisms import BASE


def model(**changes) -> SendModel:
    return SendModel(make_config(**{**BASE, **changes}))


@pytest.mark.parametrize("start", ["2019-01", "2022-01"])
def test_councils_start_staffed_for_their_throughput(start):
    m = model(**{"area.code": "england", "population.sample_fraction": 0.01, "run.start": start})
    c, p = m.councils, m.cfg.behaviour.workforce
    supply = workforce.assessments_per_month(m, workforce.plans_held(m)) * m.sample_fraction
    np.testing.assert_allclose(supply, c.assessment_capacity, rtol=1e-9)
    assert np.isclose(c.ep_fte.sum(), p.ep_fte_england, rtol=1e-3)  # England's workforce
    assert (c.ep_fte > 0).all()  # Isles of Scilly completed no assessments in 2019
    share = c.ep_assessment_share[m.profiles.assessments_per_year > 0]
    assert 0.2 < share.min() <= share.max() < p.ep_assessment_share_max  # room to respond


def test_the_scarcer_staff_limit_assessments():
    m = model()
    plans = workforce.plans_held(m)
    full = workforce.assessments_per_month(m, plans)
    m.councils.case_officer_fte *= 0.5
    assert (workforce.assessments_per_month(m, plans) < full).all()
    m.councils.ep_assessment_share[:] = 0.0
    assert (workforce.assessments_per_month(m, plans) == 0).all()


def test_councils_recruit_no_more_than_their_share_of_the_newly_qualified():
    m = model(**{"behaviour.workforce.ep_leaving_per_year": 0.02})
    c, p = m.councils, m.cfg.behaviour.workforce
    before = c.ep_fte.copy()
    m.run(progress=False)  # three Aprils (leavers only lower the count)
    most = 3 * p.newly_qualified_per_year_later * p.share_joining_councils * c.ep_recruit_share
    assert (c.ep_fte - before <= most + 1e-9).all()


def test_the_psychologist_lever_is_not_undone():
    """With 40% fewer EPs, councils move EP time onto assessments and recruit, but within the
    same ceiling and intake: their EPs' hours stay below today's every January, the backlog
    above it, and fewer assessments are done over ten years. (Their EP time on assessments
    can pass today's late on, once today's backlog has cleared.)"""
    ten_years = {"run.years": 10}
    today = model(**ten_years)
    fewer = model(**ten_years, **{"policy.workforce.educational_psychologists": 0.6})
    for m in (today, fewer):
        m.run(progress=False)
    for stock, fewer_has in (("ep_hours", np.less), ("assessment_backlog", np.greater)):
        januaries = [m.recorder.stocks[stock][12::12].sum(axis=1) for m in (fewer, today)]
        assert fewer_has(*januaries).all(), (stock, januaries)
    done = lambda m: m.recorder.flows["assessments"].sum()  # noqa: E731
    assert done(fewer) < done(today)


def test_case_officers_budgeted_yearly_leave_less_time_for_assessments_as_plans_grow():
    """Plans held come first for case officers, sized each April: as plans grow through the
    year, England's capacity to assess falls by a sixth or so by the January after (14-19% in
    the baseline at 1 in 10, as the workforce module says)."""
    m = model(
        **{
            "area.code": "england",
            "population.sample_fraction": 0.05,
            "run.years": 2,
            "run.calibrated": True,
        }
    )
    capacity = []
    for _ in range(m.n_months):
        m.step()
        capacity.append(m.councils.assessment_capacity.sum())
    april, january = capacity[3], capacity[12]  # from January 2022: April, and January 2023
    assert 0.1 < 1 - january / april < 0.25, (april, january)
