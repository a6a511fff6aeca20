"""Vectorised building blocks: rates, group counts, capacity allocation."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import expit, ndtri

MONTHS_PER_YEAR = 12
WEEKS_PER_MONTH = 52.0 / 12.0


def per_month(rate_per_year: float | np.ndarray) -> float | np.ndarray:
    """Monthly event probability from a yearly hazard rate (events per year)."""
    return -np.expm1(-np.asarray(rate_per_year, dtype=np.float64) / MONTHS_PER_YEAR)


def scale_share(share: float | np.ndarray, factor: np.ndarray) -> np.ndarray:
    """A share scaled as a hazard (1 - (1 - share) ** factor): never above 1, and still
    moved by the share when the factor is large."""
    share = np.clip(np.asarray(share, dtype=np.float64), 0.0, 1.0)
    return -np.expm1(np.log1p(-np.minimum(share, 1 - 1e-12)) * factor)


def count_by(group: np.ndarray, size: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Totals per group (council, school...), one entry per group index."""
    return np.bincount(group, weights=weights, minlength=size)


def solve_rising(
    f: Callable[[np.ndarray], np.ndarray],
    target: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    steps: int,
) -> np.ndarray:
    """Where each element of the rising function ``f`` reaches ``target``, by ``steps``
    halvings of ``[low, high]`` (vectorised bisection)."""
    for _ in range(steps):
        mid = (low + high) / 2
        over = f(mid) > target
        low, high = np.where(over, low, mid), np.where(over, mid, high)
    return (low + high) / 2


def is_in_sorted(values: np.ndarray, sorted_array: np.ndarray) -> np.ndarray:
    """Whether each value occurs in ``sorted_array`` (binary search: cheap for few values)."""
    if len(sorted_array) == 0:
        return np.zeros(len(values), bool)
    pos = np.minimum(np.searchsorted(sorted_array, values), len(sorted_array) - 1)
    return sorted_array[pos] == values


def sampling_key(u: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Priorities whose highest k draw k items without replacement, each with a chance in
    proportion to its ``weight`` (Gumbel top-k), from uniform draws ``u``."""
    u = np.clip(u, 1e-12, 1 - 1e-12)
    return np.log(np.maximum(weight, 1e-300)) - np.log(-np.log(u))


def rank_within(group: np.ndarray, priority: np.ndarray) -> np.ndarray:
    """Rank of each element within its group, highest priority first (ties keep order)."""
    if len(group) == 0:
        return np.empty(0, dtype=np.int64)
    priority = np.asarray(priority, dtype=np.float64)
    span = float(priority.max() - priority.min()) + 1.0
    order = np.argsort(group * span - priority, kind="stable")  # one key: group, then priority
    sorted_group = group[order]
    position = np.arange(len(order))
    first = np.empty(len(order), bool)  # first of its group in sorted order
    first[0] = True
    np.not_equal(sorted_group[1:], sorted_group[:-1], out=first[1:])
    rank_sorted = position - np.maximum.accumulate(np.where(first, position, 0))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = rank_sorted
    return rank


def allocate(group: np.ndarray, priority: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """Which candidates get one of their group's ``slots`` (whole numbers), best priority first."""
    return rank_within(group, priority) < np.floor(slots)[group]


def fill_slots(
    institution_group: np.ndarray, free: np.ndarray, child_group: np.ndarray, priority: np.ndarray
) -> np.ndarray:
    """Give each admitted child a specific institution with a free place in its group.

    ``free`` holds whole free places per institution; callers admit no more children per group
    than the group's free places.
    """
    slots = np.repeat(np.arange(len(free)), free.astype(np.int64))
    order = np.argsort(institution_group[slots], kind="stable")
    slots = slots[order]
    first = np.searchsorted(institution_group[slots], child_group, "left")
    return slots[first + rank_within(child_group, priority)]


def stochastic_round(x: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Round to an integer up with probability equal to the fractional part."""
    base = np.floor(x)
    return (base + (u < (x - base))).astype(np.int64)


def logit_normal(median: np.ndarray | float, spread: float, u: np.ndarray) -> np.ndarray:
    """Need levels in (0, 1): logistic of a normal with the given median and log-odds spread.

    Drawn by inverse CDF of the uniforms ``u``, so each child's level follows its own draw.
    """
    m = np.clip(np.asarray(median, dtype=np.float64), 0.01, 0.99)
    z = np.log(m / (1 - m)) + spread * ndtri(np.clip(u, 1e-12, 1 - 1e-12))
    return expit(z).astype(np.float32)


def saturating_multiple(
    growth: np.ndarray | float, years: np.ndarray | float, ceiling: float
) -> np.ndarray:
    """A level's multiple of its starting value after ``years``, growing at first by ``growth``
    a year and saturating towards ``ceiling`` times the start (falling towards 1 / ``ceiling``
    when ``growth`` is negative): ``exp(L tanh(log(1 + growth) years / L))``, ``L = log
    ceiling``. Bounded for any growth and time."""
    bound = np.log(ceiling)
    rate = np.log1p(np.asarray(growth, dtype=np.float64))
    return np.exp(bound * np.tanh(rate * np.asarray(years, dtype=np.float64) / bound))
