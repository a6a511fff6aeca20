"""Plain-English caveats and key messages, written from the numbers of the report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from sendsim.config.nested import lookup
from sendsim.dates import SEPTEMBER, add_months
from sendsim.headline import BY_METRIC, Point, per_run
from sendsim.report import series as S
from sendsim.report.collect import ReportData
from sendsim.report.tables import horizons
from sendsim.report.units import Kind, fmt, span
from sendsim.results import ENGLAND_CODE

INFLATION_KEY = "finance.cost_inflation_per_year"


@dataclass(frozen=True)
class Stat:
    """Median and 10th-90th percentile range of a quantity across replicates."""

    median: float
    low: float
    high: float
    runs: int

    def text(self, kind: Kind, negate: bool = False) -> str:
        """``£Xm (range £Ym-£Zm)``; ``negate`` reports a deficit as a positive amount."""
        sign = -1 if negate else 1
        value = fmt(sign * self.median, kind)
        if self.runs < 2:
            return value
        low, high = sorted((sign * self.low, sign * self.high))
        return f"{value} (range {span(low, high, kind)})"

    def overlaps(self, other: Stat) -> bool:
        return self.low <= other.high and other.low <= self.high


def stat(frame: pl.DataFrame, scenario: str) -> Stat | None:
    """Spread across replicates of ``scenario`` in a ``scenario, seed, value`` frame."""
    rows = S.bands(frame).filter(pl.col("scenario") == scenario)
    if rows.is_empty():
        return None
    r = rows.row(0, named=True)
    return Stat(r["p50"], r["p10"], r["p90"], r["runs"])


def caveats(data: ReportData) -> list[str]:
    """The 2-4 things a reader must know before reading any number."""
    meta = data.runs[0].meta
    vintage = meta.get("data_vintage", "published data to January 2022")
    counts = sorted({len(data.scenario_runs(s)) for s in data.scenarios})
    if counts == [1]:
        spread = (
            "Each scenario is a single run (one random seed), so no range is shown and chance "
            "variation cannot be told apart from the effect of a policy. Nor do the results "
            "cover uncertainty in the model's assumptions, the data or future policy."
        )
    else:
        spread = (
            f"Ranges show how results vary across {_count_words(counts)} replicates of each "
            "scenario with different random seeds. They do not cover uncertainty in the "
            "model's assumptions, the data or future policy, so the real range is wider."
        )
    if data.indices:
        spread += " The sensitivity analysis shows which assumptions matter most."
    fractions = {r.config.get("population", {}).get("sample_fraction", 1.0) for r in data.runs}
    if max(fractions) < 1:
        spread += (
            f" The runs simulate 1 in {round(1 / max(fractions)):,} children and scale up, "
            "which adds noise to small numbers."
        )
    money = "Money is in cash terms (not adjusted for inflation)"
    inflation = lookup(data.runs[0].config, INFLATION_KEY)
    if isinstance(inflation, int | float):
        money += f"; unit costs are assumed to rise {inflation * 100:.1f}% a year"
    return [
        f"The model starts from, and is calibrated to, published data to January 2022 "
        f"({vintage}). Everything after that is a projection of what would follow if its "
        "assumptions held, not a forecast.",
        spread,
        money + ".",
        "The model covers the high needs block of the Dedicated Schools Grant. It leaves out "
        "home-to-school transport, social care, capital for new places, health spending "
        "beyond ICB contributions to placements, and any policy change not listed under "
        "Assumptions.",
    ]


def key_messages(data: ReportData) -> list[str]:
    """3-6 plain-English messages with the report's headline numbers."""
    base = data.baseline
    who = "Under the baseline" if base == "baseline" else f"Under the {base} scenario"
    hs = horizons(data)
    end = hs[-1]
    messages = [
        _deficit(data, who, hs),
        _plans(data, who, end),
        _spend_gap(data, who),
        _timeliness(data, who, end),
        _results_at_school(data, who, end),
    ]
    if len(data.scenarios) > 1:
        messages.append(_biggest_difference(data, end))
    return [m for m in messages if m]


def _value(data: ReportData, metric: str, horizon: Point, scenario: str) -> Stat | None:
    return stat(per_run(data.series, BY_METRIC[metric], horizon), scenario)


def _deficit(data: ReportData, who: str, hs: list[Point]) -> str:
    base, end = data.baseline, hs[-1]
    at_end = _value(data, "dsg_cumulative_balance_gbp", end, base)
    override = next((p for p in hs if p.key == "override"), None)
    if override and override.reached:
        at_override = _value(data, "dsg_cumulative_balance_gbp", override, base)
        when = f"when the statutory override ends in {override.last:%B %Y}"
        return (
            f"{who}, {_balance_phrase(at_override)} {when}, "
            f"and {_balance_amount(at_end)} by {end.stock_date:%B %Y}.{_reserves(data, end)}"
        )
    note = ""
    if override:
        note = f" (the runs end before the statutory override ends in {override.last:%B %Y})"
    return f"{who}, {_balance_phrase(at_end)} by {end.stock_date:%B %Y}{note}."


def _reserves(data: ReportData, end: Point) -> str:
    """How often the exposed deficit outruns usable reserves by ``end`` (a council then risks
    a section 114 notice): councils in England, runs for one council."""
    over = S.at_date(data.series, "councils_deficit_over_reserves", end.stock_date)
    over = over.filter(pl.col("scenario") == data.baseline)
    if over.is_empty():
        return ""
    date = f"{end.stock_date:%B %Y}"
    if data.area_code == ENGLAND_CODE:
        councils = stat(over, data.baseline)
        return (
            f" By {date}, {councils.text('count')} councils' exposed deficits exceed their "
            "usable reserves, which puts them at risk of a section 114 notice."
        )
    runs, hit = over.height, int((over["value"] > 0).sum())
    return (
        f" Its exposed deficit exceeds its usable reserves by {date} in {hit} of {runs} "
        f"run{'s' if runs > 1 else ''} (a risk of a section 114 notice)."
    )


def _balance_phrase(s: Stat) -> str:
    if s.median < 0:
        return f"the cumulative DSG deficit reaches {s.text('money', negate=True)}"
    return f"the cumulative DSG balance is a surplus of {s.text('money')}"


def _balance_amount(s: Stat) -> str:
    if s.median < 0:
        return f"a deficit of {s.text('money', negate=True)}"
    return f"a surplus of {s.text('money')}"


def _plans(data: ReportData, who: str, end: Point) -> str:
    base = data.baseline
    start = data.series["date"].min()
    dates = (start, end.stock_date)
    plans = [stat(S.at_date(data.series, "ehcp_caseload", d), base) for d in dates]
    rate = [stat(S.at_date(data.series, "ehcp_per_10k_0_25", d), base) for d in dates]
    change = (plans[1].median / plans[0].median - 1) * 100 if plans[0].median else 0.0
    direction = "rise" if change >= 0 else "fall"
    return (
        f"{who}, EHC plans {direction} from {fmt(plans[0].median, 'count')} in "
        f"{start:%B %Y} to {plans[1].text('count')} by {end.stock_date:%B %Y}, "
        f"{abs(change):.0f}% {'more' if change >= 0 else 'fewer'}: from "
        f"{fmt(rate[0].median, 'per10k')} to {fmt(rate[1].median, 'per10k')} plans per "
        "10,000 children and young people aged 0-25."
    )


def _spend_gap(data: ReportData, who: str) -> str:
    base = data.baseline
    series = data.series.filter(pl.col("scenario") == base)
    years = S.full_financial_years(series)
    if not years:
        return ""
    fy = years[-1]
    spend_by_year = S.by_financial_year(series, "hn_spend_gbp")
    spend = spend_by_year.filter(pl.col("fy") == fy)
    income = S.by_financial_year(series, "hn_income_gbp").filter(pl.col("fy") == fy)
    gap = spend.join(income, on=[*S.RUN, "fy"], suffix="_income").select(
        *S.RUN, (pl.col("value") - pl.col("value_income")).alias("value")
    )
    s, i, g = stat(spend, base), stat(income, base), stat(gap, base)
    label = S.fy_label(fy)
    if g.median > 0:
        verdict = f"spend exceeds income by {g.text('money')} a year"
    else:
        verdict = f"income exceeds spend by {fmt(-g.median, 'money')} a year"
    growth = ""
    if len(years) > 1:
        first = stat(spend_by_year.filter(pl.col("fy") == years[0]), base)
        rate = ((s.median / first.median) ** (1 / (fy - years[0])) - 1) * 100
        growth = f" Spend grows {rate:.1f}% a year from {S.fy_label(years[0])}."
    return (
        f"{who}, high-needs spend in {label} is {fmt(s.median, 'money')} against income of "
        f"{fmt(i.median, 'money')}: {verdict}.{growth}"
    )


def _timeliness(data: ReportData, who: str, end: Point) -> str:
    base = data.baseline
    ind = BY_METRIC["issued_within_20_weeks"]
    start = data.series["date"].min()
    first_year = Point("first year", start, start, add_months(start, 11))
    now = stat(per_run(data.series, ind, end), base)
    then = stat(per_run(data.series, ind, first_year), base)
    if now is None or then is None:
        return ""
    return (
        f"{who}, {now.text('share')} of new EHC plans are issued within the statutory 20 "
        f"weeks in {end.when('ratio')}, against {fmt(then.median, 'share')} in "
        f"{first_year.when('ratio')}."
    )


def _results_at_school(data: ReportData, who: str, end: Point) -> str:
    """Pupils with plans reaching the expected standard at Key Stage 2 in the last September
    (against the first), and their Attainment 8."""
    base = data.baseline
    start = data.series["date"].min()
    september = dt.date(start.year if start.month <= SEPTEMBER else start.year + 1, SEPTEMBER, 1)
    first = Point("first September", september, september, september)
    ks2, a8 = BY_METRIC["ks2_rwm_expected_share_ehcp"], BY_METRIC["attainment8_ehcp"]
    now, then = (stat(per_run(data.series, ks2, p), base) for p in (end, first))
    points = stat(per_run(data.series, a8, end), base)
    if now is None or points is None:
        return ""
    against = ""
    if then is not None and first.september < end.september:
        against = f", against {fmt(then.median, 'share')} in {first.when('yearly')}"
    return (
        f"{who}, {now.text('share')} of pupils with EHC plans reach the expected standard in "
        f"reading, writing and maths at Key Stage 2 in {end.when('yearly')}{against}; at Key "
        f"Stage 4 they average {points.text('points')} Attainment 8 points."
    )


def _biggest_difference(data: ReportData, end: Point) -> str:
    """The scenario whose DSG balance at the end differs most from the baseline's."""
    frame = per_run(data.series, BY_METRIC["dsg_cumulative_balance_gbp"], end)
    base = stat(frame, data.baseline)
    others = {s: stat(frame, s) for s in data.scenarios[1:]}
    name, other = max(others.items(), key=lambda kv: abs(kv[1].median - base.median))
    diff = other.median - base.median
    reference = "the baseline" if data.baseline == "baseline" else data.baseline
    config = data.scenario_runs(name)[0].config
    description = str(config.get("scenario", {}).get("description") or "").rstrip(".")
    about = f" ({description})" if description else ""
    if base.median < 0 and other.median < 0:
        change = f"cumulative DSG deficit is {fmt(abs(diff), 'money')} " + (
            "smaller" if diff > 0 else "larger"
        )
    else:
        change = f"cumulative DSG balance is {fmt(abs(diff), 'money')} " + (
            "better" if diff > 0 else "worse"
        )
    if base.runs < 2 or other.runs < 2:
        noise = "These are single runs, so chance variation cannot be told apart."
    elif base.overlaps(other):
        noise = (
            "The ranges across replicates overlap, so the difference is not clearly larger "
            "than chance variation."
        )
    else:
        noise = "The ranges across replicates do not overlap."
    plans = stat(S.at_date(data.series, "ehcp_caseload", end.stock_date), name)
    base_plans = stat(S.at_date(data.series, "ehcp_caseload", end.stock_date), data.baseline)
    return (
        f"Of the scenarios, {name}{about} differs most from {reference}: by "
        f"{end.stock_date:%B %Y} its {change} ({fmt(other.median, 'money')} against "
        f"{fmt(base.median, 'money')}), with "
        f"{fmt(plans.median, 'count')} EHC plans against {fmt(base_plans.median, 'count')}. "
        f"{noise}"
    )


def _count_words(counts: list[int]) -> str:
    if len(counts) == 1:
        return str(counts[0])
    return f"{counts[0]} to {counts[-1]}"
