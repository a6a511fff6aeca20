"""Exit 0 if sensitivity study folders hold identical results, else 1 naming what differs.

Usage: python tests/slurm/same_results.py REFERENCE OTHER [OTHER...]

Compares the design, every chunk file, the merged results and the indices exactly (values,
NaNs, column names and types).
"""

from __future__ import annotations

import sys
from pathlib import Path

import polars as pl

FILES = ("design.parquet", "results.parquet", "indices.parquet", "convergence.parquet")


def differences(reference: Path, other: Path) -> list[str]:
    """Files of ``reference`` missing from ``other`` or with different contents."""
    chunks = sorted(p.relative_to(reference) for p in (reference / "chunks").glob("*.parquet"))
    if not chunks:
        return [f"{reference}: no chunk files"]
    out = []
    for name in [*FILES, *map(str, chunks)]:
        a, b = reference / name, other / name
        if not b.exists():
            out.append(f"{b}: missing")
        elif not pl.read_parquet(a).equals(pl.read_parquet(b), null_equal=True):
            out.append(f"{b}: differs from {a}")
    extra = {p.name for p in (other / "chunks").glob("*.parquet")} - {c.name for c in chunks}
    out += [f"{other / 'chunks' / e}: not in {reference}" for e in sorted(extra)]
    return out


def main(folders: list[str]) -> int:
    reference, *others = map(Path, folders)
    problems = [p for other in others for p in differences(reference, other)]
    for problem in problems:
        print(f"DIFFERENT: {problem}")
    if not problems:
        n = len(list((reference / "chunks").glob("*.parquet")))
        print(f"identical: design, {n} chunks, results, indices, convergence ({len(folders)} runs)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
