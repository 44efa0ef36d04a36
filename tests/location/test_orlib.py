"""OR-Library loaders (traps and error messages) and known optima of small pmed / pmedcap instances."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from benchmarks.workloads.mip import solve_p_median_planner
from benchmarks.workloads.orlib import (
    PMED_DIR,
    PMEDCAP_DIR,
    benchmarks_folder,
    capacitated_inputs,
    load_pmed,
    load_pmed_optima,
    load_pmedcap,
    p_median_inputs,
    parse_pmed_graph,
)
from models.location.capacitated_p_median import build_capacitated_p_median_model, capacitated_cost
from models.location.exact import greedy_interchange, lagrangian_fixing
from models.location.p_median import PMedianInputs, build_p_median_model, p_median_cost
from models.outcome import SolveOutcome
from optimizer.errors import DataError
from optimizer.inputs.solver_settings import SolverSettings
from optimizer.solving.solve import solve
from tests.support import ROOT, SOLVERS, TOL

ORLIB = benchmarks_folder(ROOT.parent / "shared" / "benchmarks")
"""The OR-Library folder: $SHARED_BENCHMARKS, else ../shared/benchmarks next to the repository."""
HAVE_PMED = (ORLIB / PMED_DIR / "pmed1.txt").is_file()
HAVE_PMEDCAP = (ORLIB / PMEDCAP_DIR / "pmedcap01.txt").is_file()
needs_pmed = pytest.mark.skipif(
    not HAVE_PMED, reason=f"OR-Library pmed files not found in {ORLIB} (set SHARED_BENCHMARKS)"
)
needs_pmedcap = pytest.mark.skipif(
    not HAVE_PMEDCAP,
    reason=f"OR-Library pmedcap files not found in {ORLIB} (set SHARED_BENCHMARKS)",
)


def settings(solver: str) -> SolverSettings:
    return SolverSettings(name=solver, time_limit_s=60, mip_rel_gap=0.0, threads=1, fallback=False)  # type: ignore[arg-type]


def write(folder: Path, sub: str, name: str, text: str) -> None:
    (folder / sub).mkdir(parents=True, exist_ok=True)
    (folder / sub / name).write_text(text, encoding="utf-8")


def test_duplicate_edges_keep_the_last_occurrence(tmp_path: Path) -> None:
    # edge 1–2 appears as 10 then 3: the last one (3) must win, not the minimum or the first.
    write(tmp_path, PMED_DIR, "pmed99.txt", "3 3 1\n1 2 1\n2 3 5\n2 1 3\n")
    instance = load_pmed("pmed99", folder=tmp_path)
    assert instance.distance.tolist() == [[0, 3, 8], [3, 0, 5], [8, 5, 0]]
    write(tmp_path, PMED_DIR, "pmed98.txt", "3 3 1\n1 2 1\n2 3 5\n2 1 30\n")
    assert load_pmed("pmed98", folder=tmp_path).distance[0, 1] == 30  # larger last value still wins


def test_truncated_pmed_file_names_file_and_fix(tmp_path: Path) -> None:
    write(tmp_path, PMED_DIR, "pmed97.txt", "4 5 2\n1 2 1\n2 3 1\n")
    with pytest.raises(DataError) as info:
        load_pmed("pmed97", folder=tmp_path)
    assert str(info.value) == (
        f"{tmp_path / PMED_DIR / 'pmed97.txt'}: edges: header announces 5 edges but only 2 "
        "edge lines follow; the file is truncated"
    )


def test_non_integer_edge_is_reported_with_line(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"line 2: an edge `i j cost` must be integers but the line is '1 x 4'"):
        parse_pmed_graph("3 1 1\n1 x 4\n", tmp_path / "bad.txt")


def test_disconnected_graph_is_refused(tmp_path: Path) -> None:
    write(tmp_path, PMED_DIR, "pmed96.txt", "4 2 1\n1 2 1\n3 4 1\n")
    with pytest.raises(DataError, match="the graph is disconnected"):
        load_pmed("pmed96", folder=tmp_path)


def test_missing_file_says_how_to_point_at_the_benchmarks(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="Set \\$SHARED_BENCHMARKS"):
        load_pmed("pmed1", folder=tmp_path)


def test_pmedcap_uses_floor_of_euclidean_distance(tmp_path: Path) -> None:
    # (0,0)–(1,1) is 1.414 → 1; (0,0)–(3,4) is exactly 5; (1,1)–(3,4) is 3.606 → 3.
    write(tmp_path, PMEDCAP_DIR, "pmedcap99.txt", " 99 7\n 3 1 10\n 1 0 0 2\n 2 1 1 3\n 3 3 4 4\n")
    instance = load_pmedcap("pmedcap99", folder=tmp_path)
    assert instance.distance.tolist() == [[0, 1, 5], [1, 0, 3], [5, 3, 0]]
    assert (instance.known_optimum, instance.p, instance.capacity) == (7, 1, 10)
    assert instance.demand.tolist() == [2, 3, 4]


def test_pmedcap_demand_above_capacity_is_refused(tmp_path: Path) -> None:
    write(tmp_path, PMEDCAP_DIR, "pmedcap98.txt", "98 7\n2 1 3\n1 0 0 2\n2 1 1 3\n")
    with pytest.raises(DataError, match=r"total demand 5 exceeds p × capacity = 3"):
        load_pmedcap("pmedcap98", folder=tmp_path)


def test_env_var_overrides_the_default_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHARED_BENCHMARKS", str(tmp_path))
    assert benchmarks_folder(tmp_path / "default") == tmp_path


@needs_pmed
def test_pmed_optima_table_is_complete() -> None:
    optima = load_pmed_optima(ORLIB)
    assert len(optima) == 40
    assert (optima["pmed1"], optima["pmed40"]) == (5819, 5128)


@needs_pmed
@pytest.mark.parametrize("solver", SOLVERS)
def test_pmed1_full_radius_formulation_reaches_the_known_optimum(solver: str) -> None:
    instance = load_pmed("pmed1", ORLIB)
    inputs = p_median_inputs(instance, formulation="radius")
    model = build_p_median_model(inputs)
    report = solve(model.problem, settings(solver))
    assert report.outcome is SolveOutcome.OPTIMAL
    assert report.objective == pytest.approx(instance.known_optimum, abs=TOL)
    assert p_median_cost(inputs, model.open_sites()) == pytest.approx(5819, abs=TOL)


@needs_pmed
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("name", ["pmed1", "pmed2", "pmed5"])
def test_reduced_solver_reaches_known_pmed_optima(solver: str, name: str) -> None:
    instance = load_pmed(name, ORLIB)
    inputs = p_median_inputs(instance)
    result = solve_p_median_planner(inputs, settings(solver))
    assert result.outcome is SolveOutcome.OPTIMAL
    assert result.objective == pytest.approx(instance.known_optimum, abs=TOL)
    assert p_median_cost(inputs, result.open_sites) == pytest.approx(instance.known_optimum, abs=TOL)


@needs_pmedcap
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("name", ["pmedcap01", "pmedcap02"])
def test_pmedcap_reaches_the_known_optimum(solver: str, name: str) -> None:
    instance = load_pmedcap(name, ORLIB)
    inputs = capacitated_inputs(instance)
    model = build_capacitated_p_median_model(inputs)
    report = solve(model.problem, settings(solver))
    assert report.outcome is SolveOutcome.OPTIMAL
    assert report.objective == pytest.approx(instance.known_optimum, abs=TOL)
    assert capacitated_cost(inputs, model.assignment()) == pytest.approx(instance.known_optimum, abs=TOL)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_reduced_solver_matches_brute_force_on_tiny_weighted_instances(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m, p = 9, 7, 3
    dist = rng.uniform(0, 20, size=(n, m)).round(1)
    weight = rng.uniform(1, 5, size=n).round(2)
    inputs = PMedianInputs(tuple(range(n)), tuple(f"s{j}" for j in range(m)), weight, dist, p)
    best = min(p_median_cost(inputs, list(c)) for c in itertools.combinations(inputs.site_ids, p))
    result = solve_p_median_planner(inputs, settings("highs"))
    assert result.outcome is SolveOutcome.OPTIMAL
    assert result.objective == pytest.approx(best, abs=TOL)
    assert result.bound <= best + TOL


def test_lagrangian_bound_never_exceeds_the_optimum() -> None:
    rng = np.random.default_rng(7)
    cost = rng.integers(0, 30, size=(8, 8)).astype(float)
    best = min(cost[:, list(c)].min(axis=1).sum() for c in itertools.combinations(range(8), 2))
    chosen, upper = greedy_interchange(cost, 2)
    result = lagrangian_fixing(cost, 2, upper, integer_costs=True)
    assert upper >= best - TOL
    assert result.bound <= best + TOL
    optimal_sets = [c for c in itertools.combinations(range(8), 2) if cost[:, list(c)].min(axis=1).sum() < upper]
    for c in optimal_sets:  # fixing keeps every solution better than the heuristic
        assert not set(c) & result.fixed_closed
        assert result.fixed_open <= set(c)
