"""Declare each parameter once: default, range, unit, label, source and kind.

The structured-config dataclasses in :mod:`sendsim.config.schema` use :func:`param` for every
field. Validation, ``sendsim params``, the sensitivity analysis and the report's assumptions
table are all derived from these declarations by :func:`iter_params`.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Literal

Kind = Literal["policy", "uncertain", "setting"]
NF = "docs/sources.md"  # the bibliography; cite its entries by key, e.g. "[dfe-ehcp]"


@dataclass(frozen=True)
class Param:
    """Metadata of one configuration value.

    Attributes:
        unit: unit of the value (``"share"``, ``"GBP per year"``, ``"per year"``...).
        label: one line a newcomer understands.
        source: where the default comes from: a ``docs/sources.md`` entry by key
            (``"[dfe-ehcp]: ..."``), a data file by its path in the repository, or
            ``"Assumption: ..."``.
        kind: ``policy`` (a lever a decision maker controls), ``uncertain`` (a behavioural or
            cost parameter we are unsure of) or ``setting`` (how to run, not what to model).
        low: smallest allowed value (numbers only).
        high: largest allowed value (numbers only).
        choices: allowed values (strings only); ``None`` means any value checked elsewhere.
    """

    unit: str
    label: str
    source: str
    kind: Kind = "uncertain"
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None


def param(
    default: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    unit: str,
    label: str,
    source: str,
    kind: Kind = "uncertain",
    choices: tuple[str, ...] | None = None,
) -> Any:
    """A dataclass field carrying its :class:`Param` metadata."""
    meta = Param(unit, label, source, kind, low, high, choices)
    if low is not None and high is not None and not low <= default <= high:
        raise ValueError(f"default {default} outside [{low}, {high}] for '{label}'")
    return field(default=default, metadata={"param": meta})


def profile(
    default: Sequence[float],
    low: float,
    high: float,
    *,
    unit: str,
    label: str,
    source: str,
    rising: bool = False,
) -> Any:
    """An uncertain parameter that is a fixed-length list of numbers (by age, need type or
    placement), each within ``[low, high]``; its type hint is ``list[float]``. A ``rising``
    profile (a lowest and a highest, say) must have each number above the one before."""
    meta = Param(unit, label, source, "uncertain", low, high)
    if not all(low <= value <= high for value in default):
        raise ValueError(f"default {default} outside [{low}, {high}] for '{label}'")
    if rising and not is_rising(default):
        raise ValueError(f"default {default} not rising for '{label}'")
    values = list(default)
    return field(
        default_factory=lambda: list(values),
        metadata={"param": meta, "length": len(values), "rising": rising},
    )


def is_rising(values: Sequence[float]) -> bool:
    """Whether each number is above the one before."""
    return all(a < b for a, b in pairwise(values))


def setting(
    default: Any,
    low: float | None = None,
    high: float | None = None,
    *,
    unit: str,
    label: str,
    source: str = "Setting",
    choices: tuple[str, ...] | None = None,
) -> Any:
    """A :func:`param` saying how to run rather than what to model (``kind="setting"``)."""
    return param(
        default, low, high, unit=unit, label=label, source=source, kind="setting", choices=choices
    )


def setting_metadata(*, unit: str, label: str) -> dict[str, Param]:
    """Field metadata declaring a setting, for fields :func:`setting` cannot make (lists)."""
    return {"param": Param(unit, label, source="Setting", kind="setting")}


@dataclass(frozen=True)
class DeclaredParam:
    """A declared parameter found by :func:`iter_params`."""

    path: str  # dotted config key, e.g. "behaviour.requests.base_per_year"
    default: Any
    type: type
    meta: Param
    length: int | None = None  # of a profile (a list of numbers)
    rising: bool = False  # a profile whose numbers must each be above the one before


def iter_params(cls: type, prefix: str = "") -> Iterator[DeclaredParam]:
    """Every declared parameter of a (nested) config dataclass, depth first."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if dataclasses.is_dataclass(hint):
            yield from iter_params(hint, f"{prefix}{f.name}.")
        elif "param" in f.metadata:
            default = f.default_factory() if f.default is dataclasses.MISSING else f.default
            yield DeclaredParam(
                prefix + f.name,
                default,
                hint,
                f.metadata["param"],
                f.metadata.get("length"),
                f.metadata.get("rising", False),
            )


def declared(cls: type, path: str) -> DeclaredParam:
    """The parameter declared at dotted ``path`` of a config dataclass."""
    return next(p for p in iter_params(cls) if p.path == path)


def section_fields(cls: type) -> dict[str, type]:
    """Field name → type hint of one config dataclass (for unknown-key checks)."""
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}
