"""How much of the budget a plan spends: the least cost that meets the plan, or the whole budget on access.

A planner asks two questions of a budget: "what does our plan cost?" and "what would the rest buy?". The
plan's objective (models/planner/plan.py, `ObjectiveTerms`) has a *shortfall* part (target, fleet and
feature shortfalls), a *coverage* part (population outside the ambulance, backup and sub-centre
standards), a *preference* part (access travel, travel to the sub-centre, tie-breaks toward the
base-year stock) and the cost. Weighted together, any minute of travel saved is worth some money, so
every run used to spend its whole budget (599.83 of 600 M CNY) and bought beds beyond the plan's caps on
total beds.

`spend = "targets_only"` (the default, decision A41) solves lexicographically:
    (1) least cost   min shortfall + coverage + siting + W_cost·cost / B       → shortfalls s₁, cost C₁
    (2) placement    min shortfall + coverage + siting + preference + W_cost·cost / B
                     s.t. each target's shortfall (and excess) variable at its value in (1) ± tol (bounds),
                          cost ≤ C₁ + tol (row `spend_cap`, in (B1)'s units with FEASIBILITY_TOL of room,
                          1,000 CNY at 10⁹; omitted when C₁ is at the budget, where (B1) already caps it)
                          (1)'s objective ≥ the lower bound (1)'s solve proved (row
                          `least_cost_bound`, below)
so money goes only where the plan's targets and standards ask for it, and (2) places what (1) pays for as
close to residents as that money allows; no target is met less well than in (1). Each shortfall variable is a
one-sided slack of its row (served + shortfall ≥ required, served − excess ≤ allowed: `AllocationRows.bounded`,
the fleet and the feature targets), so holding it at (1)'s value admits the same plans as capping it
there (a plan may still meet a target better; the report counts what is served, not the slack), but (2) gets no
credit for meeting a target better than (1) did: that is (1)'s question, settled within its gap. With only a cap,
(2)'s relaxation spent that gap on fractional staff (Lu County at 967.5 M CNY: it took 0.011 off the physicians
per 1,000 shortfall term, more than the 0.0045 a 0.1 % gap allows), its bound stalled below its optimum, and at three of
five HiGHS seeds a 21-level sweep left that level unproven after 30 s; held, its placement proves in 2–4 s at
each of the five (benchmarks/README.md, #18.2). Within that money (2)
may trade a little coverage for travel where the scenario's weights say so (capping the coverage part as
well made Mianyang's placement solve twice as slow, for a 0.5 % change of the coverage term). The bounds
stay on the model after the solve (variable bounds, rows `spend_cap` and `least_cost_bound`). (2) starts
from (1)'s plan. C₁ is `cost_to_meet_targets_cny`: the least cost that meets every target the plan can
meet within the budget (an upper bound on it when (1) is not proven).

Row `least_cost_bound` cuts off no plan of (2): every plan (2) may choose is a plan (1) could choose (the
same budget row, narrower bounds), so (1)'s objective on it is at least the bound (1)'s solve proved. The
solver of (2) does not know this: its relaxation lets the shortfall, coverage and cost part fall below what
(1) proved, and (2)'s own bound stalls there. Lu County at 90 % of its budget (967.5 M CNY, where the budget
binds): the placement stopped at 30 s with a 0.32 % gap (the same at 120 s); with the row every level of
the 21-level Lu sweep is proven (benchmarks/README.md, #18.2). The row's right-hand side is the smaller of
(1)'s bound and (1)'s objective, less FEASIBILITY_TOL, so (1)'s plan, (2)'s start, always satisfies it.

`spend = "improve_access"` solves the whole objective once (the budget also buys shorter trips), then
(1) alone for `cost_to_meet_targets_cny`, so the report can say what the rest of the budget buys.

Phase (1) runs HiGHS with presolve (`solver.least_cost_presolve`, ten times faster on Mianyang), phase (2)
as `solver.highs_presolve` says. Each phase has the scenario's time limit; the run is proven optimal only
when every phase is, and its gap is the largest phase gap.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

import pulp

from models.outcome import SolveOutcome
from models.planner import PlanModel
from models.planner.plan import budget_row_scale
from models.tolerances import FEASIBILITY_TOL
from optimizer.errors import SolverError
from optimizer.inputs.scenario import SpendRule
from optimizer.inputs.solver_settings import SolverSettings
from optimizer.solving.plan_start import set_start
from optimizer.solving.solve import SolveReport, solve

logger = logging.getLogger(__name__)

COST_CAP = "spend_cap"
LEAST_COST_BOUND = "least_cost_bound"
UNBOUNDED_RHS = 1e30
"""A right-hand side HiGHS and CBC take as no bound at all (HiGHS: at or above 1e20 is infinite)."""


@dataclass(frozen=True)
class SpendSolve:
    """The final solve of a run (its plan is in the model's variables) and the least cost found by (1)."""

    report: SolveReport
    cost_to_meet_targets_cny: float | None
    phases: tuple[SolveReport, ...]


def solve_with_spend_rule(
    model: PlanModel, settings: SolverSettings, rule: SpendRule, budget_cny: float, *, warm_start: bool
) -> SpendSolve:
    """Solve `model` in place under `rule` (see the module docstring); the variables hold the final plan."""
    if rule == "improve_access":
        return _improve_access(model, settings, warm_start=warm_start)
    return _targets_only(model, settings, budget_cny, warm_start=warm_start)


def _targets_only(model: PlanModel, settings: SolverSettings, budget_cny: float, *, warm_start: bool) -> SpendSolve:
    problem = model.problem
    full = problem.objective
    least = _least_cost_phase(model, settings, warm_start=warm_start)
    if not least.outcome.has_solution:
        problem.setObjective(full)
        return SpendSolve(least, None, (least,))
    cost = _value(model.cost)
    _hold_at_current_values(model.terms.shortfall)
    scale = budget_row_scale(budget_cny)
    if cost < budget_cny - FEASIBILITY_TOL * scale:
        cap = problem.get_constraint_by_name(COST_CAP)
        if cap is None:
            problem.addConstraint((1.0 / scale) * model.cost <= cost / scale + FEASIBILITY_TOL, COST_CAP)
        else:  # a model solved before (a what-if level): the row is there, only its bound changes
            cap.constant = -(cost / _row_scale(cap, model.cost) + FEASIBILITY_TOL)
    _bound_by_least_cost(model, least)
    problem.setObjective(full)
    set_start(problem, {v.name: v.varValue for v in problem.variables()})
    placed = solve(problem, settings, warm_start=True)
    if not placed.outcome.has_solution:  # (1)'s plan is feasible for (2): only a solver fault lands here
        raise SolverError(f"{problem.name}: the placement phase lost the least-cost plan ({placed.detail})")
    logger.info("least cost %.0f CNY (of %.0f); placement %s", cost, budget_cny, placed.outcome.value)
    return SpendSolve(_combined(placed, (least, placed)), cost, (least, placed))


def least_cost(model: PlanModel, settings: SolverSettings) -> float | None:
    """Phase (1) of `targets_only` alone, as `solve_with_spend_rule` runs it first: C₁, the least cost that meets
    every target the plan can meet within the model's budget (None: the solver found no plan). A budget sweep
    reads it at its highest level before any task runs (optimizer/whatif/reuse.py). The model is left with
    phase (1)'s objective and plan."""
    if not _least_cost_phase(model, settings, warm_start=False).outcome.has_solution:
        return None
    return _value(model.cost)


def _least_cost_phase(model: PlanModel, settings: SolverSettings, *, warm_start: bool) -> SolveReport:
    model.problem.setObjective(model.terms.least_cost(model.cost))
    return solve(model.problem, least_cost_settings(settings), warm_start=warm_start)


def _bound_by_least_cost(model: PlanModel, least: SolveReport) -> None:
    """Row `least_cost_bound` (module docstring): (1)'s objective at least what (1) proved, for phase (2).

    A model solved before (a what-if level) has the row from an earlier budget, whose cost weight differs:
    its expression is set again, not only its bound. Without a bound from (1) nothing is added (a model solved
    again went through `clear_spend_rows`, which switched the row off)."""
    if least.bound is None or least.objective is None:
        return
    problem = model.problem
    row = problem.get_constraint_by_name(LEAST_COST_BOUND)
    proven = min(least.bound, least.objective)
    rhs = proven - FEASIBILITY_TOL * max(1.0, abs(proven))
    expression = model.terms.least_cost(model.cost)
    if row is None:
        problem.addConstraint(expression >= rhs, LEAST_COST_BOUND)
    else:
        row.expr = expression
        row.constant = expression.constant - rhs


def _improve_access(model: PlanModel, settings: SolverSettings, *, warm_start: bool) -> SpendSolve:
    problem, terms = model.problem, model.terms
    main = solve(problem, settings, warm_start=warm_start)
    if not main.outcome.has_solution:
        return SpendSolve(main, None, (main,))
    plan = {v.name: v.varValue for v in problem.variables()}
    full = problem.objective
    problem.setObjective(terms.least_cost(model.cost))
    set_start(problem, {v.name: v.varValue for v in problem.variables()})
    least = solve(problem, least_cost_settings(settings), warm_start=True)
    cost = _value(model.cost) if least.outcome.has_solution else None
    problem.setObjective(full)
    for variable in problem.variables():  # the run's plan is the main solve's, not the least-cost one
        variable.varValue = plan[variable.name]
    return SpendSolve(_combined(main, (main, least)), cost, (main, least))


def least_cost_settings(settings: SolverSettings) -> SolverSettings:
    """The solver settings of phase (1): HiGHS presolve as `least_cost_presolve` says."""
    return settings.model_copy(update={"highs_presolve": settings.least_cost_presolve})


ShortfallBounds = dict[str, tuple[float | None, float | None]]
"""Shortfall and excess variable name → its (lower, upper) bound."""


def shortfall_bounds(model: PlanModel) -> ShortfallBounds:
    """The bounds of the shortfall and excess variables as built: what `clear_spend_rows` restores."""
    return {v.name: (v.lowBound, v.upBound) for v, weight in model.terms.shortfall.items() if weight > 0}


def clear_spend_rows(model: PlanModel, bounds: ShortfallBounds) -> None:
    """Undo what a `targets_only` solve leaves on `model` (row `spend_cap`, the shortfall bounds) and set the whole
    objective, so the model can be solved again, e.g. at another budget (a what-if worker keeps one model for its
    levels, optimizer/whatif/level_model.py). `bounds` is `shortfall_bounds(model)` taken before the first solve."""
    cap = model.problem.get_constraint_by_name(COST_CAP)
    if cap is not None:  # switched off: a bound HiGHS reads as none (PuLP 3.3 has no removal that is not deprecated)
        cap.constant = -UNBOUNDED_RHS
    floor = model.problem.get_constraint_by_name(LEAST_COST_BOUND)
    if floor is not None:  # a ≥ row: switched off by a right-hand side HiGHS reads as minus infinity
        floor.constant = UNBOUNDED_RHS
    for variable, weight in model.terms.shortfall.items():
        if weight > 0:
            variable.lowBound, variable.upBound = bounds[variable.name]
    model.problem.setObjective(model.terms.full(model.cost))


def _combined(final: SolveReport, phases: tuple[SolveReport, ...]) -> SolveReport:
    """The final phase's report, not optimal unless every phase is, with the largest phase gap."""
    if all(p.outcome is SolveOutcome.OPTIMAL for p in phases):
        return replace(final, seconds=sum(p.seconds for p in phases))
    gaps = [p.gap for p in phases if p.gap is not None]
    unproven = [str(i + 1) for i, p in enumerate(phases) if p.outcome is not SolveOutcome.OPTIMAL]
    return replace(
        final,
        outcome=SolveOutcome.FEASIBLE_GAP,
        gap=max(gaps) if gaps else None,
        seconds=sum(p.seconds for p in phases),
        detail=f"{final.detail}; phase {', '.join(unproven)} of {len(phases)} not proven optimal",
    )


def _hold_at_current_values(shortfall: pulp.LpAffineExpression) -> None:
    """Each shortfall and excess variable of the plan's targets held at its value in (1), within FEASIBILITY_TOL:
    no target is met less well than in the least-cost plan (the upper bound), and (2) gets no credit for meeting
    one better (the lower bound; module docstring). Bounds, not one summed row: a dense row over every target made
    the placement solve twice as slow."""
    for variable, weight in shortfall.items():
        if weight > 0 and variable.varValue is not None:
            value = max(float(variable.varValue), 0.0)
            room = FEASIBILITY_TOL * max(1.0, value)
            variable.upBound = value + room if variable.upBound is None else min(variable.upBound, value + room)
            variable.lowBound = max(variable.lowBound or 0.0, value - room)


def _row_scale(row: pulp.LpConstraint, cost: pulp.LpAffineExpression) -> float:
    """The scale row `spend_cap` was built in: at an earlier level's budget, whose power of ten may differ from
    this level's (a sweep from 645 M to 1,720 M CNY crosses 10⁹), so its bound must be stated in its own scale."""
    coefficients = dict(row.items())
    for variable, coefficient in cost.items():
        if coefficient and coefficients.get(variable):
            return float(coefficient / coefficients[variable])
    raise SolverError(f"row {COST_CAP!r} shares no variable with the cost")


def _value(expression: pulp.LpAffineExpression) -> float:
    value = pulp.value(expression)
    return float(value) if value is not None else 0.0
