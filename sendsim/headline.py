"""Headline indicators, declared once: study comparisons, the board report's comparison table
and key messages, and the default sensitivity outputs all read these.

An indicator is a metric of the results read at a point of a run:

- a stock (dated the first of the month it describes) is read on the point's date;
- a yearly measure (children's results, recorded each September) is read at the last
  September on or before it;
- a flow is summed over the 12 months up to the point;
- a share of two flows is the ratio of their 12-month sums.

The points come from each run's own dates and configuration: when the statutory override ends
(``policy.funding.statutory_override_end``, March 2028 by default: stocks on 1 April 2028,
flows over the 2027-28 financial year) and the end of the run (its last date, flows over its
last 12 months). Labels name the dates the values come from, e.g. ``EHC plans, January 2027``
for a five-year run from January 2022.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import polars as pl

from sendsim.config.nested import lookup
from sendsim.config.params import declared
from sendsim.config.schema import SendsimConfig
from sendsim.dates import SEPTEMBER, add_months, month_start
from sendsim.model.metrics import METRIC_BY_NAME
from sendsim.report import series as S
from sendsim.report.units import DASH, SCALE, UNIT, Kind, fmt
from sendsim.results import ENGLAND_CODE, SUMMARY

OVERRIDE_END_KEY = "policy.funding.statutory_override_end"
Reading = Literal["stock", "flow", "ratio", "yearly"]
Topic = Literal["children", "money"]
#: Horizon of a default sensitivity output: ``override`` (a stock when the override ends, or
#: at the end of runs that stop before it), or a summary of ``sendsim.sensitivity.outputs``.
SensitivityHorizon = Literal["override", "end", "mean", "sum"]


@dataclass(frozen=True)
class Point:
    """A point of a run the indicators are read at.

    Attributes:
        key: ``override`` (when the statutory override ends) or ``end`` (of the run); other
            names for points a consumer makes itself (e.g. the first year).
        stock_date: stocks are read on this date.
        first: first month of the 12 months flows are summed over.
        last: their last month.
        reached: whether the run reaches ``stock_date``.
    """

    key: str
    stock_date: dt.date
    first: dt.date
    last: dt.date
    reached: bool = True

    def when(self, reading: Reading) -> str:
        """The date a stock is read (``January 2027``), or the months a flow is summed over
        (``2027-28`` for a financial year, ``2026`` for a calendar year)."""
        if reading == "stock":
            return f"{self.stock_date:%B %Y}"
        if reading == "yearly":
            return f"{self.september:%B %Y}"
        return period_label(self.first, self.last)

    @property
    def september(self) -> dt.date:
        """The last September on or before :attr:`stock_date` (yearly measures)."""
        date = self.stock_date
        return dt.date(date.year if date.month >= SEPTEMBER else date.year - 1, SEPTEMBER, 1)


@dataclass(frozen=True)
class Indicator:
    """One headline indicator.

    Attributes:
        label: what it is, in words (the point's dates are added by :meth:`title`).
        metric: the metric read: a stock, or a flow (the numerator with ``denominator``).
        kind: display unit and scaling (:mod:`sendsim.report.units`).
        denominator: the flow ``metric`` is divided by, both summed over the year.
        sensitivity: horizon of the default sensitivity output of ``metric``, if it is one.
        topic: what it tells a board: what an option does for children, or its money.
    """

    label: str
    metric: str
    kind: Kind
    denominator: str | None = None
    sensitivity: SensitivityHorizon | None = None
    topic: Topic = "children"

    @property
    def reading(self) -> Reading:
        if self.denominator:
            return "ratio"
        metric = METRIC_BY_NAME[self.metric]
        return "yearly" if metric.yearly else metric.timing

    @property
    def unit(self) -> str:
        """Display unit (``£ m``, ``%``...)."""
        return UNIT[self.kind]

    @property
    def scale(self) -> float:
        """Multiplier from model units (GBP, shares) to :attr:`unit`."""
        return SCALE.get(self.kind, 1.0)

    def title(self, point: Point) -> str:
        """``EHC plans, January 2027``: the label and the dates its value comes from."""
        return f"{self.label}, {point.when(self.reading)}"


INDICATORS = (
    Indicator("EHC plans", "ehcp_caseload", "count"),
    Indicator("Plans per 10,000 aged 0-25", "ehcp_per_10k_0_25", "per10k", sensitivity="end"),
    Indicator("Plans in mainstream schools", "placement_share_mainstream", "share"),
    Indicator("Plans in state special schools", "placement_share_state_special", "share"),
    Indicator("Plans in independent special schools", "placement_share_independent", "share"),
    Indicator("High-needs spend", "hn_spend_gbp", "money", sensitivity="sum", topic="money"),
    Indicator("High-needs income", "hn_income_gbp", "money", topic="money"),
    Indicator(
        "Cumulative DSG balance (negative: deficit)",
        "dsg_cumulative_balance_gbp",
        "money",
        sensitivity="override",
        topic="money",
    ),
    Indicator("New plans issued within 20 weeks", "issued_within_20_weeks", "share", "new_plans"),
    Indicator(
        "Mean months of unmet need in the past year",
        "mean_months_unmet_need",
        "months",
        sensitivity="mean",
    ),
    Indicator(
        "Young people with SEND aged 16-25 who are NEET",
        "neet_rate_16_25",
        "share",
        sensitivity="end",
    ),
    Indicator(
        "Pupils with plans reaching the expected standard at Key Stage 2",
        "ks2_rwm_expected_share_ehcp",
        "share",
        sensitivity="end",
    ),
    Indicator(
        "Pupils on SEN support reaching the expected standard at Key Stage 2",
        "ks2_rwm_expected_share_sen_support",
        "share",
        sensitivity="end",
    ),
    Indicator("Attainment 8 of pupils with plans", "attainment8_ehcp", "points", sensitivity="end"),
    Indicator(
        "Attainment 8 of pupils on SEN support",
        "attainment8_sen_support",
        "points",
        sensitivity="end",
    ),
    Indicator(
        "Young people with plans qualified to Level 2 in English and maths by 19",
        "level2_em_at_19_share_ehcp",
        "share",
        sensitivity="end",
    ),
    Indicator(
        "16-17 year olds with SEN in education or training",
        "sen_16_17_in_education_share",
        "share",
        sensitivity="end",
    ),
    Indicator(
        "Young people with plans in education, employment or training after Key Stage 4",
        "ks4_destination_eet_share_ehcp",
        "share",
        sensitivity="end",
    ),
)
BY_METRIC = {i.metric: i for i in INDICATORS}


def points(start: dt.date, end: dt.date, override_last: dt.date) -> list[Point]:
    """The end of the statutory override (unless it is at or before ``start``, or is the
    end), then the end of the run.

    Args:
        start: first date of the run (the January census).
        end: last date of the run.
        override_last: last month of the statutory override (first of the month).
    """
    after = add_months(override_last, 1)
    last_year = Point("end", end, add_months(end, -12), add_months(end, -1))
    if after <= start or after == end:
        return [last_year]
    first = add_months(override_last, -11)
    return [Point("override", after, first, override_last, reached=after <= end), last_year]


def per_run(series: pl.DataFrame, indicator: Indicator, point: Point) -> pl.DataFrame:
    """``scenario, seed, value`` of an indicator at a point, one row per run that has it.

    Args:
        series: long ``scenario, seed, date, metric, value`` of one area.
        indicator: what to read.
        point: when.
    """
    if indicator.reading == "stock":
        return S.at_date(series, indicator.metric, point.stock_date)
    if indicator.reading == "yearly":
        return S.at_date(series, indicator.metric, point.september)
    num = S.window(series, indicator.metric, point.first, point.last)
    if indicator.denominator is None:
        return num
    den = S.window(series, indicator.denominator, point.first, point.last)
    return num.join(den, on=list(S.RUN), suffix="_den").select(
        *S.RUN,
        pl.when(pl.col("value_den") > 0).then(pl.col("value") / pl.col("value_den")).alias("value"),
    )


def override_last_month(config: dict[str, Any] | None = None) -> dt.date:
    """Last month of the statutory override in a resolved config, or its declared default
    where the config has none (runs written before the lever existed)."""
    value = lookup(config, OVERRIDE_END_KEY)
    return month_start(value if value else declared_default(OVERRIDE_END_KEY))


def declared_default(key: str) -> Any:
    """The default a config key is declared with (:mod:`sendsim.config.params`)."""
    return declared(SendsimConfig, key).default


def sensitivity_outputs(start: dt.date, end: dt.date, override_last: dt.date) -> tuple[str, ...]:
    """``metric@horizon`` of every indicator with a sensitivity horizon, for a run from
    ``start`` to ``end``: the override's date becomes ``YYYY-MM``, or ``end`` if the run
    stops before it."""
    reached = [p for p in points(start, end, override_last) if p.reached]
    at_override = next((f"{p.stock_date:%Y-%m}" for p in reached if p.key == "override"), "end")
    return tuple(
        f"{i.metric}@{at_override if i.sensitivity == 'override' else i.sensitivity}"
        for i in INDICATORS
        if i.sensitivity
    )


def period_label(first: dt.date, last: dt.date) -> str:
    """Months ``first`` to ``last``: ``2027-28`` (April to March), ``2026`` (a calendar
    year), else the first and last months joined by an en dash (``Feb 2026``, ``Jan 2027``)."""
    if first.month == 4 and last.month == 3 and last.year == first.year + 1:
        return S.fy_label(first.year)
    if first.month == 1 and last.month == 12 and first.year == last.year:
        return str(first.year)
    return f"{first:%b %Y}{DASH}{last:%b %Y}"


#: What ``sendsim run`` prints when it has finished, read from the run's summary.
RUN_SUMMARY = ("ehcp_caseload", "hn_spend_gbp", "dsg_cumulative_balance_gbp")


def run_summary(out_dir: Path) -> str:
    """Where a run's results are, and three headline figures at its end (England's row for an
    England run): plans, high-needs spend over the last 12 months, the DSG balance."""
    summary = pl.read_parquet(out_dir / SUMMARY)
    england = summary.filter(pl.col("la_code") == ENGLAND_CODE)
    row = (england if england.height else summary).row(0, named=True)
    figures = [(BY_METRIC[m], row[m]) for m in RUN_SUMMARY]
    width = max(len(i.label) for i, _ in figures)
    return "\n".join(
        (
            f"sendsim: results in {out_dir}",
            f"  {row['la_name']}, {row['horizon']:%B %Y} (spend: the last 12 months):",
            *(f"    {i.label:<{width}}  {fmt(value, i.kind)}" for i, value in figures),
        )
    )
