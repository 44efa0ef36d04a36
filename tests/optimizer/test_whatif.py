"""What-if sweeps: option parsing, marginal value by hand, greedy baseline, Dask = sequential, monotonicity.

The Lu County sweeps use four budgets around the scenario's own (750–795 M CNY), where each level is
proven optimal within the scenario's gap in a few seconds.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from models.outcome import SolveOutcome
from models.planner import PlanInputs, build_plan_model
from optimizer.cli.commands import app
from optimizer.inputs.scenario_loading import load_scenario
from optimizer.pipeline import ViolationPolicy, prepare, solve_plan
from optimizer.solving.solve import solve
from optimizer.whatif.greedy import ambulance_baseline, greedy_max_cover, optimum_max_cover, subcentre_baseline
from optimizer.whatif.level_solve import BASELINE_COLUMNS
from optimizer.whatif.levels import SweepOptionError, budget_levels, param_levels
from optimizer.whatif.marginal import BudgetDualLPs, budget_duals, finite_differences, next_yuan
from optimizer.whatif.sweep import SweepResult, run_sweep
from optimizer.whatif.tables import compare_sweeps
from tests.support import LU_BUDGET_CNY, LU_SCENARIO, TOL, beds_allocation, exact, plan_weights, tiny_plan

# ---------------------------------------------------------------- option parsing


def test_budget_percent_range_is_relative_to_the_scenario_budget() -> None:
    spec = budget_levels("60%..160%", steps=21, scenario_budget_cny=600e6)
    assert len(spec.values) == 21
    assert spec.values[0] == pytest.approx(360e6)
    assert spec.values[-1] == pytest.approx(960e6)
    assert spec.values[1] - spec.values[0] == pytest.approx(30e6)
    assert spec.is_budget and spec.baseline == 600e6


def test_budget_absolute_range_in_cny() -> None:
    spec = budget_levels("300e6..900e6", steps=3, scenario_budget_cny=600e6)
    assert spec.values == pytest.approx((300e6, 600e6, 900e6))


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("60-160%", "--budget '60-160%': expected LOW..HIGH, e.g. 60%..160%"),
        ("60%..900e6", "--budget '60%..900e6': give both ends in % or both as amounts"),
        ("900e6..300e6", "--budget '900e6..300e6': LOW must not exceed HIGH"),
        ("-10%..50%", "a budget cannot be negative"),
    ],
)
def test_bad_budget_names_the_option_and_the_fix(text: str, fragment: str) -> None:
    with pytest.raises(SweepOptionError) as error:
        budget_levels(text, steps=5, scenario_budget_cny=600e6)
    assert fragment in str(error.value)


def test_param_range_over_an_integer_field_takes_every_whole_number() -> None:
    scenario = load_scenario(LU_SCENARIO)
    spec = param_levels("subcentres.count=4..6", steps=None, scenario=scenario)
    assert spec.values == (4.0, 5.0, 6.0)
    radius = param_levels("ambulances.rural_radius_km=10..25", steps=4, scenario=scenario)
    assert radius.values == pytest.approx((10.0, 15.0, 20.0, 25.0))


def test_unknown_param_lists_the_fields() -> None:
    with pytest.raises(SweepOptionError, match=r"'cnt' is not a field of subcentres \(fields: .*count"):
        param_levels("subcentres.cnt=2..6", steps=None, scenario=load_scenario(LU_SCENARIO))


def test_cli_reports_a_bad_budget_in_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["whatif", str(LU_SCENARIO), "--budget", "60..160%", "--out", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "error --budget '60..160%': give both ends in % or both as amounts" in result.output


# ---------------------------------------------------------------- marginal value by hand

BED_COST = 1.0
REQUIRED = 10.0
WEIGHT = 100.0  # the shortfall weight `beds_allocation` gives its target
COST_WEIGHT = 0.1


def _beds_only(budget: float) -> PlanInputs:
    """Beds at one facility (1 CNY each) under a soft target of 10 beds (weight 100, scale 10).

    While the budget binds, beds = budget, so objective(B) = 100 (10 − B) / 10 + 0.1 · B / B
    = 100 − 10 B + 0.1: one more yuan buys one bed and lowers the objective by exactly 10.
    LP dual with beds continuous: stationarity of min 10 (10 − x) + (0.1 / B) x s.t. x / B ≤ 1 gives
    ∂objective/∂B = −(10 − 0.1 / B) per CNY (the cost term's normalisation held fixed).
    """
    allocation = beds_allocation(
        {"A": 100.0}, {"F1": "a"}, {("A", "F1"): 0.0}, required_beds=REQUIRED, bed_cost_cny=BED_COST
    )
    return tiny_plan("beds_only", allocation, budget_cny=budget, weights=plan_weights(cost=COST_WEIGHT))


@pytest.mark.parametrize("budget", [4.0, 6.0])
def test_marginal_value_matches_the_hand_calculation(solver_name: str, budget: float) -> None:
    objectives = []
    for level in (budget, budget + 1.0):
        model = build_plan_model(_beds_only(level))
        report = solve(model.problem, exact(solver_name))
        assert report.outcome is SolveOutcome.OPTIMAL
        objectives.append(report.objective)
    assert objectives[0] == pytest.approx(WEIGHT - 10.0 * budget + COST_WEIGHT, abs=1e-6)
    # one more yuan = one more bed = 10 objective units, i.e. 1e7 per 1 M CNY
    per_million = finite_differences([budget, budget + 1.0], objectives)[0]
    assert per_million == pytest.approx(-10.0 * 1e6, rel=1e-6)

    model = build_plan_model(_beds_only(budget))
    solve(model.problem, exact(solver_name))
    solution = {v.name: float(v.varValue) for v in model.problem.variables()}
    duals = budget_duals(_beds_only(budget), solution, exact(solver_name))
    assert duals["relaxed"].per_million_cny == pytest.approx((10.0 - COST_WEIGHT / budget) * 1e6, rel=1e-6)
    assert duals["relaxed"].outcome is SolveOutcome.OPTIMAL


def test_dual_lps_built_once_give_each_budget_its_own_hand_value(solver_name: str) -> None:
    """A sweep task builds the dual LPs at one budget and brings them to each level's (BudgetDualLPs): the
    relaxed dual must follow the hand formula at every budget, in any order, as LPs built for that budget do."""
    lps = BudgetDualLPs(_beds_only(4.0))
    for budget in (6.0, 4.0, 5.0):
        model = build_plan_model(_beds_only(budget))
        solve(model.problem, exact(solver_name))
        solution = {v.name: float(v.varValue) for v in model.problem.variables()}
        reused = lps.duals(budget, solution, exact(solver_name))
        fresh = budget_duals(_beds_only(budget), solution, exact(solver_name))
        assert reused["relaxed"].per_million_cny == pytest.approx((10.0 - COST_WEIGHT / budget) * 1e6, rel=1e-6)
        for fixing in ("fixed", "relaxed"):
            assert reused[fixing].outcome is fresh[fixing].outcome is SolveOutcome.OPTIMAL
            assert reused[fixing].per_million_cny == pytest.approx(fresh[fixing].per_million_cny, rel=1e-9, abs=1e-6)


def test_next_yuan_goes_to_the_item_that_grows_most() -> None:
    costs = [{"beds": 10.0, "nurses": 5.0}, {"beds": 12.0, "nurses": 9.0}, {"beds": 12.0, "nurses": 9.0}]
    assert next_yuan(costs) == [("nurses", 4.0), ("", 0.0), ("", 0.0)]


# ---------------------------------------------------------------- greedy baseline


def test_greedy_takes_the_big_middle_site_and_misses_the_optimum() -> None:
    """X covers {a, b} (10 people), Y {a, c} and Z {b, d} (9 each). With p = 2 the greedy opens X
    then Y (10 + 4 = 14); the optimum is Y + Z = 18, so the greedy leaves 4/18 on the table."""
    population = {"a": 5.0, "b": 5.0, "c": 4.0, "d": 4.0}
    reach = {"X": ("a", "b"), "Y": ("a", "c"), "Z": ("b", "d")}
    greedy = greedy_max_cover(population, reach, 2)
    assert greedy.sites == ("X", "Y")
    assert greedy.covered_population == pytest.approx(14.0)
    assert optimum_max_cover(population, reach, 2, exact("highs")) == pytest.approx(18.0, abs=TOL)
    fixed = greedy_max_cover(population, reach, 2, fixed=("Z",))
    assert fixed.sites == ("Z", "Y") and fixed.covered_population == pytest.approx(18.0)


# ---------------------------------------------------------------- sweeps on Lu County

LU_BUDGETS = f"{LU_BUDGET_CNY - 15e6:.0f}..{LU_BUDGET_CNY + 30e6:.0f}"
"""Four levels 15 M CNY apart around Lu's budget: one below it, the budget itself, two above."""


@pytest.fixture(scope="module")
def lu_sweeps() -> dict[str, SweepResult]:
    spec = budget_levels(LU_BUDGETS, steps=4, scenario_budget_cny=load_scenario(LU_SCENARIO).budget.budget_cny.value)
    return {
        "warm": run_sweep(LU_SCENARIO, spec, mode="sequential", strategy="independent", warm_start=True),
        "cold": run_sweep(LU_SCENARIO, spec, mode="sequential", strategy="independent", warm_start=False),
        "reuse": run_sweep(LU_SCENARIO, spec, mode="sequential", chunks=2),
        "dask": run_sweep(LU_SCENARIO, spec, mode="dask", n_workers=2, chunks=2),
    }


@pytest.mark.slow
def test_more_budget_never_worsens_the_objective(lu_sweeps: dict[str, SweepResult]) -> None:
    gap_tolerance = load_scenario(LU_SCENARIO).solver.mip_rel_gap
    for name, result in lu_sweeps.items():
        table = result.table
        assert len(table) >= 4
        assert (table["outcome"] == "optimal").all(), table[["value", "outcome"]]
        assert (table["violations"] == 0).all()
        objective = table["objective"].tolist()
        # warm starts hand each level the previous plan, which stays feasible and gets cheaper in the
        # objective's cost term, so that sweep is monotone exactly; cold solves within their gap
        slack = 0.0 if name == "warm" else gap_tolerance
        for here, there in zip(objective, objective[1:], strict=False):
            assert there <= here * (1 + slack) + TOL, (name, objective)


@pytest.mark.slow
def test_dask_sweep_is_identical_to_the_sequential_one(lu_sweeps: dict[str, SweepResult]) -> None:
    """The same reuse tasks (same chunks) on Dask and in turn: the same plans, level by level."""
    dask, in_turn = lu_sweeps["dask"], lu_sweeps["reuse"]
    for table in (dask.table, in_turn.table):  # compare proven optima only
        assert (table["outcome"] == "optimal").all(), table[["value", "outcome", "gap"]]
    assert dask.mode == "dask" and dask.workers == 2
    assert compare_sweeps(dask.table, in_turn.table) == []
    allocation = [c for c in dask.table.columns if c.startswith(("total_", "cost_", "subcentre_ids", "solved_as"))]
    pd.testing.assert_frame_equal(dask.table[allocation], in_turn.table[allocation])


@pytest.mark.slow
def test_reuse_sweep_matches_the_independent_solves(lu_sweeps: dict[str, SweepResult]) -> None:
    reuse, cold = lu_sweeps["reuse"].table, lu_sweeps["cold"].table
    gap_tolerance = load_scenario(LU_SCENARIO).solver.mip_rel_gap
    assert (reuse["outcome"] == "optimal").all(), reuse[["value", "outcome", "solved_as"]]
    for ours, theirs in zip(reuse["objective"], cold["objective"], strict=True):
        assert ours == pytest.approx(theirs, rel=2 * gap_tolerance)
    assert reuse["targets_met"].tolist() == cold["targets_met"].tolist()


@pytest.mark.slow
def test_warm_start_keeps_the_optimum_within_the_gap(lu_sweeps: dict[str, SweepResult]) -> None:
    warm, cold = lu_sweeps["warm"].table, lu_sweeps["cold"].table
    for table in (warm, cold):  # compare proven optima only
        assert (table["outcome"] == "optimal").all(), table[["value", "outcome", "gap"]]
    gap_tolerance = load_scenario(LU_SCENARIO).solver.mip_rel_gap
    assert lu_sweeps["warm"].warm_start and warm["warm_started"].tolist() == [False, True, True, True]
    for w, c, wb, cb in zip(warm["objective"], cold["objective"], warm["bound"], cold["bound"], strict=True):
        assert w == pytest.approx(c, rel=gap_tolerance)
        # each answer lies above the other solve's proven bound: both are optimal within the gap
        assert w >= cb - TOL and c >= wb - TOL


@pytest.mark.slow
def test_sweep_table_has_one_row_per_level_with_every_column(lu_sweeps: dict[str, SweepResult]) -> None:
    table = lu_sweeps["dask"].table
    assert table["budget_cny"].tolist() == pytest.approx([LU_BUDGET_CNY + d for d in (-15e6, 0.0, 15e6, 30e6)])
    for column in (
        "covered_population",
        "population_covered_subcentre_radius",
        "target_beds_per_1000_achieved",
        "target_beds_per_1000_shortfall",
        "total_beds",
        "total_ambulances",
        "subcentres_chosen",
        "subcentre_greedy_gap",
        "ambulance_greedy_gap",
        "budget_dual_relaxed_per_1m_cny_approx",
        "objective_gain_per_1m_cny",
        "next_yuan_to",
    ):
        assert column in table.columns, column
    assert (table["cost_cny"] <= table["budget_cny"] + TOL).all()
    assert (table["subcentre_greedy_covered_pop"] <= table["subcentre_optimum_covered_pop"] + TOL).all()
    assert math.isnan(table["objective_gain_per_1m_cny"].iloc[-1])


@pytest.mark.slow
def test_a_shared_level_takes_the_greedy_baselines_of_its_plan(lu_sweeps: dict[str, SweepResult]) -> None:
    """A shared level copies its source's greedy baselines instead of recomputing them
    (optimizer/whatif/level_solve.py), because they depend on the plan, not on the budget: on Lu's plan at its
    own budget and at twice that budget, both baselines come out the same."""
    prepared = prepare(LU_SCENARIO)
    solved = solve_plan(prepared, on_violation=ViolationPolicy.RECORD)
    settings = prepared.scenario.solver
    doubled = replace(solved.inputs, budget_cny=2 * solved.inputs.budget_cny)
    for baseline in (subcentre_baseline, ambulance_baseline):
        own = baseline(solved.inputs, solved.model, settings)
        assert own is not None and own.sites > 0
        assert baseline(doubled, solved.model, settings) == own
    table = lu_sweeps["reuse"].table.set_index("level")
    shared = table[table["solved_as"].str.startswith("same_plan_as_level_")]
    assert len(shared) >= 1
    columns = list(BASELINE_COLUMNS)
    for _, row in shared.iterrows():
        source = table.loc[int(str(row["solved_as"]).removeprefix("same_plan_as_level_"))]
        assert source["solved_as"] == "solved"
        assert row[columns].tolist() == source[columns].tolist()


@pytest.mark.slow
def test_whatif_cli_writes_the_table_and_the_plot(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    result = CliRunner().invoke(
        app, ["whatif", str(LU_SCENARIO), "--budget", "100%..110%", "--steps", "2", "--sequential", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "sweep.csv", encoding="utf-8-sig")
    assert len(table) == 2
    assert table["budget_cny"].tolist() == pytest.approx([LU_BUDGET_CNY, 1.1 * LU_BUDGET_CNY])
    assert {"objective", "gap", "covered_population"} <= set(table.columns)
    assert pd.read_parquet(out / "sweep.parquet")["objective"].tolist() == pytest.approx(table["objective"].tolist())
    assert (out / "tradeoff.png").stat().st_size > 10_000
    changes = pd.read_csv(out / "changes.csv", encoding="utf-8-sig")
    assert set(changes["level"]) <= {1}  # level 0 is the scenario's own budget: nothing changes there
    assert (out / "whatif.md").read_text(encoding="utf-8").startswith("# 预算情景分析")
