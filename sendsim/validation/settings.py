"""The settings of ``sendsim validate``, declared once (``--help`` and checks come from here)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from sendsim.backtest import Backtest, Draws
from sendsim.config.commands import FIRST_YEAR, LAST_YEAR
from sendsim.config.params import setting

DOCS = Path("docs")


@dataclass(frozen=True)
class Validate(Draws):
    """What a validation runs: the forecast from January ``train_end`` and the long run."""

    train_end: int = setting(
        FIRST_YEAR,
        FIRST_YEAR,
        LAST_YEAR - 1,
        unit="year",
        label="Last January of data used (later years are scored)",
    )
    long_run_years: int = setting(
        10, 0, 30, unit="years", label="Baseline run of England from January 2022 (0: none)"
    )
    long_run_fraction: float = setting(
        0.1, 0.001, 1.0, unit="share", label="Share of children simulated in the long run"
    )
    docs: bool = setting(
        False, unit="true or false", label="Also write docs/validation.md and its charts"
    )
    record: bool = setting(
        False,
        unit="true or false",
        label="Also keep this forecast's errors in the record that widens later intervals",
    )
    out: str = setting(
        "", unit="path", label="Folder of the results; empty: results/validate/train_end=YEAR"
    )

    def folder(self) -> Path:
        """Where the results go."""
        return Path(self.out or f"results/validate/train_end={self.train_end}")

    def backtest(self) -> Backtest:
        """The same forecast as ``sendsim backtest`` settings (its draws are shared)."""
        draws = {f.name: getattr(self, f.name) for f in fields(Draws)}
        return Backtest(train_end=self.train_end, **draws)

    @property
    def national(self) -> bool:
        """Whether the forecast covers every council, so that England is scored too."""
        return self.area == "england"
