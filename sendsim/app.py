"""The Hydra application behind ``sendsim run``: one simulation per job, results on disk."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import shutil
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sendsim.config import store, validate
from sendsim.config.schema import SendsimConfig
from sendsim.errors import reported
from sendsim.headline import run_summary
from sendsim.model.model import SendModel
from sendsim.results import clear, complete, write_run

store.register()


def simulate(config: SendsimConfig, out_dir: Path, progress: bool | None = None) -> SendModel:
    """Run one simulation and write its result set into ``out_dir``."""
    started = time.perf_counter()
    model = SendModel(config)
    model.run(progress=progress)
    write_run(out_dir, model, dataclasses.asdict(config), time.perf_counter() - started)
    return model


def finished(out_dir: Path, config: SendsimConfig) -> bool:
    """Whether ``out_dir`` already holds the whole result set of exactly this configuration,
    made from today's data and calibration."""
    return complete(out_dir, config)


@hydra.main(version_base="1.3", config_path=str(store.CONF_DIR), config_name="config")
def run_app(cfg: DictConfig) -> None:
    """Validate the composed config, simulate, write results to the Hydra output directory."""
    logging.getLogger("MESA").setLevel(logging.WARNING)  # Mesa logs every step at INFO
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    with reported():
        try:
            config = validate.to_config(cfg)
            if finished(out_dir, config):
                print(f"sendsim: {out_dir} already holds this run's results; skipped")
                return
            clear(out_dir)  # an older set of another config, now being replaced
            simulate(config, out_dir)
        except BaseException:
            forget_job(out_dir)
            raise
        print(run_summary(out_dir))


def forget_job(out_dir: Path) -> None:
    """Remove what Hydra wrote for a job that failed: its ``.hydra`` record (which would
    describe results it did not make) and, unless results remain, its log and empty folder."""
    hydra_cfg = HydraConfig.get()
    if hydra_cfg.output_subdir:
        shutil.rmtree(out_dir / hydra_cfg.output_subdir, ignore_errors=True)
    if complete(out_dir):
        return
    (out_dir / f"{hydra_cfg.job.name}.log").unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # not empty: other files were there before
        out_dir.rmdir()
