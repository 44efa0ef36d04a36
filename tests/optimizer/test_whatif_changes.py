"""What a what-if level changes against the scenario's own run (changes.csv), where (whatif.md), the named
targets of tradeoff.png, and the terminal table.

One small sweep: Lu on one demand point per township (fast, as in test_facility_identity_plans.py) at 60 %,
100 % and 140 % of its budget, solved cold so each level is the same solve as an independent `solve_plan`
of the scenario at that budget; the test re-solves the levels itself and recomputes every change from the
level's own result tables.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

from optimizer.cli import whatif as whatif_cli
from optimizer.cli.commands import app
from optimizer.inputs.scenario_loading import load_scenario
from optimizer.outputs.files import CSV_ENCODING
from optimizer.outputs.labels import gap_noun, unit_label
from optimizer.outputs.tradeoff import matrix_rows, tradeoff_figure, write_sweep
from optimizer.outputs.whatif_summary import whatif_markdown
from optimizer.pipeline import PreparedScenario, ViolationPolicy, prepare, solve_plan
from optimizer.solving.results import PlanResult
from optimizer.whatif.changes import CHANGE_COLUMNS, ChangeCollector, snapshot_of
from optimizer.whatif.level_solve import prepared_at
from optimizer.whatif.levels import BASE_ONLY_INDEX, Level, budget_levels, levels_to_solve
from optimizer.whatif.sweep import SweepResult, run_sweep
from tests.support import lu_variant

SEATS = '\n[demand]\nmethod = "township_seats"\n'
SHARES = (0.6, 1.0, 1.4)
_ITEMS_NOT_COUNTED = {"facility_id", "name", "town_code", "level", "lon", "lat", "location_estimated"}


class Swept:
    """The sweep, its files, and each level solved again on its own."""

    def __init__(self, root: Path) -> None:
        self.path = lu_variant(root / "lu", append=SEATS)
        self.scenario = load_scenario(self.path)
        budget = self.scenario.budget.budget_cny.value
        spec = budget_levels("60%..140%", steps=3, scenario_budget_cny=budget)
        self.result: SweepResult = run_sweep(
            self.path, spec, mode="sequential", strategy="independent", warm_start=False
        )
        self.out = root / "out"
        write_sweep(self.result, self.path, self.out)
        self.changes = pd.read_csv(
            self.out / "changes.csv", encoding=CSV_ENCODING, dtype={"id": str, "county_code": str}
        )
        self.prepared: PreparedScenario = prepare(self.path)
        self.levels = {i: Level(i, spec.parameter, v) for i, v in enumerate(spec.values)}
        self.plans: dict[int, PlanResult] = {
            i: solve_plan(prepared_at(self.prepared, level), on_violation=ViolationPolicy.RAISE).plan
            for i, level in self.levels.items()
        }


@pytest.fixture(scope="module")
def swept(tmp_path_factory: pytest.TempPathFactory) -> Swept:
    return Swept(tmp_path_factory.mktemp("whatif_changes"))


def _nonzero(before: pd.Series, after: pd.Series) -> dict[str, float]:
    change = after.astype(float) - before.astype(float)
    return {str(k): float(v) for k, v in change.items() if v != 0}


def _changes(swept: Swept, level: int, scope: str, item: str) -> dict[str, float]:
    rows = swept.changes[(swept.changes["level"] == level) & (swept.changes["scope"] == scope)]
    rows = rows[rows["item"] == item]
    return dict(zip(rows["id"].astype(str), rows["change"].astype(float), strict=True))


@pytest.mark.slow
def test_levels_are_the_three_budgets_and_the_base_is_the_middle_one(swept: Swept) -> None:
    assert swept.result.table["value"].tolist() == pytest.approx(
        [s * swept.scenario.budget.budget_cny.value for s in SHARES]
    )
    assert swept.result.base_in_sweep
    assert (swept.result.table["outcome"] == "optimal").all()
    assert tuple(swept.changes.columns) == CHANGE_COLUMNS


@pytest.mark.slow
@pytest.mark.parametrize("level", [0, 2])
def test_changes_are_the_level_allocation_minus_the_base_allocation(swept: Swept, level: int) -> None:
    base, at = swept.plans[1], swept.plans[level]
    a, b = base.allocation.set_index("facility_id"), at.allocation.set_index("facility_id")
    items = [c for c in a.columns if c not in _ITEMS_NOT_COUNTED and not c.startswith("existing_")]
    compared, net = 0, 0.0
    for item in items:
        name = "subcentre" if item == "is_subcentre" else item
        expected = _nonzero(a[item], b[item])
        assert _changes(swept, level, "facility", name) == expected, item
        towns_a = a.groupby("town_code")[item].sum().astype(float)
        towns_b = b.groupby("town_code")[item].sum().astype(float)
        assert _changes(swept, level, "township", name) == _nonzero(towns_a, towns_b), item
        compared += len(expected)
        net += abs(sum(expected.values()))
    least = base.cost_to_meet_targets_cny
    assert least is not None
    if swept.levels[level].value < least:
        assert compared > 0  # the budget binds: the level does change the allocation
    else:
        # above the least cost of the targets the spend rule buys the same stock for the same money; solved on
        # its own (strategy "independent") the placement may differ within the gap (a nurse in another centre),
        # which is why the default sweep shares the plan (tests/optimizer/test_whatif_reuse.py)
        assert at.total_cost_cny == pytest.approx(base.total_cost_cny)
        assert net == 0
    ta, tb = base.towns.set_index("code"), at.towns.set_index("code")
    for flag in [c for c in ta.columns if c.startswith(("covered_", "minutes_to_"))]:
        assert _changes(swept, level, "township", flag) == _nonzero(ta[flag], tb[flag]), flag
    assert base.features is not None and at.features is not None
    fa = base.features.set_index(["facility_id", "feature_id"])["opened"]
    fb = at.features.set_index(["facility_id", "feature_id"])["opened"]
    opened = fb.astype(float) - fa.astype(float)
    rows = swept.changes[(swept.changes["level"] == level) & (swept.changes["unit"] == "feature")]
    got = {(r.id, str(r.item).removeprefix("feature_")): r.change for r in rows.itertuples()}
    assert got == {k: v for k, v in opened.items() if v != 0}
    every = swept.changes[swept.changes["level"] == level]
    assert (every["change"] != 0).all()
    assert every["level_value"].sub(every["base_value"]).eq(every["change"]).all()


@pytest.mark.slow
def test_a_level_at_the_base_has_no_changes(swept: Swept) -> None:
    assert swept.changes[swept.changes["level"] == 1].empty
    assert "与方案自身取值的结果相同" in (swept.out / "whatif.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_targets_lost_at_the_low_budget_are_listed_with_their_gap_units(swept: Swept) -> None:
    base, low = swept.plans[1].targets.set_index("id"), swept.plans[0].targets.set_index("id")
    lost = sorted(i for i in base.index if bool(base.at[i, "met"]) and not bool(low.at[i, "met"]))
    assert lost, "60 % of Lu's budget should miss some target the full budget meets"
    assert sorted(k for k, v in _changes(swept, 0, "target", "met").items() if v == -1) == lost
    gaps = swept.changes[(swept.changes["level"] == 0) & (swept.changes["item"] == "gap_units")].set_index("id")
    md = (swept.out / "whatif.md").read_text(encoding="utf-8")
    for target in lost:
        units, unit = float(low.at[target, "gap_units"]), str(low.at[target, "gap_unit"])
        assert float(gaps.at[target, "level_value"]) == units > 0
        assert gaps.at[target, "unit"] == unit
        assert gaps.at[target, "name"] == low.at[target, "indicator"]
        short = (
            f"{low.at[target, 'indicator']} (`{target}`)：缺{gap_noun(unit, 'zh')}{units:,.0f}{unit_label(unit, 'zh')}"
        )
        assert short in md, target


@pytest.mark.slow
def test_the_base_may_arrive_last_when_it_is_solved_beside_the_levels(swept: Swept) -> None:
    """A collector whose base is a level of its own gives the same changes whatever order levels finish in."""
    snap = {i: snapshot_of(plan, swept.prepared.scenario, swept.prepared.data) for i, plan in swept.plans.items()}
    base = Level(BASE_ONLY_INDEX, swept.levels[1].parameter, swept.levels[1].value)
    late = ChangeCollector(BASE_ONLY_INDEX)
    late.add(swept.levels[2], snap[2])
    late.add(swept.levels[0], snap[0])
    late.add(base, snap[1])
    early = ChangeCollector(BASE_ONLY_INDEX)
    for level, snapshot in ((base, snap[1]), (swept.levels[0], snap[0]), (swept.levels[2], snap[2])):
        early.add(level, snapshot)
    pd.testing.assert_frame_equal(late.changes(), early.changes())
    expected = swept.result.changes[swept.result.changes["level"] != 1].reset_index(drop=True)
    pd.testing.assert_frame_equal(late.changes(), expected)
    assert sorted(set(late.target_status()["level"])) == [BASE_ONLY_INDEX, 0, 2]


def test_the_base_budget_is_solved_beside_a_sweep_without_it() -> None:
    spec = budget_levels("60%..140%", steps=2, scenario_budget_cny=100.0)
    base, solved = levels_to_solve(spec)
    assert base.index == BASE_ONLY_INDEX and base.value == 100.0
    assert [lv.value for lv in solved] == [100.0, 60.0, 140.0]
    with_base = budget_levels("60%..140%", steps=3, scenario_budget_cny=100.0)
    assert levels_to_solve(with_base)[0].index == 1


@pytest.mark.slow
def test_tradeoff_names_every_plan_target_and_dots_each_level(swept: Swept) -> None:
    figure = tradeoff_figure(swept.result, lang="zh")
    matrix = figure.axes[2]
    plan_targets = swept.plans[1].targets
    ratio = plan_targets.loc[plan_targets["rule_kind"] == "target", "indicator"].tolist()
    names = [t.get_text() for t in matrix.get_yticklabels()]
    assert all(any(name.startswith(indicator) for name in names) for indicator in ratio)
    assert (
        matrix_rows(swept.result)[: len(ratio)]
        == plan_targets.loc[plan_targets["rule_kind"] == "target", "id"].tolist()
    )
    met, missed = matrix.collections[0].get_offsets(), matrix.collections[1].get_offsets()
    assert len(met) + len(missed) == len(matrix_rows(swept.result)) * len(SHARES)
    shown = swept.plans[0].targets.set_index("id").loc[matrix_rows(swept.result), "met"].astype(bool)
    lost = int((~shown).sum())
    assert len(missed) == lost > 0
    texts = [t.get_text() for t in figure.axes[0].texts] + [figure.axes[0].get_ylabel(), matrix.get_xlabel()]
    assert "投资预算（亿元）" in texts and "达标指标与约束（项）" in texts
    legend = [t.get_text() for t in figure.axes[0].get_legend().get_texts()]
    assert any(text.startswith("方案自身预算") for text in legend)
    if "cost_to_meet_targets_cny" in swept.result.table:
        assert any(text.startswith("满足规划目标的最低投资") for text in legend)
    assert (swept.out / "tradeoff.png").stat().st_size > 10_000


@pytest.mark.slow
def test_whatif_md_gives_the_marginal_value_per_ten_million_yuan(swept: Swept) -> None:
    table = swept.result.table
    step = (table["value"].iloc[1] - table["value"].iloc[0]) / 10e6
    per = (table["targets_met"].iloc[1] - table["targets_met"].iloc[0]) / step
    md = (swept.out / "whatif.md").read_text(encoding="utf-8")
    assert f"每增加1000万元：可多满足{per:.3g}项指标" in md
    english = whatif_markdown(swept.result, swept.scenario, "en")
    assert f"per extra CNY 10 m: {per:.3g} more targets met" in english
    physicians = (table["total_physicians"].iloc[1] - table["total_physicians"].iloc[0]) / step
    if physicians > 0:
        assert f"多配置执业（助理）医师{physicians:.3g}人" in md


@pytest.mark.slow
@pytest.mark.parametrize("width", [60, 200])
def test_the_terminal_table_folds_instead_of_cutting(swept: Swept, width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    narrow = Console(width=width, record=True, file=io.StringIO())
    monkeypatch.setattr(whatif_cli, "console", narrow)
    whatif_cli._print_sweep(swept.result, "zh", swept.out)
    text = narrow.export_text()
    assert "…" not in text  # the table cut 'optimal' to 'opti…' at this width
    if width == 200:
        for header in ("投资预算", "结果", "达标", "投资", "覆盖%", "变化", "下一元投向"):
            assert header in text, header
        assert "sweep.csv" in text and "changes.csv" in text


def test_an_unknown_language_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["whatif", "x.toml", "--lang", "fr", "--out", str(tmp_path)])
    assert result.exit_code == 2, result.output
