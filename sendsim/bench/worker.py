"""One measurement in a fresh process, so its peak memory is its own.

``python -m sendsim.bench.worker sendsim '{"overrides": ["run.years=2"]}'`` builds and runs
one sendsim configuration; ``python -m sendsim.bench.worker mesa '{"agents": 200000,
"steps": 5}'`` runs the one-agent-per-child Mesa baseline. The result is printed as one JSON
line after :data:`RESULT_PREFIX`. Timing follows Mesa's benchmark advice: a warm-up first,
``time.perf_counter``, and the garbage collector off while timing.
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RESULT_PREFIX = "BENCH-RESULT "
WARMUP_OVERRIDES = ["area=E06000017", "run.years=1"]  # Rutland, the smallest council
WARMUP_AGENTS = 1000
GB = 1e9


def measure_sendsim(overrides: list[str], warmup: bool = True) -> dict[str, Any]:
    """Time building and running ``SendModel`` for the config ``sendsim run OVERRIDES`` uses.

    The warm-up (Rutland, one year) imports every mechanism and loads the data tables, so
    ``init_s`` is the cost of building this model, as in a process that runs many models.

    Args:
        overrides: Hydra overrides, as on the ``sendsim run`` command line.
        warmup: run a small model first.

    Returns:
        ``area``, ``months``, ``children`` (simulated at the start), ``child_months``
        (simulated, i.e. sample-scale), ``init_s`` and ``run_s`` (wall), ``init_cpu_s`` and
        ``run_cpu_s``, ``rss_before_init_gb`` and ``peak_rss_gb`` (the process's peak during
        init and run).
    """
    from sendsim.config.precheck import compose_config
    from sendsim.model.model import SendModel

    logging.getLogger("MESA").setLevel(logging.WARNING)  # Mesa logs every step at INFO
    cfg = compose_config(overrides)
    if warmup:
        SendModel(compose_config(WARMUP_OVERRIDES)).run(progress=False)
    with Measurement() as measured:
        model = SendModel(cfg)
        measured.lap("init")
        model.run(progress=False)
        measured.lap("run")
    population = model.recorder.stocks["population_0_25"]  # simulated children, per month
    return {
        "area": cfg.area.code,
        "sample_fraction": cfg.population.sample_fraction,
        "months": model.n_months,
        "children": float(population[0].sum()),
        "child_months": float(population[: model.n_months].sum()),
        **measured.figures(),
    }


def measure_mesa(agents: int, steps: int) -> dict[str, Any]:
    """Time creating and stepping the one-agent-per-child Mesa model.

    Args:
        agents: number of child agents.
        steps: monthly steps to time, after one untimed warm-up step.

    Returns:
        ``agents``, ``steps``, ``agent_steps``, ``init_s`` (creating the agents), ``run_s``,
        their CPU times ``init_cpu_s`` and ``run_cpu_s``, ``rss_before_init_gb`` and
        ``peak_rss_gb``.
    """
    from sendsim.bench.mesa_baseline import OneAgentPerChild

    logging.getLogger("MESA").setLevel(logging.WARNING)
    OneAgentPerChild(WARMUP_AGENTS).step()
    with Measurement() as measured:
        model = OneAgentPerChild(agents)
        measured.lap("init")
        model.step()
        measured.lap()  # the warm-up step is not timed
        for _ in range(steps):
            model.step()
        measured.lap("run")
    return {"agents": agents, "steps": steps, "agent_steps": agents * steps, **measured.figures()}


class Measurement:
    """Laps of wall and CPU time with the garbage collector off, and the peak RSS (GB).

    CPU time (all threads of the process) is less affected than wall time when other
    processes share the cores.
    """

    def __enter__(self) -> Measurement:
        gc.collect()
        _reset_peak_rss()
        self.rss_before_gb = _status_gb("VmRSS")
        self.peak_gb = float("nan")
        self.laps: dict[str, float] = {}
        gc.disable()
        self._last = (time.perf_counter(), time.process_time())
        return self

    def lap(self, name: str | None = None) -> None:
        """End a lap: wall and CPU seconds since the start or the previous lap, kept as
        ``<name>_s`` and ``<name>_cpu_s`` (an unnamed lap is not kept)."""
        now = (time.perf_counter(), time.process_time())
        if name:
            self.laps[f"{name}_s"] = now[0] - self._last[0]
            self.laps[f"{name}_cpu_s"] = now[1] - self._last[1]
        self._last = now

    def figures(self) -> dict[str, float]:
        """The named laps, ``rss_before_init_gb`` and ``peak_rss_gb`` (after the block)."""
        return {**self.laps, "rss_before_init_gb": self.rss_before_gb, "peak_rss_gb": self.peak_gb}

    def __exit__(self, *exc: object) -> None:
        gc.enable()
        self.peak_gb = _status_gb("VmHWM")


def _status_gb(field: str) -> float:
    """A memory field of ``/proc/self/status`` (``VmRSS``, ``VmHWM``) in GB; NaN off Linux."""
    status = Path("/proc/self/status")
    match = status.exists() and re.search(rf"^{field}:\s+(\d+) kB", status.read_text(), re.M)
    return int(match.group(1)) * 1024 / GB if match else float("nan")


def _reset_peak_rss() -> None:
    """Start the peak (VmHWM) afresh, so the warm-up's own peak is not counted."""
    with contextlib.suppress(OSError):  # if it fails the peak covers the (smaller) warm-up too
        Path("/proc/self/clear_refs").write_text("5")


MEASURES: dict[str, Callable[..., dict[str, Any]]] = {
    "sendsim": measure_sendsim,
    "mesa": measure_mesa,
}


def main(argv: list[str]) -> None:
    """Run the measurement named by ``argv[0]`` with the JSON keyword arguments ``argv[1]``."""
    kind, kwargs = argv[0], json.loads(argv[1])
    result = MEASURES[kind](**kwargs)
    print(RESULT_PREFIX + json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
