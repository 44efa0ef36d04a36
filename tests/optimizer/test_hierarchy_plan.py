"""The [hierarchy] switch of the planner: its rules hold on the plan, break detectably, and conflicts are explained."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from models.planner import build_plan_model
from optimizer.analysis.verify import check
from optimizer.errors import InfeasiblePlanError, ScenarioError
from optimizer.inputs.scenario_loading import load_scenario
from optimizer.instance.plan_inputs import build_plan_inputs
from optimizer.pipeline import plan_scenario, prepare
from optimizer.solving.results import PlanResult
from tests.support import lu_variant

pytestmark = pytest.mark.slow

TOP = '["county_general_hospital", "county_tcm_hospital"]'
NOTE = 'decision = "test"\n'


def hierarchy_block(radius_km: float, referral_min: float, extra: str = "") -> str:
    estimate = '{ basis = "test", estimated = true }'
    return (
        f"\n[hierarchy]\ntop_levels = {TOP}\n"
        f"assignment_radius_km = {{ value = {radius_km}, source = {estimate} }}\n"
        f"referral_limit_min = {{ value = {referral_min}, source = {estimate} }}\n{extra}{NOTE}"
    )


def test_rules_hold_on_the_solved_plan_and_every_town_has_an_open_node(tmp_path: Path) -> None:
    path = lu_variant(tmp_path, append=hierarchy_block(25, 90))
    prepared = prepare(path)
    model = build_plan_model(build_plan_inputs(prepared.scenario, prepared.data, prepared.matrix))
    families = {tag.family for tag in model.registry.tags.values()}
    assert {"assign", "assign_open", "link", "link_open"} <= families  # the switch put the rules in the model

    result = plan_scenario(prepared, compare_free_choice=False)
    assert check(result, prepared.scenario, prepared.data, prepared.matrix) == []
    facilities = prepared.data.facilities.set_index("facility_id")
    chosen = set(result.allocation.loc[result.allocation["is_subcentre"], "facility_id"])
    top = set(facilities.index[facilities["level"].isin(["county_general_hospital", "county_tcm_hospital"])])
    column = {f: j for j, f in enumerate(prepared.matrix.destinations)}
    row = {t: i for i, t in enumerate(prepared.matrix.origins)}
    for town, node in zip(result.towns["code"], result.towns["hierarchy_node"], strict=True):
        assert node in chosen | top, f"{town} assigned to {node}, which is not open"
        assert prepared.matrix.straight_km[row[town], column[node]] <= 25 + 1e-9
    for facility in chosen:
        minutes = prepared.matrix.minutes[row[facilities.at[facility, "town_code"]], [column[t] for t in top]]
        assert float(np.min(minutes)) <= 90 + 1e-9


def test_the_radius_moves_the_free_choice_to_the_brute_force_minimax_sites(tmp_path: Path) -> None:
    # free choice (the plan's names not honoured). Brute force over the 70 ways to pick 4 of Lu's 8
    # candidates gives R*, the least possible distance from the farthest town to an open node. With the
    # assignment radius at R* the plan must reach it exactly (the unconstrained choice does not); just
    # below R* no choice exists and the conflict is explained.
    free = ("honour_named = true\n", "honour_named = false\n")
    plain = prepare(lu_variant(tmp_path / "plain", free))
    facilities = plain.data.facilities.set_index("facility_id")
    top = list(facilities.index[facilities["level"].isin(["county_general_hospital", "county_tcm_hospital"])])
    candidates = sorted(facilities.index[facilities["subcentre_candidate"].astype(str).str.lower() == "true"])
    column = {f: j for j, f in enumerate(plain.matrix.destinations)}

    def farthest_town_km(chosen: Sequence[str]) -> float:
        return float(plain.matrix.straight_km[:, [column[f] for f in [*top, *chosen]]].min(axis=1).max())

    def chosen(result: PlanResult) -> list[str]:
        return list(result.allocation.loc[result.allocation["is_subcentre"], "facility_id"])

    best = min(farthest_town_km(c) for c in itertools.combinations(candidates, 4))
    unconstrained = plan_scenario(plain, compare_free_choice=False)
    assert farthest_town_km(chosen(unconstrained)) > best + 0.5

    radius = math.ceil(best * 1000) / 1000  # R* rounded up to the metre, as a scenario would state it
    ruled = prepare(lu_variant(tmp_path / "ruled", free, append=hierarchy_block(radius, 120)))
    after = plan_scenario(ruled, compare_free_choice=False)
    assert farthest_town_km(chosen(after)) <= radius
    assert check(after, ruled.scenario, ruled.data, ruled.matrix) == []

    tight = prepare(lu_variant(tmp_path / "tight", free, append=hierarchy_block(round(best - 0.05, 3), 120)))
    with pytest.raises(InfeasiblePlanError) as caught:
        plan_scenario(tight, compare_free_choice=False)
    assert "assign" in {group.family for group in caught.value.explanation.conflict}


def test_verifier_reports_a_sub_centre_moved_out_of_reach(tmp_path: Path) -> None:
    # 18 km: with the county hospitals at their real towns (第二人民医院 in 玄滩, 中医医院 in 云锦), every
    # town lies within 25 km of a county hospital, so only a tighter radius makes the sub-centres needed
    prepared = prepare(lu_variant(tmp_path, append=hierarchy_block(18, 90)))
    result = plan_scenario(prepared, compare_free_choice=False)
    broken = result.allocation.copy()
    broken["is_subcentre"] = False  # no sub-centre: the far towns lose their node
    moved = type(result)(**{**result.__dict__, "allocation": broken})
    rules = {v.rule for v in check(moved, prepared.scenario, prepared.data, prepared.matrix)}
    assert "hierarchy_assignment" in rules


def test_the_plans_own_sub_centres_conflict_with_a_referral_limit_below_their_distance(tmp_path: Path) -> None:
    """The named sub-centres must open; a referral limit one minute below the farthest named sub-centre's
    travel time to its nearest county hospital makes the plan infeasible, and the explanation says so."""
    prepared = prepare(lu_variant(tmp_path / "probe"))
    facilities = prepared.data.facilities.set_index("facility_id")
    top = list(facilities.index[facilities["level"].isin(["county_general_hospital", "county_tcm_hospital"])])
    column = {f: j for j, f in enumerate(prepared.matrix.destinations)}
    row = {t: i for i, t in enumerate(prepared.matrix.origins)}
    named = prepared.scenario.subcentres.named_facility_ids if prepared.scenario.subcentres else []
    farthest = max(
        float(prepared.matrix.minutes[row[str(facilities.at[s, "town_code"])], [column[f] for f in top]].min())
        for s in named
    )
    path = lu_variant(tmp_path / "plan", append=hierarchy_block(40, math.floor(farthest) - 1))
    with pytest.raises(InfeasiblePlanError) as caught:
        plan_scenario(prepare(path), compare_free_choice=False)
    families = {group.family for group in caught.value.explanation.conflict}
    assert "link" in families
    assert "referral limit" in caught.value.explanation.text()


def test_a_hierarchy_block_without_rules_is_refused(tmp_path: Path) -> None:
    path = lu_variant(tmp_path, append=f"\n[hierarchy]\ntop_levels = {TOP}\n{NOTE}")
    with pytest.raises(ScenarioError, match="hierarchy.*no rule is given"):
        load_scenario(path)
