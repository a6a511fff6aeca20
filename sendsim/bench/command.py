"""The ``sendsim bench`` command line: measure, profile or draw the scaling curve."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sendsim.errors import SendsimError

DESCRIPTION = """\
Measure sendsim's speed and memory. Each configuration runs in a fresh process and is timed
after a warm-up with the garbage collector off: building the model (init), running it, and the
process's peak memory (RSS). Speed is in child-months per second (children simulated x months,
over the run's seconds). A plain Mesa 3 model with one agent per child is timed on a sample
and scaled linearly for comparison. Results are printed with the performance targets and
written to bench.json.

The full benchmark (default council, largest council, England at 1 in 10 and whole, 10 years
each) takes about 6 minutes on an idle two-core machine and 3 GB; --quick takes under a
minute; --scaling about 3 minutes.
"""
EPILOG = """\
examples:
  sendsim bench --quick                        about a minute: default council, England 1 in 50
  sendsim bench --out results/bench.json       the full benchmark
  sendsim bench --scaling                      time and memory vs population -> docs/scaling.*
  sendsim bench --profile default_council      where the time goes (needs pyinstrument)
"""


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``bench`` command to the ``sendsim`` command's subparsers."""
    parser = subparsers.add_parser(
        "bench",
        help="measure speed and memory (child-months per second, peak RSS), vs Mesa",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    what = parser.add_mutually_exclusive_group()
    what.add_argument(
        "--quick",
        action="store_true",
        help="a reduced benchmark of about a minute (no full England)",
    )
    what.add_argument(
        "--scaling",
        action="store_true",
        help="England at several sample fractions: writes scaling.csv, scaling.png and the "
        "measured section of performance.md in --docs",
    )
    what.add_argument(
        "--profile",
        metavar="CONFIG",
        help="profile one configuration (default_council, largest_council, england_0_1, "
        "england_full, england_0_02) and write profile-CONFIG.html/.txt to --profile-dir",
    )
    parser.add_argument(
        "--out",
        type=Path,
        metavar="PATH",
        default=Path("bench.json"),
        help="results file (default: bench.json)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        metavar="N",
        default=1,
        help="runs of each configuration; medians are kept",
    )
    parser.add_argument(
        "--years",
        type=int,
        metavar="N",
        help="years per run for --scaling (default 2) and --profile",
    )
    parser.add_argument(
        "--fractions",
        type=_fractions,
        metavar="LIST",
        help="sample fractions for --scaling, comma-separated (default 0.01,0.02,...,0.5,1)",
    )
    parser.add_argument(
        "--docs",
        type=Path,
        metavar="DIR",
        default=Path("docs"),
        help="folder for --scaling output (default docs)",
    )
    parser.add_argument(
        "--profile-dir",
        type=Path,
        metavar="DIR",
        default=Path("."),
        help="folder for --profile output",
    )
    parser.set_defaults(handler=handle)
    return parser


def handle(ns: argparse.Namespace) -> None:
    """Run what the options ask for (``SendsimError`` on a bad value)."""
    from sendsim.bench import harness

    if ns.repeat < 1:
        raise SendsimError(f"--repeat {ns.repeat}: must be at least 1")
    if ns.years is not None and ns.years < 1:
        raise SendsimError(f"--years {ns.years}: must be at least 1")
    if ns.profile:
        _profile(ns)
    elif ns.scaling:
        from sendsim.bench import scaling

        fractions = ns.fractions or scaling.FRACTIONS
        scaling.run_scaling(fractions, ns.years or scaling.DEFAULT_YEARS, ns.docs)
    else:
        plan = harness.quick_plan if ns.quick else harness.full_plan
        harness.run_plan(plan(ns.repeat), ns.out)


def _profile(ns: argparse.Namespace) -> None:
    from sendsim.bench.harness import all_configurations
    from sendsim.bench.profiling import profile

    configs = all_configurations()
    if ns.profile not in configs:
        raise SendsimError(
            f"--profile {ns.profile}: no such configuration; choose from {', '.join(configs)}"
        )
    print(profile(configs[ns.profile], ns.profile_dir, ns.years))


def _fractions(text: str) -> tuple[float, ...]:
    """Comma-separated sample fractions, each in (0, 1]."""
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"'{text}' is not a list of numbers") from err
    if not all(0 < v <= 1 for v in values):
        raise argparse.ArgumentTypeError(f"'{text}': each fraction must be in (0, 1]")
    return values
