"""Rebuild ``sendsim/data/processed/*.parquet`` from the raw open data in ``sendsim/data/raw``.

Run ``python -m sendsim.data.build``. The build is deterministic and writes each table
atomically. It produces three tables for the 153 councils of April 2023 onwards:

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
"""

from __future__ import annotations

import functools
import operator
import os
import re
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from sendsim.data.areas import (
    AGE_BANDS,
    COUNCIL_SCHEMA,
    COUNCILS_FILE,
    HISTORY_FILE,
    HISTORY_SCHEMA,
    HNB_EHCP_GROUPS,
    NEW_PLAN_AGES,
    NEW_PLAN_PLACEMENTS,
    OUTCOMES,
    PLACEMENTS,
    POPULATION_FILE,
    POPULATION_SCHEMA,
    PROCESSED_DIR,
    S251_PHASES,
    S251_SERVICES,
    slugify,
)
from sendsim.errors import DataError

RAW_DIR = Path(__file__).resolve().parent / "raw"

ENGLAND_NUMBER = 970  # DfE's number for England (as in LAIT)
ENGLAND_CODE = "E92000001"
ENGLAND_EHCP_2022 = 473_255  # SEN2 national total, January 2022
MARKERS = ("x", "z", "c", "u", "low", "-", "..", "")
FACT_COLUMNS = ("source", "la_number", "measure", "year", "value", "status")

# Predecessor councils (old 3-digit numbers) and the successors they are apportioned to.
PREDECESSORS: dict[int, str] = {909: "cumbria", 928: "northamptonshire"}
PREDECESSORS |= {835: "dorset", 836: "dorset", 837: "dorset"}
SUCCESSORS: dict[str, tuple[int, int]] = {
    "cumbria": (942, 943),
    "northamptonshire": (940, 941),
    "dorset": (838, 839),
}
NEW_COUNCIL_CODES = {942: "E06000063", 943: "E06000064"}  # Cumberland, Westmorland and Furness
DISTRICTS: dict[str, dict[int, tuple[str, ...]]] = {
    # Cumberland: Allerdale, Carlisle, Copeland. Westmorland and Furness: Barrow-in-Furness,
    # Eden, South Lakeland. North Northamptonshire: Corby, East Northamptonshire, Kettering,
    # Wellingborough. West Northamptonshire: Daventry, Northampton, South Northamptonshire.
    "E06000063": {y: ("E07000026", "E07000028", "E07000029") for y in (2019, 2020)},
    "E06000064": {y: ("E07000027", "E07000030", "E07000031") for y in (2019, 2020)},
    "E06000061": {2019: ("E07000150", "E07000152", "E07000153", "E07000156")},
    "E06000062": {2019: ("E07000151", "E07000154", "E07000155")},
}

LOOKUP = "lookups/la_codes_region_icb_lookup.csv"
SUB_ICBS = "lookups/SICBL22_ICB22_NHSER22_lookup.csv"
LTLA = "lookups/LTLA22_UTLA22_EW_lookup_witan.population.csv"
POPULATION = "ons-population/mye_age0_25_by_area_2019_2020.csv"
AGE_CASELOAD = "dfe-ehcp/sen2_age_caseload_2010_2022.csv"
PLACEMENT = "dfe-ehcp/caseload_by_placement.csv"
REQUESTS = "dfe-ehcp/requests.csv"
ASSESSMENTS = "dfe-ehcp/assessments.csv"
TIMELINESS = "dfe-ehcp/timeliness_20_week.csv"
NEW_PLANS = "dfe-ehcp/newplans.csv"
SEN2_MI = "dfe-ehcp/sen2_mi_2014_2021.csv"
TRIBUNAL = "dfe-ehcp/tribunal_appeal_rates.csv"
PERCENT_SEN = "dfe-sen-in-schools/percent_pupils_sen_by_la.csv"
MAINSTREAM_SEN = "dfe-sen-in-schools/mainstream_pupils_with_sen_by_la.csv"
ROLL = "dfe-pupils/mainstream_roll_and_capacity_by_la_2023_2025.csv"
HNB_DETAIL = "dfe-finance/high_needs_block_detail_2023_2024.csv"
DSG = "dfe-finance/dsg_allocations_by_block_2019_2024.csv"
DSG_DEFICIT = "dfe-finance/dsg_deficit_by_la_2020_2022.csv"
BENCHMARKING = "dfe-finance/high_needs_benchmarking_2021_22.csv"
LAIT = "dfe-lait/lait_values.csv"
NEIGHBOURS = "dfe-lait/statistical_neighbours_may2025.xlsx"

EES_AREA = ("time_period", "geographic_level", "region_name", "old_la_code")

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
    "NewEHCMediation": "mediations",
    "NewEHCTribunal": "tribunal_after_mediation",
}
LAIT_MEASURES = dict(
    zip(
        (
            "Age19_SEN-S_L2EM",
            "Age19_SENwoS_L2EM",
            "SusEdOverall_SEN_Stat_incSpec",
            "SusEdOverall_SEN_NoStat_incSpec",
            "SusEdOverall_NoSEN_incSpec",
            "16-17YroldSEN_ET",
        ),
        OUTCOMES,
        strict=True,
    )
)
AGE_CASELOAD_BANDS = {
    "Total": "ehcp_total",
    "Under 5": "ehcp_age_under_5",
    "Age 5 to 10": "ehcp_age_5_10",
    "Age 11 to 15": "ehcp_age_11_15",
    "Age 16 to 19": "ehcp_age_16_19",
    "Age 20 to 25": "ehcp_age_20_25",
}


# ---------------------------------------------------------------- reading and parsing raw files


def read_raw(raw_dir: Path, name: str, columns: Iterable[str]) -> pl.DataFrame:
    """Read a raw CSV as strings and check it has ``columns``."""
    path = raw_dir / name
    if not path.is_file():
        raise DataError(path, "file not found")
    frame = pl.read_csv(path, infer_schema=False, encoding="utf8-lossy")
    frame = frame.rename(lambda c: c.lstrip("\ufeff"))
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(path, f"missing column(s): {', '.join(repr(c) for c in missing)}")
    return frame


def _cleaned(column: str) -> pl.Expr:
    text = pl.col(column).str.strip_chars().str.replace_all(",", "").str.strip_suffix("%")
    marker = text.is_null() | text.str.to_lowercase().is_in(MARKERS)
    return pl.when(marker).then(None).otherwise(text).alias(column)


def parse_numbers(frame: pl.DataFrame, columns: Iterable[str], path: Path) -> pl.DataFrame:
    """Turn string columns into Float64; suppression markers become null."""
    columns = list(columns)
    cleaned = frame.with_columns(_cleaned(c) for c in columns)
    parsed = cleaned.with_columns(pl.col(c).cast(pl.Float64, strict=False) for c in columns)
    for column in columns:
        bad = cleaned[column].is_not_null() & parsed[column].is_null()
        if bad.any():
            value = cleaned[column].filter(bad)[0]
            raise DataError(path, f"column '{column}': cannot read {value!r} as a number")
    return parsed


def period_year(column: str) -> pl.Expr:
    """Year of a ``time_period``: 2021 -> 2021; academic 202122 or 202122.0 -> 2022 (January)."""
    digits = pl.col(column).str.split(".").list.first()
    academic = digits.str.slice(0, 4).cast(pl.Int16) + 1
    year = pl.when(digits.str.len_chars() == 6).then(academic).otherwise(digits.cast(pl.Int16))
    return year.alias("year")


def start_year(column: str) -> pl.Expr:
    """Starting year of '2021-22' or '2022/23'."""
    return pl.col(column).str.slice(0, 4).cast(pl.Int16).alias("year")


def ees_areas(frame: pl.DataFrame) -> pl.DataFrame:
    """Add ``la_number`` (970 = England, null for regions) and ``year`` to an EES file."""
    level = pl.col("geographic_level")
    number = (
        pl.when(level == "National")
        .then(pl.lit(ENGLAND_NUMBER))
        .when(level == "Local authority")
        .then(pl.col("old_la_code").cast(pl.Int32))
    )
    return frame.with_columns(number.cast(pl.Int32).alias("la_number"), period_year("time_period"))


def national_or_number(column: str) -> pl.Expr:
    """LA number from a column holding numbers or 'ENGLAND'."""
    value = pl.col(column).str.strip_chars()
    england = value.str.to_uppercase() == "ENGLAND"
    return pl.when(england).then(pl.lit(ENGLAND_NUMBER)).otherwise(value.cast(pl.Int32))


def wide_to_facts(frame: pl.DataFrame, measures: dict[str, str], source: str) -> pl.DataFrame:
    """Unpivot value columns into facts; a boolean ``<column>:imputed`` marks imputed cells."""
    parts = []
    for column, measure in measures.items():
        flag = f"{column}:imputed"
        imputed = pl.col(flag) if flag in frame.columns else pl.lit(False)
        status = (
            pl.when(pl.col(column).is_null())
            .then(pl.lit("suppressed"))
            .when(imputed)
            .then(pl.lit("imputed"))
            .otherwise(pl.lit("published"))
        )
        parts.append(
            frame.filter(pl.col("la_number").is_not_null()).select(
                pl.lit(source).alias("source"),
                pl.col("la_number").cast(pl.Int32),
                pl.lit(measure).alias("measure"),
                pl.col("year").cast(pl.Int16),
                pl.col(column).cast(pl.Float64).alias("value"),
                status.alias("status"),
            )
        )
    return pl.concat(parts)


def drop_uncollected(facts: pl.DataFrame) -> pl.DataFrame:
    """Leave out measure-years with no value for any area (not collected that year)."""
    collected = pl.col("value").is_not_null().any().over("source", "measure", "year")
    return facts.filter(collected)


# ---------------------------------------------------------------- councils, ICBs and names


def council_attributes(raw_dir: Path) -> pl.DataFrame:
    """The 153 councils with number, name, slug, region, type and ICB fields."""
    columns = ["old_la_code", "new_la_code", "la_name", "region_name", "latest_sen2_year_seen"]
    columns += ["lait_la_name", "lait_region", "la_type", "icb_names", "n_icb"]
    lookup = read_raw(raw_dir, LOOKUP, columns)
    number = pl.col("old_la_code").cast(pl.Int32)
    latest = pl.col("latest_sen2_year_seen").cast(pl.Float64, strict=False)
    current = ((latest >= 2023) & ~number.is_in(list(PREDECESSORS))) | number.is_in(
        list(NEW_COUNCIL_CODES)
    )
    new_code = number.replace_strict(NEW_COUNCIL_CODES, default=None, return_dtype=pl.String)
    councils = lookup.filter(current).select(
        pl.coalesce("new_la_code", new_code).alias("la_code"),
        number.alias("la_number"),
        pl.coalesce("la_name", "lait_la_name").str.strip_chars().alias("la_name"),
        pl.coalesce("region_name", "lait_region").alias("region"),
        pl.col("la_type"),
        pl.col("icb_names"),
        pl.col("n_icb").cast(pl.Float64).cast(pl.Int8).alias("n_icbs"),
    )
    councils = councils.with_columns(
        pl.col("la_name").map_elements(slugify, return_dtype=pl.String).alias("slug")
    )
    return add_icbs(councils, raw_dir).sort("la_code")


def _icb_key(name: str) -> str:
    return " ".join(name.lower().replace("integrated care board", "icb").split())


def add_icbs(councils: pl.DataFrame, raw_dir: Path) -> pl.DataFrame:
    """Add ``icb_code`` and ``icb_name`` of each council's primary ICB (see ``primary_icb``)."""
    path = raw_dir / SUB_ICBS
    sub = read_raw(raw_dir, SUB_ICBS, ["SICBL22CD", "ICB22CD", "ICB22NM"])
    icbs = sub.group_by("ICB22CD", "ICB22NM").len().sort("ICB22CD")
    info = {
        _icb_key(name): (code, name.replace("Integrated Care Board", "ICB"), n)
        for code, name, n in icbs.iter_rows()
    }
    codes, names = [], []
    for la_name, listed in councils.select("la_name", "icb_names").iter_rows():
        candidates = [_icb_key(c) for c in listed.split(";")]
        unknown = [c for c in candidates if c not in info]
        if unknown:
            raise DataError(path, f"no ICB named {unknown[0]!r} (listed for {la_name})")
        n_sub = {c: info[c][2] for c in candidates}
        code, name, _ = info[primary_icb(la_name, candidates, n_sub)]
        codes.append(code)
        names.append(name)
    return councils.with_columns(icb_code=pl.Series(codes), icb_name=pl.Series(names))


def primary_icb(la_name: str, candidates: list[str], n_sub: dict[str, int]) -> str:
    """Primary ICB of a council the lookup places in one or more ICBs.

    Rule: the listed ICB whose name contains the council's name (or, if none does, the name
    without a leading North/South/East/West, so West Sussex -> NHS Sussex ICB); if several ICB
    names contain it (Essex), the one with most sub-ICB locations in the 2022 sub-ICB lookup
    (NHS Mid and South Essex ICB, 5); if none contains it, the first ICB the lookup lists.
    """
    base = la_name.lower().split(",")[0].strip()
    bare = re.sub(r"^(north|south|east|west)\s+", "", base)
    matched = [c for c in candidates if base in c] or [c for c in candidates if bare in c]
    if not matched:
        return candidates[0]
    return max(matched, key=lambda c: (n_sub[c], -candidates.index(c)))


def _name_key(name: str) -> str:
    name = re.sub(r"\d+$", "", name.strip()).lower().replace("&", "and")
    return " ".join(re.sub(r"[.,]", " ", name).split())


def name_index(raw_dir: Path) -> dict[str, int]:
    """Council name (publisher's or LAIT's spelling, normalised) -> LA number.

    "Dorset" maps to the present council (838); callers map it to the pre-2019 county (835).
    """
    columns = ["old_la_code", "la_name", "lait_la_name", "latest_sen2_year_seen"]
    lookup = read_raw(raw_dir, LOOKUP, columns)
    lookup = lookup.sort(pl.col("latest_sen2_year_seen").cast(pl.Float64, strict=False))
    index: dict[str, int] = {}
    for number, *names in lookup.select("old_la_code", "la_name", "lait_la_name").iter_rows():
        for name in names:
            if name and int(number) < ENGLAND_NUMBER:
                index[_name_key(name)] = int(number)
    return index


def numbers_from_names(
    frame: pl.DataFrame, column: str, path: Path, index: dict[str, int], dorset_until: int
) -> pl.DataFrame:
    """Add ``la_number`` from council names; Dorset up to ``dorset_until`` is the old county."""
    keys = frame[column].map_elements(_name_key, return_dtype=pl.String)
    unknown = sorted(set(keys.to_list()) - set(index))
    if unknown:
        raise DataError(path, f"unknown council name {unknown[0]!r} in column '{column}'")
    numbers = keys.replace_strict(index, return_dtype=pl.Int32)
    frame = frame.with_columns(numbers.alias("la_number"))
    old_dorset = (pl.col("la_number") == 838) & (pl.col("year") <= dorset_until)
    number = pl.when(old_dorset).then(pl.lit(835)).otherwise(pl.col("la_number"))
    return frame.with_columns(number.cast(pl.Int32).alias("la_number"))


def code_index(raw_dir: Path) -> dict[str, int]:
    """ONS code (any vintage in the lookup) -> LA number."""
    lookup = read_raw(raw_dir, LOOKUP, ["old_la_code", "new_la_code"])
    pairs = lookup.drop_nulls("new_la_code").select("new_la_code", "old_la_code").iter_rows()
    return {code: int(number) for code, number in pairs}


# ---------------------------------------------------------------- population and shares


def population_table(raw_dir: Path, councils: pl.DataFrame) -> pl.DataFrame:
    """Single-year population 0-25 per council; new councils are summed from their districts."""
    path = raw_dir / POPULATION
    ons = read_raw(raw_dir, POPULATION, ["mid_year", "area_code", "age", "population"])
    ons = parse_numbers(ons, ["population"], path).select(
        pl.col("mid_year").cast(pl.Int16),
        "area_code",
        pl.col("age").cast(pl.Int8),
        "population",
    )
    areas = _population_areas(councils, raw_dir)
    joined = areas.join(ons, on=["mid_year", "area_code"], how="left")
    absent = joined.filter(pl.col("population").is_null())
    if absent.height:
        row = absent.row(0, named=True)
        raise DataError(path, f"no population for {row['area_code']} in mid-{row['mid_year']}")
    summed = joined.group_by("la_code", "mid_year", "age").agg(pl.col("population").sum())
    wide = summed.with_columns(("population_" + pl.col("mid_year").cast(pl.String)).alias("col"))
    wide = wide.pivot(on="col", index=["la_code", "age"], values="population")
    table = wide.select(list(POPULATION_SCHEMA)).cast(POPULATION_SCHEMA).sort("la_code", "age")
    if table.height != councils.height * 26 or table.null_count().sum_horizontal().item():
        raise DataError(path, "population is incomplete: expected ages 0-25 for every council")
    return table


def _population_areas(councils: pl.DataFrame, raw_dir: Path) -> pl.DataFrame:
    """(la_code, mid_year, area_code) rows saying which ONS areas make up each council."""
    check_districts(raw_dir)
    rows = []
    for code in councils["la_code"]:
        for year in (2019, 2020):
            for area in DISTRICTS.get(code, {}).get(year, (code,)):
                rows.append((code, year, area))
    schema = {"la_code": pl.String, "mid_year": pl.Int16, "area_code": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row")


def check_districts(raw_dir: Path) -> None:
    """Check the Cumbria districts against the 2022 lower-tier to upper-tier lookup."""
    path = raw_dir / LTLA
    ltla = read_raw(raw_dir, LTLA, ["LTLA22CD", "UTLA22CD"])
    in_cumbria = set(ltla.filter(pl.col("UTLA22CD") == "E10000006")["LTLA22CD"])
    listed = set(DISTRICTS["E06000063"][2020] + DISTRICTS["E06000064"][2020])
    if in_cumbria != listed:
        raise DataError(path, f"Cumbria's districts are {sorted(in_cumbria)}, not {sorted(listed)}")


def successor_shares(population: pl.DataFrame, councils: pl.DataFrame) -> pl.DataFrame:
    """(group, la_number, share): successors' shares of the mid-2020 population aged 0-25."""
    totals = population.group_by("la_code").agg(pl.col("population_2020").sum().alias("pop"))
    totals = totals.join(councils.select("la_code", "la_number"), on="la_code")
    rows = [(g, n) for g, successors in SUCCESSORS.items() for n in successors]
    groups = pl.DataFrame(rows, schema={"group": pl.String, "la_number": pl.Int32}, orient="row")
    shares = groups.join(totals, on="la_number", how="left")
    share = pl.col("pop") / pl.col("pop").sum().over("group")
    return shares.select("group", "la_number", share.alias("share")).sort("group", "la_number")


# ---------------------------------------------------------------- SEN2: caseload and flows


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


def placement_facts(raw_dir: Path) -> pl.DataFrame:
    """EHC plans at January by placement group, 2019-2022."""
    path = raw_dir / PLACEMENT
    components = [c for group in PLACEMENT_GROUPS.values() for c in group] + list(OTHER_COLUMNS)
    frame = read_raw(raw_dir, PLACEMENT, [*EES_AREA, "ehcplans", *components])
    frame = ees_areas(parse_numbers(frame, ["ehcplans", *components], path))
    frame = group_placements(frame, "ehcplans", PLACEMENT_GROUPS, path)
    measures = {g: f"ehcp_{g}" for g in PLACEMENTS}
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
    return pl.concat([totals_facts, wide_to_facts(grouped, measures, NEW_PLANS), age_facts])


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


# ---------------------------------------------------------------- schools, places, finance, LAIT


def percent_sen_facts(raw_dir: Path, codes: dict[str, int]) -> pl.DataFrame:
    """% of all pupils on SEN support or with an EHC plan (school census, January)."""
    path = raw_dir / PERCENT_SEN
    columns = ["time_period", "geographic_level", "new_la_code", "SEN provision", "% of pupils"]
    frame = read_raw(raw_dir, PERCENT_SEN, columns)
    frame = parse_numbers(frame, ["% of pupils"], path).filter(
        pl.col("geographic_level").is_in(["National", "Local authority"])
    )
    unknown = frame.filter(pl.col("geographic_level") == "Local authority")
    unknown = sorted(set(unknown["new_la_code"]) - set(codes))
    if unknown:
        raise DataError(path, f"unknown council code {unknown[0]!r} in column 'new_la_code'")
    number = pl.col("new_la_code").replace_strict(codes, default=None, return_dtype=pl.Int32)
    national = pl.col("geographic_level") == "National"
    number = pl.when(national).then(pl.lit(ENGLAND_NUMBER, dtype=pl.Int32)).otherwise(number)
    frame = frame.with_columns(number.alias("la_number"), period_year("time_period"))
    wide = frame.pivot(on="SEN provision", index=["la_number", "year"], values="% of pupils")
    return wide_to_facts(
        wide, {"EHC plan": "ehcp_pct", "SEN support": "sen_support_pct"}, PERCENT_SEN
    )


def mainstream_sen_facts(raw_dir: Path, names: dict[str, int]) -> pl.DataFrame:
    """Pupils in state-funded mainstream schools and the % with SEN support or an EHC plan."""
    path = raw_dir / MAINSTREAM_SEN
    columns = ["time_period", "geographic_level", "la_name", "total_pupils", "SEN provision"]
    frame = read_raw(raw_dir, MAINSTREAM_SEN, [*columns, "% of pupils"])
    frame = parse_numbers(frame, ["total_pupils", "% of pupils"], path).with_columns(
        period_year("time_period")
    )
    national = frame.filter(pl.col("geographic_level") == "National").with_columns(
        pl.lit(ENGLAND_NUMBER, dtype=pl.Int32).alias("la_number")
    )
    local = frame.filter(pl.col("geographic_level") == "Local authority")
    local = numbers_from_names(local, "la_name", path, names, dorset_until=2019)
    frame = pl.concat([national, local], how="diagonal")
    wide = frame.pivot(on="SEN provision", index=["la_number", "year"], values="% of pupils")
    pupils = frame.group_by("la_number", "year").agg(pl.col("total_pupils").first())
    wide = wide.join(pupils, on=["la_number", "year"], how="left")
    measures = {
        "total_pupils": "mainstream_pupils",
        "SEN support": "mainstream_sen_support_pct",
        "EHC plan": "mainstream_ehcp_pct",
    }
    return wide_to_facts(wide, measures, MAINSTREAM_SEN)


def places_facts(raw_dir: Path) -> pl.DataFrame:
    """Mainstream number on roll and capacity; funded state special school places."""
    roll_cols = ["PriNOR", "SecNOR", "PriCap", "SecCap"]
    roll = read_raw(raw_dir, ROLL, ["Year", "geographic_level", "LANumber", *roll_cols])
    roll = parse_numbers(roll, roll_cols, raw_dir / ROLL).with_columns(
        pl.when(pl.col("geographic_level") == "National")
        .then(pl.lit(ENGLAND_NUMBER))
        .otherwise(pl.col("LANumber").cast(pl.Int32))
        .cast(pl.Int32)
        .alias("la_number"),
        start_year("Year"),
    )
    measures = dict(
        zip(
            roll_cols,
            ["primary_pupils", "secondary_pupils", "primary_capacity", "secondary_capacity"],
            strict=True,
        )
    )
    special = read_raw(
        raw_dir,
        HNB_DETAIL,
        ["financial_year", "la_code", "pupils_in_special_schools_and_academies"],
    )
    special = parse_numbers(
        special, ["pupils_in_special_schools_and_academies"], raw_dir / HNB_DETAIL
    )
    special = special.with_columns(
        national_or_number("la_code").alias("la_number"), start_year("financial_year")
    )
    return pl.concat(
        [
            wide_to_facts(roll, measures, ROLL),
            wide_to_facts(
                special, {"pupils_in_special_schools_and_academies": "special_places"}, HNB_DETAIL
            ),
        ]
    )


def dsg_facts(raw_dir: Path, names: dict[str, int]) -> pl.DataFrame:
    """Dedicated Schools Grant allocations and the cumulative DSG balance as % of income."""
    money = {"high_needs_block_pre": "hnb_gbp", "high_needs_block_post": "hnb_post_gbp"}
    money |= {"total_dsg_pre": "dsg_total_gbp"}
    dsg = read_raw(raw_dir, DSG, ["financial_year", "la_code", *money])
    dsg = parse_numbers(dsg, money, raw_dir / DSG).with_columns(
        national_or_number("la_code").alias("la_number"), start_year("financial_year")
    )
    balance = "DSG cumulative balance as a % of the total income"
    path = raw_dir / DSG_DEFICIT
    deficit = read_raw(
        raw_dir, DSG_DEFICIT, ["financial_year", "geographic_level", "la_name", balance]
    )
    deficit = parse_numbers(deficit, [balance], path).with_columns(start_year("financial_year"))
    national = deficit.filter(pl.col("geographic_level") == "National").with_columns(
        pl.lit(ENGLAND_NUMBER, dtype=pl.Int32).alias("la_number")
    )
    local = deficit.filter(pl.col("geographic_level") == "Local authority")
    local = numbers_from_names(local, "la_name", path, names, dorset_until=2018)
    deficit = pl.concat([national, local], how="diagonal")
    return pl.concat(
        [
            wide_to_facts(dsg, money, DSG),
            wide_to_facts(deficit, {balance: "dsg_balance_pct"}, DSG_DEFICIT),
        ]
    )


def benchmarking_measures() -> dict[str, str]:
    """High needs benchmarking 2021-22 columns -> sendsim measure names."""
    prefix = "s251_budget_2021_22__"
    measures = {f"{prefix}place_{p}": f"s251_place_{p}_gbp" for p in S251_PHASES}
    measures |= {f"{prefix}topup_m_{p}": f"s251_topup_maintained_{p}_gbp" for p in S251_PHASES}
    measures |= {f"{prefix}topup_i_{p}": f"s251_topup_independent_{p}_gbp" for p in S251_PHASES}
    measures |= {f"{prefix}{s}": f"s251_{s}_gbp" for s in (*S251_SERVICES, "therapies_health")}
    placements = (
        "ehcp_in_mainstream",
        "ehcp_in_resourced_provision_sen_units",
        "ehcp_in_maintained_special_or_special_academy",
        "ehcp_in_nmss_or_independent",
        "ehcp_in_hospital_or_ap",
        "ehcp_in_post16",
        "ehcp_other",
    )
    return measures | {p: f"hnb_ehcp_{g}" for p, g in zip(placements, HNB_EHCP_GROUPS, strict=True)}


def benchmarking_facts(raw_dir: Path) -> pl.DataFrame:
    """High needs benchmarking 2021-22: s251 budget lines and EHC plans by placement."""
    measures = benchmarking_measures()
    frame = read_raw(raw_dir, BENCHMARKING, ["la_code", *measures])
    frame = parse_numbers(frame, measures, raw_dir / BENCHMARKING).with_columns(
        pl.col("la_code").cast(pl.Int32).alias("la_number"),
        pl.lit(2021, dtype=pl.Int16).alias("year"),
    )
    return wide_to_facts(frame, measures, BENCHMARKING)


def lait_facts(raw_dir: Path) -> pl.DataFrame:
    """Outcome measures from the Local Authority Interactive Tool ('-' is suppressed)."""
    frame = read_raw(raw_dir, LAIT, ["measure_code", "year_label", "la_number", "value"])
    frame = frame.filter(pl.col("measure_code").is_in(list(LAIT_MEASURES)))
    frame = parse_numbers(frame, ["value"], raw_dir / LAIT).with_columns(
        pl.col("la_number").cast(pl.Int32), pl.col("year_label").cast(pl.Int16).alias("year")
    )
    frame = frame.filter(pl.col("la_number") <= ENGLAND_NUMBER)  # drop regions (980 and above)
    parts = []
    for code, measure in LAIT_MEASURES.items():
        part = frame.filter(pl.col("measure_code") == code).rename({"value": code})
        parts.append(wide_to_facts(part, {code: measure}, LAIT))
    return pl.concat(parts)


def stat_neighbours(raw_dir: Path, councils: pl.DataFrame) -> pl.DataFrame:
    """(la_number, stat_neighbours): comma-separated la_codes of the ten statistical neighbours."""
    path = raw_dir / NEIGHBOURS
    rows = read_xlsx_rows(path)
    header = next((i for i, row in enumerate(rows) if row.get("A") == "LA num"), None)
    if header is None or rows[header].get("F") != "SN1":
        raise DataError(path, "no header row with 'LA num' and 'SN1'")
    codes = dict(zip(councils["la_number"].cast(pl.String), councils["la_code"], strict=True))
    out = []
    for row in rows[header + 1 :]:
        if not row.get("A"):
            break  # the current groups end at the first blank row; "Old SNs" follow
        neighbours = [row.get(col) for col in "FHJLNPRTVX"]
        unknown = [n for n in neighbours if n not in codes]
        if unknown or row["A"] not in codes:
            raise DataError(path, f"unknown LA number {(unknown or [row['A']])[0]!r}")
        out.append((int(row["A"]), ",".join(codes[n] for n in neighbours)))
    frame = pl.DataFrame(
        out, schema={"la_number": pl.Int32, "stat_neighbours": pl.String}, orient="row"
    )
    if frame.height != councils.height:
        raise DataError(
            path, f"{frame.height} councils have neighbours, expected {councils.height}"
        )
    return frame


def read_xlsx_rows(path: Path) -> list[dict[str, str | None]]:
    """Rows of the first worksheet of an .xlsx file as {column letter: text} (standard library)."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    try:
        with zipfile.ZipFile(path) as book:
            strings = ET.fromstring(book.read("xl/sharedStrings.xml"))
            sheet = ET.fromstring(book.read("xl/worksheets/sheet1.xml"))
    except (OSError, KeyError, zipfile.BadZipFile, ET.ParseError) as exc:
        raise DataError(path, f"cannot read workbook: {exc}") from exc
    shared = ["".join(t.text or "" for t in si.iter(f"{{{ns['m']}}}t")) for si in strings]
    rows = []
    for row in sheet.iterfind("m:sheetData/m:row", ns):
        cells = {}
        for cell in row.iterfind("m:c", ns):
            value = cell.find("m:v", ns)
            text = None if value is None else value.text
            if text is not None and cell.get("t") == "s":
                text = shared[int(text)]
            cells[re.sub(r"\d", "", cell.get("r", ""))] = text
        rows.append(cells)
    return rows


# ---------------------------------------------------------------- onto the 153 councils


def source_facts(raw_dir: Path) -> pl.DataFrame:
    """All facts at the publishers' geographies, keyed by old LA number (970 = England)."""
    names, codes = name_index(raw_dir), code_index(raw_dir)
    newer = pl.concat([flow_facts(raw_dir), new_plan_facts(raw_dir)])
    older = sen2_mi_facts(raw_dir)
    key = ["la_number", "measure", "year"]
    older = older.join(newer.select(key), on=key, how="anti")  # prefer the 2019-2022 files
    parts = [
        caseload_age_facts(raw_dir),
        placement_facts(raw_dir),
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
    """Rates (``*_pct``, ``*_share``) are copied to successors; counts are split."""
    return measure.str.ends_with("_pct") | measure.str.ends_with("_share")


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


# ---------------------------------------------------------------- the councils table


def council_spec() -> list[tuple[str, str, int]]:
    """(column of councils.parquet, history measure, year) for every value column."""
    spec = [(f"ehcp_age_{b}", f"ehcp_age_{b}", 2022) for b in AGE_BANDS]
    spec += [("ehcp_total", "ehcp_total", 2022)] + [
        (f"ehcp_{p}", f"ehcp_{p}", 2022) for p in PLACEMENTS
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


# ---------------------------------------------------------------- checks, writing, entry point


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
    """Entry point of ``python -m sendsim.data.build``."""
    tables = build()
    for name, frame in tables.items():
        print(f"{PROCESSED_DIR / name}: {frame.height} rows x {frame.width} columns")


if __name__ == "__main__":
    main()
