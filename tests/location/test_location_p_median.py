"""p-median (assignment and radius formulations) and p-center against brute force on tiny instances."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from models.location.location_common import LocationInputError
from models.location.p_center import PCenterInputs, build_p_center_model, p_center_radius
from models.location.p_median import PMedianInputs, build_p_median_model, p_median_cost
from tests.location.location_cases import SEEDS, run, tiny
from tests.support import SOLVERS, TOL


def brute_p_median(inputs: PMedianInputs) -> float:
    return min(p_median_cost(inputs, list(c)) for c in itertools.combinations(inputs.site_ids, inputs.p))


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("formulation", ["assignment", "radius"])
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("p", [1, 2, 3])
def test_p_median_matches_brute_force(solver: str, formulation: str, seed: int, p: int) -> None:
    case = tiny(seed)
    inputs = PMedianInputs(case.demand_ids, case.site_ids, case.weight, case.distance, p, formulation=formulation)
    model = build_p_median_model(inputs)
    report = run(model.problem, solver)
    best = brute_p_median(inputs)
    assert model.formulation == formulation
    assert report.objective == pytest.approx(best, abs=TOL)
    assert len(model.open_sites()) == p
    assert p_median_cost(inputs, model.open_sites()) == pytest.approx(best, abs=TOL)


def test_auto_picks_assignment_when_tiny_and_radius_when_large() -> None:
    case = tiny(1)
    small = PMedianInputs(case.demand_ids, case.site_ids, case.weight, case.distance, 2)
    assert small.chosen_formulation() == "assignment"
    n = 60
    dist = np.abs(np.subtract.outer(np.arange(n), np.arange(n))).astype(float)
    ids = tuple(range(n))
    assert PMedianInputs(ids, ids, np.ones(n), dist, 3).chosen_formulation() == "radius"


@pytest.mark.parametrize("seed", SEEDS)
def test_radius_lp_relaxation_equals_assignment_lp_relaxation(seed: int) -> None:
    # Elloumi (2010), Theorem 1: both LP relaxations have the same value.
    case = tiny(seed, n_demand=7, n_site=7)
    values = []
    for formulation in ("assignment", "radius"):
        inputs = PMedianInputs(
            case.demand_ids, case.site_ids, case.weight, case.distance, 2, formulation=formulation, relax=True
        )
        values.append(run(build_p_median_model(inputs).problem, "highs").objective)
    assert values[0] == pytest.approx(values[1], abs=TOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_level_cutoff_gives_a_lower_bound_that_is_exact_without_violations(seed: int) -> None:
    case = tiny(seed)
    full = PMedianInputs(case.demand_ids, case.site_ids, case.weight, case.distance, 2, formulation="radius")
    best = brute_p_median(full)
    cutoff = np.full(len(case.demand_ids), 3.0)
    reduced = PMedianInputs(
        case.demand_ids,
        case.site_ids,
        case.weight,
        case.distance,
        2,
        formulation="radius",
        level_cutoff=cutoff,
    )
    model = build_p_median_model(reduced)
    report = run(model.problem, "highs")
    assert report.objective is not None
    assert report.objective <= best + TOL
    if not model.cutoff_violations():
        assert report.objective == pytest.approx(best, abs=TOL)


def test_bad_inputs_are_all_reported_at_once() -> None:
    with pytest.raises(LocationInputError) as info:
        PMedianInputs(("a", "a"), ("s",), np.array([1.0, -1.0]), np.array([[1.0], [-2.0]]), 3)
    message = str(info.value)
    assert "duplicate ids" in message
    assert "negative entries" in message
    assert "p was 3 but is expected to be in 1..1" in message


def test_variables_are_created_in_sorted_id_order() -> None:
    case = tiny(2)
    model = build_p_median_model(PMedianInputs(case.demand_ids, case.site_ids, case.weight, case.distance, 2))
    assert list(model.open) == sorted(case.site_ids)


def brute_p_center(inputs: PCenterInputs) -> float:
    return min(p_center_radius(inputs, list(c)) for c in itertools.combinations(inputs.site_ids, inputs.p))


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("p", [1, 2, 3])
def test_p_center_matches_brute_force(solver: str, seed: int, p: int) -> None:
    case = tiny(seed)
    inputs = PCenterInputs(case.demand_ids, case.site_ids, case.distance, p)
    model = build_p_center_model(inputs)
    report = run(model.problem, solver)
    best = brute_p_center(inputs)
    assert report.objective == pytest.approx(best, abs=TOL)
    assert p_center_radius(inputs, model.open_sites()) == pytest.approx(best, abs=TOL)


def test_p_center_with_a_loose_upper_bound_still_exact() -> None:
    case = tiny(4, n_demand=7, n_site=7)
    inputs = PCenterInputs(case.demand_ids, case.site_ids, case.distance, 2, upper_bound=float(case.distance.max()))
    report = run(build_p_center_model(inputs).problem, "highs")
    assert report.objective == pytest.approx(brute_p_center(inputs), abs=TOL)
