"""What ``sendsim run`` prints when it has finished: where the results are and three headline
figures from ``summary.parquet`` (England's row for an England run), with their units."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from sendsim.results import ENGLAND_CODE, SUMMARY


def headlines(out_dir: Path) -> str:
    """A few lines: the results folder, then plans, high needs spend and the DSG balance."""
    summary = pl.read_parquet(out_dir / SUMMARY)
    england = summary.filter(pl.col("la_code") == ENGLAND_CODE)
    row = (england if england.height else summary).row(0, named=True)
    horizon: dt.date = row["horizon"]
    balance = row["dsg_cumulative_balance_gbp"]
    deficit = " (deficit)" if balance is not None and balance < 0 else ""
    figures = (
        ("EHC plans in force", f"{row['ehcp_caseload']:,.0f} plans"),
        ("High needs spend, last 12 months", _money(row["hn_spend_gbp"])),
        ("Cumulative DSG balance", _money(balance) + deficit),
    )
    width = max(len(label) for label, _ in figures)
    return "\n".join(
        (
            f"sendsim: results in {out_dir}",
            f"  {row['la_name']}, {horizon:%B %Y}:",
            *(f"    {label:<{width}}  {value}" for label, value in figures),
        )
    )


def _money(gbp: float | None) -> str:
    """Pounds in millions, or billions from £1bn: -£1.4m, £8.63bn."""
    if gbp is None:
        return "n/a"
    sign, size = ("-" if gbp < 0 else ""), abs(gbp)
    return f"{sign}£{size / 1e9:,.2f}bn" if size >= 1e9 else f"{sign}£{size / 1e6:,.1f}m"
