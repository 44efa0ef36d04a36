"""The solves of an audit, each through `pipeline.solve_plan` with an `adjust` step (models/planner/deviation.py).

1. As it stands (`as_is`): the table's beds fixed (bounds), every facility not in the table free, the
   rest of the plan (staff, ambulances, sub-centres) optimised with the scenario's own objective. An
   infeasible answer is the audit's finding, not an error: the diagnosis of optimizer/analysis/diagnose.py
   is run on that same fixed model, so it names the hard rules the fixed beds break (it relaxes plan rules
   only, never the fixing bounds) and the smallest relaxation of each.
2. The least change (`least`): Δ = Σ_f |x_beds,f − p_f| over the table's facilities is the whole
   objective, under every hard rule of the scenario. Δ is a whole number of beds, so the solve runs with
   no relative gap and an absolute gap of `LEAST_ABS_GAP` (< 1 bed) and is proven least only when its
   objective is within one bed of its bound.
3. The nearest compliant plan (`nearest`): Δ ≤ Δ* (row `audit_deviation_total`) and the scenario's own
   objective, warm-started from 2. Lexicographic: no plan moves fewer beds; among the plans that move
   Δ* beds the tie is broken as `optimizer run` decides everything (plan targets, then coverage, then
   travel, then cost: `models/planner/plan.py`), so the staff, ambulances and sub-centres are planned as
   usual. Minimising cost alone here would drop every soft staff target the bed table says nothing about.

Steps 2 and 3 apply the scenario's own rules only (the deviation rows always hold), so an infeasible
answer there is the scenario's own conflict: `InfeasiblePlanError` with the usual diagnosis (exit 4).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace

from models.outcome import SolveOutcome
from models.planner import PlanInputs, PlanModel
from models.planner.deviation import add_deviation, fix_amounts
from optimizer.analysis.diagnose import InfeasibilityReport, explain
from optimizer.audit.bed_table import BEDS, BedTable
from optimizer.errors import SolverError, VerificationError
from optimizer.pipeline import PlanSolve, PreparedScenario, ViolationPolicy, solve_plan

logger = logging.getLogger(__name__)

LEAST_ABS_GAP = 0.5
"""Absolute gap (beds) of the least-change solve: below one bed, so a stop proves the integer optimum."""


@dataclass(frozen=True)
class AuditSolves:
    """The three solves; `explanation` is the diagnosis of `as_is` when the table is infeasible."""

    as_is: PlanSolve
    explanation: InfeasibilityReport | None
    least: PlanSolve
    nearest: PlanSolve

    @property
    def table_feasible(self) -> bool:
        """True when the table's beds, as they stand, admit a plan under every hard rule."""
        return self.as_is.result is not None

    @property
    def least_change_beds(self) -> int:
        """Δ*: the fewest beds (in total, up or down) any compliant plan moves away from the table."""
        return round(self.least.report.objective or 0.0)

    def not_proven(self) -> list[str]:
        """The steps whose answer is not proven optimal (empty when every one is)."""
        steps = []
        if self.as_is.result is not None and self.as_is.report.outcome is not SolveOutcome.OPTIMAL:
            steps.append("as_is")
        if not _proven_least(self.least):
            steps.append("least")
        if self.nearest.report.outcome is not SolveOutcome.OPTIMAL:
            steps.append("nearest")
        return steps


def solve_audit(prepared: PreparedScenario, table: BedTable) -> AuditSolves:
    """Run the three solves of the audit of `table` (see the module docstring).

    Raises
    ------
    InfeasiblePlanError
        When the scenario's hard rules conflict whatever the beds (steps 2–3).
    SolverError
        When a solve stops without a solution (the as-is solve included: its feasibility is then unknown).
    VerificationError
        When a plan found fails the independent check (optimizer/analysis/verify.py).
    """
    beds = table.beds

    def fixed(model: PlanModel, _inputs: PlanInputs) -> None:
        fix_amounts(model.allocation.amount, BEDS, beds)

    as_is = solve_plan(prepared, on_violation=ViolationPolicy.RECORD, adjust=fixed)
    explanation = None
    if as_is.report.outcome is SolveOutcome.INFEASIBLE:
        explanation = explain(prepared.scenario, prepared.data, as_is.model, prepared.scenario.solver)
        logger.info("the table is infeasible as it stands: %s", explanation.text())
    elif as_is.result is None:
        raise SolverError(
            f"{table.path}: the solve of the table as it stands stopped with no solution "
            f"({as_is.report.outcome.value}, {as_is.report.detail}); raise solver.time_limit_s"
        )
    elif as_is.violations:
        raise VerificationError(as_is.violations)

    def least_change(model: PlanModel, _inputs: PlanInputs) -> None:
        handles = add_deviation(model.problem, model.allocation.amount, BEDS, beds)
        model.problem.setObjective(handles.total)

    exact = prepared.scenario.solver.model_copy(update={"mip_rel_gap": 0.0, "mip_abs_gap": LEAST_ABS_GAP})
    least = solve_plan(
        replace(prepared, scenario=prepared.scenario.model_copy(update={"solver": exact})),
        on_violation=ViolationPolicy.RAISE,
        adjust=least_change,
    )
    cap = round(least.report.objective or 0.0)

    def nearest_plan(model: PlanModel, _inputs: PlanInputs) -> None:
        add_deviation(model.problem, model.allocation.amount, BEDS, beds, cap=cap)

    nearest = solve_plan(prepared, on_violation=ViolationPolicy.RAISE, start=_values(least), adjust=nearest_plan)
    return AuditSolves(as_is, explanation, least, nearest)


def _proven_least(solve: PlanSolve) -> bool:
    """Optimal, with the objective (whole beds) less than one bed above the best bound."""
    report = solve.report
    if report.outcome is not SolveOutcome.OPTIMAL:
        return False
    return report.bound is None or report.objective is None or report.objective - report.bound < 1.0 - 1e-6


def _values(solve: PlanSolve) -> Mapping[str, float]:
    """Every variable's value by name: the MIP start of the next solve."""
    return {v.name: float(v.varValue) for v in solve.model.problem.variables() if v.varValue is not None}
