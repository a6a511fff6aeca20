"""``python -m sendsim.report RESULTS_DIR... --out report.html`` is ``sendsim report ...``."""

from sendsim.report.command import main

main()
