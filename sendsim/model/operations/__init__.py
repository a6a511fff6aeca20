"""Operations several mechanisms share: a child arrives or leaves, a need appears, a case
opens, a plan is issued or ceases, a setting is named, a remedy is given.

Mechanisms call these; these never call mechanisms. Each works on a vector of children.
"""
