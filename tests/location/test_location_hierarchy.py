"""Hierarchy rules (sub-centre referral and the three-tier emergency network) against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pulp
import pytest

from models.location.location_common import LocationInputError
from models.naming import ConstraintRegistry
from models.planner.hierarchy import (
    HierarchyInputs,
    HierarchyModelInputs,
    Node,
    add_hierarchy_constraints,
    build_hierarchy_model,
    emergency_network_inputs,
    reach_from_distance,
)
from tests.location.location_cases import SEEDS, run
from tests.support import SOLVERS, TOL


def feasible(rules: HierarchyInputs, opened: set[Node]) -> bool:
    if rules.assignment and any(not set(rules.assignment[t]) & opened for t in rules.towns):
        return False
    for reach in rules.cover.values():
        if any(not set(reach.get(t, ())) & opened for t in rules.towns):
            return False
    return all(set(parents) & opened for v, parents in rules.parents.items() if v in opened)


def brute(inputs: HierarchyModelInputs) -> float:
    nodes = sorted(inputs.open_cost)
    best = np.inf
    for k in range(len(nodes) + 1):
        for chosen in itertools.combinations(nodes, k):
            opened = set(chosen)
            if set(inputs.existing) <= opened and feasible(inputs.rules, opened):
                best = min(best, sum(inputs.open_cost[n] for n in chosen))
    return float(best)


def subcentre_case(seed: int) -> HierarchyModelInputs:
    """6 towns, 4 candidate sub-centres, 2 candidate hospitals on a 30 km square."""
    rng = np.random.default_rng(seed)
    towns = tuple(f"t{i}" for i in range(6))
    subs: list[Node] = [("subcentre", f"s{j}") for j in range(4)]
    hosps: list[Node] = [("hospital", f"h{j}") for j in range(2)]
    town_xy, sub_xy, hosp_xy = (
        rng.uniform(0, 30, (6, 2)),
        rng.uniform(0, 30, (4, 2)),
        rng.uniform(0, 30, (2, 2)),
    )
    town_sub = np.linalg.norm(town_xy[:, None] - sub_xy[None], axis=2)
    town_sub[np.arange(6), np.argmin(town_sub, axis=1)] = 0.0  # every town has a sub-centre in reach
    sub_hosp = np.linalg.norm(sub_xy[:, None] - hosp_xy[None], axis=2)
    assignment = reach_from_distance(towns, subs, town_sub, 15.0)
    parents = {s: tuple(h for h, d in zip(hosps, sub_hosp[i], strict=True) if d <= 20.0) for i, s in enumerate(subs)}
    cost = {n: float(rng.integers(1, 10)) for n in subs + hosps}
    return HierarchyModelInputs(HierarchyInputs(towns, assignment=assignment, parents=parents), cost)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("seed", SEEDS)
def test_subcentre_hierarchy_matches_brute_force(solver: str, seed: int) -> None:
    inputs = subcentre_case(seed)
    best = brute(inputs)
    assert np.isfinite(best), f"seed {seed} draws an infeasible hierarchy"
    model = build_hierarchy_model(inputs)
    report = run(model.problem, solver)
    opened = set(model.open_nodes())
    assert report.objective == pytest.approx(best, abs=TOL)
    assert feasible(inputs.rules, opened)
    for (town, node), var in model.handles.assign.items():
        if (var.varValue or 0) > 0.5:
            assert node in opened and node in inputs.rules.assignment[town]


def emergency_case(seed: int) -> HierarchyModelInputs:
    """5 rural towns; 1 county emergency centre (existing), 2 CTHC and 3 THC candidates on 40 km."""
    rng = np.random.default_rng(seed)
    towns = tuple(f"town{i}" for i in range(5))
    nodes: list[Node] = [
        ("cec", "c0"),
        ("cthc", "m0"),
        ("cthc", "m1"),
        ("thc", "p0"),
        ("thc", "p1"),
        ("thc", "p2"),
    ]
    town_xy, node_xy = rng.uniform(0, 40, (5, 2)), rng.uniform(0, 40, (6, 2))
    town_node = np.linalg.norm(town_xy[:, None] - node_xy[None], axis=2)
    node_node = np.linalg.norm(node_xy[:, None] - node_xy[None], axis=2)
    for t in range(5):  # guarantee a THC-level node within 10 km of every town
        j = 1 + int(np.argmin(town_node[t, 1:]))
        town_node[t, j] = min(town_node[t, j], 8.0)
    rules = emergency_network_inputs(towns, nodes, town_node, node_node, link_limit_km={"cthc": 60.0, "thc": 30.0})
    cost = {n: {"cec": 0.0, "cthc": 5.0, "thc": 2.0}[n[0]] for n in nodes}
    return HierarchyModelInputs(rules, cost, existing=(("cec", "c0"),))


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("seed", SEEDS)
def test_emergency_network_matches_brute_force(solver: str, seed: int) -> None:
    inputs = emergency_case(seed)
    best = brute(inputs)
    assert np.isfinite(best)
    model = build_hierarchy_model(inputs)
    report = run(model.problem, solver)
    assert report.objective == pytest.approx(best, abs=TOL)
    assert feasible(inputs.rules, set(model.open_nodes()))
    assert {"cover_network", "cover_primary", "link", "link_open"} <= model.registry.families()


def test_rules_added_to_an_existing_problem_bind_its_variables() -> None:
    # A planner model that wants to open only the cheap site "s1" is forced by the rule to open "s0".
    problem = pulp.LpProblem("planner", pulp.LpMinimize)
    open_vars = {("subcentre", s): problem.add_variable(f"open_{s}", 0, 1, cat=pulp.LpBinary) for s in ("s0", "s1")}
    problem += pulp.LpAffineExpression([(open_vars[("subcentre", "s0")], 5.0), (open_vars[("subcentre", "s1")], 1.0)])
    rules = HierarchyInputs(("a", "b"), assignment={"a": (("subcentre", "s0"),), "b": (("subcentre", "s1"),)})
    registry = ConstraintRegistry()
    add_hierarchy_constraints(problem, open_vars, rules, registry)
    report = run(problem, "highs")
    assert report.objective == pytest.approx(6.0, abs=TOL)
    assert any(tag.family == "assign" and tag.area == "a" for tag in registry.tags.values())


def test_missing_reach_and_variables_are_reported_together() -> None:
    problem = pulp.LpProblem("planner", pulp.LpMinimize)
    rules = HierarchyInputs(("a", "b"), assignment={"a": (("subcentre", "s0"),), "b": ()})
    with pytest.raises(LocationInputError) as info:
        add_hierarchy_constraints(problem, {}, rules, ConstraintRegistry())
    assert "1 town(s) have no sub-centre within their radius" in str(info.value)
    assert "open_vars has no variable for nodes" in str(info.value)


def test_towns_served_only_by_orphan_nodes_are_reported_before_the_solve() -> None:
    # "t" can only use THC "p0", and "p0" has no CTHC within its link limit: infeasible, said up front.
    rules = HierarchyInputs(("t",), cover={"primary": {"t": (("thc", "p0"),)}}, parents={("thc", "p0"): ()})
    with pytest.raises(LocationInputError, match=r"cover 'primary': 1 town\(s\) can only be served by nodes"):
        build_hierarchy_model(HierarchyModelInputs(rules, {("thc", "p0"): 1.0}))
