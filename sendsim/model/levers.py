"""Reading levers: how far a lever in force is from today's policy."""

from __future__ import annotations

from operator import attrgetter

from sendsim.config.policy import PolicyConfig

TODAY = PolicyConfig()  # today's policy: every lever at its default


def change(policy: PolicyConfig, key: str) -> float:
    """The lever ``key`` (e.g. ``"inclusion.staff_training_coverage"``) minus today's value."""
    get = attrgetter(key)
    return float(get(policy)) - float(get(TODAY))


def ratio(policy: PolicyConfig, key: str) -> float:
    """The lever ``key`` relative to today's value (1.0 = today)."""
    get = attrgetter(key)
    return float(get(policy)) / float(get(TODAY))
