"""Exact p-median at scale: heuristic upper bound, Lagrangian bound and fixing, then the radius MIP.

The radius formulation (`models.p_median`) is compact, but its LP is highly degenerate and the dual
simplex can spend minutes on it when p is small. The classic remedy (Beasley 1993, "Lagrangean
heuristics for location problems", EJOR 65; used with the radius formulation by García, Labbé & Marín
2011) is to fix sites before the MIP:

1. greedy + vertex-substitution interchange (Teitz & Bart 1968) gives an upper bound UB;
2. subgradient optimisation of the Lagrangian dual obtained by relaxing the assignment constraints
   gives a lower bound LB (equal to the LP bound at convergence); with integer costs, ⌈LB⌉ ≥ UB proves
   the heuristic optimal without any MIP;
3. a site whose forced opening (closing) lifts the Lagrangian bound to ≥ UB cannot be open (closed) in
   a solution better than UB, so it is removed (fixed open);
4. the radius MIP is solved on the remaining sites, with every demand's levels capped at its nearest
   fixed-open site. The answer is the better of the heuristic and the reduced MIP.

Every step is deterministic (no random numbers; ties broken by index).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from models.location_common import Key
from models.p_median import PMedianInputs, build_p_median_model, p_median_cost
from optimizer.solve import SolveOutcome, SolverSettings, solve

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]


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
            if totals[j] < best - 1e-9 * max(1.0, abs(best)):
                chosen[slot] = j
                best = float(totals[j])
                improved = True
        if not improved:
            break
    return sorted(chosen), best


@dataclass(frozen=True)
class LagrangianResult:
    """Best Lagrangian bound and the sites it fixes."""

    bound: float
    fixed_open: frozenset[int]
    fixed_closed: frozenset[int]
    iterations: int
    upper: float
    """Best upper bound: the given one, or a better Lagrangian solution found on the way."""
    sites: tuple[int, ...]
    """The Lagrangian solution behind `upper` (empty when the given bound was not improved)."""


def lagrangian_fixing(
    cost: FloatArray,
    p: int,
    upper: float,
    *,
    integer_costs: bool,
    max_iterations: int = 3000,
    time_limit_s: float = float("inf"),
) -> LagrangianResult:
    """Subgradient optimisation of the p-median Lagrangian dual (assignment constraints relaxed).

    L(λ) = Σ_i λ_i + Σ of the p smallest ρ_j,  ρ_j = Σ_i min(0, c_ij − λ_i).
    Every λ gives a valid bound, so fixings found at any iteration are kept. Every 5th iteration the
    p sites of the Lagrangian solution are priced as a p-median solution (Beasley 1993's Lagrangian
    heuristic) and replace the upper bound when better; fixings made with a larger bound stay valid.
    """
    n, m = cost.shape
    sorted_cost = np.sort(cost, axis=1)
    lam = sorted_cost[:, min(1, m - 1)].copy()
    target = upper - (1.0 - 1e-9) if integer_costs else upper
    best = -np.inf
    closed = np.zeros(m, dtype=bool)
    forced = np.zeros(m, dtype=bool)
    step, stall, iteration = 2.0, 0, 0
    deadline = time.perf_counter() + time_limit_s
    sites: tuple[int, ...] = ()
    for iteration in range(1, max_iterations + 1):  # noqa: B007 - iteration is reported
        reduced = np.minimum(0.0, cost - lam[:, None])
        rho = reduced.sum(axis=0)
        order = np.argsort(rho, kind="stable")
        value = float(lam.sum() + rho[order[:p]].sum())
        pth, next_ = rho[order[p - 1]], (rho[order[p]] if p < m else np.inf)
        if iteration % 5 == 1:
            candidate = np.sort(order[:p])
            value_ub = float(cost[:, candidate].min(axis=1).sum())
            if value_ub < upper - 1e-9 * max(1.0, abs(upper)):
                upper, sites = value_ub, tuple(candidate.tolist())
                target = upper - (1.0 - 1e-9) if integer_costs else upper
        in_solution = np.zeros(m, dtype=bool)
        in_solution[order[:p]] = True
        closed |= (~in_solution) & (value - pth + rho >= target)
        forced |= in_solution & (value - rho + next_ >= target)
        if not np.isfinite(best) or value > best + 1e-9 * max(1.0, abs(best)):
            best, stall = value, 0
        else:
            stall += 1
            if stall >= 20:
                step, stall = step / 2, 0
        if best >= target or step < 1e-4 or time.perf_counter() > deadline:
            break
        served = ((cost - lam[:, None]) < 0)[:, order[:p]].sum(axis=1)
        gradient = 1.0 - served
        norm = float(gradient @ gradient)
        if norm == 0:
            break  # λ is optimal: the Lagrangian solution is feasible
        lam = lam + step * (upper - value) / norm * gradient
    return LagrangianResult(
        best,
        frozenset(np.flatnonzero(forced).tolist()),
        frozenset(np.flatnonzero(closed).tolist()),
        iteration,
        upper,
        sites,
    )


MAX_RADIUS_LEVELS = 1_500_000
"""Above this many level variables the reduced MIP is not built (PuLP memory); bounds are reported."""
MIN_MIP_SECONDS = 10.0
"""The reduced MIP is not built when less than this much of the time limit is left."""


def solve_p_median(inputs: PMedianInputs, settings: SolverSettings, *, reduce: bool = True) -> PMedianResult:
    """Solve the p-median exactly: heuristic, Lagrangian bound and fixing, then the radius MIP.

    The heuristic and the Lagrangian phase each get at most a quarter of `settings.time_limit_s`.
    With `reduce=False` the model named by `inputs.formulation` is built and solved as is (the
    baseline the benchmark compares against). When the reduced radius model would still exceed
    `MAX_RADIUS_LEVELS` level variables, no MIP is built and the heuristic value with the Lagrangian
    bound is returned as `FEASIBLE_GAP`.
    """
    started = time.perf_counter()
    weight = np.asarray(inputs.weight, dtype=float)
    dist = np.asarray(inputs.distance, dtype=float)
    if not reduce:
        model_start = time.perf_counter()
        model = build_p_median_model(inputs)
        build = time.perf_counter() - model_start
        report = solve(model.problem, settings)
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
            True,
            build,
            time.perf_counter() - started,
        )
    cost = weight[:, None] * dist
    integer_costs = bool(np.all(cost == np.round(cost)))
    quarter = settings.time_limit_s / 4
    chosen, upper = greedy_interchange(cost, inputs.p, time_limit_s=quarter)
    lagrange = lagrangian_fixing(cost, inputs.p, upper, integer_costs=integer_costs, time_limit_s=quarter)
    lower = float(np.ceil(lagrange.bound - 1e-6)) if integer_costs else lagrange.bound
    if lagrange.sites:
        chosen, upper = interchange(cost, list(lagrange.sites), deadline=time.perf_counter() + quarter / 2)
    heuristic_sites = tuple(inputs.site_ids[c] for c in chosen)
    logger.info(
        "p-median: heuristic %.6g, Lagrangian bound %.6g after %d iterations; %d sites fixed open, %d closed",
        upper,
        lagrange.bound,
        lagrange.iterations,
        len(lagrange.fixed_open),
        len(lagrange.fixed_closed),
    )
    keep = [c for c in range(len(inputs.site_ids)) if c not in lagrange.fixed_closed]
    fixed_open = tuple(inputs.site_ids[c] for c in sorted(lagrange.fixed_open))
    bound_meets_heuristic = lower >= upper - 1e-9 * max(1.0, abs(upper))
    if bound_meets_heuristic or len(keep) < inputs.p or len(fixed_open) > inputs.p:
        # the bound proves the heuristic optimal, or fixing left no solution better than it
        return PMedianResult(
            SolveOutcome.OPTIMAL,
            heuristic_sites,
            upper,
            upper,
            0.0,
            upper,
            lagrange.bound,
            len(fixed_open),
            len(lagrange.fixed_closed),
            False,
            0.0,
            time.perf_counter() - started,
        )
    levels = _level_count(dist[:, keep], inputs.p, [keep.index(c) for c in sorted(lagrange.fixed_open)])
    left = settings.time_limit_s - (time.perf_counter() - started)
    if levels > MAX_RADIUS_LEVELS or left < MIN_MIP_SECONDS:
        logger.warning(
            "p-median: reduced radius model of %d levels (limit %d) with %.0f s left; reporting bounds only",
            levels,
            MAX_RADIUS_LEVELS,
            left,
        )
        return PMedianResult(
            SolveOutcome.FEASIBLE_GAP,
            heuristic_sites,
            upper,
            lower,
            _gap(upper, lower),
            upper,
            lagrange.bound,
            len(fixed_open),
            len(lagrange.fixed_closed),
            False,
            0.0,
            time.perf_counter() - started,
        )
    reduced = PMedianInputs(
        inputs.demand_ids,
        tuple(inputs.site_ids[c] for c in keep),
        inputs.weight,
        dist[:, keep],
        inputs.p,
        formulation="radius",
        fixed_open=fixed_open,
    )
    model_start = time.perf_counter()
    model = build_p_median_model(reduced)
    build = time.perf_counter() - model_start
    remaining = max(1.0, settings.time_limit_s - (model_start - started) - build)
    gap = settings.mip_rel_gap
    if integer_costs:
        # integer objective: a gap below 1/UB already proves the optimum (⌈bound⌉ ≥ UB)
        gap = max(gap, 0.999 / max(upper, 1.0))
    report = solve(model.problem, settings.model_copy(update={"time_limit_s": remaining, "mip_rel_gap": gap}))
    objective, sites = upper, heuristic_sites
    if report.outcome.has_solution:
        found = tuple(model.open_sites())
        value = p_median_cost(inputs, found)
        if value < objective:
            objective, sites = value, found
    if integer_costs and report.bound is not None and report.outcome.has_solution:
        proven = float(np.ceil(report.bound - 1e-6)) >= objective - 1e-9
        if proven and report.outcome is SolveOutcome.FEASIBLE_GAP:
            report = dataclasses.replace(report, outcome=SolveOutcome.OPTIMAL)
    if report.outcome is SolveOutcome.OPTIMAL or report.outcome is SolveOutcome.INFEASIBLE:
        # infeasible: every solution better than the heuristic was excluded by the fixing
        bound, outcome = objective, SolveOutcome.OPTIMAL
    else:
        mip_bound = report.bound if report.bound is not None else lower
        bound = min(objective, max(lower, mip_bound))
        outcome = SolveOutcome.FEASIBLE_GAP
    return PMedianResult(
        outcome,
        tuple(sites),
        objective,
        bound,
        _gap(objective, bound),
        upper,
        lagrange.bound,
        len(fixed_open),
        len(lagrange.fixed_closed),
        True,
        build,
        time.perf_counter() - started,
    )


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
    return max(0.0, objective - bound) / max(abs(objective), 1e-9)
