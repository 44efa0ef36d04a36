"""Budget sweeps at the cost of a few solves: one model per task, plans passed as starts, and levels that take a
higher level's plan without a solve.

Why a plan can be shared (spend = "targets_only", optimizer/solving/spend.py)
-------------------------------------------------------------------------------
Write T(x) for the shortfall and coverage parts of the objective, c(x) for the cost, P(x) for the preference
part and λ = W_cost / B for the weight of one CNY at budget B. At B the spend rule solves
    (1) min f_λ(x) = T(x) + λ·c(x)          s.t. c(x) ≤ B                       → x₁, C₁ = c(x₁)
    (2) min F_λ(x) = T(x) + P(x) + λ·c(x)   s.t. x ∈ Q(x₁) = {shortfalls at x₁'s, c(x) ≤ C₁}
Let x* be the plan solved at B_hi (λ_hi) with C₁ < B_hi, and B_lo in [C₁, B_hi). x* is feasible at every
B ≥ C₁. The weight λ grows as B falls, so a cheaper plan may become better than x*: the plan is NOT shared
on the strength of the higher solve alone. Write (x₁, x₂) for the phases' plans at B_hi, C₁ = c(x₁).
The plan x₂ is shared when the solve at B_lo, started from x₂, returns the same phase (1) outcome (`PhaseOne`:
the same C₁, the same T(x₁'), the same shortfall bounds; x₁' itself may differ) and the same plan x₂. Then x₂ is
the spend rule's plan at every B in [B_lo, B_hi]:
    (1) x₁ is optimal at every B between. For y with c(y) ≥ C₁: f_λ(y) − f_λ(x₁) = [f_hi(y) − f_hi(x₁)] +
        W_cost (c(y) − C₁)(1/B − 1/B_hi), both terms ≥ 0 (x₁ optimal at B_hi over c ≤ B_hi, which holds y).
        For y with c(y) ≤ C₁: on the fixed set {c ≤ C₁} the optimal value g(λ) = min T + λc is concave in λ
        and lies below the line f_λ(x₁) = T(x₁) + λC₁. That line touches g at λ_hi (x₁ optimal) and at λ_lo
        (x₁' is optimal there and f_λ(x₁') = T(x₁') + λC₁ is the same line). A concave function touching a line
        at two points lies on it between them, so x₁ is optimal for every λ in [λ_hi, λ_lo].
    (2) Phase (2)'s feasible set Q(x₁) depends only on x₁'s shortfalls and C₁: it is the same set at both ends and
        at every B between. x₂ is optimal over it at λ_hi and λ_lo; F_λ(x₂) is linear in λ and the optimal
        value over a fixed set is concave, so the same argument gives every λ between.
With gaps, the same argument bounds each phase's absolute gap between B_lo and B_hi by the larger of the two
ends' gaps: a shared level is `optimal` when both ends are, else `feasible_with_gap` with the larger end gap.
A shared level is extracted and verified at its own budget (`finish_plan`), its row says
`solved_as = same_plan_as_level_N` and its objective is the plan's at its own cost weight.

The solves (`sweep_tasks`)
--------------------------
    targets_only: C₁ is read first at the highest level, by its least-cost phase (1) alone (`least_cost_at`, on
        the model a task builds, so the C₁ the highest level's task finds again; 0.13 s on Lu). Then every task
        goes out at once: the highest level alone (the first task); the levels below C₁, where the budget
        binds, in `chunks` contiguous runs, each solved in ascending order, every level started from the plan
        below it (feasible: a lower budget's plan fits a higher one); and the levels with budget ≥ C₁ as one
        run that waits for the first task (`shares_top`): the lowest solved from x*, the rest shared when it
        returns x*, else solved in ascending order. No chain waits for the highest level.
    improve_access: the budget always binds (spare money buys shorter trips), so nothing is shared: `chunks`
        contiguous ascending runs with starts.
Every task builds one model (optimizer/whatif/level_model.py) and changes only the budget between its levels.
The tasks depend on the levels, `chunks` and C₁ alone, so Dask and a sequential run solve the same problems from
the same starts and give the same plans. Which levels are shared is decided by the solves, not by the split: a
C₁ read differently from the highest level's would only put a level in the shared run that its solve then
refuses to share.
Not used (not exact or not worth it here): monotonicity cuts (the optimum at a lower budget is no better) as
objective rows, and early stops against the neighbours' bounds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import pulp

from models.outcome import SolveOutcome
from optimizer.instance.plan_inputs import build_plan_inputs
from optimizer.pipeline import PlanSolve, PreparedScenario, ViolationPolicy, finish_plan, solve_plan
from optimizer.solving.solve import SolveReport
from optimizer.solving.spend import SpendSolve, least_cost
from optimizer.whatif.level_model import LevelModel
from optimizer.whatif.level_solve import level_outcome, prepared_at
from optimizer.whatif.levels import Level, LevelOptions, LevelOutcome, PhaseOne
from optimizer.whatif.marginal import BudgetDualLPs

SAME_VALUE_TOL = 1e-6
"""Two solutions are the same plan when every variable agrees within this (absolute, and relative above 1)."""


@dataclass(frozen=True)
class Task:
    """One unit of work: a chain of levels, or a shared run (`shares_top`) of the levels above the top plan's C₁."""

    levels: tuple[Level, ...]
    """Ascending by budget."""
    shares_top: bool = False
    """The levels may take the plan of the sweep's highest level, which the first task of the same `run` solves:
    this task runs after that one and is handed its outcome."""


def chain_task(
    prepared: PreparedScenario, task: Task, options: LevelOptions, top: Sequence[LevelOutcome] = ()
) -> list[LevelOutcome]:
    """Run `task` on one model: a shared run when `task.shares_top` (`top`: the first task's outcomes, its one
    level with `solution` and `report`), else an ascending chain."""
    inputs = build_plan_inputs(prepared.scenario, prepared.data, prepared.matrix)
    models = _TaskModels(LevelModel(inputs), BudgetDualLPs(inputs) if options.duals else None)
    keep = replace(options, keep_solution=True)
    if not task.shares_top:
        return _chain(prepared, models, task.levels, keep, None)
    if len(top) != 1 or top[0].solution is None:
        raise ValueError("a shared run needs the solved outcome of the sweep's highest level")
    origin = top[0]
    lowest = _solve(prepared, models, task.levels[0], keep, origin.solution)
    if len(task.levels) == 1 or not _same_lexicographic(lowest, origin):
        return [lowest, *_chain(prepared, models, task.levels[1:], keep, lowest.solution)]
    shared = [_shared(prepared, models, level, keep, origin, lowest) for level in task.levels[1:]]
    return [lowest, *shared]


@dataclass(frozen=True)
class _TaskModels:
    """What a task builds once for its levels: the plan model and, when the rows ask for them, the dual LPs."""

    plan: LevelModel
    dual_lps: BudgetDualLPs | None


def sweep_tasks(
    levels: Sequence[Level],
    spend: str,
    chunks: int,
    run: Callable[[Sequence[Task]], list[LevelOutcome]],
    least_cost: Callable[[Level], float | None],
) -> list[LevelOutcome]:
    """Solve every level through one call of `run` (see the module docstring).

    `run` runs the tasks, side by side or in turn, a task with `shares_top` after the first task and with its
    outcomes. `least_cost(level)` is C₁ at a level (`least_cost_at`), read at the highest level to split the rest.
    """
    ordered = sorted(levels, key=lambda lv: (lv.value, lv.index))
    if spend != "targets_only" or len(ordered) < 3:
        return run(_split(ordered, chunks))
    least = least_cost(ordered[-1])
    if least is None or not math.isfinite(least):
        return run(_split(ordered, chunks))
    top = Task((ordered[-1],))
    above = tuple(lv for lv in ordered[:-1] if lv.value >= least)
    below = [lv for lv in ordered[:-1] if lv.value < least]
    if len(above) >= 2:
        return run([top, *_split(below, chunks), Task(above, shares_top=True)])
    return run([top, *_split([*below, *above], chunks)])


def least_cost_at(prepared: PreparedScenario, level: Level) -> float | None:
    """C₁ at `level`: the least-cost phase (1) alone (optimizer/solving/spend.py), on the model a task builds and
    brings to the level's budget, so it is the C₁ the task solving that level finds first."""
    inputs = build_plan_inputs(prepared.scenario, prepared.data, prepared.matrix)
    return least_cost(LevelModel(inputs).at_budget(level.value).model, prepared.scenario.solver)


def _split(levels: Sequence[Level], chunks: int) -> list[Task]:
    """`levels` (ascending) in at most `chunks` contiguous runs of near-equal length."""
    if not levels:
        return []
    count = max(1, min(chunks, len(levels)))
    size, extra = divmod(len(levels), count)
    tasks, first = [], 0
    for i in range(count):
        last = first + size + (1 if i < extra else 0)
        tasks.append(Task(tuple(levels[first:last])))
        first = last
    return tasks


def _chain(
    prepared: PreparedScenario,
    models: _TaskModels,
    levels: Sequence[Level],
    options: LevelOptions,
    start: Mapping[str, float] | None,
) -> list[LevelOutcome]:
    outcomes = []
    for level in levels:
        outcome = _solve(prepared, models, level, options, start)
        outcomes.append(outcome)
        if outcome.solution is not None:
            start = outcome.solution
    return outcomes


def _solve(
    prepared: PreparedScenario,
    models: _TaskModels,
    level: Level,
    options: LevelOptions,
    start: Mapping[str, float] | None,
) -> LevelOutcome:
    at = prepared_at(prepared, level)
    solved = solve_plan(at, on_violation=RECORD, start=start, built=models.plan.at_budget(level.value))
    outcome = level_outcome(at, level, solved, options, dual_lps=models.dual_lps)
    return replace(outcome, phase_one=_phase_one(solved))


def _phase_one(solved: PlanSolve) -> PhaseOne | None:
    """Phase (1) of a `targets_only` solve, read off the model before the next level clears it."""
    spent = solved.spend
    if spent is None or spent.cost_to_meet_targets_cny is None or len(spent.phases) != 2:
        return None
    least = spent.cost_to_meet_targets_cny
    objective = spent.phases[0].objective
    if objective is None:
        return None
    terms = solved.model.terms
    caps = {v.name: v.upBound for v, weight in terms.shortfall.items() if weight > 0}
    return PhaseOne(least, objective - terms.cost_weight * least, caps)


def _shared(
    prepared: PreparedScenario,
    models: _TaskModels,
    level: Level,
    options: LevelOptions,
    origin: LevelOutcome,
    lowest: LevelOutcome,
) -> LevelOutcome:
    """`level` (between `lowest` and `origin`) with `origin`'s plan, extracted and verified at its own budget."""
    assert origin.solution is not None and origin.report is not None and lowest.report is not None
    at = prepared_at(prepared, level)
    built = models.plan.at_budget(level.value)
    for variable in built.model.problem.variables():
        variable.varValue = origin.solution.get(variable.name)
    report = _shared_report(origin.report, lowest.report, pulp.value(built.model.problem.objective), origin, lowest)
    least = float(origin.row["cost_to_meet_targets_cny"])
    spent = SpendSolve(report, least, ())
    solved = finish_plan(at, built.inputs, built.model, report, spent, on_violation=RECORD)
    solved_as = f"same_plan_as_level_{origin.level.index}"
    return level_outcome(
        at, level, solved, options, solved_as=solved_as, dual_lps=models.dual_lps, baselines_of_plan=origin.row
    )


RECORD = ViolationPolicy.RECORD


def _shared_report(
    high: SolveReport, low: SolveReport, objective: float | None, origin: LevelOutcome, lowest: LevelOutcome
) -> SolveReport:
    """Optimal when both ends are proven; else the larger end gap (module docstring)."""
    proven = high.outcome is SolveOutcome.OPTIMAL and low.outcome is SolveOutcome.OPTIMAL
    gaps = [g for g in (high.gap, low.gap) if g is not None]
    detail = (
        f"plan of level {origin.level.index}, solved at {origin.level.value:,.0f} CNY and returned again by the "
        f"solve at level {lowest.level.index} ({lowest.level.value:,.0f} CNY): the spend rule's plan at every "
        "budget between (optimizer/whatif/reuse.py)"
    )
    return replace(
        high,
        outcome=SolveOutcome.OPTIMAL if proven else SolveOutcome.FEASIBLE_GAP,
        objective=objective,
        bound=None,
        gap=max(gaps) if gaps else None,
        seconds=0.0,
        detail=detail,
    )


def _same_lexicographic(a: LevelOutcome, b: LevelOutcome) -> bool:
    """The same phase (1) outcome and the same plan (module docstring), each number within `SAME_VALUE_TOL`."""
    one, other = a.phase_one, b.phase_one
    if one is None or other is None or not _same_values(a.solution, b.solution):
        return False
    return (
        _close(one.least_cost_cny, other.least_cost_cny)
        and _close(one.requirement, other.requirement)
        and _same_values(one.caps, other.caps)
    )


def _same_values(a: Mapping[str, float | None] | None, b: Mapping[str, float | None] | None) -> bool:
    if a is None or b is None or a.keys() != b.keys():
        return False
    return all(_close(a[k], b[k]) for k in a)


def _close(x: float | None, y: float | None) -> bool:
    if x is None or y is None:
        return x is y
    return abs(x - y) <= SAME_VALUE_TOL * max(1.0, abs(x))
