"""Tables derived from the parameter declarations (``sendsim params``, docs, reports)."""

from __future__ import annotations

import polars as pl

from sendsim.config.params import iter_params
from sendsim.config.schema import SendsimConfig


def param_table() -> pl.DataFrame:
    """One row per declared parameter: key, label, unit, default, range, kind, source."""
    rows = [
        {
            "key": p.path,
            "label": p.meta.label,
            "unit": p.meta.unit,
            "default": str(p.default),
            "range": _range(p.meta.low, p.meta.high, p.meta.choices),
            "kind": p.meta.kind,
            "source": p.meta.source,
        }
        for p in iter_params(SendsimConfig)
    ]
    return pl.DataFrame(rows)


def _range(low: float | None, high: float | None, choices: tuple[str, ...] | None) -> str:
    if choices:
        return " | ".join(choices)
    if low is None and high is None:
        return ""
    return f"{low:g} to {high:g}"
