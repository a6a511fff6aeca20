"""The one door for randomness: named, keyed streams giving common random numbers.

A child's draw for a decision depends only on (seed, decision name, month, child id), never on
which other children were eligible or how many there were. Two scenarios run with the same seed
therefore differ only through their mechanisms, and a change confined to one council cannot
shift the draws of another council's children.
"""

from __future__ import annotations

import zlib
from functools import lru_cache

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 2.0**-53


@lru_cache(maxsize=4096)
def _key(*parts: int | str) -> int:
    """A stable 64-bit key from names and integers (``hash()`` differs between processes)."""
    acc = 0x243F6A8885A308D3
    for part in parts:
        value = zlib.crc32(part.encode()) if isinstance(part, str) else int(part)
        acc = _splitmix_scalar(acc ^ (value & 0xFFFFFFFFFFFFFFFF))
    return acc


def _splitmix_scalar(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


class Streams:
    """Named random streams for one run.

    Args:
        seed: the run's seed (``run.seed``).
    """

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)

    def uniform(self, name: str, ids: np.ndarray, step: int = 0) -> np.ndarray:
        """Uniform draws in [0, 1), one per child id, for decision ``name`` in month ``step``.

        A counter-based generator (SplitMix64 finaliser over the id), so the cost is
        proportional to the number of children asked about.
        """
        if ids.size == 0:
            return np.empty(0)
        x = ids.astype(np.uint64, copy=True)
        x *= _GOLDEN
        x += np.uint64(_key(self.seed, name, step))
        x ^= x >> np.uint64(30)
        x *= _M1
        x ^= x >> np.uint64(27)
        x *= _M2
        x ^= x >> np.uint64(31)
        x >>= np.uint64(11)
        return x.astype(np.float64) * _TO_UNIT

    def exponential(self, name: str, ids: np.ndarray, step: int = 0) -> np.ndarray:
        """Exponential draws (mean 1), one per child id: thresholds of event clocks."""
        return -np.log1p(-self.uniform(name, ids, step))

    def generator(self, name: str, *keys: int) -> np.random.Generator:
        """A numpy Generator for draws about groups (a council's births this month, say)."""
        return np.random.Generator(np.random.PCG64(_key(self.seed, name, *keys)))
