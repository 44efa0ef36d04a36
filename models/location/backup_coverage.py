"""Backup coverage for ambulances: the double standard model (DSM) and MEXCLP.

* DSM — Gendreau, Laporte & Semet (1997, "Solving an ambulance location model by tabu search",
  Location Science 5(2)): all demand within r2, a share α within r1, and as much demand as possible
  covered twice within r1.
* MEXCLP — Daskin (1983, "A maximum expected covering location model: formulation, properties and
  heuristic solution", Transportation Science 17(1)): each ambulance is busy with probability q,
  independently; maximise the expected demand covered.

Both take sparse coverage sets: site → demand ids within the radius (see
`models.location.location_common.coverage_from_distance`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

import pulp

import models.location.covering_heuristics as heuristics
import models.location.covering_reductions as reductions
import models.location.location_common as common
from models.location.families import LocationFamily
from models.naming import ConstraintRegistry, ConstraintTag, name
from models.tolerances import FEASIBILITY_TOL

logger = logging.getLogger(__name__)


class _Fleet(Protocol):
    """What DSM and MEXCLP inputs share: demand points and their weight, stations, fleet, station capacity."""

    @property
    def demand_ids(self) -> tuple[common.Key, ...]: ...

    @property
    def site_ids(self) -> tuple[common.Key, ...]: ...

    @property
    def weight(self) -> tuple[float, ...]: ...

    @property
    def p(self) -> int: ...

    @property
    def site_capacity(self) -> tuple[int, ...] | None: ...


def _fleet_problems(inputs: _Fleet, coverages: dict[str, Mapping[common.Key, tuple[common.Key, ...]]]) -> list[str]:
    """Problems with the shared inputs, and with the sites and demand ids each named coverage set lists."""
    demand_ids, site_ids, p, capacity = inputs.demand_ids, inputs.site_ids, inputs.p, inputs.site_capacity
    problems = common.id_problems("demand_ids", demand_ids) + common.id_problems("site_ids", site_ids)
    if len(inputs.weight) != len(demand_ids) or any(w < 0 for w in inputs.weight):
        problems.append(f"weight needs {len(demand_ids)} entries, all ≥ 0")
    if p < 1:
        problems.append(f"p (ambulances) was {p} but must be ≥ 1")
    if capacity is not None:
        if len(capacity) != len(site_ids) or any(c < 0 for c in capacity):
            problems.append(f"site_capacity needs {len(site_ids)} entries, all ≥ 0")
        elif sum(capacity) < p:
            problems.append(
                f"the sites hold {sum(capacity)} ambulances in total but p = {p}; raise site_capacity or lower p"
            )
    for label, coverage in coverages.items():
        problems += common.coverage_problems(label, coverage, demand_ids, site_ids)
    return problems


def _capacities(inputs: _Fleet) -> dict[common.Key, int]:
    """Station → the most ambulances it may hold (p where no `site_capacity` is given)."""
    return dict(zip(inputs.site_ids, inputs.site_capacity or (inputs.p,) * len(inputs.site_ids), strict=True))


def _demand(inputs: _Fleet) -> dict[common.Key, float]:
    """Demand point → its weight."""
    return dict(zip(inputs.demand_ids, inputs.weight, strict=True))


def _ambulance_vars(problem: pulp.LpProblem, inputs: _Fleet) -> dict[common.Key, pulp.LpVariable]:
    cap = _capacities(inputs)
    return {
        s: problem.add_variable(name("y", s), lowBound=0, upBound=min(inputs.p, cap[s]), cat=pulp.LpInteger)
        for s in common.sorted_ids(inputs.site_ids)
    }


def _count(
    problem: pulp.LpProblem,
    registry: ConstraintRegistry[LocationFamily],
    y: dict[common.Key, pulp.LpVariable],
    p: int,
    number: int,
) -> None:
    registry.add(
        problem,
        common.constraint(common.affine((v, 1.0) for v in y.values()), pulp.LpConstraintEQ, float(p)),
        "count",
        ConstraintTag(LocationFamily.COUNT, None, None, "ambulance", f"station exactly p = {p} ambulances ({number})"),
    )


@dataclass(frozen=True, eq=False)
class DSMInputs:
    """Inputs of the double standard model.

    Attributes
    ----------
    demand_ids, site_ids
        Demand points and candidate stations.
    weight
        Demand of each point (calls/year or persons), aligned with `demand_ids`.
    cover_r1, cover_r2
        Site → demand ids within r1 and within r2 (r1 < r2, km or min).
    p
        Ambulances to station.
    alpha
        Share of total demand that must be covered within r1 (0..1).
    site_capacity
        Most ambulances per station (default p; GLS 1997 use 2).
    reduce
        Drop the r2 cover rows implied by another one (`covering_reductions.redundant_rows`; default).
    heuristic_start
        Set a greedy placement (`covering_heuristics.greedy_double_cover`) as the MIP start.
    """

    demand_ids: tuple[common.Key, ...]
    site_ids: tuple[common.Key, ...]
    weight: tuple[float, ...]
    cover_r1: Mapping[common.Key, tuple[common.Key, ...]]
    cover_r2: Mapping[common.Key, tuple[common.Key, ...]]
    p: int
    alpha: float
    site_capacity: tuple[int, ...] | None = None
    reduce: bool = True
    heuristic_start: bool = True

    def __post_init__(self) -> None:
        """Collect every input problem, including obvious infeasibility, then raise once."""
        problems = _fleet_problems(self, {"cover_r1": self.cover_r1, "cover_r2": self.cover_r2})
        if not 0 <= self.alpha <= 1:
            problems.append(f"alpha was {self.alpha} but must be a share in [0, 1]")
        if not problems:
            reach2 = common.invert(self.cover_r2, self.demand_ids)
            lost = [d for d, near in reach2.items() if not near]
            if lost:
                problems.append(
                    f"{len(lost)} demand point(s) have no station within r2 (e.g. {lost[:5]}); "
                    "add candidate stations or enlarge r2"
                )
            weight = _demand(self)
            reach1 = common.invert(self.cover_r1, self.demand_ids)
            coverable = sum(weight[d] for d, near in reach1.items() if near)
            if coverable < self.alpha * sum(self.weight) - FEASIBILITY_TOL:
                problems.append(
                    f"at most {coverable:g} of {sum(self.weight):g} demand can be within r1, below "
                    f"alpha = {self.alpha}; lower alpha or add stations"
                )
        common.raise_if("DSM", problems)


InputsT = TypeVar("InputsT")


@dataclass(frozen=True, eq=False)
class _FleetModel(Generic[InputsT]):
    """What a built DSM or MEXCLP holds in common: the problem, its inputs and the ambulance variables."""

    problem: pulp.LpProblem
    inputs: InputsT
    ambulances: dict[common.Key, pulp.LpVariable]
    """y[site] — ambulances stationed at the site (integer)."""

    def stationed(self) -> dict[common.Key, int]:
        """Site → ambulances (only sites with at least one)."""
        return {s: round(v.varValue or 0) for s, v in self.ambulances.items() if round(v.varValue or 0) > 0}


@dataclass(frozen=True, eq=False)
class DSMModel(_FleetModel[DSMInputs]):
    """The built DSM and typed handles."""

    once: dict[common.Key, pulp.LpVariable]
    """demand → x1 — covered at least once within r1 (shared by points with equal reach sets)."""
    twice: dict[common.Key, pulp.LpVariable]
    """demand → x2 — covered at least twice within r1 (shared by points with equal reach sets)."""
    registry: ConstraintRegistry[LocationFamily] = field(default_factory=ConstraintRegistry)
    start: dict[common.Key, int] = field(default_factory=dict)
    """The greedy placement (site → ambulances), already set as the MIP start; empty when none was found."""

    def set_start(self, stationed: Mapping[common.Key, int]) -> None:
        """Give every variable its value for the placement `stationed` (a MIP start): x1 and x2 from the
        number of ambulances within r1 of each point."""
        for site, var in self.ambulances.items():
            var.setInitialValue(stationed.get(site, 0))
        reach1 = common.invert(self.inputs.cover_r1, self.inputs.demand_ids)
        for demand, x1 in self.once.items():
            n = sum(stationed.get(s, 0) for s in reach1[demand])
            x1.setInitialValue(1 if n >= 1 else 0)
            self.twice[demand].setInitialValue(1 if n >= 2 else 0)


def build_dsm_model(inputs: DSMInputs) -> DSMModel:
    """Build the double standard model (Gendreau, Laporte & Semet 1997).

    Sets
        I   demand points;  J   stations;  W1_i, W2_i ⊆ J   stations within r1 and r2 of i (sparse).
    Parameters
        w_i   demand (calls/year);  p   ambulances;  α   share to cover within r1;  p_j   station capacity.
    Variables
        y_j  ∈ {0, …, p_j}  ambulances at j                               ("y[j]")
        x1_i ∈ {0, 1}       i covered at least once within r1             ("x1[i]")
        x2_i ∈ {0, 1}       i covered at least twice within r1            ("x2[i]")

    max  Σ_i w_i x2_i                                  (demand covered twice within r1)
    (1) cover_r2[i]:  Σ_{j ∈ W2_i} y_j ≥ 1             ∀ i
    (2) share_r1:     Σ_i w_i x1_i ≥ α Σ_i w_i
    (3) double[i]:    Σ_{j ∈ W1_i} y_j ≥ x1_i + x2_i    ∀ i
    (4) order[i]:     x2_i ≤ x1_i                       ∀ i
    (5) count:        Σ_j y_j = p
    (6) y_j ≤ p_j is the variable's upper bound.
    Points with W1_i = ∅ get no x variables. Points with the same (W1_i, W2_i) share one x1, one x2
    and one row, weighted by their summed demand — exact, because such points always have the same
    coverage counts; the rows are named after the group's first point. With `inputs.reduce` a row (1)
    whose W2 contains another row's is left out (implied by it); with `inputs.heuristic_start` a greedy
    placement is the MIP start (`start`).
    """
    problem = pulp.LpProblem("dsm", pulp.LpMaximize)
    registry = ConstraintRegistry[LocationFamily]()
    y = _ambulance_vars(problem, inputs)
    weight = _demand(inputs)
    reach1, reach2 = (
        common.invert(inputs.cover_r1, inputs.demand_ids),
        common.invert(inputs.cover_r2, inputs.demand_ids),
    )
    once: dict[common.Key, pulp.LpVariable] = {}
    twice: dict[common.Key, pulp.LpVariable] = {}
    groups: dict[tuple[tuple[common.Key, ...], tuple[common.Key, ...]], list[common.Key]] = {}
    for d in common.sorted_ids(inputs.demand_ids):
        groups.setdefault((tuple(reach1[d]), tuple(reach2[d])), []).append(d)
    twice_terms: list[tuple[pulp.LpVariable, float]] = []
    once_terms: list[tuple[pulp.LpVariable, float]] = []
    seen_r2: set[tuple[common.Key, ...]] = set()
    distinct_r2 = list(dict.fromkeys(near2 for _, near2 in groups))
    implied = reductions.redundant_rows(distinct_r2) if inputs.reduce else set()
    seen_r2.update(distinct_r2[k] for k in implied)
    for (near1, near2), members in groups.items():
        d = members[0]
        if near2 not in seen_r2:
            seen_r2.add(near2)
            registry.add(
                problem,
                common.constraint(common.affine((y[s], 1.0) for s in near2), pulp.LpConstraintGE, 1.0),
                name("cover_r2", d),
                ConstraintTag(
                    LocationFamily.COVER_R2, None, str(d), "ambulance", "every point within r2 of an ambulance (1)"
                ),
            )
        if not near1:
            continue
        group_weight = float(sum(weight[m] for m in members))
        x1 = problem.add_variable(name("x1", d), lowBound=0, upBound=1, cat=pulp.LpBinary)
        x2 = problem.add_variable(name("x2", d), lowBound=0, upBound=1, cat=pulp.LpBinary)
        once.update((m, x1) for m in members)
        twice.update((m, x2) for m in members)
        once_terms.append((x1, group_weight))
        twice_terms.append((x2, group_weight))
        terms = [(y[s], 1.0) for s in near1] + [(x1, -1.0), (x2, -1.0)]
        registry.add(
            problem,
            common.constraint(common.affine(terms), pulp.LpConstraintGE, 0.0),
            name("double", d),
            ConstraintTag(
                LocationFamily.DOUBLE,
                None,
                str(d),
                "ambulance",
                f"covered once/twice needs that many in r1; {len(members)} pt (3)",
            ),
        )
        registry.add(
            problem,
            common.constraint(common.affine([(x2, 1.0), (x1, -1.0)]), pulp.LpConstraintLE, 0.0),
            name("order", d),
            ConstraintTag(LocationFamily.ORDER, None, str(d), None, "twice implies once (4)"),
        )
    problem += common.affine(twice_terms)
    registry.add(
        problem,
        common.constraint(common.affine(once_terms), pulp.LpConstraintGE, inputs.alpha * float(sum(inputs.weight))),
        "share_r1",
        ConstraintTag(LocationFamily.SHARE_R1, None, None, "ambulance", f"share α = {inputs.alpha} within r1 (2)"),
    )
    _count(problem, registry, y, inputs.p, 5)
    start: dict[common.Key, int] = {}
    if inputs.heuristic_start:
        cap = _capacities(inputs)
        sites = list(y)
        start = (
            heuristics.greedy_double_cover(
                [k[0] for k in groups],
                [k[1] for k in groups],
                [float(sum(weight[m] for m in members)) for members in groups.values()],
                sites,
                [min(inputs.p, cap[s]) for s in sites],
                inputs.p,
                inputs.alpha,
            )
            or {}
        )
    model = DSMModel(problem, inputs, y, once, twice, registry, start)
    if start:
        model.set_start(start)
    return model


@dataclass(frozen=True, eq=False)
class MEXCLPInputs:
    """Inputs of the maximum expected covering location problem.

    Attributes
    ----------
    demand_ids, site_ids, weight, p, site_capacity
        As in `DSMInputs`: demand points, stations, demand per point, ambulances, most per station.
    coverage
        Site → demand ids within the response standard (km or min).
    busy_fraction
        q, the probability that an ambulance is busy (0 ≤ q < 1).
    """

    demand_ids: tuple[common.Key, ...]
    site_ids: tuple[common.Key, ...]
    weight: tuple[float, ...]
    coverage: Mapping[common.Key, tuple[common.Key, ...]]
    p: int
    busy_fraction: float
    site_capacity: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        """Collect every input problem, then raise once."""
        problems = _fleet_problems(self, {"coverage": self.coverage})
        if not 0 <= self.busy_fraction < 1:
            problems.append(f"busy_fraction was {self.busy_fraction} but must be in [0, 1)")
        common.raise_if("MEXCLP", problems)


@dataclass(frozen=True, eq=False)
class MEXCLPModel(_FleetModel[MEXCLPInputs]):
    """The built MEXCLP and typed handles."""

    kth: dict[tuple[common.Key, int], pulp.LpVariable]
    """x[demand, k] — the demand is covered by at least k ambulances."""
    registry: ConstraintRegistry[LocationFamily] = field(default_factory=ConstraintRegistry)


def expected_coverage(inputs: MEXCLPInputs, stationed: Mapping[common.Key, int]) -> float:
    """Σ_i w_i (1 − q^{n_i}), n_i ambulances within reach of i (independent of any model)."""
    reach = common.invert(inputs.coverage, inputs.demand_ids)
    weight = _demand(inputs)
    q = inputs.busy_fraction
    return float(sum(weight[d] * (1 - q ** sum(stationed.get(s, 0) for s in near)) for d, near in reach.items()))


def build_mexclp_model(inputs: MEXCLPInputs) -> MEXCLPModel:
    """Build MEXCLP (Daskin 1983).

    Sets
        I   demand points;  J   stations;  N_i ⊆ J   stations within the standard of i (sparse);
        K_i = 1..min(p, Σ_{j ∈ N_i} p_j)   possible coverage counts of i.
    Parameters
        w_i   demand (calls/year);  p   ambulances;  q   busy fraction;  p_j   station capacity.
    Variables
        y_j  ∈ {0, …, p_j}   ambulances at j                                        ("y[j]")
        x_ik ∈ [0, 1]        i is covered by at least k ambulances (integral at the
                             optimum: the gains (1 − q) q^{k−1} fall with k)         ("x[i,k]")

    max  Σ_i Σ_{k ∈ K_i} w_i (1 − q) q^{k−1} x_ik     (expected covered demand: Σ_i w_i (1 − q^{n_i}))
    (1) expected[i]:  Σ_{k ∈ K_i} x_ik ≤ Σ_{j ∈ N_i} y_j   ∀ i with N_i ≠ ∅
    (2) count:        Σ_j y_j = p
    (3) y_j ≤ p_j is the variable's upper bound.
    """
    problem = pulp.LpProblem("mexclp", pulp.LpMaximize)
    registry = ConstraintRegistry[LocationFamily]()
    y = _ambulance_vars(problem, inputs)
    cap = _capacities(inputs)
    weight = _demand(inputs)
    q = inputs.busy_fraction
    kth: dict[tuple[common.Key, int], pulp.LpVariable] = {}
    objective: list[tuple[pulp.LpVariable, float]] = []
    for d, near in common.invert(inputs.coverage, inputs.demand_ids).items():
        if not near:
            continue
        count = min(inputs.p, sum(min(inputs.p, cap[s]) for s in near))
        xs = [problem.add_variable(name("x", d, k), lowBound=0, upBound=1) for k in range(1, count + 1)]
        kth.update(((d, k), x) for k, x in enumerate(xs, start=1))
        objective.extend((x, float(weight[d]) * (1 - q) * q ** (k - 1)) for k, x in enumerate(xs, start=1))
        terms = [(x, 1.0) for x in xs] + [(y[s], -1.0) for s in near]
        registry.add(
            problem,
            common.constraint(common.affine(terms), pulp.LpConstraintLE, 0.0),
            name("expected", d),
            ConstraintTag(
                LocationFamily.EXPECTED, None, str(d), "ambulance", "k-th coverage needs k ambulances in reach (1)"
            ),
        )
    problem += common.affine(objective)
    _count(problem, registry, y, inputs.p, 2)
    return MEXCLPModel(problem, inputs, y, kth, registry)
