"""Rewrite the regression baseline on purpose: ``python -m tests.regression.update_baseline``.

The baseline holds model-derived values (not external estimates) of a fixed small run; a
change in any of them shows in the diff of ``baseline.json`` for review.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_regression import BASELINE, summarise

if __name__ == "__main__":
    Path(BASELINE).write_text(json.dumps(summarise(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {BASELINE}")
