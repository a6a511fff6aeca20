"""``python -m sendsim.bench [options]`` is ``sendsim bench [options]``."""

import argparse
import sys

from sendsim.bench.command import register
from sendsim.errors import EXIT_USAGE, SendsimError


def main(argv: list[str] | None = None) -> None:
    """Parse the ``sendsim bench`` options and run."""
    parser = argparse.ArgumentParser(prog="sendsim")
    register(parser.add_subparsers(required=True))
    ns = parser.parse_args(["bench", *(sys.argv[1:] if argv is None else argv)])
    try:
        ns.handler(ns)
    except SendsimError as err:
        print(f"sendsim: {err}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


if __name__ == "__main__":
    main()
