"""``sendsim bench``: speed and memory of sendsim, and of one Mesa agent per child.

Each configuration runs in a fresh process (:mod:`sendsim.bench.worker`) so that its peak
memory is its own. Speed is in child-months per second: simulated children (sample scale)
summed over the months of the run, divided by the run's seconds (model building excluded,
reported as ``init_s``).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sendsim.bench import worker
from sendsim.bench.machine import machine_info, now_iso
from sendsim.errors import SendsimError
from sendsim.io import write_text

TARGET_MONTHS = 120  # the targets are for 10-year runs
BUSY_LOAD_PER_CORE = 0.5  # from this load average per core, other work slows the timings


@dataclass(frozen=True)
class Configuration:
    """A sendsim run to measure.

    Attributes:
        name: key in ``bench.json``.
        label: what the printed table calls it.
        overrides: as on the ``sendsim run`` command line.
    """

    name: str
    label: str
    overrides: tuple[str, ...]


@dataclass(frozen=True)
class MesaSample:
    """The size of the Mesa baseline actually run (it is scaled linearly from there)."""

    agents: int
    steps: int


@dataclass(frozen=True)
class Plan:
    """What one ``sendsim bench`` invocation measures."""

    mode: str
    configurations: tuple[Configuration, ...]
    mesa: MesaSample
    repeats: int = 1
    warmup: bool = True  # a small run first in each process (off only to test the harness)


def full_plan(repeats: int = 1) -> Plan:
    """Default and largest council, England at 1 in 10 and whole; 10 years each."""
    default, largest = _default_council(), _largest_council()
    return Plan(
        mode="full",
        configurations=(
            Configuration(
                "default_council",
                f"default council ({default['la_name']}), whole population, 10 years",
                ("run.years=10",),
            ),
            Configuration(
                "largest_council",
                f"largest council ({largest['la_name']}), whole population, 10 years",
                (f"area={largest['la_code']}", "run.years=10"),
            ),
            Configuration(
                "england_0_1",
                "England, 1 in 10 sample, 10 years",
                ("area=england", "population.sample_fraction=0.1", "run.years=10"),
            ),
            Configuration(
                "england_full",
                "England, whole population, 10 years",
                ("area=england", "population.sample_fraction=1.0", "run.years=10"),
            ),
        ),
        mesa=MesaSample(agents=200_000, steps=10),
        repeats=repeats,
    )


def quick_plan(repeats: int = 1) -> Plan:
    """About a minute on two cores: the default council and England at 1 in 50, 2 years."""
    default = _default_council()
    return Plan(
        mode="quick",
        configurations=(
            Configuration(
                "default_council",
                f"default council ({default['la_name']}), whole population, 2 years",
                ("run.years=2",),
            ),
            Configuration(
                "england_0_02",
                "England, 1 in 50 sample, 2 years",
                ("area=england", "population.sample_fraction=0.02", "run.years=2"),
            ),
        ),
        mesa=MesaSample(agents=200_000, steps=3),
        repeats=repeats,
    )


def all_configurations() -> dict[str, Configuration]:
    """Every named configuration of the full and quick plans (for ``--profile``)."""
    plans = (full_plan(), quick_plan())
    return {c.name: c for plan in reversed(plans) for c in plan.configurations}


def run_plan(plan: Plan, out: Path) -> dict[str, Any]:
    """Measure every configuration and the Mesa baseline, print the report, write ``out``.

    Each configuration's row is printed as soon as it has been measured.
    """
    if out.is_dir():
        raise SendsimError(f"--out {out}: is a directory; give a file name such as bench.json")
    machine, date = machine_info(), now_iso()
    width = _label_width(c.label for c in plan.configurations)
    print("\n".join(_title_lines(plan.mode, date, machine, width)), flush=True)
    details = {}
    for config in plan.configurations:
        print(f"{config.label:<{width}}", end="", flush=True)
        kwargs = {"overrides": list(config.overrides), "warmup": plan.warmup}
        measured = _measure("sendsim", kwargs, config.label, plan.repeats)
        details[config.name] = _sendsim_details(config, measured)
        print(_row_figures(details[config.name]), flush=True)
    mesa_kwargs = {"agents": plan.mesa.agents, "steps": plan.mesa.steps}
    mesa = _measure("mesa", mesa_kwargs, "Mesa baseline", plan.repeats)
    results = summarise(plan, details, _mesa_details(mesa), machine, date)
    print("\n".join(_closing_lines(results)))
    write_text(json.dumps(results, indent=2) + "\n", out)
    print(f"wrote {out}")
    return results


def run_worker(kind: str, kwargs: dict[str, Any], label: str) -> dict[str, Any]:
    """Run one measurement in a fresh Python process and return its result.

    Raises:
        SendsimError: the measurement failed; the message ends with the process's errors.
    """
    command = [sys.executable, "-m", "sendsim.bench.worker", kind, json.dumps(kwargs)]
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True, check=False)
    process_s = time.perf_counter() - started
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith(worker.RESULT_PREFIX)]
    if proc.returncode != 0 or not lines:
        tail = "\n".join(proc.stderr.strip().splitlines()[-8:])
        raise SendsimError(f"benchmark '{label}' failed (exit code {proc.returncode}):\n{tail}")
    return {**json.loads(lines[-1].removeprefix(worker.RESULT_PREFIX)), "process_s": process_s}


def _measure(kind: str, kwargs: dict[str, Any], label: str, repeats: int) -> dict[str, Any]:
    """Median times and the highest peak memory over ``repeats`` fresh processes."""
    runs = [run_worker(kind, kwargs, label) for _ in range(repeats)]
    merged = dict(runs[0])
    for key in ("init_s", "run_s", "init_cpu_s", "run_cpu_s", "process_s", "rss_before_init_gb"):
        merged[key] = statistics.median(r[key] for r in runs)
    merged["peak_rss_gb"] = max(r["peak_rss_gb"] for r in runs)
    merged["repeats"] = repeats
    merged["run_s_each"] = [r["run_s"] for r in runs]
    return merged


def _sendsim_details(config: Configuration, m: dict[str, Any]) -> dict[str, Any]:
    return {
        "label": config.label,
        "overrides": list(config.overrides),
        **m,
        "years": m["months"] / 12,
        "wall_s": m["init_s"] + m["run_s"],
        "child_months_per_s": m["child_months"] / m["run_s"],
        "child_months_per_cpu_s": m["child_months"] / m["run_cpu_s"],
    }


def _mesa_details(m: dict[str, Any]) -> dict[str, Any]:
    return {
        **m,
        "agent_steps_per_s": m["agent_steps"] / m["run_s"],
        "agent_steps_per_cpu_s": m["agent_steps"] / m["run_cpu_s"],
        "init_s_per_agent": m["init_s"] / m["agents"],
        "gb_per_agent": max(m["peak_rss_gb"] - m["rss_before_init_gb"], 0.0) / m["agents"],
    }


def summarise(
    plan: Plan,
    details: dict[str, dict[str, Any]],
    mesa: dict[str, Any],
    machine: dict[str, Any],
    date: str,
) -> dict[str, Any]:
    """The ``bench.json`` content: headline figures, details, targets, machine and date."""
    largest = max(details, key=lambda name: details[name]["child_months"], default=None)
    speed = details[largest]["child_months_per_s"] if largest else None
    mesa = {**mesa, "scaled_to": _scale_mesa(mesa, details[largest]) if largest else None}

    def figure(name: str, key: str) -> float | None:
        return details[name][key] if name in details else None

    results = {
        "date": date,
        "mode": plan.mode,
        "repeats": plan.repeats,
        "child_months_per_s": speed,
        "mesa_ratio": speed / mesa["agent_steps_per_s"] if speed else None,
        "mesa_ratio_cpu": (
            details[largest]["child_months_per_cpu_s"] / mesa["agent_steps_per_cpu_s"]
            if largest
            else None
        ),
        "comparable_configuration": largest,
        "default_council_s": figure("default_council", "wall_s"),
        "largest_council_s": figure("largest_council", "wall_s"),
        "england_full_s": figure("england_full", "wall_s"),
        "england_full_peak_gb": figure("england_full", "peak_rss_gb"),
        "configurations": details,
        "mesa_baseline": mesa,
        "machine": machine,
    }
    results["targets"] = [target.evaluate(results) for target in TARGETS]
    return results


def _scale_mesa(mesa: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """The Mesa baseline scaled linearly to a configuration's children and months."""
    children = config["children"]
    return {
        "configuration": config["label"],
        "children": children,
        "child_months": config["child_months"],
        "init_s": mesa["init_s_per_agent"] * children,
        "run_s": config["child_months"] / mesa["agent_steps_per_s"],
        "peak_rss_gb": mesa["rss_before_init_gb"] + mesa["gb_per_agent"] * children,
    }


@dataclass(frozen=True)
class Target:
    """A performance goal: ``value(results)`` below (or at least) ``limit``."""

    label: str
    limit: float
    below: bool
    unit: str
    value: Callable[[dict[str, Any]], tuple[float | None, str]]

    def evaluate(self, results: dict[str, Any]) -> dict[str, Any]:
        """The goal with its measured value and whether it is met (None: not measured)."""
        value, note = self.value(results)
        passed = (
            None if value is None else value < self.limit if self.below else value >= self.limit
        )
        return {
            "label": self.label,
            "value": value,
            "limit": self.limit,
            "comparison": "<" if self.below else ">=",
            "unit": self.unit,
            "passed": passed,
            "note": note,
        }


def _default_council_10y(results: dict[str, Any]) -> tuple[float | None, str]:
    """Init plus run over 10 years; a shorter run's run time is scaled per month."""
    run = results["configurations"].get("default_council")
    if run is None:
        return None, "not run"
    if run["months"] == TARGET_MONTHS:
        return run["wall_s"], ""
    estimate = run["init_s"] + run["run_s"] * TARGET_MONTHS / run["months"]
    return estimate, f"estimated from {run['years']:g} years"


def _headline(key: str) -> Callable[[dict[str, Any]], tuple[float | None, str]]:
    def value(results: dict[str, Any]) -> tuple[float | None, str]:
        return results[key], "" if results[key] is not None else "not run"

    return value


def _speed(key: str) -> Callable[[dict[str, Any]], tuple[float | None, str]]:
    """A speed figure, noting the configuration when it is not England at full scale (smaller
    runs are slower per child-month: costs per council and per month weigh more)."""

    def value(results: dict[str, Any]) -> tuple[float | None, str]:
        name = results["comparable_configuration"]
        if results[key] is None or name == "england_full":
            return _headline(key)(results)
        return results[key], f"measured on {results['configurations'][name]['label']}"

    return value


TARGETS = (
    Target("default council, whole population, 10 years", 3.0, True, "s", _default_council_10y),
    Target("England, whole population, 10 years", 180.0, True, "s", _headline("england_full_s")),
    Target(
        "England, whole population, peak memory", 8.0, True, "GB", _headline("england_full_peak_gb")
    ),
    Target("full-model speed", 10e6, False, "child-months/s", _speed("child_months_per_s")),
    Target("speed / one Mesa agent per child", 30.0, False, "x", _speed("mesa_ratio")),
)


# -- printing --------------------------------------------------------------------------------
def _label_width(labels: Iterable[str]) -> int:
    return max([len("configuration"), *(len(label) for label in labels)]) + 2


def _title_lines(mode: str, date: str, machine: dict[str, Any], width: int) -> list[str]:
    m = machine
    dirty = " (uncommitted changes)" if m["git_dirty"] else ""
    lines = [
        f"sendsim bench ({mode}), {date}",
        f"{m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM; Python {m['python']}, "
        f"numpy {m['numpy']}, Mesa {m['mesa']}; git {m['git_commit'][:10]}{dirty}",
    ]
    if m["load_average"] >= BUSY_LOAD_PER_CORE * (m["cores"] or 1):
        lines.append(
            f"note: load average {m['load_average']:.1f} at the start: other processes are using "
            "the CPU, so wall times are longer than on an idle machine (CPU times less so)"
        )
    columns = (
        f"{'children':>11}{'months':>7}{'init s':>8}{'run s':>9}{'wall s':>9}{'run CPU s':>10}"
        f"{'child-months/s':>16}{'peak GB':>9}"
    )
    return [*lines, "", f"{'configuration':<{width}}{columns}"]


def _row_figures(d: dict[str, Any]) -> str:
    return (
        f"{d['children']:>11,.0f}{d['months']:>7}{d['init_s']:>8.2f}{d['run_s']:>9.2f}"
        f"{d['wall_s']:>9.2f}{d['run_cpu_s']:>10.2f}{_millions(d['child_months_per_s']):>16}"
        f"{d['peak_rss_gb']:>9.2f}"
    )


def _closing_lines(results: dict[str, Any]) -> list[str]:
    return [
        "",
        *_mesa_lines(results),
        "",
        "targets",
        *(_target_line(t) for t in results["targets"]),
        "",
        "init: building the model, after a warm-up run; wall = init + run; child-months: "
        "children simulated (sample scale) x months; peak: the process's peak RSS",
    ]


def _mesa_lines(results: dict[str, Any]) -> list[str]:
    mesa = results["mesa_baseline"]
    lines = [
        f"Mesa {results['machine']['mesa']}, one agent per child, measured on "
        f"{mesa['agents']:,} agents x {mesa['steps']} months: "
        f"creating them {mesa['init_s']:.2f} s, "
        f"{_millions(mesa['agent_steps_per_s'])} agent-steps/s, "
        f"{mesa['gb_per_agent'] * 1e9 / 1e3:.2f} kB per agent"
    ]
    scaled = mesa["scaled_to"]
    if scaled:
        lines.append(
            f"  scaled linearly to {scaled['configuration']} ({scaled['children']:,.0f} children): "
            f"creating ~{scaled['init_s']:,.0f} s, running ~{scaled['run_s']:,.0f} s, "
            f"peak ~{scaled['peak_rss_gb']:.1f} GB"
        )
        lines.append(
            f"  sendsim / Mesa speed: {results['mesa_ratio']:.2f}x "
            f"({_millions(results['child_months_per_s'])} child-months/s vs "
            f"{_millions(mesa['agent_steps_per_s'])} agent-steps/s); "
            f"by CPU time {results['mesa_ratio_cpu']:.2f}x"
        )
    return lines


def _target_line(t: dict[str, Any]) -> str:
    mark = {True: "PASS", False: "FAIL", None: "n/a "}[t["passed"]]
    value = "-" if t["value"] is None else _with_unit(t["value"], t["unit"], ".2f")
    goal = f"target {t['comparison']} {_with_unit(t['limit'], t['unit'], 'g')}"
    note = f"  ({t['note']})" if t["note"] else ""
    return f"  {mark}  {t['label']:<46}{value:>26}   {goal}{note}"


def _with_unit(value: float, unit: str, spec: str) -> str:
    if unit == "child-months/s":
        return f"{_millions(value, spec)} {unit}"
    if unit == "x":
        return f"{value:{spec}}x"
    return f"{value:,{spec}} {unit}"


def _millions(value: float, spec: str = ".2f") -> str:
    return f"{value / 1e6:{spec}} M"


# -- councils --------------------------------------------------------------------------------
def _default_council() -> dict[str, Any]:
    from sendsim.config.store import DEFAULT_AREA
    from sendsim.data.areas import find_council

    return find_council(DEFAULT_AREA)


def _largest_council() -> dict[str, Any]:
    """The council with the most children and young people aged 0-25."""
    from sendsim.data.areas import load_councils

    return load_councils().sort("pop_0_25", descending=True).row(0, named=True)
