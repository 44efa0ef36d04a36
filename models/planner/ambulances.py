"""Ambulance fleet size and stationing: the plan's fleet rule, then coverage and backup coverage.

Formulation (added to the plan model by `add_ambulances`)
---------------------------------------------------------
Sets
    T            towns, sorted by division code
    B            candidate bases (facilities that may station vehicles), sorted by id
    N(t) ⊆ B     bases meeting t's standard: within its class radius (urban 5 km / rural 20 km)
                 and within the response-time limit (minutes)
Parameters
    p_t          resident population of t (persons)
    R            fleet the rule requires: ceil(multiplier × population / persons per vehicle) + extras
    E            existing fleet (vehicles; 0 when not published, so every vehicle is costed)
    e_b          existing vehicles stationed at b (where known)
    S ⊆ B        stations the plan names (120 急救站点): fixed bases
    m            most vehicles at one base
Variables
    n_b ∈ Z, 0 ≤ n_b ≤ m    vehicles stationed at base b
    u_t, w_t ∈ [0,1]        t NOT covered once / NOT covered twice (no backup) within its standard
    σ ≥ 0                   fleet shortfall (absent when the fleet rule is hard)
    δ ≥ 0                   vehicles bought above the existing fleet
Constraints
    (A1) ambulance_fleet:        Σ_b n_b + σ ≥ R
    (A2) ambulance_cover[t]:     Σ_{b ∈ N(t)} n_b + u_t + w_t ≥ 2
    (A3) ambulance_backup[t]:    w_t ≥ u_t
    (A4) ambulance_added:        δ ≥ Σ_b n_b − E
    (A5) named_station[s]:       n_s ≥ 1                              (s ∈ S)
    (A6) ambulance_moved_up[b], ambulance_moved_down[b]:
                                 v_b ≥ n_b − e_b,  v_b ≥ e_b − n_b    (stability: ε Σ_b v_b in the objective)
Objective terms (minimised; weights from the scenario)
    W_1 Σ_t p_t u_t / P + W_2 Σ_t p_t w_t / P + W_short σ / R + ε Σ_b v_b / R
Existing vehicles are not bought again (A4 counts only vehicles above E); they may be re-stationed,
and the tie-break (A6) keeps them where they are unless coverage gains from the move.
(A2)–(A3) are the double-coverage constraints of Gendreau, Laporte & Semet (1997) in aggregate form,
written with "not covered" variables (covered once = 1 − u, twice = 1 − w) so every objective term
is non-negative; with integer n they make u and w integral at an optimum.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulp

from models.naming import ConstraintRegistry, ConstraintTag, name
from models.planner.families import PlanFamily

STABILITY = 1e-3
"""Weight of the re-stationing tie-break, per vehicle over the fleet the rule requires."""


@dataclass(frozen=True)
class AmbulanceInputs:
    """Fleet rule, candidate bases and coverage sets."""

    towns: tuple[str, ...]
    population: Mapping[str, float]
    bases: tuple[str, ...]
    covering: Mapping[str, tuple[str, ...]]
    fleet_required: int
    fleet_hard: bool
    fleet_shortfall_weight: float
    existing_fleet: int
    max_per_base: int
    unit_cost_cny: float
    target_id: str
    existing_at: Mapping[str, int] = field(default_factory=dict)
    named_stations: tuple[str, ...] = ()


@dataclass(frozen=True)
class AmbulanceHandles:
    """Typed handles to the ambulance variables and the block's objective and cost parts."""

    vehicles: dict[str, pulp.LpVariable]
    uncovered: dict[str, pulp.LpVariable]
    no_backup: dict[str, pulp.LpVariable]
    shortfall: pulp.LpVariable | None
    added: pulp.LpVariable
    uncovered_term: pulp.LpAffineExpression
    no_backup_term: pulp.LpAffineExpression
    shortfall_term: pulp.LpAffineExpression
    stability_term: pulp.LpAffineExpression
    cost: pulp.LpAffineExpression


def add_ambulances(
    problem: pulp.LpProblem, inputs: AmbulanceInputs, registry: ConstraintRegistry[PlanFamily]
) -> AmbulanceHandles:
    """Add variables and constraints (A1)–(A6) to `problem`; return handles and objective terms."""
    total_population = sum(inputs.population[t] for t in inputs.towns) or 1.0
    vehicles = {
        b: problem.add_variable(name("ambulances", b), 0, inputs.max_per_base, cat=pulp.LpInteger) for b in inputs.bases
    }
    uncovered = {t: problem.add_variable(name("ambulance_uncovered", t), 0, 1) for t in inputs.towns}
    no_backup = {t: problem.add_variable(name("ambulance_no_backup", t), 0, 1) for t in inputs.towns}
    shortfall = None if inputs.fleet_hard else problem.add_variable(name("shortfall", inputs.target_id), 0)
    added = problem.add_variable(name("ambulances_added"), 0)
    fleet = pulp.LpAffineExpression([(v, 1.0) for v in vehicles.values()])

    def tag(description: str, family: PlanFamily = PlanFamily.AMBULANCE) -> ConstraintTag[PlanFamily]:
        return ConstraintTag(family, inputs.target_id, None, "ambulances", description)

    registry.add(
        problem,
        fleet + (shortfall if shortfall is not None else 0) >= inputs.fleet_required,
        name("ambulance_fleet"),
        tag(f"fleet of at least {inputs.fleet_required} vehicles", family=PlanFamily.AMBULANCE_FLEET),
    )
    for t in inputs.towns:
        registry.add(
            problem,
            pulp.LpAffineExpression(
                [(vehicles[b], 1.0) for b in inputs.covering.get(t, ())] + [(uncovered[t], 1.0), (no_backup[t], 1.0)]
            )
            >= 2,
            name("ambulance_cover", t),
            tag(f"town {t} reached within its radius and response time"),
        )
        registry.add(problem, no_backup[t] >= uncovered[t], name("ambulance_backup", t), tag("backup after cover"))
    registry.add(problem, added >= fleet - inputs.existing_fleet, name("ambulance_added"), tag("vehicles to buy"))
    for station in inputs.named_stations:
        registry.add(
            problem,
            vehicles[station] >= 1,
            name("named_station", station),
            tag(f"named 120 station {station} holds a vehicle", family=PlanFamily.NAMED_STATION),
        )
    moved = []
    for b, existing in sorted(inputs.existing_at.items()):
        if b in vehicles and existing > 0:
            v = problem.add_variable(name("ambulance_moved", b), 0)
            registry.add(problem, v >= vehicles[b] - existing, name("ambulance_moved_up", b), tag("re-stationed"))
            registry.add(problem, v >= existing - vehicles[b], name("ambulance_moved_down", b), tag("re-stationed"))
            moved.append((v, STABILITY / max(inputs.fleet_required, 1)))

    share = {t: inputs.population[t] / total_population for t in inputs.towns}
    required = max(inputs.fleet_required, 1)
    shortfall_pairs = [(shortfall, inputs.fleet_shortfall_weight / required)] if shortfall is not None else []
    return AmbulanceHandles(
        vehicles=vehicles,
        uncovered=uncovered,
        no_backup=no_backup,
        shortfall=shortfall,
        added=added,
        uncovered_term=pulp.LpAffineExpression([(uncovered[t], share[t]) for t in inputs.towns]),
        no_backup_term=pulp.LpAffineExpression([(no_backup[t], share[t]) for t in inputs.towns]),
        shortfall_term=pulp.LpAffineExpression(shortfall_pairs),
        stability_term=pulp.LpAffineExpression(moved),
        cost=pulp.LpAffineExpression([(added, inputs.unit_cost_cny)]),
    )
