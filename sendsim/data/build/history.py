"""Every source's facts onto the 153 current councils: the long ``history.parquet`` table
(predecessors apportioned to successors, the derived cumulative DSG balance)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sendsim.data.areas import ENGLAND_CODE, HISTORY_SCHEMA
from sendsim.data.build.geography import PREDECESSORS, SUCCESSORS, code_index, name_index
from sendsim.data.build.raw import ENGLAND_NUMBER, FACT_COLUMNS, drop_uncollected
from sendsim.data.build.schools_finance import (
    benchmarking_facts,
    dsg_facts,
    lait_facts,
    mainstream_sen_facts,
    percent_sen_facts,
    places_facts,
)
from sendsim.data.build.sen2 import (
    caseload_age_facts,
    flow_facts,
    independent_caseload_facts,
    new_plan_band_facts,
    new_plan_facts,
    placement_facts,
    sen2_mi_facts,
    tribunal_facts,
)
from sendsim.errors import DataError


def source_facts(raw_dir: Path) -> pl.DataFrame:
    """All facts at the publishers' geographies, keyed by old LA number (970 = England)."""
    names, codes = name_index(raw_dir), code_index(raw_dir)
    newer = pl.concat([flow_facts(raw_dir), new_plan_facts(raw_dir)])
    older = sen2_mi_facts(raw_dir)
    key = ["la_number", "measure", "year"]
    older = older.join(newer.select(key), on=key, how="anti")  # prefer the 2019-2022 files
    placements = placement_facts(raw_dir)
    independent = independent_caseload_facts(raw_dir).join(
        placements.select(key), on=key, how="anti"
    )
    parts = [
        caseload_age_facts(raw_dir),
        new_plan_band_facts(raw_dir),
        placements,
        independent,
        newer,
        older,
        tribunal_facts(raw_dir, names),
        percent_sen_facts(raw_dir, codes),
        mainstream_sen_facts(raw_dir, names),
        places_facts(raw_dir),
        dsg_facts(raw_dir, names),
        benchmarking_facts(raw_dir),
        lait_facts(raw_dir),
    ]
    return drop_uncollected(pl.concat(parts).select(FACT_COLUMNS))


def is_rate(measure: pl.Expr) -> pl.Expr:
    """Rates and averages (``*_pct``, ``*_share``, ``*_score``) are copied to successors;
    counts are split."""
    return measure.str.contains(r"_(pct|share|score)$")


def to_current(
    facts: pl.DataFrame, councils: pl.DataFrame, shares: pl.DataFrame, raw_dir: Path
) -> pl.DataFrame:
    """Key facts by 2023 ONS code; successors without their own value get apportioned ones."""
    codes = dict(zip(councils["la_number"], councils["la_code"], strict=True))
    codes[ENGLAND_NUMBER] = ENGLAND_CODE
    unknown = facts.filter(~pl.col("la_number").is_in([*codes, *PREDECESSORS]))
    if unknown.height:
        row = unknown.row(0, named=True)
        raise DataError(raw_dir / row["source"], f"unknown LA number {row['la_number']}")
    direct = facts.filter(pl.col("la_number").is_in(list(codes))).with_columns(
        pl.when(pl.col("value").is_null()).then(2).otherwise(0).alias("rank")
    )
    combined = pl.concat([direct.drop("source"), apportioned(facts, shares)], how="diagonal")
    combined = combined.with_columns(
        pl.col("la_number").replace_strict(codes, return_dtype=pl.String).alias("la_code")
    )
    key = ["la_code", "measure", "year"]
    best = combined.sort([*key, "rank"]).unique(subset=key, keep="first", maintain_order=True)
    return best.select(list(HISTORY_SCHEMA)).cast(HISTORY_SCHEMA)


def apportioned(facts: pl.DataFrame, shares: pl.DataFrame) -> pl.DataFrame:
    """Predecessors' values handed to successors (rank 1 if known, 3 if suppressed)."""
    sizes = {g: sum(1 for v in PREDECESSORS.values() if v == g) for g in SUCCESSORS}
    pred = facts.filter(pl.col("la_number").is_in(list(PREDECESSORS))).with_columns(
        pl.col("la_number").replace_strict(PREDECESSORS, return_dtype=pl.String).alias("group")
    )
    pooled = pred.group_by("group", "measure", "year").agg(
        pl.len().alias("n"),
        pl.when(pl.col("value").null_count() > 0)
        .then(None)
        .otherwise(pl.col("value").sum())
        .alias("value"),
        (pl.col("status") == "imputed").any().alias("imputed"),
        pl.col("source").first(),
    )
    size = pl.col("group").replace_strict(sizes, return_dtype=pl.Int64)
    pooled = pooled.filter((pl.col("n") == size) & ~(is_rate(pl.col("measure")) & (size > 1)))
    out = pooled.join(shares, on="group", how="inner").join(
        pooled_area_shares(facts), on=["group", "la_number"], how="left"
    )
    sen2 = pl.col("source").str.starts_with("dfe-ehcp/") & pl.col("sen2_share").is_not_null()
    out = out.with_columns(pl.when(sen2).then("sen2_share").otherwise("share").alias("share"))
    value = (
        pl.when(is_rate(pl.col("measure")))
        .then("value")
        .otherwise(pl.col("value") * pl.col("share"))
    )
    status = (
        pl.when(pl.col("value").is_null())
        .then(pl.lit("suppressed"))
        .when(pl.col("imputed"))
        .then(pl.lit("imputed"))
        .otherwise(pl.lit("apportioned"))
    )
    rank = pl.when(pl.col("value").is_null()).then(3).otherwise(1)
    return out.select(
        "la_number",
        "measure",
        "year",
        value.alias("value"),
        status.alias("status"),
        rank.alias("rank"),
    )


def pooled_area_shares(facts: pl.DataFrame) -> pl.DataFrame:
    """(group, la_number, sen2_share) for splitting the pre-2019 Dorset pool's SEN2 counts.

    Dorset, Poole and Bournemouth had different EHC plan rates, so their pooled SEN2 counts are
    split by the successors' shares of the EHC plan caseload in the first January both publish
    it (2020); one share for all SEN2 measures keeps placements and age bands adding up.
    """
    successors = list(SUCCESSORS["dorset"])
    own = facts.filter(
        (pl.col("measure") == "ehcp_total")
        & pl.col("la_number").is_in(successors)
        & pl.col("value").is_not_null()
    )
    own = own.filter(pl.len().over("year") == 2)
    first = own.filter(pl.col("year") == pl.col("year").min())
    share = pl.col("value") / pl.col("value").sum()
    return first.select(pl.lit("dorset").alias("group"), "la_number", share.alias("sen2_share"))


def with_dsg_balance(history: pl.DataFrame) -> pl.DataFrame:
    """Add ``dsg_cumulative_balance_gbp`` = balance % x total DSG (before deductions) / 100.

    The deficit file's "DSG cumulative balance as a % of the total income" is positive for a
    surplus and negative for a deficit (England 2021-22: -2.26%, the negative of its
    ``deficit`` column). Times ``total_dsg_pre`` of the same financial year it gives the
    cumulative balance at 31 March of the year's end: England 2021-22 -2.26% x £51.13bn =
    -£1.16bn, and the councils sum to -£1.15bn (``check_dsg_balance``).
    """
    key = ["la_code", "year"]
    pct = history.filter(pl.col("measure") == "dsg_balance_pct")
    total = history.filter(pl.col("measure") == "dsg_total_gbp")
    both = pct.join(total, on=key, how="inner", suffix="_total")
    value = pl.col("value") * pl.col("value_total") / 100
    statuses = [pl.col("status"), pl.col("status_total")]
    status = (
        pl.when(value.is_null())
        .then(pl.lit("suppressed"))
        .when(pl.any_horizontal(s == "imputed" for s in statuses))
        .then(pl.lit("imputed"))
        .when(pl.any_horizontal(s == "apportioned" for s in statuses))
        .then(pl.lit("apportioned"))
        .otherwise(pl.lit("published"))
    )
    derived = both.select(
        "la_code",
        "year",
        pl.lit("dsg_cumulative_balance_gbp").alias("measure"),
        value.alias("value"),
        status.alias("status"),
    )
    return pl.concat([history, derived.select(list(HISTORY_SCHEMA))]).sort(
        "la_code", "measure", "year"
    )
