"""The run pipeline: scenario file → checked data → road graph and travel matrix → model → solve → result
→ verification.

`prepare` loads everything a model needs once (the road graph included, kept for the service-area maps);
`solve_plan` is the one build → solve → extract → verify sequence. The CLI (`plan_scenario`), the what-if
sweeps (optimizer/whatif/level_solve.py), the benchmarks and the tests all call it; what a plan that is
not a verified plan does is the caller's explicit `ViolationPolicy`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from functools import partial
from pathlib import Path

from models.outcome import SolveOutcome
from models.planner import PlanInputs, PlanModel, build_plan_model
from models.planner.subcentres import build_subcentre_model
from optimizer.analysis.diagnose import explain_scenario
from optimizer.analysis.facility_checks import facility_rule_table
from optimizer.analysis.plan_entry_status import plan_entry_table
from optimizer.analysis.verify import check
from optimizer.analysis.violations import Violation
from optimizer.errors import InfeasiblePlanError, SolverError, VerificationError
from optimizer.geography.boundaries import area_metric_crs
from optimizer.geography.demand import DemandPoints, build_demand_points
from optimizer.geography.network import RoadGraph, load_road_graph
from optimizer.geography.road_matrix import road_matrix
from optimizer.geography.travel_times import (
    TravelMatrix,
    fallback_matrix,
    point_fallback_matrix,
    with_demand,
)
from optimizer.inputs.datasets import Datasets, load_datasets
from optimizer.inputs.scenario import Scenario
from optimizer.inputs.scenario_loading import load_scenario, resolve
from optimizer.inputs.solver_settings import SolverSettings
from optimizer.instance.plan_inputs import build_plan_inputs
from optimizer.solving.plan_start import PlanStart, set_lp_rounded_start, set_start
from optimizer.solving.results import PlanResult, extract
from optimizer.solving.solve import SolveReport, solve
from optimizer.solving.spend import SpendSolve, solve_with_spend_rule

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PreparedScenario:
    """A scenario with its checked data, road graph (None without a road file) and travel matrix."""

    path: Path
    scenario: Scenario
    data: Datasets
    matrix: TravelMatrix
    road: RoadGraph | None = None


def prepare(path: Path, *, solver: SolverSettings | None = None) -> PreparedScenario:
    """Load and check the scenario and its data, load the road graph once and compute the travel matrix.

    `solver` overrides the scenario's solver options (CLI option → scenario file → defaults).
    """
    scenario = load_scenario(path)
    if solver is not None:
        scenario = scenario.model_copy(update={"solver": solver})
    return prepare_loaded(Path(path), scenario, load_datasets(scenario, path))


def prepare_loaded(path: Path, scenario: Scenario, data: Datasets) -> PreparedScenario:
    """The prepared scenario from an already loaded scenario and data: road graph and travel matrix."""
    road = load_road(scenario, data, path)
    return PreparedScenario(Path(path), scenario, data, travel_matrix(scenario, data, road), road)


def load_road(scenario: Scenario, data: Datasets, path: Path) -> RoadGraph | None:
    """The scenario's road graph in the area's UTM zone, clipped to the area boundary plus
    `travel.road_margin_km`, or None when it names no road file."""
    if scenario.data.road_network is None:
        return None
    metric_crs = data.boundary.estimate_utm_crs()
    area = data.boundary.to_crs(metric_crs).union_all()
    return load_road_graph(resolve(path, scenario.data.road_network), metric_crs, scenario.travel, area)


def travel_matrix(scenario: Scenario, data: Datasets, road: RoadGraph | None) -> TravelMatrix:
    """Seat and demand-point matrices: over `road` when there is one, else the flagged straight-line
    fallback; the seat matrix carries the demand points (`TravelMatrix.demand`)."""
    points = demand_points(scenario, data)
    if road is None:
        logger.info("no road network given: straight-line × %.2f fallback", scenario.travel.detour_factor)
        seats = fallback_matrix(data.townships, data.facilities, scenario.travel)
        below = point_fallback_matrix(points.frame, data.facilities, data.townships, scenario.travel)
    else:
        cutoff = scenario.travel.max_access_min
        seat_origins = data.townships.rename(columns={"code": "id"})
        seats = road_matrix(seat_origins, data.facilities, road, scenario.travel, cutoff)
        below = road_matrix(points.frame, data.facilities, road, scenario.travel, cutoff)
    return with_demand(seats, points, below)


def demand_points(scenario: Scenario, data: Datasets) -> DemandPoints:
    """The area's demand points (optimizer/geography/demand.py), weighted by the raster when one is given."""
    metric = area_metric_crs(data.boundary)
    return build_demand_points(
        data.townships,
        data.boundary,
        metric,
        scenario.demand,
        village_counts=data.village_counts,
        settlements=data.settlement_points,
        raster=data.population_raster,
    )


# ---------------------------------------------------------------- one solve


class ViolationPolicy(Enum):
    """What `solve_plan` does when the solve does not end in a verified plan.

    RAISE
        The CLI and tests: infeasible → `InfeasiblePlanError` with the diagnosis (smallest relaxation),
        no solution → `SolverError`, a violated rule → `VerificationError`. A returned solve is verified.
    RECORD
        Sweeps and benchmarks: nothing is raised or diagnosed; the `PlanSolve` carries the outcome, the
        plan (None without a solution) and its violations for the caller to count.
    """

    RAISE = "raise"
    RECORD = "record"


@dataclass(frozen=True)
class LpRounding:
    """MIP start: the LP relaxation rounded to a plan (optimizer/solving/plan_start.py)."""


LP_ROUNDING = LpRounding()

Start = Mapping[str, float] | LpRounding
"""A MIP start: values by variable name (e.g. the previous sweep level's solution) or `LP_ROUNDING`."""


@dataclass(frozen=True)
class StageSeconds:
    """Wall time of the stages before the MIP (its own time is `report.seconds`)."""

    inputs: float
    build: float
    start: float


@dataclass(frozen=True)
class BuiltPlan:
    """A scenario's model inputs and the model built from them, for a caller that keeps one model across
    solves (a what-if worker, optimizer/whatif/level_model.py)."""

    inputs: PlanInputs
    model: PlanModel


@dataclass(frozen=True)
class PlanSolve:
    """One build → solve → extract → verify: the model and its inputs, what the solver said, the plan."""

    inputs: PlanInputs
    model: PlanModel
    report: SolveReport
    result: PlanResult | None
    violations: tuple[Violation, ...]
    warm_started: bool
    lp_start: PlanStart | None
    seconds: StageSeconds
    spend: SpendSolve | None = None
    """The spending rule's phases (None when an `adjust` owned the objective)."""

    @property
    def plan(self) -> PlanResult:
        """The plan; under `RECORD` a solve without a solution raises `SolverError` here."""
        if self.result is None:
            raise SolverError(f"{self.inputs.name}: no plan ({self.report.outcome.value}, {self.report.detail})")
        return self.result


def solve_plan(
    prepared: PreparedScenario,
    *,
    on_violation: ViolationPolicy,
    start: Start | None = None,
    honour_named: bool | None = None,
    adjust: Callable[[PlanModel, PlanInputs], None] | None = None,
    built: BuiltPlan | None = None,
) -> PlanSolve:
    """Build the plan inputs and model, solve, extract the tables and check them independently.

    Parameters
    ----------
    prepared
        Scenario, data and travel matrix; the solver is `prepared.scenario.solver`.
    on_violation
        `RAISE` or `RECORD` (see `ViolationPolicy`).
    start
        A MIP start: values by variable name (clipped into bounds; an empty mapping is no start) or
        `LP_ROUNDING`. It only gives the solver an early incumbent.
    honour_named
        Override of the scenario's `subcentres.honour_named` (None: as the scenario says).
    adjust
        Called with the built model and its inputs before the start and the solve: it may add rows,
        fix bounds or replace the objective in place (`optimizer audit` fixes or measures a plan's own
        bed table, models/planner/deviation.py). Under `RAISE` an infeasible adjusted model is
        diagnosed as the scenario without the adjustment; callers that fix values diagnose it
        themselves under `RECORD`.
    built
        Inputs and a model already built for this scenario and brought to its budget, solved in place
        instead of building them (a what-if worker keeps one model for its levels,
        optimizer/whatif/level_model.py). None: build both. `honour_named` does not rebuild them: the
        caller built the inputs with the choice it wants.

    Raises
    ------
    InfeasiblePlanError, SolverError, VerificationError
        Only under `ViolationPolicy.RAISE`.
    """
    scenario = prepared.scenario
    began = time.perf_counter()
    if built is None:
        inputs = build_plan_inputs(scenario, prepared.data, prepared.matrix, honour_named=honour_named)
        built_inputs = time.perf_counter()
        model = build_plan_model(inputs)
    else:
        inputs, model = built.inputs, built.model
        built_inputs = time.perf_counter()
    if adjust is not None:
        adjust(model, inputs)
    built_model = time.perf_counter()
    logger.info(
        "model %s: %d variables, %d constraints",
        inputs.name,
        model.problem.numVariables(),
        model.problem.numConstraints(),
    )
    lp_start = None
    if isinstance(start, LpRounding):
        lp_start = set_lp_rounded_start(model, inputs, scenario.solver)
        warm = lp_start is not None
    else:
        warm = bool(start)
        if start:
            set_start(model.problem, start)
    started = time.perf_counter()
    spent = None
    if adjust is None:
        spent = solve_with_spend_rule(model, scenario.solver, scenario.budget.spend, inputs.budget_cny, warm_start=warm)
        report = spent.report
    else:  # the adjustment owns the objective (the audit's lexicographic solves)
        report = solve(model.problem, scenario.solver, warm_start=warm)
    seconds = StageSeconds(built_inputs - began, built_model - built_inputs, started - built_model)
    return finish_plan(
        prepared,
        inputs,
        model,
        report,
        spent,
        on_violation=on_violation,
        honour_named=honour_named,
        warm=warm,
        lp_start=lp_start,
        seconds=seconds,
    )


def finish_plan(
    prepared: PreparedScenario,
    inputs: PlanInputs,
    model: PlanModel,
    report: SolveReport,
    spent: SpendSolve | None,
    *,
    on_violation: ViolationPolicy,
    honour_named: bool | None = None,
    warm: bool = False,
    lp_start: PlanStart | None = None,
    seconds: StageSeconds = StageSeconds(0.0, 0.0, 0.0),
) -> PlanSolve:
    """The tail of `solve_plan`: extract the plan held in the model's variables and check it independently
    (and under `RAISE`, diagnose or raise). A what-if level that takes a higher level's plan without a solve
    (optimizer/whatif/reuse.py) calls it with that plan's values on the variables."""
    scenario, data, matrix = prepared.scenario, prepared.data, prepared.matrix
    raising = on_violation is ViolationPolicy.RAISE
    if raising and report.outcome is SolveOutcome.INFEASIBLE:
        explanation = explain_scenario(scenario, data, matrix, scenario.solver, honour_named=honour_named)
        raise InfeasiblePlanError(f"{prepared.path}: {explanation.text()}", explanation)
    if not report.outcome.has_solution:
        if raising:
            raise SolverError(
                f"{prepared.path}: the solver stopped with no solution ({report.outcome.value}, {report.detail}); "
                "raise solver.time_limit_s or try `--solver cbc`."
            )
        return PlanSolve(inputs, model, report, None, (), warm, lp_start, seconds, spent)
    rules_of = partial(facility_rule_table, scenario=scenario, data=data)
    result = extract(model, report, scenario, data, matrix, facility_rules_of=rules_of)
    if spent is not None:
        result = replace(result, spend=scenario.budget.spend, cost_to_meet_targets_cny=spent.cost_to_meet_targets_cny)
    if data.plan_entries:
        result = replace(
            result, plan_entries=plan_entry_table(data.plan_entries, scenario, result.targets, result.facility_rules)
        )
    violations = check(result, scenario, data, matrix, honour_named=honour_named)
    if raising and violations:
        raise VerificationError(violations)
    return PlanSolve(inputs, model, report, result, tuple(violations), warm, lp_start, seconds, spent)


# ---------------------------------------------------------------- the run


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
    result = solve_plan(prepared, on_violation=ViolationPolicy.RAISE).plan
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
    model = build_subcentre_model(
        inputs, coverage_weight=weights.subcentre_coverage, travel_weight=weights.subcentre_travel
    )
    report = solve(model.problem, prepared.scenario.solver)
    if not report.outcome.has_solution:
        raise SolverError(f"{prepared.path}: the free sub-centre choice found no solution ({report.detail})")
    return tuple(s for s, var in model.handles.is_open.items() if round(var.varValue or 0) == 1)
