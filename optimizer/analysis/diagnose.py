"""Explain an infeasible plan: which hard rules conflict, and the smallest relaxation that makes it feasible.

Method (after python-mip's `ConflictFinder.deletion_filter` and `ConflictRelaxer`, rebuilt on PuLP):
1. Group the model's rule constraints by plan rule (a target, a facility limit, the budget, the fleet rule…);
   definitional rows (access flows, coverage bookkeeping) are never relaxed.
2. Deletion filter over groups: start from all groups; drop a group for good when the rest still
   conflict (the others relaxed freely). What remains is an irreducible conflicting set: every one of
   its rules is needed for the conflict, and relaxing any one of them resolves it.
3. For each member, the smallest relaxation of that rule alone (elastic re-solve minimising its slack,
   every other rule hard), in the rule's own unit: "either add 12 M CNY, or lower target X by 52 beds".
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass

import pulp

from models.naming import ConstraintTag
from models.planner import PlanModel, build_plan_model
from models.planner.elastic import add_elastic_slacks
from models.planner.families import PlanFamily
from optimizer.geography.travel_times import TravelMatrix
from optimizer.inputs.datasets import Datasets
from optimizer.inputs.scenario import Scenario
from optimizer.inputs.solver_settings import SolverSettings
from optimizer.instance.plan_inputs import build_plan_inputs, population_of
from optimizer.solving.solve import solve

logger = logging.getLogger(__name__)

RULE_FAMILIES = PlanFamily.rules()
"""The families the diagnosis relaxes, in the order it groups and tries them (`PlanFamily` classifies)."""


@dataclass(frozen=True)
class RuleGroup:
    """One plan rule and the model rows that enforce it."""

    family: PlanFamily
    key: str
    label: str
    constraints: tuple[str, ...]


@dataclass(frozen=True)
class Relaxation:
    """How much one rule must give, in its own unit."""

    group: RuleGroup
    amount: float
    unit: str
    detail: str

    def __str__(self) -> str:
        amount = f"{self.amount:,.0f}" if self.unit == "CNY" else f"{self.amount:,.6g}"
        return f"relax {self.group.label} by {amount} {self.unit}{self.detail}"


@dataclass(frozen=True)
class InfeasibilityReport:
    """Conflicting rules and, for each, the smallest relaxation of that rule alone that resolves the conflict."""

    conflict: tuple[RuleGroup, ...]
    single: tuple[Relaxation, ...]

    def text(self) -> str:
        """The explanation in planner terms."""
        if not self.conflict:
            return (
                "the model is infeasible even with every plan rule relaxed: check the data (e.g. towns that "
                "reach no facility, or vehicle and bed bounds per facility)."
            )
        lines = ["these hard rules cannot all hold together: " + "; ".join(g.label for g in self.conflict) + "."]
        if self.single:
            lines.append("Smallest fix of one rule alone: either " + ", or ".join(str(r) for r in self.single) + ".")
        alone = [g.label for g in self.conflict if g not in {r.group for r in self.single}]
        if alone:
            lines.append("Relaxing only one of these cannot fix the plan: " + "; ".join(alone) + ".")
        return "\n".join(lines)


def rule_groups(model: PlanModel) -> dict[tuple[PlanFamily, str], RuleGroup]:
    """The plan rules present in `model`, keyed by (family, key), each with its constraint names."""
    members: dict[tuple[PlanFamily, str], list[tuple[str, ConstraintTag[PlanFamily]]]] = {}
    for constraint_name, tag in model.registry.tags.items():
        if tag.family.is_rule:
            key = tag.target_id or tag.resource or tag.family.value
            members.setdefault((tag.family, key), []).append((constraint_name, tag))
    groups = {}
    for (family, key), rows in sorted(members.items(), key=lambda item: (RULE_FAMILIES.index(item[0][0]), item[0])):
        rule = family.rule
        label = ((rule.label or "").format(key=key) if rule else "") or rows[0][1].description
        groups[family, key] = RuleGroup(family, key, label, tuple(sorted(n for n, _ in rows)))
    return groups


def explain(scenario: Scenario, data: Datasets, model: PlanModel, settings: SolverSettings) -> InfeasibilityReport:
    """Find the conflicting rules of the infeasible `model` and the smallest single-rule relaxations.

    The model is edited in place: every rule row gets an elastic slack whose upper bound is 0 while the
    rule is hard and free while it is relaxed, so the model is built once and re-solved per question.
    """
    groups = rule_groups(model)
    problem = model.problem
    slacks = add_elastic_slacks(problem, [c for g in groups.values() for c in g.constraints])
    by_group = {key: [v for c in g.constraints for v in slacks[c]] for key, g in groups.items()}
    weights = {
        v: 1.0 / max(abs(float(problem.get_constraint_by_name(c).constant)), 1.0)
        for c, variables in slacks.items()
        for v in variables
    }

    def solve_with(relaxed: Collection[tuple[PlanFamily, str]], minimise: bool) -> bool:
        for key, variables in by_group.items():
            for variable in variables:
                variable.upBound = None if key in relaxed else 0.0
        terms = [(v, weights[v]) for key in relaxed for v in by_group[key]] if minimise else []
        problem.setObjective(pulp.LpAffineExpression(terms))
        return solve(problem, settings).outcome.has_solution

    keys = list(groups)
    if not solve_with(keys, minimise=False):
        return InfeasibilityReport((), ())
    conflict = list(keys)
    for key in keys:
        trial = [k for k in conflict if k != key]
        if not solve_with([k for k in keys if k not in trial], minimise=False):
            conflict = trial
    single = []
    for key in conflict:
        if solve_with([key], minimise=True):
            scale = model.registry.tags[groups[key].constraints[0]].unit_scale
            amount = scale * sum(float(v.varValue or 0.0) for v in by_group[key])
            single.append(_relaxation(scenario, data, groups[key], amount))
    logger.info("infeasible plan: %d conflicting rules", len(conflict))
    return InfeasibilityReport(tuple(groups[k] for k in conflict), tuple(single))


def _relaxation(scenario: Scenario, data: Datasets, group: RuleGroup, amount: float) -> Relaxation:
    rule = group.family.rule
    unit = rule.unit if rule else ""
    detail = ""
    if group.family is PlanFamily.TARGET:
        target = next((t for t in scenario.targets if t.id == group.key), None)
        if target is not None:
            unit = scenario.resources[target.resource].unit
            ratio = ""
            if target.kind == "per_population" and target.denominator_population and target.denominator_size:
                per = amount * target.denominator_size / population_of(data, target.denominator_population)
                new_value = target.value - per if target.bound != "<=" else target.value + per
                ratio = f", i.e. from {target.value:g} to {new_value:.4g} {target.unit}"
            detail = f" ({target.indicator_zh}{ratio}; {target.source.label()})"
    return Relaxation(group, amount, unit, detail)


def explain_scenario(
    scenario: Scenario,
    data: Datasets,
    matrix: TravelMatrix,
    settings: SolverSettings,
    *,
    honour_named: bool | None = None,
) -> InfeasibilityReport:
    """`explain` for a checked scenario with its data and travel matrix."""
    model = build_plan_model(build_plan_inputs(scenario, data, matrix, honour_named=honour_named))
    return explain(scenario, data, model, settings)
