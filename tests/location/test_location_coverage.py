"""LSCP, MCLP and the capacitated p-median against brute force on tiny instances."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from models.location.capacitated_p_median import (
    CapacitatedPMedianInputs,
    build_capacitated_p_median_model,
    capacitated_cost,
    capacity_violations,
)
from models.location.coverage import CoverageInputs, build_coverage_model, covered_demand
from models.location.location_common import LocationInputError
from tests.location.location_cases import SEEDS, run, tiny
from tests.support import SOLVERS, TOL

RADIUS_KM = 4.0


def subsets(ids: tuple[str, ...]) -> list[tuple[str, ...]]:
    return [c for k in range(len(ids) + 1) for c in itertools.combinations(ids, k)]


def test_coverage_sets_hold_only_pairs_within_the_radius() -> None:
    case = tiny(1)
    coverage = case.covering(RADIUS_KM)
    pairs = {(s, d) for s, ds in coverage.items() for d in ds}
    expected = {
        (case.site_ids[c], case.demand_ids[r])
        for r in range(len(case.demand_ids))
        for c in range(len(case.site_ids))
        if case.distance[r, c] <= RADIUS_KM
    }
    assert pairs == expected
    assert list(coverage) == sorted(case.site_ids)
    assert all(list(ds) == sorted(ds) for ds in coverage.values())


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("seed", SEEDS)
def test_lscp_matches_brute_force(solver: str, seed: int) -> None:
    case = tiny(seed)
    radius = 6.0
    coverage = case.covering(radius)
    cost = tuple(float(c) for c in np.random.default_rng(seed).integers(1, 10, len(case.site_ids)))
    inputs = CoverageInputs(case.demand_ids, case.site_ids, coverage, kind="lscp", site_cost=cost)
    model = build_coverage_model(inputs)
    report = run(model.problem, solver)
    price = dict(zip(case.site_ids, cost, strict=True))
    best = min(
        sum(price[s] for s in c)
        for c in subsets(case.site_ids)
        if covered_demand(inputs, list(c)) == set(case.demand_ids)
    )
    assert report.objective == pytest.approx(best, abs=TOL)
    assert covered_demand(inputs, model.open_sites()) == set(case.demand_ids)


def test_lscp_refuses_uncoverable_demand_before_the_solve() -> None:
    case = tiny(1)
    coverage = case.covering(0.5)
    with pytest.raises(LocationInputError, match="have no candidate site within the radius"):
        CoverageInputs(case.demand_ids, case.site_ids, coverage, kind="lscp")


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("p", [1, 2])
def test_mclp_matches_brute_force(solver: str, seed: int, p: int) -> None:
    case = tiny(seed)
    coverage = case.covering(RADIUS_KM)
    weight = case.weights
    inputs = CoverageInputs(case.demand_ids, case.site_ids, coverage, kind="mclp", weight=weight, p=p)
    model = build_coverage_model(inputs)
    report = run(model.problem, solver)
    w = dict(zip(case.demand_ids, weight, strict=True))
    best = max(sum(w[d] for d in covered_demand(inputs, list(c))) for c in itertools.combinations(case.site_ids, p))
    assert report.objective == pytest.approx(best, abs=TOL)
    assert sum(w[d] for d in covered_demand(inputs, model.open_sites())) == pytest.approx(best, abs=TOL)


@pytest.mark.parametrize("solver", SOLVERS)
def test_mclp_keeps_fixed_sites_open(solver: str) -> None:
    case = tiny(2)
    coverage = case.covering(RADIUS_KM)
    weight = case.weights
    fixed = (sorted(case.site_ids)[0],)
    inputs = CoverageInputs(case.demand_ids, case.site_ids, coverage, kind="mclp", weight=weight, p=2, fixed_open=fixed)
    model = build_coverage_model(inputs)
    report = run(model.problem, solver)
    w = dict(zip(case.demand_ids, weight, strict=True))
    best = max(sum(w[d] for d in covered_demand(inputs, [fixed[0], s])) for s in case.site_ids if s != fixed[0])
    assert fixed[0] in model.open_sites()
    assert report.objective == pytest.approx(best, abs=TOL)


def brute_capacitated(inputs: CapacitatedPMedianInputs) -> float:
    best = np.inf
    for chosen in itertools.combinations(inputs.site_ids, inputs.p):
        for targets in itertools.product(chosen, repeat=len(inputs.demand_ids)):
            assignment = dict(zip(inputs.demand_ids, targets, strict=True))
            if capacity_violations(inputs, assignment):
                continue
            best = min(best, capacitated_cost(inputs, assignment))
    return float(best)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("seed", SEEDS)
def test_capacitated_p_median_matches_brute_force(solver: str, seed: int) -> None:
    case = tiny(seed, n_demand=6, n_site=5)
    rng = np.random.default_rng(seed)
    demand = rng.integers(1, 6, len(case.demand_ids)).astype(float)
    capacity = np.full(len(case.site_ids), np.ceil(demand.sum() / 2) + 1)
    inputs = CapacitatedPMedianInputs(
        case.demand_ids, case.site_ids, case.distance, demand, capacity, p=2, weight=case.weight
    )
    model = build_capacitated_p_median_model(inputs)
    report = run(model.problem, solver)
    best = brute_capacitated(inputs)
    assignment = model.assignment()
    assert report.objective == pytest.approx(best, abs=TOL)
    assert capacity_violations(inputs, assignment) == {}
    assert set(assignment.values()) <= set(model.open_sites())
    assert capacitated_cost(inputs, assignment) == pytest.approx(best, abs=TOL)


def test_capacitated_refuses_demand_above_total_capacity() -> None:
    case = tiny(1, n_demand=6, n_site=5)
    with pytest.raises(LocationInputError, match=r"Demand greater than capacity \(60 > 20"):
        CapacitatedPMedianInputs(case.demand_ids, case.site_ids, case.distance, np.full(6, 10.0), np.full(5, 10.0), p=2)
