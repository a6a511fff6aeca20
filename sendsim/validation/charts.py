"""The validation's charts as PNG bytes, drawn in the board report's style.

Forecasts against the published values with 80% bands, the share of councils inside the
bands and the errors against the naive anchors by horizon, and the long run's diagnostics.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import polars as pl
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sendsim.report.charts import STYLE, WIDTH_IN, colour, png
from sendsim.validation.intervals import COVERAGE_RANGE
from sendsim.validation.measures import MEASURE_BY_NAME

METHOD_LABELS = {
    "sendsim": "sendsim",
    "persistence": "persistence",
    "linear": "linear trend",
    "growth": "constant growth",
    "national_growth": "national growth",
    "hnb_growth": "allocation grown",
}
SCALE = {"count": 1.0, "share": 100.0, "money": 1e-6}
THOUSANDS = FuncFormatter(lambda value, _: f"{value:,.0f}")


def _grid(panels: int, height: float = 2.4) -> tuple[Figure, list[Axes]]:
    rows = (panels + 1) // 2
    fig = Figure(figsize=(WIDTH_IN, height * rows + 0.6), layout="constrained")
    axes = list(fig.subplots(rows, 2, squeeze=False).ravel())
    for ax in axes[panels:]:
        ax.set_visible(False)
    return fig, axes[:panels]


def forecast_panels(
    table: pl.DataFrame, history: pl.DataFrame, panels: Sequence[tuple[str, str, str]]
) -> bytes:
    """Published values, and sendsim's median with its 80% band, one panel per
    (title, measure, area code); ``history`` holds ``measure, la_code, year, value``."""
    with mpl.rc_context(STYLE):
        fig, axes = _grid(len(panels))
        for ax, (title, measure, code) in zip(axes, panels, strict=True):
            scale = SCALE[MEASURE_BY_NAME[measure].kind]
            ours = table.filter((pl.col("measure") == measure) & (pl.col("la_code") == code))
            seen = history.filter((pl.col("measure") == measure) & (pl.col("la_code") == code))
            seen = seen.sort("year")
            years = ours["year"].to_list()
            ax.fill_between(
                years, ours["p10"] * scale, ours["p90"] * scale, color=colour(0), alpha=0.25
            )
            ax.plot(years, ours["p50"] * scale, color=colour(0), label="sendsim (80% band)")
            ax.plot(
                seen["year"],
                seen["value"] * scale,
                "o-",
                color="black",
                ms=3,
                lw=1,
                label="published",
            )
            ax.set_title(title, fontsize=9)
            ax.set_ylim(bottom=0)
            ax.xaxis.get_major_locator().set_params(integer=True)
            ax.yaxis.set_major_formatter(THOUSANDS)
        axes[0].legend(loc="lower right")
        return png(fig)


def coverage_chart(scores: pl.DataFrame, measures: Sequence[str]) -> bytes:
    """The share of councils whose published value lies in the 80% interval, by horizon
    (bars), and in the draws' own interval before it was widened (black lines)."""
    rows = scores.filter(
        (pl.col("method") == "sendsim")
        & (pl.col("level") == "council")
        & pl.col("measure").is_in(list(measures))
    )
    horizons = sorted(set(rows["horizon"].to_list()))
    width = 0.8 / len(measures)
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=(WIDTH_IN, 3.4), layout="constrained")
        ax = fig.add_subplot()
        ax.axhspan(*(100 * c for c in COVERAGE_RANGE), color="#009E73", alpha=0.15)
        ax.axhline(80, color="#009E73", lw=1, ls="--", label="80%: the interval's aim")
        for i, measure in enumerate(measures):
            ours = rows.filter(pl.col("measure") == measure).sort("horizon")
            xs = [h + (i - (len(measures) - 1) / 2) * width for h in ours["horizon"]]
            label = MEASURE_BY_NAME[measure].label
            ax.bar(xs, ours["coverage_80"] * 100, width, color=colour(i), label=label)
            own = "the draws' own interval" if i == 0 else None
            ax.hlines(ours["coverage_80_draws"] * 100, *_edges(xs, width), "black", label=own)
        ax.set_xticks(horizons)
        ax.set(xlabel="years ahead", ylabel="% of councils inside", ylim=(0, 100))
        ax.set_title("Councils whose published value lies in sendsim's 80% interval")
        fig.legend(loc="outside lower center", ncols=3)
        return png(fig)


def _edges(xs: list[float], width: float) -> tuple[list[float], list[float]]:
    """The left and right edges of bars centred on ``xs``."""
    return [x - width / 2 for x in xs], [x + width / 2 for x in xs]


def error_chart(scores: pl.DataFrame, measures: Sequence[str]) -> bytes:
    """Median absolute % error across councils by horizon: sendsim against each anchor."""
    with mpl.rc_context(STYLE):
        fig, axes = _grid(len(measures))
        for ax, measure in zip(axes, measures, strict=True):
            rows = scores.filter((pl.col("measure") == measure) & (pl.col("level") == "council"))
            for i, (method, label) in enumerate(METHOD_LABELS.items()):
                line = rows.filter(pl.col("method") == method).sort("horizon")
                if line.height:
                    ours = method == "sendsim"
                    ax.plot(
                        line["horizon"],
                        line["mdape"],
                        "o-",
                        color=colour(i),
                        ms=3,
                        lw=2.4 if ours else 1.1,
                        label=label,
                    )
            ax.set_title(MEASURE_BY_NAME[measure].label, fontsize=9)
            ax.set_ylim(bottom=0)
            ax.xaxis.get_major_locator().set_params(integer=True)
        axes[0].set_ylabel("median abs. % error")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=3)
        return png(fig)


def lines_chart(
    frame: pl.DataFrame, x: str, columns: dict[str, str], title: str, ylabel: str
) -> bytes:
    """One line per column of ``frame`` (column: label) against ``x``."""
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=(WIDTH_IN, 3.4), layout="constrained")
        ax = fig.add_subplot()
        for i, (column, label) in enumerate(columns.items()):
            ax.plot(frame[x], frame[column], "o-", ms=3, color=colour(i), label=label)
        ax.set(title=title, ylabel=ylabel)
        ax.set_ylim(bottom=min(0.0, frame.select(list(columns)).min().min_horizontal()[0]))
        ax.legend()
        return png(fig)


def prevalence_chart(prevalence: pl.DataFrame, years: Sequence[int]) -> bytes:
    """Shares of each age with a need, on SEN support and with a plan, in ``years``."""
    kinds = {
        "need_share": "with a need",
        "sen_support_share": "SEN support",
        "plan_share": "EHC plan",
    }
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=(WIDTH_IN, 3.6), layout="constrained")
        ax = fig.add_subplot()
        for i, (column, label) in enumerate(kinds.items()):
            for j, year in enumerate(years):
                rows = prevalence.filter(pl.col("year") == year)
                style = "-" if j == len(years) - 1 else ":"
                ax.plot(
                    rows["age"],
                    rows[column] * 100,
                    style,
                    color=colour(i),
                    label=f"{label}, {year}",
                )
        ax.set(xlabel="age (academic year)", ylabel="% of children of that age")
        ax.set_title("Need, SEN support and plans by age (baseline)")
        ax.legend(ncols=len(years))
        return png(fig)


def growth_chart(growth: pl.DataFrame) -> bytes:
    """Each year's caseload growth as inflow (new plans per plan), outflow and the rest."""
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=(WIDTH_IN, 3.6), layout="constrained")
        ax = fig.add_subplot()
        years = growth["year"].to_list()
        ax.bar(years, growth["inflow_rate"] * 100, color=colour(0), label="new plans per plan")
        ax.bar(years, -growth["outflow_rate"] * 100, color=colour(1), label="plans ceased per plan")
        ax.bar(
            years,
            growth["other_rate"] * 100,
            bottom=growth["inflow_rate"] * 100,
            color=colour(5),
            label="moves and the rest",
        )
        ax.plot(years, growth["growth"] * 100, "o-", color="black", ms=3, label="growth")
        ax.axhline(0, color="#555555", lw=0.8)
        ax.set(ylabel="% of January's plans")
        ax.set_title("England's caseload growth by calendar year (baseline)")
        ax.legend(ncols=2)
        return png(fig)
