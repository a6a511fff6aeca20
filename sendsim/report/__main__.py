"""``python -m sendsim.report RESULTS_DIR... --out report.html``."""

from sendsim.report.command import main

main()
