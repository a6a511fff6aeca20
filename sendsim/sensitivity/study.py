"""A study: the method, factors, outputs and model configuration that fix a design.

A :class:`Study` is built from a validated ``sendsim sensitivity`` configuration and stored in
``design.json``. Every stage rebuilds it from its own command line and checks it against the
stored one, so chunks evaluated by different jobs always belong to the same design.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
from omegaconf import DictConfig
from SALib import ProblemSpec

from sendsim.config.schema import SendsimConfig
from sendsim.sensitivity.config import FAST_M, SensitivityRoot
from sendsim.sensitivity.factors import Factor, select
from sendsim.sensitivity.outputs import ISHIGAMI_OUTPUTS, default_outputs, parse, run_dates


@dataclass(frozen=True)
class Study:
    """Everything that determines a design's rows and their results.

    Attributes:
        model: ``sendsim`` or ``ishigami``.
        method: ``sobol``, ``morris`` or ``fast``.
        n: base sample size (Sobol N, Morris trajectories, FAST samples per factor).
        levels: Morris grid levels.
        seed: ``run.seed``: seeds the sampler, the replicates and the bootstrap.
        replicates: model runs per design row, averaged.
        noise_dummy: the dummy factor's value is part of every replicate's seed.
        chunks: pieces the rows are split into.
        factors: the varied inputs, the dummy last.
        outputs: ``metric@horizon`` names (``y`` for Ishigami).
        config: the model configuration the factors are applied to (empty for Ishigami).
    """

    model: str
    method: str
    n: int
    levels: int
    seed: int
    replicates: int
    noise_dummy: bool
    chunks: int
    factors: tuple[Factor, ...]
    outputs: tuple[str, ...]
    config: dict[str, Any]

    @classmethod
    def from_config(cls, root: SensitivityRoot) -> Study:
        """The study a validated configuration describes."""
        s = root.sensitivity
        factors, _ = select(s.model, list(s.factors))
        outputs = s.outputs or _default_outputs(root)
        model_config = {f.name: getattr(root, f.name) for f in dataclasses.fields(SendsimConfig)}
        config = dataclasses.asdict(SendsimConfig(**model_config)) if s.model == "sendsim" else {}
        return cls(
            model=s.model,
            method=s.method,
            n=s.n,
            levels=s.levels,
            seed=root.run.seed,
            replicates=s.replicates,
            noise_dummy=s.noise_dummy,
            chunks=s.chunks,
            factors=tuple(factors),
            outputs=tuple(outputs),
            config=config,
        )

    def spec(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return dataclasses.asdict(self) | {"factors": [dataclasses.asdict(f) for f in self.factors]}

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.factors]

    @property
    def rows(self) -> int:
        """Rows in the design (model evaluations before replicates)."""
        return design_rows(self.method, self.n, len(self.factors))

    def problem(self) -> ProblemSpec:
        """The SALib problem: factor names, uniform bounds, outputs."""
        return ProblemSpec(
            {
                "names": self.names,
                "bounds": [[f.low, f.high] for f in self.factors],
                "outputs": list(self.outputs),
            }
        )

    def sample(self) -> np.ndarray:
        """The design: one row per model evaluation, one column per factor, within each
        factor's declared range (SALib's scaling of a grid's top level can land a rounding
        error above it, which the model's config would refuse)."""
        sp = self.problem()
        if self.method == "sobol":
            sp.sample_sobol(self.n, calc_second_order=False, seed=self.seed)
        elif self.method == "morris":
            sp.sample_morris(self.n, num_levels=self.levels, seed=self.seed)
        else:
            sp.sample_fast(self.n, M=FAST_M, seed=self.seed)
        low, high = np.array([[f.low, f.high] for f in self.factors]).T
        return np.clip(np.asarray(sp.samples, dtype=float), low, high)

    def replicate_seeds(self, dummy: float = 0.0) -> list[int]:
        """``run.seed`` of each replicate at a design row whose dummy factor is ``dummy``.

        Seeds derive from the study seed, the replicate index and (with ``noise_dummy``) the
        dummy's value alone. Rows that SALib compares to measure a real factor's effect share
        their dummy value, so they share random numbers (common random numbers) and the
        difference is the factor's effect; rows differing in the dummy differ only in their
        random numbers, so the dummy's index measures the model's noise. Without
        ``noise_dummy`` every row has the same seeds and the dummy's index is exactly 0.
        """
        key = (int(np.floor(dummy * 2**32)),) if self.noise_dummy else ()
        return [
            int(np.random.SeedSequence(self.seed, spawn_key=(r, *key)).generate_state(1)[0] >> 1)
            for r in range(self.replicates)
        ]

    def chunk_rows(self, chunk: int) -> np.ndarray:
        """Rows of one chunk: contiguous, sizes differing by at most one."""
        return np.array_split(np.arange(self.rows), self.chunks)[chunk]


def design_rows(method: str, n: int, n_factors: int) -> int:
    """Rows SALib's sampler gives (Sobol without second-order indices)."""
    per_sample = {"sobol": n_factors + 2, "morris": n_factors + 1, "fast": n_factors}[method]
    return n * per_sample


def _default_outputs(root: SensitivityRoot | DictConfig) -> tuple[str, ...]:
    """The default outputs of a configuration's model, run length and override end."""
    run, override_end = root.run, root.policy.funding.statutory_override_end
    return default_outputs(root.sensitivity.model, run.start, run.years, override_end)


def study_problems(cfg: DictConfig) -> list[str]:
    """Problems across ``sensitivity`` keys of a composed configuration, one line each."""
    s = cfg.sensitivity
    factors, problems = select(s.model, list(s.factors))
    problems += _output_problems(s.model, list(s.outputs or _default_outputs(cfg)), cfg.run)
    if s.method == "sobol" and s.n & (s.n - 1):
        problems.append(f"sensitivity.n={s.n}: Sobol needs a power of 2 (64, 128, 256...)")
    if s.method == "fast" and s.n <= 4 * FAST_M**2:
        problems.append(f"sensitivity.n={s.n}: FAST needs more than {4 * FAST_M**2}")
    if s.method == "morris" and s.levels % 2:
        problems.append(f"sensitivity.levels={s.levels}: Morris needs an even number")
    rows = design_rows(s.method, s.n, len(factors))
    if s.chunks > rows:
        problems.append(f"sensitivity.chunks={s.chunks}: at most the design's {rows} rows")
    if s.chunk >= s.chunks:
        problems.append(
            f"sensitivity.chunk={s.chunk}: chunks are 0 to {s.chunks - 1} (sensitivity.chunks)"
        )
    if s.stage != "all" and not s.dir:
        problems.append(
            f"sensitivity.dir: required for stage={s.stage}, so that every stage and job "
            "shares the design (e.g. sensitivity.dir=results/sensitivity/mystudy)"
        )
    return problems


def _output_problems(model: str, names: list[str], run: DictConfig) -> list[str]:
    if model == "ishigami":
        bad = [n for n in names if n not in ISHIGAMI_OUTPUTS]
        return [f"sensitivity.outputs: '{n}': the Ishigami model's output is y" for n in bad]
    dates = run_dates(run.start, run.years)
    return [p for p in (parse(n, dates) for n in names) if isinstance(p, str)]
