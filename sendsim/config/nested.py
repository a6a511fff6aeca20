"""Reading and comparing nested configurations (resolved configs, stored designs) by dotted key."""

from __future__ import annotations

from typing import Any

FLOAT_TOLERANCE = 1e-12  # numbers closer than this are the same setting (float round trips)


def lookup(config: Any, key: str) -> Any:
    """The value at a dotted ``key`` of a nested dict, or ``None`` where it is absent."""
    node = config
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def differences(a: Any, b: Any, prefix: str = "") -> list[tuple[str, Any, Any]]:
    """``(dotted key, value in a, value in b)`` of every leaf that differs, keys in order of
    first appearance (``a``'s, then those only in ``b``); a key missing on one side is ``None``.
    """
    if isinstance(a, dict) and isinstance(b, dict):
        keys = list(dict.fromkeys([*a, *b]))
        return [d for k in keys for d in differences(a.get(k), b.get(k), f"{prefix}{k}.")]
    return [] if same(a, b) else [(prefix.rstrip("."), a, b)]


def same(a: Any, b: Any) -> bool:
    """Equal values, numbers within :data:`FLOAT_TOLERANCE` (booleans are not numbers)."""
    if _number(a) and _number(b):
        return abs(float(a) - float(b)) <= FLOAT_TOLERANCE
    return a == b


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
