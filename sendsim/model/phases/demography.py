"""Demography: births, moves in and out of each council. Ageing is in :mod:`.calendar`.

``model.residents`` counts children by council and academic age; it is kept up to date here
(and by ageing in September) rather than recounted, and drives moves in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.stats import poisson

from sendsim.model.codes import MAX_AGE, Need, Place, Sen
from sendsim.model.events import schedule_moves, schedule_needs
from sendsim.model.ops import count_by
from sendsim.model.phases import needs, placement

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

N_AGES = MAX_AGE + 1
SCHEDULE_CHUNK = 1 << 20  # children whose event months are drawn together
MOVER_PLAN_LEVEL = 0.65  # median need level of children moving in with plans (assumption)


def step_demography(model: SendModel) -> None:
    """Births, then moves out, then moves in (in that order, every month)."""
    births(model)
    moves_out(model)
    moves_in(model)


def births(model: SendModel) -> None:
    """Each council's births this month: Poisson around its trend, keyed by council and month."""
    c = model.councils
    years = model.months_elapsed / 12.0
    growth = (1.0 + model.cfg.population.births_growth_per_year) ** years
    expected = c.births_per_year * growth * model.sample_fraction / 12.0
    u = model.streams.uniform("births", c.key, model.months_elapsed)
    counts = poisson.ppf(u, expected).astype(np.int64)
    add_children(model, np.repeat(np.arange(c.n), counts), np.zeros(counts.sum(), np.int8))
    model.flows.add_totals("births", counts.astype(np.float64))


def moves_out(model: SendModel) -> None:
    """Children whose moving month has come move away; their plans cease with the move."""
    ch = model.children
    leaving = np.flatnonzero(ch.move_month == model.months_elapsed)
    model.flows.add("transfers_out", ch.la[leaving[ch.sen[leaving] == Sen.EHCP]])
    model.flows.add("movers_out", ch.la[leaving])
    model.remove(leaving)


def moves_in(model: SendModel) -> None:
    """Children move in. Those replacing movers out (moves within England) bring plans and SEN
    support at the council's current rates for their age; the rest (net arrivals, mostly from
    abroad) bring needs not yet identified here.

    In-movers with a plan keep it (a transfer in, not a new plan) and are placed through the
    usual capacity-constrained placement.
    """
    c = model.councils
    expected = c.in_rate_by_age * model.residents / 12.0
    keys = c.key[:, None] * N_AGES + np.arange(N_AGES)
    u = model.streams.uniform("move_in", keys.ravel(), model.months_elapsed)
    counts = poisson.ppf(u, expected.ravel()).astype(np.int64)
    if counts.sum() == 0:
        return
    cells = np.repeat(np.arange(c.n * N_AGES), counts)
    la, age = (cells // N_AGES).astype(np.int16), (cells % N_AGES).astype(np.int8)
    slots = add_children(model, la, age)
    model.flows.add("movers_in", la)
    internal = np.minimum(c.out_rate_by_age[None, :] / np.maximum(c.in_rate_by_age, 1e-9), 1.0)
    _mirror_prevalence(model, slots, internal.ravel())


def _mirror_prevalence(model: SendModel, slots: slice, internal: np.ndarray) -> None:
    """Give in-movers plans, SEN support or a latent need at the council's current rates
    (counted at the start of the month); only the ``internal`` share (by cell) of movers
    brings an identified status."""
    ch = model.children
    residents = np.maximum(model.residents.ravel(), 1)
    rates = (model.status_by_cell / residents[:, None]).cumsum(axis=1)  # plan, support, latent
    idx = np.arange(slots.start, slots.stop)
    new_cell = ch.la[idx].astype(np.int64) * N_AGES + ch.age[idx]
    u = model.streams.uniform("move_in.status", ch.uid[idx])
    known = model.streams.uniform("move_in.internal", ch.uid[idx]) < internal[new_cell]
    kind = (u[:, None] >= rates[new_cell]).sum(axis=1)  # 0 plan, 1 support, 2 latent, 3 none
    kind[~known & (kind < 2)] = 2  # arriving from abroad: needs not yet identified
    plan, support, latent = idx[kind == 0], idx[kind == 1], idx[kind == 2]
    needs.give_need(model, plan, "move_in.plan", MOVER_PLAN_LEVEL)
    needs.give_need(model, np.concatenate([support, latent]), "move_in.need")
    ch.sen[support] = Sen.SUPPORT
    ch.sen[plan] = Sen.EHCP
    ch.had_sen[plan] = True
    ch.had_sen[support] = True
    model.flows.add("transfers_in", ch.la[plan])
    placement.place_arrivals(model, idx)


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
