"""Tornado charts beside the indices: for each output, the factors that move it most, with
their 95% intervals and the noise floor (the dummy factor's index), as the board report draws
them: ``tornado-<output>.png``."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sendsim.io import write_bytes


def draw(indices: pl.DataFrame, method: str, folder: Path) -> list[Path]:
    """Write one tornado chart per output of ``indices`` into ``folder``; returns the files."""
    from sendsim.report.build import factor_labels, output_label, output_slug
    from sendsim.report.charts import tornado_chart

    kind = "morris" if method == "morris" else "sobol"  # FAST has Sobol's columns
    labels = factor_labels()
    paths = []
    for output in indices["output"].unique(maintain_order=True):
        frame = indices.filter(pl.col("output") == output)
        png = tornado_chart(frame, kind, labels, f"What drives: {output_label(output)}")
        paths.append(write_bytes(png, folder / f"tornado-{output_slug(output)}.png"))
    return paths
