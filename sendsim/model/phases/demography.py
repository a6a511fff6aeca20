"""Demography: births, moves in and out of each council. Ageing is in :mod:`.calendar`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.stats import poisson

from sendsim.model.codes import MAX_AGE, Need, Place, Sen
from sendsim.model.ops import count_by, per_month
from sendsim.model.phases import needs, placement

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

N_AGES = MAX_AGE + 1
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
    """Children move away at an age-dependent rate; their plans cease with the move."""
    ch = model.children
    active = np.flatnonzero(ch.active)
    p = per_month(model.councils.out_rate_by_age)[ch.age[active]]
    leaving = active[model.streams.uniform("move_out", ch.uid[active], model.months_elapsed) < p]
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
    c, ch = model.councils, model.children
    active = np.flatnonzero(ch.active)
    cell = ch.la[active].astype(np.int64) * N_AGES + ch.age[active]
    n_cell = count_by(cell, c.n * N_AGES).reshape(c.n, N_AGES)
    expected = c.in_rate_by_age * n_cell / 12.0
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
    _mirror_prevalence(model, slots, cell, active, n_cell, internal.ravel())


def _mirror_prevalence(
    model: SendModel,
    slots: slice,
    cell: np.ndarray,
    active: np.ndarray,
    n_cell: np.ndarray,
    internal: np.ndarray,
) -> None:
    """Give in-movers plans, SEN support or a latent need at the council's current rates;
    only the ``internal`` share (by cell) of movers brings an identified status."""
    ch = model.children
    sen = ch.sen[active]
    residents = np.maximum(n_cell.ravel(), 1)
    rates = np.stack(
        [
            count_by(cell, n_cell.size, sen == Sen.EHCP) / residents,
            count_by(cell, n_cell.size, (sen >= Sen.SUPPORT) & (sen < Sen.EHCP)) / residents,
            count_by(cell, n_cell.size, (sen == Sen.NONE) & (ch.severity[active] > 0)) / residents,
        ],
        axis=1,
    ).cumsum(axis=1)
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


def add_children(model: SendModel, la: np.ndarray, age: np.ndarray) -> slice:
    """Create children in councils ``la`` at academic ages ``age`` with fresh uids."""
    c = model.councils
    order = np.argsort(la, kind="stable")
    la, age = la[order], age[order]
    counts = np.bincount(la, minlength=c.n)
    first = np.repeat(c.next_serial, counts)
    serial = first + (np.arange(len(la)) - np.repeat(np.cumsum(counts) - counts, counts))
    c.next_serial += counts
    uid = c.key[la].astype(np.int64) * (1 << 40) + serial
    place = np.where(age >= 4, Place.MAINSTREAM, Place.EARLY_YEARS).astype(np.int8)
    return model.children.add(
        len(la), uid=uid, la=la.astype(np.int16), age=age, place=place, need=Need.NONE
    )
