"""What validation compares: the published measures, and how each is read from a model.

Stocks are read in January (caseload, and caseload by the published age bands, counted from
the children's arrays), flows over calendar years from the model's monthly records, and high
needs spend over financial years (April to March). The published figures come from the
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
from sendsim.model.operations.cases import PLACED_NEW_PLANS
from sendsim.model.ops import count_by

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

NATIONAL = areas.ENGLAND_CODE
Period = Literal["january", "calendar", "financial"]
Kind = Literal["count", "share", "money"]


@dataclass(frozen=True)
class Measure:
    """A published measure: its name in the history, words, period and kind.

    ``source`` is the model flow it is read from (flows), ``denominator`` the flow a share is
    divided by.
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
)
MEASURE_BY_NAME = {m.name: m for m in MEASURES}


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
    known = history.filter(pl.col("measure").is_in(names) & pl.col("value").is_not_null())
    s251 = (
        history.filter(pl.col("measure").str.starts_with("s251_"))
        .group_by("la_code", "year")
        .agg(pl.col("value").sum())
        .with_columns(measure=pl.lit(SPEND))
    )
    columns = ["measure", "la_code", pl.col("year").cast(pl.Int64), "value"]
    values = pl.concat([known.select(columns), s251.select(columns)])
    national = pl.col("la_code") == NATIONAL
    summed = (
        values.filter(~national)
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
