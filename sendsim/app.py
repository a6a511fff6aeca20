"""The Hydra application behind ``sendsim run``: one simulation per job, results on disk."""

from __future__ import annotations

import dataclasses
import json
import logging
import sys
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sendsim.config import store, validate
from sendsim.config.schema import SendsimConfig
from sendsim.errors import EXIT_USAGE, SendsimError
from sendsim.headlines import headlines
from sendsim.model.model import SendModel
from sendsim.results import META, RESULT_FILES, config_hash, write_run

store.register()


def simulate(config: SendsimConfig, out_dir: Path, progress: bool | None = None) -> SendModel:
    """Run one simulation and write its three result files into ``out_dir``."""
    started = time.perf_counter()
    model = SendModel(config)
    model.run(progress=progress)
    write_run(out_dir, model, dataclasses.asdict(config), time.perf_counter() - started)
    return model


def finished(out_dir: Path, config: SendsimConfig) -> bool:
    """Whether ``out_dir`` already holds the complete results of exactly this configuration."""
    meta = out_dir / META
    if not all((out_dir / name).exists() for name in RESULT_FILES):
        return False
    recorded = json.loads(meta.read_text()).get("config_hash")
    return recorded == config_hash(dataclasses.asdict(config))


@hydra.main(version_base="1.3", config_path=str(store.CONF_DIR), config_name="config")
def run_app(cfg: DictConfig) -> None:
    """Validate the composed config, simulate, write results to the Hydra output directory."""
    logging.getLogger("MESA").setLevel(logging.WARNING)  # Mesa logs every step at INFO
    try:
        config = validate.to_config(cfg)
        out_dir = Path(HydraConfig.get().runtime.output_dir)
        if finished(out_dir, config):
            print(f"sendsim: {out_dir} already holds this run's results; skipped")
            return
        simulate(config, out_dir)
        print(headlines(out_dir))
    except SendsimError as err:
        print(f"sendsim: {err}", file=sys.stderr)
        sys.exit(EXIT_USAGE)
