"""The design on disk: ``design.parquet`` (a ``row`` index, one column per factor) and
``design.json`` beside it (the study, SALib's version, the row count, provenance).

``design.json`` is written last, so its presence means the design is complete. A folder holds
one design: writing a different one there is refused, writing the same one again does nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

import sendsim
from sendsim.config.nested import differences
from sendsim.errors import SendsimError
from sendsim.io import write_parquet, write_text
from sendsim.results import git_commit
from sendsim.sensitivity.study import Study

DESIGN, DESIGN_META = "design.parquet", "design.json"
log = logging.getLogger(__name__)


def write_design(folder: Path, study: Study) -> np.ndarray:
    """Sample the study and write its design, unless the same design is there already."""
    samples = study.sample()
    if (folder / DESIGN_META).exists():
        stored = load_design(folder, study)
        if not np.array_equal(stored, samples):
            raise SendsimError(
                f"{folder}: the stored design's rows differ from this study's (another SALib "
                "version?); use a new sensitivity.dir"
            )
        log.info("design already in %s (%d rows); nothing to do", folder, len(samples))
        return samples
    frame = pl.DataFrame(
        {"row": np.arange(len(samples), dtype=np.int64)}
        | {name: samples[:, i] for i, name in enumerate(study.names)}
    )
    write_parquet(frame, folder / DESIGN)
    meta = {
        "study": _jsonable(study.spec()),
        "rows": len(samples),
        "salib_version": version("SALib"),
        "sendsim_version": sendsim.__version__,
        "git_commit": git_commit(),
        "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    write_text(json.dumps(meta, indent=2), folder / DESIGN_META)
    log.info("wrote a %s design of %d rows to %s", study.method, len(samples), folder)
    return samples


def load_design(folder: Path, study: Study) -> np.ndarray:
    """The stored design's rows, after checking it is ``study``'s (``SendsimError`` if not)."""
    meta_path = folder / DESIGN_META
    if not meta_path.exists():
        raise SendsimError(f"{folder}: no design yet; run sensitivity.stage=design first")
    stored = json.loads(meta_path.read_text())["study"]
    differences = _differences(stored, _jsonable(study.spec()))
    if differences:
        shown = "; ".join(differences[:8]) + ("; ..." if len(differences) > 8 else "")
        raise SendsimError(
            f"{folder} holds a different design ({shown}); give the design's settings again, "
            "or use a new sensitivity.dir"
        )
    frame = pl.read_parquet(folder / DESIGN)
    return frame.drop("row").to_numpy().astype(float)


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _differences(stored: Any, current: Any) -> list[str]:
    """``key: <stored> in the design, <current> here`` for every differing setting."""
    return [
        f"{_setting(key)}: {_short(was)} in the design, {_short(now)} here"
        for key, was, now in differences(stored, current)
    ]


def _setting(key: str) -> str:
    """The command-line key of a field of the stored study."""
    if key.startswith("config."):
        return key.removeprefix("config.")
    return "run.seed" if key == "seed" else f"sensitivity.{key}"


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else f"{text[:57]}..."
