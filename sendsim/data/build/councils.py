"""``councils.parquet``: one row per council, the January 2022 snapshot picked from the history
(see ``council_spec``) with attributes, population and statistical neighbours."""

from __future__ import annotations

import polars as pl

from sendsim.data.areas import (
    AGE_BANDS,
    COUNCIL_SCHEMA,
    COUNCILS_FILE,
    NEW_PLAN_AGES,
    NEW_PLAN_PLACEMENTS,
    OUTCOMES,
    PLACEMENTS,
    PROCESSED_DIR,
    SCHOOL_TYPES,
)
from sendsim.data.build.schools_finance import benchmarking_measures
from sendsim.errors import DataError


def council_spec() -> list[tuple[str, str, int]]:
    """(column of councils.parquet, history measure, year) for every value column."""
    spec = [(f"ehcp_age_{b}", f"ehcp_age_{b}", 2022) for b in AGE_BANDS]
    spec += [("ehcp_total", "ehcp_total", 2022)] + [
        (f"ehcp_{p}", f"ehcp_{p}", 2022) for p in (*PLACEMENTS, *SCHOOL_TYPES)
    ]
    same_2022 = ["sen_support_pct", "ehcp_pct", "mainstream_pupils", "mainstream_sen_support_pct"]
    same_2022 += ["mainstream_ehcp_pct", "primary_pupils", "secondary_pupils", "special_places"]
    spec += [(m, m, 2022) for m in same_2022] + [("pupils_total", "mainstream_pupils", 2022)]
    spec += [(m, m, 2023) for m in ("primary_capacity", "secondary_capacity")]
    flows_2022 = ["requests", "refusals", "assessments", "plans_issued", "plans_not_issued"]
    spec += [(f"{m}_2022", m, 2022) for m in [*flows_2022, "within_20_weeks_share", "new_plans"]]
    flows_2021 = ["requests", "refusals", "new_plans", "within_20_weeks_share", "ceased"]
    flows_2021 += [f"ceased_{r}" for r in ("moved_la", "needs_met", "other", "left_education")]
    spec += [
        (f"{m}_2021", m, 2021) for m in [*flows_2021, "mediations", "tribunal_after_mediation"]
    ]
    spec += [(f"tribunal_appeals_{y}", "tribunal_appeals", y) for y in (2021, 2022)]
    spec += [("appealable_decisions_2022", "appealable_decisions", 2022)]
    spec += [(f"new_plans_2022_{p}", f"new_plans_{p}", 2022) for p in NEW_PLAN_PLACEMENTS]
    spec += [(f"new_plans_2022_age_{a}", f"new_plans_age_{a}", 2022) for a in NEW_PLAN_AGES[2:]]
    spec += [(f"hnb_{y}_{(y + 1) % 100:02d}_gbp", "hnb_gbp", y) for y in range(2019, 2024)]
    spec += [
        ("hnb_post_2022_23_gbp", "hnb_post_gbp", 2022),
        ("dsg_total_2021_22_gbp", "dsg_total_gbp", 2021),
    ]
    spec += [("dsg_balance_pct_2021_22", "dsg_balance_pct", 2021)]
    spec += [("dsg_cumulative_balance_2022_gbp", "dsg_cumulative_balance_gbp", 2021)]
    spec += [(m, m, 2021) for m in benchmarking_measures().values()]
    return spec + [(m, m, 2022) for m in OUTCOMES]


def councils_table(
    councils: pl.DataFrame,
    population: pl.DataFrame,
    history: pl.DataFrame,
    neighbours: pl.DataFrame,
) -> pl.DataFrame:
    """One row per council: attributes, population 0-25 and the values named in ``council_spec``."""
    spec = pl.DataFrame(council_spec(), schema=["column", "measure", "year"], orient="row")
    picked = history.join(spec.with_columns(pl.col("year").cast(pl.Int16)), on=["measure", "year"])
    wide = picked.pivot(on="column", index="la_code", values="value")
    absent = set(spec["column"]) - set(wide.columns)
    if absent:
        raise DataError(PROCESSED_DIR / COUNCILS_FILE, f"no data for column {sorted(absent)[0]!r}")
    order = {c: i for i, c in enumerate(COUNCIL_SCHEMA)}
    imputed = (
        picked.filter(pl.col("status") == "imputed")
        .with_columns(pl.col("column").replace_strict(order, return_dtype=pl.Int32).alias("order"))
        .sort("la_code", "order")
        .group_by("la_code", maintain_order=True)
        .agg(pl.col("column").str.join(",").alias("imputed"))
    )
    pop = population.group_by("la_code").agg(pl.col("population_2020").sum().alias("pop_0_25"))
    age_2 = pl.col("new_plans_2022_age_2")
    table = (
        councils.join(pop, on="la_code", how="left")
        .join(wide, on="la_code", how="left")
        .join(imputed, on="la_code", how="left")
        .join(neighbours, on="la_number", how="left")
        .with_columns(
            pl.col("imputed").fill_null(""),
            pl.col("stat_neighbours").fill_null(""),
            *[
                pl.when(age_2.is_not_null()).then(0.0).alias(f"new_plans_2022_age_{a}")
                for a in (0, 1)
            ],
        )
    )
    return table.select(list(COUNCIL_SCHEMA)).cast(COUNCIL_SCHEMA).sort("la_code")
