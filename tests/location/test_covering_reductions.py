"""The exact covering reductions, greedy starts and the LSCP split by component, against enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pulp
import pytest

import models.location.covering_reductions as reductions
from models.location.backup_coverage import DSMInputs, build_dsm_model
from models.location.capacitated_p_median import (
    CapacitatedPMedianInputs,
    build_capacitated_p_median_model,
    capacity_violations,
)
from models.location.coverage import CoverageInputs, build_coverage_model, covered_demand
from models.location.coverage_components import solve_set_cover_by_component
from models.location.exact import MipReport
from models.location.location_common import invert
from models.outcome import SolveOutcome
from optimizer.inputs.solver_settings import SolverSettings
from optimizer.solving.solve import solve
from tests.location.location_cases import run, tiny
from tests.location.test_location_backup import dsm_value, placements
from tests.support import TOL

SEEDS = range(8)


def random_cover(
    seed: int, n_demand: int = 12, n_site: int = 7, most: int = 3, least: int = 1
) -> tuple[tuple[str, ...], tuple[str, ...], dict[str, tuple[str, ...]]]:
    """Demand points each within reach of `least`..`most` random sites (so reach sets repeat and nest)."""
    rng = np.random.default_rng(seed)
    demand = tuple(f"d{i:02d}" for i in rng.permutation(n_demand))
    sites = tuple(f"s{j}" for j in rng.permutation(n_site))
    coverage: dict[str, list[str]] = {s: [] for s in sites}
    for d in demand:
        for s in rng.choice(sites, size=int(rng.integers(least, most + 1)), replace=False):
            coverage[str(s)].append(d)
    return demand, sites, {s: tuple(sorted(ds)) for s, ds in coverage.items()}


def subsets(sites: tuple[str, ...]) -> list[tuple[str, ...]]:
    return [c for k in range(len(sites) + 1) for c in itertools.combinations(sites, k)]


def lscp_inputs(seed: int, reduce: bool, n_demand: int = 12, least: int = 1) -> CoverageInputs:
    demand, sites, coverage = random_cover(seed, n_demand=n_demand, least=least)
    cost = tuple(float(c) for c in np.random.default_rng(seed + 100).integers(1, 4, len(sites)))
    return CoverageInputs(demand, sites, coverage, kind="lscp", site_cost=cost, reduce=reduce)


def mip_solve(
    problem: pulp.LpProblem, *, time_limit_s: float, mip_rel_gap: float, warm_start: bool = False
) -> MipReport:
    settings = SolverSettings(
        name="highs", time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap, threads=1, fallback=False
    )
    report = solve(problem, settings, warm_start=warm_start)
    return MipReport(report.outcome, report.bound)


def test_aggregated_rows_partition_the_demand_and_keep_the_total_weight() -> None:
    for seed in SEEDS:
        demand, _, coverage = random_cover(seed, n_demand=40)
        weight = dict(zip(demand, np.random.default_rng(seed).uniform(0, 50, len(demand)), strict=True))
        reach = invert(coverage, demand)
        rows = reductions.aggregate_rows(reach, weight)
        assert sorted(d for m in rows.members for d in m) == sorted(demand)
        assert sum(rows.weight) == pytest.approx(sum(weight.values()), abs=TOL)
        assert len(set(rows.reach)) == len(rows.reach) < len(demand)
        assert all(tuple(reach[d]) == near for near, m in zip(rows.reach, rows.members, strict=True) for d in m)


def test_redundant_rows_and_dominated_sites_match_their_definitions() -> None:
    for seed in SEEDS:
        demand, sites, coverage = random_cover(seed, n_demand=30)
        rows = reductions.aggregate_rows(invert(coverage, demand), {}).reach
        redundant = reductions.redundant_rows(rows)
        assert redundant == {i for i, r in enumerate(rows) if any(set(q) < set(r) for q in rows)}
        cost = dict(zip(sites, np.random.default_rng(seed).integers(1, 3, len(sites)).astype(float), strict=True))
        covers = {s: {i for i, r in enumerate(rows) if s in r} for s in sites}
        found = set(reductions.dominated_sites(rows, cost))
        strictly = {j for j in sites if any(covers[j] < covers[k] and cost[k] <= cost[j] for k in sites if k != j)}
        assert strictly <= found
        for j in found:  # every dominated site has an undominated dominator at no higher cost
            assert any(covers[j] <= covers[k] and cost[k] <= cost[j] for k in set(sites) - found)


@pytest.mark.parametrize("seed", SEEDS)
def test_reduced_lscp_has_the_optimum_of_the_plain_model_and_of_enumeration(seed: int) -> None:
    plain, reduced = lscp_inputs(seed, reduce=False), lscp_inputs(seed, reduce=True)
    price = dict(zip(plain.site_ids, plain.site_cost or (), strict=True))
    best = min(
        sum(price[s] for s in c)
        for c in subsets(plain.site_ids)
        if covered_demand(plain, list(c)) == set(plain.demand_ids)
    )
    plain_model, reduced_model = build_coverage_model(plain), build_coverage_model(reduced)
    assert run(plain_model.problem, "highs").objective == pytest.approx(best, abs=TOL)
    assert run(reduced_model.problem, "highs").objective == pytest.approx(best, abs=TOL)
    assert covered_demand(plain, reduced_model.open_sites()) == set(plain.demand_ids)
    assert len(reduced_model.problem.constraints()) <= len(plain_model.problem.constraints())
    # the greedy start is a cover, and no better than the optimum
    assert covered_demand(plain, list(reduced_model.start_sites)) == set(plain.demand_ids)
    assert sum(price[s] for s in reduced_model.start_sites) >= best - TOL


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("p", [1, 2, 3])
def test_reduced_mclp_has_the_optimum_of_the_plain_model_and_of_enumeration(seed: int, p: int) -> None:
    demand, sites, coverage = random_cover(seed)
    weight = tuple(float(w) for w in np.random.default_rng(seed).integers(0, 9, len(demand)))  # some zero
    fixed = (sorted(sites)[seed % len(sites)],) if seed % 2 else ()
    w = dict(zip(demand, weight, strict=True))
    best = max(
        sum(w[d] for d in {d for s in c for d in coverage[s]})
        for c in itertools.combinations(sites, p)
        if set(fixed) <= set(c)
    )
    values = []
    for reduce in (False, True):
        inputs = CoverageInputs(
            demand, sites, coverage, kind="mclp", weight=weight, p=p, fixed_open=fixed, reduce=reduce
        )
        model = build_coverage_model(inputs)
        values.append(run(model.problem, "highs").objective)
        assert sum(w[d] for d in covered_demand(inputs, model.open_sites())) == pytest.approx(best, abs=TOL)
        assert len(model.start_sites) == p and set(fixed) <= set(model.start_sites)
    assert values == pytest.approx([best, best], abs=TOL)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_reduced_dsm_with_start_has_the_optimum_of_enumeration(seed: int) -> None:
    case = tiny(seed, n_demand=8, n_site=5)
    r1, r2 = case.covering(4.0), case.covering(9.0)
    best = None
    for reduce in (False, True):
        inputs = DSMInputs(
            case.demand_ids, case.site_ids, case.weights, r1, r2, p=3, alpha=0.4, site_capacity=(2,) * 5, reduce=reduce
        )
        values = [v for pl in placements(inputs.site_ids, 3, 2) if (v := dsm_value(inputs, pl)) is not None]
        best = max(values)
        model = build_dsm_model(inputs)
        if model.start:  # a greedy start is a feasible placement of p ambulances
            assert sum(model.start.values()) == 3 and dsm_value(inputs, model.start) is not None
        report = solve(model.problem, SolverSettings(name="highs", mip_rel_gap=0.0, threads=1), warm_start=True)
        assert report.outcome is SolveOutcome.OPTIMAL
        assert report.objective == pytest.approx(best, abs=TOL)
        assert dsm_value(inputs, model.stationed()) == pytest.approx(best, abs=TOL)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_capacitated_start_is_a_feasible_assignment(seed: int) -> None:
    case = tiny(seed, n_demand=12, n_site=6)
    demand = np.random.default_rng(seed).integers(1, 6, len(case.demand_ids)).astype(float)
    capacity = np.full(len(case.site_ids), np.ceil(demand.sum() / 3) + 2)
    inputs = CapacitatedPMedianInputs(case.demand_ids, case.site_ids, case.distance, demand, capacity, p=3)
    model = build_capacitated_p_median_model(inputs)
    assert set(model.start) == set(case.demand_ids)
    assert len(set(model.start.values())) <= 3
    assert capacity_violations(inputs, model.start) == {}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lscp_split_by_component_equals_the_whole_and_enumeration(seed: int) -> None:
    left = lscp_inputs(seed, reduce=False, n_demand=20, least=2)  # no singleton rows: less left to reductions
    right = lscp_inputs(seed + 50, reduce=False, n_demand=20, least=2)

    def tagged(inputs: CoverageInputs, tag: str) -> dict[str, tuple[str, ...]]:
        return {f"{tag}{s}": tuple(f"{tag}{d}" for d in ds) for s, ds in inputs.coverage.items()}

    coverage = {**tagged(left, "L"), **tagged(right, "R")}
    demand = tuple(f"L{d}" for d in left.demand_ids) + tuple(f"R{d}" for d in right.demand_ids)
    sites = tuple(coverage)
    cost = (left.site_cost or ()) + (right.site_cost or ())
    whole = CoverageInputs(demand, sites, coverage, kind="lscp", site_cost=cost, reduce=False)
    price = dict(zip(sites, cost, strict=True))
    best = sum(
        min(
            sum(price[f"{tag}{s}"] for s in c)
            for c in subsets(part.site_ids)
            if covered_demand(part, list(c)) == set(part.demand_ids)
        )
        for part, tag in ((left, "L"), (right, "R"))
    )
    assert run(build_coverage_model(whole).problem, "highs").objective == pytest.approx(best, abs=TOL)
    rows = reductions.aggregate_rows(invert(coverage, demand), {}).reach
    parts = reductions.components(rows)
    assert sorted(i for r, _ in parts for i in r) == list(range(len(rows)))
    assert all(len({s[0] for s in sites_of}) == 1 for _, sites_of in parts)  # no component spans L and R
    split = solve_set_cover_by_component(whole, mip_solve, time_limit_s=30, mip_rel_gap=0.0)
    assert split.components >= 2
    assert split.outcome is SolveOutcome.OPTIMAL
    assert split.objective == pytest.approx(best, abs=TOL)
    assert split.bound == pytest.approx(best, abs=TOL)
    assert covered_demand(whole, list(split.open_sites)) == set(demand)
