"""The metric catalogue: every output of the model, gathered from the mechanisms' declarations.

Each mechanism declares the metrics it records (:mod:`sendsim.model.mechanisms`); how a metric
is declared and recorded is in :mod:`sendsim.model.recording`. Stocks come first, then flows,
then ratios, each in registry order.
"""

from __future__ import annotations

from sendsim.model.mechanisms import MECHANISMS
from sendsim.model.recording import Metric


def _catalogue() -> tuple[Metric, ...]:
    declared = [metric for mechanism in MECHANISMS for metric in mechanism.metrics]
    stocks = [m for m in declared if m.timing == "stock" and not m.is_ratio]
    flows = [m for m in declared if m.timing == "flow" and not m.is_ratio]
    return (*stocks, *flows, *(m for m in declared if m.is_ratio))


METRICS: tuple[Metric, ...] = _catalogue()
METRIC_BY_NAME = {m.name: m for m in METRICS}
STOCKS = tuple(m.name for m in METRICS if m.timing == "stock" and not m.is_ratio)
FLOWS = tuple(m.name for m in METRICS if m.timing == "flow" and not m.is_ratio)
