"""Charts as PNG bytes: fan charts across replicates and sensitivity tornado charts.

Figures are drawn with matplotlib's object API on the Agg canvas (no pyplot, no global
backend), with fixed style settings and no metadata, so the same numbers give the same bytes.
Colours are the Okabe-Ito palette, safe for the common forms of colour blindness.
"""

from __future__ import annotations

import datetime as dt
import io
import textwrap
from collections.abc import Callable, Sequence

import matplotlib as mpl
import matplotlib.dates as mdates
import polars as pl
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from sendsim.report.series import fy_label
from sendsim.report.units import MINUS, UNIT, Kind, display

#: Okabe & Ito (2008), "Color Universal Design": the most distinct first, yellow last (low
#: contrast on white).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#000000", "#E69F00", "#56B4E9", "#F0E442")
DASHES = ("-", "--", ":", "-.")
STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.titlelocation": "left",
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "legend.fontsize": 8.5,
    "lines.linewidth": 1.8,
    "savefig.dpi": 150,
}
WIDTH_IN = 7.5
TITLE_CHARS = 90  # a figure title wraps to fit WIDTH_IN at its font size
BAND_ALPHA = {"p5": 0.12, "p25": 0.28}


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def dash(i: int) -> str:
    return DASHES[(i // len(PALETTE)) % len(DASHES)]


def fan_chart(
    bands: pl.DataFrame,
    scenarios: Sequence[str],
    title: str,
    kind: Kind,
    x: str = "date",
    marker: tuple[dt.date, str] | None = None,
    zero_line: bool = False,
) -> bytes:
    """Median line with 50% and 90% bands across replicates, one colour per scenario.

    Args:
        bands: output of :func:`sendsim.report.series.bands` with ``x`` as its ``by``.
        scenarios: scenarios in legend order.
        title: chart title in words, with units.
        kind: display unit of the values.
        x: ``date`` (monthly) or ``fy`` (financial years).
        marker: a date to mark with a vertical line, and its label.
        zero_line: draw y = 0 (balances).
    """
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=(WIDTH_IN, 3.9), layout="constrained")
        ax = fig.add_subplot()
        _draw_fans(ax, bands, scenarios, kind, x)
        _decorate(ax, kind, x, marker, zero_line)
        ax.set_title(title)
        _legend(fig, scenarios, single=_single(bands))
        return png(fig)


def panel_chart(
    panels: dict[str, pl.DataFrame], scenarios: Sequence[str], title: str, kind: Kind
) -> bytes:
    """Fan charts of several related quantities in a 2-column grid (placement shares)."""
    with mpl.rc_context(STYLE):
        rows = (len(panels) + 1) // 2
        fig = Figure(figsize=(WIDTH_IN, 2.3 * rows + 0.9), layout="constrained")
        axes = fig.subplots(rows, 2, sharex=True, squeeze=False).ravel()
        for i, (ax, (name, bands)) in enumerate(zip(axes, panels.items(), strict=False)):
            _draw_fans(ax, bands, scenarios, kind, "date")
            _decorate(ax, kind, "date", None, False, years_per_tick=2)
            ax.set_title(name, fontsize=9)
            if i < len(panels) - 2:  # only the bottom row names the shared x axis
                ax.set_xlabel("")
        for ax in axes[len(panels) :]:
            ax.set_visible(False)
        fig.suptitle(textwrap.fill(title, TITLE_CHARS), x=0.01, ha="left", fontsize=10)
        _legend(fig, scenarios, single=all(_single(b) for b in panels.values()))
        return png(fig)


def spend_income_chart(
    spend: pl.DataFrame, income: pl.DataFrame, scenarios: Sequence[str], title: str
) -> bytes:
    """Annual high-needs spend (fans, solid) against income (median, dashed) by year."""
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=(WIDTH_IN, 3.9), layout="constrained")
        ax = fig.add_subplot()
        _draw_fans(ax, spend, scenarios, "money", "fy", markers=True)
        for i, s in enumerate(scenarios):
            line = income.filter(pl.col("scenario") == s)
            xs = line["fy"].to_numpy()
            ax.plot(xs, _y(line, "p50", "money"), color=colour(i), ls="--", lw=1.4)
        _decorate(ax, "money", "fy", None, False)
        ax.set_title(title)
        style = [
            Line2D([], [], color="#444444", marker="o", ms=3, label="spend"),
            Line2D([], [], color="#444444", ls="--", label="income"),
        ]
        _legend(fig, scenarios, single=_single(spend), extra=style)
        return png(fig)


def tornado_chart(
    frame: pl.DataFrame,
    method: str,
    labels: dict[str, str],
    title: str,
    top: int = 10,
) -> bytes:
    """The most influential factors of one output, with confidence intervals.

    Args:
        frame: rows of ``indices.parquet`` for one output.
        method: ``sobol`` (bars: total-order ``ST``, inner bars: first-order ``S1``) or
            ``morris`` (bars: ``mu_star``).
        labels: factor key → label to show.
        title: chart title in words.
        top: number of factors shown, largest first.

    The ``dummy`` factor (a parameter that does nothing but pick the seeds) is drawn as a
    dashed line: indices at or below it cannot be told apart from noise. On common seeds
    (``sensitivity.noise_dummy=false``) its index is exactly 0 and it is not drawn.
    """
    main, conf = ("ST", "ST_conf") if method == "sobol" else ("mu_star", "mu_star_conf")
    dummy = frame.filter(pl.col("factor") == "dummy")
    shown = frame.filter(pl.col("factor") != "dummy").sort(main, descending=True).head(top)
    shown = shown.reverse()  # largest at the top of a horizontal bar chart
    names = [
        textwrap.fill(textwrap.shorten(labels.get(f, f), 84, placeholder="..."), 42)
        for f in shown["factor"]
    ]
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=(WIDTH_IN, 1.6 + 0.42 * max(len(names), 3)), layout="constrained")
        ax = fig.add_subplot()
        y = range(len(names))
        name = (
            "total-order index (ST)"
            if method == "sobol"
            else "mu*, mean absolute effect (output units)"
        )
        ax.barh(
            y,
            shown[main],
            xerr=shown[conf],
            color=PALETTE[6],
            height=0.7,
            error_kw={"elinewidth": 1, "ecolor": "#333333", "capsize": 2},
            label=name,
        )
        if method == "sobol":
            ax.barh(
                y,
                shown["S1"],
                xerr=shown["S1_conf"],
                color=PALETTE[0],
                height=0.35,
                error_kw={"elinewidth": 1, "ecolor": "#333333", "capsize": 2},
                label="first-order index (S1)",
            )
        if dummy.height and (dummy[main][0] or dummy[conf][0]):  # exactly 0 on common seeds
            level = float(dummy[main][0])
            ax.axvline(level, color=PALETTE[1], ls="--", lw=1.4, label="noise floor (dummy factor)")
        ax.set_yticks(list(y), names)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(name)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.10g}".replace("-", MINUS)))
        fig.suptitle(textwrap.fill(title, TITLE_CHARS), x=0.01, ha="left", fontsize=10)
        fig.legend(loc="outside lower center", ncol=3)
        return png(fig)


def _draw_fans(
    ax: Axes,
    bands: pl.DataFrame,
    scenarios: Sequence[str],
    kind: Kind,
    x: str,
    markers: bool = False,
) -> None:
    for i, s in enumerate(scenarios):
        part = bands.filter(pl.col("scenario") == s).sort(x)
        if part.is_empty():
            continue
        xs = part[x].to_list()
        for low, alpha in BAND_ALPHA.items():
            high = f"p{100 - int(low[1:])}"
            ax.fill_between(
                xs, _y(part, low, kind), _y(part, high, kind), color=colour(i), alpha=alpha, lw=0
            )
        ax.plot(
            xs,
            _y(part, "p50", kind),
            color=colour(i),
            ls=dash(i),
            label=s,
            marker="o" if markers else None,
            ms=3,
        )


def _decorate(
    ax: Axes,
    kind: Kind,
    x: str,
    marker: tuple[dt.date, str] | None,
    zero_line: bool,
    years_per_tick: int = 1,
) -> None:
    ax.set_ylabel(UNIT[kind])
    ax.yaxis.set_major_formatter(FuncFormatter(_tick_format(kind)))
    if x == "fy":
        ax.set_xlabel("financial year (April to March)")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fy_label(round(v))))
        ax.xaxis.get_major_locator().set_params(integer=True)
    else:
        ax.set_xlabel("date")
        low, high = ax.get_xlim()
        span = (high - low) / 365.25
        ax.xaxis.set_major_locator(mdates.YearLocator(max(years_per_tick, round(span / 12))))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    if zero_line:
        ax.axhline(0, color="#666666", lw=0.8)
    if marker:
        ax.axvline(marker[0], color="#444444", ls=":", lw=1.2)
        ax.annotate(
            marker[1],
            (marker[0], 1),
            xycoords=("data", "axes fraction"),
            xytext=(4, -4),
            textcoords="offset points",
            va="top",
            fontsize=8,
            color="#333333",
        )


def _tick_format(kind: Kind) -> Callable[[float, int], str]:
    def tick(value: float, _position: int) -> str:
        digits = 1 if kind in ("share", "months", "per10k") and abs(value) < 10 else 0
        return f"{value:,.{digits}f}".replace("-", MINUS)

    return tick


def _legend(fig: Figure, scenarios: Sequence[str], single: bool, extra: list | None = None) -> None:
    handles = [
        Line2D([], [], color=colour(i), ls=dash(i), lw=2, label=s) for i, s in enumerate(scenarios)
    ]
    if single:
        handles.append(Patch(color="none", label="single run: no range"))
    else:
        handles += [
            Patch(color="#777777", alpha=0.45, label="middle 50% of replicates"),
            Patch(color="#777777", alpha=0.18, label="middle 90%"),
        ]
    handles += extra or []
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 4))


def _y(bands: pl.DataFrame, column: str, kind: Kind) -> list[float]:
    return display(bands[column].cast(pl.Float64), kind).to_numpy()


def _single(bands: pl.DataFrame) -> bool:
    return bool(bands.is_empty() or bands["runs"].max() < 2)


def png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
