"""The exact p-center solver and LSCP count against brute force, the heuristic MIP start, and published pmed optima."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from benchmarks.workloads.mip import planner_mip_solve
from benchmarks.workloads.orlib import PCENTER_OPTIMA, PMED_DIR, benchmarks_folder, load_pmed
from models.location.exact import MipSolve, minimum_centres, separation_bound, solve_p_center
from models.location.location_common import DistanceInputs, LocationInputError
from models.location.p_center import PCenterInputs, build_p_center_model, p_center_heuristic, p_center_radius
from models.outcome import SolveOutcome
from optimizer.inputs.solver_settings import SolverSettings
from optimizer.solving.solve import solve
from tests.support import ROOT, SOLVERS, TOL

ORLIB = benchmarks_folder(ROOT.parent / "shared" / "benchmarks")
"""The OR-Library folder: $SHARED_BENCHMARKS, else ../shared/benchmarks next to the repository."""
needs_pmed = pytest.mark.skipif(
    not (ORLIB / PMED_DIR / "pmed1.txt").is_file(),
    reason=f"OR-Library pmed files not found in {ORLIB} (set SHARED_BENCHMARKS)",
)


def mip(solver: str = "highs") -> MipSolve:
    settings = SolverSettings(name=solver, time_limit_s=60, mip_rel_gap=0.0, threads=1, fallback=False)  # type: ignore[arg-type]
    return planner_mip_solve(settings)


def instance(seed: int, n: int = 11, m: int = 8, p: int = 2) -> PCenterInputs:
    """Random rectangular instance with integer distances (so many ties between levels)."""
    rng = np.random.default_rng(seed)
    dist = rng.integers(1, 25, size=(n, m)).astype(float)
    return PCenterInputs(tuple(f"d{i}" for i in range(n)), tuple(range(100, 100 + m)), dist, p)


def brute_radius(inputs: PCenterInputs) -> float:
    return min(p_center_radius(inputs, list(c)) for c in itertools.combinations(inputs.site_ids, inputs.p))


def brute_count(dist: np.ndarray, radius: float) -> int:
    covers = dist <= radius
    for k in range(1, dist.shape[1] + 1):
        if any(covers[:, list(c)].any(axis=1).all() for c in itertools.combinations(range(dist.shape[1]), k)):
            return k
    raise AssertionError("no cover at all")


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("p", [1, 2, 3])
def test_p_center_matches_brute_force(solver: str, seed: int, p: int) -> None:
    inputs = instance(seed, p=p)
    best = brute_radius(inputs)
    result = solve_p_center(inputs, mip(solver), time_limit_s=60)
    assert result.outcome is SolveOutcome.OPTIMAL
    assert result.radius == pytest.approx(best, abs=TOL)
    assert result.lower_bound == pytest.approx(best, abs=TOL)
    assert p_center_radius(inputs, list(result.open_sites)) == pytest.approx(best, abs=TOL)
    assert len(set(result.open_sites)) == p
    assert result.heuristic_radius >= best - TOL
    assert result.separation_bound <= best + TOL


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("seed", range(4))
def test_lscp_count_matches_brute_force_at_every_level(solver: str, seed: int) -> None:
    inputs = instance(10 + seed, n=10, m=7)
    dist = inputs.distance
    for radius in np.unique(dist)[np.unique(dist) >= dist.min(axis=1).max()][::3]:
        result = minimum_centres(inputs, float(radius), mip(solver), time_limit_s=60)
        assert result.outcome is SolveOutcome.OPTIMAL
        assert result.count == result.lower_bound == brute_count(dist, float(radius))
        columns = [inputs.site_ids.index(s) for s in result.open_sites]
        assert len(columns) == result.count
        assert np.all(dist[:, columns].min(axis=1) <= radius)


def test_lscp_count_refuses_a_radius_some_demand_cannot_meet() -> None:
    inputs = instance(3)
    radius = float(inputs.distance.min(axis=1).max()) - 0.5
    with pytest.raises(LocationInputError, match=r"have no site within radius .*; enlarge the radius"):
        minimum_centres(
            DistanceInputs(inputs.demand_ids, inputs.site_ids, inputs.distance), radius, mip(), time_limit_s=5
        )


@pytest.mark.parametrize("seed", range(6))
def test_separation_bound_never_exceeds_the_optimum(seed: int) -> None:
    inputs = instance(20 + seed, n=12, m=12, p=3)
    bound, clients = separation_bound(inputs.distance, inputs.p, first=0)
    assert len(set(clients)) == inputs.p + 1
    assert 0 < bound <= brute_radius(inputs) + TOL


def test_a_stopped_search_reports_the_heuristic_and_a_valid_bound() -> None:
    inputs = instance(1, n=12, m=10, p=2)
    best = brute_radius(inputs)
    result = solve_p_center(inputs, mip(), time_limit_s=0.0)
    assert result.lower_bound < result.radius  # the precondition: the bounds alone do not prove it
    assert result.outcome is SolveOutcome.FEASIBLE_GAP
    assert result.iterations == 0
    assert result.radius == pytest.approx(result.heuristic_radius, abs=TOL)
    assert result.lower_bound <= best + TOL <= result.radius + 2 * TOL
    assert result.gap == pytest.approx((result.radius - result.lower_bound) / result.radius)


@pytest.mark.parametrize("seed", range(4))
def test_the_builder_keeps_the_heuristic_as_a_feasible_mip_start(seed: int) -> None:
    inputs = instance(30 + seed, p=2)
    model = build_p_center_model(inputs)
    columns = p_center_heuristic(inputs.distance, inputs.p)  # ids are already sorted, so columns map directly
    assert model.start_sites == tuple(inputs.site_ids[c] for c in columns)
    start_radius = p_center_radius(inputs, list(model.start_sites))
    assert model.levels[-1] == pytest.approx(start_radius, abs=TOL)  # the start's radius is the window's top
    assert model.problem.objective.value() == pytest.approx(start_radius, abs=TOL)
    violated = [c.name for c in model.problem.constraints() if not c.valid(1e-9)]
    assert violated == []
    assert model.open_sites() == list(model.start_sites)  # both in sorted id order


@pytest.mark.parametrize("solver", SOLVERS)
def test_the_compact_mip_started_from_the_heuristic_reaches_the_brute_force_optimum(solver: str) -> None:
    inputs = instance(40, n=12, m=9, p=3)
    model = build_p_center_model(inputs)
    settings = SolverSettings(name=solver, time_limit_s=60, mip_rel_gap=0.0, threads=1, fallback=False)  # type: ignore[arg-type]
    report = solve(model.problem, settings, warm_start=True)
    assert report.outcome is SolveOutcome.OPTIMAL
    assert report.objective == pytest.approx(brute_radius(inputs), abs=TOL)
    assert p_center_radius(inputs, model.open_sites()) == pytest.approx(brute_radius(inputs), abs=TOL)


def test_no_start_when_the_given_upper_bound_is_below_the_heuristic() -> None:
    inputs = instance(31, p=2)
    heuristic = p_center_radius(inputs, [inputs.site_ids[c] for c in p_center_heuristic(inputs.distance, 2)])
    lower = float(inputs.distance.min(axis=1).max())
    assert lower < heuristic
    tight = PCenterInputs(inputs.demand_ids, inputs.site_ids, inputs.distance, 2, upper_bound=lower)
    assert build_p_center_model(tight).start_sites == ()


@needs_pmed
@pytest.mark.parametrize("name", ["pmed1", "pmed5", "pmed6", "pmed11", "pmed16"])
def test_published_pmed_p_center_optima_are_proven(name: str) -> None:
    loaded = load_pmed(name, ORLIB)
    ids = tuple(range(1, loaded.n + 1))
    inputs = PCenterInputs(ids, ids, loaded.distance.astype(float), loaded.p)
    result = solve_p_center(inputs, mip(), time_limit_s=60)
    assert result.outcome is SolveOutcome.OPTIMAL
    assert result.radius == result.lower_bound == PCENTER_OPTIMA[name]
    assert p_center_radius(inputs, list(result.open_sites)) == PCENTER_OPTIMA[name]
    assert len(result.open_sites) == loaded.p
    assert result.clients_used < loaded.n  # the covering MIPs never needed every client
