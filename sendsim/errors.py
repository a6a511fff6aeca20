"""User-facing errors. The CLI prints their message and exits with code 2, writing nothing."""

from __future__ import annotations

from pathlib import Path

EXIT_USAGE = 2


class SendsimError(Exception):
    """An error caused by the user's input (config, data files), not by a bug."""


class ConfigError(SendsimError):
    """One or more configuration values are unknown, mistyped or out of range."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"invalid configuration ({len(problems)} {noun}):\n{lines}")


class DataError(SendsimError):
    """A data file is missing, malformed or lacks a column the model needs."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"data file {path}: {problem}")
