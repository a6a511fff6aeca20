"""The tornado chart: for each output, the factors that move it most, with their intervals
and the noise floor (the dummy factor's index), as ``tornado.png`` in the study folder."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sendsim.io import atomic_write
from sendsim.sensitivity.factors import DUMMY

TOP = 10
INDEX = {
    "sobol": ("ST", "ST_conf"),
    "fast": ("ST", "ST_conf"),
    "morris": ("mu_star", "mu_star_conf"),
}
LABEL = {
    "ST": "total-effect index ST (share of variance, with interactions)",
    "mu_star": "Morris mu* (mean absolute elementary effect, output units)",
}


def draw(indices: pl.DataFrame, method: str, path: Path) -> Path:
    """Write the tornado chart of ``indices`` (``indices.parquet``'s frame) to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    key, conf = INDEX[method]
    outputs = indices["output"].unique(maintain_order=True).to_list()
    fig, axes = plt.subplots(
        len(outputs), 1, figsize=(8, 0.35 * (TOP + 2) * len(outputs) + 0.6), squeeze=False
    )
    for ax, output in zip(axes[:, 0], outputs, strict=True):
        rows = indices.filter(pl.col("output") == output)
        floor = rows.filter(pl.col("factor") == DUMMY).select(pl.col(key) + pl.col(conf)).item()
        top = rows.filter(pl.col("factor") != DUMMY).sort(key, descending=True).head(TOP)
        top = top.reverse()  # largest at the top
        ax.barh(top["factor"], top[key], xerr=top[conf], color="#0072B2", ecolor="#555555")
        ax.axvline(floor, color="#D55E00", linestyle="--", linewidth=1.2)
        ax.set_title(output, fontsize=9)
        ax.tick_params(labelsize=7.5)
        ax.grid(axis="x", alpha=0.3)
    axes[-1, 0].set_xlabel(
        f"{LABEL[key]}\nwhiskers: 95% interval; dashed line: noise floor (the dummy's upper bound)",
        fontsize=8,
    )
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110))
    plt.close(fig)
    return path
