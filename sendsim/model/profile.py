"""Area profiles: each council's January 2022 starting point and rates, from the data tables.

Everything here is derived directly from published figures (``sendsim/data/processed``), with
suppressed or missing values filled explicitly from the national figure for the same measure
(per child, per plan or as a share), never read as zero. The result is plain numpy arrays, one
row per simulated council.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import polars as pl

from sendsim import outcome_levels
from sendsim.data import areas
from sendsim.errors import DataError
from sendsim.model.codes import N_AGES, N_PLACE, Place

ENGLAND = "england"
DATA_YEAR = 2022  # the January the council table describes; earlier starts read the history
INDEPENDENT_GROWTH_YEARS = 3  # years over which the independent market's recent growth is read
SPREAD_PRIOR_PAIRS = 2  # a council's year-to-year spread is pooled with England's median as if
# England's were seen over this many pairs of consecutive years

#: Data placement groups (areas.PLACEMENTS order) → model placements.
DATA_PLACE = np.array(
    [
        Place.MAINSTREAM,
        Place.RESOURCED,
        Place.STATE_SPECIAL,
        Place.INDEPENDENT,
        Place.AP,
        Place.FE,
        Place.SPECIALIST_POST16,
        Place.NEET,
        Place.EARLY_YEARS,
        Place.OTHER,
    ]
)

#: Ages (inclusive) at which each data placement can occur.
PLACE_AGES = (
    (4, 18),
    (4, 18),
    (2, 18),
    (4, 18),
    (5, 16),
    (16, 25),
    (16, 25),
    (16, 25),
    (0, 3),
    (3, 25),
)

#: Council-table columns that describe a January, its calendar or financial year: the
#: history measure and year offset each is read from for another starting January.
AS_OF = {
    "ehcp_total": ("ehcp_total", 0),
    **{f"ehcp_age_{band}": (f"ehcp_age_{band}", 0) for band in areas.AGE_BANDS},
    **{f"ehcp_{place}": (f"ehcp_{place}", 0) for place in (*areas.PLACEMENTS, *areas.SCHOOL_TYPES)},
    "sen_support_pct": ("sen_support_pct", 0),
    "requests_2021": ("requests", -1),
    "requests_2022": ("requests", 0),
    "refusals_2022": ("refusals", 0),
    "new_plans_2021": ("new_plans", -1),
    "new_plans_2022": ("new_plans", 0),
    "plans_not_issued_2022": ("plans_not_issued", 0),
    "within_20_weeks_share_2022": ("within_20_weeks_share", 0),
    **{f"new_plans_2022_{p}": (f"new_plans_{p}", 0) for p in areas.NEW_PLAN_PLACEMENTS},
    "hnb_2021_22_gbp": ("hnb_gbp", -1),
    "hnb_2022_23_gbp": ("hnb_gbp", 0),
    "hnb_2023_24_gbp": ("hnb_gbp", 1),  # announced in December of the starting year
    "dsg_cumulative_balance_2022_gbp": ("dsg_cumulative_balance_gbp", -1),  # March
    "dsg_cumulative_balance_prev_gbp": ("dsg_cumulative_balance_gbp", -2),
}


@dataclass(eq=False)
class Profiles:
    """Per-council starting data for the simulated councils (rows in ``codes`` order)."""

    codes: list[str]
    names: list[str]
    keys: np.ndarray  # LA numbers
    regions: list[str]
    icb_names: list[str]
    population: np.ndarray  # (n, 26) by single year of age: the latest mid-year estimate held
    age_shift: int  # academic age in January of the start year = estimate's age + age_shift
    population_2019: np.ndarray  # (n, 26) mid-2019, for net migration
    population_2020: np.ndarray  # (n, 26) mid-2020, for net migration
    plans: np.ndarray  # (n, 26, N_PLACE) January 2022 plans by academic age and placement
    sen_support_share: np.ndarray  # school-age SEN support share of pupils
    requests_per_year: np.ndarray
    refusal_share: np.ndarray
    national_refusal_share: float
    issue_share: np.ndarray
    assessments_per_year: np.ndarray
    national_assessments_per_year: float  # England
    within_20_weeks_share: np.ndarray
    new_plan_special_share: np.ndarray  # school-age new plans in special schools (state + ISS)
    new_plan_resourced_share: np.ndarray
    new_plans_special: np.ndarray  # new plans in special schools, state and independent (0: none)
    new_plans_independent: np.ndarray  # of which independent and non-maintained (0: none)
    national_independent_share: float  # England's share of new special-school plans independent
    independent_growth: float  # England's yearly growth of plans in independent special schools
    academy_share: np.ndarray  # share of mainstream plans in academies and free schools
    primary_pupils: np.ndarray
    secondary_pupils: np.ndarray
    primary_capacity: np.ndarray
    secondary_capacity: np.ndarray
    unit_cost_gbp: np.ndarray  # (n, N_PLACE) from s251 where available, 2021-22 prices
    england: EnglandCosts  # every council's, for a national tariff
    hnb_gbp: dict[int, np.ndarray]  # before recoupment, by financial year (April start)
    dsg_balance_start_gbp: np.ndarray  # cumulative DSG balance in the starting January
    dsg_change_last_year_gbp: np.ndarray  # change of the cumulative balance in the last year
    dsg_share_of_england: np.ndarray  # share of England's Dedicated Schools Grant, 2021-22
    outcomes: dict[str, np.ndarray]  # areas.OUTCOMES at the start (data units)
    outcomes_filled: dict[str, list[str]]  # councils given England's figure, by measure
    outcomes_england: dict[str, float]  # England's latest published figure
    outcomes_spread: dict[str, np.ndarray]  # year-to-year standard deviation (data units)

    @property
    def n(self) -> int:
        return len(self.codes)


def select_councils(area: str, year: int = DATA_YEAR) -> pl.DataFrame:
    """The council rows simulated for ``area`` (a code, number, name, slug, or ``england``),
    as of January ``year``."""
    councils = as_of(areas.load_councils(), year)
    if area.lower() == ENGLAND:
        return councils
    found = areas.find_council(area)
    return councils.filter(pl.col("la_code") == found["la_code"])


def as_of(councils: pl.DataFrame, year: int) -> pl.DataFrame:
    """The council table as of January ``year``: the columns describing that January, its
    calendar year and financial year are read from the published history instead.

    Only data published by the end of ``year`` is used (the January caseload, the year's
    flows, allocations announced by December), so a run starting then sees nothing later.
    """
    history = areas.load_history()
    for column, (measure, offset) in AS_OF.items():
        if year == DATA_YEAR and column in councils.columns:
            continue  # the table itself describes this January
        values = history.filter(
            (pl.col("measure") == measure) & (pl.col("year") == year + offset)
        ).select("la_code", pl.col("value").alias(column))
        councils = councils.drop(column, strict=False).join(values, on="la_code", how="left")
    return councils


class PlanSpread(Protocol):
    """How published plans by age band and by placement are spread to single ages and
    placements (declared in ``behaviour.demography``): the band's share at each single age,
    and a prior weight of each placement in each band (``plan_place_prior_<band>``) before
    fitting to the council's margins."""

    plan_age_weight_in_band: Sequence[float]


def load_profiles(area: str, year: int, spread: PlanSpread) -> Profiles:
    """Build the profiles of the councils in ``area`` as of January ``year``."""
    all_councils = as_of(areas.load_councils(), year)
    rows = select_councils(area, year)
    pop = _population(rows)
    return Profiles(
        codes=rows["la_code"].to_list(),
        names=rows["la_name"].to_list(),
        keys=rows["la_number"].to_numpy().astype(np.int64),
        regions=rows["region"].to_list(),
        icb_names=rows["icb_name"].to_list(),
        population=pop["population_2020"] if year > 2020 else pop["population_2019"],
        age_shift=year - (2020 if year > 2020 else 2019) - 1,
        population_2019=pop["population_2019"],
        population_2020=pop["population_2020"],
        plans=_plans_by_age_and_place(rows, spread),
        sen_support_share=_fill_share(rows, all_councils, "sen_support_pct") / 100.0,
        requests_per_year=np.sqrt(
            _fill_per_plan(rows, all_councils, "requests_2021", at_least="new_plans_2021")
            * _fill_per_plan(rows, all_councils, "requests_2022", at_least="new_plans_2022")
        ),  # the rate in January 2022, between the 2021 and 2022 totals
        refusal_share=_ratio(rows, all_councils, "refusals_2022", "requests_2022"),
        national_refusal_share=_national_ratio(all_councils, "refusals_2022", "requests_2022"),
        issue_share=_ratio(
            rows, all_councils, "new_plans_2022", ("new_plans_2022", "plans_not_issued_2022")
        ),
        assessments_per_year=_assessments(rows, all_councils),
        national_assessments_per_year=float(_assessments(all_councils, all_councils).sum()),
        within_20_weeks_share=_fill_share(rows, all_councils, "within_20_weeks_share_2022"),
        new_plan_special_share=_ratio(rows, all_councils, _SPECIAL_NEW_PLANS, _SCHOOL_NEW_PLANS),
        new_plan_resourced_share=_ratio(
            rows, all_councils, "new_plans_2022_resourced", _SCHOOL_NEW_PLANS
        ),
        new_plans_special=np.nan_to_num(_nullable(rows, _SPECIAL_NEW_PLANS)),
        new_plans_independent=np.nan_to_num(_nullable(rows, _SPECIAL_NEW_PLANS[1])),
        national_independent_share=_national_ratio(
            all_councils, _SPECIAL_NEW_PLANS[1], _SPECIAL_NEW_PLANS
        ),
        independent_growth=_england_growth("ehcp_independent", year, INDEPENDENT_GROWTH_YEARS),
        academy_share=_academy_share(rows, all_councils),
        primary_pupils=_fill_per_child(rows, all_councils, "primary_pupils"),
        secondary_pupils=_fill_per_child(rows, all_councils, "secondary_pupils"),
        primary_capacity=_fill_per_child(rows, all_councils, "primary_capacity"),
        secondary_capacity=_fill_per_child(rows, all_councils, "secondary_capacity"),
        **_finance(rows, all_councils, year),
        england=_england_costs(all_councils, year),
        **_outcomes(rows, year),
    )


_SPECIAL_NEW_PLANS = ("new_plans_2022_state_special", "new_plans_2022_independent")
_SCHOOL_NEW_PLANS = tuple(
    f"new_plans_2022_{p}" for p in ("mainstream", "resourced", "state_special", "independent", "ap")
)


def _outcomes(rows: pl.DataFrame, year: int) -> dict[str, dict]:
    """Each council's attainment and destination measures at the start
    (:func:`sendsim.outcome_levels.levels`, LAIT labelling academic years by the year they end);
    where a council has none, England's latest."""
    values, filled, national, spread = {}, {}, {}, {}
    for measure in areas.OUTCOMES:
        start = outcome_levels.levels(measure, year)
        national[measure] = start.england
        mine = rows.select("la_code").join(start.by_council, on="la_code", how="left")
        filled[measure] = mine.filter(pl.col("value").is_null())["la_code"].to_list()
        values[measure] = mine["value"].fill_null(start.england).to_numpy().astype(np.float64)
        spread[measure] = _year_to_year_spread(
            outcome_levels.comparable_history(measure, year), rows
        )
    return {
        "outcomes": values,
        "outcomes_filled": filled,
        "outcomes_england": national,
        "outcomes_spread": spread,
    }


def _year_to_year_spread(history: pl.DataFrame, rows: pl.DataFrame) -> np.ndarray:
    """Each council's standard deviation of a measure from year to year (its consecutive
    years' changes over root 2), pooled with the median council's by the pairs seen."""
    pairs = (
        history.sort("year")
        .with_columns(
            pl.col("value").diff().over("la_code").alias("change"),
            pl.col("year").diff().over("la_code").alias("gap"),
        )
        .filter(pl.col("gap") == 1)
        .group_by("la_code")
        .agg((pl.col("change") ** 2 / 2).mean().alias("variance"), pl.len().alias("pairs"))
    )
    typical = float(pairs["variance"].median() or 0.0)
    mine = rows.select("la_code").join(pairs, on="la_code", how="left").fill_null(0)
    k = mine["pairs"].to_numpy().astype(np.float64)
    pooled = (k * mine["variance"].to_numpy() + SPREAD_PRIOR_PAIRS * typical) / (
        k + SPREAD_PRIOR_PAIRS
    )
    return np.sqrt(pooled)


# -- filling missing values explicitly ----------------------------------------------------
def _england_growth(measure: str, year: int, years: int) -> float:
    """England's yearly growth of ``measure`` over the ``years`` to January ``year``."""
    history = areas.load_history()
    values = history.filter(
        (pl.col("la_code") == areas.ENGLAND_CODE)
        & (pl.col("measure") == measure)
        & pl.col("year").is_in([year - years, year])
    ).sort("year")["value"]
    if values.len() != 2 or values.null_count():
        raise DataError(areas.PROCESSED_DIR / areas.HISTORY_FILE, f"no England {measure} {year}")
    return float((values[1] / values[0]) ** (1 / years) - 1)


def _nullable(rows: pl.DataFrame, cols: str | tuple[str, ...]) -> np.ndarray:
    cols = (cols,) if isinstance(cols, str) else cols
    any_null = rows.select(pl.any_horizontal(*(pl.col(c).is_null() for c in cols))).to_series()
    values = rows.select(pl.sum_horizontal(*cols)).to_series().to_numpy().astype(np.float64)
    values[any_null.to_numpy()] = np.nan
    return values


def _assessments(rows: pl.DataFrame, all_rows: pl.DataFrame) -> np.ndarray:
    """Assessments completed in the year: SEN2 new plans, not assessments.csv "issued" (which
    disagrees for a few councils; new plans are what the caseload series counts), and
    assessments that ended without a plan."""
    return _fill_per_plan(rows, all_rows, "new_plans_2022") + _fill_per_plan(
        rows, all_rows, "plans_not_issued_2022"
    )


def _national_ratio(all_rows: pl.DataFrame, num, den) -> float:
    n, d = _nullable(all_rows, num), _nullable(all_rows, den)
    ok = np.isfinite(n) & np.isfinite(d) & (d > 0)
    return float(n[ok].sum() / d[ok].sum())


def _ratio(rows, all_rows, num, den) -> np.ndarray:
    """num/den per council; the national ratio where either is missing or den is 0."""
    n, d = _nullable(rows, num), _nullable(rows, den)
    ok = np.isfinite(n) & np.isfinite(d) & (d > 0)
    out = np.full(len(rows), _national_ratio(all_rows, num, den))
    out[ok] = n[ok] / d[ok]
    return out


def _fill_per(rows, all_rows, col: str, base: str, at_least: str | None = None) -> np.ndarray:
    """``col`` per council; where missing (or below ``at_least``, so implausible), the
    national ``col`` per unit of ``base``."""
    values = _nullable(rows, col)
    missing = ~np.isfinite(values)
    if at_least is not None:
        missing |= values < np.nan_to_num(_nullable(rows, at_least))
    values[missing] = _national_ratio(all_rows, col, base) * _nullable(rows, base)[missing]
    return values


def _fill_per_plan(rows, all_rows, col: str, at_least: str | None = None) -> np.ndarray:
    return _fill_per(rows, all_rows, col, "ehcp_total", at_least)


def _fill_per_child(rows, all_rows, col: str) -> np.ndarray:
    return _fill_per(rows, all_rows, col, "pop_0_25")


def _fill_share(rows, all_rows, col: str) -> np.ndarray:
    values = _nullable(rows, col)
    national = np.nanmedian(_nullable(all_rows, col))
    return np.where(np.isfinite(values), values, national)


def _academy_share(rows, all_rows) -> np.ndarray:
    """Share of plans in state mainstream schools that are in academies and free schools
    (England's where a council's is not published)."""
    maintained, academy = (f"ehcp_{t}" for t in areas.SCHOOL_TYPES)
    return _ratio(rows, all_rows, academy, (maintained, academy))


# -- population and plans ------------------------------------------------------------------
def _population(rows: pl.DataFrame) -> dict[str, np.ndarray]:
    """ONS mid-2019 and mid-2020 estimates by council and single year of age."""
    pop = areas.load_population().filter(pl.col("la_code").is_in(rows["la_code"].implode()))
    pop = pop.sort("la_code", "age")
    order = {code: i for i, code in enumerate(rows["la_code"].to_list())}
    idx = np.array([order[c] for c in pop["la_code"].to_list()])
    grids = {}
    for col in ("population_2019", "population_2020"):
        grid = np.zeros((len(rows), N_AGES))
        grid[idx, pop["age"].to_numpy()] = pop[col].fill_null(0).to_numpy()
        grids[col] = grid
    return grids


def ipf(prior: np.ndarray, rows: np.ndarray, cols: np.ndarray, iterations: int = 100) -> np.ndarray:
    """Iterative proportional fitting of ``prior`` to row and column totals, over the last
    two axes (leading axes are separate tables). Column totals are met exactly; row totals
    as nearly as the prior's zeros allow."""
    table = prior.astype(np.float64).copy()
    rows, cols = np.asarray(rows, np.float64), np.asarray(cols, np.float64)
    for _ in range(iterations):
        got = table.sum(axis=-1)
        table *= np.divide(rows, got, out=np.zeros_like(got), where=got > 0)[..., None]
        got = table.sum(axis=-2)
        table *= np.divide(cols, got, out=np.zeros_like(got), where=got > 0)[..., None, :]
    return table


def _admitted() -> np.ndarray:
    """(26, 10): 1 where a data placement admits children of that academic age."""
    allowed = np.zeros((N_AGES, len(PLACE_AGES)))
    for j, (lo, hi) in enumerate(PLACE_AGES):
        allowed[lo : hi + 1, j] = 1.0
    return allowed


def _plans_by_age_and_place(rows: pl.DataFrame, spread: PlanSpread) -> np.ndarray:
    """January plans by council, academic age and placement (fractional counts).

    Plans by band and placement are fitted to both published margins; each band's plans in
    a placement are then spread over the ages the placement admits so that the band's plans
    fall into single ages in the declared shares."""
    bands = rows.select([f"ehcp_age_{b}" for b in areas.AGE_BANDS]).fill_null(0).to_numpy()
    places = rows.select([f"ehcp_{p}" for p in areas.PLACEMENTS]).fill_null(0).to_numpy()
    bands = bands * (places.sum(1) / np.maximum(bands.sum(1), 1e-9))[:, None]
    prior = np.array([getattr(spread, f"plan_place_prior_{band}") for band in areas.AGE_BANDS])
    joint = ipf(np.broadcast_to(prior, (len(rows), *prior.shape)), bands, places)
    weight, admitted = np.asarray(spread.plan_age_weight_in_band, np.float64), _admitted()
    out = np.zeros((len(rows), N_AGES, N_PLACE))
    for b, (lo, hi) in enumerate(areas.BAND_AGES):
        share = weight[lo : hi + 1] / weight[lo : hi + 1].sum()
        by_age = ipf(
            np.broadcast_to(admitted[lo : hi + 1], (len(rows), hi - lo + 1, len(PLACE_AGES))),
            joint[:, b].sum(axis=1)[:, None] * share,
            joint[:, b],
        )
        out[:, lo : hi + 1, DATA_PLACE] = by_age
    return out


# -- finance -------------------------------------------------------------------------------
def _s251(rows, cols: tuple[str, ...]) -> np.ndarray:
    return rows.select([f"s251_{c}_gbp" for c in cols]).fill_null(0).to_numpy().sum(axis=1)


def _per_plan_cost(rows, all_rows, cols, count_col, low, high) -> np.ndarray:
    """s251 budget lines per plan in a placement, and the national figure (used where the
    council's is implausible)."""
    spend, plans = _s251(rows, cols), _nullable(rows, count_col)
    all_spend, all_plans = _s251(all_rows, cols), _nullable(all_rows, count_col)
    ok_all = np.isfinite(all_plans) & (all_plans > 0)
    national = float(all_spend[ok_all].sum() / all_plans[ok_all].sum())
    unit = np.divide(
        spend, plans, out=np.full(len(rows), np.nan), where=np.isfinite(plans) & (plans > 0)
    )
    return np.where(np.isfinite(unit) & (unit >= low) & (unit <= high), unit, national)


#: Placement → (s251 lines, plans counted, plausible range of cost per plan in GBP).
UNIT_COST_LINES = {
    Place.MAINSTREAM: (
        ("topup_maintained_primary", "topup_maintained_secondary"),
        "hnb_ehcp_mainstream",
        (1500, 25000),
    ),
    Place.RESOURCED: (("place_primary", "place_secondary"), "hnb_ehcp_resourced", (3000, 30000)),
    Place.STATE_SPECIAL: (
        ("place_special", "topup_maintained_special"),
        "hnb_ehcp_state_special",
        (10000, 70000),
    ),
    Place.INDEPENDENT: (
        ("topup_independent_special", "topup_independent_primary", "topup_independent_secondary"),
        "hnb_ehcp_independent",
        (25000, 150000),
    ),
    Place.FE: (
        ("place_post_school", "topup_maintained_post_school", "topup_independent_post_school"),
        "hnb_ehcp_post16",
        (1000, 30000),
    ),
    Place.EARLY_YEARS: (
        ("place_early_years", "topup_maintained_early_years", "topup_independent_early_years"),
        "ehcp_early_years",
        (500, 20000),
    ),
}


def _finance(rows: pl.DataFrame, all_rows: pl.DataFrame, year: int) -> dict[str, object]:
    """Unit costs by placement (s251 budget 2021-22 / plans), income and the DSG balance.

    Spend the model attributes to plans uses each council's own s251 lines where they give a
    plausible cost per plan, else the national one. Income is the high needs block before
    recoupment, the same basis as the s251 budget (which includes academy places).
    Resourced provision costs its place funding on top of the mainstream top-up.
    """
    cost = np.zeros((len(rows), N_PLACE))
    for place, (lines, count, (low, high)) in UNIT_COST_LINES.items():
        cost[:, place] = _per_plan_cost(rows, all_rows, lines, count, low, high)
    cost[:, Place.RESOURCED] += cost[:, Place.MAINSTREAM]
    this_year = _fill_per_plan(rows, all_rows, "hnb_2022_23_gbp")
    last_year = _nullable(rows, "hnb_2021_22_gbp")  # covers January to March
    hnb = {year - 1: np.where(np.isfinite(last_year), last_year, this_year), year: this_year}
    next_year = _nullable(rows, "hnb_2023_24_gbp")
    if np.isfinite(next_year).any():
        hnb[year + 1] = np.where(np.isfinite(next_year), next_year, this_year)
    return {
        "unit_cost_gbp": cost,
        "hnb_gbp": hnb,
        "dsg_share_of_england": _dsg(rows, all_rows) / _dsg(all_rows, all_rows).sum(),
        **_balances(rows),
    }


@dataclass
class EnglandCosts:
    """Every English council's starting costs, plans and spend: what a national tariff is
    built from, whichever councils are simulated."""

    unit_cost_gbp: np.ndarray  # (councils, N_PLACE) as :attr:`Profiles.unit_cost_gbp`
    plans: np.ndarray  # (councils, N_PLACE) January plans by placement
    spend_gbp: np.ndarray  # (councils,) high needs spend in the financial year before


def _england_costs(all_rows: pl.DataFrame, year: int) -> EnglandCosts:
    finance = _finance(all_rows, all_rows, year)
    places = all_rows.select([f"ehcp_{p}" for p in areas.PLACEMENTS]).fill_null(0).to_numpy()
    plans = np.zeros((len(all_rows), N_PLACE))
    plans[:, DATA_PLACE] = places
    return EnglandCosts(
        unit_cost_gbp=finance["unit_cost_gbp"],
        plans=plans,
        spend_gbp=spend_last_year(finance["hnb_gbp"], finance["dsg_change_last_year_gbp"]),
    )


def spend_last_year(hnb_gbp: dict[int, np.ndarray], dsg_change_gbp: np.ndarray) -> np.ndarray:
    """High needs spend in the financial year before the start: the high needs block less
    the year's change in the cumulative DSG balance (a deficit growing by £1m means £1m more
    spent than received)."""
    return hnb_gbp[min(hnb_gbp)] - dsg_change_gbp


def _dsg(rows: pl.DataFrame, all_rows: pl.DataFrame) -> np.ndarray:
    """Dedicated Schools Grant 2021-22 (where not published, England's per plan held)."""
    return _fill_per_plan(rows, all_rows, "dsg_total_2021_22_gbp")


def _balances(rows: pl.DataFrame) -> dict[str, np.ndarray]:
    """Cumulative DSG balance in January (March's, less a quarter of that year's change).

    Where the March balance is not published it is taken as zero; where the March before is
    not, the change is taken as zero.
    """
    march = np.nan_to_num(_nullable(rows, "dsg_cumulative_balance_2022_gbp"))
    before = _nullable(rows, "dsg_cumulative_balance_prev_gbp")
    change = np.where(np.isfinite(before), march - before, 0.0)
    return {"dsg_balance_start_gbp": march - 0.25 * change, "dsg_change_last_year_gbp": change}


def net_migration(prof: Profiles, largest: float) -> np.ndarray:
    """Yearly net migration by council and age from the ONS cohort change mid-2019 to mid-2020,
    within ``largest`` either way."""
    before, after = prof.population_2019[:, :-1], prof.population_2020[:, 1:]
    rate = np.divide(after, before, out=np.ones_like(after), where=before > 0) - 1.0
    return np.clip(np.concatenate([rate, rate[:, -1:]], axis=1), -largest, largest)
