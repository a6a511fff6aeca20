"""Validated loaders for the processed council tables in ``sendsim/data/processed``.

The tables describe the 153 English councils (local authorities) of April 2023 onwards, keyed
by ONS code ``la_code``, with data as of January 2022 and their published history. They are
built from the official open data in ``sendsim/data/raw`` by ``python -m sendsim.data.build``.
"""

from __future__ import annotations

import difflib
import re
from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl

from sendsim.errors import DataError

PROCESSED_DIR = Path(__file__).resolve().parent / "processed"
COUNCILS_FILE = "councils.parquet"
POPULATION_FILE = "population.parquet"
HISTORY_FILE = "history.parquet"

ENGLAND_CODE = "E92000001"  # the England rows of the tables
HISTORY_STATUSES = ("published", "suppressed", "apportioned", "imputed")

# Ten placement groups of the January caseload; new plans fold NEET into "other".
PLACEMENTS = (
    "mainstream",
    "resourced",
    "state_special",
    "independent",
    "ap",
    "fe",
    "specialist_post16",
    "neet",
    "early_years",
    "other",
)
NEW_PLAN_PLACEMENTS = tuple(p for p in PLACEMENTS if p != "neet")
# Plans in state mainstream schools (and their units) by who runs the school.
SCHOOL_TYPES = ("mainstream_maintained", "mainstream_academy")
AGE_BANDS = ("under_5", "5_10", "11_15", "16_19", "20_25")
#: Their ages, inclusive: the caseload's at the 31 August before it (its academic age), new
#: plans' at the 31 August of the year they were made (SEN2's).
BAND_AGES = ((0, 4), (5, 10), (11, 15), (16, 19), (20, 25))
AGE_BAND_LABELS = tuple("under 5" if lo == 0 else f"{lo}-{hi}" for lo, hi in BAND_AGES)
NEW_PLANS_BY_BAND = tuple(f"new_plans_aged_{band}" for band in AGE_BANDS)  # measures and flows
#: The age band (index into AGE_BANDS) of each academic age 0-25.
BAND_OF_AGE = np.repeat(np.arange(len(BAND_AGES)), [hi - lo + 1 for lo, hi in BAND_AGES])
NEW_PLAN_AGES = tuple(range(21))
YOUNGEST_NEW_PLAN_AGE = 2  # SEN2's single ages start at '2 and under'
#: New plans under 5 by single age, as SEN2 publishes them for 2022.
NEW_PLANS_UNDER_5_BY_AGE = {a: f"new_plans_age_{a}" for a in NEW_PLAN_AGES[YOUNGEST_NEW_PLAN_AGE:5]}
S251_PHASES = ("early_years", "primary", "secondary", "special", "pru_ap", "post_school")
S251_SERVICES = ("sen_support_inclusion_services", "ap_services", "hospital_education")
HNB_EHCP_GROUPS = (
    "mainstream",
    "resourced",
    "state_special",
    "independent",
    "ap",
    "post16",
    "other",
)
OUTCOMES = (
    "ks2_rwm_expected_no_sen_pct",
    "ks2_rwm_expected_sen_support_pct",
    "ks2_rwm_expected_ehcp_pct",
    "attainment8_no_sen_score",
    "attainment8_sen_support_score",
    "attainment8_ehcp_score",
    "level2_em_age19_ehcp_pct",
    "level2_em_age19_sen_support_pct",
    "eet_after_ks4_ehcp_pct",
    "eet_after_ks4_sen_support_pct",
    "eet_after_ks4_no_sen_pct",
    "sen_16_17_in_education_pct",
)
#: Years whose outcome figures do not compare with the others: no Key Stage 2 tests in 2020 and
#: 2021, and Key Stage 4 grades assessed by teachers in those years.
OUTCOME_YEARS_NOT_COMPARABLE = {
    m: (2020, 2021) for m in OUTCOMES if m.startswith(("ks2_", "attainment8_"))
}
#: Years whose England level does not carry on, though councils' gaps from it compare: Key
#: Stage 4 grades in 2022 were set midway between 2019's and 2021's teacher-assessed ones, and
#: from 2023 on 2019's standard again [ofqual-grading].
OUTCOME_YEARS_GRADED_APART = {m: (2022,) for m in OUTCOMES if m.startswith("attainment8_")}


def _floats(names: list[str]) -> dict[str, pl.DataType]:
    return {name: pl.Float64() for name in names}


def _council_schema() -> dict[str, pl.DataType]:
    """Columns and dtypes of ``councils.parquet``, in file order."""
    s251 = [f"s251_place_{p}_gbp" for p in S251_PHASES]
    s251 += [f"s251_topup_maintained_{p}_gbp" for p in S251_PHASES]
    s251 += [f"s251_topup_independent_{p}_gbp" for p in S251_PHASES]
    s251 += [f"s251_{s}_gbp" for s in (*S251_SERVICES, "therapies_health")]
    flows_2021 = ["requests_2021", "refusals_2021", "new_plans_2021", "within_20_weeks_share_2021"]
    flows_2021 += [f"ceased{part}_2021" for part in ("", "_moved_la", "_needs_met", "_other")]
    flows_2021 += ["ceased_left_education_2021", "mediations_2021", "tribunal_after_mediation_2021"]
    hnb_years = ("2019_20", "2020_21", "2021_22", "2022_23", "2023_24")
    return {
        "la_code": pl.String(),
        "la_number": pl.Int32(),
        "la_name": pl.String(),
        "slug": pl.String(),
        "region": pl.String(),
        "la_type": pl.String(),
        "icb_code": pl.String(),
        "icb_name": pl.String(),
        "n_icbs": pl.Int8(),
        "pop_0_25": pl.Float64(),
        "ehcp_total": pl.Float64(),
        **_floats([f"ehcp_age_{band}" for band in AGE_BANDS]),
        **_floats([f"ehcp_{p}" for p in (*PLACEMENTS, *SCHOOL_TYPES)]),
        "imputed": pl.String(),
        **_floats(["sen_support_pct", "ehcp_pct", "pupils_total", "mainstream_pupils"]),
        **_floats(["mainstream_sen_support_pct", "mainstream_ehcp_pct"]),
        **_floats(["primary_pupils", "secondary_pupils", "primary_capacity"]),
        **_floats(["secondary_capacity", "special_places"]),
        **_floats(["requests_2022", "refusals_2022", "assessments_2022", "plans_issued_2022"]),
        **_floats(["plans_not_issued_2022", "within_20_weeks_share_2022", "new_plans_2022"]),
        **_floats(flows_2021),
        **_floats(["tribunal_appeals_2021", "tribunal_appeals_2022", "appealable_decisions_2022"]),
        **_floats([f"new_plans_2022_{p}" for p in NEW_PLAN_PLACEMENTS]),
        **_floats([f"new_plans_2022_age_{a}" for a in NEW_PLAN_AGES]),
        **_floats([f"hnb_{y}_gbp" for y in hnb_years]),
        **_floats(["hnb_post_2022_23_gbp", "dsg_total_2021_22_gbp", "dsg_balance_pct_2021_22"]),
        "dsg_cumulative_balance_2022_gbp": pl.Float64(),
        **_floats(s251),
        **_floats([f"hnb_ehcp_{g}" for g in HNB_EHCP_GROUPS]),
        **_floats(list(OUTCOMES)),
        "stat_neighbours": pl.String(),
    }


COUNCIL_SCHEMA: dict[str, pl.DataType] = _council_schema()
POPULATION_SCHEMA: dict[str, pl.DataType] = {
    "la_code": pl.String(),
    "age": pl.Int8(),
    "population_2019": pl.Float64(),
    "population_2020": pl.Float64(),
}
HISTORY_SCHEMA: dict[str, pl.DataType] = {
    "la_code": pl.String(),
    "year": pl.Int16(),
    "measure": pl.String(),
    "value": pl.Float64(),
    "status": pl.String(),
}


#: History measures runs read (starting states of 2019-2021, calibration targets, finance); a
#: renamed or dropped one would silently zero what the model derives from it.
MODEL_MEASURES = (
    "ehcp_total",
    *(f"ehcp_age_{band}" for band in AGE_BANDS),
    *(f"ehcp_{place}" for place in (*PLACEMENTS, *SCHOOL_TYPES)),
    "sen_support_pct",
    "requests",
    "refusals",
    "new_plans",
    "plans_not_issued",
    "within_20_weeks_share",
    *(f"new_plans_{place}" for place in NEW_PLAN_PLACEMENTS),
    "hnb_gbp",
    "dsg_cumulative_balance_gbp",
    "tribunal_appeals",
    "appealable_decisions",
)


def slugify(name: str) -> str:
    """Lowercase ``name`` and turn each run of non-alphanumerics into one underscore."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def read_table(path: Path, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Read a parquet file and check it has every column of ``schema`` with that dtype."""
    if not path.is_file():
        raise DataError(path, "file not found (rebuild it with: python -m sendsim.data.build)")
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # polars raises several exception types for corrupt files
        raise DataError(path, f"cannot read parquet file: {exc}") from exc
    for column, dtype in schema.items():
        if column not in frame.columns:
            raise DataError(path, f"missing column '{column}'")
        if frame.schema[column] != dtype:
            found = frame.schema[column]
            raise DataError(path, f"column '{column}' has dtype {found}, expected {dtype}")
    return frame


def _resolve(path: str | Path | None, name: str) -> Path:
    return Path(path) if path is not None else PROCESSED_DIR / name


@lru_cache(maxsize=8)
def load_councils(path: str | Path | None = None) -> pl.DataFrame:
    """One row per council (153), sorted by ``la_code``."""
    return read_table(_resolve(path, COUNCILS_FILE), COUNCIL_SCHEMA)


@lru_cache(maxsize=8)
def load_population(path: str | Path | None = None) -> pl.DataFrame:
    """Single-year population aged 0-25 per council, mid-2019 and mid-2020."""
    return read_table(_resolve(path, POPULATION_FILE), POPULATION_SCHEMA)


@lru_cache(maxsize=8)
def load_history(path: str | Path | None = None) -> pl.DataFrame:
    """Long published history: one row per (la_code, measure, year)."""
    path = _resolve(path, HISTORY_FILE)
    frame = read_table(path, HISTORY_SCHEMA)
    check_history(frame, path)
    return frame


def england_figures() -> dict[tuple[str, int], float]:
    """England's published value of each (measure, year) in the history."""
    h = load_history().filter(pl.col("la_code") == ENGLAND_CODE)
    return {(m, y): v for m, y, v in zip(h["measure"], h["year"], h["value"], strict=True)}


def check_history(frame: pl.DataFrame, path: Path) -> None:
    """Known statuses, every measure runs read present, values numbers or null (suppressed),
    one row per council, measure and year (``DataError`` naming the first problem)."""
    unknown = frame.filter(~pl.col("status").is_in(HISTORY_STATUSES))
    if unknown.height:
        allowed = ", ".join(HISTORY_STATUSES)
        raise DataError(path, f"unknown status {unknown['status'][0]!r} (allowed: {allowed})")
    present = set(frame["measure"].unique())
    absent = [m for m in MODEL_MEASURES if m not in present]
    if absent:
        raise DataError(path, f"column 'measure': no rows of {absent[0]!r}, which runs read")
    key = ["la_code", "measure", "year"]
    for problem, rows in (
        ("is not a finite number", frame.filter(~pl.col("value").is_finite())),
        ("appears more than once", frame.filter(frame.select(key).is_duplicated())),
    ):
        if rows.height:
            la_code, measure, year = rows.select(key).row(0)
            where = f"council {la_code}, column 'value' of {measure} {year}"
            raise DataError(path, f"{where} {problem}")


def find_council(query: str) -> dict:
    """Return the council matching an ONS code, LA number, name or slug as a dict.

    Matching ignores case and surrounding spaces. Raises ``DataError`` listing close matches
    when nothing matches.
    """
    councils = load_councils()
    text = str(query).strip()
    conditions = [
        pl.col("la_code") == text.upper(),
        pl.col("la_name").str.to_lowercase() == text.lower(),
        pl.col("slug") == slugify(text),
    ]
    if text.isdigit():
        conditions.insert(1, pl.col("la_number") == int(text))
    for condition in conditions:
        found = councils.filter(condition)
        if found.height == 1:
            return found.row(0, named=True)
    raise DataError(_resolve(None, COUNCILS_FILE), _no_match_message(councils, text))


def _no_match_message(councils: pl.DataFrame, text: str) -> str:
    names = councils["la_name"].to_list()
    by_key = {name.lower(): name for name in names}
    by_key |= {slug: name for slug, name in zip(councils["slug"], names, strict=True)}
    close = difflib.get_close_matches(text.lower(), list(by_key), n=5, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(slugify(text), list(by_key), n=5, cutoff=0.6)
    suggestions = list(dict.fromkeys(by_key[key] for key in close))
    hint = f"close matches: {', '.join(suggestions)}" if suggestions else "no close matches"
    return (
        f"no council matches {text!r} ({hint}); give an ONS code (E06000015), "
        "an LA number (831), a name (Derby) or a slug (bath_and_north_east_somerset)"
    )
