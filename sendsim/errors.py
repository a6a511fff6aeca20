"""User-facing errors. The CLI prints their message and exits with code 2, writing nothing.

:func:`reported` is the one place that turns them into that message and exit code; every
command (and every Hydra job) runs inside it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
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


class OutputError(SendsimError):
    """A result could not be written (no permission, disk full, not a folder...)."""

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path = Path(path)
        super().__init__(f"cannot write {path}: {problem}")


@contextmanager
def reported() -> Iterator[None]:
    """Print a user's error (or the system's refusal to read or write a file) as one message
    on stderr and exit with code 2; bugs still raise."""
    try:
        yield
    except SendsimError as err:
        fail(str(err))
    except OSError as err:
        where = f"{err.filename}: " if err.filename else ""
        fail(f"{where}{err.strerror or err}")


def fail(message: str) -> None:
    """Exit with code 2 after printing ``message`` on stderr."""
    print(f"sendsim: {message}", file=sys.stderr)
    sys.exit(EXIT_USAGE)
