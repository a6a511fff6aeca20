"""Reading levers: how far a lever in force is from today's policy."""

from __future__ import annotations

from operator import attrgetter
from typing import TYPE_CHECKING

import numpy as np

from sendsim.config.policy import PolicyConfig
from sendsim.dates import APRIL, year_month

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

MHST_FIRST_APRIL = 2018  # the year of the roll-out's first April (behaviour.health)

TODAY = PolicyConfig()  # today's policy: every lever at its default


def change(policy: PolicyConfig, key: str) -> float:
    """The lever ``key`` (e.g. ``"inclusion.staff_training_coverage"``) minus today's value."""
    get = attrgetter(key)
    return float(get(policy)) - float(get(TODAY))


def ratio(policy: PolicyConfig, key: str) -> float:
    """The lever ``key`` relative to today's value (1.0 = today)."""
    get = attrgetter(key)
    return float(get(policy)) / float(get(TODAY))


def mhst_rollout(model: SendModel, year: int, month: int) -> float:
    """Share of pupils in schools with a mental health support team under today's policy:
    the published roll-out between its Aprils, held after the last."""
    shares = model.cfg.behaviour.health.mhst_coverage_by_april
    months = (year - MHST_FIRST_APRIL) * 12 + month - APRIL
    return float(np.interp(months, 12 * np.arange(len(shares)), shares))


def mhst_coverage(model: SendModel) -> float:
    """This month's share of pupils in schools with a mental health support team: the
    roll-out, or a scenario's coverage once its reforms take effect, whichever is higher."""
    floor = model.policy.workforce.mental_health_support_teams
    return max(mhst_rollout(model, model.year, model.month), floor)


def months_of_override_left(model: SendModel) -> int:
    """Months from this one to the end of the statutory override (0 or less: it has ended)."""
    end_year, end_month = year_month(model.policy.funding.statutory_override_end)
    return (end_year - model.year) * 12 + end_month - model.month + 1
