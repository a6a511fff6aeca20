"""Children arriving and leaving, and needs appearing."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np

from sendsim.dates import SEPTEMBER
from sendsim.model.children import NEVER
from sendsim.model.codes import (
    MAX_AGE,
    N_AGES,
    N_NEED,
    SCHOOL_START_AGE,
    SECONDARY_START_AGE,
    Need,
    Place,
    Sen,
)
from sendsim.model.events import schedule_moves, schedule_needs
from sendsim.model.ops import count_by, logit_normal

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

SCHEDULE_CHUNK = 1 << 20  # children whose event months are drawn together


def add_children(
    model: SendModel, la: np.ndarray, age: np.ndarray, start: int | None = None
) -> slice:
    """Create children in councils ``la`` at academic ages ``age`` with fresh uids.

    Their moving month and need onset are drawn from run month ``start`` (default: next month).
    """
    c = model.councils
    order = np.argsort(la, kind="stable")
    la, age = la[order], age[order]
    counts = np.bincount(la, minlength=c.n)
    first = np.repeat(c.next_serial, counts)
    serial = first + (np.arange(len(la)) - np.repeat(np.cumsum(counts) - counts, counts))
    c.next_serial += counts
    uid = c.key[la].astype(np.int64) * (1 << 40) + serial
    place = np.where(age >= SCHOOL_START_AGE, Place.MAINSTREAM, Place.EARLY_YEARS).astype(np.int8)
    slots = model.children.add(
        len(la), uid=uid, la=la.astype(np.int16), age=age, place=place, need=Need.NONE
    )
    model.residents += (
        count_by(la.astype(np.int64) * N_AGES + age, c.n * N_AGES)
        .reshape(c.n, N_AGES)
        .astype(np.int64)
    )
    start = model.months_elapsed + 1 if start is None else start
    for first in range(slots.start, slots.stop, SCHEDULE_CHUNK):  # bounded temporaries
        idx = np.arange(first, min(first + SCHEDULE_CHUNK, slots.stop))
        schedule_moves(model, idx, start)
        schedule_needs(model, idx, start)
    return slots


def sen2_age(model: SendModel, idx: np.ndarray) -> np.ndarray:
    """Children ``idx``'s age as SEN2 counts new plans made this calendar year: their age on
    the 31 August of the year [sen2-guide], that is their academic age, plus one before
    September (a plan made in the spring counts at the age its child ends the school year)."""
    older = model.month < SEPTEMBER
    return np.minimum(model.children.age[idx] + older, MAX_AGE)


def remove(model: SendModel, idx: np.ndarray, counted: bool = True) -> None:
    """Children leave the model (moved away or aged out); their plans cease.

    Args:
        model: the model.
        idx: the children leaving.
        counted: they are still in ``residents`` (False once ageing has dropped them).
    """
    ch = model.children
    had_plan = idx[ch.sen[idx] == Sen.EHCP]
    model.flows.add("ceased_plans", ch.la[had_plan])
    if counted:
        cells = ch.la[idx].astype(np.int64) * N_AGES + ch.age[idx]
        model.residents -= (
            count_by(cells, model.residents.size).reshape(model.residents.shape).astype(np.int64)
        )
    ch.active[idx] = False
    ch.move_month[idx] = NEVER
    ch.need_month[idx] = NEVER
    ch.sen[idx] = Sen.NONE
    ch.severity[idx] = 0.0
    ch.place[idx] = Place.OTHER
    ch.school[idx] = -1
    ch.appeal[idx] = 0
    ch.therapy_wait[idx] = -1


def give_need(
    model: SendModel, idx: np.ndarray, stream: str, median: np.ndarray | float = 0.3
) -> None:
    """Give children ``idx`` a primary need (by age) and a need level around ``median``."""
    if len(idx) == 0:
        return
    ch = model.children
    uid = ch.uid[idx]
    p = model.cfg.behaviour.needs
    u_type = model.streams.uniform(f"{stream}.need_type", uid, model.months_elapsed)
    mix = need_mix_by_age(
        tuple(p.need_mix_early_years), tuple(p.need_mix_primary), tuple(p.need_mix_secondary)
    )
    cum = np.cumsum(mix[ch.age[idx]], axis=1)
    need = 1 + (u_type[:, None] >= cum).sum(axis=1).clip(max=N_NEED - 2)
    u_level = model.streams.uniform(f"{stream}.level", uid, model.months_elapsed)
    shift = np.concatenate([[0.0], p.level_shift_by_need])  # index = Need; NONE unshifted
    shifted = _shift_median(np.broadcast_to(median, idx.shape), shift[need])
    ch.need[idx] = need
    ch.need_month[idx] = NEVER
    ch.unmet_history[idx] = 0
    ch.severity[idx] = np.minimum(
        logit_normal(shifted, p.level_spread, u_level), highest_level(model)
    )
    ch.onset_level[idx] = ch.severity[idx]


def highest_level(model: SendModel) -> float:
    """The highest need level: what a special school meets. No need exceeds what some setting
    can meet."""
    return model.cfg.behaviour.support.level_special


@functools.cache
def need_mix_by_age(
    early_years: tuple[float, ...], primary: tuple[float, ...], secondary: tuple[float, ...]
) -> np.ndarray:
    """Primary need mix of new needs at each academic age (rows sum to 1)."""
    mix = np.array(
        [early_years] * (SCHOOL_START_AGE + 1)
        + [primary] * (SECONDARY_START_AGE - SCHOOL_START_AGE - 1)
        + [secondary] * (MAX_AGE - SECONDARY_START_AGE + 1)
    )
    return mix / mix.sum(axis=1, keepdims=True)


def _shift_median(median: np.ndarray, shift: np.ndarray) -> np.ndarray:
    m = np.clip(median, 0.01, 0.99)
    return 1.0 / (1.0 + np.exp(-(np.log(m / (1 - m)) + shift)))
