"""Evaluate one design row: set the factors, run the model per replicate, average outputs."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np
from omegaconf import OmegaConf

from sendsim.config import validate
from sendsim.config.schema import SendsimConfig
from sendsim.model.model import SendModel
from sendsim.results import RunResults
from sendsim.sensitivity import outputs as outs
from sendsim.sensitivity.factors import DUMMY, config_value
from sendsim.sensitivity.study import Study

Evaluator = Callable[[np.ndarray], np.ndarray]
ISHIGAMI_A, ISHIGAMI_B = 7.0, 0.1


def evaluator(study: Study) -> Evaluator:
    """A function from one design row (factor values) to the study's outputs."""
    if study.model == "ishigami":
        return lambda row: ishigami_row(study, row)
    return SendsimEvaluator(study)


def ishigami(x1: float, x2: float, x3: float) -> float:
    """The Ishigami function (a=7, b=0.1): S1 = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244."""
    return math.sin(x1) + ISHIGAMI_A * math.sin(x2) ** 2 + ISHIGAMI_B * x3**4 * math.sin(x1)


def ishigami_row(study: Study, row: np.ndarray) -> np.ndarray:
    """Ishigami at a row; factors left out of the study stay at 0, the middle of their range."""
    x = dict.fromkeys(("x1", "x2", "x3"), 0.0) | dict(zip(study.names, row, strict=True))
    return np.array([ishigami(x["x1"], x["x2"], x["x3"])])


class SendsimEvaluator:
    """Runs sendsim at a design row: one run per replicate seed, outputs averaged.

    Args:
        study: the study; its ``config`` is the base the factor values are applied to.
    """

    def __init__(self, study: Study) -> None:
        self.study = study
        self.base = OmegaConf.structured(SendsimConfig)
        self.base.merge_with(study.config)
        start, years = study.config["run"]["start"], study.config["run"]["years"]
        dates = outs.run_dates(start, years)
        parsed = [outs.parse(name, dates) for name in study.outputs]
        self.outputs = [p for p in parsed if isinstance(p, outs.Output)]
        assert len(self.outputs) == len(parsed), "outputs are validated with the config"

    def config(self, row: np.ndarray) -> SendsimConfig:
        """The validated model configuration at ``row`` (``ConfigError`` if out of range)."""
        cfg = self.base.copy()
        for factor, value in zip(self.study.factors, row, strict=True):
            if factor.name != DUMMY:
                OmegaConf.update(cfg, factor.name, config_value(factor, value), merge=False)
        return validate.to_config(cfg)

    def __call__(self, row: np.ndarray) -> np.ndarray:
        config = self.config(row)
        runs = []
        for seed in self.study.replicate_seeds(dummy=row[self.study.names.index(DUMMY)]):
            model = SendModel(
                dataclasses.replace(config, run=dataclasses.replace(config.run, seed=seed))
            )
            model.run(progress=False)
            runs.append(outs.values(RunResults(model), self.outputs))
        return np.mean(runs, axis=0)
