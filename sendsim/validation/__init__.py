"""``sendsim validate``: forecasts of stocks and flows scored against published history and
naive anchors, with interval coverage, and long-run diagnostics of the baseline.

- :mod:`.measures`: what is compared and how it is read from a model;
- :mod:`.forecast`: the draws (parameter and stochastic uncertainty) and their percentiles;
- :mod:`.anchors`: the naive forecasts (persistence, linear, constant growth, national growth);
- :mod:`.scores`: errors, bias and coverage by horizon, and the targets checked;
- :mod:`.longrun`: the baseline of England from January 2022, read every January;
- :mod:`.charts`, :mod:`.page`: the PNG charts, the HTML page and ``docs/validation.md``;
- :mod:`.command`: the command, writing everything.
"""
