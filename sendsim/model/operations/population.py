"""Children arriving and leaving, and needs appearing."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sendsim.model.children import NEVER
from sendsim.model.codes import MAX_AGE, N_AGES, N_NEED, Need, Place, Sen
from sendsim.model.events import schedule_moves, schedule_needs
from sendsim.model.ops import count_by, logit_normal

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

SCHEDULE_CHUNK = 1 << 20  # children whose event months are drawn together

#: Primary need mix of new needs by phase (columns follow Need 1..12). Assumption anchored to
#: the EHCP need mix in NATIONAL_FIGURES.md (autism 31.5%, SLCN 21.3%, SEMH 20.7%, MLD 10.6%...)
#: with SLCN concentrated in early years and SEMH in secondary school.
_NEED_MIX = {
    "early": [0.16, 0.46, 0.04, 0.05, 0.06, 0.03, 0.00, 0.06, 0.03, 0.02, 0.01, 0.08],
    "primary": [0.22, 0.22, 0.15, 0.16, 0.03, 0.01, 0.09, 0.03, 0.015, 0.01, 0.005, 0.06],
    "secondary": [0.20, 0.08, 0.33, 0.16, 0.02, 0.005, 0.12, 0.025, 0.015, 0.01, 0.005, 0.04],
}
NEED_MIX_BY_AGE = np.array(
    [_NEED_MIX["early"]] * 5
    + [_NEED_MIX["primary"]] * 6
    + [_NEED_MIX["secondary"]] * (MAX_AGE - 10)
)
NEED_MIX_BY_AGE /= NEED_MIX_BY_AGE.sum(axis=1, keepdims=True)

#: Log-odds shift of the need level by need type (index = Need). Assumption: profound and
#: severe learning difficulties start high; specific learning difficulties low.
SEVERITY_SHIFT = np.array(
    [0.0, 0.4, -0.2, 0.1, -0.1, 1.4, 2.0, -0.6, 0.4, 0.2, 0.2, 1.0, 0.0], dtype=np.float64
)


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
    place = np.where(age >= 4, Place.MAINSTREAM, Place.EARLY_YEARS).astype(np.int8)
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
    u_type = model.streams.uniform(f"{stream}.need_type", uid, model.months_elapsed)
    cum = np.cumsum(NEED_MIX_BY_AGE[ch.age[idx]], axis=1)
    need = 1 + (u_type[:, None] >= cum).sum(axis=1).clip(max=N_NEED - 2)
    u_level = model.streams.uniform(f"{stream}.level", uid, model.months_elapsed)
    shifted = _shift_median(np.broadcast_to(median, idx.shape), SEVERITY_SHIFT[need])
    ch.need[idx] = need
    ch.need_month[idx] = NEVER
    ch.unmet_history[idx] = 0
    ch.severity[idx] = logit_normal(shifted, model.cfg.behaviour.needs.level_spread, u_level)


def _shift_median(median: np.ndarray, shift: np.ndarray) -> np.ndarray:
    m = np.clip(median, 0.01, 0.99)
    return 1.0 / (1.0 + np.exp(-(np.log(m / (1 - m)) + shift)))
