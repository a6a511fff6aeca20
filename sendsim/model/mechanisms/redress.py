"""Redress: disputes, mediation and the SEND Tribunal.

A disputed decision goes to mediation or straight to appeal (:func:`cases.dispute`, called
where the decision is made). Each dispute has a merit: whether the tribunal would find for the
family. At mediation the council concedes most cases it would lose, and the family gets its
remedy at once; a family with a strong case not conceded appeals, and some with weak cases
appeal anyway. The tribunal decides months later, on the merit: an assessment, a plan, or a
more specialist placement, often an independent school it names (:func:`cases.remedy`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sendsim.config.params import param
from sendsim.model.mechanism import ChildField, Mechanism
from sendsim.model.operations import cases
from sendsim.model.recording import count, ratio

if TYPE_CHECKING:
    from sendsim.model.model import SendModel


@dataclass
class RedressParams:
    """How families dispute decisions, and what the tribunal decides."""

    dispute_refusal: float = param(
        0.12,
        0.0,
        0.5,
        unit="probability",
        label="Chance a refusal to assess is disputed",
        source="[moj-tribunal-2022]: ~11,000 appeals a year; assumption for the split",
    )
    dispute_not_issued: float = param(
        0.25,
        0.0,
        0.6,
        unit="probability",
        label="Chance a decision not to issue a plan is disputed",
        source="Assumption",
    )
    dispute_plan: float = param(
        0.1,
        0.0,
        0.4,
        unit="probability",
        label="Chance a new plan's contents or placement is disputed",
        source="Assumption",
    )
    late_dispute_multiplier: float = param(
        1.5,
        1.0,
        4.0,
        unit="multiplier",
        label="How much more often a decision reached after 20 weeks is disputed",
        source="Assumption: late plans and refusals erode families' confidence in them",
    )
    mediation_share: float = param(
        0.35,
        0.0,
        1.0,
        unit="share",
        label="Share of disputes that go to mediation",
        source="[dfe-ehcp]: 5,097 mediations in 2021 (NewEHCMediation in "
        "sendsim/data/raw/dfe-ehcp/sen2_mi_2014_2021.csv)",
    )
    mediation_to_tribunal: float = param(
        0.26,
        0.0,
        1.0,
        unit="share",
        label="Share of mediations followed by a tribunal appeal",
        source="[dfe-ehcp]: about a quarter of mediations went on to tribunal "
        "(sendsim/data/raw/dfe-ehcp/sen2_mi_2014_2021.csv)",
    )
    weak_case_appeal_share: float = param(
        0.5,
        0.0,
        1.0,
        unit="share",
        label="Share of families whose case the tribunal would not uphold who appeal after "
        "mediation anyway",
        source="Assumption. With it, the share of mediations followed by an appeal and the "
        "family win rate fix how many cases councils concede at mediation: 75% of those they "
        "would lose",
    )
    family_win_share: float = param(
        0.96,
        0.5,
        1.0,
        unit="share",
        label="Share of tribunal appeals decided at least partly for the family",
        source="[moj-tribunal-2022]: ~96% (2021/22)",
    )
    months_to_hearing: int = param(
        8, 1, 24, unit="months", label="Months from appeal to decision", source="Assumption"
    )
    named_independent_share: float = param(
        0.1,
        0.0,
        1.0,
        unit="share",
        label="Share of successful placement appeals that name an independent school",
        source="Estimated in sample (docs/backtest.md): at 0.3 tribunal placements take nearly "
        "all the independent market's growth and new plans placed there fall to half the "
        "1,600-1,800 a year SEN2 records for 2019-2021 [dfe-ehcp]",
    )


FIELDS = {
    "appeal": ChildField(np.int8, cases.Appeal.NONE, "pending appeal (cases.Appeal)"),
    "appeal_months": ChildField(np.int8, 0, "months until the tribunal decides"),
    "appeal_merit": ChildField(np.bool_, False, "the tribunal would find for the family"),
}

METRICS = (
    count("mediations", "Mediation cases", "flow"),
    count("tribunal_appeals", "SEND Tribunal appeals registered", "flow"),
    count(
        "appealable_decisions", "Decisions families can appeal (refusals, plans, no plan)", "flow"
    ),
    count("tribunal_decisions", "SEND Tribunal appeals decided", "flow"),
    count(
        "tribunal_named_independent",
        "Independent school placements the SEND Tribunal named",
        "flow",
    ),
    ratio(
        "tribunal_appeal_rate",
        "share",
        "Appeals registered per appealable decision",
        "tribunal_appeals",
        "appealable_decisions",
        timing="flow",
    ),
)


def step(model: SendModel) -> None:
    """Tribunal decisions fall due, each on its merit."""
    ch = model.children
    pending = model.needy[ch.appeal[model.needy] > 0]
    ch.appeal_months[pending] -= 1
    due = pending[ch.appeal_months[pending] <= 0]
    model.flows.add("tribunal_decisions", ch.la[due])
    won = due[ch.appeal_merit[due]]
    cases.remedy(model, won, ch.appeal[won].copy())
    ch.appeal[due] = cases.Appeal.NONE


MECHANISM = Mechanism(
    name="redress", step=step, params=RedressParams, fields=FIELDS, metrics=METRICS
)
