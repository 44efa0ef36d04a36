"""The one place where a solver is chosen, run and its answer classified.

Builders in `models/` never name a solver. This adapter turns `SolverSettings` (the scenario's
`[solver]` block, defined with the schema in `optimizer.inputs.solver_settings`) into a PuLP solver
(HiGHS through highspy, or CBC from the `cbcbox` wheel), runs it, and classifies the answer from
PuLP's `sol_status` plus the solver's own termination: PuLP 3.3 reports a HiGHS time-limit
incumbent as `status=Optimal`, so `status` alone would call a non-optimal answer optimal.

"Optimal" means proven optimal within one fixed tolerance, `OPTIMAL_REL_GAP` (relative, 1e-3 =
0.1 %, the tolerance the bundled scenarios solve to, see docs/decisions.md) or the run's absolute
gap `mip_abs_gap` (1e-4 objective units by default) for objectives near zero. After every solve the
gap is recomputed from the objective and the best bound and decides OPTIMAL against FEASIBLE_GAP,
whatever the solver's own status says: a scenario that sets `solver.mip_rel_gap = 0.5` and stops at
a 48 % gap is FEASIBLE_GAP, never OPTIMAL. A `mip_rel_gap` above `LOOSE_REL_GAP` (5 %) is logged as a
warning naming the field.
"""

from __future__ import annotations

import importlib.metadata
import logging
import math
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import highspy
import numpy as np
import pulp

from models.outcome import SolveOutcome
from models.tolerances import DIVISION_FLOOR
from optimizer.errors import SolverError
from optimizer.inputs.solver_settings import SolverName, SolverSettings

logger = logging.getLogger(__name__)

OPTIMAL_REL_GAP = 1e-3
"""Largest relative gap |objective − bound| / |objective| still reported as OPTIMAL (0.1 %)."""
LOOSE_REL_GAP = 0.05
"""A `solver.mip_rel_gap` above this (5 %) is almost always a percentage typed as a fraction: warned."""
_DISTRIBUTIONS: dict[SolverName, str] = {"highs": "highspy", "cbc": "cbcbox"}
"""The package whose version each solver reports (HiGHS through highspy, CBC from the cbcbox wheel)."""


@dataclass(frozen=True)
class SolveReport:
    """What the solver said: outcome, objective, best bound, relative gap, and which solver ran."""

    outcome: SolveOutcome
    objective: float | None
    bound: float | None
    gap: float | None
    solver: str
    solver_version: str
    seconds: float
    pulp_status: str
    pulp_sol_status: int
    detail: str


def classify(status: int, sol_status: int) -> SolveOutcome:
    """Map PuLP's `(status, sol_status)` pair to a `SolveOutcome`.

    `sol_status` decides between a proven optimum and an incumbent: HiGHS and CBC both return
    `status=Optimal` with `sol_status=IntegerFeasible` when a time limit stops them with a solution.
    Solvers disagree on the infeasible code (Infeasible, NotSolved or Undefined), so only
    `sol_status` is trusted for infeasibility and unboundedness.
    """
    if sol_status == pulp.LpSolutionOptimal and status == pulp.LpStatusOptimal:
        return SolveOutcome.OPTIMAL
    if sol_status == pulp.LpSolutionIntegerFeasible:
        return SolveOutcome.FEASIBLE_GAP
    if sol_status == pulp.LpSolutionInfeasible or status == pulp.LpStatusInfeasible:
        return SolveOutcome.INFEASIBLE
    if sol_status == pulp.LpSolutionUnbounded or status == pulp.LpStatusUnbounded:
        return SolveOutcome.UNBOUNDED
    return SolveOutcome.NO_SOLUTION


def classify_gap(
    outcome: SolveOutcome, objective: float | None, bound: float | None, *, abs_tol: float = 1e-4
) -> SolveOutcome:
    """OPTIMAL or FEASIBLE_GAP for an answer with a solution, from its objective and best bound alone.

    OPTIMAL when the relative gap is at most `OPTIMAL_REL_GAP` or the absolute gap at most `abs_tol`
    (the run's `mip_abs_gap`); FEASIBLE_GAP otherwise, and when the bound is unknown and the solver did
    not claim a proof. The solver's own status is overruled in both directions: HiGHS stops with status
    Optimal once the *requested* gap is met, however loose. Outcomes without a solution pass through.
    """
    if not outcome.has_solution:
        return outcome
    if objective is None or bound is None or not (math.isfinite(objective) and math.isfinite(bound)):
        return outcome if bound is None else SolveOutcome.FEASIBLE_GAP
    difference, scale = _gap(objective, bound)
    if difference <= abs_tol or difference <= OPTIMAL_REL_GAP * scale:
        return SolveOutcome.OPTIMAL
    return SolveOutcome.FEASIBLE_GAP


def available_solvers() -> list[SolverName]:
    """The solvers that can run on this machine, in preference order."""
    found: list[SolverName] = []
    if pulp.HiGHS(msg=False).available():
        found.append("highs")
    if _cbc_path() is not None:
        found.append("cbc")
    return found


def solve(problem: pulp.LpProblem, settings: SolverSettings, *, warm_start: bool = False) -> SolveReport:
    """Solve `problem` in place with the configured solver and classify the answer.

    With `warm_start`, the variables' current values (set with `setInitialValue`) are handed to the
    solver as a MIP start: CBC through PuLP's `COIN_CMD(warmStart=True)` (an .mst file), HiGHS through
    highspy's `Highs.setSolution` (see `_HighsWithStart`). A start only gives the solver an incumbent
    to prune with; an infeasible or partial start is repaired or ignored by the solver.

    Raises
    ------
    SolverError
        When no usable solver is installed, or the solver crashes.
    """
    name = _resolve_solver_name(settings)
    settings = _checked_settings(settings)
    started = time.perf_counter()
    try:
        if name == "highs":
            report = _solve_highs(problem, settings, warm_start=warm_start)
        else:
            report = _solve_cbc(problem, settings, warm_start=warm_start)
    except pulp.PulpSolverError as exc:
        raise SolverError(
            f"the {name} solver failed on problem '{problem.name}': {exc}. "
            "Try the other solver with `--solver cbc` or `--solver highs`."
        ) from exc
    seconds = time.perf_counter() - started
    outcome = classify_gap(report.outcome, report.objective, report.bound, abs_tol=settings.mip_abs_gap)
    if outcome is not report.outcome:
        logger.info(
            "%s said %s; objective %s and bound %s make it %s (tolerance %g relative)",
            name,
            report.outcome.value,
            report.objective,
            report.bound,
            outcome.value,
            OPTIMAL_REL_GAP,
        )
    logger.info("%s: %s in %.2f s (objective %s, gap %s)", name, outcome.value, seconds, report.objective, report.gap)
    return SolveReport(**{**report.__dict__, "outcome": outcome, "seconds": seconds})


_warned: set[tuple[str, float]] = set()


def _checked_settings(settings: SolverSettings) -> SolverSettings:
    """Warn once about a loose `mip_rel_gap`; clamp `threads` to the cores this process may use."""
    if settings.mip_rel_gap > LOOSE_REL_GAP and ("gap", settings.mip_rel_gap) not in _warned:
        _warned.add(("gap", settings.mip_rel_gap))
        logger.warning(
            "solver.mip_rel_gap = %g lets the solver stop %g %% from the best bound; such a plan is reported "
            "feasible_with_gap, not optimal. The field is a fraction: write 0.005 for 0.5 %%.",
            settings.mip_rel_gap,
            settings.mip_rel_gap * 100,
        )
    cores = _cores()
    if settings.threads > cores:
        if ("threads", settings.threads) not in _warned:
            _warned.add(("threads", settings.threads))
            logger.warning("solver.threads = %d but %d core(s) are available; using %d", settings.threads, cores, cores)
        settings = settings.model_copy(update={"threads": cores})
    return settings


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _resolve_solver_name(settings: SolverSettings) -> SolverName:
    available = available_solvers()
    if settings.name in available:
        return settings.name
    if settings.fallback and available:
        other = available[0]
        logger.warning("solver '%s' is not installed; falling back to '%s'", settings.name, other)
        return other
    raise SolverError(
        f"solver '{settings.name}' is not installed (available: {available or 'none'}). "
        "Install the project with `pip install -e .` (it brings highspy and cbcbox)."
    )


class _HighsWithStart(pulp.HiGHS):  # type: ignore[misc]
    """PuLP's HiGHS adapter plus a MIP start.

    PuLP 3.3.2's `HiGHS` (the highspy API) takes no `warmStart` option; only `HiGHS_CMD` does, and it
    needs a `highs` executable that highspy does not ship. `HiGHS.actualSolve` builds the highspy
    model (`buildSolverModel`, which sets `var.index`) and then calls `callSolver`, so this subclass
    passes the variables' current values to `Highs.setSolution` (sparse: variables without a value
    are left for HiGHS to complete) just before `run()`. HiGHS checks the start and logs "MIP start
    solution is feasible" when it uses it. This relies on the 3.3.2 call order; re-check on PuLP 4.
    """

    def callSolver(self, lp: pulp.LpProblem) -> None:  # noqa: N802 - PuLP's method name
        """Hand the start to HiGHS, then run it."""
        started = [v for v in lp.variables() if v.varValue is not None]
        index = np.array([v.index for v in started], dtype=np.int32)
        value = np.array([float(v.varValue) for v in started], dtype=np.float64)
        if len(started):
            lp.solverModel.setSolution(len(started), index, value)
        lp.solverModel.run()


class _HighsScheduler:
    """HiGHS keeps one thread pool per process: a solve asking for another thread count gets no
    solution ("Not Set") unless the pool is reset first. This remembers the size of the live pool."""

    threads: int | None = None

    @classmethod
    def use(cls, threads: int) -> None:
        """Reset HiGHS's global scheduler when the thread count changes."""
        if cls.threads is not None and cls.threads != threads:
            highspy.Highs.resetGlobalScheduler(True)
        cls.threads = threads


def _solve_highs(problem: pulp.LpProblem, settings: SolverSettings, *, warm_start: bool = False) -> SolveReport:
    _HighsScheduler.use(settings.threads)
    solver = (_HighsWithStart if warm_start else pulp.HiGHS)(
        msg=False,
        timeLimit=settings.time_limit_s,
        gapRel=settings.mip_rel_gap,
        gapAbs=settings.mip_abs_gap,
        threads=settings.threads,
        random_seed=settings.random_seed,
        presolve="on" if settings.highs_presolve else "off",
    )
    problem.solve(solver)
    outcome = classify(problem.status, problem.sol_status)
    highs = problem.solverModel
    model_status = highs.modelStatusToString(highs.getModelStatus())
    info = highs.getInfo()
    objective = _objective(problem, outcome)
    bound: float | None
    if problem.isMIP():
        # PuLP hands HiGHS a maximisation as the minimisation of the negated objective, and keeps
        # the objective's constant to itself.
        sign = -1.0 if problem.sense == pulp.LpMaximize else 1.0
        constant = float(problem.objective.constant) if problem.objective is not None else 0.0
        bound = sign * float(info.mip_dual_bound) + constant if outcome.has_solution else None
    else:
        bound = objective
    return _report(problem, "highs", outcome, objective, bound, detail=model_status)


def _cbc_path() -> str | None:
    try:
        import cbcbox
    except ImportError:
        return None
    path = cbcbox.cbc_bin_path()
    return str(path) if path and Path(path).exists() else None


_CBC_BOUND = re.compile(r"^(?:Lower|Upper) bound:\s+(-?[0-9.eE+-]+)", re.MULTILINE)


def _solve_cbc(problem: pulp.LpProblem, settings: SolverSettings, *, warm_start: bool = False) -> SolveReport:
    path = _cbc_path()
    if path is None:
        raise SolverError("CBC is not installed: `pip install cbcbox`.")
    with tempfile.TemporaryDirectory(prefix="cbc-") as tmp:
        log_path = Path(tmp) / "cbc.log"
        solver = pulp.COIN_CMD(
            path=path,
            msg=False,
            timeLimit=settings.time_limit_s,
            gapRel=settings.mip_rel_gap,
            gapAbs=settings.mip_abs_gap,
            threads=settings.threads,
            logPath=str(log_path),
            warmStart=warm_start,
            options=[f"randomCbcSeed {settings.random_seed or 1}", f"randomSeed {settings.random_seed or 1}"],
        )
        problem.solve(solver)
        log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
    outcome = classify(problem.status, problem.sol_status)
    objective = _objective(problem, outcome)
    bound: float | None = None
    if outcome.has_solution:
        # CBC prints the best bound when it stops early or within the gap tolerance; a proof to
        # gap 0 prints none, and then the bound is the objective. CBC never sees the objective's
        # constant term (PuLP keeps it), so its printed bound is shifted by it, as HiGHS's is.
        match = _CBC_BOUND.search(log)
        constant = float(problem.objective.constant) if problem.objective is not None else 0.0
        bound = float(match.group(1)) + constant if match else (objective if outcome is SolveOutcome.OPTIMAL else None)
    return _report(problem, "cbc", outcome, objective, bound, detail=_cbc_result_line(log))


def _cbc_result_line(log: str) -> str:
    for line in log.splitlines():
        if line.startswith("Result - "):
            return line.removeprefix("Result - ").strip()
    return ""


def _objective(problem: pulp.LpProblem, outcome: SolveOutcome) -> float | None:
    if not outcome.has_solution:
        return None
    value = pulp.value(problem.objective)
    return float(value) if value is not None else 0.0


def _report(
    problem: pulp.LpProblem,
    solver: SolverName,
    outcome: SolveOutcome,
    objective: float | None,
    bound: float | None,
    *,
    detail: str,
) -> SolveReport:
    """The report of one solver run, before `solve` adds the wall time and re-classifies by the gap."""
    return SolveReport(
        outcome=outcome,
        objective=objective,
        bound=bound,
        gap=_relative_gap(objective, bound, problem.sense),
        solver=solver,
        solver_version=importlib.metadata.version(_DISTRIBUTIONS[solver]),
        seconds=0.0,
        pulp_status=pulp.LpStatus[problem.status],
        pulp_sol_status=problem.sol_status,
        detail=detail,
    )


def _gap(objective: float, bound: float) -> tuple[float, float]:
    """|objective − bound| and the scale it is relative to, max(|objective|, DIVISION_FLOOR).

    The one gap computation: `_relative_gap` reports their ratio, `classify_gap` tests them against
    `mip_abs_gap` and `OPTIMAL_REL_GAP`.
    """
    return abs(objective - bound), max(abs(objective), DIVISION_FLOOR)


def _relative_gap(objective: float | None, bound: float | None, sense: int) -> float | None:
    """Relative gap |objective − bound| / max(|objective|, DIVISION_FLOOR), in the solver's convention.

    The difference counts as 0 when the bound is not on the solver's side of the objective (not below
    it when minimising, not above it when maximising), as when rounding makes it cross the objective.
    """
    if objective is None or bound is None:
        return None
    difference, scale = _gap(objective, bound)
    behind = bound < objective if sense == pulp.LpMinimize else bound > objective
    return (difference if behind else 0.0) / scale
