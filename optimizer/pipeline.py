"""The run pipeline: scenario file → checked data → travel matrix → model → solve → result → verification.

`cli.py` only parses options and calls `plan_scenario`; the same function serves tests and sweeps.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

from models.planner import build_plan_model
from models.planner.subcentres import build_subcentre_model
from optimizer.analysis.diagnose import explain_scenario
from optimizer.analysis.verify import check
from optimizer.errors import InfeasiblePlanError, SolverError, VerificationError
from optimizer.geography.network import load_road_graph
from optimizer.geography.travel_times import TravelMatrix, fallback_matrix, road_matrix
from optimizer.inputs.datasets import Datasets, load_datasets
from optimizer.inputs.scenario import Scenario, load_scenario, resolve
from optimizer.instance.plan_inputs import build_plan_inputs
from optimizer.solving.results import PlanResult, extract
from optimizer.solving.solve import SolveOutcome, SolverSettings, solve

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreparedScenario:
    """A scenario with its checked data and travel matrix: everything needed to build models."""

    path: Path
    scenario: Scenario
    data: Datasets
    matrix: TravelMatrix


def prepare(path: Path, *, solver: SolverSettings | None = None) -> PreparedScenario:
    """Load and check the scenario and its data, and compute the travel matrix.

    `solver` overrides the scenario's solver options (CLI option → scenario file → defaults).
    """
    scenario = load_scenario(path)
    if solver is not None:
        scenario = scenario.model_copy(update={"solver": solver})
    data = load_datasets(scenario, path)
    matrix = travel_matrix(scenario, data, path)
    return PreparedScenario(Path(path), scenario, data, matrix)


def travel_matrix(scenario: Scenario, data: Datasets, path: Path) -> TravelMatrix:
    """Road-network matrix when the scenario names a road file, else the flagged straight-line fallback."""
    if scenario.data.road_network is None:
        logger.info("no road network given: straight-line × %.2f fallback", scenario.travel.detour_factor)
        return fallback_matrix(data.townships, data.facilities, scenario.travel)
    road = load_road_graph(resolve(path, scenario.data.road_network), data.boundary.estimate_utm_crs(),
                           scenario.travel.road_default_speed_kph)
    return road_matrix(data.townships, data.facilities, road, scenario.travel, scenario.travel.max_access_min)


def plan_scenario(prepared: PreparedScenario, *, compare_free_choice: bool = True) -> PlanResult:
    """Build, solve, extract and verify the plan; optionally also report the free sub-centre choice.

    Raises
    ------
    InfeasiblePlanError
        When the hard rules cannot all hold.
    SolverError
        When the solver returns no solution (e.g. a time limit before any incumbent).
    VerificationError
        When the independent check finds a violated rule.
    """
    result = _solve_once(prepared, honour_named=None)
    subcentres = prepared.scenario.subcentres
    if compare_free_choice and subcentres is not None and subcentres.named_facility_ids and subcentres.honour_named:
        result = replace(result, free_choice_subcentres=free_subcentre_choice(prepared))
    return result


def free_subcentre_choice(prepared: PreparedScenario) -> tuple[str, ...]:
    """The sites the sub-centre block alone would pick without the plan's names (coverage, then travel)."""
    inputs = build_plan_inputs(prepared.scenario, prepared.data, prepared.matrix, honour_named=False).subcentres
    if inputs is None:
        return ()
    weights = prepared.scenario.objective
    model = build_subcentre_model(inputs, coverage_weight=weights.subcentre_coverage,
                                  travel_weight=weights.subcentre_travel)
    report = solve(model.problem, prepared.scenario.solver)
    if not report.outcome.has_solution:
        raise SolverError(f"{prepared.path}: the free sub-centre choice found no solution ({report.detail})")
    return tuple(s for s, var in model.handles.is_open.items() if round(var.varValue or 0) == 1)


def _solve_once(prepared: PreparedScenario, *, honour_named: bool | None) -> PlanResult:
    scenario, data, matrix = prepared.scenario, prepared.data, prepared.matrix
    inputs = build_plan_inputs(scenario, data, matrix, honour_named=honour_named)
    model = build_plan_model(inputs)
    logger.info("model %s: %d variables, %d constraints", inputs.name, model.problem.numVariables(),
                model.problem.numConstraints())
    report = solve(model.problem, scenario.solver)
    if report.outcome is SolveOutcome.INFEASIBLE:
        explanation = explain_scenario(scenario, data, matrix, scenario.solver, honour_named=honour_named)
        raise InfeasiblePlanError(f"{prepared.path}: {explanation.text()}", explanation)
    if not report.outcome.has_solution:
        raise SolverError(
            f"{prepared.path}: the solver stopped with no solution ({report.outcome.value}, {report.detail}); "
            "raise solver.time_limit_s or try `--solver cbc`.")
    result = extract(model, report, scenario, data, matrix)
    violations = check(result, scenario, data, matrix, honour_named=honour_named)
    if violations:
        raise VerificationError(violations)
    return result
