"""``python -m sendsim`` is the ``sendsim`` command."""

from sendsim.cli import main

main()
