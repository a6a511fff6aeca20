"""Rebuild ``sendsim/data/processed/*.parquet`` from the raw open data in ``sendsim/data/raw``.

Run ``python -m sendsim.data.build`` (it needs the ``data`` extra, ``pip install
'sendsim[data]'``; runs never import this package). The build is deterministic and writes each
table atomically. It produces three tables for the 153 councils of April 2023 onwards:

* ``councils.parquet``: one row per council, January 2022 snapshot plus recent flows and finance;
* ``population.parquet``: single-year population aged 0-25, mid-2019 and mid-2020;
* ``history.parquet``: the published series in long form (la_code, year, measure, value, status).

Conventions (see ``raw/README.md`` for the files):

* Markers ``x z c u low - ..`` and empty cells are null, never zero; the history row keeps
  ``status="suppressed"``. A measure-year the publisher did not collect at all is left out.
* ``year`` is the January of the snapshot for stocks, the calendar year for flows and the
  starting year of a financial or academic year for finance and school places.
* Councils are keyed by their 2023 ONS code. Series of predecessor councils are handed to their
  successors and marked ``apportioned``: counts are split, rates are copied. Cumbria goes to
  Cumberland and Westmorland and Furness, and Northamptonshire (before 2021) to North and West
  Northamptonshire, by the successors' shares of the mid-2020 population aged 0-25. The
  pre-2019 Dorset, Poole and Bournemouth are pooled and split between Dorset and Bournemouth,
  Christchurch and Poole: SEN2 counts by the successors' shares of the January 2020 EHC plan
  caseload, other counts by population (``pooled_area_shares``); pooled rates are left out.
  A successor's own published value always wins over an apportioned one.

Modules, one job each: ``raw`` reads the downloads, ``geography`` makes the councils and their
population, ``sen2`` and ``schools_finance`` turn each source into facts, ``history`` puts the
facts onto the current councils, ``councils`` picks the councils table from the history, and
``checks`` tests the tables before they are written.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import polars as pl

from sendsim.data.areas import COUNCILS_FILE, HISTORY_FILE, POPULATION_FILE, PROCESSED_DIR
from sendsim.data.build.checks import check_tables
from sendsim.data.build.councils import councils_table
from sendsim.data.build.geography import (
    council_attributes,
    population_table,
    stat_neighbours,
    successor_shares,
)
from sendsim.data.build.history import source_facts, to_current, with_dsg_balance
from sendsim.data.build.raw import RAW_DIR
from sendsim.errors import EXIT_USAGE, SendsimError


def make_tables(raw_dir: Path) -> dict[str, pl.DataFrame]:
    """Build the three tables from ``raw_dir``."""
    councils = council_attributes(raw_dir)
    population = population_table(raw_dir, councils)
    shares = successor_shares(population, councils)
    history = with_dsg_balance(to_current(source_facts(raw_dir), councils, shares, raw_dir))
    neighbours = stat_neighbours(raw_dir, councils)
    return {
        COUNCILS_FILE: councils_table(councils, population, history, neighbours),
        POPULATION_FILE: population,
        HISTORY_FILE: history.sort("la_code", "measure", "year"),
    }


def write_atomic(frame: pl.DataFrame, path: Path) -> None:
    """Write ``frame`` to a temporary file beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        frame.write_parquet(tmp, compression="zstd", statistics=True)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; keep the usual mode of committed files
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build(
    out_dir: Path | str = PROCESSED_DIR, raw_dir: Path | str = RAW_DIR
) -> dict[str, pl.DataFrame]:
    """Rebuild the processed tables from ``raw_dir`` into ``out_dir``; return them by file name."""
    tables = make_tables(Path(raw_dir))
    check_tables(tables, Path(raw_dir))
    for name, frame in tables.items():
        write_atomic(frame, Path(out_dir) / name)
    return tables


def main() -> None:
    """Entry point of ``python -m sendsim.data.build`` (bad raw data: one line, exit 2)."""
    try:
        tables = build()
    except SendsimError as err:
        print(f"sendsim.data.build: {err}", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    for name, frame in tables.items():
        print(f"{PROCESSED_DIR / name}: {frame.height} rows x {frame.width} columns")
