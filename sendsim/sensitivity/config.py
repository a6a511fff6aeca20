"""The ``sensitivity`` config node and the root schema of ``sendsim sensitivity``.

The root schema extends :class:`~sendsim.config.schema.SendsimConfig`, so every model key
(``area=...``, ``run.years=...``) works as in ``sendsim run``; the keys of the analysis live
under ``sensitivity.`` and are declared here with the same :func:`param` metadata. Rules that
involve several keys (factor and output names, sample sizes, chunks) are checked by
:meth:`SensitivityRoot.extra_problems`, which :mod:`sendsim.config.validate` calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from sendsim.config import store
from sendsim.config.params import setting, setting_metadata
from sendsim.config.schema import SendsimConfig

SCHEMA_NAME = "sensitivity_schema"
CONFIG_NAME = "sensitivity"
METHODS = ("sobol", "morris", "fast")
MODELS = ("sendsim", "ishigami")
STAGES = ("design", "evaluate", "analyze", "all")
FAST_M = 4  # SALib's default interference factor; FAST needs N > 4 M^2
SALIB = "SALib (Iwanaga, Usher and Herman 2022) [salib-2022]"


@dataclass
class SensitivityConfig:
    """How the sensitivity analysis samples, runs and analyses the model."""

    method: str = setting(
        "sobol",
        unit="name",
        label="sobol (Saltelli's scheme: S1, ST), morris (elementary effects) or fast (S1, ST)",
        source=SALIB,
        choices=METHODS,
    )
    model: str = setting(
        "sendsim",
        unit="name",
        label="sendsim, or ishigami (a test function with known indices)",
        source="Ishigami and Homma (1990) [ishigami-homma-1990]",
        choices=MODELS,
    )
    factors: list[str] = field(
        default_factory=list,
        metadata=setting_metadata(
            unit="config keys",
            label="Factors varied: keys or prefixes (policy.workforce) of policy levers and "
            "uncertain parameters; [] = all of them. A 'dummy' factor is always added",
        ),
    )
    outputs: list[str] = field(
        default_factory=list,
        metadata=setting_metadata(
            unit="metric@horizon",
            label="Outputs: a metric at YYYY-MM, end, mean (over months) or sum (over the "
            "run); [] = the model's headline outputs",
        ),
    )
    n: int = setting(
        64,
        4,
        2**20,
        unit="samples",
        label="Base sample size: Sobol N (a power of 2), Morris trajectories, FAST samples "
        "per factor (above 64)",
        source=SALIB,
    )
    levels: int = setting(4, 2, 20, unit="levels", label="Morris grid levels (even)", source=SALIB)
    replicates: int = setting(
        1,
        1,
        1000,
        unit="seeds",
        label="Seeds per design point, averaged; points with the same dummy value share them",
    )
    noise_dummy: bool = setting(
        True,
        unit="true/false",
        label="The dummy factor picks the seeds, so its index is the noise floor; false: "
        "every point shares the seeds and the dummy's index is exactly 0",
    )
    stage: str = setting(
        "all",
        unit="name",
        label="design, evaluate (chunks), analyze, or all three in one process",
        choices=STAGES,
    )
    chunks: int = setting(
        1,
        1,
        100_000,
        unit="chunks",
        label="Pieces the design is split into, one job each",
    )
    chunk: int = setting(
        -1,
        -1,
        99_999,
        unit="index",
        label="Chunk evaluated by stage=evaluate (0 to chunks-1); -1 evaluates every chunk",
    )
    dir: str = setting(
        "",
        unit="path",
        label="Folder of the design, chunks and indices; required unless stage=all, which "
        "defaults to the Hydra run folder",
    )


@dataclass
class SensitivityRoot(SendsimConfig):
    """The model configuration plus the ``sensitivity`` node."""

    sensitivity: SensitivityConfig = field(default_factory=SensitivityConfig)

    @staticmethod
    def extra_problems(cfg: DictConfig) -> list[str]:
        """Problems across keys (names, sizes, chunks), one line each."""
        from sendsim.sensitivity.study import study_problems

        return study_problems(cfg)


def register() -> None:
    """Store the root schema and the log-folder resolver (idempotent)."""
    store.register()
    ConfigStore.instance().store(name=SCHEMA_NAME, node=SensitivityRoot)
    if not OmegaConf.has_resolver("sensitivity_logs"):
        OmegaConf.register_new_resolver("sensitivity_logs", log_root)
    if not OmegaConf.has_resolver("sendsim_settings"):  # --help, from the declarations
        OmegaConf.register_new_resolver("sendsim_settings", settings_help)


def settings_help(section: str) -> str:
    """The ``sensitivity.*`` settings with defaults, ranges and meanings, for ``--help``."""
    from sendsim.config.commands import describe

    assert section == "sensitivity"
    return describe(SensitivityConfig, prefix="sensitivity.")


def log_root(folder: str) -> str:
    """Where Hydra keeps a job's logs: beside the study, else under results/sensitivity."""
    return f"{folder.rstrip('/')}/logs" if folder else "results/sensitivity"
