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


def lever_table(effects: bool = False) -> pl.DataFrame:
    """The policy levers (and, with ``effects``, the uncertain sizes of their effects)."""
    table = param_table()
    keep = pl.col("kind") == "policy"
    if effects:
        keep |= pl.col("key").str.starts_with("behaviour.effects.")
    return table.filter(keep)


def markdown(frame: pl.DataFrame) -> str:
    """A markdown table of ``frame`` (text cells; pipes escaped)."""

    def row(cells: list[object]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

    lines = [row(frame.columns), row(["---"] * frame.width)]
    lines += [row(list(r)) for r in frame.iter_rows()]
    return "\n".join(lines)


def _range(low: float | None, high: float | None, choices: tuple[str, ...] | None) -> str:
    if choices:
        return " | ".join(choices)
    if low is None and high is None:
        return ""
    return f"{low:g} to {high:g}"
