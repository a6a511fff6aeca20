"""The 153 councils of April 2023 and what they are made of: names, numbers, codes, regions,
primary ICBs, statistical neighbours, single-year population 0-25, and the predecessor councils
whose series are handed to their successors."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from sendsim.data.areas import POPULATION_SCHEMA, slugify
from sendsim.data.build.raw import (
    ENGLAND_NUMBER,
    LOOKUP,
    LTLA,
    NEIGHBOURS,
    POPULATION,
    SUB_ICBS,
    parse_numbers,
    read_raw,
    read_xlsx_rows,
)
from sendsim.errors import DataError

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
