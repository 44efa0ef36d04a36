"""Every constraint family the planner tags is a classified `PlanFamily`, and every rule reaches the diagnosis.

Models only (no solve): the five bundled plans, and Lu with the [hierarchy] block switched on.
"""

from __future__ import annotations

from pathlib import Path

import pulp
import pytest

from models.naming import ConstraintRegistry
from models.planner import PlanModel, build_plan_model
from models.planner.families import DEFINITIONAL, PlanFamily
from models.planner.hierarchy import HierarchyInputs, add_hierarchy_constraints
from optimizer.analysis.diagnose import rule_groups
from optimizer.instance.plan_inputs import build_plan_inputs
from optimizer.pipeline import prepare
from tests.support import ROOT, lu_variant

PLANS = ("lu_county", "mianyang", "pingchang", "renhe", "xiushan")
ESTIMATE = '{ basis = "test", estimated = true }'
HIERARCHY = (
    '\n[hierarchy]\ntop_levels = ["county_general_hospital", "county_tcm_hospital"]\n'
    f"assignment_radius_km = {{ value = 25, source = {ESTIMATE} }}\n"
    f"referral_limit_min = {{ value = 90, source = {ESTIMATE} }}\n"
    f"network_radius_km = {{ value = 20, source = {ESTIMATE} }}\n"
    'decision = "test"\n'
)


def model_of(path: Path) -> PlanModel:
    prepared = prepare(path)
    return build_plan_model(build_plan_inputs(prepared.scenario, prepared.data, prepared.matrix))


def assert_classified(model: PlanModel) -> set[PlanFamily]:
    families = {tag.family for tag in model.registry.tags.values()}
    assert all(isinstance(f, PlanFamily) for f in families), families
    assert all(f.is_rule != (f in DEFINITIONAL) for f in families)
    grouped = {family for family, _ in rule_groups(model)}
    rules = {f for f in families if f.is_rule}
    assert rules == grouped, f"rule families without a diagnosis group: {rules - grouped}"
    for group in rule_groups(model).values():
        assert group.label, group
    return families


@pytest.mark.parametrize("plan", PLANS)
def test_bundled_plan_families_are_classified_and_rules_are_diagnosed(plan: str) -> None:
    families = assert_classified(model_of(ROOT / "scenarios" / f"{plan}.toml"))
    assert {PlanFamily.BUDGET, PlanFamily.TARGET, PlanFamily.ACCESS, PlanFamily.COST} <= families


def test_hierarchy_families_are_classified_and_rules_are_diagnosed(tmp_path: Path) -> None:
    families = assert_classified(model_of(lu_variant(tmp_path, append=HIERARCHY)))
    hierarchy = {PlanFamily.ASSIGN, PlanFamily.ASSIGN_OPEN, PlanFamily.LINK, PlanFamily.LINK_OPEN}
    assert hierarchy | {PlanFamily.COVER_NETWORK} <= families


def test_every_member_is_a_rule_with_a_unit_or_definitional() -> None:
    for family in PlanFamily:
        assert family.is_rule == (family.rule is not None) != (family in DEFINITIONAL)
    assert PlanFamily.rules()[0] is PlanFamily.BUDGET
    assert "budget" in {PlanFamily.BUDGET} and f"{PlanFamily.TARGET}[x]" == "target[x]"  # str behaviour


def test_an_unknown_cover_rule_is_refused_with_the_fix() -> None:
    rules = HierarchyInputs(("t",), cover={"elsewhere": {"t": (("thc", "p0"),)}})
    problem = pulp.LpProblem("h", pulp.LpMinimize)
    open_vars = {("thc", "p0"): problem.add_variable("o", 0, 1, cat=pulp.LpBinary)}
    with pytest.raises(ValueError, match="PlanFamily.COVER_"):
        add_hierarchy_constraints(problem, open_vars, rules, ConstraintRegistry[PlanFamily]())
