"""The shape of the model: mechanisms in one registry, layers that import only downwards."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from sendsim.model.mechanisms import MECHANISMS, ORDER
from sendsim.model.metrics import METRICS, STOCKS
from sendsim.model.model import CHILD_FIELDS, COUNTERS
from sendsim.model.recording import Census

MODEL = Path(__file__).parents[1] / "sendsim" / "model"
#: Each layer, and the packages of the model it may not import (at run time).
ABOVE = {
    "core": ("mechanisms", "operations", "institutions", "model", "world", "metrics"),
    "institutions": ("mechanisms", "operations", "model", "world", "metrics"),
    "operations": ("mechanisms", "model", "world", "metrics"),
    "mechanisms": ("model", "world", "metrics"),
}
CORE = (
    "allocator",
    "children",
    "codes",
    "events",
    "levers",
    "mechanism",
    "ops",
    "profile",
    "recording",
    "rng",
)


def runtime_imports(path: Path) -> set[str]:
    """Modules ``path`` imports when it runs (anywhere, functions included), not those it
    imports only for type checking."""
    tree = ast.parse(path.read_text())
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for child in node.body for n in ast.walk(child)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def layer_modules(layer: str) -> list[Path]:
    if layer == "core":
        return [MODEL / f"{name}.py" for name in CORE]
    return sorted((MODEL / layer).glob("*.py"))


@pytest.mark.parametrize("layer", sorted(ABOVE))
def test_layers_import_only_downwards(layer):
    for path in layer_modules(layer):
        for module in runtime_imports(path):
            for above in ABOVE[layer]:
                target = f"sendsim.model.{above}"
                if layer == above or path.stem == "__init__":
                    continue
                assert not (module == target or module.startswith(target + ".")), (
                    f"{path.relative_to(MODEL.parent)} imports {module}"
                )


def test_mechanisms_never_import_each_other():
    for path in layer_modules("mechanisms"):
        if path.stem == "__init__":
            continue
        for module in runtime_imports(path):
            for other in ORDER:
                if other != path.stem:
                    assert not module.startswith(f"sendsim.model.mechanisms.{other}"), (
                        f"mechanisms/{path.name} imports {module}"
                    )


def test_the_import_check_finds_an_import_between_mechanisms(tmp_path):
    """The check above can fail: an import of another mechanism inside a function is found."""
    module = tmp_path / "needs.py"
    module.write_text("def step(model):\n    from sendsim.model.mechanisms import placement\n")
    assert "sendsim.model.mechanisms.placement" in runtime_imports(module)


def test_every_mechanism_module_is_in_the_registry_once():
    modules = {p.stem for p in (MODEL / "mechanisms").glob("*.py")} - {"__init__"}
    assert sorted(ORDER) == sorted(modules)
    assert [m.name for m in MECHANISMS] == list(ORDER)


def test_child_fields_and_metrics_are_declared_once():
    declared = [name for m in MECHANISMS for name in m.fields]
    assert len(declared) == len(set(declared)) == len(CHILD_FIELDS)
    names = [metric.name for metric in METRICS]
    assert len(names) == len(set(names))


def test_each_stock_is_counted_by_exactly_one_mechanism(small_run):
    census = Census(small_run)
    counted = [name for count in COUNTERS for name in count(small_run, census)]
    assert sorted(counted) == sorted(STOCKS)
    assert len(counted) == len(set(counted))


def test_ratios_refer_to_declared_metrics():
    names = {m.name for m in METRICS}
    for metric in METRICS:
        if metric.is_ratio:
            assert {metric.numerator, metric.denominator} <= names, metric.name
