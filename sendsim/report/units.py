"""How numbers read in a board paper: money in £ m, shares as percentages, counts rounded.

Counts are rounded to three significant figures: the model scales a sample of children up
to the population, and more digits would claim a precision it does not have.
"""

from __future__ import annotations

import math
from typing import Literal

Kind = Literal["count", "money", "share", "per10k", "months", "unit_cost", "points"]
MINUS = "\u2212"
DASH = "\u2013"
MISSING = DASH

#: Axis and column units of each kind.
UNIT = {
    "count": "children",
    "money": "£ m",
    "share": "%",
    "per10k": "per 10,000",
    "months": "months",
    "unit_cost": "£ thousand",
    "points": "points",
}
#: Multiplier from model units (GBP, shares) to display units (£ m, %).
SCALE = {"money": 1e-6, "share": 100.0, "unit_cost": 1e-3}


def display(value: float, kind: Kind) -> float:
    """A model value in display units (GBP → £ m, share → %)."""
    return value * SCALE.get(kind, 1.0)


def fmt(value: float | None, kind: Kind) -> str:
    """One value in words-and-figures form: ``£1,234m``, ``47.3%``, ``1,010,000``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    sign = MINUS if value < 0 else ""
    size = abs(value)
    if kind == "money":
        return f"{sign}£{_money_digits(size * 1e-6)}m"
    if kind == "unit_cost":
        return f"{sign}£{size * 1e-3:,.1f}k"
    if kind == "share":
        return f"{sign}{size * 100:.1f}%"
    if kind == "count":
        return f"{sign}{round_sig(size, 3):,.0f}"
    return f"{sign}{size:,.1f}"


def fmt_range(median: float, low: float, high: float, runs: int, kind: Kind, sep: str = " ") -> str:
    """``median (low-high)`` (an en dash), or the median alone for a single run."""
    if runs < 2:
        return fmt(median, kind)
    return f"{fmt(median, kind)}{sep}({span(low, high, kind)})"


def span(low: float, high: float, kind: Kind) -> str:
    """``£1.1m-£1.3m`` (an en dash); ``to`` instead of a dash when a bound is negative."""
    joiner = " to " if min(low, high) < 0 else DASH
    return f"{fmt(low, kind)}{joiner}{fmt(high, kind)}"


def growth(first: float, last: float) -> str:
    """Percentage change, e.g. ``+43.2%``."""
    if not first or math.isnan(first) or math.isnan(last):
        return MISSING
    change = (last / first - 1) * 100
    return f"{'+' if change >= 0 else MINUS}{abs(change):.1f}%"


def round_sig(value: float, digits: int) -> float:
    """``value`` rounded to ``digits`` significant figures (whole numbers stay whole)."""
    if value == 0 or abs(value) < 10**digits:
        return round(value)
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def _money_digits(millions: float) -> str:
    """Three significant figures, at least whole £ m from £100m."""
    if millions >= 100:
        return f"{round_sig(millions, 3):,.0f}"
    if millions >= 1:
        return f"{millions:,.1f}"
    return f"{millions:,.2f}"
