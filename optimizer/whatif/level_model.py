"""One built plan model per worker, brought from budget level to budget level instead of rebuilt.

Across a budget sweep the model differs only in two numbers that depend on the budget B (models/planner/plan.py):
the right-hand side of row `budget` (B1), stated in units of `budget_row_scale` of the budget it was built at,
and the objective's weight of one CNY, `W_cost / B` (`ObjectiveTerms.cost_weight`). `LevelModel.at_budget`
changes exactly these, after `clear_spend_rows` (optimizer/solving/spend.py) has removed what the previous
level's `targets_only` solve left on the model (row `spend_cap`, the shortfall bounds) and restored the whole
objective. The row keeps the scale it was built with: B / scale is as exact in binary as the built row.
The inputs differ in `budget_cny` alone, so they are built once too.
Only budget sweeps reuse a model; another swept field (a sub-centre count, a radius) changes the model's shape.
"""

from __future__ import annotations

from dataclasses import replace

from models.planner import PlanInputs, PlanModel, build_plan_model
from models.planner.plan import budget_row_scale
from optimizer.pipeline import BuiltPlan
from optimizer.solving.spend import clear_spend_rows, shortfall_bounds

BUDGET_ROW = "budget"
"""The name of (B1) in the built problem (models/planner/plan.py)."""


class LevelModel:
    """A plan model built once from a scenario's inputs and re-targeted to a level's budget before each use."""

    def __init__(self, inputs: PlanInputs) -> None:
        self._inputs = inputs
        self._model = build_plan_model(inputs)
        if self._model.problem.get_constraint_by_name(BUDGET_ROW) is None:
            raise ValueError(f"{inputs.name}: the built model has no row {BUDGET_ROW!r}")
        built_budget = max(inputs.budget_cny, 1.0)
        self._weight_cost = self._model.terms.cost_weight * built_budget  # W_cost
        self._row_scale = budget_row_scale(built_budget)
        self._bounds = shortfall_bounds(self._model)

    @property
    def model(self) -> PlanModel:
        """The model as the last `at_budget` left it (solved or not)."""
        return self._model

    def at_budget(self, budget_cny: float) -> BuiltPlan:
        """The inputs and model at `budget_cny`: spend rows cleared, (B1)'s right-hand side and the cost weight
        set."""
        terms = replace(self._model.terms, cost_weight=self._weight_cost / max(budget_cny, 1.0))
        self._model = replace(self._model, terms=terms)
        clear_spend_rows(self._model, self._bounds)  # also sets the whole objective with the new weight
        row = self._model.problem.get_constraint_by_name(BUDGET_ROW)
        assert row is not None  # checked when the model was built
        row.constant = -budget_cny / self._row_scale
        return BuiltPlan(replace(self._inputs, budget_cny=budget_cny), self._model)
