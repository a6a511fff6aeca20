"""Benchmarks of sendsim: speed, memory and scaling, and a one-agent-per-child Mesa baseline.

``sendsim bench`` (see :mod:`sendsim.bench.command`) measures each configuration in a fresh
process and writes ``bench.json``; ``--scaling`` draws time and memory against population
size; ``--profile CONFIG`` shows where a run's time goes. ``docs/performance.md`` explains the
figures and how to size a run.
"""
