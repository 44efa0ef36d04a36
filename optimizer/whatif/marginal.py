"""Marginal value of budget: what one more unit buys, from the sweep and from LP duals.

Two estimates, both labelled approximate in the outputs:

Finite differences across a sweep (`finite_differences`)
    Between level i and the next, Δobjective / ΔB and Δcovered population / ΔB, per 1 M CNY. The
    objective's cost term is cost / B, so part of Δobjective is the change of that normalisation;
    the coverage difference has no such caveat. The last level has no forward difference (NaN).

LP dual of (B1) `budget` (`budget_duals`)
    The MIP has no dual, so the standard device is used: re-solve an LP with integer decisions fixed
    at the level's solution and read the dual π of `budget`. Two variants:
    - `fixed`: every integer variable fixed (the textbook recipe). In this model every cost term
      (added stock g_r, vehicles bought δ, upgrades o_s) is then pinned by the fixed integers, so
      no continuous variable can use more money and π is 0 (or an arbitrary value of a degenerate
      basis when the budget is exactly spent). It is reported because it was asked for, and its
      zero is itself informative: with siting and staffing fixed, money buys nothing.
    - `relaxed`: only the siting decisions (sub-centres opened, vehicles per base) are fixed; the
      amounts of beds and staff become continuous. π then prices the budget in the allocation LP:
      what the next yuan buys if it could be spent in fractions of a bed or a nurse.
    (B1) is stated in units of `unit_scale` CNY (the budget's power of ten, models/planner/plan.py), so the
    value per CNY is π / unit_scale, with B held fixed in the objective's cost normalisation.
    Reported as the objective DECREASE per extra 1 M CNY (positive = more money helps).

Where the next yuan goes (`next_yuan`): the cost item (resource, vehicles, upgrades) whose spending
grows most, in CNY, from this level to the next.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pulp

from models.naming import name
from models.outcome import SolveOutcome
from models.planner import PlanInputs
from models.planner.plan import PlanModel
from optimizer.inputs.solver_settings import SolverSettings
from optimizer.solving.solve import solve
from optimizer.whatif.level_model import LevelModel

logger = logging.getLogger(__name__)

MILLION = 1_000_000.0
Fixing = Literal["fixed", "relaxed"]


@dataclass(frozen=True)
class BudgetDual:
    """Objective decrease per extra 1 M CNY of budget from an LP with integers fixed (approximate)."""

    fixing: Fixing
    per_million_cny: float
    outcome: SolveOutcome


def _siting_variables(model: PlanModel) -> set[str]:
    names: set[str] = set()
    if model.subcentres is not None:
        names |= {v.name for v in model.subcentres.is_open.values()}
    if model.ambulances is not None:
        names |= {v.name for v in model.ambulances.vehicles.values()}
    return names


@dataclass(frozen=True)
class _Relaxed:
    """An integer variable of a dual LP, made continuous: its built bounds, and whether the LP fixes it."""

    variable: pulp.LpVariable
    low: float | None
    up: float | None
    fixed: bool


class BudgetDualLPs:
    """The LPs of `budget_duals`, built once and brought to each level's budget and solution: a sweep task
    builds them once for its levels (optimizer/whatif/reuse.py) instead of twice per level.

    Each LP is its own model built from the inputs (builders are pure), so the solved MIP is untouched. The
    levels of a budget sweep differ only in (B1)'s right-hand side and the cost weight, which `LevelModel`
    sets, and in the values the LP fixes, which `duals` sets (the other integers get their built bounds back).
    """

    def __init__(self, inputs: PlanInputs, fixings: Sequence[Fixing] = ("fixed", "relaxed")) -> None:
        self._lps: dict[Fixing, tuple[LevelModel, tuple[_Relaxed, ...]]] = {}
        for fixing in fixings:
            levels = LevelModel(inputs)
            siting = _siting_variables(levels.model)
            relaxed = tuple(
                _Relaxed(v, v.lowBound, v.upBound, fixing == "fixed" or v.name in siting)
                for v in levels.model.problem.variables()
                if v.cat == pulp.LpInteger
            )
            for entry in relaxed:
                entry.variable.cat = pulp.LpContinuous
            self._lps[fixing] = (levels, relaxed)

    def duals(
        self, budget_cny: float, solution: Mapping[str, float], settings: SolverSettings
    ) -> dict[Fixing, BudgetDual]:
        """LP duals of `budget` at `budget_cny` with the integers fixed at `solution` (variable name → value).

        The LPs are always solved with HiGHS: CBC through PuLP's COIN_CMD returned, on the hand-made
        instance of tests/optimizer/test_whatif.py, row duals that violate complementary slackness
        (a basic shortfall variable with reduced cost 9.975), so its budget dual read 0.
        """
        settings = settings.model_copy(update={"name": "highs"})
        duals: dict[Fixing, BudgetDual] = {}
        for fixing, (levels, relaxed) in self._lps.items():
            model = levels.at_budget(budget_cny).model
            for entry in relaxed:
                if entry.fixed:
                    value = float(round(solution.get(entry.variable.name, 0.0)))
                    entry.variable.lowBound, entry.variable.upBound = value, value
                else:
                    entry.variable.lowBound, entry.variable.upBound = entry.low, entry.up
            report = solve(model.problem, settings)
            if report.outcome is not SolveOutcome.OPTIMAL:
                logger.warning("budget dual (%s): LP ended %s", fixing, report.outcome.value)
                duals[fixing] = BudgetDual(fixing, math.nan, report.outcome)
                continue
            row = model.problem.get_constraint_by_name(name("budget"))
            pi = float(row.pi) if row is not None and row.pi is not None else math.nan
            per_cny = pi / model.registry.tags[name("budget")].unit_scale
            duals[fixing] = BudgetDual(fixing, -per_cny * MILLION + 0.0, report.outcome)
        return duals


def budget_duals(
    inputs: PlanInputs,
    solution: Mapping[str, float],
    settings: SolverSettings,
    *,
    fixings: Sequence[Fixing] = ("fixed", "relaxed"),
) -> dict[Fixing, BudgetDual]:
    """LP duals of `budget` at a level's MIP solution (`solution`: variable name → value), on LPs built for
    this call (`BudgetDualLPs`)."""
    return BudgetDualLPs(inputs, fixings).duals(inputs.budget_cny, solution, settings)


def finite_differences(budgets: Sequence[float], values: Sequence[float | None]) -> list[float]:
    """Forward differences (next − this) / (Δbudget in M CNY); NaN where undefined (last level, gaps)."""
    return forward_rates(budgets, values, per=MILLION)


def forward_rates(levels: Sequence[float], values: Sequence[float | None], *, per: float) -> list[float]:
    """Forward differences (next − this) per `per` units of the swept value (10e6: per 1000万元 of budget);
    NaN where undefined (last level, a level without a plan)."""
    out: list[float] = []
    for i in range(len(levels)):
        if i + 1 >= len(levels):
            out.append(math.nan)
            continue
        step = (levels[i + 1] - levels[i]) / per
        here, there = values[i], values[i + 1]
        if step <= 0 or here is None or there is None or math.isnan(here) or math.isnan(there):
            out.append(math.nan)
        else:
            out.append((there - here) / step)
    return out


def next_yuan(costs: Sequence[Mapping[str, float]]) -> list[tuple[str, float]]:
    """Per level: the cost item whose spending grows most to the next level, and by how much (CNY).

    ("", 0.0) when no item grows (the extra money is not spent) or for the last level.
    """
    out: list[tuple[str, float]] = []
    for i, here in enumerate(costs):
        if i + 1 >= len(costs) or not here or not costs[i + 1]:
            out.append(("", 0.0))
            continue
        there = costs[i + 1]
        growth = {item: there.get(item, 0.0) - here.get(item, 0.0) for item in sorted(set(here) | set(there))}
        best = max(growth, key=lambda item: (growth[item], item), default="")
        out.append((best, growth[best]) if best and growth[best] > 0 else ("", 0.0))
    return out
