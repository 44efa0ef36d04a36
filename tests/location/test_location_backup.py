"""DSM and MEXCLP: hand-checked examples and brute force over ambulance placements."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from models.location.backup_coverage import (
    DSMInputs,
    MEXCLPInputs,
    build_dsm_model,
    build_mexclp_model,
    expected_coverage,
)
from models.location.location_common import LocationInputError, invert
from tests.location.location_cases import SEEDS, run, tiny
from tests.support import SOLVERS, TOL

# Hand example for DSM (three stations A, B, C; four demand points; p = 2 ambulances):
#   weights w1 = 40, w2 = 30, w3 = 20, w4 = 10 (total 100);
#   within r1: A → {1, 2}, B → {2, 3}, C → {3, 4};  within r2: A → {1, 2, 3}, B → {1..4}, C → {2, 3, 4}.
# Placements (count per station) and what they give:
#   AA: point 4 has nothing within r2 → infeasible.    CC: point 1 nothing within r2 → infeasible.
#   BB: r1 counts 1:0 2:2 3:2 4:0 → once 50, twice {2, 3} = 50.
#   AB: r1 counts 1:1 2:2 3:1 4:0 → once 90, twice {2}    = 30.
#   AC: r1 counts 1:1 2:1 3:1 4:1 → once 100, twice none  = 0.
#   BC: r1 counts 1:0 2:1 3:2 4:1 → once 60, twice {3}    = 20.
# α = 0.5, two ambulances allowed per station → BB, 50.  One per station (GLS 1997 use p_j) → AB, 30.
# α = 0.95 → only AC covers ≥ 95 once → 0.
HAND_DEMAND = ("1", "2", "3", "4")
HAND_SITES = ("A", "B", "C")
HAND_WEIGHT = (40.0, 30.0, 20.0, 10.0)
HAND_R1 = {"A": ("1", "2"), "B": ("2", "3"), "C": ("3", "4")}
HAND_R2 = {"A": ("1", "2", "3"), "B": ("1", "2", "3", "4"), "C": ("2", "3", "4")}


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize(
    ("alpha", "capacity", "expected", "stationed"),
    [(0.5, 2, 50.0, {"B": 2}), (0.5, 1, 30.0, {"A": 1, "B": 1}), (0.95, 2, 0.0, {"A": 1, "C": 1})],
)
def test_dsm_hand_example(solver: str, alpha: float, capacity: int, expected: float, stationed: dict[str, int]) -> None:
    inputs = DSMInputs(
        HAND_DEMAND,
        HAND_SITES,
        HAND_WEIGHT,
        HAND_R1,
        HAND_R2,
        p=2,
        alpha=alpha,
        site_capacity=(capacity,) * 3,
    )
    model = build_dsm_model(inputs)
    report = run(model.problem, solver)
    assert report.objective == pytest.approx(expected, abs=TOL)
    assert model.stationed() == stationed


def test_dsm_refuses_points_out_of_r2_reach() -> None:
    with pytest.raises(LocationInputError, match="have no station within r2"):
        DSMInputs(HAND_DEMAND, HAND_SITES, HAND_WEIGHT, HAND_R1, {"A": ("1",)}, p=2, alpha=0.5)


def dsm_value(inputs: DSMInputs, placed: dict[str, int]) -> float | None:
    """Double coverage of a placement, or None when it breaks r2 coverage or the α share."""
    r1, r2 = invert(inputs.cover_r1, inputs.demand_ids), invert(inputs.cover_r2, inputs.demand_ids)
    w = dict(zip(inputs.demand_ids, inputs.weight, strict=True))
    if any(sum(placed.get(s, 0) for s in r2[d]) < 1 for d in inputs.demand_ids):
        return None
    count = {d: sum(placed.get(s, 0) for s in r1[d]) for d in inputs.demand_ids}
    if sum(w[d] for d in count if count[d] >= 1) < inputs.alpha * sum(inputs.weight) - TOL:
        return None
    return sum(w[d] for d in count if count[d] >= 2)


def placements(sites: tuple[str, ...], p: int, cap: int) -> list[dict[str, int]]:
    found = []
    for counts in itertools.product(range(cap + 1), repeat=len(sites)):
        if sum(counts) == p:
            found.append({s: c for s, c in zip(sites, counts, strict=True) if c})
    return found


def assert_matches_brute_force(
    inputs: DSMInputs | MEXCLPInputs,
    build: Callable[[Any], Any],
    value: Callable[[Any, dict[str, int]], float | None],
    solver: str,
) -> None:
    """The model's optimum equals the best `value` over every placement of 3 vehicles, at most 2 per
    station (placements `value` rejects with None are skipped), and its own placement attains it."""
    values = [v for pl in placements(inputs.site_ids, 3, 2) if (v := value(inputs, pl)) is not None]
    model = build(inputs)
    report = run(model.problem, solver)
    assert report.objective == pytest.approx(max(values), abs=TOL)
    assert value(inputs, model.stationed()) == pytest.approx(max(values), abs=TOL)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("seed", SEEDS)
def test_dsm_matches_brute_force(solver: str, seed: int) -> None:
    case = tiny(seed, n_demand=7, n_site=5)
    r1, r2 = case.covering(4.0), case.covering(9.0)
    inputs = DSMInputs(case.demand_ids, case.site_ids, case.weights, r1, r2, p=3, alpha=0.4, site_capacity=(2,) * 5)
    assert_matches_brute_force(inputs, build_dsm_model, dsm_value, solver)


# Hand example for MEXCLP (q = 0.5, p = 2): stations A, B; point 1 (w 100) reached by A and B,
# point 2 (w 60) by A only, point 3 (w 50) by B only.  Expected coverage Σ w (1 − q^n):
#   A=2: 100·0.75 + 60·0.75 + 0      = 120
#   B=2: 100·0.75 + 0       + 50·0.75 = 112.5
#   A=1, B=1: 100·0.75 + 60·0.5 + 50·0.5 = 130  ← optimum.
@pytest.mark.parametrize("solver", SOLVERS)
def test_mexclp_hand_example(solver: str) -> None:
    inputs = MEXCLPInputs(
        ("1", "2", "3"),
        ("A", "B"),
        (100.0, 60.0, 50.0),
        {"A": ("1", "2"), "B": ("1", "3")},
        p=2,
        busy_fraction=0.5,
    )
    model = build_mexclp_model(inputs)
    report = run(model.problem, solver)
    assert report.objective == pytest.approx(130.0, abs=TOL)
    assert model.stationed() == {"A": 1, "B": 1}
    assert expected_coverage(inputs, {"A": 2}) == pytest.approx(120.0, abs=TOL)


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("seed", SEEDS)
def test_mexclp_matches_brute_force(solver: str, seed: int) -> None:
    case = tiny(seed, n_demand=7, n_site=5)
    coverage = case.covering(5.0)
    inputs = MEXCLPInputs(
        case.demand_ids, case.site_ids, case.weights, coverage, p=3, busy_fraction=0.3, site_capacity=(2,) * 5
    )
    assert_matches_brute_force(inputs, build_mexclp_model, expected_coverage, solver)
