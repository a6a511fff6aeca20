"""Sensitivity analysis of sendsim with SALib: Sobol, Morris and FAST indices of its outputs
over the policy levers and uncertain parameters, as a Hydra app (``sendsim sensitivity``)
whose stages (design, evaluate in chunks, analyze) run locally or as Slurm job arrays.

See ``docs/sensitivity.md``.
"""
