"""Event clocks: the month a child moves away, or a need emerges, drawn once in advance.

Drawing a random number for every child every month is the costliest thing a national model
can do. Instead each child carries the month of its next such event, found by running its own
exponential threshold (keyed by its id and the month the clock starts: common random numbers)
against the hazards ahead of it, which change only with academic age. The distribution of event
times is exactly that of monthly draws at the same hazards.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sendsim.dates import MONTHS_PER_YEAR, SEPTEMBER, shift_month
from sendsim.model.children import NEVER
from sendsim.model.codes import MAX_AGE, N_AGES

if TYPE_CHECKING:
    from sendsim.model.model import SendModel


def months_left_in_year(calendar_month: int) -> int:
    """Months from ``calendar_month`` to the end of the academic year (August), inclusive."""
    return (SEPTEMBER - 1 - calendar_month) % MONTHS_PER_YEAR + 1


def event_months(
    threshold: np.ndarray,
    age: np.ndarray,
    hazard_per_year: np.ndarray,
    start: int,
    calendar_month: int,
) -> np.ndarray:
    """The run month at which each child's cumulative hazard first exceeds its threshold.

    Args:
        threshold: exponential draws (mean 1), one per child.
        age: academic age of each child in month ``start``.
        hazard_per_year: yearly hazard at each academic age (0-25).
        start: run month from which exposure counts (the event may fall in it).
        calendar_month: calendar month of ``start`` (1-12).

    Returns:
        int16 run months; ``NEVER`` if the event would come after age 25.
    """
    per_month = np.asarray(hazard_per_year, dtype=np.float64) / 12.0
    full_years = np.concatenate([[0.0], np.cumsum(12.0 * per_month)])  # exposure before age a
    left = months_left_in_year(calendar_month)
    rate_now = per_month[age]
    this_year = rate_now * left
    soon = threshold < this_year
    with np.errstate(divide="ignore", invalid="ignore"):  # rate 0: never soon
        months_soon = np.floor(threshold / rate_now)
    target = full_years[age + 1] + threshold - this_year
    year_age = np.minimum(np.searchsorted(full_years, target, side="right") - 1, N_AGES)
    rate_then = np.append(per_month, 1.0)[year_age]  # one past the last age: never
    into = np.floor(
        (target - np.append(full_years, 0.0)[year_age]) / np.where(rate_then > 0, rate_then, 1.0)
    )
    months_later = left + 12 * (year_age - age - 1) + into
    months = np.where(soon, months_soon, np.where(year_age <= MAX_AGE, months_later, NEVER))
    return np.minimum(start + months, NEVER).astype(np.int16)


def calendar_month(model: SendModel, run_month: int) -> int:
    """Calendar month (1-12) of a run month."""
    return shift_month(model.start_year, model.start_month, run_month)[1]


def schedule_moves(model: SendModel, idx: np.ndarray, start: int) -> None:
    """Draw the month each child in ``idx`` moves out of the area, from run month ``start``."""
    ch = model.children
    threshold = model.streams.exponential("move", ch.uid[idx], start)
    ch.move_month[idx] = event_months(
        threshold, ch.age[idx], model.councils.out_rate_by_age, start, calendar_month(model, start)
    )


def schedule_needs(model: SendModel, idx: np.ndarray, start: int, stream: str = "need") -> None:
    """Draw the month a need emerges for each child in ``idx`` (who has none), from ``start``."""
    ch = model.children
    threshold = model.streams.exponential(stream, ch.uid[idx], start)
    needs = model.cfg.behaviour.needs
    hazard = needs.emergence_per_year * np.asarray(needs.emergence_by_age)
    ch.need_month[idx] = event_months(
        threshold, ch.age[idx], hazard, start, calendar_month(model, start)
    )
