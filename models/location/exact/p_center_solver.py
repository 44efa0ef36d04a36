"""Exact vertex p-center over the sorted distance levels, each level a set-covering test with row generation.

The compact p-center MIP (`models.location.p_center`) carries every client at every distance level; as
first built it found no solution in 120 s on OR-Library pmed21, 26 and 31 (issue #18). The optimal
radius r* is one of the sorted distinct distances D, and "is r* ≤ D_k?" is a covering question: can p
sites cover every client within D_k? So the solver searches the level index (Minieka 1970; Daskin 1995,
ch. 5; Elloumi, Labbé & Pochet 2004, "A new formulation and resolution method for the p-center
problem", INFORMS J Comput 16(1)), and answers each question on a growing subset of the clients, as
Contardo, Iori & Kramer (2019, "A scalable exact algorithm for the vertex p-center problem", Computers &
Operations Research) do:

1. upper bound UB: farthest-first + vertex substitution (`models.location.p_center.p_center_heuristic`);
2. lower bound LB = max(max_i min_j d_ij, separation bound) (`separation_bound`);
3. binary search on the levels in [LB, UB): the test at D_k solves the LSCP on the client subset S with
   the count Σ_j y_j ≤ p (`models.location.coverage`). Infeasible on S proves D_k < r* for all
   clients (fewer rows only relax the test): LB rises above D_k. A cover of S that leaves clients
   uncovered adds the farthest of them to S and re-solves; a cover of every client is a solution
   whose radius becomes UB. S is kept across levels, so most tests need a few dozen rows.

The outcome is OPTIMAL exactly when LB = UB. The same covering machinery answers the LSCP "how many
sites cover every client within r" exactly (`minimum_centres`). Everything is deterministic (ties by
index; the solver's seed and threads come with the injected solve); only a test stopped by the time
limit makes the result depend on the machine.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import numpy as np
import pulp

import models.location.location_common as common
from models.location.coverage import CoverageInputs, build_coverage_model
from models.location.exact.p_median_solver import MipSolve
from models.location.families import LocationFamily
from models.location.p_center import PCenterInputs, p_center_heuristic
from models.naming import ConstraintTag
from models.outcome import SolveOutcome
from models.tolerances import DIVISION_FLOOR, INTEGRALITY_TOL

logger = logging.getLogger(__name__)

ADD_PER_ROUND = 50
"""Uncovered clients added to the subset per row-generation round (the farthest first); on pmed1–40,
50 needed fewer MIPs and less time than 10 or 25 (pmed40: 15 MIPs, 8.7 s against 34, 14.5 s)."""


@dataclass(frozen=True)
class PCenterResult:
    """Outcome of `solve_p_center`: the best solution found and the bound proven."""

    outcome: SolveOutcome
    """OPTIMAL when `lower_bound` = `radius`; FEASIBLE_GAP when the time limit stopped the search."""
    open_sites: tuple[common.Key, ...]
    radius: float
    """The objective: the largest distance from a client to its nearest open site (km or min)."""
    lower_bound: float
    """No p sites reach every client within less (the largest level proven infeasible, one level up)."""
    heuristic_radius: float
    separation_bound: float
    iterations: int
    """Covering MIPs solved (each row-generation round counts)."""
    levels_tested: int
    clients_used: int
    """Clients in the covering subproblems at the end (of all demand points)."""
    seconds: float

    @property
    def gap(self) -> float:
        """(radius − lower bound) / radius."""
        return max(0.0, self.radius - self.lower_bound) / max(abs(self.radius), DIVISION_FLOOR)


@dataclass(frozen=True)
class CoverCountResult:
    """Outcome of `minimum_centres`: the least number of sites covering every client within a radius."""

    outcome: SolveOutcome
    """OPTIMAL when `lower_bound` = `count`; FEASIBLE_GAP when the time limit stopped the proof."""
    count: int
    """Sites in `open_sites`: the least number when OPTIMAL, else a greedy cover's."""
    open_sites: tuple[common.Key, ...]
    lower_bound: int
    iterations: int
    """Covering MIPs solved."""
    clients_used: int
    """Clients in the last covering MIP (of all demand points)."""
    seconds: float


@dataclass(frozen=True)
class _Cover:
    """One covering answer on the full client set: a solution, or proof there is none, or neither."""

    outcome: SolveOutcome
    """OPTIMAL (a cover of every client, least on the subset when counting), INFEASIBLE, or NO_SOLUTION."""
    columns: tuple[int, ...]


class _CoveringOracle:
    """The covering tests of one instance: demands × sites in sorted id order and the growing client subset."""

    def __init__(self, inputs: common.DistanceInputs, solve: MipSolve, deadline: float) -> None:
        row_of = {d: r for r, d in enumerate(inputs.demand_ids)}
        col_of = {s: c for c, s in enumerate(inputs.site_ids)}
        self.demands = common.sorted_ids(inputs.demand_ids)
        self.sites = common.sorted_ids(inputs.site_ids)
        self.dist = np.asarray(inputs.distance, dtype=float)[
            np.ix_([row_of[d] for d in self.demands], [col_of[s] for s in self.sites])
        ]
        self.solve = solve
        self.deadline = deadline
        self.rows: list[int] = []
        """Rows (clients, in sorted id order) of the covering subproblems; only ever grows."""
        self.iterations = 0

    def seed(self, rows: list[int]) -> None:
        """Add `rows` to the client subset."""
        self.rows = sorted(set(self.rows) | set(rows))

    def cover(self, radius: float, limit: int | None) -> _Cover:
        """Cover every client within `radius`: with at most `limit` sites (a test), or as few as possible.

        Row generation: solve on the subset, add the farthest uncovered clients, repeat until a cover of
        the subset covers everyone (then, counting, it is least for everyone too, since the subset's
        optimum is a lower bound) or the subset alone is infeasible.
        """
        while True:
            left = self.deadline - time.perf_counter()
            if left <= 0:
                return _Cover(SolveOutcome.NO_SOLUTION, ())
            model = self._model(radius, limit)
            # a test stops at its first cover (objective 0); a count proves its integer optimum: a gap
            # below 1/UB, with UB ≤ |subset| (one site per client), leaves ⌈bound⌉ = the count
            gap = 0.0 if limit is not None else 0.999 / max(len(self.rows), 1)
            report = self.solve(model.problem, time_limit_s=left, mip_rel_gap=gap)
            self.iterations += 1
            if report.outcome is SolveOutcome.INFEASIBLE:
                return _Cover(SolveOutcome.INFEASIBLE, ())
            if not report.outcome.has_solution:
                return _Cover(SolveOutcome.NO_SOLUTION, ())
            col_of = {s: c for c, s in enumerate(self.sites)}
            columns = tuple(sorted(col_of[s] for s in model.open_sites()))
            if limit is None:
                if report.bound is None:
                    proven = report.outcome is SolveOutcome.OPTIMAL
                else:  # from the bound itself: the adapter's OPTIMAL allows a 0.1 % gap, too loose above 1,000 sites
                    proven = math.ceil(report.bound - INTEGRALITY_TOL) >= len(columns)
                if not proven:
                    return _Cover(SolveOutcome.NO_SOLUTION, columns)
            served = self.dist[:, list(columns)].min(axis=1)
            uncovered = np.flatnonzero(served > radius)
            if len(uncovered) == 0:
                return _Cover(SolveOutcome.OPTIMAL, columns)
            farthest = uncovered[np.lexsort((uncovered, -served[uncovered]))][:ADD_PER_ROUND]
            self.seed(farthest.tolist())

    def _model(self, radius: float, limit: int | None) -> common.SiteModel[CoverageInputs]:
        """The LSCP on the subset at `radius`; a test adds `count: Σ_j y_j ≤ limit` and drops the objective."""
        ids = tuple(self.demands[r] for r in self.rows)
        coverage = common.coverage_from_distance(self.dist[self.rows], radius, ids, self.sites)
        model = build_coverage_model(CoverageInputs(ids, tuple(self.sites), coverage, kind="lscp"))
        if limit is not None:
            model.problem.setObjective(common.affine([]))
            model.registry.add(
                model.problem,
                common.constraint(
                    common.affine((y, 1.0) for y in model.open.values()), pulp.LpConstraintLE, float(limit)
                ),
                "count",
                ConstraintTag(LocationFamily.COUNT, None, None, "site", f"open at most p = {limit} sites"),
            )
        return model


def separation_bound(dist: common.FloatArray, p: int, first: int) -> tuple[float, list[int]]:
    """A lower bound on the p-center radius from p + 1 clients no single site can serve two of.

    sep(i, k) = min_j max(d_ij, d_kj) is the least radius at which one site covers both i and k. Below
    the smallest sep among p + 1 clients every site covers at most one of them, so p sites cannot cover
    all: r* ≥ min over pairs of sep. The clients are picked farthest-first in sep from `first` (ties to
    the lowest index); they also seed the covering subset. With fewer than p + 1 clients the bound is 0.
    """
    n = dist.shape[0]
    chosen = [first]
    nearest = np.min(np.maximum(dist[first][None, :], dist), axis=1)
    nearest[first] = -np.inf
    bound = math.inf
    for _ in range(min(p, n - 1)):
        i = int(np.argmax(nearest))
        bound = min(bound, float(nearest[i]))
        chosen.append(i)
        nearest = np.minimum(nearest, np.min(np.maximum(dist[i][None, :], dist), axis=1))
        nearest[chosen] = -np.inf
    return (bound if len(chosen) == p + 1 else 0.0), chosen


def solve_p_center(inputs: PCenterInputs, solve: MipSolve, *, time_limit_s: float) -> PCenterResult:
    """Solve the vertex p-center exactly: heuristic UB, separation LB, binary search over covering tests.

    `solve` is the injected MIP solve (`models.location.exact.MipSolve`); every covering MIP gets what is
    left of `time_limit_s`. Without a proof within the limit the result is FEASIBLE_GAP with the best
    solution and the bound proven so far. `inputs.upper_bound` is ignored (the heuristic gives UB).
    """
    started = time.perf_counter()
    oracle = _CoveringOracle(inputs, solve, started + time_limit_s)
    dist = oracle.dist
    best = p_center_heuristic(dist, inputs.p)
    heuristic = _radius(dist, best)
    served = dist[:, best].min(axis=1)
    separation, spread = separation_bound(dist, inputs.p, int(np.lexsort((np.arange(len(served)), -served))[0]))
    oracle.seed(spread)
    levels = np.unique(dist)
    lo = int(np.searchsorted(levels, max(float(dist.min(axis=1).max()), separation), side="left"))
    hi = int(np.searchsorted(levels, heuristic, side="left"))
    tested = 0
    while lo < hi:
        mid = (lo + hi) // 2
        tested += 1
        answer = oracle.cover(float(levels[mid]), inputs.p)
        logger.debug(
            "p-center: level %d (%g) → %s on %d clients", mid, levels[mid], answer.outcome.value, len(oracle.rows)
        )
        if answer.outcome is SolveOutcome.INFEASIBLE:
            lo = mid + 1
        elif answer.outcome is SolveOutcome.OPTIMAL:
            best = _fill(dist, list(answer.columns), inputs.p)
            hi = int(np.searchsorted(levels, _radius(dist, best), side="left"))
        else:
            break
    radius = _radius(dist, best)
    lower = min(float(levels[lo]), radius)
    outcome = SolveOutcome.OPTIMAL if lower >= radius else SolveOutcome.FEASIBLE_GAP
    logger.info(
        "p-center: radius %g, bound %g (heuristic %g, separation %g); %d levels, %d covering MIPs, %d of %d clients",
        radius,
        lower,
        heuristic,
        separation,
        tested,
        oracle.iterations,
        len(oracle.rows),
        len(oracle.demands),
    )
    return PCenterResult(
        outcome,
        tuple(oracle.sites[c] for c in best),
        radius,
        lower,
        heuristic,
        separation,
        oracle.iterations,
        tested,
        len(oracle.rows),
        time.perf_counter() - started,
    )


def minimum_centres(
    inputs: common.DistanceInputs, radius: float, solve: MipSolve, *, time_limit_s: float
) -> CoverCountResult:
    """The LSCP count, exactly: the least number of sites that put every client within `radius`.

    Solved by the covering row generation of `solve_p_center`, started from one client. The count is
    proven when the cover of the last client subset is least on it (integer optimum) and covers every
    client. Raises `LocationInputError` when the ids or matrix are wrong, or a client has no site within
    `radius` (then no count exists).
    """
    started = time.perf_counter()
    dist = np.asarray(inputs.distance, dtype=float)
    problems = common.distance_problems(inputs.demand_ids, inputs.site_ids, dist)
    if not problems and not np.all(dist.min(axis=1) <= radius):
        far = [inputs.demand_ids[r] for r in np.flatnonzero(dist.min(axis=1) > radius)]
        problems.append(
            f"{len(far)} demand point(s) have no site within radius {radius:g} (e.g. {common.sorted_ids(far)[:5]}); "
            "enlarge the radius or add candidate sites near them"
        )
    common.raise_if("minimum centres (LSCP)", problems)
    oracle = _CoveringOracle(inputs, solve, started + time_limit_s)
    oracle.seed([int(np.argmax(oracle.dist.min(axis=1)))])
    answer = oracle.cover(radius, None)
    columns = list(answer.columns)
    if answer.outcome is SolveOutcome.OPTIMAL:
        count, lower, outcome = len(columns), len(columns), SolveOutcome.OPTIMAL
    else:  # stopped: fall back to a greedy cover so a count is still reported, with the bound proven
        columns = _greedy_cover(oracle.dist, radius)
        count, lower, outcome = len(columns), 1, SolveOutcome.FEASIBLE_GAP
    return CoverCountResult(
        outcome,
        count,
        tuple(oracle.sites[c] for c in columns),
        lower,
        oracle.iterations,
        len(oracle.rows),
        time.perf_counter() - started,
    )


def _radius(dist: common.FloatArray, columns: list[int]) -> float:
    return float(dist[:, columns].min(axis=1).max())


def _fill(dist: common.FloatArray, columns: list[int], p: int) -> list[int]:
    """`columns` topped up to exactly p sites (a cover with fewer is still a p-center solution).

    The added sites are the lowest-index closed ones; opening more never raises the radius.
    """
    chosen = set(columns)
    for c in range(dist.shape[1]):
        if len(chosen) >= p:
            break
        chosen.add(c)
    return sorted(chosen)


def _greedy_cover(dist: common.FloatArray, radius: float) -> list[int]:
    """A cover by greedy set covering (most uncovered clients first, ties to the lowest index)."""
    covers = dist <= radius
    uncovered = np.ones(dist.shape[0], dtype=bool)
    chosen: list[int] = []
    while uncovered.any():
        j = int(np.argmax((covers & uncovered[:, None]).sum(axis=0)))
        chosen.append(j)
        uncovered &= ~covers[:, j]
    return sorted(chosen)
