"""Tiny seeded location instances and brute-force optima shared by the location-model tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.location.location_common import FloatArray, coverage_from_distance
from models.outcome import SolveOutcome
from optimizer.inputs.solver_settings import SolverSettings
from optimizer.solving.solve import SolveReport, solve

SEEDS = [1, 2, 3]


@dataclass(frozen=True)
class Tiny:
    """A tiny seeded instance on a 10 km × 10 km square: points, integer-km distances, weights."""

    demand_ids: tuple[str, ...]
    site_ids: tuple[str, ...]
    distance: FloatArray
    weight: FloatArray

    @property
    def weights(self) -> tuple[float, ...]:
        """The weights as the tuple of floats the coverage models take."""
        return tuple(float(w) for w in self.weight)

    def covering(self, radius_km: float) -> dict[str, tuple[str, ...]]:
        """Site → the demand points within `radius_km` of it (`coverage_from_distance`)."""
        return coverage_from_distance(self.distance, radius_km, self.demand_ids, self.site_ids)


def tiny(seed: int, n_demand: int = 7, n_site: int = 6) -> Tiny:
    """Random demand points and sites; distances rounded to whole km so ties occur."""
    rng = np.random.default_rng(seed)
    demand_xy = rng.uniform(0, 10, size=(n_demand, 2))
    site_xy = rng.uniform(0, 10, size=(n_site, 2))
    distance = np.rint(np.linalg.norm(demand_xy[:, None, :] - site_xy[None, :, :], axis=2))
    weight = rng.integers(1, 20, size=n_demand).astype(float)
    # ids deliberately not in sorted order, to exercise the builders' sorting
    demand_ids = tuple(f"d{i}" for i in rng.permutation(n_demand))
    site_ids = tuple(f"s{j}" for j in rng.permutation(n_site))
    return Tiny(demand_ids, site_ids, distance, weight)


def run(problem: object, solver: str) -> SolveReport:
    """Solve with deterministic settings and insist on a proven optimum."""
    report = solve(problem, SolverSettings(name=solver, time_limit_s=60, mip_rel_gap=0.0, threads=1, fallback=False))  # type: ignore[arg-type]
    assert report.outcome is SolveOutcome.OPTIMAL, report
    assert report.objective is not None
    return report
