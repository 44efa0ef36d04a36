"""Ambulance fleet size and stationing: the fleet rules, the radius, coverage, backup and the mean response.

Formulation (added to the plan model by `add_ambulances`; [An] = the plan ambiguity it decides,
docs/decisions.md)
---------------------------------------------------------
Sets
    T            demand units (demand points below the townships, or towns), sorted by id
    S_T          township seats, for the hard radius
    B            candidate bases (facilities that may station vehicles), sorted by id
    C            counties with their own fleet rule; B_c ⊆ B the bases in county c            [A2]
    R(s) ⊆ B     bases within seat s's class radius (urban 5 km / rural 20 km, straight)    [A4]
    N(t) ⊆ B     bases meeting t's preferred standard: within the preferred radius (urban 5 km /
                 rural 10 km) and within the per-town response time (minutes)             [A4, A7 (b)]
    M(t) ⊆ B     bases t's mean response may be measured to (travel time known)           [A7 (a)]
Parameters
    p_t, P       resident population of t, of the area (persons)
    R            fleet the area rule requires: ceil(multiplier × population / persons per vehicle) + extras
    R_c          fleet county c's rule requires: ceil(m_c × residents of c / persons per vehicle)  [A2]
    E            existing fleet (vehicles; 0 when not published, so every vehicle is costed)
    e_b          existing vehicles stationed at b (where known)
    S ⊆ B        stations the plan names (120 急救站点): fixed bases
    m            most vehicles at one base
    τ_tb, τ̄      travel minutes from t to b; the limit on the population-weighted mean   [A7 (a)]
Variables
    n_b ∈ Z, 0 ≤ n_b ≤ m    vehicles stationed at base b
    u_t, w_t ∈ [0,1]        t NOT covered once / NOT covered twice (no backup) within its standard
    σ, σ_c ≥ 0              fleet shortfalls, area and county (absent when the fleet rule is hard)
    δ ≥ 0                   vehicles bought above the existing fleet
    y_tb ∈ [0,1]            share of t's response measured to base b ∈ M(t)
    s ≥ 0                   minutes of mean response above τ̄ (absent when the limit is hard)
Constraints
    (E1) ambulance_fleet:          Σ_b n_b + σ ≥ R
    (E2) ambulance_fleet[c]:       Σ_{b ∈ B_c} n_b + σ_c ≥ R_c                       ∀ c ∈ C   [A2]
    (E3) ambulance_radius[s]:      Σ_{b ∈ R(s)} n_b ≥ 1              ∀ s ∈ S_T (radius hard)     [A4]
    (E4) ambulance_cover[t]:       Σ_{b ∈ N(t)} n_b + u_t + w_t ≥ 2
    (E5) ambulance_backup[t]:      w_t ≥ u_t
    (E6) ambulance_added:          δ ≥ Σ_b n_b − E
    (E7) named_station[s]:         n_s ≥ 1                                           (s ∈ S)
    (E8) ambulance_moved_up[b], ambulance_moved_down[b]:
                                   v_b ≥ n_b − e_b,  v_b ≥ e_b − n_b   (stability: ε Σ_b v_b in the objective)
    (E9)  response_assign[t]:      Σ_{b ∈ M(t)} y_tb = 1                              ∀ t       [A7]
    (E10) response_open[t,b]:      y_tb ≤ n_b                                         b ∈ M(t)
    (E11) ambulance_response_mean: Σ_t (p_t / P) Σ_{b ∈ M(t)} τ_tb y_tb − s ≤ τ̄                [A7]
Objective terms (minimised; weights from the scenario)
    W_1 Σ_t p_t u_t / P + W_2 Σ_t p_t w_t / P + W_short (σ + Σ_c σ_c) / R + W_mean s / τ̄ + ε Σ_b v_b / R
Existing vehicles are not bought again (E6 counts only vehicles above E); they may be re-stationed,
and the tie-break (E8) keeps them where they are unless coverage gains from the move.
(E3) is the hard maximum of A4 (20 km rural, 5 km urban); the preferred 10 km enters through N(t) in
the coverage term. A town with an empty R(t) is refused (ValueError): the instance builder names it first.
(E4)–(E5) are the double-coverage constraints of Gendreau, Laporte & Semet (1997) in aggregate form,
written with "not covered" variables (covered once = 1 − u, twice = 1 − w) so every objective term
is non-negative; with integer n they make u and w integral at an optimum.
(E9)–(E11): a town's response time is the time to its nearest base holding a vehicle. Some assignment
of towns to stationed bases has a weighted mean ≤ τ̄ exactly when the nearest-base mean is ≤ τ̄ (the
nearest base is the cheapest assignment), so y needs no integrality. With the radius hard, M(t) is
cut at the slowest base of R(t) when t is itself a seat: (E3) stations a vehicle there, so a slower base is
never the nearest; likewise M(t) is cut at its fastest named station, which (E7) always stations.
With (E2) a county's shortfall also counts in (E1) when the area rule is soft: a vehicle missing in a
county weighs twice, never less than one missing in the area.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulp

from models.naming import ConstraintRegistry, ConstraintTag, name
from models.planner.families import PlanFamily
from models.planner.town_terms import population_shares, share_term, town_fractions

STABILITY = 1e-3
"""Weight of the re-stationing tie-break, per vehicle over the fleet the rule requires."""
RADIUS_TARGET_ID = "ambulance_radius"
RESPONSE_MEAN_TARGET_ID = "ambulance_response_mean"


@dataclass(frozen=True)
class CountyFleet:
    """One county's own fleet rule [A2]: the bases in the county hold at least `required` vehicles."""

    county: str
    bases: tuple[str, ...]
    required: int
    target_id: str


@dataclass(frozen=True)
class ResponseMean:
    """The population-weighted mean response time rule [A7 (a)]: at most `max_min` minutes."""

    max_min: float
    hard: bool
    shortfall_weight: float
    travel_min: Mapping[tuple[str, str], float]
    """(town, base) → travel minutes; a base missing for a town is not a candidate for its mean."""
    target_id: str = RESPONSE_MEAN_TARGET_ID


@dataclass(frozen=True)
class AmbulanceInputs:
    """Fleet rules, candidate bases, coverage sets and the radius and response rules."""

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
    within_radius: Mapping[str, tuple[str, ...]] | None = None
    """R(s) per township seat s for the hard radius (E3); None when the radius is not a hard rule. Its keys
    are the townships, which may differ from `towns` (the demand points the coverage terms count)."""
    county_fleet: tuple[CountyFleet, ...] = ()
    response_mean: ResponseMean | None = None


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
    """Fleet shortfalls (area and counties) and the mean response above its limit, weighted."""
    stability_term: pulp.LpAffineExpression
    cost: pulp.LpAffineExpression
    county_shortfall: dict[str, pulp.LpVariable] = field(default_factory=dict)
    response_share: dict[tuple[str, str], pulp.LpVariable] = field(default_factory=dict)
    response_excess: pulp.LpVariable | None = None


def add_ambulances(
    problem: pulp.LpProblem, inputs: AmbulanceInputs, registry: ConstraintRegistry[PlanFamily]
) -> AmbulanceHandles:
    """Add variables and constraints (E1)–(E11) to `problem`; return handles and objective terms.

    Raises
    ------
    ValueError
        When the radius is hard and a town has no candidate base within it, or a county rule or the
        mean response names a base that is not a candidate.
    """
    shares = population_shares(inputs.towns, inputs.population)
    vehicles = {
        b: problem.add_variable(name("ambulances", b), 0, inputs.max_per_base, cat=pulp.LpInteger) for b in inputs.bases
    }
    uncovered = town_fractions(problem, "ambulance_uncovered", inputs.towns)
    no_backup = town_fractions(problem, "ambulance_no_backup", inputs.towns)
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
    county_shortfall = _add_county_fleets(problem, inputs, vehicles, registry)
    if inputs.within_radius is not None:
        _add_radius(problem, inputs.within_radius, vehicles, registry)
    for t in inputs.towns:
        registry.add(
            problem,
            pulp.LpAffineExpression(
                [(vehicles[b], 1.0) for b in inputs.covering.get(t, ())] + [(uncovered[t], 1.0), (no_backup[t], 1.0)]
            )
            >= 2,
            name("ambulance_cover", t),
            tag(f"town {t} reached within its preferred radius and response time"),
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
    response_share, response_excess = (
        _add_response_mean(problem, inputs, inputs.response_mean, shares, vehicles, registry)
        if inputs.response_mean is not None
        else ({}, None)
    )

    per_vehicle = inputs.fleet_shortfall_weight / max(inputs.fleet_required, 1)
    penalties = [(v, per_vehicle) for v in [shortfall, *county_shortfall.values()] if v is not None]
    if response_excess is not None and inputs.response_mean is not None:
        penalties.append((response_excess, inputs.response_mean.shortfall_weight / inputs.response_mean.max_min))
    return AmbulanceHandles(
        vehicles=vehicles,
        uncovered=uncovered,
        no_backup=no_backup,
        shortfall=shortfall,
        added=added,
        uncovered_term=share_term(uncovered, shares),
        no_backup_term=share_term(no_backup, shares),
        shortfall_term=pulp.LpAffineExpression(penalties),
        stability_term=pulp.LpAffineExpression(moved),
        cost=pulp.LpAffineExpression([(added, inputs.unit_cost_cny)]),
        county_shortfall=county_shortfall,
        response_share=response_share,
        response_excess=response_excess,
    )


def _add_county_fleets(
    problem: pulp.LpProblem,
    inputs: AmbulanceInputs,
    vehicles: Mapping[str, pulp.LpVariable],
    registry: ConstraintRegistry[PlanFamily],
) -> dict[str, pulp.LpVariable]:
    """(E2): each county's bases hold its own fleet; returns the county shortfalls (none when hard)."""
    shortfalls: dict[str, pulp.LpVariable] = {}
    for rule in inputs.county_fleet:
        unknown = sorted(set(rule.bases) - set(vehicles))
        if unknown:
            raise ValueError(f"county fleet rule {rule.county} names bases {unknown[:5]} that are not candidates")
        terms = [(vehicles[b], 1.0) for b in rule.bases]
        if not inputs.fleet_hard:
            shortfalls[rule.county] = problem.add_variable(name("shortfall", rule.target_id), 0)
            terms.append((shortfalls[rule.county], 1.0))
        registry.add(
            problem,
            pulp.LpAffineExpression(terms) >= rule.required,
            name("ambulance_fleet", rule.county),
            ConstraintTag(
                PlanFamily.AMBULANCE_FLEET,
                rule.target_id,
                rule.county,
                "ambulances",
                f"fleet of at least {rule.required} vehicles at the bases of county {rule.county}",
            ),
        )
    return shortfalls


def _add_radius(
    problem: pulp.LpProblem,
    within: Mapping[str, tuple[str, ...]],
    vehicles: Mapping[str, pulp.LpVariable],
    registry: ConstraintRegistry[PlanFamily],
) -> None:
    """(E3): a vehicle within every township seat's class radius (the keys of `within`, which may be the
    townships above the demand points of `inputs.towns`)."""
    unreachable = [t for t in sorted(within) if not within[t]]
    if unreachable:
        raise ValueError(
            f"towns {unreachable[:5]} have no candidate base within their radius; the hard radius cannot "
            "hold: add a base in reach or pass within_radius=None (the radius only in the coverage term)"
        )
    for t in sorted(within):
        registry.add(
            problem,
            pulp.LpAffineExpression([(vehicles[b], 1.0) for b in within[t]]) >= 1,
            name(PlanFamily.AMBULANCE_RADIUS, t),
            ConstraintTag(
                PlanFamily.AMBULANCE_RADIUS,
                RADIUS_TARGET_ID,
                t,
                "ambulances",
                f"town {t} within its class radius of a base holding a vehicle",
            ),
        )


def response_candidates(inputs: AmbulanceInputs, rule: ResponseMean) -> dict[str, list[str]]:
    """M(t): the bases each town's mean response may be measured to, fastest first (module docstring)."""
    by_town: dict[str, list[tuple[float, str]]] = {t: [] for t in inputs.towns}
    bases = set(inputs.bases)
    named = set(inputs.named_stations)
    for (t, b), minutes in rule.travel_min.items():
        if t in by_town and b in bases:
            by_town[t].append((minutes, b))
    candidates = {}
    for t, options in by_town.items():
        options.sort()
        if inputs.within_radius is not None and inputs.within_radius.get(t):
            reach = set(inputs.within_radius[t])
            slowest = max((m for m, b in options if b in reach), default=None)
            if slowest is not None:
                options = [(m, b) for m, b in options if m <= slowest]
        fixed = next((m for m, b in options if b in named), None)
        if fixed is not None:  # (E7) stations a vehicle there: a slower base is never the nearest
            options = [(m, b) for m, b in options if m <= fixed]
        candidates[t] = [b for _, b in options]
    return candidates


def _add_response_mean(
    problem: pulp.LpProblem,
    inputs: AmbulanceInputs,
    rule: ResponseMean,
    shares: Mapping[str, float],
    vehicles: Mapping[str, pulp.LpVariable],
    registry: ConstraintRegistry[PlanFamily],
) -> tuple[dict[tuple[str, str], pulp.LpVariable], pulp.LpVariable | None]:
    """(E9)–(E11): the population-weighted mean time to the nearest stationed base, at most τ̄."""

    def tag(description: str, family: PlanFamily = PlanFamily.AMBULANCE) -> ConstraintTag[PlanFamily]:
        return ConstraintTag(family, rule.target_id, None, "ambulances", description)

    candidates = response_candidates(inputs, rule)
    empty = [t for t, bases in candidates.items() if not bases]
    if empty:
        raise ValueError(f"towns {empty[:5]} have no travel time to any candidate base; the mean response is undefined")
    assigned: dict[tuple[str, str], pulp.LpVariable] = {}
    mean: list[tuple[pulp.LpVariable, float]] = []
    for t, bases in candidates.items():
        for b in bases:
            y = assigned[t, b] = problem.add_variable(name("response_share", t, b), 0, 1)
            registry.add(problem, y <= vehicles[b], name("response_open", t, b), tag("measured to a stationed base"))
            mean.append((y, shares[t] * rule.travel_min[t, b]))
        registry.add(
            problem,
            pulp.LpAffineExpression([(assigned[t, b], 1.0) for b in bases]) == 1,
            name("response_assign", t),
            tag(f"town {t} measured to one stationed base"),
        )
    excess = None if rule.hard else problem.add_variable(name("shortfall", rule.target_id), 0)
    registry.add(
        problem,
        pulp.LpAffineExpression(mean + ([(excess, -1.0)] if excess is not None else [])) <= rule.max_min,
        name(PlanFamily.AMBULANCE_RESPONSE_MEAN),
        tag(f"population-weighted mean response at most {rule.max_min:g} min", PlanFamily.AMBULANCE_RESPONSE_MEAN),
    )
    return assigned, excess
