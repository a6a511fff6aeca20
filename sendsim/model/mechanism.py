"""What a mechanism declares: its parameters, child fields, metrics, start state and step.

A mechanism (needs, requests, finance...) is one module of :mod:`sendsim.model.mechanisms`
ending in a :class:`Mechanism`. The model lists them once, in order
(:data:`sendsim.model.mechanisms.MECHANISMS`), and derives the rest from the declarations:
the ``behaviour`` section of the config schema, the child arrays, the metric catalogue, the
order in which the starting state is built and the order of the monthly step.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sendsim.model.recording import Census, Metric

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

Action = Callable[["SendModel"], None]
Counter = Callable[["SendModel", Census], dict[str, np.ndarray]]


@dataclass(frozen=True)
class ChildField:
    """One array of the child population.

    Attributes:
        dtype: numpy dtype of the array.
        fill: value of a new child's slot.
        doc: what it holds, with its unit.
    """

    dtype: type
    fill: float | int | bool
    doc: str


@dataclass(frozen=True)
class Mechanism:
    """A mechanism's declarations.

    Attributes:
        name: short name; also its config section (``behaviour.<name>``) unless ``config``.
        step: its part of each month, in registry order (None: it acts only when called).
        params: its parameter dataclass (fields declared with ``param``), or None.
        config: dotted config path of ``params`` when not ``behaviour.<name>``.
        fields: the child arrays it owns, by name.
        metrics: the metrics it records (flows it adds, stocks it counts).
        build: its part of the starting state, run in registry order after the population
            and institutions exist.
        count: its stocks at the first of each month, from the shared census.
        settle: its part of the starting state that is read from the run's own first months,
            once the start is built and calibrated (:meth:`SendModel.rehearsal`).
    """

    name: str
    step: Action | None = None
    params: type | None = None
    config: str | None = None
    fields: Mapping[str, ChildField] = field(default_factory=dict)
    metrics: tuple[Metric, ...] = ()
    build: Action | None = None
    count: Counter | None = None
    settle: Action | None = None

    @property
    def config_path(self) -> str:
        """Where its parameters sit in the config (``behaviour.needs``)."""
        return self.config or f"behaviour.{self.name}"
