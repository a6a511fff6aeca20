"""Atomic file writes: a killed process leaves either the complete file or none.

Every result file of sendsim is written by :func:`atomic_write`; a failure to write (no
permission, disk full) becomes an :class:`~sendsim.errors.OutputError` naming the file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl

from sendsim.errors import OutputError

TMP_MARK = ".tmp."  # temporary files are named .<name>.tmp.<pid>
FULL_BYTES = 1 << 20  # less free space than this: the disk is full
FORMULA_START = r"^[=+\-@\t\r]"  # cells a spreadsheet would run as a formula (OWASP)


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, sync it, then rename it."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}{TMP_MARK}{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        _sync_folder(path.parent)
    except (OSError, pl.exceptions.PolarsError) as err:
        raise OutputError(path, _reason(err, path.parent)) from err
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (a crash of the machine keeps it)."""
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _reason(err: Exception, folder: Path) -> str:
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    with contextlib.suppress(OSError):  # polars hides a full disk behind its own words
        if shutil.disk_usage(folder).free < FULL_BYTES:
            return "No space left on device"
    return " ".join(str(err).split())


def is_temporary(path: Path) -> bool:
    """Whether ``path`` is a temporary file of :func:`atomic_write` (left by a killed process)."""
    return path.name.startswith(".") and TMP_MARK in path.name


def spreadsheet_csv(frame: pl.DataFrame) -> str:
    """CSV text safe to open in a spreadsheet: text cells that start like a formula (and are
    not numbers) get a leading apostrophe, so they show as text instead of running."""
    text = pl.col(pl.String)
    formula = text.str.contains(FORMULA_START) & text.cast(pl.Float64, strict=False).is_null()
    escaped = pl.when(formula).then(pl.lit("'") + text).otherwise(text).name.keep()
    return frame.with_columns(escaped).write_csv()


def write_parquet(frame: pl.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` to ``path`` atomically (zstd-compressed parquet)."""
    return atomic_write(path, lambda tmp: frame.write_parquet(tmp, compression="zstd"))


def write_bytes(data: bytes, path: str | Path) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(data))


def write_text(text: str, path: str | Path) -> Path:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
