"""Metrics: how an output is declared, and how the model records them each month.

Stocks are measured at the first of each month (the first is the January census), flows are
totals over the month. Counts are recorded at sample scale and scaled up on output; money is
computed at full scale by the finance mechanism. Ratio metrics are computed from their
numerator and denominator only when results are written, so that summing councils to England,
or months to years, gives the right ratio. Each mechanism declares its own metrics; the
catalogue of all of them is :mod:`sendsim.model.metrics`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Literal

import numpy as np

from sendsim.model.codes import (
    N_PLACE,
    N_SEN,
    POST16_START_AGE,
    SCHOOL_START_AGE,
    Sen,
)
from sendsim.model.ops import count_by

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

Timing = Literal["stock", "flow"]
AGE_GROUPS = 3  # under school age, school age, 16-25


@dataclass(frozen=True)
class Metric:
    """One output quantity.

    Attributes:
        name: column or ``metric`` value in the results.
        unit: unit of the value.
        label: plain-English description.
        timing: ``stock`` (as at the first of the month) or ``flow`` (during the month).
        numerator: for ratio metrics, the metric divided...
        denominator: ...by this one.
        multiplier: applied to a ratio (10,000 for "per 10k").
        scaled: counts multiplied by 1 / sample fraction on output.
        internal: used only to build ratios; not written.
        yearly: a stock counted once a year (each September); other months hold none.
    """

    name: str
    unit: str
    label: str
    timing: Timing
    numerator: str | None = None
    denominator: str | None = None
    multiplier: float = 1.0
    scaled: bool = True
    internal: bool = False
    yearly: bool = False

    @property
    def is_ratio(self) -> bool:
        return self.numerator is not None


def count(name: str, label: str, timing: Timing, unit: str = "children") -> Metric:
    """A count of children (or places), recorded at sample scale."""
    return Metric(name, unit, label, timing)


def money(name: str, label: str, timing: Timing = "flow") -> Metric:
    """An amount in pounds, recorded at full scale."""
    return Metric(name, "GBP", label, timing, scaled=False)


def councils(name: str, label: str, timing: Timing) -> Metric:
    """A count of councils (summed over the councils of the area, never scaled)."""
    return Metric(name, "councils", label, timing, scaled=False)


def ratio(
    name: str,
    unit: str,
    label: str,
    num: str,
    den: str,
    mult: float = 1.0,
    timing: Timing = "stock",
    yearly: bool = False,
) -> Metric:
    """A ratio of two other metrics of the same timing."""
    return Metric(name, unit, label, timing, num, den, mult, scaled=False, yearly=yearly)


def internal(name: str, timing: Timing = "stock") -> Metric:
    """A count used only as a ratio's numerator or denominator."""
    return Metric(name, "", "", timing, internal=True)


class Census:
    """The children with a need at the first of the month, tallied once for every mechanism.

    The tally counts them by council, placement, SEN status, age group (under 4, 4-15, 16-25),
    SEND history and whether they wait for therapy: most stocks are sums over it, so the
    population is read once a month however many mechanisms count.
    """

    def __init__(self, model: SendModel) -> None:
        ch, n = model.children, model.councils.n
        self.n = n
        self.idx = idx = model.needy
        self.la = la = ch.la[idx].astype(np.int64)
        self.sen = sen = ch.sen[idx]
        self.place = place = ch.place[idx]
        self.age = age = ch.age[idx]
        self.wait = wait = ch.therapy_wait[idx]
        group = (age >= SCHOOL_START_AGE).astype(np.int16) + (age >= POST16_START_AGE)
        code = ((place.astype(np.int16) * N_SEN + sen) * AGE_GROUPS + group) * 2 + ch.had_sen[idx]
        cells = N_PLACE * N_SEN * AGE_GROUPS * 2 * 2
        #: (council, placement, SEN status, age group, ever SEND, waiting for therapy)
        self.tally = count_by(la * cells + (code * 2 + (wait >= 0)), n * cells).reshape(
            n, N_PLACE, N_SEN, AGE_GROUPS, 2, 2
        )
        self.by_sen = self.tally.sum(axis=(1, 3, 4, 5))

    @cached_property
    def plans(self) -> np.ndarray:
        """Tally of children with plans: (council, placement, age group, ever SEND, waiting)."""
        return self.tally[:, :, Sen.EHCP]

    @cached_property
    def send(self) -> np.ndarray:
        """Positions (in ``idx``) of children with identified SEND."""
        return np.flatnonzero(self.sen >= Sen.SUPPORT)

    @cached_property
    def plan(self) -> np.ndarray:
        """Positions (in ``idx``) of children with plans."""
        return np.flatnonzero(self.sen == Sen.EHCP)


class Flows:
    """Per-council totals of this month's events, filled by the mechanisms."""

    def __init__(self, n_councils: int, names: Iterable[str]) -> None:
        self.n = n_councils
        self.totals = {name: np.zeros(n_councils) for name in names}

    def add(self, name: str, la: np.ndarray, weights: np.ndarray | None = None) -> None:
        """Count events (or add their ``weights``) by the children's councils ``la``."""
        self.totals[name] += count_by(la, self.n, weights)

    def add_totals(self, name: str, per_council: np.ndarray) -> None:
        """Add a per-council array (money, typically)."""
        self.totals[name] += per_council


class Recorder:
    """Preallocated per-council arrays for every stock (monthly + final) and flow.

    Args:
        model: the model recorded.
        stocks: names of the stocks, as the ``counters`` return them.
        flows: names of the flows.
        counters: functions returning stocks from the month's census.
    """

    def __init__(
        self,
        model: SendModel,
        stocks: tuple[str, ...],
        flows: tuple[str, ...],
        counters: tuple[Callable[[SendModel, Census], dict[str, np.ndarray]], ...],
    ) -> None:
        self.model = model
        n, months = model.councils.n, model.n_months
        self.stocks = {name: np.zeros((months + 1, n)) for name in stocks}
        self.flows = {name: np.zeros((months, n)) for name in flows}
        self.flow_names = flows
        self.counters = counters
        self._stock_row = 0

    def new_flows(self) -> Flows:
        return Flows(self.model.councils.n, self.flow_names)

    def record_flows(self, flows: Flows) -> None:
        for name, values in flows.totals.items():
            self.flows[name][self.model.months_elapsed] = values

    def record_stocks(self) -> None:
        for name, values in stock_quantities(self.model, self.counters).items():
            self.stocks[name][self._stock_row] = values
        self._stock_row += 1


def stock_quantities(
    model: SendModel, counters: Iterable[Callable[[SendModel, Census], dict[str, np.ndarray]]]
) -> dict[str, np.ndarray]:
    """Every stock, per council, from the current state (one census, read by each counter)."""
    census = Census(model)
    out: dict[str, np.ndarray] = {}
    for counter in counters:
        out.update(counter(model, census))
    return out
