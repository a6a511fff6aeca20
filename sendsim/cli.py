"""The ``sendsim`` command: run simulations and list what they are made of."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable, Sequence

import polars as pl

import sendsim
from sendsim.errors import ConfigError, SendsimError, reported

DESCRIPTION = """\
sendsim simulates England's SEND system (special educational needs and disabilities) month by
month from January 2022: children's needs, SEN support, EHC needs assessments and plans,
placements, tribunals, NHS therapy waits, and councils' high needs spend and DSG deficits.
"""
EPILOG = """\
examples:
  sendsim run                               the default council, 10 years, whole population
  sendsim run area=leeds run.years=5        any council, by name, slug, ONS code or LA number
  sendsim run area=england population.sample_fraction=0.1
  sendsim run -m run.seed=1,2,3             several runs at once (Hydra multirun)
  sendsim run --help                        every config group and override
  sendsim areas --region "North West"       councils with their codes
  sendsim study experiments/lga_board_2023  run a named study and compare its scenarios
  sendsim report results/default --out board.html   a self-contained board briefing
  sendsim sensitivity sensitivity.method=morris sensitivity.n=10   which levers matter
  sendsim bench --quick                     speed and memory in about a minute
  sendsim levers                            policy levers with defaults, ranges and sources
  sendsim lever-effects                     what each lever does over ten years (measured)
  sendsim calibrate area=leeds train_end=2022   refit a council to its history to January 2022
  sendsim backtest train_end=2022 horizon=3 forecast every council's caseload, vs naive trends
  sendsim validate train_end=2019           score stocks and flows vs naive anchors, long run
  sendsim params --kind uncertain           uncertain parameters
"""


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``sendsim`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    with reported():
        if args and args[0] in HYDRA_COMMANDS:
            HYDRA_COMMANDS[args[0]](args[1:])
            return
        ns = _parser().parse_args(args)
        ns.handler(ns)


def _run(args: list[str]) -> None:
    """Check the arguments (exit 2 on any problem, before anything is written), then run."""
    from sendsim.config import precheck

    args = precheck.prepare(args)
    from sendsim.app import run_app

    sys.argv = ["sendsim run", *args]
    run_app()


def _sensitivity(args: list[str]) -> None:
    from sendsim.sensitivity.command import main as sensitivity_main

    sensitivity_main(args)


HYDRA_COMMANDS: dict[str, Callable[[list[str]], None]] = {
    "run": _run,
    "sensitivity": _sensitivity,
}


def _parser() -> argparse.ArgumentParser:
    from sendsim.backtest import Backtest
    from sendsim.config.commands import CalibrateSettings, StudySettings
    from sendsim.lever_effects import LeverEffects
    from sendsim.validation.settings import Validate

    parser = argparse.ArgumentParser(
        prog="sendsim",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"sendsim {sendsim.__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    sub.add_parser("run", help="simulate an area (Hydra overrides follow; --help for them)")
    sub.add_parser(
        "sensitivity",
        help="Sobol, Morris or FAST indices of the outputs over levers and parameters "
        "(Hydra overrides follow; --help for them)",
    )
    areas = sub.add_parser("areas", help="list the 153 councils with their codes")
    areas.add_argument("--region", help="only councils in this region")
    areas.set_defaults(handler=_areas)
    _settings_command(
        sub,
        "study",
        _study,
        "run a named study (experiments/NAME) and compare",
        StudySettings,
        path="the study folder, e.g. experiments/lga_board_2023",
    )
    levers = sub.add_parser("levers", help="list the policy levers: default, range, unit, source")
    levers.add_argument(
        "--effects", action="store_true", help="also list the uncertain sizes of their effects"
    )
    levers.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    levers.add_argument("--markdown", action="store_true", help="print a markdown table")
    levers.set_defaults(handler=_levers)
    _settings_command(
        sub,
        "lever-effects",
        _lever_effects,
        "measure what each policy lever does over ten years: the default council and England, "
        "several seeds each",
        LeverEffects,
    )
    _settings_command(
        sub,
        "calibrate",
        _calibrate,
        "fit councils to their published history up to a year and store the fit",
        CalibrateSettings,
    )
    _settings_command(
        sub,
        "backtest",
        _backtest,
        "forecast every council's EHCP caseload from data up to a year, vs naive trends",
        Backtest,
    )
    _settings_command(
        sub,
        "validate",
        _validate,
        "score forecasts of stocks and flows against history and naive anchors; long-run "
        "diagnostics",
        Validate,
    )
    params = sub.add_parser("params", help="list every parameter: default, range, unit, source")
    params.add_argument("--kind", choices=("policy", "uncertain", "setting"), help="only this kind")
    params.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    params.set_defaults(handler=_params)
    from sendsim.bench.command import register as register_bench
    from sendsim.report.command import register as register_report

    register_report(sub)
    register_bench(sub)
    return parser


def _settings_command(
    sub: argparse._SubParsersAction,
    name: str,
    handler: Callable,
    summary: str,
    schema: type,
    **positionals: str,
) -> None:
    """A command whose settings are ``key=value`` arguments declared by ``schema``, after
    the ``positionals`` (name: help)."""
    from sendsim.config.commands import describe

    parser = sub.add_parser(
        name,
        help=summary,
        description=f"{summary}.\n\n{describe(schema)}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    for positional, text in positionals.items():
        parser.add_argument(positional, help=text)
    parser.add_argument("settings", nargs="*", metavar="KEY=VALUE")
    parser.set_defaults(handler=handler, schema=schema)


def _areas(ns: argparse.Namespace) -> None:
    from sendsim.data.areas import load_councils

    frame = load_councils().select(
        "la_code", "la_number", "la_name", "slug", "region", "icb_name", "pop_0_25", "ehcp_total"
    )
    if ns.region:
        frame = frame.filter(pl.col("region").str.to_lowercase() == ns.region.lower())
        if frame.is_empty():
            regions = sorted(set(load_councils()["region"]))
            raise SendsimError(f"no region '{ns.region}'; regions are {', '.join(regions)}")
    _print(frame, csv=False)


def _params(ns: argparse.Namespace) -> None:
    from sendsim.config.tables import param_table

    table = param_table()
    if ns.kind:
        table = table.filter(pl.col("kind") == ns.kind)
    _print(table, csv=ns.csv)


def _study(ns: argparse.Namespace) -> None:
    from pathlib import Path

    from sendsim.config.commands import parse_settings
    from sendsim.study import run_study

    settings = parse_settings(ns.schema, ns.settings)
    out = run_study(ns.path, Path(settings.out), jobs=settings.jobs)
    print((out / "comparison.md").read_text())


def _levers(ns: argparse.Namespace) -> None:
    from sendsim.config.tables import lever_table, markdown

    table = lever_table(effects=ns.effects)
    if ns.markdown:
        print(markdown(table))
        return
    _print(table, csv=ns.csv)


def _lever_effects(ns: argparse.Namespace) -> None:
    from sendsim.config.commands import parse_settings
    from sendsim.config.tables import markdown
    from sendsim.lever_effects import measure

    table = measure(parse_settings(ns.schema, ns.settings))
    print(markdown(table))


def _calibrate(ns: argparse.Namespace) -> None:
    from pathlib import Path

    import polars as pl

    from sendsim import calibration
    from sendsim.config.commands import parse_settings

    settings = parse_settings(ns.schema, ns.settings)
    given = dataclasses.asdict(settings)
    year = given.pop("train_end")
    out = Path(given.pop("out") or calibration.user_fit_dir())
    table = calibration.fit(year, **given)
    path = calibration.store(table, year, out)
    with pl.Config(tbl_hide_dataframe_shape=True, tbl_hide_column_data_types=True, tbl_rows=-1):
        print("the first year against the published figures (errors in %; pp for rates):")
        print(calibration.diagnostics(table))
    print(f"stored the fit of {table.height} councils to {year} in {path}")
    print(f"runs starting in {year} use it with run.fit={path}")


def _backtest(ns: argparse.Namespace) -> None:
    from sendsim.backtest import write
    from sendsim.config.commands import parse_settings
    from sendsim.config.precheck import unwritable

    spec = parse_settings(ns.schema, ns.settings)
    out = spec.folder()
    problem = unwritable(out)  # before minutes of runs, not after
    if problem:
        raise ConfigError([f"out={out}: {problem}"])
    _, scores = write(spec, out)
    print(f"wrote {out / 'backtest.parquet'}")
    if scores.height:
        _print(scores, csv=False)


def _validate(ns: argparse.Namespace) -> None:
    from sendsim.config.commands import parse_settings
    from sendsim.config.precheck import unwritable
    from sendsim.validation import command, intervals
    from sendsim.validation.settings import DOCS

    spec = parse_settings(ns.schema, ns.settings)
    out = spec.folder()
    folders = {f"out={out}": out} | ({"docs=true": DOCS} if spec.docs else {})
    folders |= {"record=true": intervals.RECORD.parent} if spec.record else {}
    problems = [f"{given}: {why}" for given, path in folders.items() if (why := unwritable(path))]
    if spec.record and not spec.national:
        problems.append("record=true: needs area=england (the record holds every council)")
    if problems:  # before minutes of runs, not after
        raise ConfigError(problems)
    outcome = command.run(spec)
    command.write(spec, outcome, out)
    print(f"wrote {out / 'validation.html'} and the scores in {out / 'validation.parquet'}")
    _print(outcome.targets, csv=False)


def _print(frame: pl.DataFrame, csv: bool) -> None:
    if csv:
        sys.stdout.write(frame.write_csv())
        return
    with pl.Config(
        tbl_rows=-1,
        tbl_cols=-1,
        fmt_str_lengths=160,
        tbl_width_chars=200,
        tbl_hide_dataframe_shape=True,
        tbl_hide_column_data_types=True,
    ):
        print(frame)


if __name__ == "__main__":
    main()
