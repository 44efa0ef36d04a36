"""Budget sweeps with plan reuse (optimizer/whatif/reuse.py) against every level solved on its own.

Lu County with residents at the township seats, six budgets from 60 % to 160 % of its own: the least cost of
meeting its targets (C₁, about 95 % of the budget) lies between the second and the third level, so the levels
at 100 %, 120 % and 140 % may take the 160 % plan and the two below C₁ must be solved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd
import pytest

from optimizer.inputs.scenario_loading import load_scenario
from optimizer.outputs.whatif_summary import whatif_markdown
from optimizer.pipeline import prepare
from optimizer.whatif.levels import Level, LevelOptions, LevelOutcome, budget_levels
from optimizer.whatif.reuse import Task, least_cost_at, sweep_tasks
from optimizer.whatif.sweep import SweepResult, run_sweep
from tests.support import lu_variant

SEATS = '\n[demand]\nmethod = "township_seats"\n'
OPTIONS = LevelOptions(greedy=False, duals=False)
SHARED = "same_plan_as_level_"


class Sweeps:
    """The same sweep with reuse and level by level, and every reused level's allocation as it finished."""

    def __init__(self, root: Path) -> None:
        self.path = path = lu_variant(root, append=SEATS)
        self.gap = load_scenario(path).solver.mip_rel_gap
        spec = budget_levels("60%..160%", steps=6, scenario_budget_cny=load_scenario(path).budget.budget_cny.value)
        self.allocations: dict[int, pd.DataFrame] = {}
        self.reuse: SweepResult = run_sweep(
            path, spec, mode="sequential", chunks=2, options=OPTIONS, on_level=self._keep_allocation
        )
        self.independent: SweepResult = run_sweep(
            path, spec, mode="sequential", strategy="independent", warm_start=False, options=OPTIONS
        )

    def _keep_allocation(self, outcome: LevelOutcome) -> None:
        assert outcome.snapshot is not None
        values = outcome.snapshot.values
        self.allocations[outcome.level.index] = values[values["scope"] == "facility"].reset_index(drop=True)


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory: pytest.TempPathFactory) -> Sweeps:
    return Sweeps(tmp_path_factory.mktemp("reuse"))


@pytest.mark.slow
def test_reused_sweep_gives_each_level_the_independent_optimum(sweeps: Sweeps) -> None:
    reuse, alone = sweeps.reuse.table, sweeps.independent.table
    assert sweeps.reuse.strategy == "reuse" and sweeps.independent.strategy == "independent"
    assert reuse["budget_cny"].tolist() == pytest.approx(alone["budget_cny"].tolist())
    assert (reuse["outcome"] == "optimal").all(), reuse[["level", "outcome", "gap", "solved_as"]]
    assert (reuse["violations"] == 0).all()
    for ours, theirs in zip(reuse["objective"], alone["objective"], strict=True):
        # both are optima within the gap of the same problem at the same budget
        assert ours == pytest.approx(theirs, rel=2 * sweeps.gap)
    assert reuse["targets_met"].tolist() == alone["targets_met"].tolist()
    assert (alone["solved_as"] == "solved").all()


@pytest.mark.slow
def test_shared_levels_take_the_solved_plan_and_lie_above_its_least_cost(sweeps: Sweeps) -> None:
    table = sweeps.reuse.table.set_index("level")
    shared = table[table["solved_as"].str.startswith(SHARED)]
    assert len(shared) >= 2, table[["budget_cny", "solved_as", "cost_to_meet_targets_cny"]]
    for level in shared.index.tolist():
        row = table.loc[level]
        source = int(row["solved_as"].removeprefix(SHARED))
        assert table.loc[source, "solved_as"] == "solved"
        assert row["budget_cny"] >= table.loc[source, "cost_to_meet_targets_cny"]
        assert row["budget_cny"] < table.loc[source, "budget_cny"]
        pd.testing.assert_frame_equal(sweeps.allocations[level], sweeps.allocations[source])
        assert row["cost_cny"] == table.loc[source, "cost_cny"]
        assert not row["warm_started"]


@pytest.mark.slow
def test_levels_below_the_least_cost_are_solved(sweeps: Sweeps) -> None:
    table = sweeps.reuse.table
    top = table.iloc[-1]
    below = table[table["budget_cny"] < float(top["cost_to_meet_targets_cny"])]
    assert len(below) >= 1
    assert (below["solved_as"] == "solved").all()
    # where the budget binds, the least cost is the budget's whole worth of what the targets ask for
    assert (below["cost_cny"] <= below["budget_cny"] + 1.0).all()
    solves = int((table["solved_as"] == "solved").sum())
    assert solves < len(table)


@pytest.mark.slow
def test_whatif_markdown_names_the_shared_levels(sweeps: Sweeps) -> None:
    text = whatif_markdown(sweeps.reuse, load_scenario(sweeps.path), "en")
    table = sweeps.reuse.table
    shared = table[table["solved_as"].str.startswith(SHARED)]
    sentence = next(line for line in text.splitlines() if line.startswith("Levels not solved again"))
    listed = sentence.split(": ", 1)[1]
    for source, levels in shared.groupby("solved_as")["level"]:
        assert f"level {', '.join(str(v) for v in levels)} → level {str(source).removeprefix(SHARED)}" in listed


@pytest.mark.slow
def test_the_least_cost_read_before_the_tasks_is_the_highest_levels_own(sweeps: Sweeps) -> None:
    """The split is made on C₁ from the least-cost phase alone (`least_cost_at`), before any task: it is the C₁
    the highest level's task then reports."""
    top = sweeps.reuse.table.iloc[-1]
    level = Level(int(top["level"]), "budget.budget_cny", float(top["value"]))
    least = least_cost_at(prepare(sweeps.path), level)
    assert least is not None
    assert least == pytest.approx(float(top["cost_to_meet_targets_cny"]), rel=1e-9)
    assert least < float(top["budget_cny"])


# ---------------------------------------------------------------- the tasks, on levels alone


def _levels(count: int) -> list[Level]:
    return [Level(i, "budget.budget_cny", 100.0 * (i + 1)) for i in range(count)]  # 100, 200, …


def _recorder(calls: list[list[Task]]) -> Callable[[Sequence[Task]], list[LevelOutcome]]:
    """Runs no solver: records the tasks of each call and gives every level a plan."""

    def run(tasks: Sequence[Task]) -> list[LevelOutcome]:
        calls.append(list(tasks))
        return [LevelOutcome(level, {}, {}, {"x": 1.0}) for task in tasks for level in task.levels]

    return run


def _least_cost(least: float | None, asked: list[Level]) -> Callable[[Level], float | None]:
    def at(level: Level) -> float | None:
        asked.append(level)
        return least

    return at


@pytest.mark.parametrize(
    ("least", "shared", "chains"),
    [
        (250.0, [2, 3, 4], [[0], [1]]),
        (450.0, [], [[0, 1, 2], [3, 4]]),
    ],
)
def test_tasks_split_at_the_top_levels_least_cost_in_one_run(
    least: float, shared: list[int], chains: list[list[int]]
) -> None:
    """C₁ is read at the highest level before any task, so every task goes out at once: the highest level first,
    the chains below C₁, and the levels above it as one run that waits for the highest level's plan."""
    calls: list[list[Task]] = []
    asked: list[Level] = []
    outcomes = sweep_tasks(_levels(6), "targets_only", 2, _recorder(calls), _least_cost(least, asked))
    assert sorted(o.level.index for o in outcomes) == list(range(6))
    assert [lv.index for lv in asked] == [5]
    assert len(calls) == 1
    first, *rest = calls[0]
    assert [lv.index for lv in first.levels] == [5] and not first.shares_top
    assert [lv.index for t in rest if t.shares_top for lv in t.levels] == shared
    assert [[lv.index for lv in t.levels] for t in rest if not t.shares_top] == chains


def test_without_a_least_cost_every_level_is_in_a_chain() -> None:
    calls: list[list[Task]] = []
    sweep_tasks(_levels(6), "targets_only", 2, _recorder(calls), _least_cost(None, []))
    assert len(calls) == 1 and not any(t.shares_top for t in calls[0])
    assert [[lv.index for lv in t.levels] for t in calls[0]] == [[0, 1, 2], [3, 4, 5]]


def test_improve_access_never_shares() -> None:
    calls: list[list[Task]] = []
    asked: list[Level] = []
    sweep_tasks(_levels(5), "improve_access", 2, _recorder(calls), _least_cost(150.0, asked))
    assert len(calls) == 1 and not any(t.shares_top for t in calls[0]) and asked == []
    assert [[lv.index for lv in t.levels] for t in calls[0]] == [[0, 1, 2], [3, 4]]
