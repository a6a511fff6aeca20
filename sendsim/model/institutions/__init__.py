"""Institutions as Mesa agents over columnar tables: councils, ICBs and schools.

Each type keeps its state in a table of numpy arrays (one row per institution, ``model.councils``,
``model.icbs``, ``model.schools``, ``model.specials``, ``model.iss``) so that decisions act on
all of them at once, and its decisions are methods of its agent class: a decision every
institution of a type takes together each month is a class method acting on the table; a
decision each takes on its own, once a year, is an instance method called through the type's
Mesa AgentSet (``model.agents_by_type[Council].do(...)``).
"""
