"""The settings of ``sendsim validate``, declared once (``--help`` and checks come from here)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sendsim.backtest import Backtest
from sendsim.config.commands import FIRST_YEAR, LAST_YEAR
from sendsim.config.params import setting
from sendsim.config.validate import AREA_UNIT

DOCS = Path("docs")


@dataclass(frozen=True)
class Validate:
    """What a validation runs: the forecast from January ``train_end`` and the long run."""

    train_end: int = setting(
        FIRST_YEAR,
        FIRST_YEAR,
        LAST_YEAR - 1,
        unit="year",
        label="Last January of data used (later years are scored)",
    )
    horizon: int = setting(3, 1, 10, unit="years", label="Years forecast ahead")
    draws: int = setting(20, 2, 1000, unit="runs", label="Runs, each with its own seed and factors")
    sample_fraction: float = setting(
        0.25, 0.001, 1.0, unit="share", label="Share of children simulated in the forecast"
    )
    area: str = setting("england", unit=AREA_UNIT, label="Council, or england for all of them")
    seed: int = setting(1, 0, 2**31 - 1, unit="integer", label="Seed of the first draw")
    long_run_years: int = setting(
        10, 0, 30, unit="years", label="Baseline run of England from January 2022 (0: none)"
    )
    long_run_fraction: float = setting(
        0.1, 0.001, 1.0, unit="share", label="Share of children simulated in the long run"
    )
    docs: bool = setting(
        False, unit="true or false", label="Also write docs/validation.md and its charts"
    )
    out: str = setting(
        "", unit="path", label="Folder of the results; empty: results/validate/train_end=YEAR"
    )

    def folder(self) -> Path:
        """Where the results go."""
        return Path(self.out or f"results/validate/train_end={self.train_end}")

    def backtest(self) -> Backtest:
        """The same forecast as ``sendsim backtest`` settings (its draws are shared)."""
        return Backtest(
            train_end=self.train_end,
            horizon=self.horizon,
            draws=self.draws,
            sample_fraction=self.sample_fraction,
            area=self.area,
            seed=self.seed,
        )

    @property
    def national(self) -> bool:
        """Whether the forecast covers every council, so that England is scored too."""
        return self.area == "england"
