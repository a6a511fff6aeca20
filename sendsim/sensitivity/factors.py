"""The factors a design varies: policy levers and uncertain parameters, plus a dummy.

Factors come from the one declaration of every parameter (:func:`iter_params`): kinds
``policy`` and ``uncertain`` with a numeric type, bounded by their declared ``low`` and
``high``. A ``dummy`` factor that the model never reads is always added last: its index is the
noise floor, below which no index can be told apart from chance.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass

from sendsim.config.params import iter_params
from sendsim.config.schema import SendsimConfig

DUMMY = "dummy"
VARIED_KINDS = ("policy", "uncertain")


@dataclass(frozen=True)
class Factor:
    """One varied input, uniform on ``[low, high]``.

    Attributes:
        name: dotted config key (``policy.workforce.therapists``), ``x1`` or ``dummy``.
        low: lower bound, in the parameter's unit.
        high: upper bound, in the parameter's unit.
        integer: the config value is the sampled value rounded to an integer.
    """

    name: str
    low: float
    high: float
    integer: bool = False


def catalogue(model: str) -> list[Factor]:
    """Every factor ``model`` can vary (the dummy excluded), in declaration order."""
    if model == "ishigami":
        return [Factor(f"x{i}", -math.pi, math.pi) for i in (1, 2, 3)]
    return [
        Factor(p.path, float(p.meta.low), float(p.meta.high), p.type is int)
        for p in iter_params(SendsimConfig)
        if p.meta.kind in VARIED_KINDS
        and p.type in (int, float)
        and p.meta.low is not None
        and p.meta.high is not None
    ]


def select(model: str, names: list[str]) -> tuple[list[Factor], list[str]]:
    """The factors named (keys or section prefixes; all if none), the dummy last, and problems.

    Args:
        model: ``sendsim`` or ``ishigami``.
        names: config keys such as ``policy.workforce.therapists`` or prefixes such as
            ``policy.workforce``; ``dummy`` may be named but is always included, and is not
            enough on its own.

    Returns:
        The factors in declaration order followed by the dummy, and one problem per unknown
        name (empty when all are known).
    """
    known = catalogue(model)
    wanted = [n for n in names if n != DUMMY]
    problems = [_unknown(model, n, known) for n in wanted if not _matches(n, known)]
    if names and not wanted:  # not "all": only an absent list means every factor
        problems.append(
            f"sensitivity.factors=[{','.join(names)}]: name a factor to vary besides the dummy "
            "(which is always added), or leave factors out to vary all of them"
        )
    chosen = [f for f in known if not wanted or any(_covers(n, f.name) for n in wanted)]
    return [*chosen, Factor(DUMMY, 0.0, 1.0)], problems


def _covers(name: str, key: str) -> bool:
    return key == name or key.startswith(name + ".")


def _matches(name: str, known: list[Factor]) -> bool:
    return any(_covers(name, f.name) for f in known)


def _unknown(model: str, name: str, known: list[Factor]) -> str:
    keys = [f.name for f in known]
    if model == "ishigami":
        return f"sensitivity.factors: unknown factor '{name}'; allowed: {', '.join(keys)}"
    sections = sorted({k.rsplit(".", 1)[0] for k in keys})
    hint = difflib.get_close_matches(name, keys + sections, n=1)
    did_you_mean = f" (did you mean '{hint[0]}'?)" if hint else ""
    return (
        f"sensitivity.factors: unknown factor '{name}'{did_you_mean}; name numeric policy "
        f"levers or uncertain parameters (`sendsim params`) or a section: {', '.join(sections)}"
    )


def config_value(factor: Factor, value: float) -> float | int:
    """The config value for a sampled value: rounded for integer parameters."""
    return round(value) if factor.integer else float(value)
