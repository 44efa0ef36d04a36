"""Shared test constants and helpers: paths to the bundled data, the solver matrix, one tolerance, the
CLI run of a scenario, and builders of the tiny hand-checked plans (beds at a few facilities under one
count target) that the model and what-if tests solve.

Test modules import from here (`from tests.support import ...`); `tests/conftest.py` keeps only fixtures.
The package modules are imported inside the helpers, so the constants import without them.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models.planner import (
        AllocationInputs,
        LimitInputs,
        PlanInputs,
        PlanWeights,
        ResourceInputs,
        TargetInputs,
    )
    from optimizer.inputs.solver_settings import SolverSettings
    from optimizer.pipeline import PlanSolve

ROOT = Path(__file__).resolve().parents[1]
"""The repository root."""
DATA = ROOT / "data"
LU_SCENARIO = ROOT / "scenarios" / "lu_county.toml"
_LU_BUDGET = re.search(r"budget_cny = \{ value = (\d+),", LU_SCENARIO.read_text(encoding="utf-8"))
assert _LU_BUDGET is not None, "lu_county.toml: no `budget_cny = { value = N,` line"
LU_BUDGET_CNY = int(_LU_BUDGET.group(1))
"""Lu's budget as its scenario states it (an estimate that moves when the plan's content does)."""
LU_BUDGET_TEXT = f"budget_cny = {{ value = {LU_BUDGET_CNY},"
"""The text of that line up to the value, for tests that edit the budget of a Lu copy."""

SOLVERS = ("highs", "cbc")
"""Every solver the project supports; tests run against each."""
TOL = 1e-6
"""The one tolerance for objective and value comparisons."""


def exact(name: str) -> SolverSettings:
    """Solver settings that prove optimality exactly (no relative gap)."""
    from optimizer.inputs.solver_settings import SolverSettings  # here, so the constants import without the package

    return SolverSettings(name=name, mip_rel_gap=0.0, time_limit_s=60.0, threads=1)  # type: ignore[arg-type]


def lu_variant(tmp_path: Path, *edits: tuple[str, str], append: str = "", drop: tuple[str, ...] = ()) -> Path:
    """A copy of the Lu scenario (data paths kept valid) with text edits applied, the array-of-tables
    blocks named in `drop` removed (e.g. `("features", "feature_targets")`) and `append` added."""
    (tmp_path / "scenarios").mkdir(parents=True)
    shutil.copytree(ROOT / "scenarios" / "defaults", tmp_path / "scenarios" / "defaults")
    text = LU_SCENARIO.read_text(encoding="utf-8").replace('"../data/', f'"{DATA}/')
    for block in drop:  # a block runs from its header to the next header or comment rule
        text = re.sub(rf"^\[\[{block}\]\]\n(?:(?!\[|# -).*\n)*", "", text, flags=re.MULTILINE)
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "scenarios" / "lu_county.toml"
    text = text.replace("[data]\n", "[data]\nallow_outside_project = true\n", 1)
    path.write_text(text + append, encoding="utf-8")
    return path


def run_cli(scenario: Path, out: Path) -> Path:
    """`optimizer run SCENARIO --out OUT` through the CLI; asserts it exits 0 and returns `out`."""
    from typer.testing import CliRunner

    from optimizer.cli.commands import app

    outcome = CliRunner().invoke(app, ["run", str(scenario), "--out", str(out)])
    assert outcome.exit_code == 0, outcome.output
    return out


def plan_weights(*, cost: float = 0.1) -> PlanWeights:
    """Objective weights of the tiny plans: ambulance coverage 10, backup 2, sub-centre coverage 10, sub-centre
    travel 1, access travel 1, and `cost` on the budget share spent."""
    from models.planner import PlanWeights

    return PlanWeights(
        ambulance_coverage=10, ambulance_backup=2, subcentre_coverage=10, subcentre_travel=1, access_travel=1, cost=cost
    )


def resource(
    name: str,
    eligible: tuple[str, ...],
    *,
    unit_cost_cny: float,
    reference: float,
    base_stock: Mapping[str, int] | None = None,
    max_reduction_share: float = 0.0,
    subset_of: str | None = None,
    demand_driven: bool = False,
) -> ResourceInputs:
    """A resource of the tiny plans: no pooled baseline or outside stock, reductions allowed in the pool;
    `base_stock` per facility (then each keeps it, less `max_reduction_share`)."""
    from models.planner import ResourceInputs

    return ResourceInputs(
        name=name,
        eligible=eligible,
        subset_of=subset_of,
        baseline_modelled=None,
        other_stock=0.0,
        unit_cost_cny=unit_cost_cny,
        allow_reduction=True,
        demand_driven=demand_driven,
        reference_total=reference,
        base_stock=dict(base_stock or {}),
        max_reduction_share=max_reduction_share,
    )


def count_target(
    resource: str, required: float, facilities: tuple[str, ...], *, target_id: str | None = None, hard: bool = False
) -> TargetInputs:
    """A count target `resource` ≥ `required` over `facilities` (shortfall weight 100, scaled by the target)."""
    from models.planner import TargetInputs

    return TargetInputs(
        id=target_id or f"{resource}_total",
        resource=resource,
        kind="count",
        bound=">=",
        required=required,
        facilities=facilities,
        include_other_stock=False,
        denominator_resource=None,
        denominator_facilities=(),
        hard=hard,
        shortfall_weight=100.0,
        scale=required,
    )


def beds_allocation(
    population: Mapping[str, float],
    facility_site: Mapping[str, str],
    access_min: Mapping[tuple[str, str], float],
    *,
    required_beds: float,
    target_id: str = "beds",
    hard: bool = False,
    demand_driven: bool = False,
    limits: tuple[LimitInputs, ...] = (),
    bed_cost_cny: float = 1.0,
    access_limit_min: float = 60.0,
) -> AllocationInputs:
    """Beds only: towns (the keys of `population`, in order), facilities (the keys of `facility_site`) that all
    take beds, and one count target of `required_beds` over them (shortfall weight 100, scaled by the target)."""
    from models.planner import AllocationInputs

    facilities = tuple(facility_site)
    beds = resource(
        "beds", facilities, unit_cost_cny=bed_cost_cny, reference=required_beds, demand_driven=demand_driven
    )
    target = count_target("beds", required_beds, facilities, target_id=target_id, hard=hard)
    return AllocationInputs(
        towns=tuple(population),
        population=population,
        facilities=facilities,
        facility_site=facility_site,
        access_min=access_min,
        access_limit_min=access_limit_min,
        resources=(beds,),
        targets=(target,),
        limits=limits,
        staff_per_bed=(),
        bed_categories=(),
    )


def tiny_plan(name: str, allocation: AllocationInputs, budget_cny: float, **blocks: Any) -> PlanInputs:
    """A plan of `allocation` and the other blocks given by keyword (`weights`, `ambulances`, `subcentres`,
    `features`) under one budget whose target id is `budget`."""
    from models.planner import PlanInputs

    return PlanInputs(name=name, allocation=allocation, budget_cny=budget_cny, budget_target_id="budget", **blocks)


@cache
def bundled_solve(plan: str) -> PlanSolve:
    """A bundled plan (`scenarios/<plan>.toml`) prepared and solved once per test session, verified
    (`ViolationPolicy.RAISE`): the plan tests share it instead of solving Mianyang three times."""
    from optimizer.pipeline import ViolationPolicy, prepare, solve_plan

    return solve_plan(prepare(ROOT / "scenarios" / f"{plan}.toml"), on_violation=ViolationPolicy.RAISE)
