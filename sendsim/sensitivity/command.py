"""``sendsim sensitivity``: check the arguments, then hand them to the Hydra app.

Every override is checked before Hydra starts (each value of a sweep too), so bad input exits
with code 2, one message and nothing written.
"""

from __future__ import annotations

import sys

from hydra.core.override_parser.overrides_parser import OverridesParser

from sendsim.errors import ConfigError, reported
from sendsim.sensitivity.config import CONFIG_NAME, SensitivityConfig, SensitivityRoot, register


def main(args: list[str]) -> None:
    """Run ``sendsim sensitivity ARGS`` (Hydra overrides and flags such as ``-m``)."""
    from sendsim.config import precheck

    register()
    with reported():
        args = precheck.prepare(args, config_name=CONFIG_NAME, schema=SensitivityRoot)
        check_chunk_sweep([a for a in args if not a.startswith("-")])
    from sendsim.sensitivity.app import sensitivity_app

    sys.argv = ["sendsim sensitivity", *args]
    sensitivity_app()


def check_chunk_sweep(overrides: list[str]) -> None:
    """Every swept ``sensitivity.chunk`` must be below ``sensitivity.chunks`` (``ConfigError``).

    The composed-config check sees only a sweep's first value; this sees them all.
    """
    parsed = {
        o.key_or_group: o
        for o in OverridesParser.create().parse_overrides(overrides)
        if o.key_or_group in ("sensitivity.chunk", "sensitivity.chunks")
    }
    sweep = parsed.get("sensitivity.chunk")
    if sweep is None or not sweep.is_sweep_override():
        return
    chunks = parsed.get("sensitivity.chunks")
    n_chunks = chunks.value() if chunks is not None else SensitivityConfig().chunks
    if not isinstance(n_chunks, int):
        return  # a swept chunks: each job's own check reports a bad pair
    bad = [v for v in sweep.sweep_iterator() if isinstance(v, int) and v >= n_chunks]
    if bad:
        raise ConfigError(
            [f"sensitivity.chunk={bad[0]}: chunks are 0 to {n_chunks - 1} (sensitivity.chunks)"]
        )


if __name__ == "__main__":
    main(sys.argv[1:])
