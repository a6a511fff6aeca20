"""Checks the built tables must pass before they are written; each failure names the raw file
it concerns."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sendsim.data.areas import (
    COUNCILS_FILE,
    ENGLAND_CODE,
    HISTORY_FILE,
    NEW_PLAN_PLACEMENTS,
    PLACEMENTS,
    PROCESSED_DIR,
)
from sendsim.data.build.raw import (
    AGE_CASELOAD,
    DSG_DEFICIT,
    LOOKUP,
    NEW_PLANS,
    PLACEMENT,
)
from sendsim.errors import DataError

ENGLAND_EHCP_2022 = 473_255  # SEN2 national total, January 2022


def check_tables(tables: dict[str, pl.DataFrame], raw_dir: Path) -> None:
    """Checks the built tables must pass; each failure names the file it concerns."""
    councils, history = tables[COUNCILS_FILE], tables[HISTORY_FILE]
    if councils.height != 153 or councils["la_code"].n_unique() != 153:
        raise DataError(raw_dir / LOOKUP, f"expected 153 distinct councils, got {councils.height}")
    check_placement_sums(councils, history, raw_dir)
    england = councils["ehcp_total"].sum()
    national = history.filter(
        (pl.col("la_code") == ENGLAND_CODE)
        & (pl.col("measure") == "ehcp_total")
        & (pl.col("year") == 2022)
    )["value"]
    if abs(england - ENGLAND_EHCP_2022) > 1e-6 or national.to_list() != [ENGLAND_EHCP_2022]:
        raise DataError(
            raw_dir / AGE_CASELOAD, f"England EHC plans 2022 sum to {england}, not 473,255"
        )
    check_dsg_balance(history, raw_dir)
    if history.select("la_code", "measure", "year").is_duplicated().any():
        raise DataError(PROCESSED_DIR / HISTORY_FILE, "duplicate (la_code, measure, year) rows")


def check_dsg_balance(history: pl.DataFrame, raw_dir: Path) -> None:
    """Councils' DSG balances must be within 1% of England's and share its (deficit) sign."""
    rows = history.filter(pl.col("measure") == "dsg_cumulative_balance_gbp")
    england = rows.filter(pl.col("la_code") == ENGLAND_CODE).select("year", "value")
    councils = (
        rows.filter(pl.col("la_code") != ENGLAND_CODE).group_by("year").agg(pl.col("value").sum())
    )
    joined = england.join(councils, on="year", suffix="_councils")
    gap = (joined["value_councils"] / joined["value"] - 1).abs()
    if joined.height == 0 or (joined["value"] >= 0).any() or gap.max() > 0.01:
        raise DataError(
            raw_dir / DSG_DEFICIT, "DSG balances disagree with England's (sign or size)"
        )


def check_placement_sums(councils: pl.DataFrame, history: pl.DataFrame, raw_dir: Path) -> None:
    """Placement groups add up to the caseload (2019-2022) and new plans (2022) of each council."""
    pairs = [
        (PLACEMENT, "ehcp_total", [f"ehcp_{p}" for p in PLACEMENTS]),
        (NEW_PLANS, "new_plans_2022", [f"new_plans_2022_{p}" for p in NEW_PLAN_PLACEMENTS]),
    ]
    for name, total, parts in pairs:
        gap = (councils[total] - councils.select(pl.sum_horizontal(parts)).to_series()).abs()
        if councils[total].null_count() or gap.max() > 1e-6:
            raise DataError(raw_dir / name, f"placement columns do not add up to {total}")
    measures = ["ehcp_total", *[f"ehcp_{p}" for p in PLACEMENTS]]
    wide = history.filter(pl.col("measure").is_in(measures) & (pl.col("year") >= 2019))
    wide = wide.pivot(on="measure", index=["la_code", "year"], values="value")
    gap = (wide["ehcp_total"] - wide.select(pl.sum_horizontal(measures[1:])).to_series()).abs()
    if gap.max() > 1e-6:
        raise DataError(raw_dir / PLACEMENT, "placement history does not add up to ehcp_total")
