"""The exact p-median solver's phases, each checked against brute force, and two OR-Library optima it needs them for."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from benchmarks.workloads.mip import solve_p_median_planner
from benchmarks.workloads.orlib import PMED_DIR, benchmarks_folder, load_pmed, p_median_inputs
from models.location.exact import SolveOutcome
from models.location.exact.p_median_lagrangian import (
    Restriction,
    initial_multipliers,
    lagrangian_fixing,
    lagrangian_tree_search,
    reduced_costs,
    subgradient,
)
from models.location.p_median import PMedianInputs, build_p_median_model, p_median_cost
from optimizer.inputs.solver_settings import SolverSettings
from tests.support import ROOT, TOL

ORLIB = benchmarks_folder(ROOT.parent / "shared" / "benchmarks")
"""The OR-Library folder: $SHARED_BENCHMARKS, else ../shared/benchmarks next to the repository."""
needs_pmed = pytest.mark.skipif(
    not (ORLIB / PMED_DIR / "pmed1.txt").is_file(),
    reason=f"OR-Library pmed files not found in {ORLIB} (set SHARED_BENCHMARKS)",
)


def settings(solver: str = "highs") -> SolverSettings:
    return SolverSettings(name=solver, time_limit_s=60, mip_rel_gap=0.0, threads=1, fallback=False)  # type: ignore[arg-type]


def brute_force(cost: np.ndarray, p: int) -> tuple[float, set[tuple[int, ...]]]:
    """Least cost over every p-subset of columns, and every subset that reaches it."""
    values = {c: float(cost[:, list(c)].min(axis=1).sum()) for c in itertools.combinations(range(cost.shape[1]), p)}
    best = min(values.values())
    return best, {c for c, v in values.items() if v <= best + TOL}


def test_reduced_costs_match_their_definition() -> None:
    rng = np.random.default_rng(0)
    cost, lam = rng.uniform(0, 10, size=(6, 4)), rng.uniform(0, 10, size=6)
    expected = [sum(min(0.0, cost[i, j] - lam[i]) for i in range(6)) for j in range(4)]
    assert reduced_costs(cost, lam) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("p", [1, 2, 3])
def test_tree_search_finds_and_proves_the_optimum_from_a_useless_upper_bound(seed: int, p: int) -> None:
    # integer costs and a bound no solution reaches: the tree must find the optimum itself, and every
    # node it prunes must be pruned rightly, or the answer would be worse than brute force
    rng = np.random.default_rng(seed)
    cost = rng.integers(0, 40, size=(10, 8)).astype(float)
    best, _ = brute_force(cost, p)
    useless = float(cost.max(axis=1).sum()) + 1
    root = lagrangian_fixing(cost, p, useless, integer_costs=True, max_iterations=50)
    tree = lagrangian_tree_search(cost, p, useless, root, integer_costs=True, deadline=float("inf"))
    assert tree.complete
    assert tree.upper == pytest.approx(best, abs=TOL)
    assert float(cost[:, list(tree.sites)].min(axis=1).sum()) == pytest.approx(best, abs=TOL)
    assert root.bound <= best + TOL


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("rank", [1, 3, 10])
def test_reduced_cost_fixing_keeps_every_solution_better_than_the_bound(seed: int, rank: int) -> None:
    # the bound handed in is the rank-th best value, so there are solutions better than it to lose
    rng = np.random.default_rng(100 + seed)
    cost = rng.uniform(0, 30, size=(9, 9)).round(1)
    values = {c: float(cost[:, list(c)].min(axis=1).sum()) for c in itertools.combinations(range(9), 3)}
    upper = sorted(set(values.values()))[rank]
    result = subgradient(
        cost,
        3,
        upper,
        initial_multipliers(cost),
        Restriction(np.ones(9, bool), np.zeros(9, bool)),
        integer_costs=False,
        max_iterations=500,
        price_every=0,
    )
    assert result.bound <= min(values.values()) + TOL
    better = [c for c, v in values.items() if v < upper - TOL]
    assert len(better) >= rank
    for sites in better:
        assert not set(sites) & set(np.flatnonzero(result.closed).tolist())
        assert set(np.flatnonzero(result.proven_open).tolist()) <= set(sites)


@pytest.mark.parametrize("tree_search", [True, False], ids=["tree", "mip"])
@pytest.mark.parametrize("seed", range(4))
def test_every_path_of_the_solver_matches_brute_force_on_weighted_instances(seed: int, tree_search: bool) -> None:
    rng = np.random.default_rng(seed)
    n, m, p = 12, 9, 3
    dist = rng.uniform(0, 20, size=(n, m)).round(1)
    weight = rng.uniform(1, 5, size=n).round(2)
    inputs = PMedianInputs(tuple(range(n)), tuple(f"s{j}" for j in range(m)), weight, dist, p)
    best, _ = brute_force(weight[:, None] * dist, p)
    result = solve_p_median_planner(inputs, settings(), tree_search=tree_search)
    assert result.outcome is SolveOutcome.OPTIMAL
    assert result.objective == pytest.approx(best, abs=TOL)
    assert p_median_cost(inputs, result.open_sites) == pytest.approx(best, abs=TOL)
    assert result.bound <= best + TOL


def test_mip_start_prices_the_solution_exactly_and_is_feasible() -> None:
    rng = np.random.default_rng(5)
    inputs = PMedianInputs(
        tuple(range(8)), tuple(range(6)), rng.uniform(1, 3, 8), rng.uniform(0, 9, (8, 6)).round(0), 2, "radius"
    )
    model = build_p_median_model(inputs)
    model.set_start([1, 4])
    assert model.problem.objective.value() == pytest.approx(p_median_cost(inputs, [1, 4]), abs=TOL)
    assert all(c.valid(1e-9) for c in model.problem.constraints())
    assert model.open_sites() == [1, 4]


@needs_pmed
@pytest.mark.parametrize("name", ["pmed6", "pmed10"])
def test_hard_pmed_instances_reach_the_known_optimum_through_the_tree(name: str) -> None:
    # pmed6: p = 5, LP bound 0.5 % below the optimum (the radius MIP took 21 s); pmed10: p = 67, where
    # the root leaves a gap of a few units that the tree closes
    instance = load_pmed(name, ORLIB)
    inputs = p_median_inputs(instance)
    result = solve_p_median_planner(inputs, settings())
    assert result.outcome is SolveOutcome.OPTIMAL
    assert result.objective == instance.known_optimum
    assert p_median_cost(inputs, result.open_sites) == instance.known_optimum
    assert result.tree_nodes > 0 and not result.mip_solved  # the root alone did not prove it; the tree did
