"""School census SEN shares, mainstream rolls and capacity, special school places, DSG and high
needs allocations, DSG balances, s251 budgets and LAIT outcome measures."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sendsim.data.areas import HNB_EHCP_GROUPS, OUTCOMES, S251_PHASES, S251_SERVICES
from sendsim.data.build.geography import numbers_from_names
from sendsim.data.build.raw import (
    BENCHMARKING,
    DSG,
    DSG_DEFICIT,
    ENGLAND_NUMBER,
    HNB_DETAIL,
    LAIT,
    MAINSTREAM_SEN,
    PERCENT_SEN,
    ROLL,
    national_or_number,
    parse_numbers,
    period_year,
    read_raw,
    start_year,
    wide_to_facts,
)
from sendsim.errors import DataError

LAIT_MEASURES = dict(
    zip(
        (
            "NoID_SEN_NEW_KS2_RWM",
            "NEW_KS2_RWM_Sen_W/Osta",
            "NEW_KS2_RWM_Sen_Withsta",
            "SEN_NoID_AVG_Attain8_Score",
            "SEN_WoStat_AVG_Attain8_Score",
            "SEN_Stat_AVG_Attain8_Score",
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
