"""Long-run diagnostics: one baseline run of England from January 2022, read every January.

The model records plans by three age groups only, so the children's arrays are counted by
single year of age each January here: residents, children with a need (identified or not),
on SEN support (or being assessed) and with plans. From these and the monthly records come
need prevalence by age, plans per 10,000 by published age band, the under-5 and post-16
shares of plans, spend against income by financial year, and each year's caseload growth
split into requests, the share of requests that become plans, and plans ceasing (whose
inverse is how long plans last).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl
from tqdm import tqdm

from sendsim.config.schema import SendsimConfig
from sendsim.model.codes import N_AGES, POST16_START_AGE, Need, Sen
from sendsim.model.ops import count_by
from sendsim.model.profile import DATA_YEAR
from sendsim.validation.forecast import advance
from sendsim.validation.measures import AGE_BANDS, BAND_LABELS

if TYPE_CHECKING:
    from sendsim.model.model import SendModel

START = DATA_YEAR  # January of the last published caseload
UNDER_FIVE = 5


def run(years: int, fraction: float, seed: int) -> tuple[pl.DataFrame, SendModel]:
    """The baseline's counts by single year of age each January (``year, age, population,
    need, sen_support, plans``) and the model, run ``years`` years."""
    cfg = SendsimConfig()
    cfg.area.code = "england"
    cfg.run.start = f"{START}-01"
    cfg.run.years = years
    cfg.run.seed = seed
    cfg.population.sample_fraction = fraction
    from sendsim.model.model import SendModel

    model = SendModel(cfg)
    counts = [by_age(model, START)]
    for year in tqdm(range(START + 1, START + years + 1), desc="long run", unit="year"):
        advance(model, 12)
        counts.append(by_age(model, year))
    model.recorder.record_stocks()
    return pl.concat(counts), model


def by_age(model: SendModel, year: int) -> pl.DataFrame:
    """England's children by single year of age now (full scale)."""
    ch = model.children
    active = np.flatnonzero(ch.active)
    age, sen = ch.age[active].astype(np.int64), ch.sen[active]

    def counted(which: np.ndarray) -> np.ndarray:
        return count_by(age[which], N_AGES) * model.scale

    return pl.DataFrame(
        {
            "year": year,
            "age": np.arange(N_AGES),
            "population": model.residents.sum(axis=0) * model.scale,
            "need": counted(ch.need[active] != Need.NONE),
            "sen_support": counted((sen >= Sen.SUPPORT) & (sen < Sen.EHCP)),
            "plans": counted(sen == Sen.EHCP),
        },
        schema_overrides={"year": pl.Int64, "population": pl.Float64},
    )


def prevalence(counts: pl.DataFrame) -> pl.DataFrame:
    """Shares of children of each age with a need, on SEN support and with a plan."""
    population = pl.col("population")
    return counts.select(
        "year",
        "age",
        (pl.col("need") / population).alias("need_share"),
        (pl.col("sen_support") / population).alias("sen_support_share"),
        (pl.col("plans") / population).alias("plan_share"),
    )


def plans_per_10k(counts: pl.DataFrame) -> pl.DataFrame:
    """Plans per 10,000 children and young people in each published age band, by year."""
    bands = [
        counts.filter(pl.col("age").is_between(low, high))
        .group_by("year")
        .agg(pl.col("plans").sum() / pl.col("population").sum() * 1e4)
        .with_columns(band=pl.lit(BAND_LABELS[name]))
        for name, (low, high) in AGE_BANDS.items()
    ]
    return (
        pl.concat(bands)
        .pivot(on="band", index="year", values="plans")
        .sort("year")
        .select("year", *BAND_LABELS.values())
    )


def shares(counts: pl.DataFrame) -> pl.DataFrame:
    """The shares of plans held by under-5s and by young people aged 16 and over."""
    plans = pl.col("plans")
    return (
        counts.group_by("year")
        .agg(
            plans.sum().alias("plans"),
            (plans.filter(pl.col("age") < UNDER_FIVE).sum() / plans.sum()).alias("under_5_share"),
            (plans.filter(pl.col("age") >= POST16_START_AGE).sum() / plans.sum()).alias(
                "post_16_share"
            ),
        )
        .sort("year")
    )


def finance(model: SendModel) -> pl.DataFrame:
    """England's high needs spend and income in each whole financial year of the run, and the
    cumulative DSG balance at its end."""
    flows, stocks = model.recorder.flows, model.recorder.stocks
    aprils = np.arange(3, model.n_months - 11, 12)  # months after the start

    def total(name: str) -> list[float]:
        return [float(flows[name][a : a + 12].sum()) for a in aprils]

    return pl.DataFrame(
        {
            "fy": START + aprils // 12,
            "spend_gbp": total("hn_spend_gbp"),
            "income_gbp": total("hn_income_gbp"),
            "dsg_balance_gbp": stocks["dsg_cumulative_balance_gbp"][aprils + 12].sum(axis=1),
        },
        schema_overrides={"fy": pl.Int64},
    ).with_columns(spend_to_income=pl.col("spend_gbp") / pl.col("income_gbp"))


def growth(model: SendModel) -> pl.DataFrame:
    """England's caseload growth each calendar year, split into inflow (requests per plan
    times the share of requests that become plans), outflow (plans ceased per plan, whose
    inverse is the mean years a plan lasts at that rate) and the rest (moves, rounding)."""
    flows, scale = model.recorder.flows, model.scale
    caseload = model.recorder.stocks["ehcp_caseload"].sum(axis=1) * scale
    rows = []
    for year in range(model.n_months // 12):
        months = slice(12 * year, 12 * year + 12)
        start, end = caseload[12 * year], caseload[12 * year + 12]
        requests = flows["requests"][months].sum() * scale
        new = flows["new_plans"][months].sum() * scale
        ceased = flows["ceased_plans"][months].sum() * scale
        rows.append(
            {
                "year": START + year,
                "plans_january": start,
                "requests": requests,
                "conversion": new / requests,
                "new_plans": new,
                "ceased": ceased,
                "requests_per_plan": requests / start,
                "inflow_rate": new / start,
                "outflow_rate": ceased / start,
                "plan_years": start / ceased,
                "other_rate": (end - start - new + ceased) / start,
                "growth": end / start - 1,
            }
        )
    return pl.DataFrame(rows, schema_overrides={"year": pl.Int64})
