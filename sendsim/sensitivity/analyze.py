"""Merge the chunks and compute sensitivity indices with SALib.

Writes, atomically, into the study folder:

- ``results.parquet``: ``row``, the factor values and the outputs, sorted by row;
- ``indices.parquet``: one row per output and factor. Sobol and FAST: ``S1, S1_conf, ST,
  ST_conf``; Morris: ``mu_star, mu_star_conf, sigma``. ``*_conf`` is the half-width of the
  95% bootstrap interval. An output without a value in some rows is estimated from the base
  samples or trajectories where it has one (:func:`output_groups`);
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
MIN_BLOCKS = 2  # base samples or trajectories: fewer give no variance
BLOCKS = {"sobol": "base samples", "morris": "trajectories"}  # estimates of their own
NO_VALUE = "%s has no value in %d of %d rows (a share of a group with no one in it)"
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
    steps = [
        convergence(study, design, y[:, columns], [study.outputs[c] for c in columns], blocks)
        for columns, blocks in output_groups(study, y)
    ]
    result = in_study_order(pl.concat([group[-1] for group in steps]), study).drop("n", "rows")
    write_parquet(result, folder / INDICES)
    order = ["output", "factor", "n", "rows", *COLUMNS[study.method]]
    every_step = pl.concat([step for group in steps for step in group])
    write_parquet(in_study_order(every_step, study).select(order), folder / CONVERGENCE)
    tornado.draw(result, study.method, folder)
    _log_top(study, result)
    return result


def in_study_order(frame: pl.DataFrame, study: Study) -> pl.DataFrame:
    """Rows by output in the study's order, keeping the order within each output."""
    rank = {name: i for i, name in enumerate(study.outputs)}
    return frame.sort(pl.col("output").replace_strict(rank), maintain_order=True)


def output_groups(study: Study, y: np.ndarray) -> list[tuple[list[int], np.ndarray]]:
    """The outputs (columns of ``y``) analysed together, each group with the blocks of the
    design it uses (Sobol's base samples, Morris's trajectories): every block for the outputs
    with a value in every row. A share of a group that has no one in it in some run (pupils
    with plans at Key Stage 2, when a factor ends young children's plans) has no value there;
    such an output is analysed alone on the blocks with a value in every row, each block an
    estimate of its own, and named in the log. FAST's design has no such blocks: there it is
    left out."""
    missing = np.isnan(y)
    complete = [c for c in range(y.shape[1]) if not missing[:, c].any()]
    groups = [(complete, np.ones(study.n, bool))] if complete else []
    for c in np.flatnonzero(missing.any(axis=0)):
        name, count = study.outputs[c], int(missing[:, c].sum())
        blocks = None if study.method == "fast" else ~missing[:, c].reshape(study.n, -1).any(1)
        if blocks is None or blocks.sum() < MIN_BLOCKS:
            log.warning(NO_VALUE + ": no indices for it", name, count, len(y))
            continue
        log.warning(
            NO_VALUE + ": its indices use the %d of %d %s with a value in every row",
            name,
            count,
            len(y),
            blocks.sum(),
            study.n,
            BLOCKS[study.method],
        )
        groups.append(([int(c)], blocks))
    if not groups:
        raise SendsimError("no output has a value in enough design rows; nothing to analyse")
    return groups


def convergence(
    study: Study, design: np.ndarray, y: np.ndarray, outputs: list[str], blocks: np.ndarray
) -> list[pl.DataFrame]:
    """Indices of ``outputs`` from the ``blocks`` used among the first quarter, half and all
    of the design (:func:`convergence_steps`), with the blocks (``n``) and rows they hold."""
    per_block = study.rows // study.n
    steps = []
    for n, rows in convergence_steps(study):
        used = blocks[:n]
        if used.sum() < MIN_BLOCKS:
            continue
        keep = np.repeat(used, per_block) if study.method != "fast" else np.ones(rows, bool)
        frame = indices(study, design[:rows][keep], y[:rows][keep], outputs)
        steps.append(
            frame.with_columns(
                n=pl.lit(int(used.sum()), pl.Int64), rows=pl.lit(int(keep.sum()), pl.Int64)
            )
        )
    return steps


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

    Fewer than :data:`MIN_BLOCKS` samples give no variance, so smaller steps are left out.
    """
    if study.method == "fast":
        return [(study.n, study.rows)]
    per_sample = study.rows // study.n
    sizes = sorted({n for n in (study.n // 4, study.n // 2, study.n) if n >= MIN_BLOCKS})
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
