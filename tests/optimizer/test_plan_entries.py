"""Every statement of the five plans is accounted for in its scenario (issue #14), and the report says how.

The plan entries come from data/plans/plan_entries.csv (built from the extraction of the seeds). A
scenario references an entry by its id: as the id of the block that encodes it, in a block's
`plan_entries`, or as an `[[out_of_scope]]` block with a specific reason. These tests fail on any
ratio, facility, ambulance, radius or place entry a scenario does not reference, on the old catch-all
reason, on an out-of-scope block that names no entry, and when fewer than half of the ratio, facility,
ambulance and radius entries of the five plans are encoded.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from optimizer.analysis.plan_entry_status import ENCODED, NOT_REFERENCED, OUT_OF_SCOPE, plan_entry_table
from optimizer.inputs.datasets import Datasets, load_datasets
from optimizer.inputs.plan_entries import scenario_references
from optimizer.inputs.scenario import Scenario
from optimizer.inputs.scenario_loading import load_scenario
from tests.support import ROOT

PLANS = ("pingchang", "renhe", "mianyang", "lu_county", "xiushan")
COUNTED = {"ratio", "facility", "ambulance", "radius"}
CATCH_ALL = "a facility designation, department, grade, equipment item, count of institutions or project"


def _loaded(plan: str) -> tuple[Scenario, Datasets]:
    path = ROOT / "scenarios" / f"{plan}.toml"
    scenario = load_scenario(path)
    return scenario, load_datasets(scenario, path)


@pytest.fixture(scope="module")
def plans() -> dict[str, tuple[Scenario, Datasets]]:
    return {plan: _loaded(plan) for plan in PLANS}


@pytest.mark.parametrize("plan", PLANS)
def test_every_planning_entry_is_referenced(plans, plan: str) -> None:
    scenario, data = plans[plan]
    assert data.plan_entries, f"{plan}: set data.plan_entries in the scenario"
    referenced = {r.entry_id for r in scenario_references(scenario, frozenset(e.entry_id for e in data.plan_entries))}
    missing = [
        f"{e.entry_id} (L{e.line}, {e.category})"
        for e in data.plan_entries
        if e.required and e.entry_id not in referenced
    ]
    assert not missing, f"{plan}: {len(missing)} plan entries not referenced: {missing}"


@pytest.mark.parametrize("plan", PLANS)
def test_out_of_scope_reasons_are_specific(plans, plan: str) -> None:
    scenario, data = plans[plan]
    ids = frozenset(e.entry_id for e in data.plan_entries)
    for block in scenario.out_of_scope:
        assert CATCH_ALL not in block.reason, f"{plan}: out_of_scope.{block.id} gives the catch-all reason"
        assert block.id in ids or block.plan_entries, f"{plan}: out_of_scope.{block.id} names no plan entry"


def test_at_least_half_of_the_entries_are_encoded(plans) -> None:
    encoded = total = 0
    for scenario, data in plans.values():
        counted = [e for e in data.plan_entries if e.category in COUNTED]
        references = scenario_references(scenario, frozenset(e.entry_id for e in data.plan_entries))
        encoding = {r.entry_id for r in references if not r.out_of_scope}
        total += len(counted)
        encoded += sum(1 for e in counted if e.entry_id in encoding)
    assert total >= 339
    assert encoded * 2 >= total, f"{encoded} of {total} entries encoded"


def test_status_table_lists_every_entry_with_its_verdict(plans) -> None:
    """The table behind plan_entries.csv and "计划条目对照": one row per entry; an entry encoded by a target
    takes that target's met; an out-of-scope entry carries its reason."""
    scenario, data = plans["lu_county"]
    target = scenario.targets[0]
    targets = pd.DataFrame({"id": [target.id], "met": [False]})
    table = plan_entry_table(data.plan_entries, scenario, targets)
    assert list(table["entry_id"]) == [e.entry_id for e in data.plan_entries]
    row = table.set_index("entry_id").loc[target.id]
    assert row["status"] == ENCODED
    assert not row["met"]
    out = table[table["status"] == OUT_OF_SCOPE]
    assert (out["reason"].str.len() > 0).all()
    required = table[table["category"].isin(COUNTED | {"place"})]
    assert (required["status"] != NOT_REFERENCED).all()


def test_an_unknown_entry_id_is_refused_with_the_block_named(tmp_path: Path) -> None:
    from optimizer.errors import DataError
    from tests.support import lu_variant

    path = lu_variant(tmp_path, ('id = "beds_per_1000"\n', 'id = "beds_per_1000"\nplan_entries = ["no_such_entry"]\n'))
    scenario = load_scenario(path)
    with pytest.raises(DataError, match=r"targets\.beds_per_1000\.plan_entries: 'no_such_entry' is not an entry"):
        load_datasets(scenario, path)


@pytest.mark.parametrize("plan", PLANS)
def test_binding_statements_are_hard_and_the_others_soft(plans, plan: str) -> None:
    """Decision A35: 约束性 → hard; 预期性 and untagged prose → soft (penalised, the shortfall reported)."""
    scenario, _ = plans[plan]
    for rule in [*scenario.targets, *scenario.feature_targets]:
        assert rule.hard == bool(rule.binding), f"{plan}: {rule.id} binding={rule.binding} hard={rule.hard}"
