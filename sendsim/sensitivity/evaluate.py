"""Evaluate a chunk of design rows, resumably.

A chunk's result is ``chunks/chunk_<k>.parquet`` (``row`` and one column per output, the mean
over replicates), written atomically: if it exists the chunk is done and returns at once.
While a chunk runs, finished rows are saved every :data:`CHECKPOINT_S` seconds as
``chunks/chunk_<k>/part_<first row>.parquet``; a killed or timed-out job that is run again
skips those rows, so at most a checkpoint interval of work is lost.

Jobs evaluating the same folder at once split the work: each chunk is evaluated under a lock
file (``chunks/chunk_<k>.lock``, see :mod:`sendsim.lock`), and a job finding a chunk locked
by a live job moves on, then waits for it to be done.
"""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

import numpy as np
import polars as pl
from tqdm import tqdm

from sendsim import lock
from sendsim.io import write_parquet
from sendsim.sensitivity.models import Evaluator
from sendsim.sensitivity.study import Study

CHUNKS = "chunks"
CHECKPOINT_S = 30.0
POLL_S = 5.0  # how often a job waiting for another job's chunk looks again
log = logging.getLogger(__name__)


def chunk_path(folder: Path, chunk: int) -> Path:
    return folder / CHUNKS / f"chunk_{chunk}.parquet"


def evaluate_chunks(
    folder: Path, study: Study, design: np.ndarray, chunks: list[int], evaluate: Evaluator
) -> None:
    """Evaluate ``chunks``, leaving those another live job is evaluating to it and waiting
    until they are done."""
    waiting = list(chunks)
    while True:
        waiting = [k for k in waiting if evaluate_chunk(folder, study, design, k, evaluate) is None]
        if not waiting:
            return
        log.info("waiting for chunks %s, evaluated by other jobs", waiting)
        time.sleep(POLL_S)


def evaluate_chunk(
    folder: Path, study: Study, design: np.ndarray, chunk: int, evaluate: Evaluator
) -> Path | None:
    """Evaluate the rows of ``chunk`` not yet done and write the chunk's result file, unless
    another live job holds the chunk (then None).

    Args:
        folder: the study folder (``sensitivity.dir``).
        study: the study the design belongs to.
        design: the design's rows (factor values).
        chunk: chunk index, 0 to ``study.chunks - 1``.
        evaluate: a design row -> outputs function.

    Returns:
        The chunk's result file, or None if another job is evaluating the chunk.
    """
    final = chunk_path(folder, chunk)
    with lock.hold(final.with_suffix(".lock")) as holder:
        if final.exists():
            log.info("chunk %d: already done", chunk)
            return final
        if holder is not None:
            log.info("chunk %d: being evaluated by %s", chunk, holder)
            return None
        return _evaluate_rows(folder, study, design, chunk, evaluate)


def _evaluate_rows(
    folder: Path, study: Study, design: np.ndarray, chunk: int, evaluate: Evaluator
) -> Path:
    final = chunk_path(folder, chunk)
    parts = folder / CHUNKS / f"chunk_{chunk}"
    done = _saved(parts, study)
    done_rows = set(done["row"].to_list())
    todo = [r for r in study.chunk_rows(chunk) if r not in done_rows]
    log.info("chunk %d: %d rows saved earlier, %d to run", chunk, done.height, len(todo))
    started = time.perf_counter()
    pending: list[tuple[int, np.ndarray]] = []
    last_save = started
    for row in tqdm(todo, desc=f"chunk {chunk}", unit="row", disable=None):
        pending.append((int(row), evaluate(design[row])))
        if time.perf_counter() - last_save >= CHECKPOINT_S:
            _save_part(parts, study, pending)
            pending, last_save = [], time.perf_counter()
    _save_part(parts, study, pending)
    frame = _saved(parts, study).sort("row")
    expected = study.chunk_rows(chunk)
    assert frame["row"].to_list() == expected.tolist(), "a chunk holds exactly its rows"
    write_parquet(frame, final)
    shutil.rmtree(parts, ignore_errors=True)
    seconds = time.perf_counter() - started
    log.info(
        "chunk %d: %d rows x %d replicates in %.1f s (%.2f s per model run)",
        chunk,
        len(todo),
        study.replicates,
        seconds,
        seconds / max(1, len(todo) * study.replicates),
    )
    return final


def _frame(study: Study, results: list[tuple[int, np.ndarray]]) -> pl.DataFrame:
    values = np.array([y for _, y in results], dtype=float).reshape(
        len(results), len(study.outputs)
    )
    columns = {name: values[:, i] for i, name in enumerate(study.outputs)}
    return pl.DataFrame({"row": np.array([r for r, _ in results], dtype=np.int64)} | columns)


def _save_part(parts: Path, study: Study, results: list[tuple[int, np.ndarray]]) -> None:
    if results:
        write_parquet(_frame(study, results), parts / f"part_{results[0][0]}.parquet")


def _saved(parts: Path, study: Study) -> pl.DataFrame:
    """Rows saved by earlier attempts (``.``-prefixed temporary files are never read)."""
    files = sorted(parts.glob("part_*.parquet"))
    if not files:
        return _frame(study, [])
    return pl.concat([pl.read_parquet(f) for f in files]).unique("row", keep="first")
