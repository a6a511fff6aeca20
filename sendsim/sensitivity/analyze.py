"""Merge the chunks and compute sensitivity indices with SALib.

Writes, atomically, into the study folder:

- ``results.parquet``: ``row``, the factor values and the outputs, sorted by row;
- ``indices.parquet``: one row per output and factor. Sobol and FAST: ``S1, S1_conf, ST,
  ST_conf``; Morris: ``mu_star, mu_star_conf, sigma``. ``*_conf`` is the half-width of the
  95% bootstrap interval;
- ``convergence.parquet``: the same indices from the first quarter, half and all of the base
  samples (Sobol) or trajectories (Morris), with ``n`` and ``rows`` used. FAST's frequencies
  depend on N, so its table has N only;
- ``tornado-<output>.png``: the largest indices of each output against the noise floor.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import polars as pl

from sendsim.errors import SendsimError
from sendsim.io import write_parquet
from sendsim.sensitivity import tornado
from sendsim.sensitivity.config import FAST_M
from sendsim.sensitivity.evaluate import chunk_path
from sendsim.sensitivity.study import Study

RESULTS, INDICES, CONVERGENCE = "results.parquet", "indices.parquet", "convergence.parquet"
COLUMNS = {
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
    "morris": ("mu_star", "mu_star_conf", "sigma"),
    "fast": ("S1", "S1_conf", "ST", "ST_conf"),
}
RESAMPLES, CONF_LEVEL = 1000, 0.95
log = logging.getLogger(__name__)


def merge(folder: Path, study: Study) -> pl.DataFrame:
    """Every chunk's results in row order (``SendsimError`` if chunks or rows are missing)."""
    missing = [k for k in range(study.chunks) if not chunk_path(folder, k).exists()]
    if missing:
        raise SendsimError(
            f"{folder}: {len(missing)} of {study.chunks} chunks not evaluated yet "
            f"({_listing(missing)}); run sensitivity.stage=evaluate for them"
        )
    frame = pl.concat([pl.read_parquet(chunk_path(folder, k)) for k in range(study.chunks)])
    frame = frame.sort("row")
    rows = frame["row"].to_numpy()
    if not np.array_equal(rows, np.arange(study.rows)):
        absent = np.setdiff1d(np.arange(study.rows), rows).tolist()
        repeated = frame.filter(pl.col("row").is_duplicated())["row"].unique().sort().to_list()
        raise SendsimError(
            f"{folder}: chunk files do not hold each design row once (missing: "
            f"{_listing(absent) or 'none'}; duplicated: {_listing(repeated) or 'none'})"
        )
    return frame


def analyze(folder: Path, study: Study, design: np.ndarray) -> pl.DataFrame:
    """Merge, analyse and write the three result files; returns the indices."""
    merged = merge(folder, study)
    y = merged.select(study.outputs).to_numpy().astype(float)
    inputs = pl.DataFrame({name: design[:, i] for i, name in enumerate(study.names)})
    write_parquet(
        pl.concat([merged.select("row"), inputs, merged.drop("row")], how="horizontal"),
        folder / RESULTS,
    )
    outputs = defined(study.outputs, y)
    y = y[:, [study.outputs.index(name) for name in outputs]]
    steps = [
        indices(study, design[:rows], y[:rows], outputs).with_columns(
            n=pl.lit(n, pl.Int64), rows=pl.lit(rows, pl.Int64)
        )
        for n, rows in convergence_steps(study)
    ]
    result = steps[-1].drop("n", "rows")  # the last step uses every row
    write_parquet(result, folder / INDICES)
    order = ["output", "factor", "n", "rows", *COLUMNS[study.method]]
    write_parquet(pl.concat(steps).select(order), folder / CONVERGENCE)
    tornado.draw(result, study.method, folder)
    _log_top(study, result)
    return result


def defined(outputs: tuple[str, ...], y: np.ndarray) -> list[str]:
    """The outputs with a value in every row. A share of a group that has no one in it in some
    run (pupils with plans at Key Stage 2, when a factor ends young children's plans) has none
    there, and SALib's indices would all be NaN: such an output is named and left out."""
    missing = np.isnan(y).sum(axis=0)
    for name, count in zip(outputs, missing, strict=True):
        if count:
            log.warning(
                "%s has no value in %d of %d rows (a share of a group with no one in it): "
                "no indices for it",
                name,
                count,
                len(y),
            )
    kept = [name for name, count in zip(outputs, missing, strict=True) if not count]
    if not kept:
        raise SendsimError("no output has a value in every design row; nothing to analyse")
    return kept


def indices(
    study: Study, design: np.ndarray, y: np.ndarray, outputs: list[str] | None = None
) -> pl.DataFrame:
    """SALib indices of each output (the study's, or ``outputs``: the columns of ``y``; rows
    of ``design`` and ``y`` in sample order)."""
    outputs = outputs or list(study.outputs)
    sp = study.problem()
    sp["outputs"] = outputs
    sp.set_samples(design)
    sp.set_results(y if y.shape[1] > 1 else y[:, 0])
    options = {"num_resamples": RESAMPLES, "conf_level": CONF_LEVEL, "seed": study.seed}
    if study.method == "sobol":
        sp.analyze_sobol(calc_second_order=False, **options)
    elif study.method == "morris":
        sp.analyze_morris(num_levels=study.levels, **options)
    else:
        sp.analyze_fast(M=FAST_M, **options)
    by_output = sp.analysis if len(outputs) > 1 else {outputs[0]: sp.analysis}
    frames = [
        pl.DataFrame(
            {"output": output, "factor": study.names}
            | {c: np.asarray(res[c], dtype=float) for c in COLUMNS[study.method]}
        )
        for output, res in by_output.items()
    ]
    return pl.concat(frames)


def convergence_steps(study: Study) -> list[tuple[int, int]]:
    """(base samples or trajectories, design rows) at N/4, N/2 and N (N only for FAST).

    Fewer than 2 samples give no variance, so smaller steps are left out.
    """
    if study.method == "fast":
        return [(study.n, study.rows)]
    per_sample = study.rows // study.n
    sizes = sorted({n for n in (study.n // 4, study.n // 2, study.n) if n >= 2})
    return [(n, n * per_sample) for n in sizes]


def _listing(values: list[int], limit: int = 20) -> str:
    shown = ", ".join(str(v) for v in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def _log_top(study: Study, result: pl.DataFrame) -> None:
    key = "mu_star" if study.method == "morris" else "ST"
    for output in study.outputs:
        top = result.filter(pl.col("output") == output).sort(key, descending=True).head(5)
        ranked = ", ".join(f"{f} {v:.3g}" for f, v in zip(top["factor"], top[key], strict=True))
        log.info("%s: largest %s: %s", output, key, ranked)
