"""Exact p-median at scale: heuristic, Lagrangian bound and fixing, Lagrangian tree search, radius MIP.

The radius formulation (`models.location.p_median`) is compact, but its LP is highly degenerate and a MIP
solver can branch for minutes on it when p is small. The solver therefore proves as much as it can
before any MIP (Beasley 1993, "Lagrangean heuristics for location problems", EJOR 65; the reduced
radius MIP follows García, Labbé & Marín 2011):

1. greedy + vertex-substitution interchange (Teitz & Bart 1968) gives an upper bound UB;
2. subgradient optimisation of the Lagrangian dual (assignment constraints relaxed) gives a lower
   bound LB equal to the LP bound; with integer costs ⌈LB⌉ ≥ UB proves the heuristic optimal, and
   reduced-cost fixing removes sites (or fixes them open) without losing any solution better than UB
   (`models.location.exact.p_median_lagrangian`);
3. a depth-first Lagrangian tree search over the sites left, with a deadline: it proves small-p
   instances (LP gap ≈ 1 %) in seconds and improves UB on the way;
4. when the tree does not finish, the radius MIP is solved on the sites left, every demand's levels
   capped at its nearest fixed-open site. The answer is the best solution of all phases.

The phases are deterministic (no random numbers; ties broken by index); only a phase stopped by its
deadline makes the result depend on the machine's speed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
import pulp

from models.location.exact.p_median_lagrangian import lagrangian_fixing, lagrangian_tree_search
from models.location.location_common import Key
from models.location.p_median import PMedianInputs, build_p_median_model, p_median_cost
from models.outcome import SolveOutcome
from models.tolerances import COMPARISON_TOL, DIVISION_FLOOR, INTEGRALITY_TOL

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class MipReport:
    """What an injected MIP solve reports back: its outcome and best bound (None when unknown)."""

    outcome: SolveOutcome
    bound: float | None


class MipSolve(Protocol):
    """Solve `problem` in place within `time_limit_s` seconds and relative gap `mip_rel_gap`.

    With `warm_start`, the variables' initial values are a MIP start. The caller chooses the solver
    (the planner's adapter is `optimizer.solving.solve.solve`); this package never names one.
    """

    def __call__(
        self, problem: pulp.LpProblem, *, time_limit_s: float, mip_rel_gap: float, warm_start: bool = False
    ) -> MipReport: ...


@dataclass(frozen=True)
class PMedianResult:
    """Outcome of `solve_p_median`."""

    outcome: SolveOutcome
    open_sites: tuple[Key, ...]
    objective: float
    bound: float
    gap: float
    heuristic_value: float
    lagrangian_bound: float
    n_fixed_open: int
    n_fixed_closed: int
    tree_nodes: int
    """Nodes of the Lagrangian tree search (0 when the root bound already proved the heuristic)."""
    mip_solved: bool
    build_seconds: float
    seconds: float
    """Wall time of everything after loading: heuristic, Lagrangian, build and MIP."""


def greedy_interchange(
    cost: FloatArray, p: int, *, max_passes: int = 30, time_limit_s: float = float("inf")
) -> tuple[list[int], float]:
    """Greedy add, then first-improvement vertex substitution; `cost` is weighted demand × site.

    The interchange stops after `max_passes` passes or `time_limit_s` seconds (checked per swap
    attempt). Returns the chosen column indices (sorted) and their cost.
    """
    deadline = time.perf_counter() + time_limit_s
    n, m = cost.shape
    chosen: list[int] = []
    current = np.full(n, np.inf)
    for _ in range(p):
        totals = np.minimum(current[:, None], cost).sum(axis=0)
        totals[chosen] = np.inf
        j = int(np.argmin(totals))
        chosen.append(j)
        current = np.minimum(current, cost[:, j])
    return interchange(cost, chosen, max_passes=max_passes, deadline=deadline)


def interchange(
    cost: FloatArray, start: list[int], *, max_passes: int = 30, deadline: float = float("inf")
) -> tuple[list[int], float]:
    """Vertex substitution (Teitz & Bart 1968) from `start`: for each open site in turn, the best swap."""
    chosen = list(start)
    n = cost.shape[0]
    best = float(cost[:, chosen].min(axis=1).sum())
    for _ in range(max_passes):
        improved = False
        for slot in range(len(chosen)):
            if time.perf_counter() > deadline:
                return sorted(chosen), best
            others = [c for k, c in enumerate(chosen) if k != slot]
            base = cost[:, others].min(axis=1) if others else np.full(n, np.inf)
            totals = np.minimum(base[:, None], cost).sum(axis=0)
            totals[chosen] = np.inf
            j = int(np.argmin(totals))
            if totals[j] < best - COMPARISON_TOL * max(1.0, abs(best)):
                chosen[slot] = j
                best = float(totals[j])
                improved = True
        if not improved:
            break
    return sorted(chosen), best


MAX_RADIUS_LEVELS = 1_500_000
"""Above this many level variables the reduced MIP is not built (PuLP memory); bounds are reported."""
MIN_MIP_SECONDS = 10.0
"""The reduced MIP is not built when less than this much of the time limit is left."""
TREE_SHARE = 0.8
"""Share of the time left after the Lagrangian root that the tree search may use when a MIP follows."""


def solve_p_median(
    inputs: PMedianInputs,
    solve: MipSolve,
    *,
    time_limit_s: float,
    mip_rel_gap: float,
    reduce: bool = True,
    tree_search: bool = True,
) -> PMedianResult:
    """Solve the p-median exactly: heuristic, Lagrangian root and tree search, then the radius MIP.

    The heuristic and the Lagrangian root each get at most a quarter of `time_limit_s`; the
    tree search gets `TREE_SHARE` of what is left, or all of it when no MIP can follow (more than
    `MAX_RADIUS_LEVELS` level variables). Without a finished tree or MIP the result is `FEASIBLE_GAP`
    with the best bound proven. With `reduce=False` the model named by `inputs.formulation` is built
    and solved as is (the baseline the benchmark compares against); with `tree_search=False` the MIP
    follows the Lagrangian root directly (to measure, or test, that path alone).
    """
    started = time.perf_counter()
    if not reduce:
        return _solve_as_built(inputs, solve, time_limit_s, mip_rel_gap, started)
    weight = np.asarray(inputs.weight, dtype=float)
    dist = np.asarray(inputs.distance, dtype=float)
    cost = weight[:, None] * dist
    integer_costs = bool(np.all(cost == np.round(cost)))
    quarter = time_limit_s / 4
    chosen, upper = greedy_interchange(cost, inputs.p, time_limit_s=quarter)
    heuristic = upper
    root = lagrangian_fixing(cost, inputs.p, upper, integer_costs=integer_costs, time_limit_s=quarter)
    for start in (root.solution, root.sites):
        if start:  # local search from the Lagrangian solutions: finds the optimum of most large-p instances
            found, value = interchange(cost, list(start), deadline=time.perf_counter() + quarter / 2)
            if value < upper:
                chosen, upper = found, value
    if upper < heuristic:  # a better upper bound fixes more sites: a short warm restart
        root = lagrangian_fixing(
            cost, inputs.p, upper, integer_costs=integer_costs, max_iterations=300, time_limit_s=quarter, start=root
        )
    phases = _Phases(heuristic, root.bound, len(root.fixed_open), len(root.fixed_closed), started)
    lower = _integer_bound(root.bound, integer_costs)
    keep = [c for c in range(len(inputs.site_ids)) if c not in root.fixed_closed]
    nothing_left = len(keep) < inputs.p or len(root.fixed_open) > inputs.p or bool(root.fixed_open & root.fixed_closed)
    if lower >= upper - COMPARISON_TOL * max(1.0, abs(upper)) or nothing_left:
        # the bound proves the heuristic optimal, or fixing left no solution better than it
        return phases.result(SolveOutcome.OPTIMAL, inputs, chosen, upper, upper, 0, False, 0.0)
    fixed_cols = [keep.index(c) for c in sorted(root.fixed_open)]
    levels = _level_count(dist[:, keep], inputs.p, fixed_cols)
    left = time_limit_s - (time.perf_counter() - started)
    mip_possible = levels <= MAX_RADIUS_LEVELS and left * (1 - TREE_SHARE) >= MIN_MIP_SECONDS
    tree_seconds = (left * TREE_SHARE if mip_possible else left) if tree_search else 0.0
    tree = lagrangian_tree_search(
        cost, inputs.p, upper, root, integer_costs=integer_costs, deadline=time.perf_counter() + tree_seconds
    )
    if tree.sites:
        chosen, upper = sorted(tree.sites), tree.upper
    logger.info(
        "p-median: heuristic %.6g, Lagrangian bound %.6g after %d iterations, %d sites fixed open and %d closed; "
        "tree search %s after %d nodes, best %.6g",
        heuristic,
        root.bound,
        root.iterations,
        len(root.fixed_open),
        len(root.fixed_closed),
        "finished" if tree.complete else "stopped",
        tree.nodes,
        upper,
    )
    if tree.complete:
        return phases.result(SolveOutcome.OPTIMAL, inputs, chosen, upper, upper, tree.nodes, False, 0.0)
    lower = max(lower, _integer_bound(tree.bound, integer_costs))
    if not mip_possible:
        logger.warning(
            "p-median: no MIP (reduced radius model of %d levels, limit %d; %.0f s were left); reporting bounds",
            levels,
            MAX_RADIUS_LEVELS,
            left,
        )
        return phases.result(SolveOutcome.FEASIBLE_GAP, inputs, chosen, upper, lower, tree.nodes, False, 0.0)
    reduced = PMedianInputs(
        inputs.demand_ids,
        tuple(inputs.site_ids[c] for c in keep),
        inputs.weight,
        dist[:, keep],
        inputs.p,
        formulation="radius",
        fixed_open=tuple(inputs.site_ids[c] for c in sorted(root.fixed_open)),
    )
    model_start = time.perf_counter()
    model = build_p_median_model(reduced)
    build = time.perf_counter() - model_start
    remaining = max(1.0, time_limit_s - (time.perf_counter() - started))
    gap = mip_rel_gap
    if integer_costs:
        # integer objective: a gap below 1/UB already proves the optimum (⌈bound⌉ ≥ UB)
        gap = max(gap, 0.999 / max(upper, 1.0))
    incumbent = [inputs.site_ids[c] for c in chosen]
    warm = set(chosen) <= set(keep) and set(root.fixed_open) <= set(chosen)  # a feasible start for the MIP
    if warm:
        model.set_start(incumbent)
    report = solve(model.problem, time_limit_s=remaining, mip_rel_gap=gap, warm_start=warm)
    objective, sites = upper, incumbent
    if report.outcome.has_solution:
        mip_sites = model.open_sites()
        value = p_median_cost(inputs, mip_sites)
        if value < objective:
            objective, sites = value, mip_sites
    proven = report.outcome in (SolveOutcome.OPTIMAL, SolveOutcome.INFEASIBLE)  # infeasible: nothing beats UB
    if not proven and report.bound is not None and report.outcome.has_solution:
        proven = integer_costs and _integer_bound(report.bound, True) >= objective - COMPARISON_TOL
        lower = max(lower, report.bound)
    outcome = SolveOutcome.OPTIMAL if proven else SolveOutcome.FEASIBLE_GAP
    bound = objective if proven else min(objective, lower)
    col_of = {s: c for c, s in enumerate(inputs.site_ids)}
    return phases.result(outcome, inputs, [col_of[s] for s in sites], objective, bound, tree.nodes, True, build)


@dataclass(frozen=True)
class _Phases:
    """What the heuristic and the Lagrangian root found: the shared part of every `PMedianResult`."""

    heuristic: float
    lagrangian_bound: float
    n_fixed_open: int
    n_fixed_closed: int
    started: float

    def result(
        self,
        outcome: SolveOutcome,
        inputs: PMedianInputs,
        columns: list[int],
        objective: float,
        bound: float,
        tree_nodes: int,
        mip_solved: bool,
        build_seconds: float,
    ) -> PMedianResult:
        """The result of a run that ends with the sites in `columns`."""
        return PMedianResult(
            outcome,
            tuple(inputs.site_ids[c] for c in sorted(columns)),
            objective,
            bound,
            _gap(objective, bound),
            self.heuristic,
            self.lagrangian_bound,
            self.n_fixed_open,
            self.n_fixed_closed,
            tree_nodes,
            mip_solved,
            build_seconds,
            time.perf_counter() - self.started,
        )


def _solve_as_built(
    inputs: PMedianInputs, solve: MipSolve, time_limit_s: float, mip_rel_gap: float, started: float
) -> PMedianResult:
    """Build the model in `inputs.formulation` and hand it to the solver: the benchmark's baseline."""
    model_start = time.perf_counter()
    model = build_p_median_model(inputs)
    build = time.perf_counter() - model_start
    report = solve(model.problem, time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap)
    sites = tuple(model.open_sites()) if report.outcome.has_solution else ()
    objective = p_median_cost(inputs, sites) if sites else float("nan")
    bound = report.bound if report.bound is not None else float("-inf")
    return PMedianResult(
        report.outcome,
        sites,
        objective,
        bound,
        _gap(objective, bound),
        float("nan"),
        float("nan"),
        0,
        0,
        0,
        True,
        build,
        time.perf_counter() - started,
    )


def _integer_bound(bound: float, integer_costs: bool) -> float:
    """With integer costs every solution's value is an integer, so the bound rounds up."""
    return float(np.ceil(bound - INTEGRALITY_TOL)) if integer_costs else bound


def _level_count(dist: FloatArray, p: int, fixed_cols: list[int]) -> int:
    """Distinct distance levels per demand up to its rank bound and nearest fixed site, summed."""
    ordered = np.sort(dist, axis=1)
    limit = ordered[:, dist.shape[1] - p]
    if fixed_cols:
        limit = np.minimum(limit, dist[:, fixed_cols].min(axis=1))
    within = ordered <= limit[:, None]
    new_value = np.ones_like(within)
    new_value[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    return int((within & new_value).sum())


def _gap(objective: float, bound: float) -> float:
    if not np.isfinite(objective) or not np.isfinite(bound):
        return float("nan")
    return max(0.0, objective - bound) / max(abs(objective), DIVISION_FLOOR)
