"""Month arithmetic: runs step by calendar month; config gives months as ``YYYY-MM``."""

from __future__ import annotations

import datetime as dt

MONTHS_PER_YEAR = 12
JANUARY = 1  # calendar years, and runs, start in January
APRIL = 4  # financial years start in April
SEPTEMBER = 9  # academic years start in September


def year_month(text: str) -> tuple[int, int]:
    """``"2028-03"`` as ``(2028, 3)``."""
    year, month = text.split("-")
    return int(year), int(month)


def month_start(text: str) -> dt.date:
    """``"2028-03"`` as 1 March 2028."""
    return dt.date(*year_month(text), 1)


def shift_month(year: int, month: int, months: int) -> tuple[int, int]:
    """The (year, month) ``months`` after (or before, if negative) ``year``-``month``."""
    total = year * MONTHS_PER_YEAR + month - 1 + months
    return total // MONTHS_PER_YEAR, total % MONTHS_PER_YEAR + 1


def add_months(date: dt.date, months: int) -> dt.date:
    """The first of the month ``months`` after ``date``'s month."""
    return dt.date(*shift_month(date.year, date.month, months), 1)


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from ``start``'s month to ``end``'s month."""
    return (end.year - start.year) * MONTHS_PER_YEAR + end.month - start.month


def financial_year(year: int, month: int) -> int:
    """The calendar year in which the financial year holding ``year``-``month`` began."""
    return year if month >= APRIL else year - 1
