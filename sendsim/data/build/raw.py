"""Reading the raw downloads: CSVs as text checked for their columns, numbers with the
publishers' suppression markers as null, years of academic and financial periods, wide tables
turned into long facts, and the one workbook (statistical neighbours)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import polars as pl

from sendsim.errors import DataError, SendsimError

RAW_DIR = Path(__file__).resolve().parents[1] / "raw"

ENGLAND_NUMBER = 970  # DfE's number for England (as in LAIT)
MARKERS = ("x", "z", "c", "u", "low", "-", "..", "")
FACT_COLUMNS = ("source", "la_number", "measure", "year", "value", "status")

# The raw files, relative to RAW_DIR (their provenance is in raw/README.md).
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
AGE_NEW_PLANS = "dfe-ehcp/sen2_age_new_plans_2009_2021.csv"
SEN2_MI = "dfe-ehcp/sen2_mi_2014_2021.csv"
ESTAB_INDEPENDENT = "dfe-ehcp/sen2_estab_independent_special_2010_2022.csv"
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


def read_xlsx_rows(path: Path) -> list[dict[str, str | None]]:
    """Rows of the first worksheet of an .xlsx file as {column letter: text}."""
    try:
        from openpyxl import load_workbook
        from openpyxl.utils import get_column_letter
    except ModuleNotFoundError:
        message = f"reading {path.name} needs openpyxl: pip install 'sendsim[data]'"
        raise SendsimError(message) from None
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several exception types for broken workbooks
        raise DataError(path, f"cannot read workbook: {exc}") from exc
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        return [{get_column_letter(i): _text(v) for i, v in enumerate(row, 1)} for row in rows]
    finally:
        book.close()


def _text(value: object) -> str | None:
    """A cell as the text a CSV would hold: 201, not 201.0."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
