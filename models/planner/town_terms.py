"""Per-town shares and "not served" variables shared by the coverage blocks (ambulances, sub-centres).

A coverage block counts the population it leaves unserved: a variable in [0, 1] per town, weighted by
the town's share of the area's residents, so each objective term lies in [0, 1] whatever the size of
the area. The ambulance block also weights travel minutes by the same shares (the mean response, A7).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pulp

from models.naming import name


def population_shares(towns: Iterable[str], population: Mapping[str, float]) -> dict[str, float]:
    """p_t / P for each town (P = the towns' total, or 1 for an area of no residents)."""
    ordered = list(towns)
    total = sum(population[t] for t in ordered) or 1.0
    return {t: population[t] / total for t in ordered}


def town_fractions(problem: pulp.LpProblem, prefix: str, towns: Iterable[str]) -> dict[str, pulp.LpVariable]:
    """One continuous variable in [0, 1] per town, named `prefix[town]`."""
    return {t: problem.add_variable(name(prefix, t), 0, 1) for t in towns}


def share_term(variables: Mapping[str, pulp.LpVariable], shares: Mapping[str, float]) -> pulp.LpAffineExpression:
    """Σ_t share_t · variable_t: the population share a per-town variable stands for."""
    return pulp.LpAffineExpression([(variables[t], shares[t]) for t in variables])
