"""What validation compares: the published measures, and how each is read from a model.

Stocks are read in January (caseload, and caseload by the published age bands, counted from
the children's arrays), flows over calendar years from the model's monthly records, high
needs spend over financial years (April to March), and children's results at school and after
it in the September after the exams (published by the academic year they end; years whose
figures do not compare are left out). The published figures come from the
history table; high needs spend from the councils' s251 budget lines for 2021-22, the only
spend the project holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import polars as pl

from sendsim.data import areas
from sendsim.model.codes import PLACE_LABELS, Sen
from sendsim.model.mechanisms.attainment import EXAMS, GROUP_LABELS
from sendsim.model.metrics import METRIC_BY_NAME
from sendsim.model.operations.cases import PLACED_NEW_PLANS
from sendsim.model.ops import count_by

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

NATIONAL = areas.ENGLAND_CODE
Period = Literal["january", "calendar", "financial", "september"]
Kind = Literal["count", "share", "money", "points"]


@dataclass(frozen=True)
class Measure:
    """A published measure: its name in the history, words, period and kind.

    ``source`` is the model flow it is read from (flows), or the metric (September results),
    ``denominator`` the flow a share is divided by.
    """

    name: str
    label: str
    period: Period
    kind: Kind = "count"
    source: str = ""
    denominator: str = ""


#: Published SEN2 age bands of the caseload (academic age, first and last year of age).
AGE_BANDS = {
    f"ehcp_age_{band}": ages for band, ages in zip(areas.AGE_BANDS, areas.BAND_AGES, strict=True)
}
BAND_LABELS = dict(zip(AGE_BANDS, areas.AGE_BAND_LABELS, strict=True))
#: Placements of the January caseload, published and recorded by the model under one name.
PLACED = {
    "ehcp_mainstream": "mainstream schools",
    "ehcp_resourced": "resourced provision",
    "ehcp_state_special": "state special schools",
    "ehcp_independent": "independent special schools",
}
SPEND = "hn_spend_gbp"
MEASURES = (
    Measure("ehcp_total", "EHC plans (caseload)", "january"),
    *(Measure(n, f"EHC plans aged {BAND_LABELS[n]}", "january") for n in AGE_BANDS),
    *(Measure(n, f"EHC plans in {label}", "january") for n, label in PLACED.items()),
    Measure("requests", "Requests for assessment", "calendar", source="requests"),
    Measure("refusals", "Refusals to assess", "calendar", source="refusals_to_assess"),
    Measure("assessments", "Assessments completed", "calendar", source="assessments"),
    Measure("new_plans", "New EHC plans", "calendar", source="new_plans"),
    *(  # 20-25s: a few hundred new plans a year in England
        Measure(name, f"New plans aged {label}", "calendar", source=name)
        for name, label in zip(areas.NEW_PLANS_BY_BAND[:-1], areas.AGE_BAND_LABELS, strict=False)
    ),
    *(
        Measure(name, f"New plans placed in {PLACE_LABELS[place].lower()}", "calendar", source=name)
        for place, name in PLACED_NEW_PLANS.items()
    ),
    Measure(
        "moves_to_special",
        "Plans moved from mainstream to special schools",
        "calendar",
        source="moves_to_special",
    ),
    Measure("plans_not_issued", "Assessed, no plan", "calendar", source="plans_not_issued"),
    Measure(
        "within_20_weeks_share",
        "New plans issued within 20 weeks",
        "calendar",
        "share",
        source="issued_within_20_weeks",
        denominator="new_plans",
    ),
    Measure("tribunal_appeals", "Tribunal appeals", "calendar", source="tribunal_appeals"),
    Measure("ceased", "Plans ceased", "calendar", source="ceased_plans"),
    Measure(SPEND, "High needs spend", "financial", "money", source=SPEND),
    *(
        Measure(
            exam.data.format(group),
            f"{exam.label}, {GROUP_LABELS[group]}",
            "september",
            "share" if exam.share else "points",
            source=exam.metric(group),
        )
        for exam in EXAMS
        for group in exam.groups
    ),
    Measure(
        "sen_16_17_in_education_pct",
        "16-17 year olds with SEN in education or training",
        "september",
        "share",
        source="sen_16_17_in_education_share",
    ),
    Measure(
        "eet_after_ks4_ehcp_pct",
        "EHC plans: in education, employment or training after Key Stage 4",
        "september",
        "share",
        source="ks4_destination_eet_share_ehcp",
    ),
)
MEASURE_BY_NAME = {m.name: m for m in MEASURES}
#: Results published as percentages, compared as shares (0-1).
PERCENT = tuple(m.name for m in MEASURES if m.period == "september" and m.kind == "share")


# -- read from a model ---------------------------------------------------------------------
def plans_by_band(model: SendModel) -> dict[str, np.ndarray]:
    """Children with plans now, per council, in each published age band (full scale)."""
    ch = model.children
    holders = np.flatnonzero(ch.active & (ch.sen == Sen.EHCP))
    ages, n = ch.age[holders], model.councils.n
    return {
        band: count_by(ch.la[holders[(ages >= low) & (ages <= high)]], n) * model.scale
        for band, (low, high) in AGE_BANDS.items()
    }


def january_stocks(model: SendModel, january: int) -> dict[str, np.ndarray]:
    """The caseload and its placements, per council, in the January ``january`` months after
    the start (full scale)."""
    stocks = model.recorder.stocks
    return {"ehcp_total": stocks["ehcp_caseload"][january] * model.scale} | {
        name: stocks[name][january] * model.scale for name in PLACED
    }


def calendar_flows(model: SendModel, first_month: int) -> dict[str, np.ndarray]:
    """The calendar-year measures, per council, over the 12 months from ``first_month``
    (months after the start; full scale): counts, and the numerators of shares."""
    rows = slice(first_month, first_month + 12)
    flows = model.recorder.flows
    return {
        m.name: flows[m.source][rows].sum(axis=0) * model.scale
        for m in MEASURES
        if m.period == "calendar"
    }


def denominators(model: SendModel, first_month: int) -> dict[str, np.ndarray]:
    """What each share is divided by, per council, over the same 12 months (full scale)."""
    rows = slice(first_month, first_month + 12)
    flows = model.recorder.flows
    return {
        m.name: flows[m.denominator][rows].sum(axis=0) * model.scale
        for m in MEASURES
        if m.denominator
    }


def september_results(model: SendModel, row: int) -> tuple[dict, dict]:
    """Children's results per council recorded in the September ``row`` months after the
    start: the sums of results (numerators) and the pupils they are over."""
    stocks, metrics = model.recorder.stocks, METRIC_BY_NAME
    chosen = [m for m in MEASURES if m.period == "september"]
    sums = {m.name: stocks[metrics[m.source].numerator][row] for m in chosen}
    pupils = {m.name: stocks[metrics[m.source].denominator][row] for m in chosen}
    return sums, pupils


def spend(model: SendModel, first_month: int) -> np.ndarray:
    """High needs spend, per council, over the 12 months from ``first_month`` (GBP)."""
    return model.recorder.flows[SPEND][first_month : first_month + 12].sum(axis=0)


# -- published -----------------------------------------------------------------------------
def published(first: int, last: int) -> pl.DataFrame:
    """Published values (``measure, la_code, year, value``) of every measure, councils and
    England, for years ``first`` .. ``last``; spend from the s251 budget lines. Where England
    has no figure of its own (appeals, spend) it is the sum of the councils that publish one."""
    history = areas.load_history().filter(pl.col("year").is_between(first, last))
    names = [m.name for m in MEASURES if m.name != SPEND]
    comparable = pl.lit(True)
    for measure, years in areas.OUTCOME_YEARS_NOT_COMPARABLE.items():
        comparable &= ~((pl.col("measure") == measure) & pl.col("year").is_in(years))
    known = history.filter(
        pl.col("measure").is_in(names) & pl.col("value").is_not_null() & comparable
    ).with_columns(
        pl.when(pl.col("measure").is_in(PERCENT))
        .then(pl.col("value") / 100)
        .otherwise(pl.col("value"))
        .alias("value")
    )
    s251 = (
        history.filter(pl.col("measure").str.starts_with("s251_"))
        .group_by("la_code", "year")
        .agg(pl.col("value").sum())
        .with_columns(measure=pl.lit(SPEND))
    )
    columns = ["measure", "la_code", pl.col("year").cast(pl.Int64), "value"]
    values = pl.concat([known.select(columns), s251.select(columns)])
    national = pl.col("la_code") == NATIONAL
    results = [m.name for m in MEASURES if m.period == "september"]  # not summed to England
    summed = (
        values.filter(~national & ~pl.col("measure").is_in(results))
        .group_by("measure", "year")
        .agg(pl.col("value").sum(), la_code=pl.lit(NATIONAL))
        .join(values.filter(national), on=["measure", "year"], how="anti")
    )
    return pl.concat([values, summed.select(values.columns)])


def allocations() -> pl.DataFrame:
    """Each council's high needs block allocation (``la_code, year, hnb``) by financial year
    (the year it starts)."""
    history = areas.load_history().filter(pl.col("measure") == "hnb_gbp")
    return history.select("la_code", pl.col("year").cast(pl.Int64), pl.col("value").alias("hnb"))
