"""Set covering (LSCP) solved one connected component at a time, where that is exact.

After the exact reductions (`models.location.covering_reductions.reduce_set_cover`) the rows left and the
free sites form a bipartite graph; when it falls apart into components (no row reaches sites of two of
them — e.g. counties or valleys farther apart than the radius), the LSCP separates: the optimum is the
cost of the forced sites plus the sum of the components' optima, and the sum of their bounds is a bound.
Each component is its own small MIP with its own greedy start, so one hard component cannot hide the
others' proofs. The maximal covering model does not separate this way (the count Σ y = p couples the
components) and is not split. The MIP solve is injected (`models.location.exact.MipSolve`).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import models.location.covering_reductions as reductions
import models.location.location_common as common
from models.location.coverage import CoverageInputs, build_coverage_model
from models.outcome import SolveOutcome
from models.tolerances import DIVISION_FLOOR, INTEGRALITY_TOL

if TYPE_CHECKING:
    from models.location.exact.p_median_solver import MipSolve

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ComponentCoverResult:
    """Outcome of `solve_set_cover_by_component`."""

    outcome: SolveOutcome
    """OPTIMAL when every component was proven optimal; FEASIBLE_GAP or NO_SOLUTION otherwise."""
    open_sites: tuple[common.Key, ...]
    objective: float
    """Σ c_j over `open_sites` (nan without a solution for every component)."""
    bound: float
    """Forced cost + Σ of the components' proven bounds (each rounded up when every cost is an integer)."""
    components: int
    """Components solved (1: the problem does not separate)."""
    reduction: str

    @property
    def gap(self) -> float:
        """Relative gap (objective − bound) / objective."""
        return (self.objective - self.bound) / max(abs(self.objective), DIVISION_FLOOR)


def solve_set_cover_by_component(
    inputs: CoverageInputs, solve: MipSolve, *, time_limit_s: float, mip_rel_gap: float
) -> ComponentCoverResult:
    """Reduce the LSCP `inputs`, split it into components and solve each with a greedy MIP start.

    A component gets the time left in proportion to its share of the rows left; components are solved
    smallest first, so time they do not use passes to the larger ones.
    """
    if inputs.kind != "lscp":
        raise ValueError(f"kind was {inputs.kind!r} but only 'lscp' separates by component")
    started = time.perf_counter()
    cost = dict(zip(inputs.site_ids, inputs.site_cost or (1.0,) * len(inputs.site_ids), strict=True))
    rows = reductions.aggregate_rows(common.invert(inputs.coverage, inputs.demand_ids), {})
    cut = reductions.reduce_set_cover(rows.reach, cost, inputs.fixed_open)
    parts = sorted(reductions.components(cut.reach), key=lambda part: (len(part[0]), part[0][0]))
    forced_cost = float(sum(cost[s] for s in cut.forced))
    opened, objective, bound = set(cut.forced), forced_cost, forced_cost
    outcomes = []
    integral = all(float(c).is_integer() for c in cost.values())
    rows_left = len(cut.rows)
    for row_idx, sites in parts:
        names = [rows.members[cut.rows[k]][0] for k in row_idx]
        coverage: dict[common.Key, list[common.Key]] = {s: [] for s in sites}
        for k, demand in zip(row_idx, names, strict=True):
            for s in cut.reach[k]:
                coverage[s].append(demand)
        sub = CoverageInputs(
            tuple(names),
            tuple(sites),
            {s: tuple(ds) for s, ds in coverage.items()},
            kind="lscp",
            site_cost=tuple(float(cost[s]) for s in sites),
        )
        model = build_coverage_model(sub)
        left = max(0.0, time_limit_s - (time.perf_counter() - started))
        report = solve(
            model.problem,
            time_limit_s=max(1.0, left * len(row_idx) / max(rows_left, 1)),
            mip_rel_gap=mip_rel_gap,
            warm_start=bool(model.start_sites),
        )
        rows_left -= len(row_idx)
        outcomes.append(report.outcome)
        chosen = model.open_sites() if report.outcome.has_solution else []
        value = float(sum(cost[s] for s in chosen)) if report.outcome.has_solution else math.nan
        opened.update(chosen)
        objective += value
        part_bound = report.bound if report.bound is not None else 0.0
        if integral:  # integer costs: the component's optimum is an integer, so its bound rounds up
            part_bound = math.ceil(part_bound - INTEGRALITY_TOL)
        bound += part_bound
        if report.outcome is SolveOutcome.FEASIBLE_GAP and integral and value <= part_bound + INTEGRALITY_TOL:
            outcomes[-1] = SolveOutcome.OPTIMAL  # the rounded bound proves it
    outcome = SolveOutcome.OPTIMAL
    if any(o is SolveOutcome.INFEASIBLE for o in outcomes):
        outcome = SolveOutcome.INFEASIBLE
    elif any(not o.has_solution for o in outcomes):
        outcome = SolveOutcome.NO_SOLUTION
    elif any(o is not SolveOutcome.OPTIMAL for o in outcomes):
        outcome = SolveOutcome.FEASIBLE_GAP
    summary = (
        f"{len(rows.reach)} reach sets → {len(cut.rows)} rows; {len(cut.forced)} sites forced open, "
        f"{len(cut.removed)} dominated sites closed; {len(parts)} component(s)"
    )
    logger.info("LSCP by component: %s, %s", summary, outcome.value)
    return ComponentCoverResult(
        outcome, tuple(common.sorted_ids(opened)), objective, min(bound, objective), len(parts), summary
    )
