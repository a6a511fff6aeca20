"""What a benchmark ran on, so that results from different days and machines can be compared."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np


def machine_info() -> dict[str, Any]:
    """CPU, cores, RAM, versions, git commit, a CPU speed reference and the load average."""
    import mesa
    import polars as pl

    import sendsim
    from sendsim.results import git_commit

    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": _mem_total_gb(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "mesa": mesa.__version__,
        "polars": pl.__version__,
        "sendsim": sendsim.__version__,
        "git_commit": git_commit(),
        "git_dirty": _git_dirty(),
        "numpy_reference_s": numpy_reference_s(),
        "load_average": os.getloadavg()[0],  # 1-minute; >0 when other work shares the CPU
    }


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def numpy_reference_s(repeats: int = 3) -> float:
    """Best time of a fixed numpy kernel (sort, gather, bincount over a million values).

    Timings from two machines can be compared after dividing each by its reference, as
    Starsim and Covasim normalise their benchmarks.
    """
    rng = np.random.default_rng(0)
    values = rng.random(1_000_000)
    groups = rng.integers(0, 153, size=values.size)
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        order = np.argsort(values)
        np.bincount(groups[order], weights=values[order] > 0.5, minlength=153)
        best = min(best, time.perf_counter() - started)
    return best


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        match = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        if match:
            return match.group(1).strip()
    return platform.processor() or platform.machine()


def _mem_total_gb() -> float | None:
    meminfo = Path("/proc/meminfo")
    if not meminfo.exists():
        return None
    match = re.search(r"^MemTotal:\s+(\d+) kB", meminfo.read_text(), re.MULTILINE)
    return round(int(match.group(1)) * 1024 / 1e9, 1) if match else None


def _git_dirty() -> bool | None:
    """Whether the source tree has uncommitted changes (None outside a git checkout)."""
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=Path(__file__).parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return bool(out.stdout.strip())
