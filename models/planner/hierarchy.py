"""Service hierarchies as constraints a planner model can switch on.

Two readings of the county plans fit one structure of *nodes* (level, site):

* sub-centre hierarchy — every town is assigned to one open township sub-centre within its radius,
  and every open sub-centre is linked to a county hospital within the referral-time limit;
* three-tier rural emergency network — county emergency centre (``cec``) → central township health
  centre (``cthc``) → township health centre (``thc``): every rural town within 20 km of some tier
  node, and (tiered reading) within 10 km of a THC-level node; every open node below the top linked
  to an open node of the tier above within its link limit.

`add_hierarchy_constraints` adds these rules to an existing `LpProblem` given the site-open
variables; `build_hierarchy_model` wraps them in a minimum-cost siting model for tests and what-ifs.
Reach sets are sparse and built by the caller (`hierarchy_inputs_from_distance` does it with NumPy).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pulp

import models.location.location_common as common
from models.naming import ConstraintRegistry, ConstraintTag, name
from models.planner.families import PlanFamily

logger = logging.getLogger(__name__)

Node = tuple[str, common.Key]
"""(level, site id), e.g. ("subcentre", "510723101") or ("thc", 17)."""


def node_key(node: Node) -> tuple[str, tuple[str, str]]:
    """Deterministic order of nodes: by level name, then site id."""
    return (node[0], common.sort_key(node[1]))


@dataclass(frozen=True, eq=False)
class HierarchyInputs:
    """The hierarchy rules, as sparse reach sets.

    Attributes
    ----------
    towns
        Towns (demand units) the rules apply to.
    assignment
        Town → nodes within its radius; each town is assigned to exactly one open node of these.
        Empty: the assignment rule is off.
    cover
        Rule name → (town → nodes in reach); each town the rule lists needs at least one open node in
        reach (a rule for rural towns lists only those). Rule names are those with a
        `PlanFamily.COVER_<RULE>` (rows ``cover_<rule>[town]``): ``{"network": …, "primary": …}``.
    parents
        Node → parent nodes within the referral/link limit; each open node is linked to exactly one
        open parent. Nodes not listed need no parent (top tier, existing hospitals).
    """

    towns: tuple[common.Key, ...]
    assignment: Mapping[common.Key, tuple[Node, ...]] = field(default_factory=dict)
    cover: Mapping[str, Mapping[common.Key, tuple[Node, ...]]] = field(default_factory=dict)
    parents: Mapping[Node, tuple[Node, ...]] = field(default_factory=dict)

    def nodes(self) -> list[Node]:
        """Every node any rule mentions, sorted."""
        found: set[Node] = set(self.parents)
        found.update(n for ns in self.parents.values() for n in ns)
        found.update(n for ns in self.assignment.values() for n in ns)
        found.update(n for rule in self.cover.values() for ns in rule.values() for n in ns)
        return sorted(found, key=node_key)

    def problems(self) -> list[str]:
        """Every input problem (empty reach sets make the rules infeasible)."""
        problems = common.id_problems("towns", self.towns)
        if self.assignment:
            missing = common.sorted_ids(t for t in self.towns if not self.assignment.get(t))
            if missing:
                problems.append(
                    f"{len(missing)} town(s) have no sub-centre within their radius "
                    f"(e.g. {missing[:5]}); add candidate sites or enlarge the radius"
                )
        for rule, reach in sorted(self.cover.items()):  # a cover rule applies to the towns it lists
            missing = common.sorted_ids(t for t in reach if not reach[t])
            if missing:
                problems.append(
                    f"rule {rule!r}: {len(missing)} town(s) have no node in reach "
                    f"(e.g. {missing[:5]}); add candidate sites or enlarge the radius"
                )
        orphans = {v for v, parents in self.parents.items() if not parents}
        rules = [("assignment", self.assignment), *((f"cover {r!r}", m) for r, m in sorted(self.cover.items()))]
        for label, mapping in rules:
            stuck = common.sorted_ids(t for t, nodes in mapping.items() if nodes and all(v in orphans for v in nodes))
            if stuck:
                problems.append(
                    f"{label}: {len(stuck)} town(s) can only be served by nodes that have no parent within "
                    f"the link limit (e.g. {stuck[:5]}); add parent candidates or raise the link limit"
                )
        return problems + self.unknown_towns()

    def unknown_towns(self) -> list[str]:
        """Rules that name towns outside `towns` (always an input error)."""
        problems = []
        for label, mapping in [
            ("assignment", self.assignment),
            *((f"cover {r!r}", m) for r, m in self.cover.items()),
        ]:
            unknown = common.sorted_ids(set(mapping) - set(self.towns))
            if unknown:
                problems.append(f"{label} names towns {unknown[:5]} that are not in towns")
        return problems


@dataclass
class HierarchyHandles:
    """Variables added by `add_hierarchy_constraints`."""

    assign: dict[tuple[common.Key, Node], pulp.LpVariable] = field(default_factory=dict)
    """a[town, node] — the town is assigned to the node."""
    link: dict[tuple[Node, Node], pulp.LpVariable] = field(default_factory=dict)
    """l[node, parent] — the open node refers to this open parent."""


def add_hierarchy_constraints(
    problem: pulp.LpProblem,
    open_vars: Mapping[Node, pulp.LpVariable],
    inputs: HierarchyInputs,
    registry: ConstraintRegistry[PlanFamily],
    *,
    target_id: str | None = None,
    refuse_unreachable: bool = True,
) -> HierarchyHandles:
    """Add the hierarchy rules to `problem`, using the caller's site-open variables.

    `target_id` tags every row with the plan target the rules come from (diagnosis groups rows by it);
    without it, cover rows carry their rule name and the other rows none. With
    `refuse_unreachable=False` a town no node can reach is not an input error: its row stays in the
    model (infeasible as stated) so that the planner's diagnosis can name the rule that fails.

    Sets
        T   towns;  V   nodes (level, site) with open variable o_v ∈ {0, 1} (`open_vars`);
        A_t ⊆ V   nodes within the assignment radius of t;  C^r_t ⊆ V   nodes in reach of t under rule r;
        P_v ⊆ V   parents of v within the referral / link limit (km or min).
    Variables (added here)
        a_tv ∈ {0, 1}   town t is assigned to node v ∈ A_t                        ("a[t,level,site]")
        l_vu ∈ {0, 1}   node v refers to parent u ∈ P_v                           ("l[level,site,level,site]")

    (1) assign[t]:          Σ_{v ∈ A_t} a_tv = 1                  ∀ t (when the assignment rule is on)
    (2) assign_open[t,v]:   a_tv ≤ o_v                             ∀ t, v ∈ A_t
    (3) cover_<r>[t]:       Σ_{v ∈ C^r_t} o_v ≥ 1                  ∀ rules r, towns t
    (4) link[v]:            Σ_{u ∈ P_v} l_vu = o_v                 ∀ v with a parent rule
    (5) link_open[v,u]:     l_vu ≤ o_u                             ∀ v, u ∈ P_v

    Raises
    ------
    ValueError
        When a town has an empty reach set, a node in the rules has no open variable, or a cover rule
        has no `PlanFamily` (`PlanFamily.cover`).
    """
    problems = inputs.problems() if refuse_unreachable else inputs.unknown_towns()
    missing = [n for n in inputs.nodes() if n not in open_vars]
    if missing:
        problems.append(
            f"open_vars has no variable for nodes {missing[:5]}; pass one per candidate node "
            "(fix existing facilities with lowBound=1)"
        )
    common.raise_if("hierarchy", problems)
    handles = HierarchyHandles()
    for t in common.sorted_ids(inputs.assignment):
        nodes = sorted(inputs.assignment[t], key=node_key)
        row = []
        for v in nodes:
            a = problem.add_variable(name("a", t, *v), lowBound=0, upBound=1, cat=pulp.LpBinary)
            handles.assign[(t, v)] = a
            row.append(a)
            registry.add(
                problem,
                common.constraint(common.affine([(a, 1.0), (open_vars[v], -1.0)]), pulp.LpConstraintLE, 0.0),
                name("assign_open", t, *v),
                ConstraintTag(PlanFamily.ASSIGN_OPEN, target_id, str(t), v[0], f"assigned only to an open {v[0]} (2)"),
            )
        registry.add(
            problem,
            common.constraint(common.affine((a, 1.0) for a in row), pulp.LpConstraintEQ, 1.0),
            name("assign", t),
            ConstraintTag(
                PlanFamily.ASSIGN, target_id, str(t), None, "each town assigned to one open node in its radius (1)"
            ),
        )
    for rule in sorted(inputs.cover):
        reach = inputs.cover[rule]
        family = PlanFamily.cover(rule)
        for t in common.sorted_ids(reach):
            nodes = sorted(reach[t], key=node_key)
            registry.add(
                problem,
                common.constraint(common.affine((open_vars[v], 1.0) for v in nodes), pulp.LpConstraintGE, 1.0),
                name(family, t),
                ConstraintTag(
                    family, target_id or rule, str(t), None, f"town within reach of an open node: {rule} (3)"
                ),
            )
    for v in sorted(inputs.parents, key=node_key):
        parents = sorted(inputs.parents[v], key=node_key)
        row = []
        for u in parents:
            link = problem.add_variable(name("l", *v, *u), lowBound=0, upBound=1, cat=pulp.LpBinary)
            handles.link[(v, u)] = link
            row.append(link)
            registry.add(
                problem,
                common.constraint(common.affine([(link, 1.0), (open_vars[u], -1.0)]), pulp.LpConstraintLE, 0.0),
                name("link_open", *v, *u),
                ConstraintTag(PlanFamily.LINK_OPEN, target_id, str(v[1]), u[0], f"refer only to an open {u[0]} (5)"),
            )
        registry.add(
            problem,
            common.constraint(
                common.affine([*((link, 1.0) for link in row), (open_vars[v], -1.0)]), pulp.LpConstraintEQ, 0.0
            ),
            name("link", *v),
            ConstraintTag(
                PlanFamily.LINK, target_id, str(v[1]), v[0], f"an open {v[0]} refers to one parent in reach (4)"
            ),
        )
    return handles


@dataclass(frozen=True, eq=False)
class HierarchyModelInputs:
    """A standalone minimum-cost siting model around the hierarchy rules.

    Attributes
    ----------
    rules
        The hierarchy rules.
    open_cost
        Node → cost of opening it (CNY, or 1 to count); every node of the rules needs a cost.
    existing
        Nodes that are already open (fixed to 1, cost still counted).
    """

    rules: HierarchyInputs
    open_cost: Mapping[Node, float]
    existing: tuple[Node, ...] = ()


@dataclass(frozen=True, eq=False)
class HierarchyModel:
    """The standalone hierarchy model and typed handles."""

    problem: pulp.LpProblem
    inputs: HierarchyModelInputs
    open: dict[Node, pulp.LpVariable]
    """o[level, site] — 1 when the node is opened."""
    handles: HierarchyHandles
    registry: ConstraintRegistry[PlanFamily]

    def open_nodes(self) -> list[Node]:
        """The opened nodes, sorted."""
        return [n for n, v in self.open.items() if common.is_on(v)]


def build_hierarchy_model(inputs: HierarchyModelInputs) -> HierarchyModel:
    """Minimum-cost set of nodes satisfying the hierarchy rules.

    min  Σ_v c_v o_v      (CNY)
    s.t. (1)–(5) of `add_hierarchy_constraints`;  o_v = 1 for existing nodes (variable bounds).
    """
    nodes = sorted(set(inputs.rules.nodes()) | set(inputs.open_cost), key=node_key)
    missing = [n for n in nodes if n not in inputs.open_cost]
    common.raise_if("hierarchy model", [f"open_cost has no entry for nodes {missing[:5]}"] if missing else [])
    problem = pulp.LpProblem("hierarchy", pulp.LpMinimize)
    registry = ConstraintRegistry[PlanFamily]()
    existing = set(inputs.existing)
    open_vars = {
        n: problem.add_variable(name("o", *n), lowBound=1 if n in existing else 0, upBound=1, cat=pulp.LpBinary)
        for n in nodes
    }
    problem += common.affine((open_vars[n], float(inputs.open_cost[n])) for n in nodes)
    handles = add_hierarchy_constraints(problem, open_vars, inputs.rules, registry)
    return HierarchyModel(problem, inputs, open_vars, handles, registry)


def reach_from_distance(
    towns: Sequence[common.Key], nodes: Sequence[Node], distance: common.FloatArray, limit: float
) -> dict[common.Key, tuple[Node, ...]]:
    """Town → nodes with distance ≤ limit, from a town × node matrix (one NumPy comparison per row)."""
    within = np.asarray(distance, dtype=float) <= limit
    return {
        t: tuple(sorted((nodes[c] for c in np.flatnonzero(within[r]).tolist()), key=node_key))
        for r, t in enumerate(towns)
    }


def emergency_network_inputs(
    towns: Sequence[common.Key],
    nodes: Sequence[Node],
    town_node_km: common.FloatArray,
    node_node_km: common.FloatArray,
    *,
    tiers: tuple[str, ...] = ("cec", "cthc", "thc"),
    network_radius_km: float = 20.0,
    primary_radius_km: float = 10.0,
    primary_levels: tuple[str, ...] = ("cthc", "thc"),
    link_limit_km: Mapping[str, float] | None = None,
) -> HierarchyInputs:
    """Rules of the three-tier rural emergency network from distance matrices.

    Every town within `network_radius_km` of some node of any tier (rule ``network``), within
    `primary_radius_km` of a node whose level is in `primary_levels` (rule ``primary``; central
    township health centres are township health centres too), and every node of tier k > 1 linked to a
    node of tier k − 1 within `link_limit_km[tier k]` (no limit given: no link rule for that tier).
    """
    limits = dict(link_limit_km or {})
    primary = [c for c, n in enumerate(nodes) if n[0] in primary_levels]
    network = reach_from_distance(towns, nodes, town_node_km, network_radius_km)
    sub = np.asarray(town_node_km, dtype=float)[:, primary]
    primary_reach = reach_from_distance(towns, [nodes[c] for c in primary], sub, primary_radius_km)
    parents: dict[Node, tuple[Node, ...]] = {}
    dist = np.asarray(node_node_km, dtype=float)
    for c, node in enumerate(nodes):
        level = node[0]
        if level not in tiers or tiers.index(level) == 0 or level not in limits:
            continue
        above = tiers[tiers.index(level) - 1]
        cand = [u for u in range(len(nodes)) if nodes[u][0] == above and dist[c, u] <= limits[level]]
        parents[node] = tuple(sorted((nodes[u] for u in cand), key=node_key))
    return HierarchyInputs(towns=tuple(towns), cover={"network": network, "primary": primary_reach}, parents=parents)
