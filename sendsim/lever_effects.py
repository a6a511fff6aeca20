"""What each policy lever does over ten years, measured (``sendsim lever-effects``).

Each lever moves from today's value to the far end of its range (string levers to a stated
alternative), in force from the start, and everything else stays as today. Runs share common
random numbers, so a seed's difference from today's run is the lever's effect in that seed;
the table gives the median and range over seeds, for the default council at full population
and for England on a sample. Each run is stored as it finishes, so an interrupted measurement
resumes where it stopped.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
from tqdm import tqdm

from sendsim.config import validate
from sendsim.config.params import iter_params, setting
from sendsim.config.schema import SendsimConfig
from sendsim.config.tables import markdown
from sendsim.io import write_parquet, write_text

DOCS_PAGE = Path("docs/lever-effects.md")
NOT_MEASURED = {"policy.reforms_from"}  # a setting: when the others apply
#: String levers: the alternative measured, and any lever it needs to act at all.
ALTERNATIVES: dict[str, tuple[str, tuple[tuple[str, Any], ...]]] = {
    "policy.funding.statutory_override_end": ("2026-03", ()),
    "policy.funding.deficit_write_off_month": (
        "2024-03",
        (("policy.funding.deficit_write_off_share", 1.0),),
    ),
}


@dataclass(frozen=True)
class LeverEffects:
    """The settings of ``sendsim lever-effects``."""

    years: int = setting(10, 1, 30, unit="years", label="Years simulated from January 2022")
    council_seeds: int = setting(5, 1, 50, unit="seeds", label="Seeds for the default council")
    england_seeds: int = setting(3, 0, 50, unit="seeds", label="Seeds for England (0: none)")
    england_fraction: float = setting(
        0.1, 0.001, 1.0, unit="share", label="Share of England's children simulated"
    )
    jobs: int = setting(2, 1, 256, unit="processes", label="Runs in parallel")
    docs: bool = setting(False, unit="true or false", label="Also write docs/lever-effects.md")
    out: str = setting("results/lever_effects", unit="path", label="Folder of the results")


@dataclass(frozen=True)
class Case:
    """One lever's change: its value and the changes it needs to act (also made in its base)."""

    lever: str
    value: Any
    context: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Area:
    name: str
    dotted: tuple[tuple[str, Any], ...]
    seeds: int


#: (column, what it measures, how its change is shown: relative or difference)
MEASURES = (
    ("plans", "EHC plans, January at the end", "relative"),
    ("independent_share", "share of plans in independent special schools", "points"),
    ("within_20_weeks", "share of new plans within 20 weeks, over the run", "points"),
    ("unmet_months", "mean months of unmet need in the last year, children with SEND", "diff"),
    ("neet_rate", "NEET rate of young people with SEND aged 16-25, at the end", "points"),
    ("spend_gbp", "high needs spend over the run", "relative"),
    ("dsg_balance_gbp", "cumulative DSG balance at the end (negative: deficit)", "gbp"),
)


def cases() -> list[Case]:
    """Every lever moved to the far end of its range from today's value."""
    found = []
    for p in iter_params(SendsimConfig):
        if p.meta.kind != "policy" or p.path in NOT_MEASURED:
            continue
        if p.path in ALTERNATIVES:
            value, context = ALTERNATIVES[p.path]
            found.append(Case(p.path, value, context))
            continue
        low, high = p.meta.low, p.meta.high
        found.append(Case(p.path, high if high - p.default >= p.default - low else low))
    return found


def areas(settings: LeverEffects) -> list[Area]:
    found = [
        Area("default council", (("population.sample_fraction", 1.0),), settings.council_seeds)
    ]
    if settings.england_seeds:
        england = (
            ("area.code", "england"),
            ("population.sample_fraction", settings.england_fraction),
        )
        found.append(Area("England", england, settings.england_seeds))
    return found


def run_one(dotted: tuple[tuple[str, Any], ...]) -> dict[str, float]:
    """The measures of one run."""
    from sendsim.model.model import SendModel

    model = SendModel(validate.from_dotted(dotted))
    model.run(progress=False)
    flows, stocks, scale = model.recorder.flows, model.recorder.stocks, model.scale
    total = lambda name: float(flows[name].sum())  # noqa: E731
    last = lambda name: float(stocks[name][-1].sum())  # noqa: E731
    return {
        "plans": last("ehcp_caseload") * scale,
        "independent_share": last("ehcp_independent") / max(last("ehcp_caseload"), 1.0),
        "within_20_weeks": total("issued_within_20_weeks") / max(total("new_plans"), 1.0),
        "unmet_months": last("unmet_months_sum") / max(last("send_children"), 1.0),
        "neet_rate": last("neet_send_16_25") / max(last("send_16_25"), 1.0),
        "spend_gbp": total("hn_spend_gbp"),
        "dsg_balance_gbp": last("dsg_cumulative_balance_gbp"),
    }


def plan(settings: LeverEffects) -> list[tuple[str, tuple[tuple[str, Any], ...]]]:
    """Every run: (file name, dotted config), the bases (today, and today with each case's
    context) first."""
    runs = {}
    for area in areas(settings):
        for seed in range(1, area.seeds + 1):
            common = (*area.dotted, ("run.years", settings.years), ("run.seed", seed))
            for case in cases():
                base = _name(area, seed, "today", case.context)
                runs[base] = (*common, *case.context)
                changed = _name(area, seed, case.lever, case.context)
                runs[changed] = (*common, *case.context, (case.lever, case.value))
    return sorted(runs.items(), key=lambda item: "today" not in item[0])


def _name(area: Area, seed: int, lever: str, context: tuple) -> str:
    extra = "".join(f"+{k}={v}" for k, v in context)
    return f"{area.name}__{seed}__{lever}{extra}".replace(" ", "_")


def measure(settings: LeverEffects) -> pl.DataFrame:
    """Run what is missing (``settings.jobs`` at a time), then the table of effects."""
    folder = Path(settings.out) / "runs"
    todo = [(n, d) for n, d in plan(settings) if not (folder / f"{n}.parquet").exists()]
    with ProcessPoolExecutor(settings.jobs) as pool:
        done = pool.map(run_one, [d for _, d in todo])
        progress = tqdm(done, total=len(todo), desc="lever runs", unit="run")
        for (name, _), row in zip(todo, progress, strict=True):
            write_parquet(pl.DataFrame([row]), folder / f"{name}.parquet")
    table = effects_table(settings, folder)
    write_parquet(table, Path(settings.out) / "lever_effects.parquet")
    text = page(table, settings)
    write_text(text, Path(settings.out) / "lever_effects.md")
    if settings.docs:
        write_text(text, DOCS_PAGE)
    return table


def effects_table(settings: LeverEffects, folder: Path) -> pl.DataFrame:
    """Per lever, area and measure: the median and range over seeds of the change."""
    rows = []
    for area in areas(settings):
        for case in cases():
            changes = {m: [] for m, _, _ in MEASURES}
            for seed in range(1, area.seeds + 1):
                base = _read(folder, _name(area, seed, "today", case.context))
                changed = _read(folder, _name(area, seed, case.lever, case.context))
                for column, _, shown in MEASURES:
                    changes[column].append(_change(base[column], changed[column], shown))
            rows.append(
                {"area": area.name, "lever": case.lever, "value": str(case.value)}
                | {m: _cell(changes[m], shown) for m, _, shown in MEASURES}
            )
    return pl.DataFrame(rows)


def _read(folder: Path, name: str) -> dict[str, float]:
    return pl.read_parquet(folder / f"{name}.parquet").row(0, named=True)


def _change(base: float, changed: float, shown: str) -> float:
    if shown == "relative":
        return 100 * (changed / base - 1) if base else 0.0
    if shown == "points":
        return 100 * (changed - base)
    return changed - base


UNITS = {"relative": "%", "points": " pt", "diff": ""}


def _cell(values: list[float], shown: str) -> str:
    v = np.asarray(values)
    fmt = _pounds if shown == "gbp" else lambda x: f"{x:+.2f}{UNITS[shown]}"
    if len(v) == 1:
        return fmt(v[0])
    return f"{fmt(np.median(v))} ({fmt(v.min())} to {fmt(v.max())})"


def _pounds(x: float) -> str:
    size = f"{abs(x) / 1e6:,.1f}m" if abs(x) < 1e9 else f"{abs(x) / 1e9:,.2f}bn"
    return ("+£" if x >= 0 else "-£") + size


def page(table: pl.DataFrame, settings: LeverEffects) -> str:
    """The markdown page of the effects."""
    names = ", ".join(f"`{m}`: {label}" for m, label, _ in MEASURES)
    head = [
        "# What each lever does over ten years",
        "",
        "<!-- generated by `sendsim lever-effects docs=true`; do not edit -->",
        "",
        f"Each policy lever moved from today's value to the far end of its range (string levers "
        f"to the value shown), in force from January 2022, {settings.years} years, everything "
        "else as today; the change against today's run on the same seed (common random "
        "numbers), as the median over seeds with the range in brackets. % is relative, pt "
        f"percentage points, £ the change in pounds. Measures: {names}.",
    ]
    parts = head
    for area in areas(settings):
        rows = table.filter(pl.col("area") == area.name).drop("area")
        seeds = area.seeds
        parts += ["", f"## {area.name.capitalize()} ({seeds} seeds)", "", markdown(rows)]
    return "\n".join(parts) + "\n"
