"""``sendsim report``: a self-contained HTML briefing from any set of runs or sweeps."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "write a self-contained HTML board briefing from runs and sweeps"
DESCRIPTION = """\
Build one self-contained HTML report (charts embedded, no network needed, prints to A4) from
the runs under RESULTS_DIR: a run directory (timeseries.parquet, summary.parquet,
run_meta.json), or any directory holding run directories at any depth, such as a Hydra sweep.
Runs of the same scenario.name with different seeds are replicates: the report shows their
median and range. Sensitivity indices (indices.parquet: Sobol, FAST or Morris) found below
RESULTS_DIR add tornado charts. Each chart is also written as PNG and each table as CSV in
a folder beside the page (report.html -> report_files/).
"""
EPILOG = """\
examples:
  sendsim report results/multirun/2025-01-01/10-00-00 --out board.html
  sendsim report sweeps/baseline sweeps/inclusion_push --title "SEND high needs: options"
  sendsim report results/ --area leeds --out leeds.html   (England runs: pick one council)
"""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``report`` command to the ``sendsim`` command's subparsers."""
    parser = subparsers.add_parser(
        "report",
        help=HELP,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "results", nargs="+", metavar="RESULTS_DIR", help="run directories or folders of runs"
    )
    parser.add_argument(
        "--out",
        default="report.html",
        type=Path,
        help="HTML file to write (default: report.html); charts and tables go in "
        "<name>_files/ beside it",
    )
    parser.add_argument("--title", help="title of the report (default: names the area)")
    parser.add_argument(
        "--area",
        help="council to report (ONS code, LA number, name or slug) or 'england'; default: "
        "the England row if every run has one, else the runs' single council",
    )
    parser.set_defaults(handler=run)
    return parser


def run(ns: argparse.Namespace) -> None:
    """Build the whole report in memory, then write the page and its files."""
    from sendsim.report import write_report

    written = write_report(ns.results, ns.out, title=ns.title, area=ns.area)
    folder = written[1].parent
    print(f"wrote {written[0]} and {len(written) - 1} files in {folder}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    """Run ``sendsim report`` with ``argv`` (default: the command line)."""
    from sendsim import cli

    cli.main(["report", *(sys.argv[1:] if argv is None else argv)])
