"""Attainment and destinations: Key Stage 2, Key Stage 4 and Level 2 at 19 by SEN status, and
where young people with SEND go after school.

Each child's chance of reaching the expected standard at Key Stage 2, and their Attainment 8
score, depend on their SEN status, need level, the support they met over the last year (the
progress index of :mod:`.outcomes`: need met, unmet, or a more specialist setting than it
calls for) and whether they wait for NHS therapy. Each council's level for each SEN status is
set at the run's first exams (August) so that the cohorts that sat them, as they then were,
match the council's recent published results (:attr:`Profiles.outcomes`): a published result
counts the plans made during the exam year, which a cohort read in January does not hold (set
then, the first results of pupils with plans came out about half a point low, and every later
year with them). The levels come from a rehearsal of the run's first months under today's
policy, so every scenario of a seed shares them. From then on the results move as support,
need and who holds plans move, and each September by a draw of the council's published
year-to-year spread. Level 2 in English and maths by 19 follows alike, by SEN status at the
end of Key Stage 4, as published (not the status at 18, which needs noticed after school
change). Destinations (16-17 year olds with SEN in education or training; young people with
plans in education, employment or training throughout October-March after Key Stage 4, the
published sustained destination) are read from where the model's young people are.

Every measure is recorded once a year, at the 1st of September after the exams (the cohort
still at the age it sat them): Key Stage 2 2023 is at 2023-09-01. Other months hold no value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import expit, logit, ndtri

from sendsim.config.params import param
from sendsim.dates import SEPTEMBER
from sendsim.model.codes import EDUCATION_PLACES, SEN_GROUPS, Place, Sen, member, sen_group
from sendsim.model.mechanism import ChildField, Mechanism
from sendsim.model.operations import placing
from sendsim.model.ops import count_by, solve_rising
from sendsim.model.recording import Census, Metric, internal, ratio

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

GROUP_LABELS = {"no_sen": "no SEN", "sen_support": "SEN support", "ehcp": "EHC plans"}
SOLVE_STEPS = 50  # bisection halvings of a council's level
KS4 = "attainment8"  # the exam whose result stays with a young person (FIELDS)
KS4_DONE = 8  # August: Year 11 is over, results are known
TARGET_SHARE_LIMIT = 0.001  # a council's published 0% or 100% sought as 0.1% or 99.9%
UNIFORM_TAIL = 1e-12  # uniform draws kept this far inside (0, 1) for a normal quantile


@dataclass(frozen=True)
class Exam:
    """A measure of attainment: who sits it, how it is scored, and the data it matches.

    Attributes:
        name: metric stem; the metric of each group is ``<name>_<group>``.
        label: what it measures, in words.
        age: academic age of the cohort that sits it.
        groups: the SEN statuses it is reported for.
        share: a share reaching a standard (logistic in the child's chance), else points.
        data: history measure of a group, ``data.format(group)`` (percent or points).
        bounds: the range a council's level is sought in (log-odds or points).
        after_school: reported by SEN status at the end of Key Stage 4 (as Level 2 at 19 is),
            not the status when sat.
    """

    name: str
    label: str
    age: int
    groups: tuple[str, ...]
    share: bool
    data: str
    bounds: tuple[float, float]
    after_school: bool = False

    def metric(self, group: str) -> str:
        return f"{self.name}_{group}"

    def target(self, model: SendModel, group: str) -> np.ndarray:
        """Each council's recent published figure (shares as 0-1)."""
        value = model.profiles.outcomes[self.data.format(group)]
        return value / 100.0 if self.share else value

    def spread(self, model: SendModel, group: str) -> np.ndarray:
        """Each council's year-to-year standard deviation of its published figure."""
        value = model.profiles.outcomes_spread[self.data.format(group)]
        return value / 100.0 if self.share else value

    @property
    def top(self) -> float:
        return 1.0 if self.share else MAX_ATTAINMENT8


EXAMS = (
    Exam(
        "ks2_rwm_expected_share",
        "Key Stage 2 reading, writing and maths at the expected standard",
        10,
        SEN_GROUPS,
        True,
        "ks2_rwm_expected_{}_pct",
        (-15.0, 15.0),
    ),
    Exam(
        "attainment8",
        "Attainment 8",
        15,
        SEN_GROUPS,
        False,
        "attainment8_{}_score",
        (-100.0, 200.0),
    ),
    Exam(
        "level2_em_at_19_share",
        "Level 2 in English and maths by 19",
        18,
        SEN_GROUPS[1:],
        True,
        "level2_em_age19_{}_pct",
        (-15.0, 15.0),
        after_school=True,
    ),
)
MAX_ATTAINMENT8 = 90.0  # ten slots, English and maths double-weighted, grade 9 at most
#: School, college, AP, and work with training (apprenticeships, supported internships).
IN_EDUCATION_OR_TRAINING = (
    *(p for p in EDUCATION_PLACES if p != Place.EARLY_YEARS),
    Place.EMPLOYMENT,
)
AFTER_KS4 = 16  # academic age in the year after Key Stage 4


@dataclass
class AttainmentParams:
    """How a child's circumstances move their results (the same in every council)."""

    need_log_odds: float = param(
        0.0,
        -1.0,
        0.0,
        unit="log-odds per need level",
        label="Change in the log-odds of reaching a standard per unit of need level, within "
        "an SEN status",
        source="Estimated from 2016-2019 [dfe-lait] (docs/outcomes.md): +1.6 ± 0.7; results "
        "of SEN support and plans did not rise where plans grew faster, as a need effect "
        "would make them. Held at 0, the nearest value that lowers results; the range reaches "
        "beyond the estimate's 99.9% interval (-0.6)",
    )
    need_points: float = param(
        -3.0,
        -32.0,
        0.0,
        unit="Attainment 8 points per need level",
        label="Change in Attainment 8 per unit of need level, within an SEN status",
        source="Estimated as need_log_odds from 2017-2019 (docs/outcomes.md): -3.3 ± 14.6; "
        "the range is its 95% interval below 0",
    )
    progress_log_odds: float = param(
        2.0,
        0.0,
        5.0,
        unit="log-odds per unit of progress",
        label="Change in the log-odds of reaching a standard per unit of the progress index "
        "(a year of unmet need lowers it by 0.6)",
        source="Assumption: a year of need unmet costs about a year's progress; "
        "[eef-early-years-2023] gives effective support as months of progress",
    )
    progress_points: float = param(
        12.0,
        0.0,
        30.0,
        unit="Attainment 8 points per unit of progress",
        label="Change in Attainment 8 per unit of the progress index",
        source="Assumption, as progress_log_odds: a year of need unmet costs about 7 points, "
        "a third of Attainment 8's spread between pupils",
    )
    therapy_wait_log_odds: float = param(
        -0.2,
        -1.0,
        0.0,
        unit="log-odds",
        label="Change in the log-odds of reaching a standard while waiting for NHS therapy",
        source="Assumption",
    )
    therapy_wait_points: float = param(
        -1.0,
        -5.0,
        0.0,
        unit="Attainment 8 points",
        label="Change in Attainment 8 while waiting for NHS therapy",
        source="Assumption",
    )


FIELDS = {
    "sen_at_ks4": ChildField(np.int8, -1, "SEN status at the end of Key Stage 4 (Sen); -1 not yet"),
    "ks4_gap": ChildField(
        np.float32, 0.0, "Attainment 8 points above England's mean for the SEN status at 16"
    ),
    "neet_after_ks4": ChildField(
        np.bool_, False, "NEET in a month of October-March after Key Stage 4 (not sustained)"
    ),
}


def exam_metrics(exam: Exam, group: str) -> tuple[Metric, ...]:
    """An exam's result for a group, and the sum and pupils it is the ratio of."""
    name = exam.metric(group)
    label = f"{exam.label}, {GROUP_LABELS[group]} (each September)"
    unit = "share" if exam.share else "points"
    return (
        internal(f"{name}_sum"),
        internal(f"{name}_pupils"),
        ratio(name, unit, label, f"{name}_sum", f"{name}_pupils", yearly=True),
    )


METRICS = (
    *(m for exam in EXAMS for group in exam.groups for m in exam_metrics(exam, group)),
    internal("sen_16_17_in_education"),
    internal("sen_16_17"),
    ratio(
        "sen_16_17_in_education_share",
        "share",
        "Share of 16-17 year olds with SEN in education or training (each September)",
        "sen_16_17_in_education",
        "sen_16_17",
        yearly=True,
    ),
    internal("ehcp_after_ks4_eet"),
    internal("ehcp_after_ks4"),
    ratio(
        "ks4_destination_eet_share_ehcp",
        "share",
        "Share of young people with plans in education, employment or training throughout "
        "October-March after Key Stage 4 (each September)",
        "ehcp_after_ks4_eet",
        "ehcp_after_ks4",
        yearly=True,
    ),
)


def build(model: SendModel) -> None:
    """Each council's level for each exam and SEN status as the run starts (:func:`set_levels`;
    :func:`settle` sets them again at the first exams), and the spread of its results from
    year to year. Young people already past Key Stage 4 keep the status they start with as
    their status at its end: needs noticed after school do not move them into the groups
    their Level 2 at 19 and destinations are reported by."""
    c, ch = model.councils, model.children
    past = np.flatnonzero(ch.active & (ch.age >= AFTER_KS4))
    ch.sen_at_ks4[past] = placing.status_at_ks4(model, past)
    set_levels(model)
    for exam in EXAMS:
        c.attainment_spread[exam.name] = np.stack(
            [exam.spread(model, g) if g in exam.groups else np.zeros(c.n) for g in SEN_GROUPS],
            axis=1,
        )
    young = cohort(model, AFTER_KS4)  # a run starts in January, its window half seen
    ch.neet_after_ks4[young] = ch.place[young] == Place.NEET


def settle(model: SendModel) -> None:
    """Each council's level for each exam and SEN status, set where the run's first exams are
    sat: a rehearsal of the run (today's policy, the same draws) goes on to the end of the
    first August, and the levels are set on the cohorts as they then are."""
    rehearsal = model.rehearsal()
    while rehearsal.month != KS4_DONE:
        rehearsal.step()
    rehearsal.step()  # August: the exams are over, their cohorts not yet a year older
    set_levels(rehearsal)
    model.councils.attainment_level = rehearsal.councils.attainment_level


def set_levels(model: SendModel) -> None:
    """Each council's level for each exam and SEN status: where the cohort of the exam's age,
    as it now is, matches the council's recent published results."""
    c = model.councils
    for exam in EXAMS:
        pupils = cohort(model, exam.age)
        targets = np.stack(
            [
                exam.target(model, g) if g in exam.groups else np.full(c.n, np.nan)
                for g in SEN_GROUPS
            ],
            axis=1,
        )
        cell = cells(model, pupils, exam)
        level = solve_level(exam, cell, circumstances(model, exam, pupils), targets)
        c.attainment_level[exam.name] = level


def solve_level(exam: Exam, cell: np.ndarray, shift: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """(councils, groups) levels at which each group's mean result, its pupils shifted by
    their circumstances, equals its target; a group with no pupils in the starting cohort
    takes the target itself (0 where the exam does not report the group)."""
    target = targets.ravel()
    if exam.share:
        target = np.clip(target, TARGET_SHARE_LIMIT, 1 - TARGET_SHARE_LIMIT)
    pupils = count_by(cell, len(target))

    def mean(level: np.ndarray) -> np.ndarray:
        return count_by(cell, len(target), score(exam, level[cell] + shift)) / np.maximum(pupils, 1)

    low, high = np.full(len(target), exam.bounds[0]), np.full(len(target), exam.bounds[1])
    level = solve_rising(mean, target, low, high, SOLVE_STEPS)
    plain = logit(target) if exam.share else target
    level = np.where(pupils == 0, plain, level)
    return np.nan_to_num(level, nan=0.0).reshape(targets.shape)


def step(model: SendModel) -> None:
    """In August, pupils finishing Year 11 keep their SEN status and their Key Stage 4 result
    relative to England's for that status: their chances after school read them. From October
    to March after, whoever is NEET has no sustained destination."""
    if model.month in placing.SUSTAINED_MONTHS:
        idx = cohort(model, AFTER_KS4)
        model.children.neet_after_ks4[idx] |= model.children.place[idx] == Place.NEET
    if model.month != KS4_DONE:
        return
    ch = model.children
    exam = next(e for e in EXAMS if e.name == KS4)
    idx = cohort(model, exam.age)
    sen = ch.sen[idx]
    ch.sen_at_ks4[idx] = np.where(sen == Sen.EHCP, Sen.EHCP, np.minimum(sen, Sen.SUPPORT))
    ch.neet_after_ks4[idx] = False
    group = sen_group(sen)
    level = model.councils.attainment_level[KS4].ravel()[cells(model, idx, exam)]
    england = np.array([model.profiles.outcomes_england[exam.data.format(g)] for g in SEN_GROUPS])
    ch.ks4_gap[idx] = score(exam, level + circumstances(model, exam, idx)) - england[group]


def cohort_shift(model: SendModel, exam: Exam) -> np.ndarray:
    """This year's shift of each council's published result for each SEN status (``council *
    3 + group``) beyond what its pupils explain (school, teaching and test effects): a draw of
    the council's year-to-year spread, the same in every scenario of a seed."""
    c = model.councils
    cell = c.key.astype(np.int64)[:, None] * len(SEN_GROUPS) + np.arange(len(SEN_GROUPS))
    u = model.streams.uniform(f"cohort.{exam.name}", cell.ravel(), model.year)
    z = ndtri(np.clip(u, UNIFORM_TAIL, 1 - UNIFORM_TAIL))
    return c.attainment_spread[exam.name].ravel() * z


def score(exam: Exam, latent: np.ndarray) -> np.ndarray:
    """A pupil's chance of reaching the standard, or their points."""
    return expit(latent) if exam.share else np.clip(latent, 0.0, MAX_ATTAINMENT8)


def cohort(model: SendModel, age: int) -> np.ndarray:
    """Every child and young person of academic age ``age`` (slots)."""
    ch = model.children
    return np.flatnonzero(ch.active & (ch.age == age))


def cells(model: SendModel, idx: np.ndarray, exam: Exam) -> np.ndarray:
    """Council and SEN status group of children ``idx`` as ``exam`` reports them, as
    ``council * 3 + group``."""
    ch = model.children
    status = placing.status_at_ks4(model, idx) if exam.after_school else ch.sen[idx]
    return ch.la[idx].astype(np.int64) * len(SEN_GROUPS) + sen_group(status)


def circumstances(model: SendModel, exam: Exam, idx: np.ndarray) -> np.ndarray:
    """How far children ``idx``'s need, support and therapy waits move their results from
    their council's level for their status (log-odds or points). Progress is the support met
    over their last year with SEND support: a young person who has left education keeps the
    progress they left with."""
    ch, p = model.children, model.cfg.behaviour.attainment
    need = np.maximum(ch.severity[idx], 0.0)
    progress = ch.progress[idx] - 1.0
    waiting = ch.therapy_wait[idx] >= 0
    if exam.share:
        return (
            p.need_log_odds * need
            + p.progress_log_odds * progress
            + (p.therapy_wait_log_odds * waiting)
        )
    return p.need_points * need + p.progress_points * progress + p.therapy_wait_points * waiting


def count_stocks(model: SendModel, census: Census) -> dict[str, np.ndarray]:
    """In September, each exam's results summed by council and SEN status with the pupils
    who sat it, and the destinations; nothing in other months."""
    n = model.councils.n
    september = model.month == SEPTEMBER
    out = {}
    for exam in EXAMS:
        sums = np.zeros(n * len(SEN_GROUPS))
        pupils = np.zeros(n * len(SEN_GROUPS))
        if september:
            idx = cohort(model, exam.age)
            cell = cells(model, idx, exam)
            level = model.councils.attainment_level[exam.name].ravel()[cell]
            results = score(exam, level + circumstances(model, exam, idx))
            pupils = count_by(cell, n * len(SEN_GROUPS))
            mean = count_by(cell, n * len(SEN_GROUPS), results) / np.maximum(pupils, 1)
            sums = np.clip(mean + cohort_shift(model, exam), 0.0, exam.top) * pupils
        for g, group in enumerate(SEN_GROUPS):
            if group in exam.groups:
                out[f"{exam.metric(group)}_sum"] = sums[g :: len(SEN_GROUPS)]
                out[f"{exam.metric(group)}_pupils"] = pupils[g :: len(SEN_GROUPS)]
    return out | destinations(model, n, september)


def destinations(model: SendModel, n: int, september: bool) -> dict[str, np.ndarray]:
    """Young people aged 16-17 with SEN at the end of Key Stage 4 in education or training;
    those with plans at its end in education, employment or training throughout October-March
    of the year after (the published sustained destination)."""
    names = ("sen_16_17_in_education", "sen_16_17", "ehcp_after_ks4_eet", "ehcp_after_ks4")
    if not september:
        return {name: np.zeros(n) for name in names}
    ch = model.children
    young = np.flatnonzero(ch.active & member(ch.age, placing.PARTICIPATION_AGES))
    status = placing.status_at_ks4(model, young)
    sen = young[status >= Sen.SUPPORT]
    learning = member(ch.place[sen], IN_EDUCATION_OR_TRAINING)
    plans = young[(status == Sen.EHCP) & (ch.age[young] == AFTER_KS4)]
    eet = ~ch.neet_after_ks4[plans]
    return {
        "sen_16_17_in_education": count_by(ch.la[sen], n, learning),
        "sen_16_17": count_by(ch.la[sen], n),
        "ehcp_after_ks4_eet": count_by(ch.la[plans], n, eet),
        "ehcp_after_ks4": count_by(ch.la[plans], n),
    }


MECHANISM = Mechanism(
    name="attainment",
    step=step,
    params=AttainmentParams,
    fields=FIELDS,
    metrics=METRICS,
    build=build,
    count=count_stocks,
    settle=settle,
)
