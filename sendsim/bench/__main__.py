"""``python -m sendsim.bench [options]`` is ``sendsim bench [options]``."""

import sys

from sendsim import cli


def main(argv: list[str] | None = None) -> None:
    """Run ``sendsim bench`` with ``argv`` (default: the command line)."""
    cli.main(["bench", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
