"""The need effect on results, estimated from how each status's results moved as plans grew.

Within each SEN status, children with higher needs reach the standards less often
(``behaviour.attainment.need_log_odds``; ``need_points`` for Attainment 8). As plans grow, the
children who gain one have lower needs than those who hold one, and SEN support loses its
highest needs, so each status's mean need falls and, if need matters, its results rise against
those of pupils without SEN. This is the drift the model carries forward, so its size is
estimated from data: between two comparable years up to 2019, councils whose plans grew more
should see their statuses' results rise more against their pupils without SEN.

For each council, exam and status the published change in the status's results less the change
in its pupils' without SEN (log-odds of a share, or points) is set against the change in the
gap in mean need implied by the council's growth in plans. The needs are those of the model's
own starting cohort in England (January 2019): plans hold the highest needs, SEN support the
next and the rest none (an assumption: the model's plans follow need, not strictly), the share
with SEN stays as it starts, and the share with plans moves with the council's plans at the
exam's age (the SEN2 caseload by age band; the population of each age is taken as steady over
three years). A least-squares slope through the changes, each exam and status centred on its own
mean so that national shifts (new tests, grading) do not count, estimates the effect.

``python -m sendsim.need_effect`` prints the table of ``docs/outcomes.md`` ("The need effect").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.special import logit

from sendsim.calibration import config
from sendsim.data import areas
from sendsim.model.codes import SEN_GROUPS, Sen
from sendsim.model.mechanisms import attainment
from sendsim.model.model import SendModel

START = 2019  # the cohort's needs: the first January with a calibration fit
FRACTION = 0.1  # of England's children, enough for the needs' distribution at each age
#: Each exam's comparable years up to 2019 (Key Stage 2 tests and Attainment 8's grading were
#: reformed in 2016 and 2017) and the SEN2 age band of its cohort.
YEARS = {
    "ks2_rwm_expected_share": ((2016, 2019), "ehcp_age_5_10"),
    "attainment8": ((2017, 2019), "ehcp_age_11_15"),
    "level2_em_at_19_share": ((2016, 2019), "ehcp_age_16_19"),
}
STATUSES = ("sen_support", "ehcp")
EDGE = 0.5  # percent: a published 0% or 100% is read as this far inside
Z95 = 1.96


@dataclass(frozen=True)
class Estimate:
    """A need effect and its uncertainty (per unit of need level)."""

    kind: str  # "log-odds" or "points"
    effect: float
    standard_error: float
    councils: int

    @property
    def interval(self) -> tuple[float, float]:
        half = Z95 * self.standard_error
        return self.effect - half, self.effect + half


def cohort_needs(model: SendModel, age: int) -> tuple[np.ndarray, float, float]:
    """England's cohort at ``age``: needs from highest, and the shares with plans and SEN."""
    ch = model.children
    idx = attainment.cohort(model, age)
    need = np.sort(np.maximum(ch.severity[idx], 0.0))[::-1]
    plans = float(np.mean(ch.sen[idx] == Sen.EHCP))
    sen = float(np.mean(ch.sen[idx] >= Sen.SUPPORT))
    return need, plans, sen


def mean_needs(need: np.ndarray, plans: np.ndarray, sen: float) -> np.ndarray:
    """(councils, 3): mean need without SEN, with SEN support and with plans, when the highest
    ``plans`` share hold plans and the next ``sen - plans`` SEN support."""
    cumulative = np.concatenate([[0.0], np.cumsum(need)])
    n = len(need)

    def mean(low: np.ndarray, high: np.ndarray) -> np.ndarray:
        a = np.round(low * n).astype(int)
        b = np.maximum(np.round(high * n).astype(int), a + 1)
        return (cumulative[b] - cumulative[a]) / (b - a)

    plans = np.clip(plans, 1.0 / n, sen - 1.0 / n)
    everyone, with_sen = np.ones_like(plans), np.full_like(plans, sen)
    return np.stack([mean(with_sen, everyone), mean(plans, with_sen), mean(0 * plans, plans)], 1)


def changes(model: SendModel, exam: attainment.Exam) -> pl.DataFrame:
    """Per council and status: the change in mean need and in results between the exam's
    years, each less that of pupils without SEN where the exam reports them (rows with a
    published value in both years)."""
    (first, last), band = YEARS[exam.name]
    need, plans, sen = cohort_needs(model, exam.age)
    history = areas.load_history().filter(pl.col("year").is_in([first, last]))
    wide = history.pivot(on="measure", index=["la_code", "year"], values="value")
    growth = (
        wide.filter(pl.col("year") == first)
        .select("la_code", pl.col(band).alias("plans_first"))
        .join(wide.filter(pl.col("year") == last).select("la_code", band), on="la_code")
        .with_columns((pl.col("plans_first") / pl.col(band)).alias("ratio"))
        .filter(pl.col("ratio").is_finite() & (pl.col("ratio") > 0))
    )
    now = np.full(growth.height, plans)
    needs = mean_needs(need, now, sen) - mean_needs(need, now * growth["ratio"].to_numpy(), sen)
    reference = "no_sen" in exam.groups
    if reference:
        needs -= needs[:, :1]
    parts = []
    for status in STATUSES:
        results = [exam.data.format(g) for g in ("no_sen", status) if reference or g != "no_sen"]
        seen = wide.select("la_code", "year", *results).drop_nulls()
        both = seen.group_by("la_code").len().filter(pl.col("len") == 2)["la_code"]
        frame = seen.filter(pl.col("la_code").is_in(both.implode())).sort("la_code", "year")
        latent = [_latent(exam, frame[m].to_numpy()) for m in results]
        gap = latent[-1] - (latent[0] if reference else 0.0)
        part = pl.DataFrame(
            {"la_code": frame["la_code"].to_list()[::2], "result_change": gap[1::2] - gap[::2]}
        ).join(
            pl.DataFrame(
                {"la_code": growth["la_code"], "need_change": needs[:, SEN_GROUPS.index(status)]}
            ),
            on="la_code",
        )
        parts.append(part.with_columns(pl.lit(f"{exam.name}:{status}").alias("series")))
    return pl.concat(parts)


def _latent(exam: attainment.Exam, values: np.ndarray) -> np.ndarray:
    """Published percent as log-odds, or points as they are."""
    return logit(np.clip(values, EDGE, 100 - EDGE) / 100) if exam.share else values


def estimate(frame: pl.DataFrame, kind: str) -> Estimate:
    """Least-squares slope of results' change on need's change, each series centred."""
    centred = frame.with_columns(
        (pl.col(c) - pl.col(c).mean().over("series")) for c in ("result_change", "need_change")
    )
    x, y = centred["need_change"].to_numpy(), centred["result_change"].to_numpy()
    slope = float(x @ y / (x @ x))
    dof = len(x) - 1 - frame["series"].n_unique()
    residual = y - slope * x
    se = float(np.sqrt(residual @ residual / dof / (x @ x)))
    return Estimate(kind, slope, se, frame["la_code"].n_unique())


def estimates() -> dict[str, Estimate]:
    """The effect on shares (Key Stage 2, Level 2 at 19) and on Attainment 8."""
    model = SendModel(config("england", START, FRACTION, seed=1))
    frames = {exam.name: changes(model, exam) for exam in attainment.EXAMS}
    shares = [frames[e.name] for e in attainment.EXAMS if e.share]
    return {
        "need_log_odds": estimate(pl.concat(shares), "log-odds"),
        "need_points": estimate(frames[attainment.KS4], "points"),
    }


def markdown(found: dict[str, Estimate]) -> str:
    lines = [
        "| parameter | estimate | 95% interval | councils |",
        "|---|---|---|---|",
    ]
    for name, e in found.items():
        low, high = e.interval
        lines.append(
            f"| `behaviour.attainment.{name}` | {e.effect:.1f} {e.kind} per need level "
            f"(± {e.standard_error:.1f}) | {low:.1f} to {high:.1f} | {e.councils} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(estimates()))
