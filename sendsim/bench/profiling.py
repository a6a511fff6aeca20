"""``sendsim bench --profile CONFIG``: where a run's time goes, by mechanism and by function.

The run is sampled with pyinstrument (every millisecond), after the same warm-up as the
benchmark. The summary printed lists the model's build time, each mechanism's share of
the run and the functions with the most time of their own (numpy calls count towards the
function that makes them). The full call tree is written as HTML and text.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sendsim.bench import worker
from sendsim.bench.harness import Configuration
from sendsim.errors import SendsimError
from sendsim.io import write_text

MODEL_FILE = "sendsim/model/model.py"
TOP_FUNCTIONS = 15


def profile(
    config: Configuration, out_dir: Path, years: int | None = None, warmup: bool = True
) -> str:
    """Profile building and running ``config``; write the call tree; return the summary.

    Args:
        config: the configuration to run.
        out_dir: where ``profile-<name>.html`` and ``profile-<name>.txt`` are written.
        years: simulate this many years instead of the configuration's own.
        warmup: run a small model first, as the benchmark does.

    Raises:
        SendsimError: pyinstrument is not installed.
    """
    try:
        from pyinstrument import Profiler
    except ImportError as err:
        raise SendsimError("--profile needs pyinstrument: pip install pyinstrument") from err
    from sendsim.config.precheck import compose_config
    from sendsim.model.model import SendModel

    logging.getLogger("MESA").setLevel(logging.WARNING)
    overrides = list(config.overrides)
    if years:
        overrides = [o for o in overrides if not o.startswith("run.years=")]
        overrides.append(f"run.years={years}")
    cfg = compose_config(overrides)
    if warmup:
        SendModel(compose_config(worker.WARMUP_OVERRIDES)).run(progress=False)
    profiler = Profiler(interval=0.001)
    profiler.start()
    model = SendModel(cfg)
    model.run(progress=False)
    profiler.stop()
    summary = summarise(profiler.last_session.root_frame(), config.name, " ".join(overrides))
    stem = out_dir / f"profile-{config.name}"
    write_text(profiler.output_html(), stem.with_suffix(".html"))
    write_text(summary + "\n\n" + profiler.output_text(show_all=False), stem.with_suffix(".txt"))
    return f"{summary}\n\nwrote {stem}.html and {stem}.txt"


def summarise(root: Any, name: str, overrides: str) -> str:
    """Build time, each mechanism's share of the run, and the top functions by own time."""
    build = _sum_time(_frames(root, "__init__", MODEL_FILE))
    run = _sum_time(_frames(root, "run", MODEL_FILE))
    mechanisms: dict[str, float] = defaultdict(float)
    for step in _frames(root, "step", MODEL_FILE):
        for child in step.children:
            mechanisms["step itself" if child.is_synthetic else _name(child)] += child.time
    total = build + run
    lines = [
        f"profile of {name} ({overrides})",
        f"  {'build the model':<72}{build:8.2f} s  {_share(build, total)} of build + run",
        f"  {'run':<72}{run:8.2f} s  {_share(run, total)}",
        "",
        "monthly steps by mechanism (share of the run)",
    ]
    for name, seconds in sorted(mechanisms.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {name:<72}{seconds:8.2f} s  {_share(seconds, run)}")
    lines += ["", f"top {TOP_FUNCTIONS} functions by own time (share of build + run)"]
    for name, seconds in _self_times(root)[:TOP_FUNCTIONS]:
        lines.append(f"  {name:<72}{seconds:8.2f} s  {_share(seconds, total)}")
    return "\n".join(lines)


def _frames(frame: Any, function: str, file_suffix: str) -> Iterator[Any]:
    """Every frame of ``function`` in a file ending ``file_suffix`` (not inside another)."""
    if frame.function == function and (frame.file_path or "").endswith(file_suffix):
        yield frame
        return
    for child in frame.children:
        yield from _frames(child, function, file_suffix)


def _sum_time(frames: Iterator[Any]) -> float:
    return sum(f.time for f in frames)


def _self_times(root: Any) -> list[tuple[str, float]]:
    """Seconds spent in each function itself (not in the Python functions it calls)."""
    totals: dict[str, float] = defaultdict(float)
    stack = [root]
    while stack:
        frame = stack.pop()
        real_children = [c for c in frame.children if not c.is_synthetic]
        totals[_name(frame)] += frame.time - sum(c.time for c in real_children)
        stack.extend(real_children)
    return sorted(totals.items(), key=lambda kv: -kv[1])


def _name(frame: Any) -> str:
    """``function  file:line``, the file from the package (or library) folder down."""
    path = frame.file_path_short or ""
    if "site-packages/" in path:
        path = path.split("site-packages/", 1)[1]
    elif "sendsim/" in path:
        path = path[path.rindex("sendsim/") :]
    return f"{frame.function:<26} {path}:{frame.line_no}"


def _share(part: float, whole: float) -> str:
    return f"{100 * part / whole:5.1f}%" if whole > 0 else "    -"
