"""The obvious alternative to sendsim's arrays: a plain Mesa 3 model, one agent per child.

Each month every child agent ages a month, draws a Bernoulli event from the model's numpy
generator and adds it to a counter: far less work per child than sendsim does, so the ratio
of the two speeds understates what the array design buys. Agents are stepped in creation order
with ``AgentSet.do`` (``shuffle_do``, the usual choice, is slower still).
"""

from __future__ import annotations

import mesa

EVENT_PROBABILITY = 0.01  # monthly chance of the counted event (any small number will do)


class ChildAgent(mesa.Agent):
    """One child: age in months and a count of monthly events."""

    def __init__(self, model: mesa.Model, age_months: int) -> None:
        super().__init__(model)
        self.age_months = age_months
        self.events = 0

    def step(self) -> None:
        """One month: age, and perhaps an event."""
        self.age_months += 1
        if self.model.rng.random() < EVENT_PROBABILITY:
            self.events += 1
            self.model.events += 1


class OneAgentPerChild(mesa.Model):
    """``n_children`` child agents with ages spread over 0-25 years.

    Args:
        n_children: number of agents.
        seed: seed of the model's numpy generator.
    """

    def __init__(self, n_children: int, seed: int = 1) -> None:
        super().__init__(seed=seed)
        self.events = 0
        ages = self.rng.integers(0, 26 * 12, size=n_children)
        ChildAgent.create_agents(self, n_children, age_months=ages.tolist())

    def step(self) -> None:
        """One month for every child."""
        self.agents.do("step")
