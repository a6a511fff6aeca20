"""Tests of the council data layer: processed tables, the builder and the loaders."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from sendsim.data import areas
from sendsim.data.areas import ENGLAND_CODE
from sendsim.data.build import build as rebuild
from sendsim.data.build import raw as raw_files
from sendsim.errors import DataError, SendsimError

CUMBERLAND, WESTMORLAND = "E06000063", "E06000064"
PLACEMENT_COLUMNS = [f"ehcp_{p}" for p in areas.PLACEMENTS]
NEW_PLAN_COLUMNS = [f"new_plans_2022_{p}" for p in areas.NEW_PLAN_PLACEMENTS]


def raw_csv(name: str) -> pl.DataFrame:
    return pl.read_csv(raw_files.RAW_DIR / name, infer_schema=False)


def council(councils: pl.DataFrame, code: str) -> dict:
    return councils.filter(pl.col("la_code") == code).row(0, named=True)


def history_row(history: pl.DataFrame, code: str, measure: str, year: int) -> dict:
    found = history.filter(
        (pl.col("la_code") == code) & (pl.col("measure") == measure) & (pl.col("year") == year)
    )
    assert found.height == 1
    return found.row(0, named=True)


@pytest.fixture(scope="module")
def councils() -> pl.DataFrame:
    return areas.load_councils()


@pytest.fixture(scope="module")
def history() -> pl.DataFrame:
    return areas.load_history()


@pytest.fixture(scope="module")
def population() -> pl.DataFrame:
    return areas.load_population()


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("processed")
    rebuild(out)
    return out


def test_153_councils_with_unique_codes(councils: pl.DataFrame) -> None:
    assert councils.height == 153
    for column in ("la_code", "la_number", "la_name", "slug"):
        assert councils[column].n_unique() == 153, column
    assert councils["la_code"].is_sorted()
    codes = set(councils["la_code"])
    assert {CUMBERLAND, WESTMORLAND, "E06000061", "E06000062"} <= codes
    assert not {"E10000006", "E10000021"} & codes  # Cumbria, Northamptonshire
    assert councils["la_code"].str.contains(r"^E0[6-9]\d{6}$|^E10\d{6}$").all()
    assert councils.null_count().select(["icb_code", "region", "pop_0_25"]).sum_horizontal()[0] == 0


def test_ehcp_totals_equal_published_sen2(councils: pl.DataFrame) -> None:
    sen2 = raw_csv(raw_files.AGE_CASELOAD).filter(
        (pl.col("time_period") == "2022")
        & (pl.col("geographic_level") == "Local authority")
        & (pl.col("characteristic_age") == "Total")
    )
    sen2 = sen2.select(
        pl.col("old_la_code").cast(pl.Int32).alias("la_number"),
        pl.col("Total_all").cast(pl.Float64).alias("published"),
    )
    joined = councils.join(sen2, on="la_number")
    assert joined.height == 151  # all but the two parts of Cumbria
    assert (joined["ehcp_total"] == joined["published"]).all()
    cumbria = sen2.filter(pl.col("la_number") == 909)["published"].item()
    parts = councils.filter(pl.col("la_code").is_in([CUMBERLAND, WESTMORLAND]))["ehcp_total"]
    assert parts.sum() == pytest.approx(cumbria, abs=1e-9)
    assert councils["ehcp_total"].sum() == pytest.approx(473_255, abs=1e-6)


def test_placements_add_up_to_totals(councils: pl.DataFrame) -> None:
    placements = councils.select(pl.sum_horizontal(PLACEMENT_COLUMNS)).to_series()
    assert ((placements - councils["ehcp_total"]).abs() < 1e-6).all()
    new_plans = councils.select(pl.sum_horizontal(NEW_PLAN_COLUMNS)).to_series()
    assert ((new_plans - councils["new_plans_2022"]).abs() < 1e-6).all()
    values = councils.select([*PLACEMENT_COLUMNS, *NEW_PLAN_COLUMNS])
    assert values.null_count().sum_horizontal()[0] == 0
    assert (values.min().transpose().to_series() >= 0).all()


def test_placement_history_adds_up(history: pl.DataFrame) -> None:
    measures = ["ehcp_total", *PLACEMENT_COLUMNS]
    wide = history.filter(pl.col("measure").is_in(measures) & (pl.col("year") >= 2019))
    wide = wide.pivot(on="measure", index=["la_code", "year"], values="value")
    assert wide.height == 154 * 4  # 153 councils and England, January 2019-2022
    gap = wide["ehcp_total"] - wide.select(pl.sum_horizontal(PLACEMENT_COLUMNS)).to_series()
    assert (gap.abs() < 1e-6).all()


def test_suppressed_cells_are_null_not_zero(councils: pl.DataFrame, history: pl.DataFrame) -> None:
    tribunal = raw_csv(raw_files.TRIBUNAL).filter(
        (pl.col("la_name") == "Isles of Scilly") & (pl.col("year") == "2022")
    )
    assert tribunal["appeals_registered"].item().strip() == "-"
    scilly = council(councils, "E06000053")
    assert scilly["tribunal_appeals_2022"] is None
    assert scilly["appealable_decisions_2022"] == 16
    row = history_row(history, "E06000053", "tribunal_appeals", 2022)
    assert row["value"] is None and row["status"] == "suppressed"

    assessments = raw_csv(raw_files.ASSESSMENTS).filter(
        (pl.col("la_name") == "Wakefield") & (pl.col("time_period") == "2022")
    )
    assert assessments["assess_in_year"].item() == "x"
    wakefield = council(councils, "E08000036")
    assert wakefield["assessments_2022"] is None
    assert wakefield["plans_issued_2022"] == 462

    lait = raw_csv(raw_files.LAIT).filter(
        (pl.col("measure_code") == "Age19_SEN-S_L2EM")
        & (pl.col("year_label") == "2022")
        & (pl.col("la_number") == "201")
    )
    assert lait["value_raw"].item() == "-"
    assert council(councils, "E09000001")["level2_em_age19_ehcp_pct"] is None
    norfolk = history_row(history, "E10000020", "within_20_weeks_share", 2022)
    assert norfolk["value"] is None and norfolk["status"] == "suppressed"


def test_cumbria_parts_add_up_to_cumbria(councils: pl.DataFrame, history: pl.DataFrame) -> None:
    parts = councils.filter(pl.col("la_code").is_in([CUMBERLAND, WESTMORLAND]))
    requests = raw_csv(raw_files.REQUESTS).filter(
        (pl.col("old_la_code") == "909") & (pl.col("time_period") == "2022")
    )
    assert parts["requests_2022"].sum() == pytest.approx(
        float(requests["requests_received_in_year"].item())
    )
    dsg = raw_csv(raw_files.DSG).filter(
        (pl.col("la_code") == "909") & (pl.col("financial_year") == "2021-22")
    )
    assert parts["hnb_2021_22_gbp"].sum() == pytest.approx(
        float(dsg["high_needs_block_pre"].item())
    )
    share = parts["pop_0_25"] / parts["pop_0_25"].sum()
    assert (parts["ehcp_total"] / parts["ehcp_total"].sum() - share).abs().max() < 1e-12
    assert parts["sen_support_pct"].to_list() == [11.69, 11.69]  # rates are copied
    row = history_row(history, CUMBERLAND, "ehcp_total", 2022)
    assert row["status"] == "apportioned"
    assert parts["hnb_2023_24_gbp"].to_list() == [38_757_270.0, 27_639_678.0]  # own allocations
    assert history_row(history, CUMBERLAND, "hnb_gbp", 2023)["status"] == "published"


def test_population_has_ages_0_to_25(population: pl.DataFrame, councils: pl.DataFrame) -> None:
    assert population.height == 153 * 26
    ages = population.group_by("la_code").agg(pl.col("age").sort().alias("ages"))
    assert ages.height == 153 and set(ages["la_code"]) == set(councils["la_code"])
    assert all(a == list(range(26)) for a in ages["ages"].to_list())
    assert population.null_count().sum_horizontal()[0] == 0
    assert (population.select("population_2019", "population_2020").min_horizontal() > 0).all()
    totals = population.group_by("la_code").agg(pl.col("population_2020").sum())
    joined = councils.join(totals, on="la_code")
    assert (joined["pop_0_25"] == joined["population_2020"]).all()


def test_cumbria_population_comes_from_districts(population: pl.DataFrame) -> None:
    ons = raw_csv(raw_files.POPULATION).filter(
        (pl.col("area_code") == "E10000006") & (pl.col("mid_year") == "2020")
    )
    county = ons["population"].cast(pl.Float64).sum()
    parts = population.filter(pl.col("la_code").is_in([CUMBERLAND, WESTMORLAND]))
    assert parts["population_2020"].sum() == county


def test_builder_is_reproducible(rebuilt: Path) -> None:
    loaders = {
        areas.COUNCILS_FILE: areas.load_councils,
        areas.POPULATION_FILE: areas.load_population,
        areas.HISTORY_FILE: areas.load_history,
    }
    for name, loader in loaders.items():
        assert_frame_equal(pl.read_parquet(rebuilt / name), loader())
        assert not list(rebuilt.glob("*.tmp"))


def test_builder_names_raw_file_and_missing_column(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(raw_files.RAW_DIR, raw)
    requests = raw / raw_files.REQUESTS
    pl.read_csv(requests, infer_schema=False).drop("requests_decided_not_to_assess").write_csv(
        requests
    )
    with pytest.raises(DataError) as error:
        rebuild(tmp_path / "out", raw_dir=raw)
    assert error.value.path == requests
    assert "requests_decided_not_to_assess" in str(error.value)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("loader", "name", "column"),
    [
        (areas.load_councils, areas.COUNCILS_FILE, "ehcp_total"),
        (areas.load_population, areas.POPULATION_FILE, "age"),
        (areas.load_history, areas.HISTORY_FILE, "status"),
    ],
)
def test_loader_names_file_and_missing_column(loader, name: str, column: str, tmp_path: Path):
    path = tmp_path / name
    pl.read_parquet(areas.PROCESSED_DIR / name).drop(column).write_parquet(path)
    with pytest.raises(DataError) as error:
        loader(path)
    assert error.value.path == path
    assert str(path) in str(error.value) and f"'{column}'" in str(error.value)


def test_loader_rejects_bad_dtype_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / areas.COUNCILS_FILE
    frame = pl.read_parquet(areas.PROCESSED_DIR / areas.COUNCILS_FILE)
    frame.with_columns(pl.col("la_number").cast(pl.Int64)).write_parquet(path)
    with pytest.raises(DataError, match="'la_number' has dtype"):
        areas.load_councils(path)
    with pytest.raises(DataError, match="file not found"):
        areas.load_history(tmp_path / "absent.parquet")


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("E06000015", "Derby"),
        ("e06000015", "Derby"),
        ("831", "Derby"),
        ("Derby", "Derby"),
        ("  derby ", "Derby"),
        ("bath_and_north_east_somerset", "Bath and North East Somerset"),
        ("Bristol, City of", "Bristol, City of"),
        ("942", "Cumberland"),
        ("westmorland_and_furness", "Westmorland and Furness"),
    ],
)
def test_find_council_resolves(query: str, name: str) -> None:
    found = areas.find_council(query)
    assert found["la_name"] == name
    assert set(found) == set(areas.COUNCIL_SCHEMA)


def test_find_council_fails_helpfully() -> None:
    with pytest.raises(DataError) as error:
        areas.find_council("Darby")
    message = str(error.value)
    assert "'Darby'" in message and "Derby" in message and "close matches" in message
    with pytest.raises(DataError, match="no close matches"):
        areas.find_council("Qwxz")
    with pytest.raises(DataError):
        areas.find_council("999")


def test_history_keys_statuses_and_national_rows(history: pl.DataFrame) -> None:
    assert not history.select("la_code", "measure", "year").is_duplicated().any()
    assert set(history["status"]) == set(areas.HISTORY_STATUSES)
    assert history.equals(history.sort("la_code", "measure", "year"))
    england = history.filter(
        (pl.col("la_code") == ENGLAND_CODE) & (pl.col("measure") == "ehcp_total")
    )
    published = {2015: 240_183, 2019: 353_995, 2020: 390_109, 2021: 430_697, 2022: 473_255}
    by_year = dict(zip(england["year"], england["value"], strict=True))
    assert {y: by_year[y] for y in published} == published
    assert england["year"].to_list() == list(range(2010, 2023))
    suppressed = history.filter(pl.col("status") == "suppressed")
    assert suppressed["value"].null_count() == suppressed.height
    assert history.filter(pl.col("status") != "suppressed")["value"].null_count() == 0


def test_northamptonshire_history_is_apportioned(history: pl.DataFrame) -> None:
    north = history_row(history, "E06000061", "ehcp_total", 2021)
    west = history_row(history, "E06000062", "ehcp_total", 2021)
    assert north["status"] == west["status"] == "apportioned"
    assert north["value"] + west["value"] == pytest.approx(4847)
    assert history_row(history, "E06000061", "ehcp_total", 2022)["status"] == "published"


def test_primary_icbs_and_dsg_balance(councils: pl.DataFrame, history: pl.DataFrame) -> None:
    assert council(councils, "E10000012")["icb_name"] == "NHS Mid and South Essex ICB"
    assert council(councils, "E10000015")["icb_name"] == "NHS Hertfordshire and West Essex ICB"
    assert council(councils, CUMBERLAND)["icb_name"] == "NHS North East and North Cumbria ICB"
    assert council(councils, WESTMORLAND)["icb_name"] == "NHS Lancashire and South Cumbria ICB"
    assert councils["icb_code"].n_unique() == 42
    assert history_row(history, ENGLAND_CODE, "dsg_balance_pct", 2021)["value"] == -2.26
    total = councils["dsg_cumulative_balance_2022_gbp"].sum()
    assert -1.3e9 < total < -1.0e9


def test_statistical_neighbours_are_council_codes(councils: pl.DataFrame) -> None:
    codes = set(councils["la_code"])
    for own, neighbours in councils.select("la_code", "stat_neighbours").iter_rows():
        listed = neighbours.split(",")
        assert len(listed) == 10 and set(listed) <= codes and own not in listed


def test_runs_never_import_the_data_build(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "import sendsim.cli, sendsim.app, sendsim.calibration\n"
        "from sendsim.model.model import SendModel\n"
        "from tests.conftest import make_config\n"
        "SendModel(make_config())\n"
        "print([m for m in sys.modules if m.startswith('sendsim.data.build')])\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_a_broken_workbook_names_the_file(tmp_path: Path) -> None:
    book = tmp_path / "neighbours.xlsx"
    book.write_bytes(b"not a workbook")
    with pytest.raises(DataError, match="cannot read workbook") as error:
        raw_files.read_xlsx_rows(book)
    assert error.value.path == book


def test_the_build_without_openpyxl_says_which_extra_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(SendsimError, match=r"pip install 'sendsim\[data\]'"):
        raw_files.read_xlsx_rows(raw_files.RAW_DIR / raw_files.NEIGHBOURS)
