"""EHC plan series from SEN2 and the SEND Tribunal: the January caseload by age and placement,
requests, assessments, timeliness, new plans (with repairs of published totals), ceased plans,
mediations and appeals."""

from __future__ import annotations

import functools
import operator
from pathlib import Path

import polars as pl

from sendsim.data.areas import (
    BAND_OF_AGE,
    NEW_PLAN_AGES,
    NEW_PLAN_PLACEMENTS,
    NEW_PLANS_BY_BAND,
    PLACEMENTS,
    SCHOOL_TYPES,
)
from sendsim.data.build.geography import numbers_from_names
from sendsim.data.build.raw import (
    AGE_CASELOAD,
    AGE_NEW_PLANS,
    ASSESSMENTS,
    EES_AREA,
    ENGLAND_NUMBER,
    ESTAB_INDEPENDENT,
    NEW_PLANS,
    PLACEMENT,
    REQUESTS,
    SEN2_MI,
    TIMELINESS,
    TRIBUNAL,
    ees_areas,
    parse_numbers,
    read_raw,
    wide_to_facts,
)
from sendsim.errors import DataError

# Placement groups: the publisher's columns summed into each sendsim placement.
PLACEMENT_GROUPS: dict[str, tuple[str, ...]] = {
    "mainstream": (
        "mainstream_la_maintained",
        "mainstream_academy",
        "mainstream_free_school",
        "mainstream_independent",
    ),
    "resourced": tuple(
        f"mainstream_{kind}_{unit}"
        for kind in ("la_maintained", "academy", "free_school")
        for unit in ("resourced_provision", "senunit")
    ),
    "state_special": ("special_la_maintained", "special_academy_free"),
    "independent": ("special_independent", "special_non_maintained"),
    "ap": ("ap_pru_total",),
    "fe": ("general_fe_tertiary_colleges", "ukrlp_provider"),
    "specialist_post16": ("specialist_post_16_institutions",),
    "neet": ("neet",),
    "early_years": ("nm_early_years",),
}
NEW_PLAN_GROUPS = {k: v for k, v in PLACEMENT_GROUPS.items() if k != "neet"}
MAINSTREAM_UNITS = ("", "_resourced_provision", "_senunit")
#: The publisher's columns summed into each school type (areas.SCHOOL_TYPES), resourced
#: provision and units included: the academy share of each council's mainstream schools.
SCHOOL_TYPE_GROUPS = {
    school_type: tuple(f"mainstream_{c}{unit}" for c in columns for unit in MAINSTREAM_UNITS)
    for school_type, columns in zip(
        SCHOOL_TYPES, (("la_maintained",), ("academy", "free_school")), strict=True
    )
}
OTHER_COLUMNS = (
    "elective_home_education",
    "other_arrangements_la",
    "other_arrangements_parents",
    "online_provider",
    "w_settings",
    "other_schools",
    "other_placement_settings",
    "placement_unknown",
    "await_prov_2022",
    "perm_ex_2022",
)
SEN2_MI_MEASURES = {
    "InreqEHC": "requests",
    "AssRefusedEHC": "refusals",
    "NewallEHC": "new_plans",
    "IncExc20weekRate": "within_20_weeks_share",
    "DisleaEHC": "ceased_moved_la",
    "DismetEHC": "ceased_needs_met",
    "DisothEHC": "ceased_other",
    "DisleftEHC": "ceased_left_education",
    "MtosiEHC": "moves_to_special",
    "NewEHCMediation": "mediations",
    "NewEHCTribunal": "tribunal_after_mediation",
}
AGE_CASELOAD_BANDS = {
    "Total": "ehcp_total",
    "Under 5": "ehcp_age_under_5",
    "Age 5 to 10": "ehcp_age_5_10",
    "Age 11 to 15": "ehcp_age_11_15",
    "Age 16 to 19": "ehcp_age_16_19",
    "Age 20 to 25": "ehcp_age_20_25",
}
INDEPENDENT_TYPES = ("Special - Independent", "Special - Non-maintained")
AGE_NEW_PLAN_BANDS = dict(zip(list(AGE_CASELOAD_BANDS)[1:], NEW_PLANS_BY_BAND, strict=True))


def caseload_age_facts(raw_dir: Path) -> pl.DataFrame:
    """EHC plans (statements + plans before 2018) at January by age band, 2010-2022."""
    path = raw_dir / AGE_CASELOAD
    frame = read_raw(raw_dir, AGE_CASELOAD, [*EES_AREA, "characteristic_age", "Total_all"])
    frame = ees_areas(parse_numbers(frame, ["Total_all"], path))
    frame = frame.filter(
        pl.col("la_number").is_not_null()
        & pl.col("characteristic_age").is_in(list(AGE_CASELOAD_BANDS))
    )
    wide = frame.pivot(on="characteristic_age", index=["la_number", "year"], values="Total_all")
    return wide_to_facts(wide, AGE_CASELOAD_BANDS, AGE_CASELOAD)


def independent_caseload_facts(raw_dir: Path) -> pl.DataFrame:
    """Statements and EHC plans at January in independent and non-maintained special schools,
    2010-2022 (the ``independent`` placement, before the placement file begins in 2019)."""
    path = raw_dir / ESTAB_INDEPENDENT
    frame = read_raw(raw_dir, ESTAB_INDEPENDENT, [*EES_AREA, "establishment_type", "Total_all"])
    types = pl.col("establishment_type")
    frame = ees_areas(parse_numbers(frame, ["Total_all"], path))
    frame = frame.filter(pl.col("la_number").is_not_null() & types.is_in(INDEPENDENT_TYPES))
    wide = frame.group_by("la_number", "year").agg(
        pl.when(pl.col("Total_all").null_count() == 0).then(pl.col("Total_all").sum())
    )
    return wide_to_facts(wide, {"Total_all": "ehcp_independent"}, ESTAB_INDEPENDENT)


def new_plan_band_facts(raw_dir: Path) -> pl.DataFrame:
    """New statements and EHC plans in the calendar year by age band, 2009-2021.

    A band the publisher does not list for a council had no new plan when the listed bands add
    up to the council's total (20-25s before 2014 had none); otherwise it is withheld.
    """
    path = raw_dir / AGE_NEW_PLANS
    frame = read_raw(raw_dir, AGE_NEW_PLANS, [*EES_AREA, "characteristic_age", "Total_new_all"])
    frame = ees_areas(parse_numbers(frame, ["Total_new_all"], path))
    wide = frame.filter(pl.col("la_number").is_not_null()).pivot(
        on="characteristic_age", index=["la_number", "year"], values="Total_new_all"
    )
    bands = list(AGE_NEW_PLAN_BANDS)
    wide = wide.with_columns(
        pl.lit(None, pl.Float64).alias(b) for b in bands if b not in wide.columns
    )
    complete = pl.sum_horizontal(bands) == pl.col("Total")
    wide = wide.with_columns(
        pl.when(complete).then(pl.col(b).fill_null(0.0)).otherwise(b).alias(b) for b in bands
    )
    return wide_to_facts(wide, AGE_NEW_PLAN_BANDS, AGE_NEW_PLANS)


def new_plan_bands_from_ages(age_facts: pl.DataFrame) -> pl.DataFrame:
    """New plans by age band from single ages at start (2022: 'age 2 and under' is under 5,
    'age 20 and over' 20-25); a council whose ages are withheld has its bands withheld."""
    band = {f"new_plans_age_{a}": NEW_PLANS_BY_BAND[BAND_OF_AGE[a]] for a in NEW_PLAN_AGES}
    sums = age_facts.group_by(
        "source", "la_number", pl.col("measure").replace_strict(band), "year"
    ).agg(pl.when(pl.col("value").null_count() == 0).then(pl.col("value").sum()).alias("value"))
    return sums.with_columns(
        pl.when(pl.col("value").is_null())
        .then(pl.lit("suppressed"))
        .otherwise(pl.lit("published"))
        .alias("status")
    )


def placement_facts(raw_dir: Path) -> pl.DataFrame:
    """EHC plans at January by placement group, and in mainstream schools by type, 2019-2022."""
    path = raw_dir / PLACEMENT
    components = [c for group in PLACEMENT_GROUPS.values() for c in group] + list(OTHER_COLUMNS)
    frame = read_raw(raw_dir, PLACEMENT, [*EES_AREA, "ehcplans", *components])
    frame = ees_areas(parse_numbers(frame, ["ehcplans", *components], path))
    frame = group_placements(frame, "ehcplans", PLACEMENT_GROUPS, path)
    frame = frame.with_columns(
        pl.sum_horizontal(columns).alias(kind) for kind, columns in SCHOOL_TYPE_GROUPS.items()
    )
    measures = {g: f"ehcp_{g}" for g in (*PLACEMENTS, *SCHOOL_TYPE_GROUPS)}
    return wide_to_facts(frame, measures, PLACEMENT)


def group_placements(
    frame: pl.DataFrame, total: str, groups: dict[str, tuple[str, ...]], path: Path
) -> pl.DataFrame:
    """Sum the publisher's columns into placement groups; ``other`` is the rest of ``total``.

    ``other`` covers elective home education, other arrangements, awaiting provision, permanent
    exclusion, other settings and (for new plans) NEET, plus anything the columns leave out. A
    column null in every row of a year was not collected that year and counts as 0; suppressed
    cells are imputed first (see ``impute_cells``).
    """
    others = [c for c in (*OTHER_COLUMNS, "neet") if c not in groups]
    components = [c for cols in groups.values() for c in cols] + others
    uncollected = [pl.col(c).is_null().all().over("year") for c in components]
    frame = frame.with_columns(
        pl.when(u).then(0.0).otherwise(pl.col(c)).alias(c)
        for c, u in zip(components, uncollected, strict=True)
    )
    frame = impute_cells(frame.rename({total: "total"}), components, path)
    flags = {
        g: pl.any_horizontal(pl.col(f"{c}:imputed") for c in cols) for g, cols in groups.items()
    }
    share_of_rest = pl.col("any_imputed") & (pl.col("remainder") > 0)
    frame = frame.with_columns(
        *[
            functools.reduce(operator.add, [pl.col(c) for c in cols]).alias(g)
            for g, cols in groups.items()
        ],
        *[flag.alias(f"{g}:imputed") for g, flag in flags.items()],
        (pl.any_horizontal(pl.col(f"{c}:imputed") for c in others) | share_of_rest).alias(
            "other:imputed"
        ),
    )
    frame = frame.with_columns((pl.col("total") - pl.sum_horizontal(list(groups))).alias("other"))
    bad = frame.filter(pl.col("other") < -1e-9)
    if bad.height:
        row = bad.row(0, named=True)
        raise DataError(
            path, f"placements exceed the total for LA {row['la_number']}, {row['year']}"
        )
    return frame


def impute_cells(frame: pl.DataFrame, components: list[str], path: Path) -> pl.DataFrame:
    """Fill suppressed placement cells so that each row still adds up to its total.

    The remainder (total minus the known cells) is shared between the suppressed cells and the
    part of the total no column explains, in proportion to the same cells and unexplained part
    in the council's region (regional rows of the same file and year). Filled cells get a
    ``<column>:imputed`` flag.
    """
    known = pl.sum_horizontal(pl.col(c).fill_null(0.0) for c in components)
    frame = frame.with_columns(
        (pl.col("total") - known).alias("remainder"),
        (
            pl.any_horizontal(pl.col(c).is_null() for c in components)
            & pl.col("total").is_not_null()
        ).alias("any_imputed"),
    )
    regional = frame.filter(pl.col("geographic_level") == "Regional").select(
        "region_name",
        "year",
        *[pl.col(c).alias(f"r:{c}") for c in components],
        pl.col("remainder").alias("r:rest"),
    )
    frame = frame.join(regional, on=["region_name", "year"], how="left")
    weights = [
        pl.when(pl.col(c).is_null()).then(pl.col(f"r:{c}")).otherwise(0.0) for c in components
    ]
    weight = pl.sum_horizontal(*weights, pl.col("r:rest"))
    share = pl.when(pl.col("remainder") == 0).then(0.0).otherwise(pl.col("remainder") / weight)
    frame = frame.with_columns(
        *[pl.col(c).fill_null(share * pl.col(f"r:{c}")) for c in components],
        *[
            (pl.col(c).is_null() & pl.col("total").is_not_null()).alias(f"{c}:imputed")
            for c in components
        ],
    )
    unfilled = frame.filter(
        pl.col("any_imputed")
        & (pl.any_horizontal(pl.col(c).is_null() for c in components) | ~share.is_finite())
    )
    if unfilled.height or frame.filter(pl.col("any_imputed") & (pl.col("remainder") < 0)).height:
        raise DataError(
            path, f"cannot impute suppressed placements for LA {unfilled['la_number'][0]}"
        )
    return frame


def flow_facts(raw_dir: Path) -> pl.DataFrame:
    """Requests, refusals, assessments and 20-week timeliness, calendar 2019-2022."""
    specs = [
        (REQUESTS, {"requests_received_in_year": "requests"}, 1.0),
        (REQUESTS, {"requests_decided_not_to_assess": "refusals"}, 1.0),
        (ASSESSMENTS, {"assess_in_year": "assessments", "assess_issued": "plans_issued"}, 1.0),
        (ASSESSMENTS, {"assess_not_issued": "plans_not_issued"}, 1.0),
        (TIMELINESS, {"pc_plans_issued_within_20_weeks": "within_20_weeks_share"}, 0.01),
    ]
    parts = []
    for name, measures, scale in specs:
        frame = read_raw(raw_dir, name, [*EES_AREA, *measures])
        frame = ees_areas(parse_numbers(frame, measures, raw_dir / name))
        frame = frame.with_columns(pl.col(c) * scale for c in measures)
        parts.append(wide_to_facts(frame, measures, name))
    return pl.concat(parts)


def new_plan_facts(raw_dir: Path) -> pl.DataFrame:
    """New EHC plans in the calendar year: totals, placement groups and age at start."""
    path = raw_dir / NEW_PLANS
    components = [c for group in NEW_PLAN_GROUPS.values() for c in group]
    components += [*OTHER_COLUMNS, "neet"]
    needed = [*EES_AREA, "breakdown_topic", "breakdown", "new_ehc_plans", "mainstream_total"]
    frame = read_raw(raw_dir, NEW_PLANS, [*needed, *components])
    numbers = ["new_ehc_plans", "mainstream_total", *components]
    frame = ees_areas(parse_numbers(frame, numbers, path))
    totals = frame.filter(pl.col("breakdown_topic") == "New EHC plans")
    ages = frame.filter(pl.col("breakdown_topic") == "Age when plan started")
    totals = repair_new_plan_totals(totals, ages, path)
    grouped = group_placements(totals.clone(), "new_ehc_plans", NEW_PLAN_GROUPS, path)
    measures = {g: f"new_plans_{g}" for g in NEW_PLAN_PLACEMENTS}
    totals_facts = wide_to_facts(totals, {"new_ehc_plans": "new_plans"}, NEW_PLANS)
    age_facts = new_plan_age_facts(ages, totals)
    return pl.concat(
        [
            totals_facts,
            wide_to_facts(grouped, measures, NEW_PLANS),
            age_facts,
            new_plan_bands_from_ages(age_facts).select(age_facts.columns),
        ]
    )


def repair_new_plan_totals(totals: pl.DataFrame, ages: pl.DataFrame, path: Path) -> pl.DataFrame:
    """Repair council totals that repeat their region's total (Yorkshire and The Humber, 2022).

    Such a council's total is the sum of its published ages at start; a council whose breakdown
    is withheld ('x') gets the region's total minus the other councils (flagged imputed).
    """
    la = pl.col("geographic_level") == "Local authority"
    regional = totals.filter(pl.col("geographic_level") == "Regional").select(
        "region_name", "year", pl.col("new_ehc_plans").alias("region_total")
    )
    age_sum = ages.filter(la).group_by("la_number", "year").agg(pl.col("new_ehc_plans").sum())
    frame = totals.join(regional, on=["region_name", "year"], how="left").join(
        age_sum.rename({"new_ehc_plans": "age_sum"}), on=["la_number", "year"], how="left"
    )
    n_la = la.sum().over("region_name", "year")
    repeated = la & (pl.col("new_ehc_plans") == pl.col("region_total")) & (n_la > 1)
    withheld = repeated & pl.col("mainstream_total").is_null()
    frame = frame.with_columns(repeated.alias("repeated"), withheld.alias("withheld"))
    fixed = pl.when(pl.col("repeated") & ~pl.col("withheld")).then("age_sum")
    frame = frame.with_columns(fixed.otherwise("new_ehc_plans").alias("new_ehc_plans"))
    others = (
        pl.col("new_ehc_plans").filter(la & ~pl.col("withheld")).sum().over("region_name", "year")
    )
    residual = pl.col("region_total") - others
    frame = frame.with_columns(
        pl.when(pl.col("withheld"))
        .then(residual)
        .otherwise("new_ehc_plans")
        .alias("new_ehc_plans"),
        pl.col("withheld").alias("new_ehc_plans:imputed"),
    )
    check_region_totals(frame, path)
    return frame


def check_region_totals(frame: pl.DataFrame, path: Path) -> None:
    """Council new-plan totals must add up to each region's and England's totals."""
    la = frame.filter(pl.col("geographic_level") == "Local authority")
    if la.group_by("region_name", "year").agg(pl.col("withheld").sum())["withheld"].max() > 1:
        raise DataError(path, "more than one withheld council in a region: cannot repair totals")
    sums = la.group_by("region_name", "year").agg(
        pl.col("new_ehc_plans").sum(), pl.first("region_total")
    )
    bad = sums.filter(pl.col("new_ehc_plans") != pl.col("region_total"))
    if bad.height:
        row = bad.row(0, named=True)
        raise DataError(path, f"new plans of {row['region_name']} {row['year']} do not add up")


def new_plan_age_facts(ages: pl.DataFrame, totals: pl.DataFrame) -> pl.DataFrame:
    """New plans by age at start; 'age 2 and under' is age 2 and 'age 20 and over' age 20.

    The publisher lists only ages with at least one plan, so an absent age is 0 when the listed
    ages add up to the area's total. A council whose ages do not add up (Wakefield 2022: 112 of
    462) is treated as withheld (all null); England keeps its published ages, which lack those.
    """
    age = pl.col("breakdown").str.extract(r"age (\d+)").cast(pl.Int8)
    listed = ages.filter(pl.col("la_number").is_not_null()).select(
        "la_number", "year", age.alias("age"), pl.col("new_ehc_plans").alias("value")
    )
    areas = totals.filter(pl.col("la_number").is_not_null()).select(
        "la_number", "year", pl.col("new_ehc_plans").alias("total")
    )
    areas = areas.join(listed.select("year").unique(), on="year")  # years with an age breakdown
    grid = areas.join(
        pl.DataFrame({"age": list(NEW_PLAN_AGES[2:])}, schema={"age": pl.Int8}), how="cross"
    )
    frame = grid.join(listed, on=["la_number", "year", "age"], how="left")
    complete = pl.col("value").sum().over("la_number", "year") == pl.col("total")
    england = pl.col("la_number") == ENGLAND_NUMBER
    value = pl.when(complete).then(pl.col("value").fill_null(0.0)).when(england).then("value")
    frame = frame.with_columns(value.alias("value"))
    return frame.select(
        pl.lit(NEW_PLANS).alias("source"),
        "la_number",
        ("new_plans_age_" + pl.col("age").cast(pl.String)).alias("measure"),
        "year",
        "value",
        pl.when(pl.col("value").is_null())
        .then(pl.lit("suppressed"))
        .otherwise(pl.lit("published"))
        .alias("status"),
    )


def sen2_mi_facts(raw_dir: Path) -> pl.DataFrame:
    """Flows 2014-2021 from the SEN2 management information file; ceased = the four reasons."""
    path = raw_dir / SEN2_MI
    frame = read_raw(raw_dir, SEN2_MI, [*EES_AREA, *SEN2_MI_MEASURES])
    frame = ees_areas(parse_numbers(frame, SEN2_MI_MEASURES, path))
    parts = [pl.col(c) for c in ("DisleaEHC", "DismetEHC", "DisothEHC", "DisleftEHC")]
    frame = frame.with_columns(
        (pl.col("IncExc20weekRate") / 100).alias("IncExc20weekRate"),
        functools.reduce(operator.add, parts).alias("ceased"),
    )
    return wide_to_facts(frame, {**SEN2_MI_MEASURES, "ceased": "ceased"}, SEN2_MI)


def tribunal_facts(raw_dir: Path, names: dict[str, int]) -> pl.DataFrame:
    """SEND Tribunal appeals registered and appealable decisions, calendar 2014-2022.

    Councils are matched by name: the file's ``la_code`` column is wrong for five councils.
    """
    path = raw_dir / TRIBUNAL
    columns = ["year", "la_name", "appeals_registered", "appealable_decisions"]
    frame = read_raw(raw_dir, TRIBUNAL, columns)
    frame = frame.filter(pl.col("la_name").is_not_null() & (pl.col("la_name") != "Sources:"))
    frame = frame.with_columns(pl.col("year").cast(pl.Int16))
    frame = numbers_from_names(frame, "la_name", path, names, dorset_until=2018)
    frame = parse_numbers(frame, columns[2:], path)
    measures = {
        "appeals_registered": "tribunal_appeals",
        "appealable_decisions": "appealable_decisions",
    }
    return wide_to_facts(frame, measures, TRIBUNAL)
