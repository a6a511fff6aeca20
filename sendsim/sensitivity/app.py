"""The Hydra application behind ``sendsim sensitivity``: one stage of a study per job."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from sendsim.config import store, validate
from sendsim.errors import reported
from sendsim.sensitivity.analyze import analyze
from sendsim.sensitivity.config import CONFIG_NAME, SensitivityRoot, register
from sendsim.sensitivity.design import load_design, write_design
from sendsim.sensitivity.evaluate import evaluate_chunks
from sendsim.sensitivity.models import evaluator
from sendsim.sensitivity.study import Study

register()
log = logging.getLogger(__name__)


@hydra.main(version_base="1.3", config_path=str(store.CONF_DIR), config_name=CONFIG_NAME)
def sensitivity_app(cfg: DictConfig) -> None:
    """Validate the composed config, then run the requested stage (or all three)."""
    logging.getLogger("MESA").setLevel(logging.WARNING)  # Mesa logs every step at INFO
    with reported():
        root = validate.to_config(cfg, SensitivityRoot)
        assert isinstance(root, SensitivityRoot)
        run_stage(root, Path(HydraConfig.get().runtime.output_dir))


def run_stage(root: SensitivityRoot, output_dir: Path) -> Path:
    """Run ``sensitivity.stage`` of the study ``root`` describes; returns the study folder.

    Args:
        root: the validated configuration.
        output_dir: the Hydra job's folder, used as the study folder when
            ``sensitivity.dir`` is empty (``stage=all`` only).
    """
    s = root.sensitivity
    folder = Path(s.dir) if s.dir else output_dir
    study = Study.from_config(root)
    started = time.perf_counter()
    if s.stage in ("design", "all"):
        write_design(folder, study)
    if s.stage in ("evaluate", "analyze", "all"):
        design = load_design(folder, study)
    if s.stage in ("evaluate", "all"):
        chunks = list(range(study.chunks)) if s.chunk < 0 else [s.chunk]
        evaluate_chunks(folder, study, design, chunks, evaluator(study))
    if s.stage in ("analyze", "all"):
        analyze(folder, study, design)
    log.info(
        "stage %s done in %.1f s; study folder %s", s.stage, time.perf_counter() - started, folder
    )
    return folder
