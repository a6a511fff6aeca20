"""Property-based fuzzing of the command line: whatever the overrides, ``sendsim run`` ends with
exit 0, or exit 2 with a message and nothing written; never a traceback."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sendsim import cli
from sendsim.config import store, validate

SHORT = ["area=rutland", "run.years=1", "population.sample_fraction=0.05"]
KEYS = sorted(validate.PARAMS) + list(store.GROUPS) + ["run.yeers", "nonsense", "+run.extra"]
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["nan", "inf", "-inf", "1e999", "0", "-0.0", "2"]),
)
TEXT = st.text(min_size=0, max_size=12)
MALFORMED = st.sampled_from(
    ["", "[", "]", "1,", ",", "(", "range(", "range(1,2,0)", "glob(", "choice()", "'", '"',
     "${oops}", "${run.seed}", "{a:1}", "[a,[b]", "interval(0,1)", "null", "true", "=", "a=b"]
)  # fmt: skip
SWEEPS = st.lists(NUMBERS, min_size=2, max_size=3).map(",".join)
VALUES = st.one_of(NUMBERS, TEXT, MALFORMED, SWEEPS)


@contextlib.contextmanager
def empty_folder() -> Iterator[Path]:
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        try:
            yield Path(folder)
        finally:
            os.chdir(cwd)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(key=st.sampled_from(KEYS), value=VALUES, multirun=st.booleans())
def test_any_override_ends_in_exit_0_or_2_with_nothing_written(capsys, key, value, multirun):
    with empty_folder() as folder:
        args = ["run", *(["-m"] if multirun else []), *SHORT, f"{key}={value}"]
        try:
            cli.main([*args, "hydra.run.dir=out", "hydra.sweep.dir=out"])
            code = 0
        except SystemExit as stop:
            code = stop.code
        err = capsys.readouterr().err
        assert code in (0, 2), err
        assert "Traceback" not in err
        if code == 2:
            assert err.startswith("sendsim: ") and list(folder.iterdir()) == [], err


@pytest.mark.parametrize(
    "override",
    ["scenario.name=${oops}", "run.seed=${run.years}", "scenario.description=${oops:x}"],
)
def test_interpolations_in_overrides_are_checked_not_raised(capsys, override):
    with empty_folder() as folder:
        with pytest.raises(SystemExit) as stop:
            cli.main(["run", *SHORT, override, "hydra.run.dir=out"])
        assert stop.value.code == 2 and list(folder.iterdir()) == []
