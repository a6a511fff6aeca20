"""The mechanisms of the model, in the one order they act each month.

Each is a module ending in a :class:`sendsim.model.mechanism.Mechanism`; adding one is a new
module here and its name in :data:`ORDER`. Mechanisms never import each other: what several
need lives in :mod:`sendsim.model.operations` (shared operations on children) or
:mod:`sendsim.model.institutions` (the decisions of councils, ICBs and schools).
"""

from __future__ import annotations

from importlib import import_module

from sendsim.model.mechanism import Mechanism

#: The monthly order, after the stock census at the first of the month.
ORDER = (
    "calendar",  # September ageing and phase transfers, new places; April budgets
    "variation",  # January: councils' rates move around their fitted level (forecast draws)
    "demography",  # births, moves out and in
    "needs",  # emergence, escalation while unmet, improvement, resolution
    "identification",  # by health visitors, schools and school nurses
    "support",  # the need level each setting meets
    "requests",  # requests for assessment, and the council's decision to assess
    "workforce",  # educational psychologists and case officers: assessments they can do
    "assessment",  # casework against capacity; plans issued or not
    "placement",  # moves to more specialist settings, AP, NEET
    "reviews",  # annual reviews, plans ceasing
    "redress",  # tribunal decisions and their remedies
    "health",  # NHS therapy referrals, waits and courses
    "finance",  # spend, income and the DSG balance (reads, never changes, children)
    "outcomes",  # progress, wellbeing and families' trust
    "attainment",  # results at Key Stages 2 and 4 and at 19, destinations (each September)
)

MECHANISMS: tuple[Mechanism, ...] = tuple(
    import_module(f"{__name__}.{name}").MECHANISM for name in ORDER
)
