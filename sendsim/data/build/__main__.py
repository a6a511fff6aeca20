"""``python -m sendsim.data.build`` rebuilds the processed tables."""

from sendsim.data.build import main

main()
