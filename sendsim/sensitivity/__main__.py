"""``python -m sendsim.sensitivity ARGS`` is ``sendsim sensitivity ARGS``."""

import sys

from sendsim.sensitivity.command import main

main(sys.argv[1:])
