"""One-at-a-time greedy siting, the baseline of AccessMod's "best coverage" and PlanWise, beside the optimum.

The greedy adds, one at a time, the site whose opening covers the most not-yet-covered population
(ties: the first site in sorted order), until p sites are open; sites fixed by the plan are opened
first. Nemhauser, Wolsey & Fisher (1978) guarantee it reaches at least 1 − 1/e ≈ 63 % of the
maximal-covering optimum. The optimum here is the MCLP of `models.location.coverage` (Church & ReVelle 1974)
solved to a zero gap, so "gap" is the share of the best coverage that the greedy leaves on the table.

Two uses per plan: sub-centre siting (k sites, the plan's named sites fixed when honoured, radius
coverage) and ambulance stations (as many stations as the plan uses, each town covered by a base
within its radius and response time).
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from models.location.coverage import CoverageInputs, build_coverage_model
from models.outcome import SolveOutcome
from models.planner.plan import PlanInputs, PlanModel
from optimizer.inputs.solver_settings import SolverSettings
from optimizer.solving.solve import solve

logger = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class GreedyResult:
    """Sites the greedy opened, in the order it opened them, and the population they cover (persons)."""

    sites: tuple[Hashable, ...]
    covered_population: float


@dataclass(frozen=True)
class SitingBaseline:
    """Coverage of one siting decision three ways (persons), and the greedy's gap to the optimum."""

    sites: int
    plan_covered: float
    greedy_covered: float
    optimum_covered: float

    @property
    def greedy_gap(self) -> float:
        """(optimum − greedy) / optimum; 0 when the greedy is optimal or nothing can be covered."""
        if self.optimum_covered <= 0:
            return 0.0
        return max(self.optimum_covered - self.greedy_covered, 0.0) / self.optimum_covered


def greedy_max_cover(
    population: Mapping[K, float],
    reach: Mapping[Hashable, Sequence[K]],
    p: int,
    *,
    fixed: Sequence[Hashable] = (),
) -> GreedyResult:
    """Open `p` sites one at a time, each covering the most population not yet covered.

    Parameters
    ----------
    population
        Demand id → population (persons).
    reach
        Site → demand ids it covers (within the radius / response time).
    p
        Sites to open in total, including `fixed`.
    fixed
        Sites open from the start (the plan's named sites).
    """
    is_open: list[Hashable] = []
    covered: set[K] = set()
    for site in fixed:
        if site not in is_open:
            is_open.append(site)
            covered.update(reach.get(site, ()))
    candidates = sorted((s for s in reach if s not in is_open), key=str)
    while len(is_open) < p and candidates:
        best, best_gain = candidates[0], -1.0
        for site in candidates:
            gain = sum(population[d] for d in reach[site] if d not in covered)
            if gain > best_gain:
                best, best_gain = site, gain
        is_open.append(best)
        candidates.remove(best)
        covered.update(reach[best])
    return GreedyResult(tuple(is_open), float(sum(population[d] for d in covered)))


def optimum_max_cover(
    population: Mapping[K, float],
    reach: Mapping[Hashable, Sequence[K]],
    p: int,
    settings: SolverSettings,
    *,
    fixed: Sequence[Hashable] = (),
) -> float:
    """Population covered by the maximal-covering optimum with `p` sites (solved to a zero gap).

    Returns NaN when the solver does not prove optimality within its time limit.
    """
    sites = tuple(sorted(reach, key=str))
    if p <= 0 or not sites:
        return 0.0
    demand = tuple(sorted(population, key=str))
    inputs = CoverageInputs(
        demand_ids=demand,
        site_ids=sites,
        coverage={s: tuple(reach[s]) for s in sites},
        kind="mclp",
        weight=tuple(float(population[d]) for d in demand),
        p=min(p, len(sites)),
        fixed_open=tuple(fixed),
    )
    model = build_coverage_model(inputs)
    report = solve(model.problem, settings.model_copy(update={"mip_rel_gap": 0.0}))
    if report.outcome is not SolveOutcome.OPTIMAL or report.objective is None:
        logger.warning("maximal covering with p=%d: %s; optimum left blank", p, report.outcome.value)
        return float("nan")
    return float(report.objective)


def _invert(covering: Mapping[str, Sequence[str]], sites: Sequence[str]) -> dict[Hashable, tuple[str, ...]]:
    """Town → sites becomes site → towns (every site listed, sorted towns)."""
    reach: dict[Hashable, list[str]] = {s: [] for s in sites}
    for town in sorted(covering):
        for site in covering[town]:
            reach.setdefault(site, []).append(town)
    return {s: tuple(towns) for s, towns in reach.items()}


def _on(value: float | None) -> bool:
    return round(value or 0.0) >= 1


def subcentre_baseline(plan: PlanInputs, model: PlanModel, settings: SolverSettings) -> SitingBaseline | None:
    """Sub-centre radius coverage of the plan's sites, the greedy and the MCLP optimum (same k, named sites).

    `model` must be built from `plan` and hold a solution.
    """
    if model.subcentres is None or plan.subcentres is None:
        return None
    inputs = plan.subcentres
    if inputs.count <= 0:
        return None
    reach = _invert(inputs.covering, inputs.candidates)
    chosen = [s for s, var in model.subcentres.is_open.items() if _on(var.varValue)]
    fixed = inputs.named if inputs.honour_named else ()
    units, population = inputs.coverage_units()  # the demand points the coverage counts, or the towns
    in_plan = sum(population[u] for u in units if set(inputs.covering.get(u, ())) & set(chosen))
    greedy = greedy_max_cover(population, reach, inputs.count, fixed=fixed)
    optimum = optimum_max_cover(population, reach, inputs.count, settings, fixed=fixed)
    return SitingBaseline(inputs.count, float(in_plan), greedy.covered_population, optimum)


def ambulance_baseline(plan: PlanInputs, model: PlanModel, settings: SolverSettings) -> SitingBaseline | None:
    """Single ambulance coverage of the plan's stations, the greedy and the MCLP optimum (as many stations).

    A station is a base with at least one vehicle in the plan; a town is covered when a station
    meets its radius and response-time standard.
    """
    if model.ambulances is None or plan.ambulances is None:
        return None
    inputs = plan.ambulances
    stations = [b for b, var in model.ambulances.vehicles.items() if _on(var.varValue)]
    if not stations:
        return None
    reach = _invert(inputs.covering, inputs.bases)
    stationed = set(stations)
    in_plan = sum(inputs.population[t] for t in inputs.towns if set(inputs.covering.get(t, ())) & stationed)
    greedy = greedy_max_cover(inputs.population, reach, len(stations))
    optimum = optimum_max_cover(inputs.population, reach, len(stations), settings)
    return SitingBaseline(len(stations), float(in_plan), greedy.covered_population, optimum)
