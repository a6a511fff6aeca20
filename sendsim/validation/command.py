"""``sendsim validate``: run the forecast and the long run, score them, write the results.

Writes to ``out``: ``validation.parquet`` (scores by measure, level, horizon and method),
``forecasts.parquet`` (every forecast beside the published value and the anchors),
``targets.csv`` and the page's other tables as CSV, the charts as PNG, and
``validation.html``; with ``docs=true`` also ``docs/validation.md`` and its charts.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import polars as pl

from sendsim.io import spreadsheet_csv, write_bytes, write_parquet, write_text
from sendsim.report.build import Chart
from sendsim.report.tables import Table
from sendsim.validation import charts, forecast, intervals, longrun, measures, page, scores
from sendsim.validation.measures import MEASURE_BY_NAME, NATIONAL
from sendsim.validation.page import Part
from sendsim.validation.settings import DOCS, Validate

TITLE = "sendsim validation"
ENGLAND_PANELS = (
    "ehcp_total",
    "requests",
    "new_plans",
    "ceased",
    "within_20_weeks_share",
    "tribunal_appeals",
)
COUNCIL_PANELS = ("ehcp_total", "requests", "new_plans", "ceased")
SCORED_CHARTS = ("ehcp_total", "requests", "new_plans", "ceased")
SHOWN_COUNCILS = 4


@dataclass
class Outcome:
    """What a validation found, and how long it took (seconds)."""

    table: pl.DataFrame
    scores: pl.DataFrame
    targets: pl.DataFrame
    parts: list[Part]
    seconds: float
    record: pl.DataFrame  # this forecast's errors in half-widths of its draws' interval


def run(spec: Validate) -> Outcome:
    """Forecast, score and run the long run; the page's parts."""
    began = time.monotonic()
    past = intervals.load()  # a bad record stops the command before minutes of draws
    draws = forecast.compared(spec, forecast.forecast(spec))
    record = intervals.errors(draws, spec.train_end)
    widening = intervals.widening(past, spec.train_end)
    table = intervals.widen(draws, widening)
    scored = scores.score(table)
    targets = scores.targets(scored)
    parts = [in_sample(spec, table, scored, targets), widened(widening)]
    if spec.long_run_years:
        parts.append(long_run(spec))
    return Outcome(table, scored, targets, parts, time.monotonic() - began, record)


def in_sample(
    spec: Validate, table: pl.DataFrame, scored: pl.DataFrame, targets: pl.DataFrame
) -> Part:
    """Scores, targets and forecast charts of the forecast from January ``train_end``."""
    history = measures.published(spec.train_end - 4, spec.train_end + spec.horizon)
    tables = [page.targets_table(targets), page.council_table(scored)]
    found = []
    if spec.national:
        tables.append(page.england_table(table))
        panels = [(MEASURE_BY_NAME[m].label, m, NATIONAL) for m in ENGLAND_PANELS]
        found.append(
            _chart(
                "england",
                "England: forecast and published",
                "Councils summed.",
                charts.forecast_panels(table, history, panels),
                tables[-1],
            )
        )
    names = _council_names(shown_councils(table))
    panels = [
        (f"{name}: {MEASURE_BY_NAME[m].label}", m, code)
        for code, name in names.items()
        for m in COUNCIL_PANELS[:2]
    ]
    found += [
        _chart(
            "councils",
            "Councils: forecast and published",
            "The largest council, the upper-quartile, median and smallest by caseload.",
            charts.forecast_panels(table, history, panels),
            tables[1],
        ),
        _chart(
            "coverage",
            "Councils inside the 80% interval by horizon",
            "The green band is 75-85%, the range the interval should hold. Black lines: the "
            "draws' own interval, before it was widened by past forecasts' errors.",
            charts.coverage_chart(scored, SCORED_CHARTS),
            tables[0],
        ),
        _chart(
            "errors",
            "Median absolute % error across councils by horizon",
            "sendsim (thick) against the naive anchors.",
            charts.error_chart(scored, SCORED_CHARTS),
            tables[1],
        ),
    ]
    intro = (
        f"{spec.draws} runs from January {spec.train_end} at a sample of "
        f"{spec.sample_fraction:g}, each with its own seed and draw of the calibrated factors, "
        f"scored against the published figures of {spec.train_end + 1}-"
        f"{spec.train_end + spec.horizon}."
    )
    return Part(f"Forecast from January {spec.train_end}", intro, tables, found)


def widened(widening: pl.DataFrame) -> Part:
    """How far each side of councils' intervals was widened, and from what record."""
    labels = {m: MEASURE_BY_NAME[m].label for m in widening["measure"].unique()}
    frame = widening.with_columns(pl.col("measure").replace_strict(labels, default=None))
    table = page.frame_table(
        frame,
        "widening",
        "Widening of councils' 80% intervals",
        {
            "measure": ("measure", "year"),
            "horizon": ("years ahead", "year"),
            "below": ("below the median", "ratio"),
            "above": ("above the median", "ratio"),
            "councils": ("councils' errors", "count"),
            "origins": ("from the forecasts of January", "year"),
        },
        "Each side's half-width is multiplied by the 90th percentile over councils of the "
        "published values' distance from the median, in half-widths of the draws' interval "
        "on that side, in the other forecasts (at least 1). A horizon not listed takes the "
        "nearest one listed.",
    )
    intro = (
        "The draws carry stochastic, parameter and structural uncertainty but not the "
        "model's own error, so each council's interval is widened by how far past forecasts "
        "from other Januaries missed (sendsim/validation/intervals.py)."
    )
    return Part("Intervals widened by past forecasts' errors", intro, [table], [])


def shown_councils(table: pl.DataFrame) -> list[str]:
    """The councils charted: largest, upper quartile, median and smallest caseload."""
    first = table.filter((pl.col("measure") == "ehcp_total") & (pl.col("la_code") != NATIONAL))
    first = first.filter(pl.col("year") == first["year"].min()).sort("p50", descending=True)
    n = first.height
    picks = sorted({0, n // 4, n // 2, n - 1})[:SHOWN_COUNCILS]
    return [first["la_code"][i] for i in picks]


def _council_names(codes: list[str]) -> dict[str, str]:
    from sendsim.data.areas import load_councils

    names = dict(load_councils().select("la_code", "la_name").iter_rows())
    return {code: names.get(code, code) for code in codes}


def long_run(spec: Validate) -> Part:
    """The baseline of England from January 2022: its diagnostics."""
    counts, model = longrun.run(spec.long_run_years, spec.long_run_fraction, spec.seed)
    last = longrun.START + spec.long_run_years
    prevalence, per_10k = longrun.prevalence(counts), longrun.plans_per_10k(counts)
    shares, money, growth = longrun.shares(counts), longrun.finance(model), longrun.growth(model)
    bands = {c: (c, "rate") for c in per_10k.columns if c != "year"}
    tables = [
        page.frame_table(
            per_10k,
            "per_10k",
            "Plans per 10,000 children and young people by age",
            {"year": ("January", "year")} | bands,
        ),
        page.frame_table(
            shares,
            "shares",
            "Plans and the shares of under-5s and over-16s",
            {
                "year": ("January", "year"),
                "plans": ("plans", "count"),
                "under_5_share": ("under 5", "share"),
                "post_16_share": ("16 and over", "share"),
            },
        ),
        page.frame_table(
            growth,
            "growth",
            "England's caseload growth, split",
            {
                "year": ("year", "year"),
                "plans_january": ("plans in January", "count"),
                "requests": ("requests", "count"),
                "conversion": ("new plans per request (same year)", "share"),
                "new_plans": ("new plans", "count"),
                "ceased": ("ceased", "count"),
                "outflow_rate": ("ceased per plan", "share"),
                "plan_years": ("years a plan lasts at that rate", "ratio"),
                "other_rate": ("moves and the rest, per plan", "share"),
                "growth": ("growth", "share"),
            },
            "Growth = new plans per plan - plans ceased per plan + the rest; new "
            "plans = requests x new plans per request (a year's plans may answer earlier "
            "requests).",
        ),
        page.frame_table(
            money,
            "finance",
            "High needs spend against income",
            {
                "fy": ("financial year from April", "year"),
                "spend_gbp": ("spend", "money"),
                "income_gbp": ("income", "money"),
                "spend_to_income": ("spend / income", "ratio"),
                "dsg_balance_gbp": ("DSG balance at its end", "money"),
            },
        ),
        page.frame_table(
            prevalence.filter(pl.col("year").is_in([longrun.START, last])).sort("age", "year"),
            "prevalence",
            "Need, SEN support and plans by single year of age",
            {
                "age": ("age", "year"),
                "year": ("January", "year"),
                "need_share": ("with a need", "share"),
                "sen_support_share": ("SEN support or assessed", "share"),
                "plan_share": ("with a plan", "share"),
            },
        ),
    ]
    found = [
        _chart(
            "prevalence",
            "Need, SEN support and plans by age",
            f"Dotted: January {longrun.START}; solid: January {last}.",
            charts.prevalence_chart(prevalence, [longrun.START, last]),
            tables[4],
        ),
        _chart(
            "per_10k",
            "Plans per 10,000 by age band",
            "",
            charts.lines_chart(
                per_10k,
                "year",
                {c: c for c in bands},
                "Plans per 10,000 by age band (baseline)",
                "per 10,000",
            ),
            tables[0],
        ),
        _chart(
            "shares",
            "Shares of plans: under 5 and 16 and over",
            "",
            charts.lines_chart(
                shares.with_columns(pl.col("under_5_share", "post_16_share") * 100),
                "year",
                {"under_5_share": "under 5", "post_16_share": "16 and over"},
                "Shares of plans (baseline)",
                "% of plans",
            ),
            tables[1],
        ),
        _chart(
            "growth",
            "England's caseload growth, split",
            tables[2].caption,
            charts.growth_chart(growth),
            tables[2],
        ),
    ]
    if money.height:
        found.append(
            _chart(
                "finance",
                "High needs spend against income",
                "",
                charts.lines_chart(
                    money.with_columns(pl.col("spend_gbp", "income_gbp") / 1e9),
                    "fy",
                    {"spend_gbp": "spend", "income_gbp": "income"},
                    "High needs spend and income (baseline)",
                    "£ bn",
                ),
                tables[3],
            )
        )
    intro = (
        f"One baseline run of England from January {longrun.START} to {last} at a sample of "
        f"{spec.long_run_fraction:g}, counted by single year of age each January. A scenario, "
        "not a forecast: it extrapolates each council's fitted request trend."
    )
    return Part(f"Long run: the baseline to {last}", intro, tables, found)


def _chart(slug: str, title: str, caption: str, png: bytes, table: Table) -> Chart:
    return Chart(slug, title, caption, title, png, table)


# -- writing -------------------------------------------------------------------------------
NOTES = (
    "In sample: the forecast reads no data after its first January, but how its uncertainty "
    "is drawn was settled with the forecast from January 2019 in view.",
    "The first year's requests and new plans are calibration targets; the forecast years "
    "are the ones after it.",
    "Structural inputs not in the history (school places, unit costs, migration by age) "
    "come from 2020-2022, so spend is set against 2021-22 s251 budgets the unit costs were "
    "matched to: not an independent test. No spend outturn is held.",
    "Councils' 80% intervals are the draws' widened by the errors of the forecasts from the "
    "other Januaries held in the record (2019-2021; see the widening table): a "
    "cross-validation, as forecasts from later Januaries saw later years. The draws' own "
    "intervals and their coverage are beside them.",
    "2020 and 2021 were disrupted by COVID-19.",
    "Published plans ceased end in 2021 and assessments completed start in 2022.",
    "Errors are % of the published figure; for shares (the 20-week share, children's results "
    "and destinations) percentage points (pp); for Attainment 8, points.",
    "Children's results are those of the September after the exams; Key Stage 2 had no tests "
    "in 2020 and 2021 and Key Stage 4 grades were assessed by teachers, so those years are "
    "not scored.",
)


def write(spec: Validate, outcome: Outcome, out: Path) -> None:
    """Every result file in ``out``, and the docs page when asked."""
    write_parquet(outcome.scores, out / "validation.parquet")
    write_parquet(outcome.table, out / "forecasts.parquet")
    write_text(spreadsheet_csv(outcome.scores), out / "validation.csv")
    for part in outcome.parts:
        for table in part.tables:
            write_text(spreadsheet_csv(table.data), out / f"{table.slug}.csv")
        for chart in part.charts:
            write_bytes(chart.png, out / f"{chart.slug}.png")
    write_text(page.html(TITLE, subtitle(spec), NOTES, outcome.parts), out / "validation.html")
    if spec.record:
        intervals.store(outcome.record)
    if spec.docs:
        write_docs(spec, outcome)


def subtitle(spec: Validate) -> str:
    return f"Forecast from January {spec.train_end}; {spec.area}; {spec.draws} draws"


def write_docs(spec: Validate, outcome: Outcome) -> Path:
    """``docs/validation.md`` and its charts."""
    shown = {k: v for k, v in asdict(spec).items() if k not in ("out", "docs", "record")}
    settings = " ".join(f"{k}={v}" for k, v in shown.items())
    preface = (
        "How well sendsim forecasts what was later published, against the naive forecasts a "
        "council could make, and what its baseline does over ten years. Generated by "
        f"`sendsim validate {settings} docs=true` ({outcome.seconds / 60:.0f} minutes on 2 "
        "cores); do not edit by hand. The same page, with every chart's numbers, is "
        "`validation.html` in the results folder."
    )
    for part in outcome.parts:
        for chart in part.charts:
            write_bytes(chart.png, DOCS / f"validation-{chart.slug}.png")
    text = page.markdown(TITLE, preface, NOTES, outcome.parts)
    return write_text(text, DOCS / "validation.md")
